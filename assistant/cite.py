"""From a quoted stretch of a chunk to citations: the page, the line boxes, the quote, the image.

``chunk.refs`` say, for each line, which characters ``[start, end)`` of ``chunk.text`` it holds
and where the line is on its page. A quote's boxes are the boxes of the lines whose ranges
overlap the quote, one box per printed line: pieces of one line (a line read in several boxes)
merge, lines above each other do not, so the highlight of a sentence that begins mid-line is the
lines it is on, not the rectangle around a whole paragraph.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from assistant.schema import Citation
from storage.schema import BBox, Chunk, SourceRef

ImagePath = Callable[[str, int], str]
"""``image_path(doc_id, page)``: the path of a stored page image."""

SAME_LINE = 0.5  # boxes whose vertical overlap is at least this share of the lower one are pieces of one line


@dataclass(frozen=True)
class Quote:
    """Characters ``chunk.text[start:end]`` to cite, shown as ``text``."""

    chunk: Chunk
    start: int
    end: int
    text: str


def refs_for(chunk: Chunk, start: int, end: int) -> list[SourceRef]:
    """The line refs of ``chunk`` whose character ranges overlap ``[start, end)``."""
    return [r for r in chunk.refs if r.start < end and start < r.end]


def merge_boxes(boxes: Sequence[BBox]) -> tuple[BBox, ...]:
    """Line boxes with the pieces of each printed line (same height, touching in x) merged, top to bottom."""
    merged: list[BBox] = []
    for box in sorted(boxes, key=lambda b: (b.y0, b.x0)):
        for i, other in enumerate(merged):
            if _adjacent(other, box):
                merged[i] = other.union(box)
                break
        else:
            merged.append(box)
    return tuple(merged)


def _adjacent(a: BBox, b: BBox) -> bool:
    height = max(min(a.height, b.height), 1.0)
    y_overlap = min(a.y1, b.y1) - max(a.y0, b.y0)
    x_gap = max(b.x0 - a.x1, a.x0 - b.x1)
    return y_overlap >= SAME_LINE * height and x_gap <= height


def cite(quotes: Sequence[Quote], image_path: ImagePath, first: int = 1) -> list[list[Citation]]:
    """Citations of each quote (one per page it spans), numbered from ``first`` in quote order.

    A quote whose characters overlap no line ref (text without a known position) gets none.
    """
    out: list[list[Citation]] = []
    n = first
    for quote in quotes:
        by_page: dict[int, list[BBox]] = {}
        for ref in refs_for(quote.chunk, quote.start, quote.end):
            by_page.setdefault(ref.page, []).append(ref.bbox)
        cited = []
        for page, boxes in sorted(by_page.items()):
            cited.append(
                Citation(
                    n=n,
                    chunk_id=quote.chunk.id,
                    doc_id=quote.chunk.doc_id,
                    page=page,
                    boxes=merge_boxes(boxes),
                    quote=quote.text,
                    image=image_path(quote.chunk.doc_id, page),
                )
            )
            n += 1
        out.append(cited)
    return out
