"""A PDF page's text layer is used only for the text a reader sees on the page (issue 16.8)."""

from __future__ import annotations

from pathlib import Path

import pymupdf
from PIL import Image

from ingest.config import IngestSettings
from ingest.sources import iter_pages, open_source

CFG = IngestSettings()
SECRET = "The reset code is 424242 and the warranty lasts ninety nine years"
VISIBLE = "Hold the power button for five seconds to restart the unit"


def pdf_page(tmp_path: Path, build) -> Path:  # type: ignore[no-untyped-def]
    doc = pymupdf.open()
    page = doc.new_page(width=420, height=595)
    build(page)
    path = tmp_path / "page.pdf"
    doc.save(path)
    return path


def page_lines(path: Path):  # type: ignore[no-untyped-def]
    (page,) = list(iter_pages(open_source(path, CFG), CFG))
    return page.text_lines


def scan_png(scan: Path, tmp_path: Path) -> Path:
    out = tmp_path / "scan.png"
    Image.open(scan).convert("L").resize((840, 1190)).save(out)
    return out


def scan_path(mini_set: Path) -> Path:
    return sorted((mini_set / "images" / "scan").glob("*.png"))[0]


def test_an_invisible_text_layer_over_a_scan_is_not_trusted(tmp_path: Path, mini_set: Path) -> None:
    """Invisible text over a scan became the whole answer, cited where the image shows nothing."""
    image = scan_png(scan_path(mini_set), tmp_path)

    def build(page) -> None:  # type: ignore[no-untyped-def]
        page.insert_image(page.rect, filename=str(image))
        for k in range(6):
            page.insert_text((30, 60 + 40 * k), SECRET, fontsize=9, render_mode=3)

    assert page_lines(pdf_page(tmp_path, build)) is None  # OCR reads what the page shows


def test_only_visible_text_of_a_born_digital_page_is_kept(tmp_path: Path) -> None:
    def build(page) -> None:  # type: ignore[no-untyped-def]
        page.insert_text((30, 60), VISIBLE, fontsize=10)
        page.insert_text((30, 100), SECRET, fontsize=10, render_mode=3)  # invisible
        page.insert_text((30, 140), SECRET, fontsize=10, color=(1, 1, 1))  # white on white
        page.insert_text((30, 180), SECRET, fontsize=0.5)  # too small to see
        page.insert_text((30, 220), VISIBLE.upper(), fontsize=10)

    lines = page_lines(pdf_page(tmp_path, build))
    assert lines is not None and [line.text for line in lines] == [VISIBLE, VISIBLE.upper()]


def test_a_scan_whose_text_layer_covers_little_of_it_is_ocrd(tmp_path: Path, mini_set: Path) -> None:
    image = scan_png(scan_path(mini_set), tmp_path)

    def build(page) -> None:  # type: ignore[no-untyped-def]
        page.insert_image(page.rect, filename=str(image))
        page.insert_text((20, 585), "Scanned by the records office, archive copy 2024-11-02, box 17", fontsize=6)

    assert page_lines(pdf_page(tmp_path, build)) is None
