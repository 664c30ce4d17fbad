"""`make run` end to end: `lianxin init --demo`, then `lianxin serve`, as a real server on loopback."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session

from api.auth import principal_for_token
from api.demo import DEMO_TOKENS, DEMO_UNIT_TOKENS, load_demo
from kb.demo import demo_meta

LIANXIN = Path(sys.executable).parent / "lianxin"
STARTUP_TIMEOUT_S = (
    300  # the search index builds in the lifespan: embedding the KB takes a while on a busy machine
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(db: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIANXIN_")}
    env["LIANXIN_DATABASE_URL"] = f"sqlite:///{db}"
    return env


def _init_demo(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LIANXIN), "init", "--demo"], env=env, cwd=cwd, capture_output=True, text=True, timeout=300
    )


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """The demo KB loaded and served the way `make run` does; yields the base URL."""
    env = _env(tmp_path / "lianxin.db")
    done = _init_demo(env, tmp_path)
    assert done.returncode == 0, done.stderr
    port = _free_port()
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen(
        [str(LIANXIN), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            assert proc.poll() is None, f"server exited: {(tmp_path / 'serve.log').read_text()[-2000:]}"
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"no /health after {STARTUP_TIMEOUT_S}s"
            time.sleep(0.2)
        yield base
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


# two `lianxin init --demo` runs and a server start that builds the search index: ~100 s here
@pytest.mark.slow
def test_make_run_serves_the_demo_kb(served: str, tmp_path: Path) -> None:
    health = httpx.get(f"{served}/health").json()
    assert health["status"] == "ok" and health["kb_revision"] > 150

    # an agent in 天水 asking for a 天水 citizen: the city's answer, never 兰州's
    r = httpx.get(
        f"{served}/kb/entries",
        params={"region": "620500", "q": "供暖", "limit": 200},
        headers={"Authorization": "Bearer demo-agent-tianshui"},
    )
    assert r.status_code == 200, r.text
    page = r.json()
    heating = [e for e in page["items"] if e["matter_key"] == "集中供暖时间"]
    assert [e["region_name"] for e in heating] == ["天水市"]
    assert not [e for e in page["items"] if (e["region_code"] or "").startswith("6201")]

    # the whole KB for the provincial agent, and the department editor sees only its department
    everything = httpx.get(f"{served}/kb/entries", headers={"X-API-Key": "demo-agent"}).json()
    assert everything["total"] >= 150
    mine = httpx.get(
        f"{served}/kb/entries", params={"limit": 200}, headers={"X-API-Key": "demo-editor-ybj"}
    ).json()
    assert mine["total"] >= 10 and {e["department"] for e in mine["items"]} == {"甘肃省医疗保障局"}
    assert httpx.get(f"{served}/kb/entries").status_code == 401

    # `make run` runs init again on every start: the second time changes nothing
    again = _init_demo(_env(tmp_path / "lianxin.db"), tmp_path)
    assert again.returncode == 0, again.stderr
    assert "'unchanged'" in again.stderr + again.stdout and "'created'" not in again.stderr + again.stdout
    assert httpx.get(f"{served}/health").json()["kb_revision"] == health["kb_revision"]


def test_demo_tokens_resolve_to_their_principals(session: Session) -> None:
    """What `init --demo` issues: every documented token works, with its role and scope."""
    report = load_demo(session=session)
    assert load_demo(session=session).count("demo-") == report.count("demo-")  # idempotent
    names = [*(t["token"] for t in DEMO_TOKENS), *(u["token"] for u in DEMO_UNIT_TOKENS)]
    assert all(n in report for n in names)
    principals = {n: principal_for_token(session=session, token=str(n)) for n in names}
    assert all(p is not None for p in principals.values())
    editors = {p.department for p in principals.values() if p and p.role == "department_editor"}
    assert editors == {s["department"] for s in demo_meta()["sources"] if s["tier"] == "department"}
    unit_user = principals["demo-unit-tianshui-zjj"]
    assert unit_user is not None and unit_user.role == "unit_user" and unit_user.unit_id is not None
    assert unit_user.department == "天水市住房和城乡建设局"
    assert principal_for_token(session=session, token="demo-nobody") is None
