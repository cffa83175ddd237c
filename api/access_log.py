"""One line per request on stderr: method, path, status, milliseconds. No query strings, no headers
(they may carry keys), no bodies."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime

from starlette.types import ASGIApp, Message, Receive, Scope, Send


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


class AccessLog:
    def __init__(self, app: ASGIApp, write: Callable[[str], None] = _stderr) -> None:
        self.app = app
        self.write = write

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def recording(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, recording)
        finally:
            client = scope.get("client")
            stamp = datetime.now(UTC).strftime("%H:%M:%S")
            ms = 1000 * (time.perf_counter() - started)
            self.write(f"{stamp} {client[0] if client else '-'} {scope['method']} {scope['path']} {status} {ms:.0f} ms")
