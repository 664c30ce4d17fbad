from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kb.db import make_sessionmaker, transaction
from tests import factories

ROOT = Path(__file__).resolve().parents[2]


def lianxin(args: list[str], db_url: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    # BM25 only: the CLI contract is what is tested here; the embedder has its own tests
    env = {
        **os.environ,
        "LIANXIN_DATABASE_URL": db_url,
        "LIANXIN_DATA_DIR": str(data_dir),
        "LIANXIN_EMBEDDER__BACKEND": "none",
    }
    return subprocess.run(
        [str(Path(sys.executable).parent / "lianxin"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow  # four CLI processes, ~7 s each on a busy 2-core host
def test_search_json_contract_and_index_rebuild(fresh_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with transaction(make_sessionmaker(fresh_db.engine)) as s:
        src = factories.source(s, code="gs", tier="province", region_code="620000").code
        lz = factories.source(s, code="lz", tier="city", region_code="620100").code
        noise = factories.entry(s, source_code=src, question="小区噪音扰民怎么投诉", answer="拨打12345").id
        lz_only = factories.entry(
            s, source_code=lz, region_code="620100", question="兰州市噪音投诉电话", answer="0931"
        ).id
        for q in ("护照在哪里办理", "社保卡补办", "公积金提取材料"):
            factories.entry(s, source_code=src, question=q, answer="见办事指南")

    r = lianxin(["index", "rebuild"], fresh_db.url, tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "index" / "params.index.json").exists()

    r = lianxin(["search", "我想投诉小区噪音扰民", "--region", "620500", "--json"], fresh_db.url, tmp_path)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert list(out) == ["hits"]
    assert out["hits"][0]["entry_id"] == noise
    assert set(out["hits"][0]) == {"entry_id", "external_key", "question", "score", "tier", "region"}
    assert lz_only not in [h["entry_id"] for h in out["hits"]]  # Lanzhou's entry is not for a Tianshui asker

    r = lianxin(["search", "噪音投诉", "--json", "--explain", "--top-k", "2"], fresh_db.url, tmp_path)
    hits = json.loads(r.stdout)["hits"]
    assert len(hits) == 2 and "matched_terms" in hits[0]["explanation"]

    r = lianxin(["search", "噪音", "--region", "999999", "--json"], fresh_db.url, tmp_path)
    assert r.returncode == 2 and "unknown region" in r.stderr
