"""Client of an OpenAI-compatible chat server (vLLM, llama.cpp server, OpenAI...): the only HTTP here.

``chat(messages, on_delta)`` posts ``/chat/completions`` with ``stream: true`` and reads the
server-sent events, handing each text delta to ``on_delta``. Connection errors, timeouts, 429 and
5xx are retried a bounded number of times with backoff, but only before the first token arrived
(a half-streamed answer is never repeated). Failures become ``EngineUnavailable`` (server down,
slow or failing) or ``ConfigError`` (wrong URL, model or key), with the URL in the message.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx

from storage.errors import ConfigError, EngineUnavailable

log = logging.getLogger(__name__)

RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class Message:
    role: str  # "system", "user" or "assistant"
    content: str


class _Retryable(Exception):
    pass


class ChatClient:
    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        timeout: float = 60.0,
        retries: int = 2,
        backoff: float = 0.5,
        temperature: float = 0.0,
        max_tokens: int = 700,
    ) -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.retries = retries
        self.backoff = backoff
        self.temperature = temperature
        self.max_tokens = max_tokens
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)), headers=headers)

    def close(self) -> None:
        self._http.close()

    def chat(self, messages: Sequence[Message], on_delta: Callable[[str], None]) -> str:
        """Stream a completion; returns the whole text (also given piece by piece to ``on_delta``)."""
        payload = {
            "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "stream": True,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
        }
        for attempt in range(self.retries + 1):
            received: list[str] = []
            try:
                self._stream(payload, lambda d: (received.append(d), on_delta(d)))
                return "".join(received)
            except _Retryable as exc:
                if received or attempt == self.retries:
                    raise EngineUnavailable(f"chat server at {self.url} failed: {exc}; check that it is running and serves {self.model!r}") from exc
                log.warning("chat server at %s: %s; retrying (%d/%d)", self.url, exc, attempt + 1, self.retries)
                time.sleep(self.backoff * 2**attempt)
        raise AssertionError("unreachable")

    def _stream(self, payload: dict[str, object], on_delta: Callable[[str], object]) -> None:
        try:
            with self._http.stream("POST", self.url, json=payload) as response:
                _check_status(response, self.url, self.model)
                finished = False
                for line in response.iter_lines():
                    state = _read_event(line, on_delta)
                    if state == "done":
                        return
                    finished = finished or state == "finished"
                if not finished:
                    raise _Retryable("the answer stream ended before the server said it was complete")
        except httpx.TimeoutException as exc:
            raise _Retryable(f"no answer within the timeout ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise _Retryable(f"connection failed ({type(exc).__name__}: {exc})") from exc


def _check_status(response: httpx.Response, url: str, model: str) -> None:
    if response.status_code == 200:
        return
    body = response.read().decode("utf-8", "replace")[:300]
    if response.status_code in RETRY_STATUS:
        raise _Retryable(f"HTTP {response.status_code}: {body}")
    if response.status_code in (401, 403):
        raise ConfigError(f"chat server at {url} refused the key (HTTP {response.status_code}); set FOLIO_LLM_API_KEY")
    if response.status_code == 404:
        raise ConfigError(f"chat server at {url} answered 404 ({body}); check FOLIO_LLM_BASE_URL (it ends in /v1) and FOLIO_LLM_MODEL={model!r}")
    raise EngineUnavailable(f"chat server at {url} answered HTTP {response.status_code}: {body}")


def _read_event(line: str, on_delta: Callable[[str], object]) -> str:
    """Handle one SSE line: "done" at [DONE], "finished" when a choice has a finish reason, else ""."""
    if not line.startswith("data:"):
        return ""
    data = line[5:].strip()
    if data == "[DONE]":
        return "done"
    try:
        event = json.loads(data)
    except json.JSONDecodeError as exc:
        raise EngineUnavailable(f"chat server sent an event that is not JSON: {data[:200]!r}") from exc
    if "error" in event:
        raise EngineUnavailable(f"chat server reported an error mid-stream: {event['error']}")
    state = ""
    for choice in event.get("choices") or []:
        delta = (choice.get("delta") or {}).get("content")
        if delta:
            on_delta(delta)
        if choice.get("finish_reason"):
            state = "finished"
    return state
