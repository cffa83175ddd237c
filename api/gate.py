"""The ASGI gate in front of every route: key, rate limit and content type, before any body is read.

Order: an unknown or missing key is a 401 (and counts against the caller's address, so keys cannot
be guessed at full speed); a caller over its rate gets a 429 with ``Retry-After``; a POST whose
``Content-Type`` is not the one its route takes gets a 415. Body size limits are per route
(FastAPI's ``max_body_size``), so nothing here buffers a body.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from starlette.datastructures import Headers
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import KeyCheck
from api.errors import error_response
from api.limits import RateLimiter
from api.schemas import ErrorBody

log = logging.getLogger(__name__)

OPEN_PATHS = frozenset({"/", "/healthz", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"})
OPEN_PREFIX = "/docs-assets/"  # the Swagger UI's own files (api/docs.py)


class Gate:
    def __init__(self, app: ASGIApp, *, keys: KeyCheck, limiter: RateLimiter, media_types: Mapping[tuple[str, str], str]) -> None:
        self.app = app
        self.keys = keys
        self.limiter = limiter
        self.media_types = media_types

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS or scope["path"].startswith(OPEN_PREFIX):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        client = scope.get("client")
        address = f"addr:{client[0]}" if client else "addr:unknown"
        caller = address
        if self.keys.required:
            found = self.keys.identify(headers.get("authorization"))
            if found is None:
                wait = self.limiter.take(address)
                response = (error_response(429, f"too many requests without a valid key; retry after {wait} s", retry_after=wait)
                            if wait else _unauthorized(headers.get("authorization")))
                await response(scope, receive, send)
                return
            caller = found
        wait = self.limiter.take(caller)
        if wait:
            log.info("rate limit: %s waits %d s", caller, wait)
            await error_response(429, f"rate limit reached; retry after {wait} s (FOLIO_API_RATE_PER_MINUTE)",
                                 retry_after=wait)(scope, receive, send)
            return
        expected = self.media_types.get((scope["method"], scope["path"]))
        if expected and not _is_media_type(headers.get("content-type", ""), expected):
            got = headers.get("content-type") or "no Content-Type"
            await error_response(415, f"{scope['method']} {scope['path']} takes {expected}, not {got[:80]}")(scope, receive, send)
            return
        await self.app(scope, receive, _json_too_large(scope, send))


def _json_too_large(scope: Scope, send: Send) -> Send:
    """Starlette's body limiter answers 413 in plain text; send our JSON error instead."""
    replaced = False

    async def wrapped(message: Message) -> None:
        nonlocal replaced
        if message["type"] == "http.response.start" and message["status"] == 413:
            content_type = Headers(raw=message.get("headers", [])).get("content-type", "")
            if content_type.startswith("text/plain"):
                replaced = True
                limit = scope.get(MAX_BODY_SIZE_SCOPE_KEY)
                size = f" of {limit:,} bytes" if isinstance(limit, int) else ""
                body = ErrorBody(error="too_large", message=f"the request body is over the limit{size} for "
                                 f"{scope['method']} {scope['path']}; send less (FOLIO_API_MAX_JSON_KB, FOLIO_API_MAX_UPLOAD_MB)")
                data = body.model_dump_json().encode()
                await send({"type": "http.response.start", "status": 413,
                            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]})
                await send({"type": "http.response.body", "body": data})
                return
        if replaced:
            return
        await send(message)

    return wrapped


def _is_media_type(header: str, expected: str) -> bool:
    media, _, params = header.partition(";")
    if media.strip().lower() != expected:
        return False
    return expected != "multipart/form-data" or "boundary=" in params.lower()


def _unauthorized(header: str | None):  # type: ignore[no-untyped-def]
    message = ("this API needs a key: send 'Authorization: Bearer <key>'" if not header
               else "the key in the Authorization header is not valid (send 'Authorization: Bearer <key>')")
    response = error_response(401, message)
    response.headers["WWW-Authenticate"] = "Bearer"
    return response
