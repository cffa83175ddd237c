"""A manual photographed page by page is one document, with the page numbers printed on it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.main import main
from ingest.assemble import document_id
from storage.library import Library
from tests.conftest import MINI

PHOTOS = MINI / "images" / "photo"
NRPE = PHOTOS / "nrpe-guide_p006.jpg"  # footer "Page 6 of 21"
RTKLIB = PHOTOS / "rtklib-manual_p037.jpg"  # footer "35"


def test_photos_become_pages_of_one_document_ordered_by_their_printed_numbers(
        _data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", "--as-document", "Field guide", str(RTKLIB), "--collection", "m", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)["documents"]
    assert [(d["source"], d["pages"]) for d in first] == [("Field guide", 1)]
    assert main(["ingest", "--as-document", "Field guide", str(NRPE), str(RTKLIB), "--collection", "m", "--json"]) == 0
    added = json.loads(capsys.readouterr().out)["documents"]
    assert [(d["doc_id"], d["pages"]) for d in added] == [(document_id("Field guide"), 2)]
    record = Library(_data_dir).get("m", document_id("Field guide"))
    assert [(p.page, p.label, p.source) for p in record.pages] == [(1, "6", NRPE.name), (2, "35", RTKLIB.name)]
    doc_dir = Library(_data_dir).doc_dir("m", record.doc_id)
    assert all((doc_dir / p.image).is_file() for p in record.pages) and len(list((doc_dir / "pages").iterdir())) == 2
    assert main(["ingest", "--as-document", "Field guide", str(NRPE), "--collection", "m"]) == 0  # already in: nothing changes
    assert "already stored" in capsys.readouterr().err
    assert Library(_data_dir).get("m", record.doc_id).pages == record.pages

    assert main(["ask", "How", "do", "I", "compile", "the", "NRPE", "addon?", "--collection", "m", "--json"]) == 0
    citation = json.loads(capsys.readouterr().out)["citations"][0]
    assert (citation["source"], citation["page"], citation["page_label"]) == ("Field guide", 1, "6")
    assert main(["ask", "How do I compile the NRPE addon?", "--collection", "m"]) == 0
    assert "[1] Field guide, p. 6  (box [" in capsys.readouterr().out


def test_a_bad_photo_leaves_the_document_as_it_was(_data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", "--as-document", "Guide", str(NRPE), "--collection", "m"]) == 0
    before = Library(_data_dir).get("m", document_id("Guide"))
    bad = tmp_path / "page7.jpg"
    bad.write_bytes(b"\xff\xd8\xff not really a jpeg")
    assert main(["ingest", "--as-document", "Guide", str(bad), "--collection", "m"]) == 1
    err = capsys.readouterr().err
    assert "page7.jpg" in err and "'Guide' is unchanged" in err or "nothing was added to 'Guide'" in err
    assert Library(_data_dir).get("m", document_id("Guide")) == before
