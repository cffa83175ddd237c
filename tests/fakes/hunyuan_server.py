"""A fake HunyuanOCR-on-vLLM server on loopback: real HTTP/1.1, real server-sent-event streaming.

It answers ``GET /v1/models`` and ``POST /v1/chat/completions`` the way vLLM's OpenAI-compatible
server does, for the real pages of a dev-set folder: it recognises which page the image shows (by a
tiny thumbnail, so resizing and re-encoding do not matter) and answers the verbatim task prompts
from that page's ground truth (see ``hunyuan_answers``). It is strict about the request: the
system message must have empty content, the user message must hold an image data URL then a
known prompt, and the model name must be the served one.

Failure modes are scripted per request with ``fail(mode, task=..., times=..., after=...)`` (``after``
matching requests pass untouched first):

``parens``      spotted text containing parentheses (``ATLANTA (AP)``, ``金额(小写)``, ``(1)``)
``repeat``      a good start, then one unit repeated until the client hangs up (or max_tokens)
``coords_only`` only coordinate pairs, no text
``malformed``   plain text without any coordinates
``http500``     500 with a vLLM-style error body
``http429``     429 with ``Retry-After`` (``retry_after`` seconds, default "1")
``slow``        no response headers for ``seconds`` (a client timeout)
``stall``       a few events, then silence for ``seconds``
``drop``        part of the stream, then the connection is cut without ending the chunked body
``go_away``     the server stops listening and drops every connection (before answering)

``delay_s`` adds a fixed delay to every completion, like a GPU's time per request.
"""

from __future__ import annotations

import base64
import functools
import io
import json
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ingest.ocr.hunyuan_prompts import DOC_PARSE, SPOTTING, SPOTTING_JSON, TRANSLATE
from tests.fakes.hunyuan_answers import GtPage, doc_parse_output, load_pages, normalised, spotting_output, thumbnail

MODES = ("parens", "repeat", "coords_only", "malformed", "http500", "http429", "slow", "stall", "drop", "go_away")
CHARS_PER_TOKEN = 4  # one streamed event per "token" of this many characters
MATCH_MIN = 0.97  # thumbnail correlation below which an image is not one of the pages


@dataclass
class Failure:
    mode: str
    task: str  # "any", "spotting", "doc_parse", ...
    times: int
    after: int
    params: dict[str, Any]


@dataclass
class Recorded:
    """What the fake saw of one completion request (never the image bytes)."""

    task: str
    page: str  # page key, or "" when the image matched no page
    image_size: tuple[int, int]
    body: dict[str, Any]  # the request with the image URL replaced by its length
    headers: dict[str, str]
    outcome: str = "pending"  # "ok", a failure mode, or "client-closed"
    events_sent: int = 0


