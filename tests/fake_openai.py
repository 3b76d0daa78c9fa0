"""A local fake OpenAI-compatible server (stdlib http.server on 127.0.0.1, random port).

Serves POST /v1/chat/completions from a script: each reply is either {"tool_calls": [(name, args), ...]} or
{"content": "..."} (or {"status": 401, "error": "..."} for an HTTP error), or a callable(request_json) -> one of those. Requests are recorded. Like llama.cpp, it
rejects an assistant message with ``content: null`` with HTTP 400.

Broken endpoints, for the reliability tests (issue 17): ``{"status": 401, "echo_auth": True}`` puts the request's
Authorization header in the error body (as some proxies do); ``{"raw": "not json"}`` (optional "status") sends
that body as is; ``{"hang": seconds}`` answers nothing for that long, then closes the connection.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

__all__ = ["FakeOpenAI"]


class FakeOpenAI:
    def __init__(self, script: list[Any] | Callable[[dict], dict]) -> None:
        self.script = script
        self.requests: list[dict] = []
        self.headers: list[dict] = []
        self._i = 0
        self._server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def _next(self, body: dict) -> dict:
        if callable(self.script):
            return self.script(body)
        step = self.script[min(self._i, len(self.script) - 1)]
        self._i += 1
        return step(body) if callable(step) else step

    def __enter__(self) -> "FakeOpenAI":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def _send(self, code: int, obj: dict) -> None:
                data = json.dumps(obj).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, body: dict, step: dict) -> None:
                """Server-sent events, as OpenAI streams them (content in pieces, tool calls in one delta)."""
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                base = {"id": f"chatcmpl-{len(fake.requests)}", "object": "chat.completion.chunk", "created": 0,
                        "model": body.get("model", "fake")}

                def emit(delta: dict, finish: str | None = None) -> None:
                    chunk = {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())

                if step.get("tool_calls"):
                    emit({"role": "assistant", "content": None, "tool_calls": [
                        {"index": i, "id": f"call_{len(fake.requests)}_{i}", "type": "function",
                         "function": {"name": n, "arguments": json.dumps(a)}}
                        for i, (n, a) in enumerate(step["tool_calls"])]})
                    emit({}, "tool_calls")
                else:
                    text = step.get("content") or ""
                    emit({"role": "assistant", "content": ""})
                    for i in range(0, len(text), 8):
                        emit({"content": text[i:i + 8]})
                    emit({}, "stop")
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                fake.requests.append(body)
                fake.headers.append(dict(self.headers))
                if not self.path.endswith("/chat/completions"):
                    return self._send(404, {"error": {"message": f"no route {self.path}"}})
                for m in body.get("messages", []):
                    if m.get("role") == "assistant" and m.get("content", None) is None:
                        return self._send(400, {"error": {"message": "Assistant message must contain 'content'",
                                                          "type": "invalid_request_error"}})
                step = fake._next(body)
                if step.get("hang"):
                    time.sleep(float(step["hang"]))
                    self.close_connection = True
                    return None
                if step.get("raw") is not None:
                    data = str(step["raw"]).encode()
                    self.send_response(int(step.get("status") or 200))
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return None
                if step.get("echo_auth"):
                    step = {**step, "error": f"{step.get('error', 'invalid credentials')}: "
                                             f"Authorization: {self.headers.get('Authorization')}"}
                if step.get("status"):  # an HTTP error reply: {"status": 401, "error": "..."}
                    return self._send(int(step["status"]), {"error": {"message": step.get("error", "")}})
                if body.get("stream"):
                    return self._stream(body, step)
                msg: dict[str, Any] = {"role": "assistant", "content": step.get("content")}
                finish = "stop"
                if step.get("tool_calls"):
                    msg["content"] = None
                    msg["tool_calls"] = [{"id": f"call_{len(fake.requests)}_{i}", "type": "function",
                                          "function": {"name": n, "arguments": json.dumps(a)}}
                                         for i, (n, a) in enumerate(step["tool_calls"])]
                    finish = "tool_calls"
                self._send(200, {"id": f"chatcmpl-{len(fake.requests)}", "object": "chat.completion",
                                 "created": 0, "model": body.get("model", "fake"),
                                 "choices": [{"index": 0, "message": msg, "finish_reason": finish}],
                                 "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
