"""Request dependencies: the database session (one transaction per request) and the principal."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request
from sqlalchemy.orm import Session

from api.auth import Principal, principal_for_token


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the route succeeds, rolled back otherwise."""
    session: Session = request.app.state.sessionmaker()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# scope="function": commit before the response is sent. With the default ("request") scope the
# commit runs after the client already has its 2xx, so a failing commit would lose the write silently.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def current_principal(
    session: SessionDep,
    authorization: Annotated[str | None, Header()] = None,
    x_api_key: Annotated[str | None, Header()] = None,
) -> Principal:
    token = x_api_key
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() != "bearer" or not value:
            raise HTTPException(
                401, detail="Authorization must be 'Bearer <token>': send the token you were issued"
            )
        token = value.strip()
    if not token:
        raise HTTPException(
            401,
            detail="authentication required: send 'Authorization: Bearer <token>' or 'X-API-Key: <token>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    principal = principal_for_token(session=session, token=token)
    if principal is None:
        raise HTTPException(401, detail="unknown or revoked token: ask an administrator for a new one")
    return principal


CurrentUser = Annotated[Principal, Depends(current_principal)]


def require_role(*roles: str) -> Callable[[Principal], Principal]:
    """A dependency that lets only the given roles through (403 names who may call the route)."""

    def check(principal: CurrentUser) -> Principal:
        if principal.role not in roles:
            raise HTTPException(
                403, detail=f"role {principal.role!r} may not call this endpoint; allowed: {', '.join(roles)}"
            )
        return principal

    return check
