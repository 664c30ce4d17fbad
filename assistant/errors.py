"""Errors of the assistant.

    AssistantError
    ├── LLMUnavailable        the LLM timed out, failed or returned output that breaks the contract
    ├── ChatNotFound          no chat session with that id for this principal
    └── DraftNotFound         no ticket draft to confirm in that session (or already confirmed)

Citizens never see LLMUnavailable: every caller falls back to the extractive path.
"""

from __future__ import annotations


class AssistantError(Exception):
    """Base of all assistant errors."""


class LLMUnavailable(AssistantError):
    pass


class ChatNotFound(AssistantError):
    pass


class DraftNotFound(AssistantError):
    pass
