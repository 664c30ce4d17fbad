"""Routing catalogue (派单目录): category × region × keywords → department.

The catalogue is a JSON data file the hotline edits (assistant/data/routing_catalogue.json):

    {"version": 3, "departments": [...22 names...],
     "rules": [{"department": "市公安局", "keywords": ["楼上", "邻居"], "l1": null, "l2": null,
                "region": null, "note": "neighbour disturbance"}, ...],
     "categories": [{"l1": "城乡建设", "l2": "住房保障与房地产", "department": "市住房和城乡建设局",
                     "region": null, "evidence": 57}, ...]}

Resolution, most specific first: a keyword rule whose keywords occur in the text (and whose l1 /
l2 / region, where given, match); then the (l1, l2) entry; then the l1 entry (l2 null). Within a
level a rule for the caller's region beats a region-less one, and more keyword hits beat fewer.
`derive_category_routes()` builds the category part from 附件4: the departments named in the
official replies, mapped to the 22 department names by `REPLY_DEPARTMENTS`.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

CATALOGUE_PATH = Path(__file__).parent / "data" / "routing_catalogue.json"

# Department names as written in 附件4 replies (A市, counties, districts) → the Gansu catalogue's
# names. Order matters: the first pattern that matches a reply's opening wins.
REPLY_DEPARTMENTS: list[tuple[str, str]] = [
    (r"医疗保障局|医保局|城乡居民基本医疗保险", "市医疗保障局"),
    (r"人力资源和社会保障|人社局|劳动保障监察|社保局|就业服务", "市人力资源和社会保障局"),
    (
        r"住房和城乡建设|住建局|住建委|城乡建设局|住房保障局|房产局|房地产管理局|物业办|物管办|住房公积金",
        "市住房和城乡建设局",
    ),
    (r"城市管理|城管|行政执法局|执法大队|市容", "市城市管理综合执法局"),
    (r"生态环境|环保局|环境保护局", "市生态环境局"),
    (r"交通运输局|交通局|运管|公路局|公交", "市交通运输局"),
    (r"教育局|教体局|教育和体育局", "市教育局"),
    (r"卫生健康|卫健|卫生局|卫计", "市卫生健康委员会"),
    (r"市场监督|市场监管|工商局|质监局|食药", "市市场监督管理局"),
    (r"公安|交警|派出所|警察", "市公安局"),
    (r"自然资源|国土|规划局|规划分局|不动产登记", "市自然资源局"),
    (r"农业农村|农业局|农委|林业|畜牧|农机", "市农业农村局"),
    (r"商务局|商务和粮食", "市商务局"),
    (r"文化和旅游|文旅|旅游局|文化局|文体", "市文化和旅游局"),
    (r"水务|水利局|自来水|供水", "市水务局"),
    (r"应急管理|安监局|安全生产监督|消防", "市应急管理局"),
    (r"民政局|民政部门", "市民政局"),
    (r"税务局|税务部门", "市税务局"),
    (r"工业和信息化|工信局|经信|通信管理", "市工业和信息化局"),
    (r"司法局", "市司法局"),
    (r"供电|电力公司|电业局", "供电公司"),
    (r"区人民政府|县人民政府|区政府|县政府|街道办事处|街道办|镇人民政府|镇政府|乡政府", "区县人民政府"),
]
_REPLY_PATTERNS = [(re.compile(p), d) for p, d in REPLY_DEPARTMENTS]


class CatalogueError(ValueError):
    """The routing catalogue file breaks its format; the message names the entry and the fix."""


@dataclass
class Route:
    department: str | None
    rule: str  # which level decided: "keyword:<note>", "l2", "l1", "none"
    matched: list[str] = field(default_factory=list)


def reply_department(reply: str) -> str | None:
    """The catalogue department named first in an official reply, or None."""
    head = reply[:400]
    best: tuple[int, str] | None = None
    for pattern, department in _REPLY_PATTERNS:
        m = pattern.search(head)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), department)
    return best[1] if best else None


class Catalogue:
    def __init__(self, data: dict):
        self.version = data.get("version")
        self.departments: list[str] = list(data.get("departments", []))
        known = set(self.departments)
        self.rules: list[dict] = []
        for i, rule in enumerate(data.get("rules", [])):
            if not rule.get("keywords"):
                raise CatalogueError(
                    f"rules[{i}] has no keywords: add at least one or move it to 'categories'"
                )
            self._check_department(rule, f"rules[{i}]", known)
            self.rules.append(rule)
        self.by_l1: dict[str, list[dict]] = defaultdict(list)
        self.by_l2: dict[tuple[str, str], list[dict]] = defaultdict(list)
        for i, entry in enumerate(data.get("categories", [])):
            if not entry.get("l1"):
                raise CatalogueError(f"categories[{i}] has no l1: every category route names its 一级分类")
            self._check_department(entry, f"categories[{i}]", known)
            if entry.get("l2"):
                self.by_l2[(entry["l1"], entry["l2"])].append(entry)
            else:
                self.by_l1[entry["l1"]].append(entry)

    @staticmethod
    def _check_department(entry: dict, where: str, known: set[str]) -> None:
        if known and entry.get("department") not in known:
            raise CatalogueError(
                f"{where}: department {entry.get('department')!r} is not in the catalogue's departments list; "
                "fix the name or add the department"
            )

    @classmethod
    def load(cls, path: Path = CATALOGUE_PATH) -> Catalogue:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise CatalogueError(f"routing catalogue {path} not found: restore it from git") from exc
        except json.JSONDecodeError as exc:
            raise CatalogueError(f"routing catalogue {path} is not valid JSON ({exc}): fix the file") from exc
        return cls(data)

    @staticmethod
    def _region_ok(entry: dict, region_name: str | None) -> bool:
        region = entry.get("region")
        return region is None or (region_name is not None and region in region_name)

    def route(self, *, text: str, l1: str | None, l2: str | None, region_name: str | None = None) -> Route:
        """The department for a ticket: keyword rules, then (l1, l2), then l1."""
        best: tuple[tuple[int, int, int], dict, list[str]] | None = None
        for rule in self.rules:
            if rule.get("l1") and rule["l1"] != l1:
                continue
            if rule.get("l2") and rule["l2"] != l2:
                continue
            if not self._region_ok(rule, region_name):
                continue
            hits = [k for k in rule["keywords"] if k in text]
            if not hits:
                continue
            if any(k in text for k in rule.get("unless", [])):
                continue
            # rank: explicit priority, then region-specific, then how much of the text it explains
            key = (
                int(rule.get("priority", 0)),
                int(rule.get("region") is not None),
                sum(len(h) for h in hits),
            )
            if best is None or key > best[0]:
                best = (key, rule, hits)
        if best is not None:
            return Route(best[1]["department"], f"keyword:{best[1].get('note', '')}", best[2])
        for level, entries in (
            ("l2", self.by_l2.get((l1 or "", l2 or ""), [])),
            ("l1", self.by_l1.get(l1 or "", [])),
        ):
            fitting = [e for e in entries if self._region_ok(e, region_name)]
            if fitting:
                chosen = max(fitting, key=lambda e: (e.get("region") is not None, e.get("evidence", 0)))
                return Route(chosen["department"], level)
        return Route(None, "none")


def derive_category_routes(
    labelled: Iterable[tuple[str, str | None, str]], *, min_evidence: int = 5
) -> list[dict]:
    """Category routes from (l1, l2, official reply) triples: the department most often named.

    An (l1, l2) pair gets its own entry only where it has `min_evidence` replies naming a
    department and that department differs from its l1's.
    """
    per_l1: dict[str, Counter[str]] = defaultdict(Counter)
    per_l2: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for l1, l2, reply in labelled:
        department = reply_department(reply)
        if department is None:
            continue
        per_l1[l1][department] += 1
        if l2:
            per_l2[(l1, l2)][department] += 1
    routes: list[dict] = []
    for l1, counts in sorted(per_l1.items()):
        department, n = counts.most_common(1)[0]
        routes.append({"l1": l1, "l2": None, "department": department, "region": None, "evidence": n})
        for (m1, l2), c2 in sorted(per_l2.items()):
            if m1 != l1:
                continue
            d2, n2 = c2.most_common(1)[0]
            if n2 >= min_evidence and d2 != department:
                routes.append({"l1": l1, "l2": l2, "department": d2, "region": None, "evidence": n2})
    return routes
