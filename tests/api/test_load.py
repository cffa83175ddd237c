"""The API on a real uvicorn server on loopback: a bounded load test, and asks while an ingest runs.

The load test sends a fixed number of requests from several client threads (it stops by itself),
prints throughput and p95 latency, and fails on any failed request.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import uvicorn

from api.app import create_app
from api.services import Services
from assistant.settings import Settings
from tests.api.conftest import API, AUTH, COLLECTION, photo
from tests.api.live_server import serve
from tests.api.test_endpoints import text_pdf

CLIENTS = 6
REQUESTS = 300
QUESTIONS = ["How do I compile the NRPE addon?", "Which command installs the daemon configuration file?",
             "Wie setze ich die Umgebungsvariable für cjflash?", "What does make install-inetd do?"]


@pytest.fixture(scope="module")
def base_url(settings: Settings, services: Services, stored: dict[str, str]) -> Iterator[str]:
    server = uvicorn.Server(uvicorn.Config(create_app(settings, API, services), host="127.0.0.1", port=0,
                                           log_level="warning", timeout_keep_alive=5))
    yield from serve(server)


def one_request(http: httpx.Client, i: int, image_url: str) -> tuple[str, float, str]:
    """(kind, seconds, problem) of the i-th request of the mix; problem is '' when it went as expected."""
    kind = ("ask", "ask", "ask", "documents", "healthz", "image", "ask_stream", "documents", "ask", "healthz")[i % 10]
    started = time.perf_counter()
    try:
        if kind == "ask":
            r = http.post("/ask", json={"question": QUESTIONS[i % len(QUESTIONS)]})
            ok = r.status_code == 200 and bool(r.json()["answer"])
        elif kind == "ask_stream":
            r = http.post("/ask/stream", json={"question": QUESTIONS[i % len(QUESTIONS)]})
            ok = r.status_code == 200 and '"event":"answer"' in r.text
        elif kind == "image":
            r = http.get(image_url)
            ok = r.status_code == 200 and r.content[:2] == b"\xff\xd8"
        else:
            r = http.get(f"/{kind}")
            ok = r.status_code == 200
        problem = "" if ok else f"{kind}: {r.status_code} {r.text[:200]}"
    except httpx.HTTPError as exc:
        problem = f"{kind}: {type(exc).__name__}: {exc}"
    return kind, time.perf_counter() - started, problem


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else values[0]


def test_bounded_load_has_no_failures(base_url: str, stored: dict[str, str]) -> None:
    image_url = f"/documents/{stored['nrpe-guide_p006.jpg']}/pages/1/image?collection={COLLECTION}"
    clients = [httpx.Client(base_url=base_url, headers=AUTH, timeout=60) for _ in range(CLIENTS)]
    started = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        results = list(pool.map(lambda i: one_request(clients[i % CLIENTS], i, image_url), range(REQUESTS)))
    wall = time.perf_counter() - started
    for http in clients:
        http.close()
    failures = [problem for _, _, problem in results if problem]
    latencies = [seconds for _, seconds, _ in results]
    print(f"\nload: {REQUESTS} requests from {CLIENTS} clients in {wall:.1f} s = {REQUESTS / wall:.1f} req/s; "
          f"p50 {1000 * statistics.median(latencies):.0f} ms, p95 {1000 * p95(latencies):.0f} ms; failures {len(failures)}")
    for kind in sorted({k for k, _, _ in results}):
        times = [s for k, s, _ in results if k == kind]
        print(f"  {kind:10s} n={len(times):3d} p50 {1000 * statistics.median(times):6.0f} ms  p95 {1000 * p95(times):6.0f} ms")
    assert not failures, failures[:5]


def test_asks_while_an_ingest_and_a_delete_run(base_url: str, services: Services, stored: dict[str, str]) -> None:
    with httpx.Client(base_url=base_url, headers=AUTH, timeout=120) as http:
        pdf = http.post("/documents", files={"files": ("pump.pdf", text_pdf(), "application/pdf")})
        assert pdf.status_code == 202
        new = photo("tlsh")
        job = http.post("/documents", files={"files": (new.name, new.read_bytes(), "image/jpeg")}).json()
        statuses: list[int] = []
        stop = threading.Event()

        def keep_asking(k: int) -> None:
            with httpx.Client(base_url=base_url, headers=AUTH, timeout=120) as mine:
                while not stop.is_set():
                    statuses.append(mine.post("/ask", json={"question": QUESTIONS[k % len(QUESTIONS)]}).status_code)

        askers = [threading.Thread(target=keep_asking, args=(k,)) for k in range(3)]
        for t in askers:
            t.start()
        try:
            pump_id = pdf.json()["files"][0]["doc_id"]
            while http.get(f"/jobs/{pdf.json()['job_id']}").json()["state"] != "done":
                time.sleep(0.1)
            assert http.delete(f"/documents/{pump_id}").status_code == 200  # a delete while asks go on
            deadline = time.monotonic() + 180
            while (state := http.get(f"/jobs/{job['job_id']}").json())["state"] not in ("done", "failed"):
                assert time.monotonic() < deadline
                time.sleep(0.2)
        finally:
            stop.set()
            for t in askers:
                t.join(timeout=120)
        assert state["state"] == "done" and state["files"][0]["chunks"] > 0
        assert len(statuses) >= 6 and set(statuses) == {200}, statuses
        listed = http.get("/documents").json()["documents"]
    store = services.handles(COLLECTION).store
    chunks = store.chunks()
    assert len(chunks) == len({c.id for c in chunks}) == sum(d["chunks"] for d in listed)  # no orphans, no duplicates
    assert {c.doc_id for c in chunks} == {d["doc_id"] for d in listed} and pump_id not in {d["doc_id"] for d in listed}
