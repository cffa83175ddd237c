"""Ingest with page work in worker processes: same chunks and vectors as reading in-process, dead workers retried."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.config import IngestSettings
from ingest.run import ingest_paths
from ingest.work import ProcessWork, WorkFailed, build_work
from storage.config import StoreSettings
from tests.ingest.dying_jobs import die_always, die_once
from tests.ingest.parallel_docs import documents, make_seams, stored

CFG = IngestSettings()


def test_worker_processes_store_the_same_chunks(cpu_engine, embedder, photo_paths, reference, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    work = ProcessWork(2, StoreSettings())
    try:
        seams = make_seams(cpu_engine, embedder, tmp_path / "data", work)
        seen: list[tuple[str, int, int]] = []
        reports = ingest_paths(documents(photo_paths, tmp_path / "in"), seams, CFG, progress=lambda *a: seen.append(a))
        assert [r.ok for r in reports] == [True, True] and [r.pages for r in reports] == [1, 2]
        assert stored(seams) == reference
        assert ("binder.tiff", 2, 2) in seen
        again = ingest_paths(documents(photo_paths, tmp_path / "in"), seams, CFG)
        assert all(r.already_stored for r in again) and stored(seams) == reference
    finally:
        work.close()


def test_a_dead_worker_process_is_replaced_and_its_job_run_again(tmp_path: Path) -> None:
    work = ProcessWork(1, StoreSettings())
    try:
        marker = tmp_path / "runs"
        assert work.submit(die_once, str(marker), 21).result() == 42
        assert marker.read_text() == "2"
        with pytest.raises(WorkFailed, match="died 3 times"):
            work.submit(die_always).result()
    finally:
        work.close()


def test_workers_setting_picks_where_pages_are_read() -> None:
    assert build_work(IngestSettings(workers=1), StoreSettings()) is None
    work = build_work(IngestSettings(workers=3), StoreSettings())
    assert isinstance(work, ProcessWork) and work.slots == 3
    work.close()


DRIVER = """
import multiprocessing, sys, time
from ingest.work import ProcessWork
from storage.config import StoreSettings
if __name__ == "__main__":
    work = ProcessWork(2, StoreSettings())
    jobs = [work.submit(time.sleep, 0.5) for _ in range(4)]
    jobs[0].result()
    print(" ".join(str(p.pid) for p in multiprocessing.active_children()), flush=True)
    time.sleep(300)
"""


def test_workers_exit_when_the_ingesting_process_is_killed(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    script = tmp_path / "driver.py"
    script.write_text(DRIVER)
    root = Path(__file__).parents[2]
    driver = subprocess.Popen([sys.executable, str(script)], cwd=root, stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(root)})
    assert driver.stdout is not None
    children = [int(p) for p in driver.stdout.readline().split()]
    assert len(children) >= 2
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() and "Z" not in _state(p) for p in children):
        time.sleep(0.2)
    left = [p for p in children if Path(f"/proc/{p}").exists() and "Z" not in _state(p)]
    for pid in left:  # do not leave them behind if the check fails
        os.kill(pid, signal.SIGKILL)
    assert not left, f"worker processes {left} outlived their killed driver"


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][:1]
    except (OSError, IndexError):
        return "Z"


def test_the_default_path_never_imports_ray() -> None:
    import subprocess
    import sys

    code = ("import sys; import cli.main, ingest.parallel, ingest.page_jobs; from ingest.work import build_work; "
            "from ingest.config import IngestSettings; from storage.config import StoreSettings; "
            "build_work(IngestSettings(workers=2), StoreSettings()).close(); print('ray' in sys.modules)")
    root = Path(__file__).parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120,
                         env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"})
    assert out.stdout.strip() == "False", out.stderr[-500:]


class _Now:
    def __init__(self, value: object) -> None:
        self.value = value

    def result(self) -> object:
        return self.value

    def done(self) -> bool:
        return True


class _SlowBuild:
    """A document build that reports itself running until the driver has to wait for it."""

    def __init__(self, events: list[str], name: str, run: object) -> None:
        self.events, self.name, self.run = events, name, run

    def result(self) -> object:
        self.events.append(f"wait build {self.name}")
        return self.run()  # type: ignore[operator]

    def done(self) -> bool:
        return False


class _InProcessWork:
    """Runs page jobs at once and leaves document builds running, recording the order of events."""

    slots = 1
    store = StoreSettings()

    def __init__(self) -> None:
        self.events: list[str] = []

    def share(self, value: object) -> object:
        return value

    def submit(self, fn, *args):  # type: ignore[no-untyped-def]
        from ingest.page_jobs import build_job

        if fn is build_job:
            return _SlowBuild(self.events, args[0], lambda: fn(*args))
        self.events.append(f"page {args[0].doc_id}")
        return _Now(fn(*args))

    def close(self) -> None:
        pass


def test_the_driver_hands_out_pages_while_a_document_build_runs(embedder, photo_paths, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    import ingest.page_jobs
    from tests.ingest.fake_ocr import FixedOcr

    monkeypatch.setattr(ingest.page_jobs, "worker_engine", lambda cfg: FixedOcr())
    monkeypatch.setattr(ingest.page_jobs, "worker_embedder", lambda store: embedder)
    work = _InProcessWork()
    seams = make_seams(FixedOcr(), embedder, tmp_path / "data", work)
    from PIL import Image

    files = []
    for n in range(6):  # six one-page documents (different bytes, so different documents)
        files.append(tmp_path / f"doc{n}.jpg")
        Image.open(photo_paths[0]).convert("RGB").save(files[-1], quality=90 - n)
    reports = ingest_paths(files, seams, IngestSettings(rectify=False))
    assert all(r.ok for r in reports) and [r.source for r in reports] == [p.name for p in files]
    pages = [e for e in work.events if e.startswith("page")]
    first_wait = work.events.index(next(e for e in work.events if e.startswith("wait build")))
    # 2 x slots + 1 pages are in flight at most; two more documents' pages went out while the first build ran
    assert len(pages) == 6 and sum(work.events.index(p) < first_wait for p in pages) == 5
    assert [e.split()[-1] for e in work.events if e.startswith("wait build")] == [r.doc_id for r in reports]  # committed in input order