@dataclass
class FakeHunyuanServer:
    devset: Path
    model: str = "tencent/HunyuanOCR"
    api_key: str | None = None
    delay_s: float = 0.0
    spotting_format: str = "hunyuan"  # or "json" (HunyuanOCR 1.5's spotting_json layout)
    requests: list[Recorded] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.pages, self._thumbs = _catalog(self.devset)
        self._failures: list[Failure] = []
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._httpd: ThreadingHTTPServer | None = None
        self.port = 0
        self.in_flight = 0
        self.max_in_flight = 0  # most completions the fake was working on at the same time

    # -- lifecycle -------------------------------------------------------------------------
    def start(self, port: int = 0) -> FakeHunyuanServer:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop listening (new connections are refused) and cut every open connection."""
        httpd, self._httpd = self._httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
        with self._lock:
            connections, self._connections = list(self._connections), set()
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self) -> FakeHunyuanServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # -- scripting -------------------------------------------------------------------------
    def fail(self, mode: str, *, task: str = "any", times: int = 1, after: int = 0, **params: Any) -> None:
        """Make ``times`` requests for ``task`` fail in ``mode``, after ``after`` of them pass (see the module doc)."""
        if mode not in MODES:
            raise ValueError(f"unknown failure mode {mode!r}; one of {MODES}")
        with self._lock:
            self._failures.append(Failure(mode, task, times, after, params))

    def reset(self) -> None:
        """Forget scripted failures and recorded requests; no delay."""
        with self._lock:
            self._failures.clear()
            self.requests.clear()
        self.delay_s = 0.0

    def completions(self, task: str | None = None) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if task is None or r.task == task]

    def _take_failure(self, task: str) -> Failure | None:
        with self._lock:
            for failure in self._failures:
                if failure.task in ("any", task) and failure.after > 0:
                    failure.after -= 1
                    return None
                if failure.task in ("any", task):
                    failure.times -= 1
                    if failure.times <= 0:
                        self._failures.remove(failure)
                    return failure
        return None

    def _track(self, conn: socket.socket, add: bool) -> None:
        with self._lock:
            (self._connections.add if add else self._connections.discard)(conn)

    # -- answers ---------------------------------------------------------------------------
    def match_page(self, image: Image.Image) -> GtPage | None:
        """The page the image shows (its thumbnail correlates best with the page's), or None."""
        scores = (self._thumbs * _standardised(thumbnail(image))).mean(axis=(1, 2))
        best = int(np.argmax(scores))
        return self.pages[best] if scores[best] > MATCH_MIN else None

    def answer(self, task: str, page: GtPage | None, mode: str | None, prompt: str) -> str:
        if page is None:
            return "图中没有文字。" if task.startswith("spotting") else ""
        if task == "spotting":
            return _spotting_variant(page, mode, self.spotting_format)
        if task == "spotting_json":
            return spotting_output(page, "json")
        if task == "doc_parse" and mode == "repeat":
            return doc_parse_output(page)[:600] + "the battery must be charged first. " * 5000
        if task == "doc_parse":
            return doc_parse_output(page)
        if task.startswith("translate"):
            return "\n".join(line.text for line in page.lines)  # a fake cannot translate: the page text
        return _extraction(page, prompt)


@functools.lru_cache(maxsize=4)
def _catalog(devset: Path) -> tuple[list[GtPage], np.ndarray]:
    """The pages of a dev-set folder and their thumbnails (loaded once per process)."""
    pages = load_pages(devset)
    return pages, np.stack([_standardised(thumbnail(Image.open(p.image_path))) for p in pages])


def _standardised(thumb: np.ndarray) -> np.ndarray:
    """Zero mean, unit variance (a blank image stays all zeros and so matches nothing)."""
    std = float(thumb.std())
    return (thumb - thumb.mean()) / std if std > 1e-6 else np.zeros_like(thumb)


def _spotting_variant(page: GtPage, mode: str | None, fmt: str) -> str:
    items = [(ln.text, normalised(ln.box, page.width, page.height)) for ln in page.lines]
    if mode == "parens":
        extras = ["ATLANTA (AP) ", "(1) ", "金额(小写) "]
        items = [(extras[i] + t if i < len(extras) else t, b) for i, (t, b) in enumerate(items)]
    if mode == "coords_only":
        items = [("", b) for _, b in items]
    if mode == "malformed":
        return "\n".join(t for t, _ in items)
    if fmt == "json" and mode is None:
        return spotting_output(page, "json")
    text = "".join(f"{t}({b[0]},{b[1]}),({b[2]},{b[3]})" for t, b in items)
    if mode == "repeat":
        head = "".join(f"{t}({b[0]},{b[1]}),({b[2]},{b[3]})" for t, b in items[:5])
        unit = f"{items[5][0]}({items[5][1][0]},{items[5][1][1]}),({items[5][1][2]},{items[5][1][3]})"
        return head + unit * 10_000
    return text


def _extraction(page: GtPage, prompt: str) -> str:
    """Field values found as ``key: value`` (or ``key value``) on a ground-truth line; "" if absent."""
    start, end = prompt.index("[") + 1, prompt.index("]")
    keys = [k.strip().strip("'\"") for k in prompt[start:end].split(",") if k.strip()]
    found = {}
    for key in keys:
        line = next((ln.text for ln in page.lines if ln.text.lower().startswith(key.lower())), "")
        found[key] = line[len(key):].lstrip(" :：").strip() if line else ""
    return "```json\n" + json.dumps(found, ensure_ascii=False) + "\n```"


def task_of(prompt: str) -> str | None:
    if prompt == SPOTTING:
        return "spotting"
    if prompt == SPOTTING_JSON:
        return "spotting_json"
    if prompt == DOC_PARSE:
        return "doc_parse"
    for lang, text in TRANSLATE.items():
        if prompt == text:
            return f"translate_{lang}"
    if prompt.startswith("提取图片中的: [") and prompt.endswith("] 的字段内容，并按照 JSON 格式返回。"):
        return "extract"
    return None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fake: FakeHunyuanServer

    def setup(self) -> None:
        super().setup()
        self.fake._track(self.connection, True)

    def finish(self) -> None:
        self.fake._track(self.connection, False)
        try:
            super().finish()
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        return

    def do_GET(self) -> None:
        if self.path.rstrip("/") != "/v1/models":
            return self._json(404, {"error": {"message": f"no route {self.path}", "type": "NotFoundError", "code": 404}})
        if not self._authorised():
            return None
        model = {"id": self.fake.model, "object": "model", "created": int(time.time()), "owned_by": "vllm",
                 "root": self.fake.model, "max_model_len": 32768}
        return self._json(200, {"object": "list", "data": [model]})

    def do_POST(self) -> None:
        if self.path.rstrip("/") != "/v1/chat/completions":
            return self._json(404, {"error": {"message": f"no route {self.path}", "type": "NotFoundError", "code": 404}})
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
        if not self._authorised():
            return None
        problem, image, prompt = _unpack(body, self.fake.model)
        if problem:
            code = 404 if "does not exist" in problem else 400
            return self._json(code, {"error": {"message": problem, "type": "BadRequestError", "code": code}})
        task = task_of(prompt) or "unknown"
        page = self.fake.match_page(image)
        record = Recorded(task, page.key if page else "", image.size, _redacted(body), dict(self.headers.items()))
        with self.fake._lock:
            self.fake.requests.append(record)
        if task == "unknown":
            record.outcome = "unknown-prompt"
            return self._json(400, {"error": {"message": f"fake HunyuanOCR: not an official prompt: {prompt[:80]!r}", "code": 400}})
        failure = self.fake._take_failure(task)
        mode = failure.mode if failure else None
        params = failure.params if failure else {}
        if self._early_failure(mode, params, record):
            return None
        with self.fake._lock:
            self.fake.in_flight += 1
            self.fake.max_in_flight = max(self.fake.max_in_flight, self.fake.in_flight)
        try:
            time.sleep(self.fake.delay_s)
        finally:
            with self.fake._lock:
                self.fake.in_flight -= 1
        text = self.fake.answer(task, page, mode, prompt)
        record.outcome = mode or "ok"
        if body.get("stream"):
            return self._stream(text, body, mode, params, record)
        return self._json(200, _completion(text, body, self.fake.model))

    def _authorised(self) -> bool:
        if self.fake.api_key and self.headers.get("Authorization") != f"Bearer {self.fake.api_key}":
            self._json(401, {"error": {"message": "Unauthorized", "code": 401}})
            return False
        return True

    def _early_failure(self, mode: str | None, params: dict[str, Any], record: Recorded) -> bool:
        """Failures that happen before any answer is sent; True if one did."""
        if mode == "go_away":
            record.outcome = mode
            threading.Thread(target=self.fake.stop, daemon=True).start()
            time.sleep(0.2)
            self.close_connection = True
            return True
        if mode == "http500":
            record.outcome = mode
            self._json(500, {"object": "error", "message": "EngineCore encountered an issue", "type": "InternalServerError", "code": 500})
            return True
        if mode == "http429":
            record.outcome = mode
            self._json(429, {"error": {"message": "Too many requests", "code": 429}},
                       {"Retry-After": str(params.get("retry_after", "1"))})
            return True
        if mode == "slow":
            record.outcome = mode
            time.sleep(float(params.get("seconds", 5.0)))
            self.close_connection = True
            return True
        return False

    def _json(self, code: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, text: str, body: dict[str, Any], mode: str | None, params: dict[str, Any], record: Recorded) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        max_tokens = int(body.get("max_tokens") or 16384)
        pieces = [text[i : i + CHARS_PER_TOKEN] for i in range(0, len(text), CHARS_PER_TOKEN)]
        finish = "length" if len(pieces) > max_tokens else "stop"
        pieces = pieces[:max_tokens]
        cut = int(params.get("after_events", max(1, len(pieces) // 3)))
        try:
            self._event(_chunk({"role": "assistant", "content": ""}, None, self.fake.model))
            for n, piece in enumerate(pieces):
                if mode in ("drop", "stall") and n == cut:
                    return self._break_off(mode, params)
                self._event(_chunk({"content": piece}, None, self.fake.model))
                record.events_sent += 1
                if mode == "repeat" and n % 20 == 0:
                    time.sleep(0.001)  # a GPU's pace, so a client that hangs up is noticed
            self._event(_chunk({}, finish, self.fake.model))
            self._write_chunk(b"data: [DONE]\n\n")
            self._write_chunk(b"")
        except (BrokenPipeError, ConnectionResetError):
            record.outcome = "client-closed"
            self.close_connection = True

    def _break_off(self, mode: str, params: dict[str, Any]) -> None:
        self.wfile.flush()
        if mode == "stall":
            time.sleep(float(params.get("seconds", 5.0)))
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    def _event(self, payload: dict[str, Any]) -> None:
        self._write_chunk(b"data: " + json.dumps(payload, ensure_ascii=False).encode() + b"\n\n")

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()


def _unpack(body: dict[str, Any], served: str) -> tuple[str, Image.Image, str]:
    """(problem, image, prompt) of a chat request; problem is "" when the request is well-formed."""
    blank = Image.new("RGB", (1, 1))
    if body.get("model") != served:
        return f"The model `{body.get('model')}` does not exist.", blank, ""
    messages = body.get("messages") or []
    if len(messages) != 2 or messages[0] != {"role": "system", "content": ""} or messages[1].get("role") != "user":
        return "expected a system message with empty content, then one user message", blank, ""
    content = messages[1].get("content") or []
    if len(content) != 2 or content[0].get("type") != "image_url" or content[1].get("type") != "text":
        return "expected the user content to be [image_url, text] in that order", blank, ""
    url = content[0]["image_url"]["url"]
    if not url.startswith("data:image/") or ";base64," not in url:
        return "expected the image as a base64 data URL", blank, ""
    image = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
    image.load()
    return "", image, content[1]["text"]


def _redacted(body: dict[str, Any]) -> dict[str, Any]:
    out = json.loads(json.dumps(body))
    for message in out.get("messages", []):
        for part in message.get("content") if isinstance(message.get("content"), list) else []:
            if part.get("type") == "image_url":
                part["image_url"]["url"] = f"<data URL, {len(part['image_url']['url'])} chars>"
    return out


def _chunk(delta: dict[str, Any], finish: str | None, model: str) -> dict[str, Any]:
    return {"id": f"chatcmpl-{uuid.uuid4().hex[:12]}", "object": "chat.completion.chunk", "created": int(time.time()),
            "model": model, "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}


def _completion(text: str, body: dict[str, Any], model: str) -> dict[str, Any]:
    return {"id": f"chatcmpl-{uuid.uuid4().hex[:12]}", "object": "chat.completion", "created": int(time.time()),
            "model": model, "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 0, "completion_tokens": len(text) // CHARS_PER_TOKEN}}
