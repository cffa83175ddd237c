"""Layout analysis: OCR or text-layer lines of one page -> lines and Markdown blocks in reading order.

The stages, each in its own module:

1. ``deskew.rectify``: straighten the line boxes of a photographed page (rotation, mild perspective).
2. ``running.split_running``: running headers, footers and page numbers (kinds HEADER / FOOTER).
3. ``reading_order.order_regions``: split the body at column gutters, read column by column.
4. ``blocks.region_blocks``: tables, headings, paragraphs, list items, steps, notes, captions, code.

All boxes in the output are the input lines' own boxes (pixels of the stored page image); the
rectified frame is internal. Pure Python + numpy; a page takes a few milliseconds.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np

from ingest.blocks import region_blocks
from ingest.deskew import Rect, rectify
from ingest.markdown import Built, render_running
from ingest.reading_order import order_regions
from ingest.rows import Seg, group_rows, median_height
from ingest.running import running_lines, split_running
from storage.schema import Block, BlockKind, Line

__all__ = ["layout_page", "running_lines"]


def layout_page(
    lines: Sequence[Line], width: int, height: int, *, repeated: Collection[str] = frozenset()
) -> tuple[tuple[Line, ...], tuple[Block, ...]]:
    """Lines and blocks of a page in reading order.

    ``lines`` are in any order, boxes in pixels of the ``width`` x ``height`` page image (``quad``
    used when set). ``repeated`` holds ``running_lines()`` keys of the document. Lines come back
    with surrounding whitespace stripped and no-break spaces made plain; empty lines and lines drawn twice on top of each other
    (PDF text layers do that for bold or small caps) are dropped. Every returned line is in exactly
    one block, and each block's spans give ``block.text[start:end] == line.text`` with the line's box.
    """
    stripped = [ln.model_copy(update={"text": _clean(ln.text)}) for ln in lines if _clean(ln.text)]
    rects = rectify(stripped, width, height)
    keep = _unshadowed(stripped, rects)
    segs = [Seg(k, stripped[i], rects[i]) for k, i in enumerate(keep)]
    if not segs:
        return (), ()
    h = median_height(segs)
    headers, footers, body = split_running(segs, h, set(repeated))
    built: list[Built] = [render_running(row, BlockKind.HEADER) for row in headers]
    for region in order_regions(body):
        built.extend(region_blocks(group_rows(region), h))
    built.extend(render_running(row, BlockKind.FOOTER) for row in footers)
    out_lines = tuple(line for b in built for line in b.lines)
    return out_lines, tuple(b.block for b in built)


def _clean(text: str) -> str:
    return text.replace("\xa0", " ").strip()


def _unshadowed(lines: Sequence[Line], rects: Sequence[Rect]) -> list[int]:
    """Indices (in input order) of lines not mostly covered by a longer line on the same row."""
    if not rects:
        return []
    box = np.asarray([(r.x0, r.y0, r.x1, r.y1) for r in rects])
    order = sorted(range(len(lines)), key=lambda i: -len(lines[i].text))
    kept: list[int] = []
    for i in order:
        if kept and _covered(box, i, np.asarray(kept)):
            continue
        kept.append(i)
    return sorted(kept)


def _covered(box: np.ndarray, i: int, kept: np.ndarray) -> bool:
    x0, y0, x1, y1 = box[i]
    k = box[kept]
    v_overlap = np.minimum(k[:, 3], y1) - np.maximum(k[:, 1], y0)
    same_row = v_overlap >= 0.5 * np.minimum(k[:, 3] - k[:, 1], y1 - y0)
    spans = sorted((max(a, x0), min(b, x1)) for a, b in k[same_row][:, [0, 2]] if min(b, x1) > max(a, x0))
    covered, reach = 0.0, x0
    for a, b in spans:
        if b > reach:
            covered += b - max(a, reach)
            reach = b
    return covered >= 0.6 * max(x1 - x0, 1e-6)
