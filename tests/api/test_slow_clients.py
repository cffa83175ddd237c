"""Slow and greedy clients on a real uvicorn server on loopback (issue 16.6, 16.7); bounded in time.

The server runs the configuration ``folio serve`` runs (``api.server.server_config``).
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from api.app import create_app
from api.overload import Overload
from api.services import Services
from assistant.settings import Settings
from tests.api.conftest import API, AUTH
from tests.api.live_server import serve

HALF_OPEN = 80  # more than uvicorn's old limit of 64 connections
HEADER_TIMEOUT = 1.5


@pytest.fixture(scope="module")
def base_url(settings: Settings, services: Services) -> Iterator[str]:
    from api.server import server_config

    api = API.model_copy(update={"api_port": 0, "api_header_timeout": HEADER_TIMEOUT})
    server = uvicorn.Server(server_config(create_app(settings, api, services), api, log_level="warning"))
    yield from serve(server)


def test_half_open_connections_do_not_lock_out_other_clients(base_url: str) -> None:
    host, port = base_url.removeprefix("http://").split(":")
    held = []
    try:
        for k in range(HALF_OPEN):
            s = socket.create_connection((host, int(port)), timeout=5)
            s.sendall(b"GET /documents HTTP/1.1\r\nHost: x\r\n" + (b"Authorization: Bearer " if k % 2 else b""))
            held.append(s)
        time.sleep(0.2)
        with httpx.Client(base_url=base_url, headers=AUTH, timeout=5) as http:
            for path in ("/documents", "/healthz"):
                r = http.get(path)
                assert r.status_code == 200, (path, r.status_code, r.text[:200])
        deadline = time.monotonic() + HEADER_TIMEOUT + 5
        answers = []
        for s in held:
            s.settimeout(max(0.1, deadline - time.monotonic()))
            data = b""
            while chunk := s.recv(4096):
                data += chunk
            answers.append(data)
        assert all(a.startswith(b"HTTP/1.1 408") and b'"error": "timeout"' in a for a in answers), answers[:2]
    finally:
        for s in held:
            s.close()


def test_trickling_header_bytes_does_not_keep_a_connection_open(base_url: str) -> None:
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as s:
        started = time.monotonic()
        s.settimeout(0.25)
        answer = None
        for k in range(40):  # a header line every 0.25 s: 10 s of trickling if nothing stops it
            try:
                s.sendall(b"X-Slow: %d\r\n" % k if k else b"GET /healthz HTTP/1.1\r\n")
                answer = s.recv(4096)
                break
            except TimeoutError:
                continue
            except OSError:
                answer = b""
                break
        elapsed = time.monotonic() - started
    assert answer is not None and (answer == b"" or answer.startswith(b"HTTP/1.1 408")), answer
    assert elapsed < HEADER_TIMEOUT + 2


def test_overload_is_a_json_503_with_retry_after() -> None:
    """Issue 16.7: under 200 concurrent requests most got uvicorn's plain-text 503."""
    release = asyncio.Event()

    async def slow(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": b"{}"})

    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=Overload(slow, limit=3))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            calls = [asyncio.create_task(http.get("/ask")) for _ in range(200)]
            while sum(t.done() for t in calls) < 197:
                await asyncio.sleep(0.01)
            release.set()
            return list(await asyncio.gather(*calls))

    responses = asyncio.run(asyncio.wait_for(run(), 30))
    busy = [r for r in responses if r.status_code == 503]
    assert len(busy) == 197 and sum(r.status_code == 200 for r in responses) == 3
    assert all(r.headers["content-type"] == "application/json" and r.headers["retry-after"] == "2"
               and r.json()["error"] == "unavailable" and "FOLIO_API_MAX_INFLIGHT" in r.json()["message"] for r in busy)


def test_many_concurrent_requests_on_the_real_server_never_get_a_plain_text_503(base_url: str) -> None:
    async def run() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=base_url, headers=AUTH, timeout=60, limits=limits) as http:
            return list(await asyncio.gather(*(http.get("/documents") for _ in range(200))))

    responses = asyncio.run(run())
    assert all(r.status_code in (200, 503) and r.headers["content-type"] == "application/json" for r in responses)
    assert all(r.headers.get("retry-after") for r in responses if r.status_code == 503)
