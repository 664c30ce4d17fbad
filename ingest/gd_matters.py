"""广东政务服务网 办事指南 records (gd_matters ``policy.jsonl``) → one entry per item × aspect present.

Each line is one item (事项). For every aspect whose fields carry content, the item gives one entry
with a question a citizen would ask, a few similar questions, and a readable 答复口径:

==============  ==============================================  ==========================
aspect          fields                                          question
==============  ==============================================  ==========================
materials       material_intro                                  办理X需要哪些材料？
location        handle_location                                 X在哪里办理？
time_limit      handle_time_limit (承诺) + handle_time (法定)   X要多长时间办好？
consult_phone   consult_phone                                   X的咨询电话是多少？
complain_phone  complain_phone                                  X的投诉电话是多少？
criteria        accept_standard                                 X的受理条件是什么？
online          bear_paltform + online_book (+ address, URL)    X可以网上办理吗？
department      DEPT_NAME (+ co_department)                     X由哪个部门办理？
==============  ==============================================  ==========================

"Present" means not empty and not a placeholder (无, 暂无, ...). ``无线下办理窗口`` is content (it
tells the citizen there is no counter), so it makes a location entry that points online.

Keys and scope: external_key ``gd_matters:<TASK_CODE>:<aspect>``; region 440000 (广东省) for 省级
items and 440100 (广州市) for 市级 items, from AREACODE, checked against matter_level;
matter_key = the item's TASK_NAME normalised (``validation.normalise_name``), so the province's and
Guangzhou's versions of the same item (different TASK_CODEs, names spelt with full- or half-width
brackets) share a matter_key and federation lets the Guangzhou entry win for Guangzhou askers.
Entries are published: the portal is the official publication of these guides.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from ingest.errors import BadFile
from ingest.report import RowError
from ingest.runner import Candidate
from ingest.validation import normalise_name, present, text
from kb import service as kb_service
from kb.schemas import EntryCreate

SOURCE_CODE = "gd_matters"
REGIONS: list[dict[str, Any]] = [
    {"code": "440000", "name": "广东省", "level": "province", "parent": None},
    {"code": "440100", "name": "广州市", "level": "city", "parent": "440000"},
]
LEVEL_REGION = {"省级": "440000", "市级": "440100"}
ASPECTS = (
    "materials",
    "location",
    "time_limit",
    "consult_phone",
    "complain_phone",
    "criteria",
    "online",
    "department",
)


class GdMattersAdapter:
    source_type = "gd_matters"

    def __init__(self, path: Path, *, status: str = "published"):
        self.path = Path(path)
        self.status = status

    def prepare(self, *, session: Session) -> None:
        kb_service.ensure_regions(session=session, rows=REGIONS)
        kb_service.ensure_source(
            session=session,
            code=SOURCE_CODE,
            name="广东政务服务网办事指南",
            tier="province",
            region_code="440000",
        )

    def candidates(self, *, session: Session) -> Iterator[Candidate]:
        lines = _read_lines(self.path)
        for lineno, line in lines:
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                yield _bad(
                    lineno,
                    None,
                    f"not a JSON object ({exc.msg} at column {exc.colno})",
                    "write one complete JSON object per line",
                )
                continue
            if not isinstance(item, dict):
                yield _bad(
                    lineno, None, "the line is JSON but not an object", "write one JSON object per line"
                )
                continue
            yield from item_candidates(item, lineno, status=self.status)


def _read_lines(path: Path) -> list[tuple[int, str]]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BadFile(f"cannot read {path}: {exc.strerror}: check the path") from exc
    if not raw.strip():
        raise BadFile(f"{path} is empty: export the gd_matters records as JSON lines (one item per line)")
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadFile(f"{path} is not UTF-8 text (byte {exc.start}): is it a JSON-lines file?") from exc
    lines = list(enumerate(content.splitlines(), 1))
    first = next((ln for ln in lines if ln[1].strip()), None)
    if first is not None and not first[1].lstrip().startswith("{"):
        raise BadFile(
            f"{path} is not in the gd_matters format: line {first[0]} does not start a JSON object; "
            "give the policy.jsonl file (one JSON item per line)"
        )
    return lines


def _bad(row: int, field: str | None, problem: str, fix: str, key_field: str = "TASK_CODE") -> Candidate:
    return Candidate(row=row, entry=None, errors=[RowError(row, field, problem, fix)], key_field=key_field)


def _days(value: str) -> str:
    """'7(工作日)' → '7个工作日'; other wording is kept as written."""
    m = re.fullmatch(r"\s*(\d+)\s*[(（]\s*(工作日|自然日)\s*[)）]\s*", value)
    return f"{m.group(1)}个{m.group(2)}" if m else value


def _materials(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [re.sub(r"[；;。]+$", "", text(v)) for v in items if present(v)]


def aspects(item: dict[str, Any]) -> dict[str, tuple[list[str], str]]:
    """The item's present aspects: aspect → (questions, answer); the first question is the main one."""
    name = text(item.get("TASK_NAME")) or text(item.get("matter_name"))
    dept = text(item.get("DEPT_NAME"))
    out: dict[str, tuple[list[str], str]] = {}
    place = text(item.get("AREA_CODE_TEXT")).removeprefix("广东省") or "广东省"

    materials = _materials(item.get("material_intro"))
    if materials:
        listed = "\n".join(f"{i}. {m}" for i, m in enumerate(materials, 1))
        out["materials"] = (
            [
                f"办理{name}需要哪些材料？",
                f"{name}要带什么材料",
                f"{name}需要准备什么资料",
                f"{name}的申请材料清单",
                f"在{place}办{name}要交啥材料",
            ],
            f"办理{name}需要提交以下材料：\n{listed}",
        )

    loc = text(item.get("handle_location"))
    platform = text(item.get("bear_paltform")) if present(item.get("bear_paltform")) else ""
    if present(loc):
        if "无线下办理窗口" in loc:
            where = f"请通过{platform}在网上办理" if platform else "请通过网上渠道办理"
            answer = f"{name}无线下办理窗口，不能到窗口现场办理，{where}。"
        else:
            loc = re.sub(r"^(办理地点|地址|地点)[:：]\s*", "", loc)
            answer = f"{name}的办理地点：{loc}"
            if not answer.endswith(("。", "）", ")")):
                answer += "。"
        out["location"] = (
            [
                f"{name}在哪里办理？",
                f"{name}的办理地点在哪",
                f"去哪个窗口办{name}",
                f"{name}可以到现场窗口办吗",
                f"{place}{name}去哪里交材料",
            ],
            answer,
        )

    promised, legal = item.get("handle_time_limit"), item.get("handle_time")
    if present(promised) or present(legal):
        parts = []
        if present(promised):
            parts.append(f"承诺办结时限为{_days(text(promised))}")
        if present(legal):
            parts.append(f"法定办结时限为{_days(text(legal))}")
        out["time_limit"] = (
            [
                f"{name}要多长时间办好？",
                f"{name}的办理时限是多久",
                f"{name}几个工作日能办完",
                f"{name}审批要多少天",
            ],
            f"{name}的{'，'.join(parts)}。",
        )

    if present(item.get("consult_phone")):
        phone = text(item.get("consult_phone"))
        out["consult_phone"] = (
            [
                f"{name}的咨询电话是多少？",
                f"{name}打哪个电话咨询",
                f"咨询{name}找谁",
                f"{name}有没有咨询电话",
            ],
            f"{name}的咨询电话：{phone}" + (f"（{dept}）。" if dept else "。"),
        )

    if present(item.get("complain_phone")):
        phone = text(item.get("complain_phone"))
        out["complain_phone"] = (
            [f"{name}的投诉电话是多少？", f"对{name}的办理不满意怎么投诉", f"{name}投诉打哪个电话"],
            f"对{name}的办理有意见或投诉，可拨打投诉电话：{phone}。",
        )

    if present(item.get("accept_standard")):
        out["criteria"] = (
            [
                f"{name}的受理条件是什么？",
                f"什么人可以申请{name}",
                f"{name}需要满足什么条件",
                f"{name}的申请条件",
            ],
            f"{name}的受理标准：{text(item.get('accept_standard'))}",
        )

    book = text(item.get("online_book"))
    if platform or book == "是":
        sentences = [f"{name}可通过{platform}办理。" if platform else f"{name}支持网上申办。"]
        if book == "是":
            addr = text(item.get("online_book_addr"))
            sentences.append(f"支持网上预约（{addr}）。" if present(addr) else "支持网上预约。")
        else:
            sentences.append("暂不支持网上预约。")
        if present(item.get("URL")):
            sentences.append(f"网上办事指南：{text(item.get('URL'))}")
        out["online"] = (
            [
                f"{name}可以网上办理吗？",
                f"{name}在哪个平台办理",
                f"{name}网上怎么申请",
                f"{name}能网上预约吗",
            ],
            "".join(sentences),
        )

    if dept:
        answer = f"{name}由{dept}负责办理"
        kind = text(item.get("TASK_TYPE_TEXT"))
        answer += f"（事项类型：{kind}）。" if kind else "。"
        if present(item.get("co_department")):
            answer += f"共同办理部门：{text(item.get('co_department'))}。"
        out["department"] = (
            [
                f"{name}由哪个部门办理？",
                f"{name}归哪个部门管",
                f"{name}找哪个单位办",
                f"{name}的实施主体是谁",
            ],
            answer,
        )
    return out


