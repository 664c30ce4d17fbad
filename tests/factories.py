"""Factories for tests: small, explicit builders over the real service functions."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy.orm import Session

from kb import service as kb_service
from kb.models import Entry, Source
from kb.schemas import EntryCreate

_seq = itertools.count(1)

TIER_REGION = {"province": "620000", "city": "620500", "county": "620503"}


def source(
    session: Session,
    *,
    code: str | None = None,
    tier: str = "province",
    region_code: str | None = "620000",
    department: str | None = None,
    name: str | None = None,
) -> Source:
    code = code or f"src-{next(_seq)}"
    return kb_service.ensure_source(
        session=session,
        code=code,
        name=name or code,
        tier=tier,
        region_code=region_code,
        department=department,
    )


def entry(
    session: Session, *, source_code: str | None = None, status: str = "published", **fields: Any
) -> Entry:
    if source_code is None:
        source_code = source(session).code
    n = next(_seq)
    data: dict[str, Any] = {
        "question": f"测试问题{n}",
        "answer": f"测试答复{n}",
        "source_code": source_code,
        "status": status,
        "external_key": f"test:{n}",
    }
    data.update(fields)
    return kb_service.create(session=session, entry_in=EntryCreate(**data))
