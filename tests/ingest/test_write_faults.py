"""Faults on the write path (issue 16): interrupted writes and deletes, damaged manifests, a full disk.

A fixed fake OCR engine keeps these fast; the store, the library and the embedder are real.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from ingest.config import IngestSettings
from ingest.run import Seams, ingest_paths, recover
from storage.chroma import ChromaStore, open_client
from storage.config import StoreSettings
from storage.library import Library
from tests.ingest.fake_ocr import FixedOcr

CFG = IngestSettings()


@pytest.fixture()
def seams(embedder, _data_dir: Path) -> Seams:  # type: ignore[no-untyped-def]
    client = open_client(StoreSettings(), _data_dir)
    return Seams(engine=FixedOcr(), embedder=embedder, store=ChromaStore(client, "w", embedder.model_id), library=Library(_data_dir))


def page_files(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for k in range(n):
        path = folder / f"page{k}.png"
        Image.new("RGB", (200 + k, 300), "white").save(path)
        paths.append(path)
    return paths


def vectors_of(seams: Seams) -> set[str]:
    return seams.store.doc_ids()


def test_vectors_left_by_an_interrupted_delete_or_failed_write_are_swept_on_the_next_write(seams: Seams, tmp_path: Path) -> None:
    """Issue 16.3: a delete killed between the manifest and the vectors, and a write whose clean-up failed
    (a full disk), left vectors that nothing removed."""
    a, b, c = (r.doc_id for r in ingest_paths(page_files(tmp_path / "in", 3), seams, CFG))
    seams.library.delete("w", a)  # killed here: the vectors of a stay
    (seams.library.doc_dir("w", c) / "document.json").write_text("{damaged", encoding="utf-8")
    leftover = seams.store.chunks(doc_ids={b})
    seams.library.delete("w", b)
    seams.store.upsert(leftover, seams.embedder.embed_documents([ch.text for ch in leftover]))
    assert vectors_of(seams) == {a, b, c}
    assert recover(seams) == 2
    assert vectors_of(seams) == {c}  # a damaged manifest keeps its vectors: 'folio docs delete' removes both
    new = ingest_paths(page_files(tmp_path / "more", 1), seams, CFG)[0].doc_id
    seams.library.delete("w", new)
    ingest_paths([], seams, CFG)  # the next write sweeps too
    assert vectors_of(seams) == {c}


def test_the_sweep_keeps_the_vectors_of_a_document_being_written(seams: Seams, tmp_path: Path) -> None:
    seams.library.staging_dir("w", "beef0000beef0000")  # this live process is writing it
    from storage.schema import BBox, Chunk, SourceRef

    chunk = Chunk(id="c-beef", doc_id="beef0000beef0000", text="in flight",
                  refs=(SourceRef(doc_id="beef0000beef0000", page=1, bbox=BBox(x0=0, y0=0, x1=1, y1=1), start=0, end=2),))
    seams.store.upsert([chunk], seams.embedder.embed_documents([chunk.text]))
    assert recover(seams) == 0 and vectors_of(seams) == {"beef0000beef0000"}


def test_a_damaged_manifest_neither_breaks_asking_nor_aborts_an_ingest(seams: Seams, tmp_path: Path, _data_dir: Path) -> None:
    """Issue 16.4: one damaged document.json made every ask of its collection fail, and an ingest that
    included its file aborted the whole run."""
    from assistant.service import Assistant, ask
    from assistant.settings import Settings
    from assistant.wiring import StoreHandles

    files = page_files(tmp_path / "in", 3)
    good, damaged, third = (r.doc_id for r in ingest_paths(files, seams, CFG))
    manifest = seams.library.doc_dir("w", damaged) / "document.json"
    manifest.write_text('{"doc_id": "' + damaged + '", "pages": [', encoding="utf-8")
    settings = Settings(data_dir=_data_dir, collection="w", _env_file=None)  # type: ignore[call-arg]
    assistant = Assistant(settings, StoreHandles(embedder=seams.embedder, store=seams.store, library=seams.library))
    answer = ask("How long do I press the reset button?", assistant)
    shown = {c.doc_id for c in answer.citations} | {p.doc_id for p in answer.pages}
    assert answer.pages and shown <= {good, third}  # the others still answer; the damaged one is hidden
    more = page_files(tmp_path / "more", 1)
    reports = ingest_paths([*files, *more], seams, CFG)  # the damaged document's file again, and a new one
    assert [r.ok for r in reports] == [True] * 4, [r.error for r in reports]
    assert damaged in {r.doc_id for r in seams.library.list("w")}  # stored again: repaired
    assert {r.doc_id for r in seams.library.list("w")} == {*(r.doc_id for r in reports)}
