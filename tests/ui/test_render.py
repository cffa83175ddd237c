"""Cited boxes drawn on a real stored page, the crop around them, thumbnails."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from storage.errors import NotFound
from storage.schema import BBox
from tests.ui.conftest import PHOTO
from ui.render import HIGHLIGHT, cited_crop, cited_page, crop_region, highlight, thumbnail


def highlighted_share(image: Image.Image) -> float:
    pixels = np.asarray(image.convert("RGB"), dtype=int)
    return float((np.abs(pixels - np.array(HIGHLIGHT)).max(axis=2) <= 30).mean())


def test_highlight_outlines_the_box_and_leaves_the_rest() -> None:
    page = Image.new("RGB", (400, 300), "white")
    drawn = highlight(page, [(100.0, 100.0, 300.0, 140.0)])
    assert drawn.size == page.size
    assert any(drawn.getpixel((x, 120)) == HIGHLIGHT for x in range(90, 101))  # the outline, just outside the box
    inside = drawn.getpixel((200, 120))
    assert inside != (255, 255, 255) and inside[0] > inside[2]  # tinted towards the highlight colour
    assert drawn.getpixel((20, 20)) == (255, 255, 255)


def test_crop_region_keeps_context_and_stays_on_the_page() -> None:
    region = crop_region((1000, 2000), [(400.0, 1000.0, 600.0, 1030.0)])
    x0, y0, x1, y1 = region
    assert x0 < 400 and x1 > 600 and y0 < 1000 and y1 > 1030
    assert x1 - x0 >= 400 and y1 - y0 >= 240  # at least 40 % wide, 12 % high
    edge = crop_region((1000, 2000), [(0.0, 1950.0, 100.0, 2000.0)])
    assert edge[0] == 0 and edge[3] == 2000 and edge[2] - edge[0] >= 400


def test_cited_crop_of_a_stored_photo_is_a_zoomed_jpeg_with_the_highlight(tmp_path: Path) -> None:
    path = tmp_path / "p0001.jpg"
    Image.open(PHOTO).convert("RGB").save(path)
    width, height = Image.open(path).size
    box = BBox(x0=0.3 * width, y0=0.5 * height, x1=0.7 * width, y1=0.53 * height)
    crop = Image.open(io.BytesIO(cited_crop(path, [box])))
    page = Image.open(io.BytesIO(cited_page(path, [box], max_width=width)))
    assert crop.format == "JPEG" and crop.height < height / 3
    assert page.size == (width, height)
    assert highlighted_share(crop) > highlighted_share(page) > 0.001


def test_thumbnail_is_small_and_a_missing_page_is_a_clear_error(tmp_path: Path) -> None:
    assert max(Image.open(io.BytesIO(thumbnail(PHOTO, max_side=200))).size) == 200
    with pytest.raises(NotFound, match="no longer stored"):
        thumbnail(tmp_path / "gone.jpg")


def test_the_spinner_says_which_answerer_works() -> None:
    from ui.chat_view import working_text

    assert working_text("extractive") == "Searching your pages…"
    assert "openai:qwen-local writes the answer" in working_text("openai:qwen-local") and "checked" in working_text("openai:x")
