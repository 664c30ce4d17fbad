"""A deterministic scale corpus for benchmarks, made from the real sources in ../shared/data.

Base entries: the covid policy QA pairs (topic tier, no region) and the Guangdong 办事指南 items,
one entry per item × aspect (as the gd_matters ingest does). To reach a provincial KB's size, each
item-aspect is published again by Gansu cities and counties with their own phone numbers and
addresses: same question text (region names stay out of questions, so the variants share vectors
through the content-hash cache), a regional answer, and paraphrased similar questions.

The same ``size`` and ``seed`` give the same corpus, byte for byte (``corpus_digest``).
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import re
from collections.abc import Iterator
from dataclasses import asdict
from importlib import resources
from pathlib import Path

from retrieval.engine import EntryDoc

ASPECTS: dict[str, tuple[str, tuple[str, ...]]] = {
    # aspect: (question template, similar-question templates); {x} is the item name
    "materials": ("办理{x}需要哪些材料？", ("{x}要带什么材料", "{x}需要准备什么资料", "办{x}要交哪些证件")),
    "location": ("{x}在哪里办理？", ("{x}去哪里办", "{x}的办理地点在哪", "去哪个窗口办{x}")),
    "time_limit": ("{x}要多长时间办好？", ("{x}多久能办完", "{x}几个工作日办结", "{x}审批要多少天")),
    "consult_phone": ("{x}的咨询电话是多少？", ("{x}打哪个电话咨询", "咨询{x}找谁", "{x}有没有咨询电话")),
    "complain_phone": (
        "{x}的投诉电话是多少？",
        ("{x}办不下来向哪里投诉", "投诉{x}打什么电话", "{x}的监督电话"),
    ),
    "criteria": ("{x}的受理条件是什么？", ("什么情况可以申请{x}", "{x}需要满足什么条件", "谁可以办{x}")),
    "online": ("{x}可以网上办理吗？", ("{x}能不能在网上办", "{x}在哪个网站办", "{x}可以手机办吗")),
    "department": ("{x}由哪个部门办理？", ("{x}归哪个部门管", "{x}找哪个单位办", "哪个部门负责{x}")),
}
_PLACEHOLDER = re.compile(r"^(无|暂无|/|-|—|null|none)?$", re.IGNORECASE)
_PHONE = re.compile(r"0\d{2,3}-?\d{7,8}|1[3-9]\d{9}")


def gansu_regions() -> list[dict[str, str | None]]:
    data = json.loads(resources.files("kb").joinpath("data/regions_gansu.json").read_text("utf-8"))
    return list(data["regions"])


def bench_regions() -> dict[str, tuple[str | None, str, str]]:
    """The regions of the scale corpus: Gansu's 101 plus Guangdong and Guangzhou."""
    regions = {r["code"]: (r.get("parent"), r["level"], r["name"]) for r in gansu_regions()}
    regions["440000"] = (None, "province", "广东省")
    regions["440100"] = ("440000", "city", "广州市")
    return regions  # type: ignore[return-value]


def _text(v: object) -> str:
    if isinstance(v, list):
        v = "、".join(str(x) for x in v if x)
    s = str(v or "").strip()
    return "" if _PLACEHOLDER.match(s) else s


def _aspect_answer(aspect: str, item: dict[str, object]) -> str:
    if aspect == "materials":
        return _text(item.get("material_intro"))
    if aspect == "location":
        return _text(item.get("handle_location"))
    if aspect == "time_limit":
        a, b = _text(item.get("handle_time_limit")), _text(item.get("handle_time"))
        return f"承诺办结时限：{a}；法定办结时限：{b}" if a or b else ""
    if aspect == "consult_phone":
        p = _text(item.get("consult_phone"))
        return f"咨询电话：{p}" if p else ""
    if aspect == "complain_phone":
        p = _text(item.get("complain_phone"))
        return f"投诉电话：{p}" if p else ""
    if aspect == "criteria":
        return _text(item.get("accept_standard"))
    if aspect == "online":
        p = _text(item.get("bear_paltform"))
        return f"可通过{p}网上办理（网上预约：{_text(item.get('online_book')) or '否'}）" if p else ""
    if aspect == "department":
        d = _text(item.get("DEPT_NAME"))
        return f"由{d}办理" if d else ""
    raise ValueError(aspect)


