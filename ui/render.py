"""Page images for the app: cited boxes drawn on the stored page, zoomed crops around them, thumbnails.

Boxes are ``storage.schema.BBox`` values in pixels of the stored page image (top-left origin), the
frame every citation uses, so they are drawn on that image as they are; a page flattened from a
photo is shown on the photo, its boxes mapped there through the citation's ``to_photo``. Results are JPEG bytes,
cached by (path, modification time, boxes): the chat redraws every earlier answer on each rerun.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw

from storage.errors import NotFound
from storage.schema import BBox, Matrix, union_all

HIGHLIGHT = (255, 106, 0)  # outline colour of a cited box (RGB); the browser test looks for it
FILL_ALPHA = 60  # opacity (0-255) of the tint inside a cited box
Box = tuple[float, float, float, float]


def box_key(boxes: Sequence[BBox]) -> tuple[Box, ...]:
    """Boxes as plain tuples (hashable, for the cache)."""
    return tuple((b.x0, b.y0, b.x1, b.y1) for b in boxes)


def cited_crop(image_path: str | Path, boxes: Sequence[BBox], *, max_width: int = 1100) -> bytes:
    """A zoomed crop around the cited boxes, drawn on the page, as JPEG bytes."""
    return _cited(str(image_path), _mtime(image_path), box_key(boxes), True, max_width)


def cited_page(image_path: str | Path, boxes: Sequence[BBox], *, max_width: int = 1400) -> bytes:
    """The whole page with the cited boxes drawn on it, as JPEG bytes."""
    return _cited(str(image_path), _mtime(image_path), box_key(boxes), False, max_width)


def cited_photo(photo_path: str | Path, boxes: Sequence[BBox], to_photo: Matrix, *, max_width: int = 1400) -> bytes:
    """The original photo of a flattened page with the cited boxes drawn on it (each box's corners
    mapped through ``to_photo``, so a box is a quadrilateral there), as JPEG bytes."""
    m = tuple(tuple(row) for row in to_photo)
    return _cited_photo(str(photo_path), _mtime(photo_path), box_key(boxes), m, max_width)  # type: ignore[arg-type]


def thumbnail(image_path: str | Path, *, max_side: int = 220) -> bytes:
    """A small JPEG of a stored page."""
    return _thumbnail(str(image_path), _mtime(image_path), max_side)


def highlight(image: Image.Image, boxes: Sequence[Box]) -> Image.Image:
    """A copy of ``image`` with each box tinted and outlined; line width grows with the page size."""
    base = image.convert("RGBA")
    overlay = Image.new("RGBA", base.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    width = max(3, round(max(base.size) / 400))
    pad = width + 2
    for x0, y0, x1, y1 in boxes:
        rect = (x0 - pad, y0 - pad, x1 + pad, y1 + pad)
        draw.rectangle(rect, fill=(*HIGHLIGHT, FILL_ALPHA), outline=(*HIGHLIGHT, 255), width=width)
    return Image.alpha_composite(base, overlay).convert("RGB")


def crop_region(size: tuple[int, int], boxes: Sequence[Box]) -> tuple[int, int, int, int]:
    """The part of a ``size`` page to show for ``boxes``: their union with a margin of context.

    The margin is 6 % of the page width sideways and 4 % of its height above and below, and the
    region is at least 40 % of the page wide and 12 % high, so a single line keeps its surroundings.
    """
    width, height = size
    union = union_all([BBox(x0=b[0], y0=b[1], x1=b[2], y1=b[3]) for b in boxes]).clamp(width, height)
    x0, x1 = _span(union.x0 - 0.06 * width, union.x1 + 0.06 * width, 0.40 * width, width)
    y0, y1 = _span(union.y0 - 0.04 * height, union.y1 + 0.04 * height, 0.12 * height, height)
    return round(x0), round(y0), round(x1), round(y1)


def _span(lo: float, hi: float, least: float, limit: float) -> tuple[float, float]:
    """[lo, hi] grown around its centre to at least ``least``, then shifted inside [0, limit]."""
    if hi - lo < least:
        centre = (lo + hi) / 2
        lo, hi = centre - least / 2, centre + least / 2
    if lo < 0:
        lo, hi = 0.0, hi - lo
    if hi > limit:
        lo, hi = max(0.0, lo - (hi - limit)), float(limit)
    return lo, hi


@lru_cache(maxsize=256)
def _cited(path: str, mtime: float, boxes: tuple[Box, ...], crop: bool, max_width: int) -> bytes:
    image = highlight(_open(path), boxes)
    if crop and boxes:
        image = image.crop(crop_region(image.size, boxes))
    return _jpeg(image, max_width)


@lru_cache(maxsize=128)
def _cited_photo(path: str, mtime: float, boxes: tuple[Box, ...], to_photo: Matrix, max_width: int) -> bytes:
    base = _open(path).convert("RGBA")
    overlay = Image.new("RGBA", base.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    width = max(3, round(max(base.size) / 400))
    for x0, y0, x1, y1 in boxes:
        quad = [_through(to_photo, x, y) for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1))]
        draw.polygon(quad, fill=(*HIGHLIGHT, FILL_ALPHA), outline=(*HIGHLIGHT, 255), width=width)
    return _jpeg(Image.alpha_composite(base, overlay).convert("RGB"), max_width)


def _through(m: Matrix, x: float, y: float) -> tuple[float, float]:
    d = m[2][0] * x + m[2][1] * y + m[2][2]
    return (m[0][0] * x + m[0][1] * y + m[0][2]) / d, (m[1][0] * x + m[1][1] * y + m[1][2]) / d


@lru_cache(maxsize=512)
def _thumbnail(path: str, mtime: float, max_side: int) -> bytes:
    image = _open(path)
    image.thumbnail((max_side, max_side))
    return _jpeg(image, max_side)


def _open(path: str) -> Image.Image:
    with Image.open(path) as im:
        return im.convert("RGB")  # as stored: the boxes are in this frame, EXIF or not


def _jpeg(image: Image.Image, max_width: int) -> bytes:
    if image.width > max_width:
        image = image.resize((max_width, max(1, round(image.height * max_width / image.width))), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


def _mtime(path: str | Path) -> float:
    try:
        return Path(path).stat().st_mtime
    except OSError as exc:
        raise NotFound(f"the page image {Path(path).name} is no longer stored (was its document deleted?)") from exc
