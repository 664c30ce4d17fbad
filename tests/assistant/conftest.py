"""Fixtures of the assistant tests: the local OpenAI-compatible server and a client of it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from assistant.llm import LLMClient
from tests.fakellm import FakeLLM


@pytest.fixture
def fake() -> Iterator[FakeLLM]:
    """A real HTTP server on loopback; its "timeout" fault stalls longer than ``llm``'s timeout."""
    with FakeLLM(delay_s=1.5) as server:
        yield server


@pytest.fixture
def llm(fake: FakeLLM) -> Iterator[LLMClient]:
    client = LLMClient(base_url=fake.base_url, model="fake", timeout_s=0.5)
    yield client
    client.close()
