"""Running the API on uvicorn so that a slow or greedy client cannot lock the others out.

uvicorn's own ``limit_concurrency`` counts every open connection, so 64 half-open connections (a
request line sent, the headers never finished) made every other caller get 503, and its 503 was
plain text. Here instead:

- a connection has ``api_header_timeout`` seconds to finish each request's headers (from its first
  byte, or from the connection or the end of the previous response), else it gets a JSON 408 and is
  closed; trickling bytes does not reset the clock;
- idle or half-open connections do not count against the request limit; only ``api_max_connections``
  caps them (beyond it a new connection gets a JSON 503 and is closed);
- requests in progress are capped by ``api.overload.Overload`` (``api_max_inflight``), with a JSON
  503 and ``Retry-After`` like every other error.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from api.config import ApiSettings

KEEP_ALIVE_S = 5
RETRY_AFTER_S = 2


def raw_error(status: int, reason: str, code: str, message: str, *, retry_after: int | None = None) -> bytes:
    """A whole HTTP/1.1 error response with a JSON ``ErrorBody``, for answers sent outside any request."""
    body = json.dumps({"error": code, "message": message, "details": []}).encode()
    headers = [f"HTTP/1.1 {status} {reason}", "content-type: application/json", f"content-length: {len(body)}", "connection: close"]
    if retry_after is not None:
        headers.append(f"retry-after: {retry_after}")
    return ("\r\n".join(headers) + "\r\n\r\n").encode() + body


class GuardedH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with a header deadline and a connection cap (see the module doc)."""

    header_timeout: float = 10.0
    max_connections: int = 1024

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._header_timer: asyncio.TimerHandle | None = None
        super().connection_made(transport)
        if len(self.connections) > self.max_connections:
            transport.write(raw_error(503, "Service Unavailable", "unavailable",
                                      f"the server has {self.max_connections} open connections (FOLIO_API_MAX_CONNECTIONS); retry shortly",
                                      retry_after=RETRY_AFTER_S))
            transport.close()
            return
        self._watch_headers()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._watch_headers()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._watch_headers()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_header_timer()
        super().connection_lost(exc)

    def _watch_headers(self) -> None:
        """Run the header clock while the client owes us a request's headers; stop it once they are in."""
        waiting = self.conn.their_state is h11.IDLE and not self.transport.is_closing()
        if waiting and self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)
        elif not waiting:
            self._stop_header_timer()

    def _stop_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        if self.cycle is None or self.cycle.response_complete:
            self.transport.write(raw_error(408, "Request Timeout", "timeout",
                                           f"the request headers did not arrive within {self.header_timeout:g} s (FOLIO_API_HEADER_TIMEOUT)"))
        self.transport.close()


def protocol_for(api: ApiSettings) -> type[GuardedH11Protocol]:
    return type("FolioH11Protocol", (GuardedH11Protocol,),
                {"header_timeout": api.api_header_timeout, "max_connections": api.api_max_connections})


def server_config(app: Any, api: ApiSettings, **options: Any) -> uvicorn.Config:
    """The uvicorn configuration ``folio serve`` runs (tests start the same on port 0)."""
    return uvicorn.Config(app, host=api.api_host, port=api.api_port, workers=1, http=protocol_for(api), limit_concurrency=None,
                          timeout_keep_alive=KEEP_ALIVE_S, **options)
