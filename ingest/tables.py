"""Tables: runs of rows whose cells line up in two or more columns.

Detection works on the visual rows of one reading-order region: a table starts at a row with
several cells (segments separated by a clear gap) and runs while rows keep several cells or are
single cells that fit inside one column (a wrapped cell). Columns are the whitespace-separated
intervals of the x-projection of the run. Visual rows are folded into logical table rows: a row
with an empty first cell continues the row above (wrapped cells), and so does a row whose cells all
sit right under the cells above while filling fewer columns than the row above ("Elevation" /
"Mask"); any other row with a first cell starts a new logical row.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from ingest.rows import Row, Seg
from ingest.text_cues import has_prompt, is_caption, is_lone_marker, is_upper_title

CELL_GAP = 0.6  # gap between cells, in text heights
WRAP_GAP = 0.6  # a wrapped cell line sits at most this many text heights below the line above
COLUMN_GAP = 0.25  # narrowest whitespace between two columns, in text heights (OCR boxes are padded)


@dataclass(frozen=True)
class Table:
    start: int  # index of the first visual row in the region's rows
    end: int  # one past the last
    columns: tuple[tuple[float, float], ...]
    cells: tuple[tuple[tuple[Seg, ...], ...], ...]  # logical rows x columns -> segments top to bottom


def find_tables(rows: Sequence[Row], h: float) -> list[Table]:
    """Tables among ``rows`` (top to bottom), in order, not overlapping."""
    tables: list[Table] = []
    i = 0
    while i < len(rows):
        table = _table_from(rows, i, h)
        if table is None:
            i += 1
            continue
        tables.append(table)
        i = table.end
    return tables


def is_multi(row: Row, h: float) -> bool:
    """A row of several cells (not one printed line split into words, not a bullet plus text)."""
    if len(row.segs) < 2:
        return False
    if len(row.segs) == 2 and is_lone_marker(row.segs[0].text):
        return False
    if has_prompt(row.segs[0].text):
        return False  # a command and its aligned comment
    return max(row.gaps()) >= CELL_GAP * h


def _table_from(rows: Sequence[Row], i: int, h: float) -> Table | None:
    if not is_multi(rows[i], h) or is_caption(rows[i].text):
        return None
    last_multi, k = i, i + 1
    left, right = rows[i].x0, rows[i].x1
    columns = _columns(rows[i : i + 1], h)
    while k < len(rows):
        row, prev = rows[k], rows[k - 1]
        if row.y0 - prev.y1 > 2.5 * h or is_caption(row.text):
            break
        if is_multi(row, h):
            last_multi = k
            left, right = min(left, row.x0), max(right, row.x1)
            columns = _columns(rows[i : k + 1], h)
        elif not _within_columns(row, columns) and (row.x1 - row.x0 > 0.6 * (right - left) or row.y0 - prev.y1 > 1.2 * h):
            break
        k += 1
    if last_multi == i:
        return None
    columns = _columns(rows[i : last_multi + 1], h)
    if len(columns) < 2:
        return None
    start = _extend_up(rows, i, columns, h)
    end = _extend_down(rows, last_multi + 1, columns, h)
    cells = _logical_rows(rows[start:end], columns, h)
    if len(cells) < 2 or sum(sum(bool(c) for c in r) >= 2 for r in cells) < 2:
        return None
    return Table(start, end, columns, cells)


def _columns(rows: Sequence[Row], h: float) -> tuple[tuple[float, float], ...]:
    """Occupied x-intervals of the rows' segments, merged across gaps narrower than ``COLUMN_GAP``.

    The first row is left out when the others have several cells, because header cells often span columns.
    """
    body = [r for r in rows[1:] if len(r.segs) >= 2]
    use = rows[1:] if len(body) >= 2 else rows
    spans = sorted((s.rect.x0, s.rect.x1) for r in use for s in r.segs)
    merged: list[list[float]] = []
    for a, b in spans:
        if merged and a - merged[-1][1] < COLUMN_GAP * h:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return tuple((a, b) for a, b in merged)


def _within_columns(row: Row, columns: Sequence[tuple[float, float]]) -> bool:
    """Each segment of the row lies in a single column (none bridges a column gap)."""
    return len(columns) >= 2 and all(
        sum(1 for a, b in columns if s.rect.x0 < b and s.rect.x1 > a) <= 1 for s in row.segs
    )


def _fits_one_column(row: Row, columns: Sequence[tuple[float, float]]) -> bool:
    return len({_column_of(s, columns) for s in row.segs}) == 1 and all(
        sum(1 for a, b in columns if s.rect.x0 < b and s.rect.x1 > a) <= 1 for s in row.segs
    )


def _extend_up(rows: Sequence[Row], i: int, columns: Sequence[tuple[float, float]], h: float) -> int:
    while i > 0:
        row = rows[i - 1]
        if (is_caption(row.text) or is_upper_title(row.text) or row.text.endswith(":")
                or rows[i].y0 - row.y1 > WRAP_GAP * h or not _fits_one_column(row, columns)):
            break  # a caption, a heading or an intro line above the table is not one of its cells
        i -= 1
    return i


def _extend_down(rows: Sequence[Row], end: int, columns: Sequence[tuple[float, float]], h: float) -> int:
    """Take single-cell rows below the table: wrapped cells, and further paragraphs of a cell that is not the first."""
    while end < len(rows):
        row = rows[end]
        if is_caption(row.text) or not _fits_one_column(row, columns):
            break
        inner = _column_of(row.segs[0], columns) > 0
        if row.y0 - rows[end - 1].y1 > (2.0 if inner else WRAP_GAP) * h:
            break
        end += 1
    return end


def _column_of(seg: Seg, columns: Sequence[tuple[float, float]]) -> int:
    r = seg.rect

    def score(col: tuple[float, float]) -> float:
        overlap = min(r.x1, col[1]) - max(r.x0, col[0])
        return overlap if overlap > 0 else -min(abs(r.x0 - col[1]), abs(r.x1 - col[0]))

    return max(range(len(columns)), key=lambda c: score(columns[c]))


def _logical_rows(rows: Sequence[Row], columns: Sequence[tuple[float, float]], h: float) -> tuple[
    tuple[tuple[Seg, ...], ...], ...
]:
    logical: list[list[list[Seg]]] = []
    spans: list[list[float]] = []
    prev_filled: set[int] = set()
    for row in rows:
        cells: dict[int, list[Seg]] = {}
        for seg in row.segs:
            cells.setdefault(_column_of(seg, columns), []).append(seg)
        filled = set(cells)
        new_row = bool(not logical or (0 in filled and (filled >= prev_filled or not _wraps(logical[-1], spans[-1], cells, h))))
        if new_row:
            logical.append([[] for _ in columns])
            spans.append([row.y0, row.y1])
        for col, segs in cells.items():
            logical[-1][col].extend(segs)
        spans[-1] = [min(spans[-1][0], row.y0), max(spans[-1][1], row.y1)]
        prev_filled = filled
    _merge_header(logical, spans, h)
    return tuple(tuple(tuple(c) for c in r) for r in logical)  # cells keep row order, left to right within a row


def _wraps(current: list[list[Seg]], span: list[float], cells: dict[int, list[Seg]], h: float) -> bool:
    """Every cell of the visual row sits right under the same column of the current logical row."""
    for col, segs in cells.items():
        top = min(s.rect.y0 for s in segs)
        above = current[col]
        limit = max(s.rect.y1 for s in above) if above else span[1]
        if top - limit > WRAP_GAP * h:
            return False
    return True


def _merge_header(logical: list[list[list[Seg]]], spans: list[list[float]], h: float) -> None:
    """Fold a header printed on several tight lines (sparser than the body) into one header row."""
    if len(logical) < 4:
        return
    gaps = [b[0] - a[1] for a, b in zip(spans, spans[1:], strict=False)]
    typical = statistics.median(gaps)
    while len(logical) >= 4 and sum(bool(c) for c in logical[0]) < len(logical[0]):
        if gaps[0] >= 0.6 * typical or gaps[0] > WRAP_GAP * h:
            return
        for col, segs in enumerate(logical.pop(1)):
            logical[0][col].extend(segs)
        spans[0][1] = spans.pop(1)[1]
        gaps.pop(0)