def base_docs(shared_data: Path) -> list[EntryDoc]:
    """The real entries: covid QA pairs and gd_matters item × aspect."""
    docs: list[EntryDoc] = []
    covid = shared_data / "covid_policy_qa" / "NCPPolicies_train_20200301.tsv"
    with covid.open(encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            if row.get("question") and row.get("answer"):
                docs.append(
                    EntryDoc(
                        entry_id=0,
                        question=row["question"].strip(),
                        similar_questions=[],
                        answer=row["answer"].strip(),
                        source_code="covid_policy_qa",
                        tier="topic",
                        external_key=f"covid_policy_qa:{row['id']}",
                    )
                )
    with (shared_data / "gd_matters" / "policy.jsonl").open(encoding="utf-8") as f:
        for line in f:
            item = json.loads(line)
            name = _text(item.get("TASK_NAME"))
            if not name:
                continue
            region = "440100" if item.get("matter_level") == "市级" else "440000"
            for aspect, (q, sims) in ASPECTS.items():
                answer = _aspect_answer(aspect, item)
                if not answer:
                    continue
                docs.append(
                    EntryDoc(
                        entry_id=0,
                        question=q.format(x=name),
                        similar_questions=[s.format(x=name) for s in sims[:2]],
                        answer=f"{name}：{answer}",
                        source_code="gd_matters",
                        tier="city" if region == "440100" else "province",
                        region_code=region,
                        department=_text(item.get("DEPT_NAME")) or None,
                        matter_key=name,
                        aspect=aspect,
                        external_key=f"gd_matters:{item['TASK_CODE']}:{aspect}",
                    )
                )
    return docs


def _regional(doc: EntryDoc, region: dict[str, str | None], rng: random.Random) -> EntryDoc:
    name = str(region["name"])
    area = "0931" if str(region["code"]).startswith("6201") else f"09{rng.randint(32, 43)}"

    def phone(_m: re.Match[str]) -> str:
        return f"{area}-{rng.randint(2_000_000, 8_999_999)}"

    answer = _PHONE.sub(phone, doc.answer).replace("广东省", name).replace("广州市", name)
    if doc.aspect == "location":
        answer = f"{doc.matter_key}：办理地点：{name}政务服务中心{rng.randint(1, 60)}号窗口（{name}{rng.choice(['人民路', '建设路', '解放路', '滨河路', '东岗路'])}{rng.randint(1, 300)}号）"
    sims = list(doc.similar_questions)
    _q, templates = ASPECTS.get(doc.aspect or "", ("", ()))
    if templates and doc.matter_key:
        sims = [t.format(x=doc.matter_key) for t in templates]  # the paraphrases every region shares
    level = str(region["level"])
    return EntryDoc(
        entry_id=0,
        question=doc.question,
        similar_questions=sims,
        answer=answer,
        source_code=f"gs_{region['code']}",
        tier=level,
        region_code=str(region["code"]),
        department=doc.department,
        matter_key=doc.matter_key,
        aspect=doc.aspect,
        external_key=f"{doc.external_key}:{region['code']}",
    )


def make_corpus(*, shared_data: Path, size: int, seed: int = 1) -> list[EntryDoc]:
    """``size`` entries: the real base entries (sampled if ``size`` is smaller), then Gansu variants."""
    if size <= 0:
        raise ValueError(f"corpus size must be positive, got {size}")
    rng = random.Random(seed)
    base = base_docs(shared_data)
    if size <= len(base):
        docs = [base[i] for i in sorted(rng.sample(range(len(base)), size))]
    else:
        docs = list(base)
        regional = [d for d in base if d.matter_key]
        regions = [r for r in gansu_regions() if r["level"] != "province"]
        pairs_needed = size - len(base)
        # every item-aspect gets the same number of regions (±1), the regions drawn per item
        per_item, extra = divmod(pairs_needed, len(regional))
        if per_item > len(regions):
            raise ValueError(
                f"size {size} needs more than {len(regions)} regional variants per item: use at most "
                f"{len(base) + len(regional) * len(regions)}"
            )
        for i, d in enumerate(regional):
            k = per_item + (1 if i < extra else 0)
            for r in rng.sample(regions, k):
                docs.append(_regional(d, r, rng))
    for i, d in enumerate(docs, start=1):
        d.entry_id = i
    return docs


def corpus_digest(docs: list[EntryDoc]) -> str:
    h = hashlib.sha256()
    for d in docs:
        h.update(json.dumps(asdict(d), ensure_ascii=False, sort_keys=True, default=str).encode("utf-8"))
    return h.hexdigest()[:16]


def write_jsonl(docs: list[EntryDoc], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps(asdict(d), ensure_ascii=False, default=str) + "\n")


def read_jsonl(path: Path) -> Iterator[EntryDoc]:
    with path.open(encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            row["topics"] = tuple(row.get("topics") or ())
            yield EntryDoc(**row)
