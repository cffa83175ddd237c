"""Running headers and footers: page numbers, running heads and lines repeated on most pages.

They stay on the page (a reader may want them) but are kept out of chunks. A real first-line
heading must not be mistaken for a running head: a row in the top zone is a header only when it
repeats on other pages, carries a page number, or is small, short and set apart from the body.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Sequence

from rapidfuzz import fuzz, process

from ingest.rows import Row, Seg, group_rows
from ingest.text_cues import (
    ends_sentence,
    is_caption,
    is_page_number,
    normalize_running,
    section_level,
    step_marker,
)
from storage.schema import Line

ZONE = 0.07  # share of the text height where running heads and page numbers live
REPEAT_ZONE = 0.15  # lines repeated across pages may sit a little further in (citation footers)
MAX_RUNNING_CHARS = 160
FUZZY_MIN_CHARS = 12  # shorter running lines (page numbers, short heads) must match exactly
FUZZY_SCORE = 85.0  # rapidfuzz ratio (0-100) at which two OCR readings count as the same line
_FOOTER_WORDS = re.compile(r"©|\(c\)|copyright|last edited|all rights reserved|confidential|seite|page", re.IGNORECASE)


def running_lines(pages_lines: Sequence[Sequence[Line]]) -> set[str]:
    """Keys (``normalize_running``) of short lines near the top or bottom of at least half the pages (>= 2).

    OCR reads the same running line a little differently on each page, so near-identical keys count
    as one (see ``is_repeated``).
    """
    if len(pages_lines) < 2:
        return set()
    clusters: dict[str, set[int]] = {}
    for page, lines in enumerate(pages_lines):
        for key in _edge_keys(lines):
            rep = _closest(key, clusters)
            clusters.setdefault(rep or key, set()).add(page)
    need = max(2, math.ceil(len(pages_lines) / 2))
    return {key for key, pages in clusters.items() if len(pages) >= need}


def is_repeated(text: str, repeated: Collection[str]) -> bool:
    """``text`` is one of the document's running lines (exactly, or nearly for longer lines)."""
    key = normalize_running(text)
    return key in repeated or _closest(key, repeated) is not None


def _closest(key: str, keys: Collection[str]) -> str | None:
    if key in keys:
        return key
    if len(key) < FUZZY_MIN_CHARS or not keys:
        return None
    found = process.extractOne(key, list(keys), scorer=fuzz.ratio, score_cutoff=FUZZY_SCORE)
    return found[0] if found else None


def _edge_keys(lines: Sequence[Line]) -> set[str]:
    texts = [line for line in lines if line.text.strip()]
    if not texts:
        return set()
    top = min(line.bbox.y0 for line in texts)
    bottom = max(line.bbox.y1 for line in texts)
    zone = REPEAT_ZONE * (bottom - top)
    keys = set()
    for line in texts:
        cy = (line.bbox.y0 + line.bbox.y1) / 2
        if (cy <= top + zone or cy >= bottom - zone) and len(line.text) <= MAX_RUNNING_CHARS:
            keys.add(normalize_running(line.text))
    return keys


def split_running(segs: Sequence[Seg], h: float, repeated: Collection[str]) -> tuple[list[Row], list[Row], list[Seg]]:
    """``(header_rows, footer_rows, body_segs)`` of a page; ``h`` is the body text height."""
    if not segs:
        return [], [], []
    top = min(s.rect.y0 for s in segs)
    bottom = max(s.rect.y1 for s in segs)
    height = max(bottom - top, 1.0)
    near_top = [s for s in segs if s.rect.cy <= top + REPEAT_ZONE * height]
    near_bottom = [s for s in segs if s.rect.cy >= bottom - REPEAT_ZONE * height]
    headers = _take_rows(group_rows(near_top), segs, h, repeated, top + ZONE * height, at_top=True)
    taken = {s.index for row in headers for s in row.segs}
    bottom_rows = [r for r in group_rows([s for s in near_bottom if s.index not in taken])]
    footers = _take_rows(bottom_rows[::-1], segs, h, repeated, bottom - ZONE * height, at_top=False)[::-1]
    taken |= {s.index for row in footers for s in row.segs}
    return headers, footers, [s for s in segs if s.index not in taken]


def _take_rows(rows: list[Row], segs: Sequence[Seg], h: float, repeated: Collection[str], zone_edge: float,
               *, at_top: bool) -> list[Row]:
    """Rows from the page edge inwards while each one looks running; stops at the first that does not."""
    out: list[Row] = []
    for row in rows:
        in_zone = row.y0 <= zone_edge if at_top else row.y1 >= zone_edge
        repeats = all(is_repeated(s.text, repeated) for s in row.segs)
        if repeats or (in_zone and _looks_running(row, segs, h, first=not out, at_top=at_top)):
            out.append(row)
        else:
            break
    return out


def _looks_running(row: Row, segs: Sequence[Seg], h: float, *, first: bool, at_top: bool) -> bool:
    text = row.text
    if len(text) > MAX_RUNNING_CHARS or row.h > 1.3 * h:
        return False
    if any(is_page_number(s.text) for s in row.segs) and len(row.segs) <= 4:
        return True
    gap = _gap_to_body(row, segs, at_top=at_top)
    if not at_top:
        return bool(_FOOTER_WORDS.search(text)) and gap >= h
    left = min(s.rect.x0 for s in segs)
    width = max(s.rect.x1 for s in segs) - left
    set_off = row.x0 - left > 0.15 * width  # centred or flush right, not where the body text starts
    return (
        first
        and gap >= (0.5 if set_off else 1.2) * h
        and len(text) <= 90
        and not ends_sentence(text)
        and section_level(text) is None
        and step_marker(text) is None
        and not is_caption(text)
    )


def _gap_to_body(row: Row, segs: Sequence[Seg], *, at_top: bool) -> float:
    ids = {s.index for s in row.segs}
    others = [s for s in segs if s.index not in ids]
    if at_top:
        below = [s.rect.y0 for s in others if s.rect.cy > row.y1]
        return min(below) - row.y1 if below else 0.0
    above = [s.rect.y1 for s in others if s.rect.cy < row.y0]
    return row.y0 - max(above) if above else 0.0
