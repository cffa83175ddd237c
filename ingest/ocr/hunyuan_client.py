"""An HTTP client for HunyuanOCR served by vLLM's OpenAI-compatible API.

Every request is a streamed chat completion: a system message with empty content, then a user
message holding the image (a data URL) and the task prompt, with greedy sampling and a
``max_tokens`` cap. The stream is read as server-sent events and cut short when the output starts
looping (``RepetitionGuard``). Connect errors, timeouts, 429 and 5xx answers and streams that break
off are retried a bounded number of times with exponential backoff (429 honours ``Retry-After``);
other failures raise at once. Errors are Folio's: ``EngineUnavailable`` when the server cannot be
reached, ``ConfigError`` for a wrong key, URL or model name, ``OcrError`` for the rest.
"""

from __future__ import annotations

import json
import logging
import random
import time
from dataclasses import dataclass
from typing import Any

import httpx

from ingest.config import IngestSettings
from ingest.ocr.hunyuan_prompts import SAMPLING_1_5, Sampling
from ingest.ocr.hunyuan_repeat import RepetitionGuard, trim_repetition
from storage.errors import AppError, ConfigError, EngineUnavailable, OcrError

log = logging.getLogger(__name__)

FIX_HINT = "start it on the GPU host with scripts/serve-hunyuan.sh, check FOLIO_HUNYUAN_BASE_URL, or use FOLIO_OCR_ENGINE=cpu"


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry a retryable failure (seconds)."""

    attempts: int = 3  # tries in all, the first included
    backoff_s: float = 1.0  # wait before the 2nd try; doubled for each next one, with jitter
    max_backoff_s: float = 20.0
    max_retry_after_s: float = 60.0  # longest Retry-After honoured


@dataclass(frozen=True)
class Completion:
    """One answer: its text and how it ended."""

    text: str
    finish_reason: str  # "stop", "length" (hit max_tokens) or "repetition" (cut by the client)
    seconds: float
    attempts: int = 1
    streamed_chars: int = 0  # characters received (more than len(text) when a looping tail was trimmed)


class _Transient(Exception):
    """A failure worth retrying: the user-facing error, and how long the server asked us to wait."""

    def __init__(self, error: AppError, retry_after: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after


class HunyuanClient:
    """Speaks to one vLLM server. Thread-safe: one client serves all concurrent pages."""

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        timeout: float = 120.0,
        max_tokens: int = 16384,
        sampling: Sampling = SAMPLING_1_5,
        retry: RetryPolicy | None = None,
        max_connections: int = 8,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.timeout = timeout
        self.max_tokens = max_tokens
        self.sampling = sampling
        self.retry = retry or RetryPolicy()
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(
            base_url=self.base_url,
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
        )

    @classmethod
    def from_settings(cls, cfg: IngestSettings, **kwargs: Any) -> HunyuanClient:
        """A client for the server configured in ``cfg`` (``FOLIO_HUNYUAN_*``)."""
        if not cfg.hunyuan_base_url:
            raise ConfigError("no HunyuanOCR server configured: set FOLIO_HUNYUAN_BASE_URL (e.g. http://gpu-host:8000/v1)")
        key = cfg.hunyuan_api_key.get_secret_value() if cfg.hunyuan_api_key else None
        kwargs.setdefault("max_connections", cfg.hunyuan_concurrency)
        return cls(cfg.hunyuan_base_url, cfg.hunyuan_model, api_key=key, timeout=cfg.hunyuan_timeout, **kwargs)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> HunyuanClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def served_models(self) -> list[str]:
        """The model names the server serves (``GET /v1/models``), without retries."""
        try:
            response = self._http.get("/models", timeout=min(self.timeout, 10.0))
        except httpx.HTTPError as exc:
            raise self._transport_error(exc, "listing models").error from exc
        if response.status_code != 200:
            failure = self._status_error(response, "listing models")
            raise failure.error if isinstance(failure, _Transient) else failure
        try:
            return [str(item["id"]) for item in response.json()["data"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise OcrError(f"{self.base_url}/models did not answer like an OpenAI-compatible server: {response.text[:200]!r}") from exc

    def complete(self, image_url: str, prompt: str, *, where: str = "") -> Completion:
        """Ask ``prompt`` about the image at ``image_url`` (a data URL); retries transient failures."""
        started = time.monotonic()
        for attempt in range(1, self.retry.attempts + 1):
            try:
                text, finish, streamed = self._stream(image_url, prompt)
                return Completion(text=text, finish_reason=finish, seconds=time.monotonic() - started, attempts=attempt,
                                  streamed_chars=streamed)
            except _Transient as exc:
                if attempt == self.retry.attempts:
                    raise exc.error from exc
                wait = self._wait(attempt, exc.retry_after)
                log.info("%s: %s; retry %d/%d in %.2fs", where or "HunyuanOCR", exc.error, attempt, self.retry.attempts - 1, wait)
                time.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def payload(self, image_url: str, prompt: str) -> dict[str, Any]:
        """The request body: empty system message, then the image and the verbatim prompt."""
        return {
            "model": self.model,
            "messages": [
                {"role": "system", "content": ""},
                {
                    "role": "user",
                    "content": [
                        {"type": "image_url", "image_url": {"url": image_url}},
                        {"type": "text", "text": prompt},
                    ],
                },
            ],
            "max_tokens": self.max_tokens,
            "stream": True,
            **self.sampling.request_fields(),
        }

    def _wait(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.retry.max_retry_after_s)
        backoff = self.retry.backoff_s * 2 ** (attempt - 1)
        return min(backoff * random.uniform(0.8, 1.2), self.retry.max_backoff_s)

    def _stream(self, image_url: str, prompt: str) -> tuple[str, str, int]:
        deadline = time.monotonic() + self.timeout
        try:
            with self._http.stream("POST", "/chat/completions", json=self.payload(image_url, prompt)) as response:
                if response.status_code != 200:
                    response.read()
                    raise self._status_error(response, "OCR request")
                return self._read_events(response, deadline)
        except httpx.HTTPError as exc:
            raise self._transport_error(exc, "OCR request") from exc

    def _read_events(self, response: httpx.Response, deadline: float) -> tuple[str, str, int]:
        guard = RepetitionGuard()
        finish = ""
        for line in response.iter_lines():
            if time.monotonic() > deadline:
                raise _Transient(OcrError(f"HunyuanOCR at {self.base_url} took longer than {self.timeout:g}s", retryable=True))
            if not line.startswith("data:"):
                continue
            data = line[5:].strip()
            if data == "[DONE]":
                return guard.text, finish or "stop", guard.length
            piece, finish = self._event(data, finish)
            if piece and guard.feed(piece):
                return trim_repetition(guard.text), "repetition", guard.length
        if finish:
            return guard.text, finish, guard.length
        raise _Transient(OcrError(f"HunyuanOCR at {self.base_url} closed the stream before the answer ended", retryable=True))

    def _event(self, data: str, finish: str) -> tuple[str, str]:
        try:
            event = json.loads(data)
        except json.JSONDecodeError as exc:
            raise OcrError(f"HunyuanOCR at {self.base_url} sent an event that is not JSON: {data[:120]!r}") from exc
        if "error" in event:
            raise _Transient(OcrError(f"HunyuanOCR at {self.base_url} failed mid-answer: {str(event['error'])[:200]}", retryable=True))
        choices = event.get("choices") or [{}]
        delta = choices[0].get("delta") or {}
        return delta.get("content") or "", choices[0].get("finish_reason") or finish

    def _transport_error(self, exc: httpx.HTTPError, what: str) -> _Transient:
        if isinstance(exc, httpx.ConnectError):
            return _Transient(EngineUnavailable(f"HunyuanOCR server at {self.base_url} refused the connection or cannot be reached ({exc}); {FIX_HINT}"))
        if isinstance(exc, httpx.TimeoutException):
            return _Transient(OcrError(f"HunyuanOCR at {self.base_url}: no answer within {self.timeout:g}s ({what})", retryable=True))
        return _Transient(OcrError(f"HunyuanOCR at {self.base_url} broke off the {what}: {type(exc).__name__}: {exc}", retryable=True))

    def _status_error(self, response: httpx.Response, what: str) -> _Transient | AppError:
        code = response.status_code
        detail = _error_message(response)
        if code == 429 or code >= 500:
            return _Transient(OcrError(f"HunyuanOCR at {self.base_url} answered {code} to the {what}: {detail}", retryable=True),
                              retry_after=_retry_after(response))
        if code in (401, 403):
            return ConfigError(f"HunyuanOCR at {self.base_url} rejected the API key ({code}); set FOLIO_HUNYUAN_API_KEY to the server's --api-key")
        if code == 404:
            return ConfigError(f"HunyuanOCR at {self.base_url} answered 404 to the {what} ({detail}); check FOLIO_HUNYUAN_BASE_URL (it ends in /v1) "
                               f"and FOLIO_HUNYUAN_MODEL={self.model!r} (the server's --served-model-name)")
        return OcrError(f"HunyuanOCR at {self.base_url} refused the {what} ({code}): {detail}")


def _error_message(response: httpx.Response) -> str:
    try:
        body = response.json()
        message = body.get("error", {}).get("message") if isinstance(body.get("error"), dict) else body.get("message")
        return str(message or body)[:300]
    except (ValueError, AttributeError):
        return response.text[:300]


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None
