"""A cap on requests in progress: beyond ``api_max_inflight`` a request gets a JSON 503 with Retry-After.

Only requests count (an idle or half-open connection holds no slot), and ``/healthz`` is always
answered so that a load balancer can tell "busy" from "down".
"""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import error_response

log = logging.getLogger(__name__)

RETRY_AFTER_S = 2
ALWAYS = frozenset({"/healthz"})


class Overload:
    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.limit = limit
        self.inflight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in ALWAYS:
            await self.app(scope, receive, send)
            return
        if self.inflight >= self.limit:
            log.info("overloaded: %d requests in progress", self.inflight)
            await error_response(503, f"the server is busy ({self.limit} requests in progress, FOLIO_API_MAX_INFLIGHT); "
                                 f"retry after {RETRY_AFTER_S} s", code="unavailable", retry_after=RETRY_AFTER_S)(scope, receive, send)
            return
        self.inflight += 1  # one event loop: no lock needed
        try:
            await self.app(scope, receive, send)
        finally:
            self.inflight -= 1
