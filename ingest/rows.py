"""Placed lines (``Seg``) and visual rows: the units the layout stages reason about.

A ``Seg`` is one input line with its box in the rectified frame (see ``ingest.deskew``); a ``Row``
is the segments that sit side by side on one visual line, left to right (a PDF text layer or an
OCR engine often splits one printed line into several boxes, and table rows are several cells).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from ingest.deskew import Rect
from storage.schema import Line


@dataclass(frozen=True)
class Seg:
    index: int  # position in the page's cleaned line list
    line: Line
    rect: Rect

    @property
    def text(self) -> str:
        return self.line.text


@dataclass
class Row:
    segs: list[Seg] = field(default_factory=list)

    @property
    def x0(self) -> float:
        return min(s.rect.x0 for s in self.segs)

    @property
    def x1(self) -> float:
        return max(s.rect.x1 for s in self.segs)

    @property
    def y0(self) -> float:
        return min(s.rect.y0 for s in self.segs)

    @property
    def y1(self) -> float:
        return max(s.rect.y1 for s in self.segs)

    @property
    def h(self) -> float:
        """Text height: the tallest segment (a row's font size)."""
        return max(s.rect.h for s in self.segs)

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.segs)

    def gaps(self) -> list[float]:
        """Horizontal gaps between consecutive segments."""
        return [b.rect.x0 - a.rect.x1 for a, b in zip(self.segs, self.segs[1:], strict=False)]


def group_rows(segs: Sequence[Seg]) -> list[Row]:
    """Segments grouped into visual rows (top to bottom), each row's segments left to right."""
    rows: list[Row] = []
    for seg in sorted(segs, key=lambda s: (s.rect.cy, s.rect.x0)):
        row = _matching_row(rows[-3:], seg)
        if row is None:
            rows.append(Row([seg]))
        else:
            row.segs.append(seg)
    for row in rows:
        row.segs.sort(key=lambda s: s.rect.x0)
    rows.sort(key=lambda r: (r.y0 + r.y1) / 2)
    return rows


def _matching_row(candidates: list[Row], seg: Seg) -> Row | None:
    r = seg.rect
    best, best_overlap = None, 0.0
    for row in candidates:
        if any(_x_overlap(s.rect, r) > 0.5 * min(s.rect.w, r.w) for s in row.segs):
            continue  # one box on top of another is two rows, not one
        anchor_h = statistics.median(s.rect.h for s in row.segs)
        overlap = min(row.y1, r.y1) - max(row.y0, r.y0)
        ratio = overlap / max(1.0, min(anchor_h, r.h))
        if ratio >= 0.5 and ratio > best_overlap:
            best, best_overlap = row, ratio
    return best


def _x_overlap(a: Rect, b: Rect) -> float:
    return min(a.x1, b.x1) - max(a.x0, b.x0)


def median_height(segs: Sequence[Seg]) -> float:
    """Typical text height of a page, weighted towards body text (long lines count more)."""
    if not segs:
        return 1.0
    weighted = sorted((s.rect.h, max(1, len(s.text))) for s in segs)
    total = sum(w for _, w in weighted)
    acc = 0
    for h, w in weighted:
        acc += w
        if acc >= total / 2:
            return max(h, 1.0)
    return max(weighted[-1][0], 1.0)
