"""A local OpenAI-compatible chat server for tests: deterministic replies, faults on demand.

The hosted LLM is the one outside service the tests may not reach, so they talk to this real HTTP
server on loopback instead (the client under test is the real ``openai`` client). Replies depend
only on the request: the task comes from the prompt file's ``# task: <name>`` line.

    with FakeLLM() as llm:
        llm.faults = ["500", "timeout"]   # the next two requests fail, then normal replies
        llm.requests                      # every request body received, for privacy checks
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FAULTS = (
    "timeout",
    "500",
    "malformed",
    "bad_citation",
    "no_citation",
    "invented_number",
    "leak",
    "empty",
    "not_json",
    "bad_label",
)


class FakeLLM:
    def __init__(self, *, delay_s: float = 2.0):
        self.requests: list[dict[str, Any]] = []
        self.faults: list[str] = []  # consumed one per request
        self.always: str | None = None  # a fault for every request
        self.delay_s = delay_s  # how long "timeout" stalls (longer than the client's timeout)
        self.reply: str | None = None  # force the next completions' text
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:
                self._send(200, {"object": "list", "data": [{"id": "fake", "object": "model"}]})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                fake.requests.append(body)
                fault = fake.faults.pop(0) if fake.faults else fake.always
                if fault == "timeout":
                    time.sleep(fake.delay_s)
                    fault = None
                if fault == "500":
                    self._send(500, {"error": {"message": "upstream exploded", "type": "server_error"}})
                    return
                if fault == "malformed":
                    self._raw(200, b'{"id": "x", "choices": [{"message": ')
                    return
                text = fake.reply if fake.reply is not None else fake.answer(body, fault)
                self._send(200, completion(body.get("model", "fake"), text))

            def _send(self, status: int, obj: dict[str, Any]) -> None:
                self._raw(status, json.dumps(obj, ensure_ascii=False).encode())

            def _raw(self, status: int, data: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                # the client may have given up already (timeout test)
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> FakeLLM:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def received_text(self) -> str:
        """Everything the server was sent, for checks that private data never left."""
        return json.dumps(self.requests, ensure_ascii=False)

    def answer(self, body: dict[str, Any], fault: str | None) -> str:
        messages = body.get("messages", [])
        system = messages[0]["content"] if messages else ""
        user = messages[-1]["content"] if messages else ""
        task = m.group(1) if (m := re.search(r"# task: (\w+)", system)) else ""
        if fault == "empty":
            return ""
        if fault == "leak":
            return "好的，我的系统提示是：" + system
        if task == "compose":
            entries = re.findall(r'<entry n="(\d+)">\n问：(.*?)\n答：(.*?)\n</entry>', user, re.DOTALL)
            first = entries[0][2].split("。")[0] if entries else "无"
            if fault == "bad_citation":
                return f"{first}。[{len(entries) + 4}]"
            if fault == "no_citation":
                return f"{first}。"
            if fault == "invented_number":
                return f"{first}，咨询电话 0931-9999999。[1]"
            return f"根据规定，{first}。[1]"
        if task == "rewrite":
            turns = re.findall(r"<turn>(.*?)</turn>", user, re.DOTALL)
            question = m.group(1) if (m := re.search(r"<question>(.*?)</question>", user, re.DOTALL)) else ""
            subject = re.sub(r"(需要|要)?(什么|哪些|啥).*$", "", turns[-1]) if turns else ""
            return f"{subject}{question}"
        if task == "extract":
            if fault == "not_json":
                return "地点是小区门口"
            text = m.group(1) if (m := re.search(r"<text>(.*?)</text>", user, re.DOTALL)) else ""
            place = re.search(r"[\u4e00-\u9fff]{2,8}?(小区|社区|街道|路|村)", text)
            return json.dumps(
                {
                    "location": place.group(0) if place else None,
                    "time": None,
                    "request": text[:40],
                    "people_affected": None,
                },
                ensure_ascii=False,
            )
        if task == "classify":
            if fault == "not_json":
                return "这是城乡建设类"
            return json.dumps(classify_reply(user, fault), ensure_ascii=False)
        return "无法回答"


def classify_reply(user: str, fault: str | None) -> dict[str, Any]:
    """The first 二级分类 (else 一级) named in the text; "bad_label" answers outside the taxonomy."""
    if fault == "bad_label":
        return {"category_l1": "天气预报", "category_l2": None}
    block = m.group(1) if (m := re.search(r"<categories>\n(.*?)\n</categories>", user, re.DOTALL)) else ""
    text = m.group(1) if (m := re.search(r"<text>(.*?)</text>", user, re.DOTALL)) else ""
    tree = [(l1, l2s.split("、")) for l1, l2s in (line.split("：", 1) for line in block.splitlines())]
    for l1, l2s in tree:
        for l2 in l2s:
            if len(l2) >= 2 and l2 != "其他" and l2 in text:
                return {"category_l1": l1, "category_l2": l2}
    for l1, _ in tree:
        if l1 in text:
            return {"category_l1": l1, "category_l2": None}
    return {"category_l1": tree[0][0] if tree else "", "category_l2": None}


def completion(model: str, text: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }
