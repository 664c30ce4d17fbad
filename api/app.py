"""The FastAPI application. Heavy parts (indexes, models) load in the lifespan, never at import."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api import errors, logs
from api.routes import ROUTERS, STARTUP_HOOKS
from kb.config import Settings, get_settings
from kb.db import make_engine, make_sessionmaker


def create_app(settings: Settings | None = None, *, warm: bool = True) -> FastAPI:
    """Build the app for ``settings``; ``warm=False`` skips loading indexes (tests that need none)."""
    settings = settings or get_settings()
    logs.install()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if warm:
            for hook in STARTUP_HOOKS:
                await hook(app)
        yield
        for closer in getattr(app.state, "closers", []):
            closer()
        app.state.engine.dispose()

    app = FastAPI(
        title="lianxin 连心",
        version="0.1.0",
        description="Knowledge base and assistant service for a provincial 12345 hotline",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = make_engine(settings.database_url)
    app.state.sessionmaker = make_sessionmaker(app.state.engine)
    app.state.closers = []
    for router in ROUTERS:
        app.include_router(router)
    errors.install(app)
    return app
