"""From a quoted stretch of a chunk to citations: the page, the line boxes, the quote, the image.

``chunk.refs`` say, for each line, which characters ``[start, end)`` of ``chunk.text`` it holds
and where the line is on its page. A quote's boxes are the boxes of the lines whose ranges
overlap the quote, with lines that touch vertically (in the same column) merged into one box.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from assistant.schema import Citation
from storage.schema import BBox, Chunk, SourceRef

ImagePath = Callable[[str, int], str]
"""``image_path(doc_id, page)``: the path of a stored page image."""

MERGE_GAP = 0.8  # lines closer than this many line heights (and overlapping in x) merge into one box


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
    """Line boxes with vertically adjacent lines of the same column merged, top to bottom."""
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
    gap = max(b.y0 - a.y1, a.y0 - b.y1)
    x_overlap = min(a.x1, b.x1) - max(a.x0, b.x0)
    return gap <= MERGE_GAP * height and x_overlap > -height


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
