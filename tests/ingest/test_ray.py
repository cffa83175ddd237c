"""Ingest through a real local Ray cluster (2 CPUs, node on a loopback address): same chunks as a
local ingest, dead workers retried, a page that keeps killing its worker stored as failed, and a
driver killed with SIGKILL leaves no half document."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from ingest.config import IngestSettings
from ingest.page_jobs import read_page_job
from ingest.ray_work import RayWork
from ingest.run import ingest_paths
from ingest.work import WorkFailed
from storage.config import StoreSettings
from storage.library import Library
from tests.ingest.dying_jobs import die_always, die_once
from tests.ingest.parallel_docs import documents, make_seams, stored

ROOT = Path(__file__).parents[2]
CFG = IngestSettings()


@pytest.fixture(scope="module")
def cluster() -> Any:
    """A local Ray cluster owned by this test process; yields its address for other drivers."""
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, _node_ip_address="127.0.0.2",
             runtime_env={"env_vars": {"PYTHONPATH": str(ROOT)}})
    yield ray.get_runtime_context().gcs_address
    ray.shutdown()


def test_ray_ingest_stores_the_same_chunks(cluster, cpu_engine, embedder, photo_paths, reference, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    seams = make_seams(cpu_engine, embedder, tmp_path / "data", RayWork(cluster, StoreSettings()))
    reports = ingest_paths(documents(photo_paths, tmp_path / "in"), seams, CFG)
    assert [r.ok for r in reports] == [True, True] and [r.pages_ok for r in reports] == [1, 2]
    assert stored(seams) == reference


def test_a_dead_ray_worker_is_retried_then_the_job_fails(cluster, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    work = RayWork(cluster, StoreSettings())
    marker = tmp_path / "runs"
    assert work.submit(die_once, str(marker), 21).result() == 42
    assert marker.read_text() == "2"
    with pytest.raises(WorkFailed, match="died on every one of 3 attempts"):
        work.submit(die_always).result()


class PageTwoKillsItsWorker:
    """The real Ray work, except that the job of page 2 kills its worker on every attempt."""

    def __init__(self, work: RayWork) -> None:
        self.work, self.store = work, work.store

    @property
    def slots(self) -> int:
        return self.work.slots

    def share(self, value: Any) -> Any:
        return self.work.share(value)

    def submit(self, fn: Any, *args: Any) -> Any:
        page_two = fn is read_page_job and args[1] == 2
        return self.work.submit(die_always if page_two else fn, *args)

    def close(self) -> None:
        self.work.close()


def test_a_page_that_keeps_failing_is_stored_as_failed(cluster, cpu_engine, embedder, photo_paths, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    binder = documents(photo_paths, tmp_path / "in")[-1]
    seams = make_seams(cpu_engine, embedder, tmp_path / "data", PageTwoKillsItsWorker(RayWork(cluster, StoreSettings())))
    [report] = ingest_paths([binder], seams, CFG)
    assert report.ok and (report.pages_ok, report.pages_failed) == (1, 1)
    record = seams.library.get("t", report.doc_id)
    assert record.pages[1].status == "failed" and "died" in record.pages[1].error and not record.pages[1].lines
    assert seams.library.page_image("t", report.doc_id, 2).is_file()
    assert {c.pages[0] for c in seams.store.chunks()} == {1}


def test_driver_killed_mid_ray_ingest_leaves_no_half_document(cluster, photo_paths, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    files = [str(p) for p in documents(photo_paths, tmp_path / "in")]  # a photo, then a two-page TIFF
    data = tmp_path / "data"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FOLIO_DATA_DIR": str(data), "FOLIO_RAY_ADDRESS": cluster}
    command = [sys.executable, "-m", "cli.main", "ingest", *files, "--collection", "k", "--json"]
    staging = data / "collections" / "k" / ".staging"
    driver = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    while not any(staging.glob("*/pages/*.jpg")) and driver.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert driver.poll() is None, "the ingest finished before it could be killed"
    driver.send_signal(signal.SIGKILL)
    driver.wait()

    library = Library(data)
    for record in library.list("k"):  # whatever is visible is whole
        assert len(record.pages) == record.n_pages and all(p.lines for p in record.pages)
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    reports = json.loads(done.stdout)["documents"]
    assert [r["pages_ok"] for r in reports] == [1, 2]
    records = library.list("k")
    assert len(records) == 2 and not any(staging.iterdir())

    from storage.chroma import ChromaStore, open_client
    from storage.embed import build_embedder

    store = ChromaStore(open_client(StoreSettings(), data), "k", build_embedder(StoreSettings()).model_id)
    chunks = store.chunks()
    assert len(chunks) == len({c.id for c in chunks}) == sum(r.n_chunks for r in records)
    assert {c.doc_id for c in chunks} == {r.doc_id for r in records}
