"""Render groups of rows as Markdown blocks whose spans map characters back to line boxes.

Every line's text appears verbatim in its block's text, and ``block.text[span.start:span.end]`` is
exactly that line's text; the span's ``bbox`` is the line's box in the stored page image. Lines of
a paragraph are joined with a space, except after a line-break hyphen (``under-`` + ``estimate``),
where they are joined directly so that the word stays whole apart from its hyphen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ingest.rows import Row, Seg
from storage.schema import Block, BlockKind, Line, Span


@dataclass
class TextBuilder:
    parts: list[str] = field(default_factory=list)
    spans: list[Span] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    length: int = 0

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.length += len(text)

    def add_line(self, seg: Seg) -> None:
        start = self.length
        self.add(seg.text)
        self.spans.append(Span(start=start, end=self.length, bbox=seg.line.bbox))
        self.lines.append(seg.line)

    def add_row(self, row: Row) -> None:
        for k, seg in enumerate(row.segs):
            if k:
                self.add(" ")
            self.add_line(seg)

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def block(self, kind: BlockKind, level: int = 0) -> Built:
        return Built(Block(kind=kind, text=self.text, spans=tuple(self.spans), level=level), tuple(self.lines))


@dataclass(frozen=True)
class Built:
    """A block and the lines it was made of, in the order of its spans."""

    block: Block
    lines: tuple[Line, ...]


def _joiner(prev: str, nxt: str) -> str:
    if len(prev) >= 2 and prev.endswith("-") and prev[-2].isalpha() and nxt[:1].islower():
        return ""
    return " "


def render_flow(rows: Sequence[Row], kind: BlockKind, prefix: str = "", level: int = 0) -> Built:
    """Rows as one flowing Markdown paragraph (paragraph, list item, step, note, caption, heading)."""
    tb = TextBuilder()
    tb.add(prefix)
    for k, row in enumerate(rows):
        if k:
            tb.add(_joiner(rows[k - 1].text, row.text))
        tb.add_row(row)
    return tb.block(kind, level)


def render_heading(rows: Sequence[Row], level: int) -> Built:
    return render_flow(rows, BlockKind.HEADING, "#" * level + " ", level)


def render_code(rows: Sequence[Row]) -> Built:
    tb = TextBuilder()
    tb.add("```\n")
    for k, row in enumerate(rows):
        if k:
            tb.add("\n")
        tb.add_row(row)
    tb.add("\n```")
    return tb.block(BlockKind.CODE)


def render_running(row: Row, kind: BlockKind) -> Built:
    tb = TextBuilder()
    tb.add_row(row)
    return tb.block(kind)


def render_table(cells: Sequence[Sequence[Sequence[Seg]]]) -> Built:
    """A Markdown table; the first logical row is the header. Each cell's lines are joined with a space."""
    tb = TextBuilder()
    ncols = len(cells[0])
    for r, row in enumerate(cells):
        if r == 1:
            tb.add("\n|" + " --- |" * ncols)
        if r:
            tb.add("\n")
        tb.add("|")
        for cell in row:
            tb.add(" ")
            for k, seg in enumerate(cell):
                if k:
                    tb.add(" ")
                tb.add_line(seg)
            tb.add(" |")
    return tb.block(BlockKind.TABLE)
