"""The eval-set reader on the five-page fixture set, and its errors on broken sets."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from evals.dataset import load_set
from storage.errors import InputError

MINI = Path(__file__).resolve().parents[1] / "data" / "devset-mini"


def test_reads_the_fixture_set():
    s = load_set(MINI)
    assert len(s.pages) == 5
    assert s.doc_ids() == sorted(s.doc_ids())
    assert all(s.image_path(p, "photo").is_file() and s.image_path(p, "scan").is_file() for p in s.pages)
    page = s.page("altusmetrum-manual", 10)
    assert page.scan_size == (1700, 2200) and page.photo_size == (1435, 1800)
    assert page.text.startswith("Chapter 2. Getting Started")
    assert page.lines[0].photo_quad is not None and len(page.photo_homography) == 3
    answerable = [i for i in s.items if i.answerable]
    unanswerable = [i for i in s.items if not i.answerable]
    assert {i.id for i in unanswerable} == {"un-01", "un-02", "un-04"}
    assert all(i.gold in {p.key for p in s.pages} for i in answerable)
    assert all(i.evidence and i.acceptable_answers for i in answerable)
    assert all(len(e.bboxes) >= 1 for i in answerable for e in i.evidence)
    assert s.title("altusmetrum-manual").startswith("The Altus Metrum System")


def _copy(tmp_path: Path) -> Path:
    dst = tmp_path / "set"
    shutil.copytree(MINI, dst, ignore=shutil.ignore_patterns("images"))
    return dst


def test_missing_file_names_it(tmp_path):
    root = _copy(tmp_path)
    (root / "qa.jsonl").unlink()
    with pytest.raises(InputError, match="qa.jsonl is missing"):
        load_set(root)


def test_bad_line_names_file_line_and_field(tmp_path):
    root = _copy(tmp_path)
    lines = (root / "pages.jsonl").read_text().splitlines()
    lines[1] = lines[1].replace('"page": 6', '"page": "six"')
    (root / "pages.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=r"pages.jsonl:2: page:"):
        load_set(root)


def test_item_pointing_at_a_missing_page_is_refused(tmp_path):
    root = _copy(tmp_path)
    text = (root / "qa.jsonl").read_text().replace('"page": 10', '"page": 11', 1)
    (root / "qa.jsonl").write_text(text)
    with pytest.raises(InputError, match="page 11"):
        load_set(root)


def test_documents_json_is_optional(tmp_path):
    root = _copy(tmp_path)
    (root / "documents.json").unlink()
    s = load_set(root)
    assert s.documents == () and s.title("nrpe-guide") == "nrpe-guide"
