"""Helpers for ingest tests: sheets built with openpyxl, samples of the shared files written to tmp."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

HEADER = ["问题", "相似问题", "答案", "地区", "部门", "专题", "生效日期", "失效日期", "政策依据", "外部编号"]


def good_row(n: int, **over: Any) -> dict[str, Any]:
    row = {
        "问题": f"天水市办理事项{n}需要什么材料？",
        "相似问题": f"事项{n}要带什么\n事项{n}材料；事项{n}清单|事项{n}准备啥",
        "答案": f"办理事项{n}需携带身份证和申请表。",
        "地区": "天水市",
        "部门": "天水市人力资源和社会保障局",
        "专题": "",
        "生效日期": "2024-01-01",
        "失效日期": "",
        "政策依据": "《测试办法》",
        "外部编号": f"R{n:03d}",
    }
    row.update(over)
    return row


def write_xlsx(path: Path, rows: Sequence[dict[str, Any]], header: Sequence[str] = HEADER) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.append(list(header))
    for r in rows:
        ws.append([r.get(h) for h in header])
    wb.save(path)
    return path


@pytest.fixture
def make_xlsx(tmp_path: Path) -> Callable[..., Path]:
    def make(
        rows: Sequence[dict[str, Any]], name: str = "sheet.xlsx", header: Sequence[str] = HEADER
    ) -> Path:
        return write_xlsx(tmp_path / name, rows, header)

    return make


def gd_item(code: str, name: str, level: str = "省级", **over: Any) -> dict[str, Any]:
    """A gd_matters record in the shared file's shape."""
    area = {"省级": ("440000", "广东省"), "市级": ("440100", "广东省广州市")}[level]
    item = {
        "TASK_CODE": code,
        "TASK_NAME": name,
        "matter_name": name,
        "DEPT_NAME": "广东省测试厅" if level == "省级" else "广州市测试局",
        "TASK_TYPE_TEXT": "行政许可",
        "AREACODE": area[0],
        "AREA_CODE_TEXT": area[1],
        "matter_level": level,
        "district": level,
        "co_department": "无",
        "handle_location": "办理地点：广州市越秀区测试路1号",
        "handle_time": "20(工作日)",
        "handle_time_limit": "5(工作日)",
        "accept_standard": "无",
        "consult_phone": "020-12345678",
        "complain_phone": "无",
        "bear_paltform": "广东政务服务网",
        "online_book": "否",
        "online_book_addr": "无",
        "URL": None,
        "material_intro": ["申请表", "身份证"],
    }
    item.update(over)
    return item


def write_jsonl(path: Path, items: Sequence[dict[str, Any]]) -> Path:
    path.write_text("\n".join(json.dumps(i, ensure_ascii=False) for i in items) + "\n", encoding="utf-8")
    return path


def expected_entries(items: Sequence[dict[str, Any]]) -> int:
    """How many gd entries the items should give, counted straight from the raw fields (item × aspect present)."""

    def has(v: Any) -> bool:
        if isinstance(v, list):
            return any(has(x) for x in v)
        # a placeholder may carry a full stop: 无。
        return v is not None and str(v).strip().rstrip("。") not in ("无", "")

    return sum(
        sum(
            [
                has(i["material_intro"]),
                has(i["handle_location"]),
                has(i["handle_time_limit"]) or has(i["handle_time"]),
                has(i["consult_phone"]),
                has(i["complain_phone"]),
                has(i["accept_standard"]),
                has(i["bear_paltform"]) or i["online_book"] == "是",
                has(i["DEPT_NAME"]),
            ]
        )
        for i in items
    )
