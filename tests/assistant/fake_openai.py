"""A fake OpenAI-compatible chat server on loopback: real HTTP, real server-sent events.

Each request takes the next ``Reply`` from the script (the last one repeats): a status code, the
text pieces to stream, a delay before the first byte or between pieces, a connection dropped
mid-stream, and the misbehaviours seen from real servers: a finish reason of ``length``,
keep-alive pings without tokens, and an empty 200 body (llama.cpp's answer to a prompt longer than
its context). ``GET /v1/models`` lists ``models``. Every request body is recorded so tests can
assert on what the client sent.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from collections.abc import Callable
from typing import Any


@dataclass
class Reply:
    pieces: list[str] = field(default_factory=list)
    respond: Callable[[dict[str, Any]], list[str]] | None = None  # pieces computed from the request body
    status: int = 200
    body: str = ""  # for non-200 replies
    delay: float = 0.0  # seconds before the response starts
    gap: float = 0.0  # seconds between streamed pieces
    drop_after: int | None = None  # close the connection after this many pieces, without [DONE]
    finish_reason: str = "stop"
    pings: int = 0  # ": ping" comment lines sent (``gap`` apart) before the first piece
    empty: bool = False  # a 200 answer with an empty body


def model_entry(name: str, context: int | None = None) -> dict[str, Any]:
    """One ``/v1/models`` entry, with vLLM's ``max_model_len`` when ``context`` is given."""
    entry: dict[str, Any] = {"id": name, "object": "model", "owned_by": "fake"}
    if context is not None:
        entry["max_model_len"] = context
    return entry


class FakeChatServer:
    def __init__(self, script: list[Reply], models: list[dict[str, Any]] | None = None) -> None:
        self.script = list(script)
        self.models = models if models is not None else [model_entry("fake-model")]
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> FakeChatServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _next(self, body: dict[str, Any], headers: dict[str, str]) -> Reply:
        with self._lock:
            self.requests.append(body)
            self.headers.append(headers)
            return self.script.pop(0) if len(self.script) > 1 else self.script[0]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                if self.path != "/v1/models":
                    self._plain(404, '{"error": "not found"}')
                    return
                self._plain(200, json.dumps({"object": "list", "data": server.models}))

            def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                if self.path != "/v1/chat/completions":
                    self._plain(404, '{"error": "not found"}')
                    return
                reply = server._next(body, dict(self.headers))
                time.sleep(reply.delay)
                if reply.status != 200:
                    self._plain(reply.status, reply.body or '{"error": "fake failure"}')
                    return
                if reply.respond is not None:
                    reply = Reply(pieces=reply.respond(body), gap=reply.gap, finish_reason=reply.finish_reason)
                try:
                    self._stream(reply, body.get("model", ""))
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout, a deadline)
                    self.close_connection = True

            def _plain(self, status: int, text: str) -> None:
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, reply: Reply, model: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                if reply.empty:
                    self.close_connection = True
                    return
                for _ in range(reply.pings):
                    self.wfile.write(b": ping\n\n")
                    self.wfile.flush()
                    time.sleep(reply.gap)
                for i, piece in enumerate(reply.pieces):
                    if reply.drop_after is not None and i >= reply.drop_after:
                        self.close_connection = True
                        return
                    event = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "model": model,
                             "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
                    self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
                    self.wfile.flush()
                    time.sleep(reply.gap)
                final = {"choices": [{"index": 0, "delta": {}, "finish_reason": reply.finish_reason}]}
                self.wfile.write(f"data: {json.dumps(final)}\n\ndata: [DONE]\n\n".encode())
                self.wfile.flush()
                self.close_connection = True

        return Handler
