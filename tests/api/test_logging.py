"""Phone and ID numbers never reach a log: records through the real loggers, and uvicorn's
access log of a real `lianxin serve`, whose lines carry the query string."""

from __future__ import annotations

import io
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from uvicorn.logging import AccessFormatter

from api import logs
from api.app import create_app
from kb.config import Settings

PHONE, ID_NUMBER = "13912345678", "620102199001011234"
LANDLINE = "0931-8123456"
MASKED_PHONE, MASKED_ID = "139****5678", "620102********1234"
LIANXIN = Path(sys.executable).parent / "lianxin"


@pytest.fixture
def captured():
    """A real stream handler on the root logger, present before the app installs its logging."""
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.INFO)
    try:
        yield buf
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def test_the_app_masks_numbers_in_messages_arguments_and_exceptions(captured, db_url):
    create_app(Settings(env="test", database_url=db_url), warm=False)
    log = logging.getLogger("lianxin.tickets")
    log.info("caller %s, ID %s", PHONE, ID_NUMBER)
    log.info(f"f-string with caller {PHONE} and office {LANDLINE}")
    log.info("number as an int: %d, count %d", int(PHONE), 3)
    log.warning(ValueError(f"an object as the message, caller {PHONE}"))
    try:
        raise ValueError(f"bad caller number {PHONE} for {ID_NUMBER}")
    except ValueError:
        log.exception("lookup failed")
    out = captured.getvalue()
    assert PHONE not in out and ID_NUMBER not in out and "8123456" not in out, out
    assert f"caller {MASKED_PHONE}, ID {MASKED_ID}" in out
    assert f"number as an int: {MASKED_PHONE}, count 3" in out
    assert f"bad caller number {MASKED_PHONE} for {MASKED_ID}" in out  # the traceback's text
    assert f"an object as the message, caller {MASKED_PHONE}" in out
    assert "lookup failed" in out and "093****3456" in out


def test_install_is_idempotent_and_leaves_other_text_alone(captured):
    logs.install()
    logs.install()
    logging.getLogger("retrieval.live").info("revision 1234567 loaded, 20 entries")
    out = captured.getvalue()
    assert "revision 1234567 loaded, 20 entries" in out  # 7 digits: not a phone number
    handler = logging.getLogger().handlers[-1]
    assert sum(isinstance(f, logs.MaskingFilter) for f in handler.filters) == 1


def test_the_access_log_configuration_masks_query_strings():
    """uvicorn's own access call, through the handler that ``uvicorn_log_config`` describes."""
    config = logs.uvicorn_log_config()
    spec = config["handlers"]["access"]
    assert "mask" in spec["filters"] and config["filters"]["mask"]["()"] is logs.MaskingFilter
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    handler.setFormatter(AccessFormatter(config["formatters"]["access"]["fmt"], use_colors=False))
    handler.addFilter(logs.MaskingFilter())
    access = logging.getLogger("uvicorn.access")
    access.addHandler(handler)
    level, access.level = access.level, logging.INFO
    try:
        path = f"/tickets?caller={PHONE}&id={ID_NUMBER}&q=%E5%8F%B7%E7%A0%81{PHONE}"
        access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", path, "1.1", 200)
    finally:
        access.removeHandler(handler)
        access.setLevel(level)
    line = buf.getvalue()
    assert f"/tickets?caller={MASKED_PHONE}&id={MASKED_ID}&q=号码{MASKED_PHONE} HTTP/1.1" in line, line
    assert PHONE not in line and ID_NUMBER not in line


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow  # a real server start: about 9 s here
def test_the_served_access_log_masks_query_strings(fresh_db, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIANXIN_")}
    env |= {"LIANXIN_DATABASE_URL": fresh_db.url, "LIANXIN_TICKETS_SWEEP_SECONDS": "0"}
    port = _free_port()
    out = tmp_path / "serve.log"
    with out.open("w") as sink:
        proc = subprocess.Popen(
            [str(LIANXIN), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env, cwd=tmp_path, stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline, answered = time.monotonic() + 120, None
        # "号码" percent-encoded ends in a digit ("%81"), right before the number
        query = f"phone={PHONE}&id={ID_NUMBER}&q=%E5%8F%B7%E7%A0%81{PHONE}"
        while time.monotonic() < deadline and answered is None:
            try:
                answered = httpx.get(f"http://127.0.0.1:{port}/health?{query}", timeout=5)
            except httpx.TransportError:
                assert proc.poll() is None, out.read_text()
                time.sleep(0.5)
        assert answered is not None and answered.status_code == 200, out.read_text()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    text = out.read_text()
    assert '"GET /health?' in text, text
    assert PHONE not in text and ID_NUMBER not in text, text
    assert f"phone={MASKED_PHONE}&id={MASKED_ID}&q=号码{MASKED_PHONE}" in text
