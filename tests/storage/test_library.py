from __future__ import annotations

from pathlib import Path

import pytest

from storage.errors import NotFound
from storage.library import Library
from storage.schema import BBox, DocumentRecord, Line, PageRecord


def record(doc_id: str) -> DocumentRecord:
    page = PageRecord(page=1, image="pages/p0001.jpg", width=100, height=200,
                      lines=(Line(text="hello", bbox=BBox(x0=1, y0=2, x1=50, y1=12)),))
    return DocumentRecord(doc_id=doc_id, source="a.jpg", collection="c1", pages=(page,), ocr_engine="t", n_chunks=1,
                          created_at="2026-11-24T00:00:00+00:00")


def test_document_is_invisible_until_commit(tmp_path: Path) -> None:
    lib = Library(tmp_path)
    staging = lib.staging_dir("c1", "d1")
    (staging / "pages").mkdir()
    (staging / "pages" / "p0001.jpg").write_bytes(b"x")
    assert not lib.has("c1", "d1") and lib.list("c1") == []
    lib.commit(staging, record("d1"))
    assert lib.has("c1", "d1")
    assert lib.get("c1", "d1") == record("d1")
    assert lib.page_image("c1", "d1", 1).read_bytes() == b"x"
    assert not staging.exists()
    assert lib.collections() == ["c1"]


def test_delete_and_missing(tmp_path: Path) -> None:
    lib = Library(tmp_path)
    lib.commit(lib.staging_dir("c1", "d1"), record("d1"))
    assert lib.delete("c1", "d1").doc_id == "d1"
    assert lib.doc_ids("c1") == set()
    with pytest.raises(NotFound, match="folio docs list"):
        lib.get("c1", "d1")


def test_clean_staging_removes_only_dead_writers(tmp_path: Path) -> None:
    lib = Library(tmp_path)
    mine = lib.staging_dir("c1", "d1")
    dead = mine.parent / "d2-999999999-abcdef"
    dead.mkdir()
    assert lib.clean_staging("c1") == ["d2"]
    assert mine.exists() and not dead.exists()
