"""Client of an OpenAI-compatible chat server (vLLM, llama.cpp server, OpenAI...): the only HTTP here.

``complete(messages, on_delta)`` posts ``/chat/completions`` with ``stream: true`` and reads the
server-sent events, handing each text delta to ``on_delta``; it returns the text and the finish
reason (``"length"``: cut off by the token limit). Connection errors, timeouts, 429 and 5xx are
retried a bounded number of times with backoff, but only before the first token arrived (a
half-streamed answer is never repeated). ``timeout`` applies to each read and also to the wait for
the first token and between tokens (keep-alive pings do not count); ``deadline`` bounds the whole
answer. A 200 answer with no event at all is what llama.cpp's server sends for a prompt longer
than its context: it is reported as such, not retried. Failures become ``EngineUnavailable``
(server down, slow or failing) or ``ConfigError`` (wrong URL, model or key), with the URL in the
message. ``served_models()`` reads ``GET /models`` (names and, where the server says it, the
context length).
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


@dataclass(frozen=True)
class Completion:
    text: str
    finish_reason: str  # "stop", "length", ... ("" when the server named none)


@dataclass(frozen=True)
class ServedModel:
    name: str
    context: int | None  # max_model_len (vLLM) or n_ctx, when the server says it


class _Retryable(Exception):
    pass


class _Empty(Exception):
    """A 200 answer that ended without a single event."""


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
        deadline: float = 300.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.url = self.base_url + "/chat/completions"
        self.model = model
        self.timeout = timeout
        self.deadline = deadline
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
        return self.complete(messages, on_delta).text

    def served_models(self, timeout: float | None = None) -> list[ServedModel]:
        """``GET /models``: what the server serves. Raises ``EngineUnavailable`` or ``ConfigError``."""
        url = self.base_url + "/models"
        try:
            response = self._http.get(url, timeout=timeout or min(self.timeout, 10.0))
        except httpx.TimeoutException as exc:
            raise EngineUnavailable(f"chat server at {url} did not answer within {timeout or min(self.timeout, 10.0):g} s: it is "
                                    "hung, or busy with another answer (llama.cpp's server answers one request at a time)") from exc
        except httpx.HTTPError as exc:
            raise EngineUnavailable(f"chat server at {url} does not answer ({type(exc).__name__}); check that it is running") from exc
        if response.status_code in (401, 403):
            raise ConfigError(f"chat server at {url} refused the key (HTTP {response.status_code}); set FOLIO_LLM_API_KEY")
        if response.status_code != 200:
            raise EngineUnavailable(f"chat server at {url} answered HTTP {response.status_code}; check FOLIO_LLM_BASE_URL (it ends in /v1)")
        try:
            data = response.json().get("data", [])
        except (ValueError, AttributeError) as exc:
            raise EngineUnavailable(f"chat server at {url} did not answer JSON; check FOLIO_LLM_BASE_URL") from exc
        out = []
        for entry in data if isinstance(data, list) else []:
            if isinstance(entry, dict) and entry.get("id"):
                context = entry.get("max_model_len") or (entry.get("meta") or {}).get("n_ctx_train") or entry.get("n_ctx")
                out.append(ServedModel(name=str(entry["id"]), context=int(context) if isinstance(context, int | float) else None))
        return out

    def complete(self, messages: Sequence[Message], on_delta: Callable[[str], None]) -> Completion:
        """Stream a completion: its text (also given piece by piece to ``on_delta``) and finish reason."""
        payload = {
            "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "stream": True,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
        }
        started = time.monotonic()
        for attempt in range(self.retries + 1):
            received: list[str] = []
            try:
                reason = self._stream(payload, lambda d: (received.append(d), on_delta(d)), started + self.deadline)
                return Completion(text="".join(received), finish_reason=reason)
            except _Empty as exc:
                chars = sum(len(m.content) for m in messages)
                raise EngineUnavailable(
                    f"chat server at {self.url} sent an empty answer to a prompt of about {chars // 3} tokens: the prompt is "
                    "probably longer than the server's context; set FOLIO_LLM_CONTEXT_TOKENS to the server's context size "
                    "(llama.cpp: --n_ctx) or start the server with a larger one") from exc
            except _Retryable as exc:
                if received or attempt == self.retries:
                    raise EngineUnavailable(f"chat server at {self.url} failed: {exc}; check that it is running and serves {self.model!r}") from exc
                log.warning("chat server at %s: %s; retrying (%d/%d)", self.url, exc, attempt + 1, self.retries)
                time.sleep(self.backoff * 2**attempt)
        raise AssertionError("unreachable")

    def _stream(self, payload: dict[str, object], on_delta: Callable[[str], object], deadline: float) -> str:
        """Read one streamed answer; returns its finish reason."""
        last_token = time.monotonic()
        got: list[str] = []

        def token(delta: str) -> None:
            nonlocal last_token
            last_token = time.monotonic()
            got.append(delta)
            on_delta(delta)

        try:
            with self._http.stream("POST", self.url, json=payload) as response:
                _check_status(response, self.url, self.model)
                reason = ""
                events = 0
                for line in response.iter_lines():
                    now = time.monotonic()
                    if now > deadline:
                        raise EngineUnavailable(f"chat server at {self.url} did not finish the answer within {self.deadline:g} s "
                                                "(FOLIO_LLM_DEADLINE)")
                    if now - last_token > self.timeout:
                        raise _Retryable(f"no token within the timeout of {self.timeout:g} s (only keep-alive pings)")
                    state = _read_event(line, token)
                    events += state != "ignored"
                    if state == "done":
                        return reason
                    if state not in ("", "ignored"):
                        reason = state
                if events == 0:
                    raise _Empty()
                if not reason:
                    raise _Retryable("the answer stream ended before the server said it was complete")
                return reason
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
    """Handle one SSE line: "done" at [DONE], the finish reason when a choice has one, "" for another
    event, "ignored" for a line that is no event (a blank line, a ``: ping`` comment)."""
    if not line.startswith("data:"):
        return "ignored"
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
            state = str(choice["finish_reason"])
    return state
