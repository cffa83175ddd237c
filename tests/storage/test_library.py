from __future__ import annotations

import os
from pathlib import Path

import pytest

from storage.errors import NotFound, StoreError
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


def test_commit_flushes_the_pages_and_the_manifest_to_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lib = Library(tmp_path)
    staging = lib.staging_dir("c1", "d1")
    (staging / "pages").mkdir()
    (staging / "pages" / "p0001.jpg").write_bytes(b"x")
    synced: list[str] = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(os.readlink(f"/proc/self/fd/{fd}")), real(fd))[1])
    final = lib.commit(staging, record("d1"))
    names = [Path(p).name for p in synced]
    assert "p0001.jpg" in names and "document.json.tmp" in names  # both flushed before the rename
    assert names.index("p0001.jpg") < names.index("document.json.tmp")
    assert str(final.parent) in synced  # the rename itself is flushed


def test_a_damaged_manifest_hides_only_its_document_and_says_how_to_remove_it(tmp_path: Path) -> None:
    lib = Library(tmp_path)
    for doc_id in ("d1", "d2", "d3"):
        lib.commit(lib.staging_dir("c1", doc_id), record(doc_id))
    (lib.doc_dir("c1", "d2") / "document.json").write_text("", encoding="utf-8")  # a power loss before the flush
    (lib.doc_dir("c1", "d3") / "document.json").write_text("{not json", encoding="utf-8")
    assert [r.doc_id for r in lib.list("c1")] == ["d1"]
    assert lib.doc_ids("c1") == {"d1", "d3"}  # an empty manifest is not a document; a garbled one is found on reading
    with pytest.raises(StoreError, match="folio docs delete d3"):
        lib.get("c1", "d3")
    assert lib.delete("c1", "d3").n_pages == 0 and lib.delete("c1", "d2").doc_id == "d2"
    assert lib.doc_ids("c1") == {"d1"} and [r.doc_id for r in lib.list("c1")] == ["d1"]


@pytest.mark.parametrize("bad_id", ["../../../../victim", "../../other/docs/d1", "d1/../d2", "/etc", "..", "", "d1\x00"])
def test_a_document_id_that_is_a_path_is_refused_and_nothing_outside_is_touched(tmp_path: Path, bad_id: str) -> None:
    """Issue 16.1: 'folio docs delete ../../../../victim' removed a folder outside the data dir."""
    data = tmp_path / "data"
    lib = Library(data)
    lib.commit(lib.staging_dir("c1", "d1"), record("d1"))
    other = Library(tmp_path / "elsewhere")
    other.commit(other.staging_dir("c1", "d1"), record("d1"))
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "document.json").write_text(record("d1").model_dump_json(), encoding="utf-8")
    (victim / "precious.txt").write_text("keep me", encoding="utf-8")
    for call in (lib.delete, lib.get, lib.has, lib.doc_dir, lib.staging_dir):
        with pytest.raises(NotFound, match="not a document id"):
            call("c1", bad_id)
    assert (victim / "precious.txt").read_text(encoding="utf-8") == "keep me"
    assert other.has("c1", "d1") and lib.has("c1", "d1")


def test_cli_docs_delete_refuses_a_path_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from cli.main import main

    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "document.json").write_text(record("d1").model_dump_json(), encoding="utf-8")
    assert main(["docs", "delete", "../../../../" + str(victim).lstrip("/"), "--collection", "c1"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a document id" in err
    assert (victim / "document.json").is_file()
