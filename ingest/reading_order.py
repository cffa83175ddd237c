"""Reading order of a page: find column gutters and read column by column.

A gutter is a vertical strip of whitespace that runs down a good part of the page with prose on
both sides (lines that fill their column). Tables and figures also have vertical whitespace, but
their cells are short and ragged or their "columns" are narrow, so they do not qualify. The page
is split recursively: what lies above a gutter, its left column, its right column, what lies below
(full-width titles and headings above two columns are thus read first).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from ingest.rows import Seg, group_rows, median_height

MIN_SIDE_LINES = 4
MIN_SIDE_SHARE = 0.25  # each column at least this share of the region's text width
MIN_FILL = 0.55  # mean line width of a column, as a share of the column's width
MIN_FULL = 0.25  # or: this share of its lines fill the column (prose beside a table or figure)


@dataclass(frozen=True)
class Gutter:
    x: float
    top: float
    bottom: float
    left: tuple[Seg, ...]
    right: tuple[Seg, ...]


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
    x0 = min(s.rect.x0 for s in segs)
    x1 = max(s.rect.x1 for s in segs)
    width = x1 - x0
    if width <= 0:
        return None
    margin = max(2.0, 0.25 * h)
    best: Gutter | None = None
    for gx in _candidates(segs, x0, x1, margin, h):
        found = _gutters_at(segs, gx, margin, x0, x1, h)
        centred = {(max(s.rect.x1 for s in g.left) + min(s.rect.x0 for s in g.right)) / 2 for g in found}
        for cx in centred:  # the band that suggested gx may have seen only part of the gutter
            found.extend(_gutters_at(segs, cx, margin, x0, x1, h))
        for g in found:
            if best is None or len(g.left) + len(g.right) > len(best.left) + len(best.right):
                best = g
    return best


def _candidates(segs: Sequence[Seg], x0: float, x1: float, margin: float, h: float) -> list[float]:
    """Centres of whitespace gaps in the x-projection of horizontal bands of the page (merged)."""
    width = x1 - x0
    top = min(s.rect.y0 for s in segs)
    bottom = max(s.rect.y1 for s in segs)
    band = 8 * h
    found: list[float] = []
    y = top
    while y < bottom:
        spans = sorted((s.rect.x0, s.rect.x1) for s in segs if y <= s.rect.cy < y + band)
        reach = None
        for a, b in spans:
            if reach is not None and a - reach >= 2 * margin:
                mid = (a + reach) / 2
                if x0 + MIN_SIDE_SHARE * width <= mid <= x1 - MIN_SIDE_SHARE * width:
                    found.append(mid)
            reach = b if reach is None else max(reach, b)
        y += band / 2
    found.sort()
    merged: list[float] = []
    for x in found:
        if merged and x - merged[-1] < 2 * margin:
            continue
        merged.append(x)
    return merged


def _gutters_at(segs: Sequence[Seg], gx: float, margin: float, x0: float, x1: float, h: float) -> list[Gutter]:
    """Maximal vertical runs of the strip around ``gx`` that no line crosses, with columns on both sides."""
    crossing = sorted(
        (s.rect.y0, s.rect.y1) for s in segs if s.rect.x0 < gx + margin and s.rect.x1 > gx - margin
    )
    bounds = [float("-inf")]
    for y0, y1 in crossing:
        bounds.extend([y0, y1])
    bounds.append(float("inf"))
    out = []
    for top, bottom in zip(bounds[0::2], bounds[1::2], strict=True):
        if bottom - top < 3 * h:
            continue
        inside = [s for s in segs if top <= s.rect.cy <= bottom]
        left = tuple(s for s in inside if s.rect.x1 <= gx)
        right = tuple(s for s in inside if s.rect.x0 >= gx)
        if _is_column(left, x1 - x0) and _is_column(right, x1 - x0):
            out.append(Gutter(gx, top, bottom, left, right))
    return out


def _is_column(segs: tuple[Seg, ...], region_width: float) -> bool:
    """Enough lines, wide enough, and lines that fill the column (prose, not table cells or figure labels)."""
    if len(segs) < MIN_SIDE_LINES:
        return False
    left = min(s.rect.x0 for s in segs)
    right = max(s.rect.x1 for s in segs)
    width = right - left
    if width < MIN_SIDE_SHARE * region_width:
        return False
    full = sum(s.rect.w >= 0.8 * width for s in segs)
    return full >= max(3, MIN_FULL * len(group_rows(segs))) or statistics.fmean(s.rect.w for s in segs) >= MIN_FILL * width
