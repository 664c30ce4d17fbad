"""The optional LLM: compose a cited answer, rewrite a follow-up, extract ticket fields.

Any OpenAI-compatible server works (a hosted API, llama-cpp-python's server). Everything here is
an improvement over the extractive path, never a requirement: each method either returns output
that passed its checks or raises ``LLMUnavailable``, and callers fall back. Before any request
leaves the process, phone and ID numbers are masked; KB and citizen text go inside tagged data
blocks that the prompt files tell the model to treat as data, with the tag brackets neutralised
so text cannot close a block and pose as instructions.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import openai

from assistant.errors import LLMUnavailable
from assistant.safety import mask
from kb.config import LLMSettings

PROMPTS = Path(__file__).parent / "prompts"
MAX_ENTRIES = 3
_CITATION_RE = re.compile(r"\[(\d{1,2})\]")
_NUMBER_RE = re.compile(r"\d{3,}")
_REFUSAL = "无法回答"
CLASSIFY_CHARS = 600  # a ticket's gist is in its first lines; the taxonomy takes the rest of the prompt


@cache
def load_prompt(name: str) -> str:
    """A prompt file's text (``assistant/prompts/<name>.md``)."""
    return (PROMPTS / f"{name}.md").read_text(encoding="utf-8")


def _data(text: str) -> str:
    """Citizen or KB text as inert data: masked, and unable to close or open a tag."""
    return mask(text).replace("<", "＜").replace(">", "＞")


@dataclass(frozen=True)
class SourceEntry:
    """What the LLM may quote: one retrieved entry."""

    entry_id: int
    question: str
    answer: str


@dataclass
class Composed:
    text: str
    cited: list[int] = field(default_factory=list)  # 1-based positions in the entries given