def item_candidates(item: dict[str, Any], lineno: int, *, status: str = "published") -> Iterator[Candidate]:
    """The entries of one item, or the item's problems (one Candidate per aspect, or one with errors)."""
    code = text(item.get("TASK_CODE"))
    name = text(item.get("TASK_NAME")) or text(item.get("matter_name"))
    errors: list[RowError] = []
    if not code:
        errors.append(
            RowError(lineno, "TASK_CODE", "TASK_CODE is missing", "give the item's 事项编码 (TASK_CODE)")
        )
    if not name:
        errors.append(RowError(lineno, "TASK_NAME", "the item has no name", "give TASK_NAME or matter_name"))
    area, level = text(item.get("AREACODE")), text(item.get("matter_level"))
    region = LEVEL_REGION.get(level)
    if region is None:
        errors.append(
            RowError(
                lineno,
                "matter_level",
                f"matter_level {level!r} is neither 省级 nor 市级",
                "this adapter knows Guangdong province (省级) and Guangzhou (市级) items",
            )
        )
    elif area and area != region:
        errors.append(
            RowError(
                lineno,
                "AREACODE",
                f"AREACODE {area} does not match matter_level {level} ({region})",
                "correct AREACODE or matter_level so that they agree",
            )
        )
    found = aspects(item) if name else {}
    if name and not found:
        errors.append(
            RowError(
                lineno,
                None,
                "the item has no aspect with content (every field is empty or 无)",
                "fill at least one of material_intro, handle_location, ... or leave the item out",
            )
        )
    if errors:
        yield Candidate(row=lineno, entry=None, errors=errors, key_field="TASK_CODE")
        return
    extra = {
        "task_code": code,
        "task_name": name,
        "matter_name": text(item.get("matter_name")),
        "task_type": text(item.get("TASK_TYPE_TEXT")),
        "level": level,
        "url": text(item.get("URL")),
    }
    for aspect, (questions, answer) in found.items():
        try:
            entry = EntryCreate(
                question=questions[0],
                similar_questions=questions[1:],
                answer=answer,
                source_code=SOURCE_CODE,
                region_code=region,
                department=text(item.get("DEPT_NAME")) or None,
                matter_key=normalise_name(name),
                aspect=aspect,
                status=status,  # type: ignore[arg-type]
                external_key=f"{SOURCE_CODE}:{code}:{aspect}",
                extra=extra,
            )
        except ValidationError as exc:
            err = exc.errors()[0]
            yield _bad(lineno, aspect, f"{aspect}: {err['msg']}", "correct the item's fields for this aspect")
            continue
        yield Candidate(row=lineno, entry=entry, key_field="TASK_CODE")
