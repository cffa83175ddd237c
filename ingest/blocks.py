"""Blocks of one reading-order region: headings, paragraphs, list items, steps, notes, captions, code, tables.

Rows are taken top to bottom. Each row either starts a block (its text or size says what kind) or
continues the block above. A row continues a paragraph when it is close below it (no paragraph
spacing), the row above reaches the right margin (a short line ends a paragraph) and it is not
indented like a new paragraph's first line. List items and steps also take rows with a hanging
indent.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from ingest.markdown import Built, render_code, render_flow, render_heading, render_table
from ingest.rows import Row
from ingest.tables import find_tables
from ingest.text_cues import (
    bullet_prefix,
    ends_sentence,
    has_prompt,
    is_caption,
    is_note,
    is_option,
    is_upper_title,
    looks_like_code,
    marker_level,
    section_level,
    step_marker,
    word_count,
)
from storage.schema import BlockKind

STARTERS = {BlockKind.HEADING, BlockKind.CAPTION, BlockKind.NOTE, BlockKind.LIST_ITEM, BlockKind.STEP}


@dataclass(frozen=True)
class Region:
    """Geometry of one column of text: left and right margins, text height, usual gap between rows."""

    left: float
    right: float
    h: float
    gap: float

    @property
    def width(self) -> float:
        return max(self.right - self.left, 1.0)

    def is_full(self, row: Row, nxt: Row | None = None) -> bool:
        """The row reaches the right margin, or ``nxt``'s first word would not have fitted after it.

        Either way the text goes on in the next row; a line that ends short ends its paragraph.
        """
        room = self.right - row.x1
        if room <= max(0.15 * self.width, 3 * self.h):
            return True
        if nxt is None or not nxt.text:
            return False
        first = nxt.text.split()[0]
        char_w = (nxt.x1 - nxt.x0) / max(len(nxt.text), 1)
        return (len(first) + 1) * char_w >= room


@dataclass
class Pending:
    kind: BlockKind
    rows: list[Row] = field(default_factory=list)
    level: int = 0


def region_blocks(rows: Sequence[Row], h: float) -> list[Built]:
    """Blocks of one region, top to bottom; ``h`` is the page's body text height."""
    if not rows:
        return []
    region = _measure(rows, h)
    tables = {t.start: t for t in find_tables(rows, h)}
    in_table = {k for t in tables.values() for k in range(t.start, t.end)}
    out: list[Built] = []
    pending: Pending | None = None
    i = 0
    while i < len(rows):
        if i in tables:
            out.extend(_flush(pending, region))
            pending = None
            out.append(render_table(tables[i].cells))
            i = tables[i].end
            continue
        row = rows[i]
        prev = rows[i - 1] if i and (i - 1) not in in_table else None
        nxt = rows[i + 1] if i + 1 < len(rows) else None
        kind, level = _in_context(classify(row, prev, nxt, region), row, pending, region)
        if pending is not None and _continues(pending, row, kind, region):
            pending.rows.append(row)
        else:
            out.extend(_flush(pending, region))
            pending = Pending(kind, [row], level)
        i += 1
    out.extend(_flush(pending, region))
    return out


def _in_context(start: tuple[BlockKind, int], row: Row, pending: Pending | None, region: Region) -> tuple[BlockKind, int]:
    """Correct what a row alone suggests by the block it follows."""
    kind, level = start
    if pending is None:
        return kind, level
    if (kind == BlockKind.CODE and pending.kind != BlockKind.CODE and not has_prompt(row.text)
            and not pending.rows[-1].text.endswith(":") and _continues(pending, row, BlockKind.PARAGRAPH, region)):
        return BlockKind.PARAGRAPH, 0  # a wrapped line of prose that happens to hold a path or symbols
    if kind == BlockKind.HEADING and pending.kind == BlockKind.STEP and step_marker(row.text):
        return BlockKind.STEP, 0  # the last, short step of a procedure
    return kind, level


