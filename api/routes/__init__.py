"""Routers of the API, one module per domain. Each module exposes ``router``.

``STARTUP_HOOKS`` are awaited in the app's lifespan (load indexes, start schedulers); a hook
takes the app and stores what it builds on ``app.state``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, FastAPI

from api.routes import chat, eval, health, ingest, kb, search, tickets

ROUTERS: list[APIRouter] = [
    health.router,
    kb.router,
    tickets.router,
    ingest.router,
    search.router,
    chat.router,
    eval.router,
]
STARTUP_HOOKS: list[Callable[[FastAPI], Awaitable[None]]] = [
    tickets.start_sweeper,
    search.load_search_engine,
    chat.load_assistant,
]
