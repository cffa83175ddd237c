"""Finding the page on a photo, flattening it, and drawing citations back on the photo."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ingest.pages import PageImage
from ingest.rectify import find_page, rectify, rectify_page, text_skew
from storage.schema import BBox, PageRecord

DATA = Path(__file__).parents[1] / "data"
HARD = DATA / "devset-hard"  # one devset-mini page made into a hard photo by harden_photos.py
SCAN = DATA / "devset-mini" / "images" / "scan" / "nrpe-guide_p006.png"


def hard_page() -> dict:  # type: ignore[type-arg]
    return json.loads((HARD / "pages.jsonl").read_text(encoding="utf-8").splitlines()[0])


def through(h: list[list[float]], points: list[tuple[float, float]]) -> np.ndarray:
    pts = np.c_[np.asarray(points, dtype=float), np.ones(len(points))] @ np.asarray(h, dtype=float).T
    return pts[:, :2] / pts[:, 2:]


def test_the_page_is_found_on_a_hard_photo() -> None:
    row = hard_page()
    photo = Image.open(HARD / row["photo_image"]).convert("L")
    w, h = row["scan_size"]
    truth = through(row["photo_homography"], [(0, 0), (w, 0), (w, h), (0, h)])
    quad = find_page(np.asarray(photo))
    assert quad is not None
    err = np.linalg.norm(quad - truth, axis=1).max() / np.hypot(*photo.size)
    assert err < 0.02, f"page corners off by {err:.3f} of the diagonal"


def test_a_flattened_page_maps_back_onto_the_photo() -> None:
    row = hard_page()
    photo = Image.open(HARD / row["photo_image"]).convert("RGB")
    page = rectify_page(PageImage(page=1, image=photo, source="hard.jpg"))
    assert page.photo is photo and page.to_photo is not None
    # the flattened page is upright (its shape near the scan's: perspective leaves the aspect a little off)
    fw, fh = page.image.size
    sw, sh = row["scan_size"]
    assert abs(fw / fh - sw / sh) < 0.1
    record = PageRecord(page=1, image="p.jpg", width=fw, height=fh, to_photo=page.to_photo)
    mapped = np.asarray(record.photo_quad(BBox(x0=0, y0=0, x1=fw, y1=fh)))
    truth = through(row["photo_homography"], [(0, 0), (sw, 0), (sw, sh), (0, sh)])
    assert np.linalg.norm(mapped - truth, axis=1).max() < 0.02 * np.hypot(*photo.size)


def test_a_scan_is_read_as_it_is() -> None:
    scan = Image.open(SCAN).convert("RGB")
    result = rectify(scan)
    assert result.method == "none" and result.to_original is None and result.image is scan


@pytest.mark.parametrize("angle", [-30.0, 17.0, 44.0])
def test_text_skew_is_measured_up_to_45_degrees(angle: float) -> None:
    scan = Image.open(SCAN).convert("L")
    turned = scan.rotate(angle, expand=True, fillcolor=255, resample=Image.Resampling.BILINEAR)  # counter-clockwise
    assert text_skew(np.asarray(turned)) == pytest.approx(-angle, abs=1.0)
    result = rectify(turned.convert("RGB"))
    assert result.method == "skew"
    assert abs(text_skew(np.asarray(result.image.convert("L")))) < 1.0


@pytest.mark.parametrize("angle", [35.0, -42.0])
def test_a_photo_turned_up_to_45_degrees_is_flattened_upright(angle: float) -> None:
    photo = Image.open(DATA / "devset-mini" / "images" / "photo" / "nrpe-guide_p006.jpg").convert("RGB")
    turned = photo.rotate(angle, expand=True, fillcolor=(60, 50, 40), resample=Image.Resampling.BILINEAR)  # on a desk
    result = rectify(turned)
    assert result.method == "page"
    assert result.image.height > result.image.width  # portrait again, not sideways
    assert abs(text_skew(np.asarray(result.image.convert("L")))) <= 1.0


def test_a_pdf_of_a_photographed_page_takes_the_same_path(tmp_path: Path) -> None:
    from ingest.config import IngestSettings
    from ingest.rectify import rectify_pages
    from ingest.sources import iter_pages, open_source

    row = hard_page()
    pdf = tmp_path / "photographed.pdf"
    Image.open(HARD / row["photo_image"]).convert("RGB").save(pdf, format="PDF", resolution=150)
    cfg = IngestSettings()
    (page,) = list(rectify_pages(iter_pages(open_source(pdf, cfg), cfg)))
    assert page.text_lines is None and page.to_photo is not None and page.photo is not None
    assert page.image.width * page.image.height < 0.9 * page.photo.width * page.photo.height  # the desk is cut away
    (unchanged,) = list(rectify_pages(iter_pages(open_source(pdf, cfg), cfg), enabled=False))
    assert unchanged.to_photo is None
