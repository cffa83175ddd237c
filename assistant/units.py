"""Cut a chunk's Markdown into answer units: sentences, steps, table rows, code lines, headings.

The first row of a table of two or more rows is its ``header`` when it reads as column names: quoted
only as the context of a row.

A unit is the smallest thing an answer quotes and cites. Its ``start``/``end`` are character
offsets into ``chunk.text`` (the same offsets as the chunk's line refs), so a unit maps back to
the lines, and so to the boxes, it was read from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

UnitKind = Literal["sentence", "step", "row", "header", "code", "heading"]

HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
FENCE = re.compile(r"^\s*(```|~~~)")
TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
LIST_MARK = re.compile(r"^\s*(?:[-*•·▪►.]|\(?\d{1,2}[.)]|\(?[a-zA-Z][.)]|\(?[ivxIVX]{1,4}[.)])\s+")  # "." is a misread bullet
QUOTE_MARK = re.compile(r"^\s*>\s?")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-ZÄÖÜ#$/\-])")
ABBREVIATION = re.compile(r"(?:\b(?:e\.g|i\.e|z\.b|z\. b|u\.a|d\.h|bzw|ca|vgl|etc|fig|figs|no|vs|sec|ch|ref|eq|approx|incl|dr|mr|ms|st|str|nr|tel|v)\.|\b[A-Z]\.)$", re.I)
MARKDOWN_INLINE = re.compile(r"(\*\*|__|`)")
MAX_HEADER_CELL = 40  # characters in a column name, at most
MAX_HEADER_WORDS = 5
CAPTION = re.compile(r"^(?:table|tab\.|tabelle|figure|fig\.|abbildung|abb\.)\s*(?:\d+|[ivxl]+)\b", re.I)
HEADER_VALUE = re.compile(r"[(\[].*\d|\d.*[)\]]|[.!?]$")  # a bracketed number or a sentence end: content, not a name


@dataclass(frozen=True)
class Unit:
    """Characters ``chunk.text[start:end]`` of one chunk, read as one sentence, step, row or code line."""

    chunk_id: str
    index: int  # position within the chunk, from 0
    kind: UnitKind
    start: int
    end: int
    text: str  # the unit as plain text (Markdown markers removed)
    section: str = ""  # the nearest heading above the unit in the chunk
    header: str = ""  # for a table row: the table's header row
    caption: str = ""  # for a table row or header: the caption line right above the table ("TABLE I. FALSE POSITIVE ...")
    partial: bool = False  # a table row with empty cells (often the rest of a cell split over two rows)


def split_units(chunk_id: str, text: str) -> list[Unit]:
    """The chunk's units in reading order."""
    raw: list[tuple[UnitKind, int, int]] = []
    para: list[tuple[int, int]] = []  # line ranges of the paragraph being collected
    in_fence = False
    offset = 0
    for line in text.splitlines(keepends=True):
        start, end = offset, offset + len(line.rstrip("\r\n"))
        offset += len(line)
        body = text[start:end]
        if FENCE.match(body):
            raw.extend(_paragraph(text, para))
            para = []
            in_fence = not in_fence
            continue
        kind = _line_kind(body, in_fence)
        if kind is None:  # blank line or table rule: ends a paragraph
            raw.extend(_paragraph(text, para))
            para = []
        elif kind == "text":
            if para or not raw or raw[-1][0] != "step" or not _continues(text, raw[-1], start):
                para.append((start, end))
            else:  # a wrapped line of the step above
                raw[-1] = ("step", raw[-1][1], end)
        else:
            raw.extend(_paragraph(text, para))
            para = []
            raw.append((kind, start, end))
    raw.extend(_paragraph(text, para))
    return _finish(chunk_id, text, raw)


def _line_kind(body: str, in_fence: bool) -> UnitKind | Literal["text"] | None:
    if not body.strip():
        return None
    if in_fence:
        return "code"
    if HEADING.match(body):
        return "heading"
    if TABLE_ROW.match(body):
        return None if TABLE_RULE.match(body) else "row"
    if TABLE_RULE.match(body) and "|" in body:
        return None
    if LIST_MARK.match(body):
        return "step"
    return "text"


def _continues(text: str, previous: tuple[UnitKind, int, int], start: int) -> bool:
    """A text line right under a step (no blank line between) continues that step."""
    return "\n\n" not in text[previous[2] : start]


def _paragraph(text: str, lines: list[tuple[int, int]]) -> list[tuple[UnitKind, int, int]]:
    """Sentences of a paragraph spread over ``lines`` (offsets into ``text``)."""
    if not lines:
        return []
    start, end = lines[0][0], lines[-1][1]
    block = text[start:end]
    out: list[tuple[UnitKind, int, int]] = []
    cursor = 0
    for match in SENTENCE_END.finditer(block):
        if ABBREVIATION.search(block[cursor : match.start()]):
            continue
        if block[cursor : match.start()].strip():
            out.append(("sentence", start + cursor, start + match.start()))
        cursor = match.end()
    if block[cursor:].strip():
        out.append(("sentence", start + cursor, end))
    return out


def _finish(chunk_id: str, text: str, raw: list[tuple[UnitKind, int, int]]) -> list[Unit]:
    units: list[Unit] = []
    section = ""
    header = ""
    caption = ""
    for i, (kind, start, end) in enumerate(raw):
        plain = plain_text(text[start:end], kind)
        if not plain:
            continue
        if kind == "heading":
            section = plain
        if kind == "row" and (i == 0 or raw[i - 1][0] != "row"):
            header = ""
            caption = units[-1].text if units and CAPTION.match(units[-1].text) else ""
            if i + 1 < len(raw) and raw[i + 1][0] == "row" and _names_columns(plain):
                kind, header = "header", plain
        partial = kind == "row" and any(not c.strip() for c in text[start:end].strip().strip("|").split("|"))
        in_table = kind in ("row", "header")
        units.append(Unit(chunk_id=chunk_id, index=len(units), kind=kind, start=start, end=end, text=plain,
                          section=section, header=header if kind == "row" else "", caption=caption if in_table else "",
                          partial=partial))
    return units


NUMBERED_STEP = re.compile(r"^\(?\d{1,2}[.)]")


def holds_procedure(units: list[Unit]) -> bool:
    """Whether units include a procedure: two or more command lines or numbered steps."""
    return sum(u.kind == "code" or (u.kind == "step" and NUMBERED_STEP.match(u.text) is not None) for u in units) >= 2


def _names_columns(row: str) -> bool:
    """A first row that reads as column names (short cells, no bracketed values or sentences). A table
    rebuilt from a page's geometry often has none: its first row is content and must stay quotable."""
    cells = [c.strip() for c in row.split("|")]
    return all(len(c) <= MAX_HEADER_CELL and len(c.split()) <= MAX_HEADER_WORDS and not HEADER_VALUE.search(c) for c in cells)


def plain_text(markdown: str, kind: UnitKind) -> str:
    """A unit's text for reading and quoting: Markdown markers removed, whitespace collapsed."""
    text = markdown
    if kind == "heading":
        text = HEADING.sub("", text)
    if kind in ("row", "header"):  # a cell may start with ">" ("> 50"): not a block quote
        cells = [c.strip() for c in text.strip().strip("|").split("|")]
        text = " | ".join(c for c in cells if c)
    else:
        text = QUOTE_MARK.sub("", text)
    text = MARKDOWN_INLINE.sub("", text)
    return " ".join(text.split())
