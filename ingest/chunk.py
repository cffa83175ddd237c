"""Section-aware chunks: a document's blocks (all pages, reading order) -> retrieval units with boxes.

Rules, in order of precedence:

* Running headers and footers (HEADER / FOOTER blocks) are left out.
* A heading starts a new chunk and is part of it; ``Chunk.headings`` is the heading path at the
  chunk's start (outermost first, including the chunk's own first heading).
* A procedure (a run of STEP blocks, with the code or notes between its steps) and a table are
  kept whole, together with their intro (a caption or a line ending in ":") and, when the chunk
  has nothing else yet, their heading: up to ``3 * chunk_chars`` characters.
* Otherwise blocks are packed up to ``chunk_chars``; a block is split (at line boundaries, spans
  kept exact) only when it alone is longer than the limit.
* A chunk holding only headings is merged into the next one, and a tiny chunk into its neighbour,
  when the result fits. A tiny chunk that starts with a heading only ever goes forward, into the
  chunk after it: appended to the section before, it would lend its heading's words to a chunk of
  another section (a table of options found under the next command's name).

Chunks may span pages: a section that continues on the next page continues in the same chunk.
Every line span of every kept block ends up in exactly one chunk's ``refs``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from storage.schema import Block, BlockKind, Chunk, PageRecord, SourceRef, Span, chunk_id

SKIP = {BlockKind.HEADER, BlockKind.FOOTER}
ITEMS = {BlockKind.LIST_ITEM, BlockKind.STEP}
KEEP_FACTOR = 3
TINY_SHARE = 0.2  # a chunk under this share of chunk_chars is tiny


@dataclass(frozen=True)
class Placed:
    page: int
    block: Block
    path: tuple[str, ...]  # heading path at this block (including the block itself when a heading)


@dataclass
class Unit:
    """Blocks that go into one chunk together; ``keep`` units are not split below 3x the limit."""

    items: list[Placed]
    keep: bool = False

    @property
    def is_heading(self) -> bool:
        return all(p.block.kind == BlockKind.HEADING for p in self.items)


@dataclass
class Piece:
    items: list[Placed] = field(default_factory=list)
    kept: bool = False  # holds a kept unit (procedure or table), so it may reach 3x the limit

    @property
    def size(self) -> int:
        return rendered_len(self.items)

    @property
    def heading_only(self) -> bool:
        return bool(self.items) and all(p.block.kind == BlockKind.HEADING for p in self.items)

    def cap(self, limit: int) -> int:
        return KEEP_FACTOR * limit if self.kept else limit

    @property
    def path(self) -> tuple[str, ...]:
        """The heading path where the content starts (after any leading headings)."""
        lead = self.items[0]
        for item in self.items:
            if item.block.kind != BlockKind.HEADING:
                break
            lead = item
        return lead.path


def chunk_document(doc_id: str, pages: Sequence[PageRecord], *, chunk_chars: int, ocr_engine: str) -> list[Chunk]:
    """Chunks of a document in reading order; ``chunk_chars`` is the target size in characters."""
    blocks = [(p.page, b) for p in pages for b in p.blocks if b.kind not in SKIP and b.text.strip()]
    placed = [Placed(page, b, path) for (page, b), path in zip(blocks, heading_paths([b for _, b in blocks]), strict=True)]
    pieces = _merge_small(_pack(group_units(placed), chunk_chars), chunk_chars)
    return [_to_chunk(doc_id, piece, ocr_engine) for piece in pieces]


def separator(before: Block, after: Block) -> str:
    """Between list items a newline; inside a paragraph that runs on (across a page or column) a space."""
    if before.kind in ITEMS and after.kind in ITEMS:
        return "\n"
    runs_on = before.text.rstrip()[-1:] not in ".!?:" and after.text[:1].islower()
    if before.kind == after.kind == BlockKind.PARAGRAPH and runs_on:
        return " "
    return "\n\n"


def rendered_len(items: Sequence[Placed]) -> int:
    total = sum(len(p.block.text) for p in items)
    return total + sum(len(separator(a.block, b.block)) for a, b in zip(items, items[1:], strict=False))


def heading_paths(blocks: Sequence[Block]) -> list[tuple[str, ...]]:
    """The heading path at each block: the enclosing headings, plus the block itself if it is a heading."""
    stack: list[tuple[int, str]] = []
    out: list[tuple[str, ...]] = []
    for block in blocks:
        if block.kind == BlockKind.HEADING:
            level = block.level or 1
            stack = [(lv, t) for lv, t in stack if lv < level]
            stack.append((level, block.text.lstrip("#").strip()))
        out.append(tuple(t for _, t in stack))
    return out


def group_units(placed: Sequence[Placed]) -> list[Unit]:
    """Blocks grouped into units: procedures and tables (with their intro) are kept together."""
    units: list[Unit] = []
    i = 0
    while i < len(placed):
        kind = placed[i].block.kind
        if kind == BlockKind.STEP:
            end = _procedure_end(placed, i)
        elif kind == BlockKind.LIST_ITEM:
            end = i + 1
            while end < len(placed) and placed[end].block.kind == BlockKind.LIST_ITEM:
                end += 1
        else:
            end = i + 1
        keep = kind in (BlockKind.STEP, BlockKind.TABLE)
        items = list(placed[i:end])
        if (keep or kind == BlockKind.LIST_ITEM) and units and _is_intro(units[-1]):
            items = units.pop().items + items
        units.append(Unit(items, keep=keep))
        i = end
    return units


def _procedure_end(placed: Sequence[Placed], i: int) -> int:
    """One past the procedure starting at ``i``: its steps, and up to 3 blocks (code, notes, text) between steps."""
    end = i + 1
    k = i + 1
    while k < len(placed) and k - end < 3:
        kind = placed[k].block.kind
        if kind == BlockKind.STEP:
            end = k + 1
        elif kind in (BlockKind.HEADING, BlockKind.TABLE):
            break
        k += 1
    return end


def _is_intro(unit: Unit) -> bool:
    """A single caption, or a short paragraph that ends with ':' (it introduces what follows)."""
    if len(unit.items) != 1 or unit.keep:
        return False
    block = unit.items[0].block
    if block.kind == BlockKind.CAPTION:
        return True
    return block.kind == BlockKind.PARAGRAPH and block.text.rstrip().endswith(":") and len(block.text) <= 400


def _pack(units: Sequence[Unit], limit: int) -> list[Piece]:
    pieces: list[Piece] = []
    cur = Piece()
    for unit in units:
        size = rendered_len(unit.items)
        joined = cur.size + 2 + size if cur.items else size
        if unit.is_heading and cur.items and not cur.heading_only:
            pieces.append(cur)
            cur = Piece(list(unit.items))
        elif joined <= limit or (unit.keep and (not cur.items or cur.heading_only) and joined <= KEEP_FACTOR * limit):
            cur.items.extend(unit.items)
            cur.kept = cur.kept or (unit.keep and joined > limit)
        else:
            if cur.items and not cur.heading_only:
                pieces.append(cur)
                cur = Piece()
            room = limit - cur.size - 2 if cur.items else limit
            for k, (part, kept) in enumerate(_split_unit(unit, limit, room)):
                if k == 0 and cur.items and rendered_len(part) <= room:
                    cur.items.extend(part)
                    continue
                if cur.items:
                    pieces.append(cur)
                cur = Piece(part, kept=kept)
    if cur.items:
        pieces.append(cur)
    return pieces


def _split_unit(unit: Unit, limit: int, room: int) -> list[tuple[list[Placed], bool]]:
    """A unit in parts (and whether each is an oversize kept part): whole when kept and within 3x the
    limit, else at block boundaries and, for a block longer than the limit, at line boundaries.
    The first part is sized to ``room`` when that leaves at least half the limit."""
    if unit.keep and rendered_len(unit.items) <= KEEP_FACTOR * limit:
        return [(list(unit.items), rendered_len(unit.items) > limit)]
    parts: list[tuple[list[Placed], bool]] = []
    cur: list[Placed] = []
    budget = room if room >= limit // 2 else limit
    for item in unit.items:
        for piece in split_block(item.block, min(budget, limit) if not parts and not cur else limit):
            placed = Placed(item.page, piece, item.path)
            if cur and rendered_len([*cur, placed]) > (budget if not parts else limit):
                parts.append((cur, False))
                cur = []
            cur.append(placed)
    if cur:
        parts.append((cur, False))
    return parts


def split_block(block: Block, limit: int) -> list[Block]:
    """``block`` cut at line boundaries into blocks of at most ``limit`` characters (a longer single line stays whole)."""
    if len(block.text) <= limit or len(block.spans) < 2:
        return [block]
    if block.kind == BlockKind.TABLE:
        return _split_table(block, limit)
    fence = ("```\n", "\n```") if block.kind == BlockKind.CODE else ("", "")
    out: list[Block] = []
    s0, n = 0, len(block.spans)
    while s0 < n:
        s1 = s0 + 1
        while s1 < n and len(_slice(block, s0, s1 + 1, fence).text) <= limit:
            s1 += 1
        out.append(_slice(block, s0, s1, fence))
        s0 = s1
    return out


def _slice(block: Block, s0: int, s1: int, fence: tuple[str, str]) -> Block:
    """The lines ``spans[s0:s1]`` of a block as a block of its own (code keeps its fences)."""
    spans = block.spans
    a = 0 if s0 == 0 else spans[s0].start
    b = len(block.text) if s1 == len(spans) else spans[s1].start
    body = block.text[a:b].rstrip(" \n")
    head = fence[0] if s0 > 0 else ""
    tail = fence[1] if s1 < len(spans) else ""
    shift = len(head) - a
    moved = tuple(Span(start=s.start + shift, end=s.end + shift, bbox=s.bbox) for s in spans[s0:s1])
    return Block(kind=block.kind, text=head + body + tail, spans=moved, level=block.level)


def _split_table(block: Block, limit: int) -> list[Block]:
    """A long table in row groups; the header row is repeated (as plain text) on every part."""
    rows = block.text.split("\n")
    offsets = [0]
    for row in rows:
        offsets.append(offsets[-1] + len(row) + 1)
    header = block.text[: offsets[2]] if len(rows) > 2 else ""

    def size(first: int, end: int) -> int:
        return offsets[end] - 1 - offsets[first] + (len(header) if first else 0)

    out: list[Block] = []
    first, end = 0, min(3, len(rows))
    while end < len(rows):
        if size(first, end + 1) > limit:
            out.append(_table_part(block, offsets, first, end, header if first else ""))
            first, end = end, end + 1
        else:
            end += 1
    out.append(_table_part(block, offsets, first, len(rows), header if first else ""))
    return out


def _table_part(block: Block, offsets: list[int], first: int, end: int, prefix: str) -> Block:
    a, b = offsets[first], offsets[end] - 1
    shift = len(prefix) - a
    spans = tuple(Span(start=s.start + shift, end=s.end + shift, bbox=s.bbox) for s in block.spans if a <= s.start < b)
    return Block(kind=block.kind, text=prefix + block.text[a:b], spans=spans)


def _merge_small(pieces: list[Piece], limit: int) -> list[Piece]:
    """Merge a piece of only headings, or a tiny section start, into the next piece when that is its
    subsection; then merge tiny pieces into the piece before (or after) them; only when the result fits."""
    out: list[Piece] = []
    for piece in pieces:
        prev = out[-1] if out else None
        if prev is not None and _fits(prev, piece, limit) and _leads_into(prev, piece, limit):
            piece.items[:0] = prev.items
            piece.kept = piece.kept or prev.kept
            out[-1] = piece
        else:
            out.append(piece)
    merged: list[Piece] = []
    for k, piece in enumerate(out):
        prev = merged[-1] if merged else None
        nxt = out[k + 1] if k + 1 < len(out) else None
        tiny = piece.size < TINY_SHARE * limit
        if tiny and _opens_section(piece) and nxt is not None and _fits(piece, nxt, limit):
            nxt.items[:0] = piece.items  # a section's opening lines go with what follows them
            nxt.kept = nxt.kept or piece.kept
        elif prev is not None and tiny and not _opens_section(piece) and _fits(prev, piece, limit):
            prev.items.extend(piece.items)
            prev.kept = prev.kept or piece.kept
        else:
            merged.append(piece)
    if len(merged) >= 2 and merged[0].size < TINY_SHARE * limit and _fits(merged[0], merged[1], limit):
        merged[1].items[:0] = merged[0].items
        merged.pop(0)
    return merged


def _opens_section(piece: Piece) -> bool:
    """A piece that starts with a heading: never appended to the section before it."""
    return piece.items[0].block.kind == BlockKind.HEADING


def _fits(a: Piece, b: Piece, limit: int) -> bool:
    return a.size + 2 + b.size <= max(a.cap(limit), b.cap(limit))


def _leads_into(a: Piece, b: Piece, limit: int) -> bool:
    """``a`` is only headings, or a tiny piece opening a section whose subsection ``b`` starts."""
    if a.heading_only:
        return True
    opens = a.items[0].block.kind == BlockKind.HEADING and a.size < TINY_SHARE * limit
    return opens and b.items[0].block.kind == BlockKind.HEADING and b.path[: len(a.path)] == a.path


def _to_chunk(doc_id: str, piece: Piece, ocr_engine: str) -> Chunk:
    parts: list[str] = []
    refs: list[SourceRef] = []
    offset = 0
    for k, item in enumerate(piece.items):
        if k:
            sep = separator(piece.items[k - 1].block, item.block)
            parts.append(sep)
            offset += len(sep)
        for s in item.block.spans:
            refs.append(SourceRef(doc_id=doc_id, page=item.page, bbox=s.bbox, start=offset + s.start, end=offset + s.end))
        parts.append(item.block.text)
        offset += len(item.block.text)
    text = "".join(parts)
    pages = tuple(sorted({p.page for p in piece.items}))
    return Chunk(
        id=chunk_id(doc_id, pages, text), doc_id=doc_id, text=text, headings=piece.path, refs=tuple(refs),
        ocr_engine=ocr_engine,
    )
