"""Reading order of a page: find column gutters and read column by column.

A gutter is a vertical strip of whitespace that runs down a good part of the page with prose on
both sides (lines that fill their column). Tables and figures also have vertical whitespace, but
their cells are short and ragged or their "columns" are narrow, so they do not qualify. The page
is split recursively: what lies above a gutter, its left column, its right column, what lies below
(full-width titles and headings above two columns are thus read first).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ingest.rows import Seg, median_height

MIN_SIDE_LINES = 4
MIN_SIDE_SHARE = 0.25  # each column at least this share of the region's text width
MIN_FILL = 0.55  # mean line width of a column, as a share of the column's width
MIN_FULL = 0.25  # or: this share of its rows have a line that fills the column (prose beside a table)
SLANTS = (0.0, 0.01, -0.01, 0.02, -0.02, 0.03, -0.03)  # du/dv a gutter may lean after rectification


@dataclass(frozen=True)
class Gutter:
    top: float
    bottom: float
    left: tuple[Seg, ...]
    right: tuple[Seg, ...]


@dataclass(frozen=True)
class Boxes:
    """The rectified boxes of a region's segments as arrays."""

    x0: np.ndarray
    x1: np.ndarray
    y0: np.ndarray
    y1: np.ndarray

    @classmethod
    def of(cls, segs: Sequence[Seg]) -> Boxes:
        arr = np.asarray([(s.rect.x0, s.rect.x1, s.rect.y0, s.rect.y1) for s in segs], dtype=float)
        return cls(arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3])

    @property
    def cy(self) -> np.ndarray:
        return (self.y0 + self.y1) / 2


@dataclass(frozen=True)
class Strip:
    """A narrow vertical strip centred at ``x`` at height ``vref``, leaning by ``slant`` (du/dv)."""

    x: float
    slant: float
    vref: float
    margin: float

    def at(self, v: np.ndarray) -> np.ndarray:
        return self.x + self.slant * (v - self.vref)


def order_regions(segs: Sequence[Seg]) -> list[list[Seg]]:
    """The page's segments as regions in reading order (one column of text each)."""
    h = median_height(segs)
    return _split(list(segs), h, depth=0)


def _split(segs: list[Seg], h: float, depth: int) -> list[list[Seg]]:
    if len(segs) < 2 * MIN_SIDE_LINES or depth > 6:
        return [segs] if segs else []
    gutter = find_gutter(segs, h)
    if gutter is None:
        return [segs]
    taken = {s.index for s in gutter.left} | {s.index for s in gutter.right}
    rest = [s for s in segs if s.index not in taken]
    above = [s for s in rest if s.rect.cy < gutter.top]
    below = [s for s in rest if s.rect.cy >= gutter.top]
    out: list[list[Seg]] = []
    for part in (above, list(gutter.left), list(gutter.right), below):
        out.extend(_split(part, h, depth + 1))
    return out


def find_gutter(segs: Sequence[Seg], h: float) -> Gutter | None:
    """The gutter with the most column lines on both sides, or None."""
    b = Boxes.of(segs)
    width = float(b.x1.max() - b.x0.min())
    if width <= 0:
        return None
    margin = max(1.0, 0.1 * h)  # half the narrowest gutter: OCR boxes are padded, columns close
    vref = float(b.cy.mean())
    best: tuple[int, float, float, np.ndarray, np.ndarray] | None = None
    for gx in _candidates(b, margin, h):
        for slant in SLANTS:
            strip = Strip(gx, slant, vref, margin)
            found = _gutters_at(b, strip, width, h)
            for _, _, left, right in list(found):  # the band that suggested gx may have seen part of the gutter
                found.extend(_gutters_at(b, _centred(b, strip, left, right), width, h))
            for top, bottom, left, right in found:
                n = int(left.sum() + right.sum())
                if best is None or n > best[0]:
                    best = (n, top, bottom, left, right)
    if best is None:
        return None
    _, top, bottom, left, right = best
    return Gutter(top, bottom, tuple(s for s, k in zip(segs, left, strict=True) if k),
                  tuple(s for s, k in zip(segs, right, strict=True) if k))


def _centred(b: Boxes, strip: Strip, left: np.ndarray, right: np.ndarray) -> Strip:
    """The strip moved to the middle of the whitespace between its two columns."""
    lean = strip.slant * (b.cy - strip.vref)
    reach = float((b.x1 - lean)[left].max())
    start = float((b.x0 - lean)[right].min())
    return Strip((reach + start) / 2, strip.slant, strip.vref, strip.margin)


def _candidates(b: Boxes, margin: float, h: float) -> list[float]:
    """Centres of whitespace gaps in the x-projection of horizontal bands of the region (merged)."""
    x0, x1 = float(b.x0.min()), float(b.x1.max())
    width = x1 - x0
    band = 8 * h
    found: list[float] = []
    y, bottom = float(b.y0.min()), float(b.y1.max())
    while y < bottom:
        inside = (b.cy >= y) & (b.cy < y + band)
        order = np.argsort(b.x0[inside])
        starts, ends = b.x0[inside][order], np.maximum.accumulate(b.x1[inside][order])
        for k in np.nonzero(starts[1:] - ends[:-1] >= 2 * margin)[0]:
            mid = float(starts[k + 1] + ends[k]) / 2
            if x0 + MIN_SIDE_SHARE * width <= mid <= x1 - MIN_SIDE_SHARE * width:
                found.append(mid)
        y += band / 2
    merged: list[float] = []
    for x in sorted(found):
        if not merged or x - merged[-1] >= 2 * margin:
            merged.append(x)
    return merged


def _gutters_at(b: Boxes, strip: Strip, width: float, h: float) -> list[tuple[float, float, np.ndarray, np.ndarray]]:
    """Maximal vertical runs of ``strip`` that no line crosses, with columns on both sides:
    ``(top, bottom, left_mask, right_mask)``."""
    centre = strip.at(b.cy)
    crossing = (b.x0 < centre + strip.margin) & (b.x1 > centre - strip.margin)
    order = np.argsort(b.y0[crossing])
    bounds = np.concatenate([[-np.inf], np.column_stack([b.y0[crossing][order], b.y1[crossing][order]]).ravel(), [np.inf]])
    out = []
    for top, bottom in zip(bounds[0::2], bounds[1::2], strict=True):
        if bottom - top < 3 * h:
            continue
        inside = (b.cy >= top) & (b.cy <= bottom)
        left = inside & (b.x1 <= centre)
        right = inside & (b.x0 >= centre)
        if _is_column(b, left, width, h) and _is_column(b, right, width, h):
            out.append((float(top), float(bottom), left, right))
    return out


def _is_column(b: Boxes, mask: np.ndarray, region_width: float, h: float) -> bool:
    """Enough lines, wide enough, and lines that fill the column (prose, not table cells or figure labels)."""
    n = int(mask.sum())
    if n < MIN_SIDE_LINES:
        return False
    width = float(b.x1[mask].max() - b.x0[mask].min())
    if width < MIN_SIDE_SHARE * region_width:
        return False
    widths = b.x1[mask] - b.x0[mask]
    cy = np.sort(b.cy[mask])
    rows = 1 + int((np.diff(cy) > 0.5 * h).sum())
    full = int((widths >= 0.8 * width).sum())
    return full >= max(3, MIN_FULL * rows) or float(widths.mean()) >= MIN_FILL * width
