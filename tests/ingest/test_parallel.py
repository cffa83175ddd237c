"""Ingest with page work in worker processes: same chunks as reading in-process, dead workers retried."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from ingest.config import IngestSettings
from ingest.run import Seams, ingest_paths
from ingest.work import ProcessWork, WorkFailed, build_work
from storage.chroma import ChromaStore, open_client
from storage.config import StoreSettings
from storage.library import Library
from tests.ingest.dying_jobs import die_always, die_once

CFG = IngestSettings()


def make_seams(engine, embedder, data_dir: Path, work=None) -> Seams:  # type: ignore[no-untyped-def]
    client = open_client(StoreSettings(), data_dir)
    return Seams(engine=engine, embedder=embedder, store=ChromaStore(client, "t", embedder.model_id),
                 library=Library(data_dir), work=work)


def documents(photo_paths: list[Path], folder: Path) -> list[Path]:
    """Three documents, four pages: two photos and a two-page TIFF."""
    folder.mkdir(exist_ok=True)
    binder = folder / "binder.tiff"
    frames = [Image.open(p).convert("RGB") for p in photo_paths[2:4]]
    frames[0].save(binder, save_all=True, append_images=frames[1:])
    return [photo_paths[0], photo_paths[1], binder]


def stored(seams: Seams) -> list[tuple[str, str, tuple[int, ...]]]:
    return sorted((c.id, c.text, c.pages) for c in seams.store.chunks())


@pytest.fixture(scope="session")
def engine():  # type: ignore[no-untyped-def]
    from ingest.ocr.cpu import CpuOcr

    return CpuOcr(model=CFG.ocr_model, threads=1)


@pytest.fixture(scope="session")
def reference(engine, embedder, photo_paths: list[Path], tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The documents ingested in this process (no workers): the chunks every other way must store."""
    root = tmp_path_factory.mktemp("reference")
    seams = make_seams(engine, embedder, root / "data")
    reports = ingest_paths(documents(photo_paths, root / "in"), seams, CFG)
    assert [r.pages_ok for r in reports] == [1, 1, 2]
    return stored(seams)


def test_worker_processes_store_the_same_chunks(engine, embedder, photo_paths, reference, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    work = ProcessWork(2, StoreSettings())
    try:
        seams = make_seams(engine, embedder, tmp_path / "data", work)
        seen: list[tuple[str, int, int]] = []
        reports = ingest_paths(documents(photo_paths, tmp_path / "in"), seams, CFG, progress=lambda *a: seen.append(a))
        assert [r.ok for r in reports] == [True, True, True] and [r.pages for r in reports] == [1, 1, 2]
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