class LLMClient:
    """A thin, checked wrapper around an OpenAI-compatible chat endpoint."""

    def __init__(self, *, base_url: str, model: str, api_key: str = "", timeout_s: float = 20.0):
        if not base_url or not model:
            raise ValueError(
                "LLMClient needs base_url and model: leave the LLM unconfigured to use extractive answers"
            )
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be positive, got {timeout_s}")
        self.model = model
        # No retries: a slow or failing LLM must cost the citizen one timeout at most, then we fall back.
        self._client = openai.OpenAI(
            base_url=base_url, api_key=api_key or "not-needed", timeout=timeout_s, max_retries=0
        )

    @classmethod
    def from_settings(cls, settings: LLMSettings) -> LLMClient | None:
        """The configured client, or None when no LLM is configured (extractive answers only)."""
        if not settings.enabled:
            return None
        return cls(
            base_url=settings.base_url,
            model=settings.model,
            api_key=settings.api_key.get_secret_value(),
            timeout_s=settings.timeout_s,
        )

    def close(self) -> None:
        self._client.close()

    def _chat(self, task: str, user: str, *, max_tokens: int, json_mode: bool = False) -> str:
        system = load_prompt(task)
        kwargs: dict[str, Any] = {}
        if json_mode:
            kwargs["response_format"] = {"type": "json_object"}
        try:
            resp = self._client.chat.completions.create(
                model=self.model,
                messages=[{"role": "system", "content": system}, {"role": "user", "content": mask(user)}],
                temperature=0,
                max_tokens=max_tokens,
                **kwargs,
            )
            content = resp.choices[0].message.content
        except openai.APIError as exc:  # timeouts, connection errors, 4xx/5xx, unparsable bodies
            raise LLMUnavailable(
                f"LLM request failed ({type(exc).__name__}): using the extractive path"
            ) from exc
        except (ValueError, TypeError, AttributeError, IndexError) as exc:  # a body that is not a completion
            raise LLMUnavailable(f"LLM returned a malformed completion ({type(exc).__name__})") from exc
        if not isinstance(content, str) or not content.strip():
            raise LLMUnavailable("LLM returned an empty completion")
        _refuse_leak(content, system)
        return content.strip()

    def compose(self, *, question: str, entries: Sequence[SourceEntry]) -> Composed:
        """An answer built from up to 3 entries; every [n] must cite one of them, and every number
        in the answer must occur in a cited entry (no invented phones, fees or deadlines)."""
        entries = list(entries)[:MAX_ENTRIES]
        if not entries:
            raise LLMUnavailable("nothing to compose from")
        blocks = "\n".join(
            f'<entry n="{i}">\n问：{_data(e.question)}\n答：{_data(e.answer)}\n</entry>'
            for i, e in enumerate(entries, 1)
        )
        user = f"<entries>\n{blocks}\n</entries>\n<question>{_data(question)}</question>"
        text = self._chat("compose", user, max_tokens=600)
        if _REFUSAL in text[:20]:
            raise LLMUnavailable("LLM found no answer in the entries")
        cited = sorted({int(n) for n in _CITATION_RE.findall(text)})
        if not cited:
            raise LLMUnavailable("LLM answer cites no entry")
        if any(n < 1 or n > len(entries) for n in cited):
            raise LLMUnavailable(
                f"LLM answer cites {cited}, but only entries 1..{len(entries)} were retrieved"
            )
        source_text = "".join(mask(entries[n - 1].answer + entries[n - 1].question) for n in cited)
        stray = [num for num in _NUMBER_RE.findall(_CITATION_RE.sub("", text)) if num not in source_text]
        if stray:
            raise LLMUnavailable(f"LLM answer has numbers not in its cited entries: {stray[:3]}")
        return Composed(text=mask(text), cited=cited)

    def rewrite(self, *, question: str, history: Sequence[str]) -> str:
        """The follow-up ``question`` made self-contained using the citizen's earlier messages."""
        past = "\n".join(f"<turn>{_data(h)}</turn>" for h in list(history)[-4:])
        text = self._chat(
            "rewrite",
            f"<history>\n{past}\n</history>\n<question>{_data(question)}</question>",
            max_tokens=120,
        )
        # small models echo the data tags back: drop markup before judging the line
        line = re.sub(r"</?\w+[^>]*>", "", text.splitlines()[0]).strip().strip("\"'“”")
        if not line or len(line) > 200:
            raise LLMUnavailable("LLM rewrite is empty or too long")
        if line == mask(question).strip():
            raise LLMUnavailable("LLM rewrite only repeats the question")
        return line

    def extract_ticket(self, *, text: str) -> dict[str, Any]:
        """Ticket fields (location, time, request, people_affected) from a citizen's message."""
        raw = self._chat("extract", f"<text>{_data(text)}</text>", max_tokens=300, json_mode=True)
        data = _json_object(raw, "ticket fields")
        out: dict[str, Any] = {}
        for key in ("location", "time", "request"):
            value = data.get(key)
            out[key] = mask(value.strip())[:200] if isinstance(value, str) and value.strip() else None
        people = data.get("people_affected")
        out["people_affected"] = (
            people if isinstance(people, int) and not isinstance(people, bool) and people >= 0 else None
        )
        return out

    def classify_category(
        self, *, text: str, taxonomy: Mapping[str, Sequence[str]]
    ) -> tuple[str, str | None]:
        """Zero-shot (一级分类, 二级分类) of a ticket, chosen from ``taxonomy`` (L1 -> its L2 names).

        An L1 outside the taxonomy is rejected (LLMUnavailable); an L2 outside the chosen L1's
        list becomes None, so a half-right reply still gives its L1.
        """
        if not taxonomy:
            raise LLMUnavailable("no taxonomy to classify against")
        categories = "\n".join(f"{l1}：{'、'.join(l2s)}" for l1, l2s in taxonomy.items())
        # mask before cutting: a number cut in half would no longer be recognised as one
        ticket = _data(mask(text)[:CLASSIFY_CHARS])
        user = f"<categories>\n{_data(categories)}\n</categories>\n<text>{ticket}</text>"
        data = _json_object(self._chat("classify", user, max_tokens=120, json_mode=True), "category")
        l1, l2 = data.get("category_l1"), data.get("category_l2")
        l1 = l1.strip() if isinstance(l1, str) else l1
        if not isinstance(l1, str) or l1 not in taxonomy:
            raise LLMUnavailable(f"LLM category {str(l1)[:20]!r} is not a 一级分类 of the taxonomy")
        l2 = l2.strip() if isinstance(l2, str) else None
        return l1, l2 if l2 in taxonomy[l1] else None


def _json_object(raw: str, what: str) -> dict[str, Any]:
    """The JSON object in a completion (small models wrap it in prose or code fences)."""
    match = re.search(r"\{.*\}", raw, re.DOTALL)
    try:
        data = json.loads(match.group(0) if match else raw)
    except json.JSONDecodeError as exc:
        raise LLMUnavailable(f"LLM reply for the {what} is not JSON") from exc
    if not isinstance(data, dict):
        raise LLMUnavailable(f"LLM reply for the {what} is not a JSON object")
    return data


def _refuse_leak(content: str, system: str) -> None:
    """Reject output that repeats the prompt: injections try exactly that."""
    for line in system.splitlines():
        line = line.strip().lstrip("#0123456789. -")
        if len(line) >= 12 and line in content:
            raise LLMUnavailable("LLM output repeats its instructions")
