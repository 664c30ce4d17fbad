"""Load the bundled Gansu demo knowledge base and the public demo tokens (development only)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from api.auth import create_token
from kb.demo import load_demo_kb
from tickets.service import seed_demo_units

# Public, documented development tokens. Settings refuse demo tokens in production.
DEMO_TOKENS: list[dict[str, str | None]] = [
    {"token": "demo-admin", "name": "演示管理员", "role": "admin", "region_code": None, "department": None},
    {
        "token": "demo-agent",
        "name": "省热线坐席",
        "role": "agent",
        "region_code": "620000",
        "department": None,
    },
    {
        "token": "demo-agent-tianshui",
        "name": "天水坐席",
        "role": "agent",
        "region_code": "620500",
        "department": None,
    },
    {
        "token": "demo-reviewer",
        "name": "省知识库审核",
        "role": "reviewer",
        "region_code": "620000",
        "department": None,
    },
    {"token": "demo-citizen", "name": "市民", "role": "citizen", "region_code": "620100", "department": None},
    {
        "token": "demo-manager",
        "name": "热线管理员",
        "role": "manager",
        "region_code": "620000",
        "department": None,
    },
]


def load_demo(*, session: Session) -> str:
    """Load the demo KB (idempotent) and its tokens; returns a one-line report."""
    counts = load_demo_kb(session=session)
    counts["units"] = seed_demo_units(session=session)
    for t in DEMO_TOKENS:
        create_token(session=session, **t)  # type: ignore[arg-type]
    names = ", ".join(str(t["token"]) for t in DEMO_TOKENS)
    return f"demo KB: {counts}; demo tokens: {names}"
