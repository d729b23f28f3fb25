"""A scripted OpenAI-compatible server on 127.0.0.1 for fault tests (not a model).

Each request pops the next step of a script: an HTTP status (with headers), a delay, a JSON
answer, a truncated answer (finish_reason "length"), or text that is not JSON.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def completion(content: str, finish: str = "stop") -> dict[str, Any]:
    return {
        "id": "chatcmpl-test", "object": "chat.completion", "created": int(time.time()), "model": "fake",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
    }


class ScriptedServer:
    def __init__(self, steps: list[tuple[str, Any]]):
        self.steps = list(steps)
        self.requests: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                outer.requests.append(json.loads(body or b"{}"))
                kind, arg = outer.steps.pop(0) if outer.steps else ("status", 500)
                if kind == "sleep":
                    time.sleep(arg)
                    kind, arg = ("answer", "{}")
                if kind == "status":
                    code, headers = (arg, {}) if isinstance(arg, int) else arg
                    payload = json.dumps({"error": {"message": f"scripted {code}", "type": "server_error"}}).encode()
                    self.send_response(code)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                content = arg
                finish = "length" if kind == "truncated" else "stop"
                payload = json.dumps(completion(content, finish), ensure_ascii=False).encode()
                try:
                    self.send_response(200)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out and left

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self) -> ScriptedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
