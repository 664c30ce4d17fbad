"""Load the bundled Gansu demo knowledge base and the public demo tokens (development only)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from api.auth import create_token
from kb.demo import load_demo_kb
from kb.errors import ValidationFailed
from tickets.service import find_unit, seed_demo_units

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
    # the two department sources of the demo KB: each editor curates only its department's entries
    {
        "token": "demo-editor-hrss",
        "name": "省人社厅知识库编辑",
        "role": "department_editor",
        "region_code": "620000",
        "department": "甘肃省人力资源和社会保障厅",
    },
    {
        "token": "demo-editor-ybj",
        "name": "省医保局知识库编辑",
        "role": "department_editor",
        "region_code": "620000",
        "department": "甘肃省医疗保障局",
    },
]

# unit_user tokens name a unit by (generic department, region); the unit's id is known only after seeding
DEMO_UNIT_TOKENS: list[dict[str, str]] = [
    {
        "token": "demo-unit-tianshui-zjj",
        "name": "天水市住建局办件人",
        "department": "市住房和城乡建设局",
        "region_code": "620500",
    },
]


def load_demo(*, session: Session) -> str:
    """Load the demo KB (idempotent) and its tokens; returns a one-line report."""
    counts = load_demo_kb(session=session)
    counts["units"] = seed_demo_units(session=session)
    for t in DEMO_TOKENS:
        create_token(session=session, **t)  # type: ignore[arg-type]
    for u in DEMO_UNIT_TOKENS:
        unit = find_unit(session=session, department=u["department"], region_code=u["region_code"])
        if unit is None:
            raise ValidationFailed(
                f"demo token {u['token']}: no unit {u['department']} serves {u['region_code']}: "
                "add it to tickets/data/departments.json"
            )
        create_token(
            session=session,
            token=u["token"],
            name=u["name"],
            role="unit_user",
            region_code=u["region_code"],
            department=unit.name,
            unit_id=unit.id,
        )
    names = ", ".join([str(t["token"]) for t in DEMO_TOKENS] + [u["token"] for u in DEMO_UNIT_TOKENS])
    return f"demo KB: {counts}; demo tokens: {names}"
