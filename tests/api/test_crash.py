"""``kill -9`` of a real ingest process in the middle of a document: nothing half-stored is visible, and
running the same ingest again stores the document once, with no duplicate chunks.

Two moments are tried, in two processes running at once:

* a real ``folio serve`` is sent a three-page document over HTTP and killed during OCR (pages
  already written to the job's staging folder);
* ``folio ingest`` dies right after the chunks went into Chroma, before the one rename that commits
  the document (a small launcher makes ``Library.commit`` send SIGKILL to its own process first).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from PIL import Image

from api.services import Engines
from api.uploads import clean_uploads
from assistant.service import Assistant
from assistant.settings import Settings
from assistant.wiring import StoreHandles
from ingest.run import IngestReport, Seams, ingest_paths
from storage.chroma import ChromaStore, open_client
from storage.library import Library
from tests.api.conftest import AUTH, KEY, MINI
from tests.api.test_faults import closed_port

ROOT = Path(__file__).parents[2]
COLLECTION = "crash"
DIE_BEFORE_COMMIT = """
import os, signal, sys
from storage.library import Library
Library.commit = lambda self, staging, record: os.kill(os.getpid(), signal.SIGKILL)
from cli.main import main
sys.exit(main())
"""


@pytest.fixture(scope="module")
def binder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A three-page TIFF of fixture photos at half size."""
    frames = [Image.open(p).convert("RGB") for p in sorted((MINI / "images" / "photo").glob("*.jpg"))[:3]]
    frames = [f.resize((f.width // 2, f.height // 2)) for f in frames]
    path = tmp_path_factory.mktemp("crash") / "binder.tiff"
    frames[0].save(path, save_all=True, append_images=frames[1:])
    return path


def start(args: list[str], data_dir: Path, **env: str) -> subprocess.Popen[bytes]:
    env = {"FOLIO_DATA_DIR": str(data_dir), "FOLIO_COLLECTION": COLLECTION, "PATH": "/usr/bin:/bin", **env}
    return subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def upload_when_up(process: subprocess.Popen[bytes], port: int, binder: Path, timeout: float = 240.0) -> None:
    """Wait for ``folio serve`` to answer, check that it wants the key, and upload the binder."""
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while True:
        assert process.poll() is None, process.stderr.read().decode()[-2000:]  # type: ignore[union-attr]
        assert time.monotonic() < deadline, "folio serve did not come up"
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.2)
    assert httpx.get(f"{base}/documents").status_code == 401
    accepted = httpx.post(f"{base}/documents", headers=AUTH, files={"files": (binder.name, binder.read_bytes(), "image/tiff")})
    assert accepted.status_code == 202 and accepted.json()["files"][0]["pages"] == 3


def kill_when(process: subprocess.Popen[bytes], ready, timeout: float = 240.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not ready():
        assert process.poll() is None, f"the ingest ended before the kill: {process.stderr.read().decode()[-2000:]}"  # type: ignore[union-attr]
        assert time.monotonic() < deadline, "the ingest never got to the point of the kill"
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL


def seams_of(data_dir: Path, engines: Engines) -> Seams:
    store = ChromaStore(open_client(Settings(data_dir=data_dir, _env_file=None).store, data_dir), COLLECTION,  # type: ignore[call-arg]
                        engines.embedder.model_id)
    return Seams(engine=engines.ocr, embedder=engines.embedder, store=store, library=Library(data_dir))


def assert_nothing_visible(seams: Seams) -> None:
    assert seams.library.list(COLLECTION) == []
    docs = seams.library.root / COLLECTION / "docs"
    assert not docs.exists() or not any(docs.iterdir())
    staged = list((seams.library.root / COLLECTION / ".staging").iterdir())
    assert len(staged) == 1 and (staged[0] / "pages" / "p0001.jpg").is_file()  # the half document is only in staging


def rerun_stores_it_once(seams: Seams, binder: Path, settings: Settings) -> IngestReport:
    (report,) = ingest_paths([binder], seams, settings.ingest)
    assert report.ok and report.pages == 3 and not report.already_stored
    chunks = seams.store.chunks()
    assert len(chunks) == len({c.id for c in chunks}) == report.chunks == seams.store.count()
    assert {c.doc_id for c in chunks} == {report.doc_id} and {p for c in chunks for p in c.pages} == {1, 2, 3}
    assert [r.doc_id for r in seams.library.list(COLLECTION)] == [report.doc_id]
    assert not any((seams.library.root / COLLECTION / ".staging").iterdir())  # the dead process's staging is gone
    (again,) = ingest_paths([binder], seams, settings.ingest)
    assert again.already_stored and seams.store.count() == report.chunks
    return report


@pytest.fixture(scope="module")
def killed(binder: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Both ingests run at once (in their own data dirs); each dies by SIGKILL at its moment."""
    during_ocr, before_commit = tmp_path_factory.mktemp("kill-ocr"), tmp_path_factory.mktemp("kill-commit")
    port = closed_port()
    first = start(["-m", "cli.main", "serve", "--port", str(port)], during_ocr, FOLIO_API_KEYS=KEY)
    second = start(["-c", DIE_BEFORE_COMMIT, "ingest", str(binder)], before_commit)
    try:
        upload_when_up(first, port, binder)
        kill_when(first, lambda: any((during_ocr / "collections" / COLLECTION / ".staging").glob("*/pages/p0002.jpg")))
        assert second.wait(timeout=300) == -signal.SIGKILL, second.stderr.read().decode()[-2000:]  # type: ignore[union-attr]
    finally:
        for process in (first, second):
            if process.poll() is None:
                process.kill()
    return {"during_ocr": during_ocr, "before_commit": before_commit}


def test_kill_during_ocr(killed: dict[str, Path], binder: Path, engines: Engines, settings: Settings) -> None:
    seams = seams_of(killed["during_ocr"], engines)
    assert_nothing_visible(seams)
    assert seams.store.count() == 0
    uploads = killed["during_ocr"] / "uploads"
    assert len(list(uploads.iterdir())) == 1 and clean_uploads(uploads) == 1  # the dead server's queued file goes at the next start
    rerun_stores_it_once(seams, binder, settings)


def test_kill_after_the_chunks_are_stored_before_the_commit(killed: dict[str, Path], binder: Path, engines: Engines,
                                                            settings: Settings) -> None:
    data_dir = killed["before_commit"]
    seams = seams_of(data_dir, engines)
    assert_nothing_visible(seams)
    orphans = seams.store.count()
    assert orphans > 0  # the vectors went in; the document never became visible
    assistant = Assistant(settings.model_copy(update={"data_dir": data_dir}),
                          StoreHandles(embedder=seams.embedder, store=seams.store, library=seams.library))
    answer = assistant.ask("How do I compile the NRPE addon?")
    assert answer.abstained and not answer.citations  # readers only see committed documents
    report = rerun_stores_it_once(seams, binder, settings)
    assert report.chunks == orphans  # the re-run replaced the orphans instead of adding to them