def _measure(rows: Sequence[Row], h: float) -> Region:
    xs0 = sorted(r.x0 for r in rows)
    xs1 = sorted(r.x1 for r in rows)
    left = xs0[len(xs0) // 10]
    right = xs1[min(len(xs1) - 1, (len(xs1) * 9) // 10)]
    probe = Region(left, right, h, 0.0)
    pairs = list(zip(rows, rows[1:], strict=False))
    flowing = [b.y0 - a.y1 for a, b in pairs if probe.is_full(a) and abs(a.h - b.h) < 0.3 * a.h]
    gaps = flowing if len(flowing) >= 2 else [b.y0 - a.y1 for a, b in pairs]
    gap = max(0.0, statistics.median(gaps)) if gaps else 0.0
    return Region(left, right, h, min(gap, 2 * h))


def classify(row: Row, prev: Row | None, nxt: Row | None, region: Region) -> tuple[BlockKind, int]:
    """What block a row would start: its kind and, for headings, its level."""
    text = row.text
    if looks_like_code(text):
        return BlockKind.CODE, 0
    if is_caption(text):
        return BlockKind.CAPTION, 0
    level = heading_level(row, prev, nxt, region)
    if level:
        return BlockKind.HEADING, level
    if is_note(text):
        return BlockKind.NOTE, 0
    if bullet_prefix(text):
        return BlockKind.LIST_ITEM, 0
    if step_marker(text) and not _mid_sentence(row, prev, region):
        return BlockKind.STEP, 0
    return BlockKind.PARAGRAPH, 0


def _mid_sentence(row: Row, prev: Row | None, region: Region) -> bool:
    """A number that merely wraps to the start of a line inside a running paragraph."""
    if prev is None or step_marker(prev.text) or bullet_prefix(prev.text):
        return False
    return region.is_full(prev) and row.y0 - prev.y1 <= region.gap + 0.3 * region.h and not ends_sentence(prev.text)


def heading_level(row: Row, prev: Row | None, nxt: Row | None, region: Region) -> int | None:
    """The row's heading level, or None.

    A heading is short, does not end like a sentence and stands apart from the text above it; then
    either its type is large, or it is numbered like a section (``2.1.``, ``A.``, ``a)``, ``iv.``)
    or set in capitals. Levels come from the numbering, else from the type size.
    """
    text = row.text
    words = word_count(text)
    if words > 14 or len(text) > 120 or not any(c.isalpha() for c in text) or (ends_sentence(text) and words > 3):
        return None
    if prev is not None and row.y0 - prev.y1 < region.gap + 0.4 * region.h and region.is_full(prev):
        return None  # runs on from the line above
    size = row.h / region.h
    marker = step_marker(text)
    if size >= 1.2:
        return section_level(text) or (marker_level(marker) if marker else _size_level(size))
    return _body_size_level(text, words, size, marker, nxt) if words <= 10 else None


def _body_size_level(text: str, words: int, size: float, marker: str | None, nxt: Row | None) -> int | None:
    """Level of a heading set in (about) body-size type: it needs a section number, a marker or capitals."""
    numbered = section_level(text)
    if numbered is not None and (size >= 1.1 or is_upper_title(text) or "." in text.split()[0][:-1]
                                 or text.lower().startswith(("chapter", "appendix"))):
        return numbered
    if marker and "(" not in marker and words <= 8 and size >= 0.95 and not _sibling(marker, nxt):
        return marker_level(marker)
    if is_upper_title(text) and words <= 6 and size >= 0.85:  # capitals have no descenders: shorter boxes
        return 3
    if numbered is not None and size >= 0.95 and not _sibling(text.split()[0], nxt):
        return numbered
    return None


def _sibling(marker: str, nxt: Row | None) -> bool:
    """The next row starts with a marker of the same style (a list, not a heading)."""
    if nxt is None:
        return False
    other = step_marker(nxt.text)
    return other is not None and other[-1] == marker[-1] and other[0].isdigit() == marker[0].isdigit()


def _size_level(size: float) -> int:
    if size >= 1.8:
        return 1
    if size >= 1.4:
        return 2
    return 3


def _continues(p: Pending, row: Row, kind: BlockKind, region: Region) -> bool:
    last = p.rows[-1]
    gap = row.y0 - last.y1
    if p.kind == BlockKind.CODE:
        near = gap <= region.gap + 1.5 * region.h
        indented = row.x0 >= region.left + region.h and not region.is_full(row)
        return near and (kind == BlockKind.CODE or (indented and kind == BlockKind.PARAGRAPH))
    if kind == BlockKind.CODE:
        return False
    if kind in STARTERS or gap > region.gap + 0.45 * region.h or is_option(row.text):
        return False
    if p.kind == BlockKind.HEADING:
        return row.h >= 0.85 * last.h and row.h >= 1.15 * region.h and gap <= 0.5 * row.h
    if p.kind == BlockKind.CAPTION:
        return gap <= 0.5 * region.h and abs(row.h - last.h) <= 0.3 * last.h
    if not region.is_full(last, row) or abs(row.h - last.h) > 0.35 * max(row.h, last.h):
        return False
    first = p.rows[0]
    if p.kind in (BlockKind.LIST_ITEM, BlockKind.STEP):
        return True  # hanging indent, or a full line before an outdented one
    margin = p.rows[1].x0 if len(p.rows) >= 2 else first.x0
    return row.x0 <= margin + 0.8 * region.h and (len(p.rows) == 1 or row.x0 >= margin - 0.8 * region.h)


def _flush(p: Pending | None, region: Region) -> list[Built]:
    if p is None:
        return []
    if p.kind == BlockKind.HEADING:
        return [render_heading(p.rows, p.level)]
    if p.kind == BlockKind.CODE:
        return [render_code(p.rows)]
    if p.kind == BlockKind.NOTE or (p.kind == BlockKind.PARAGRAPH and _is_inset_box(p.rows, region)):
        return [render_flow(p.rows, BlockKind.NOTE, "> ")]
    return [render_flow(p.rows, p.kind)]


def _is_inset_box(rows: Sequence[Row], region: Region) -> bool:
    """A paragraph set in from both margins, its lines justified to a common right edge (an admonition box)."""
    if len(rows) < 2:
        return False
    x0s = [r.x0 for r in rows]
    x1s = [r.x1 for r in rows]
    if max(x0s) - min(x0s) > 0.5 * region.h or min(x0s) < region.left + 0.08 * region.width:
        return False
    right = max(x1s)
    flush = sum(right - x <= 0.5 * region.h for x in x1s)
    return right <= region.right - 0.018 * region.width and flush * 2 >= len(rows)
