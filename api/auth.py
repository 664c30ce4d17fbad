"""Authentication and authorisation: a bearer token or API key maps to a principal.

Roles: citizen, agent (hotline agent), department_editor, reviewer, admin, plus the ticket roles
unit_user (a unit's staff) and manager. Scope: a region (the principal sees that region, its
ancestors and its descendants; None means every region) and, for department roles, a department.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.models import ROLES, ApiToken
from kb import service as kb_service
from kb.errors import PermissionDenied, ValidationFailed
from kb.models import Entry


@dataclass(frozen=True)
class Principal:
    name: str
    role: str
    region_code: str | None = None
    department: str | None = None
    unit_id: int | None = None
    token_id: int | None = None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(
    *,
    session: Session,
    name: str,
    role: str,
    region_code: str | None = None,
    department: str | None = None,
    unit_id: int | None = None,
    token: str | None = None,
) -> str:
    """Store a new token for a principal and return the token (shown once; only its hash is kept)."""
    if role not in ROLES:
        raise ValidationFailed(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    if role in ("department_editor",) and not department:
        raise ValidationFailed(
            "a department_editor needs --department: the department whose entries it edits"
        )
    if region_code:
        kb_service.require_region(session=session, code=region_code)
    token = token or secrets.token_urlsafe(32)
    existing = session.scalars(select(ApiToken).where(ApiToken.token_hash == hash_token(token))).first()
    wanted = (role, region_code, department, unit_id)
    if (
        existing is not None
        and (existing.role, existing.region_code, existing.department, existing.unit_id) != wanted
    ):
        # re-issuing a known token is idempotent; silently keeping another principal's role is not
        raise ValidationFailed(
            f"that token is already issued to {existing.name!r} with another role or scope: "
            "choose a different token, or leave it out to get a new one"
        )
    if existing is None:
        session.add(
            ApiToken(
                token_hash=hash_token(token),
                name=name,
                role=role,
                region_code=region_code,
                department=department,
                unit_id=unit_id,
            )
        )
        session.flush()
    return token


def principal_for_token(*, session: Session, token: str) -> Principal | None:
    """The principal a token stands for, or None for an unknown or revoked token."""
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == hash_token(token))).first()
    if row is None or not row.active:
        return None
    return Principal(
        name=row.name,
        role=row.role,
        region_code=row.region_code,
        department=row.department,
        unit_id=row.unit_id,
        token_id=row.id,
    )


# ---------------------------------------------------------------- scope


def region_scope(session: Session, principal: Principal) -> set[str] | None:
    """Regions the principal may act in: its region, ancestors and descendants; None = every region."""
    if principal.region_code is None:
        return None
    down = kb_service.region_subtree(session=session, code=principal.region_code)
    up = kb_service.region_chain(session=session, code=principal.region_code)
    return down | set(up)


def check_region(session: Session, principal: Principal, region_code: str | None) -> None:
    """PermissionDenied when ``region_code`` is outside the principal's scope."""
    if region_code is None:
        return
    scope = region_scope(session, principal)
    if scope is not None and region_code not in scope:
        raise PermissionDenied(
            f"region {region_code} is outside your scope ({principal.region_code}): ask an agent of that region"
        )


def ticket_scope(session: Session, principal: Principal) -> set[str] | None:
    """Regions whose tickets the principal handles: its region and those below; None = every region.

    Narrower than ``region_scope``: a city reads the province's KB entries (they apply to its
    callers), but the province's tickets, and other cities' counted in a province-wide KPI, are not
    its business.
    """
    if principal.region_code is None:
        return None
    return kb_service.region_subtree(session=session, code=principal.region_code)


def sees_unscoped_tickets(session: Session, principal: Principal) -> bool:
    """Tickets without a region belong to the provincial hotline: unscoped or top-level principals."""
    if principal.region_code is None:
        return True
    return kb_service.require_region(session=session, code=principal.region_code).parent_code is None


def check_ticket_region(session: Session, principal: Principal, region_code: str | None) -> None:
    """PermissionDenied when a ticket of ``region_code`` is outside the principal's ticket scope."""
    scope = ticket_scope(session, principal)
    if scope is None:
        return
    if region_code is None:
        if not sees_unscoped_tickets(session, principal):
            raise PermissionDenied(
                "tickets without a region are the provincial hotline's: ask a province-level agent"
            )
        return
    if region_code not in scope:
        raise PermissionDenied(
            f"region {region_code} is outside your scope ({principal.region_code}): "
            "ask the staff of that region"
        )


def can_read_entry(
    session: Session, principal: Principal, region_code: str | None, department: str | None
) -> bool:
    if principal.role == "admin":
        return True
    if principal.role == "department_editor":
        return department == principal.department
    if principal.role in ("agent", "reviewer", "manager"):
        scope = region_scope(session, principal)
        return scope is None or region_code is None or region_code in scope
    return False


def entry_reader(session: Session, principal: Principal) -> Callable[[Entry], bool]:
    """``can_read_entry`` for many entries: the principal's scope is looked up once."""
    if principal.role in ("agent", "reviewer", "manager"):
        scope = region_scope(session, principal)
        return lambda e: scope is None or e.region_code is None or e.region_code in scope
    return lambda e: can_read_entry(session, principal, e.region_code, e.department)


def can_edit_entry(
    session: Session, principal: Principal, region_code: str | None, department: str | None
) -> bool:
    if principal.role == "admin":
        return True
    if principal.role == "department_editor":
        return department is not None and department == principal.department
    return False


def can_review_entry(session: Session, principal: Principal, region_code: str | None) -> bool:
    if principal.role == "admin":
        return True
    if principal.role != "reviewer":
        return False
    if principal.region_code is None:
        return True
    if region_code is None:
        # unscoped entries are provincial business: only a reviewer at the top of the tree
        return kb_service.require_region(session=session, code=principal.region_code).parent_code is None
    return region_code in kb_service.region_subtree(session=session, code=principal.region_code)
