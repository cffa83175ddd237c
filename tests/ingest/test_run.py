"""The whole write path with real components: CPU OCR on real photos, real Chroma, real embedder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from ingest.config import IngestSettings
from ingest.delete import delete_document
from ingest.run import Seams, ingest_file, ingest_paths
from storage.chroma import ChromaStore, open_client
from storage.config import StoreSettings
from storage.library import Library
from storage.schema import BBox

CFG = IngestSettings()


@pytest.fixture(scope="session")
def engine():  # type: ignore[no-untyped-def]
    from ingest.ocr.cpu import CpuOcr

    return CpuOcr(model=CFG.ocr_model, threads=1)


@pytest.fixture()
def seams(engine, embedder, _data_dir: Path) -> Seams:  # type: ignore[no-untyped-def]
    client = open_client(StoreSettings(), _data_dir)
    return Seams(engine=engine, embedder=embedder, store=ChromaStore(client, "t", embedder.model_id), library=Library(_data_dir))


def by_name(photo_paths: list[Path], part: str) -> Path:
    return next(p for p in photo_paths if part in p.name)


def test_photo_becomes_a_stored_document_with_boxed_chunks(seams: Seams, photo_paths: list[Path]) -> None:
    photo = by_name(photo_paths, "nrpe")
    report = ingest_file(photo, seams, CFG)
    assert report.ok and report.pages == 1 and report.pages_ok == 1 and report.chunks > 0
    record = seams.library.get("t", report.doc_id)
    page = record.pages[0]
    image = Image.open(seams.library.page_image("t", report.doc_id, 1))
    assert (image.width, image.height) == (page.width, page.height)
    # the page was found on the photo and flattened: the photo is kept beside it, with the map onto it
    stored_photo = Image.open(seams.library.doc_dir("t", report.doc_id) / page.photo)
    assert stored_photo.size == Image.open(photo).size and page.to_photo is not None
    assert page.width * page.height < 0.9 * stored_photo.width * stored_photo.height  # the desk is cut away
    assert len(page.lines) > 20 and page.blocks
    chunks = seams.store.chunks(doc_ids={report.doc_id})
    assert len(chunks) == report.chunks == seams.store.count()
    text = " ".join(c.text for c in chunks)
    assert "make install" in text.lower() or "configure" in text.lower()
    for chunk in chunks:
        assert chunk.refs and chunk.pages == (1,)
        for ref in chunk.refs:
            assert 0 <= ref.bbox.x0 < ref.bbox.x1 <= page.width and 0 <= ref.bbox.y0 < ref.bbox.y1 <= page.height
            assert 0 <= ref.start < ref.end <= len(chunk.text)

    again = ingest_file(photo, seams, CFG)
    assert again.already_stored and again.doc_id == report.doc_id
    assert seams.store.count() == report.chunks

    deleted, n = delete_document(seams.library, seams.store, report.doc_id)
    assert deleted.doc_id == report.doc_id and n == report.chunks
    assert seams.store.count() == 0 and seams.library.list("t") == []


def test_sideways_photo_is_stored_upright(seams: Seams, photo_paths: list[Path], tmp_path: Path) -> None:
    photo = Image.open(by_name(photo_paths, "cyberjack"))
    sideways = tmp_path / "sideways.png"
    photo.rotate(90, expand=True).save(sideways)  # turned 90 degrees counter-clockwise
    report = ingest_file(sideways, seams, CFG)
    page = seams.library.get("t", report.doc_id).pages[0]
    assert page.rotation == 90
    assert page.height > page.width  # upright (the flattened page of a portrait photo)
    x, y = page.photo_quad(BBox(x0=0, y0=0, x1=1, y1=1))[0]  # the page's top-left corner is on the turned photo's left
    assert x < 0.5 * photo.height and y > 0.5 * photo.width
    assert any("cjflash" in line.text for line in page.lines)


def test_bad_file_is_reported_and_the_store_is_untouched(seams: Seams, photo_paths: list[Path], tmp_path: Path) -> None:
    first = ingest_file(by_name(photo_paths, "rtklib"), seams, CFG)
    manifest = seams.library.doc_dir("t", first.doc_id) / "document.json"
    before = (manifest.read_bytes(), seams.store.count())
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "a-broken.jpg").write_bytes(b"not really a jpeg")
    (folder / "b-empty.png").write_bytes(b"")
    (folder / "c-good.jpg").write_bytes(by_name(photo_paths, "cyberjack").read_bytes())
    reports = ingest_paths([folder], seams, CFG)
    assert [r.ok for r in reports] == [False, False, True]
    assert "a-broken.jpg" in reports[0].error and "b-empty.png" in reports[1].error
    assert (manifest.read_bytes(), seams.store.count() - reports[2].chunks) == before


def test_interrupted_ingest_leaves_no_half_document(seams: Seams, photo_paths: list[Path], tmp_path: Path) -> None:
    frames = [Image.open(p).convert("RGB") for p in photo_paths[:3]]
    binder = tmp_path / "binder.tiff"
    frames[0].save(binder, save_all=True, append_images=frames[1:])

    def stop_after_two(source: str, done: int, total: int) -> None:
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ingest_file(binder, seams, CFG, progress=stop_after_two)
    assert seams.library.list("t") == [] and seams.store.count() == 0
    assert not any((seams.library.root / "t" / ".staging").iterdir())

    pages_seen: list[int] = []
    report = ingest_file(binder, seams, CFG, progress=lambda s, d, t: pages_seen.append(d))
    assert report.ok and report.pages == 3 and pages_seen == [1, 2, 3]
    assert {c.pages[0] for c in seams.store.chunks()} == {1, 2, 3}


def test_cli_ingest_json_and_exit_code(photo_paths: list[Path], tmp_path: Path, _data_dir: Path) -> None:
    bad = tmp_path / "notes.jpg"
    bad.write_text("hello")
    out = subprocess.run(
        [sys.executable, "-m", "cli.main", "ingest", str(by_name(photo_paths, "cyberjack")), str(bad), "--collection", "c", "--json"],
        capture_output=True, text=True, timeout=300, cwd=Path(__file__).parents[2],
        env={"FOLIO_DATA_DIR": str(_data_dir), "PATH": "/usr/bin:/bin", "FOLIO_MODELS_DIR": os.environ["FOLIO_MODELS_DIR"]},
    )
    assert out.returncode == 1
    docs = json.loads(out.stdout)["documents"]
    assert [d["pages_ok"] for d in docs] == [1, 0]
    assert set(docs[0]) >= {"doc_id", "source", "pages", "pages_ok", "pages_failed", "chunks"}
    assert "notes.jpg" in out.stderr and "Traceback" not in out.stderr
    listed = subprocess.run(
        [sys.executable, "-m", "cli.main", "docs", "list", "--collection", "c", "--json"],
        capture_output=True, text=True, timeout=120, cwd=Path(__file__).parents[2], env={"FOLIO_DATA_DIR": str(_data_dir)},
    )
    assert [d["doc_id"] for d in json.loads(listed.stdout)["documents"]] == [docs[0]["doc_id"]]
    keyword = _data_dir / "collections" / "c" / "keyword"  # the new document's terms are indexed by the ingest
    assert (keyword / "CURRENT").is_file() and (keyword / "docs" / f"{docs[0]['doc_id']}.json").is_file()


def test_vectors_of_a_writer_killed_before_its_commit_are_removed(seams: Seams, photo_paths: list[Path]) -> None:
    from ingest.run import recover
    from storage.schema import BBox, Chunk, SourceRef

    orphan = Chunk(id="c-000000000001", doc_id="dead0000dead0000", text="left behind",
                   refs=(SourceRef(doc_id="dead0000dead0000", page=1, bbox=BBox(x0=0, y0=0, x1=1, y1=1), start=0, end=4),))
    seams.store.upsert([orphan], seams.embedder.embed_documents([orphan.text]))
    (seams.library.root / "t" / ".staging" / "dead0000dead0000-999999999-abcdef").mkdir(parents=True)
    assert recover(seams) == 1
    assert seams.store.count() == 0
