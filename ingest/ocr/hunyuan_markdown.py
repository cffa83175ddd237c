"""Splitting HunyuanOCR's doc-parse Markdown into blocks (no boxes yet: see ``hunyuan_align``).

The doc-parse output is Markdown in reading order: ``#`` headings, paragraphs separated by blank
lines, lists, fenced code, tables as HTML ``<table>`` (or, rarely, Markdown pipe tables) and
formulas in ``$..$`` / ``$$..$$``. Figure coordinate pairs must already be stripped.

Block texts follow the conventions of Folio's own layout (``ingest.markdown``), so the chunker
treats both engines alike: headings keep their ``#`` marks, code keeps its fences, and HTML tables
become Markdown pipe tables (one row per line, the first row as header).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from storage.schema import BlockKind

HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
BULLET = re.compile(r"^\s*[-*+•]\s+\S")
NUMBERED = re.compile(r"^\s*\d{1,3}[.)]\s+\S")
CAPTION = re.compile(r"^\s*(?:\*\*)?(?:Figure|Fig\.|Table|图|表)\s*[\dA-Z]", re.I)
IMAGE = re.compile(r"^\s*!\[[^\]]*\]\([^)]*\)\s*$")
PIPE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
FENCE = "```"
TABLE_ROW = re.compile(r"<tr\b[^>]*>(.*?)</tr>", re.S | re.I)
TABLE_CELL = re.compile(r"<t[dh]\b([^>]*)>(.*?)</t[dh]>", re.S | re.I)
COLSPAN = re.compile(r"colspan\s*=\s*[\"']?(\d+)", re.I)
TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class ParsedBlock:
    """A doc-parse block: its kind, its Markdown text (headings without ``#``) and heading level."""

    kind: BlockKind
    text: str
    level: int = 0


def split_blocks(markdown: str) -> list[ParsedBlock]:
    """The blocks of a doc-parse Markdown page, in its order. Empty blocks are left out."""
    lines = markdown.replace("\r\n", "\n").split("\n")
    return [block for block in _blocks(lines) if block.text.strip()]


def _blocks(lines: list[str]) -> Iterator[ParsedBlock]:
    i = 0
    paragraph: list[str] = []
    while i < len(lines):
        line = lines[i]
        special = _special_block(lines, i)
        if special is not None or not line.strip() or _starts_item(line) or IMAGE.match(line):
            if paragraph:
                yield _paragraph(paragraph)
                paragraph = []
        if special is not None:
            block, i = special
            yield block
            continue
        if line.strip() and not IMAGE.match(line):
            paragraph.append(line.rstrip())
        i += 1
    if paragraph:
        yield _paragraph(paragraph)


def _special_block(lines: list[str], i: int) -> tuple[ParsedBlock, int] | None:
    """A heading, code fence, HTML table, pipe table or display formula starting at line ``i``, with the next index."""
    line = lines[i]
    heading = HEADING.match(line)
    if heading:
        level = len(heading.group(1))
        return ParsedBlock(BlockKind.HEADING, "#" * level + " " + heading.group(2), level=level), i + 1
    if line.lstrip().startswith(FENCE):
        end = _index_from(lines, i + 1, lambda s: s.lstrip().startswith(FENCE))
        body = "\n".join(lines[i + 1 : end]).strip("\n")
        return ParsedBlock(BlockKind.CODE, f"{FENCE}\n{body}\n{FENCE}" if body.strip() else ""), end + 1
    if "<table" in line.lower():
        end = _table_end(lines, i)
        return ParsedBlock(BlockKind.TABLE, html_table_to_markdown("\n".join(lines[i : end + 1]).strip())), end + 1
    if line.strip().startswith("|") and i + 1 < len(lines) and PIPE_SEPARATOR.match(lines[i + 1]):
        end = _index_from(lines, i + 2, lambda s: not s.strip().startswith("|"))
        return ParsedBlock(BlockKind.TABLE, "\n".join(lines[i:end])), end
    if line.strip().startswith("$$") and line.count("$$") == 1:
        end = _index_from(lines, i + 1, lambda s: "$$" in s)
        return ParsedBlock(BlockKind.PARAGRAPH, "\n".join(lines[i : end + 1])), end + 1
    return None


def _index_from(lines: list[str], start: int, stop: Callable[[str], bool]) -> int:
    """The first index >= start whose line satisfies ``stop`` (len(lines) if none)."""
    for j in range(start, len(lines)):
        if stop(lines[j]):
            return j
    return len(lines)


def _table_end(lines: list[str], start: int) -> int:
    depth = 0
    for j in range(start, len(lines)):
        low = lines[j].lower()
        depth += low.count("<table") - low.count("</table>")
        if depth <= 0:
            return j
    return len(lines) - 1


def _starts_item(line: str) -> bool:
    return bool(BULLET.match(line) or NUMBERED.match(line))


def _paragraph(lines: list[str]) -> ParsedBlock:
    text = "\n".join(lines).strip()
    if BULLET.match(lines[0]):
        return ParsedBlock(BlockKind.LIST_ITEM, text)
    if NUMBERED.match(lines[0]):
        return ParsedBlock(BlockKind.STEP, text)
    if CAPTION.match(lines[0]):
        return ParsedBlock(BlockKind.CAPTION, text)
    return ParsedBlock(BlockKind.PARAGRAPH, text)


def html_table_to_markdown(table: str) -> str:
    """An HTML ``<table>`` as a Markdown pipe table (``colspan`` repeats empty cells; unreadable HTML is kept)."""
    rows = [_cells(row) for row in TABLE_ROW.findall(table)]
    rows = [row for row in rows if row]
    if not rows:
        return table
    width = max(len(row) for row in rows)
    lines = ["| " + " | ".join(row + [""] * (width - len(row))) + " |" for row in rows]
    lines.insert(1, "|" + " --- |" * width)
    return "\n".join(lines)


def _cells(row: str) -> list[str]:
    cells: list[str] = []
    for attrs, content in TABLE_CELL.findall(row):
        text = html.unescape(TAG.sub(" ", content))
        cells.append(" ".join(text.split()).replace("|", "\\|"))
        span = COLSPAN.search(attrs)
        cells.extend([""] * (int(span.group(1)) - 1 if span else 0))
    return cells
