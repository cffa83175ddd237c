"""Giving doc-parse blocks boxes: align each parsed block's text with the spotted lines.

Doc parsing returns well-structured Markdown without boxes; spotting returns lines with boxes but
no structure. Each spotted line is located inside the text of one parsed block (exactly, or by a
fuzzy partial match), which gives the block one ``Span`` per line: the characters
``block.text[start:end]`` and the line's box, in pixels of the page image.

* A parsed block that no spotted line confirms is left out (doc parsing can hallucinate on dense
  pages, and a block without a box cannot be cited); ``AlignedPage.unmatched`` counts them.
* A spotted line that no block contains (doc parsing skips page headers and footers by design,
  and may skip more) becomes a block of its own: ``HEADER`` above the aligned blocks, ``FOOTER``
  below them, else a paragraph placed after the block of the line spotted before it. Only a short
  line (a table cell, a number) lying inside an aligned block is not: the two passes read it
  differently and the block already has its text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

from rapidfuzz import fuzz

from ingest.ocr.hunyuan_markdown import ParsedBlock
from storage.schema import BBox, Block, BlockKind, Line, Span, union_all

MARKUP = re.compile(r"<[^>]*>|&[a-zA-Z]+;|&#\d+;|\\[a-zA-Z]+|\]\([^)]*\)")
MIN_FUZZY = 6  # normalised characters below which a line must match exactly
FUZZY_CUTOFF = 80.0  # partial-match score (0-100) a longer line needs
NEAR_BEST = 3.0  # candidates this close to the best score are ranked by position


@dataclass(frozen=True)
class AlignedPage:
    """Blocks with boxes, in reading order, and how well the two passes agreed."""

    blocks: tuple[Block, ...]
    coverage: float  # share of the spotted characters that fell inside parsed blocks
    unmatched: int  # parsed blocks that no spotted line confirmed (left out)
    orphans: int  # spotted lines outside every parsed block (made blocks of their own)
    absorbed: int = 0  # short unmatched lines inside an aligned block (left to that block)


@dataclass(frozen=True)
class _Norm:
    """Text reduced to case-folded letters and digits, with each kept char's index in the original."""

    text: str
    index: tuple[int, ...]


@dataclass(frozen=True)
class _Match:
    line: int
    block: int
    score: float
    start: int  # in the block's normalised text
    end: int


def normalize(text: str, *, skip_markup: bool = False) -> _Norm:
    """Letters and digits of ``text`` (NFKC, case-folded) and where each came from."""
    skipped = [m.span() for m in MARKUP.finditer(text)] if skip_markup else []
    chars: list[str] = []
    index: list[int] = []
    cursor = 0
    for i, ch in enumerate(text):
        while cursor < len(skipped) and skipped[cursor][1] <= i:
            cursor += 1
        if cursor < len(skipped) and skipped[cursor][0] <= i:
            continue
        for c in unicodedata.normalize("NFKC", ch).casefold():
            if c.isalnum():
                chars.append(c)
                index.append(i)
    return _Norm("".join(chars), tuple(index))


def align_blocks(parsed: Sequence[ParsedBlock], lines: Sequence[Line]) -> AlignedPage:
    """Give each parsed block the boxes of the spotted lines it contains (see the module doc)."""
    norm_lines = [normalize(line.text) for line in lines]
    norm_blocks = [normalize(block.text, skip_markup=True) for block in parsed]
    matches = _assign(lines, norm_lines, norm_blocks)
    by_block: dict[int, list[_Match]] = {}
    for match in matches:
        by_block.setdefault(match.block, []).append(match)
    aligned = {
        b: _block_with_spans(parsed[b], norm_blocks[b], by_block[b], lines) for b in sorted(by_block)
    }
    assigned = {m.line for m in matches}
    left = [i for i, n in enumerate(norm_lines) if n.text and i not in assigned]
    boxes = [b.bbox for b in aligned.values()]
    absorbed = {i for i in left if len(norm_lines[i].text) < MIN_FUZZY and _inside_any(lines[i].bbox, boxes)}
    orphan_ids = [i for i in left if i not in absorbed]
    blocks = _ordered(aligned, orphan_ids, matches, lines)
    total = sum(len(n.text) for n in norm_lines)
    covered = sum(len(norm_lines[i].text) for i in assigned)
    return AlignedPage(
        blocks=tuple(blocks),
        coverage=covered / total if total else 1.0,
        unmatched=len(parsed) - len(aligned),
        orphans=len(orphan_ids),
        absorbed=len(absorbed),
    )


def _inside_any(box: BBox, blocks: list[BBox]) -> bool:
    cx, cy = (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2
    return any(b.x0 <= cx <= b.x1 and b.y0 <= cy <= b.y1 for b in blocks)


def _assign(lines: Sequence[Line], norm_lines: list[_Norm], norm_blocks: list[_Norm]) -> list[_Match]:
    """Place lines in blocks, longest first, each at a range of the block's text no other line took.

    A line that fits several blocks goes to the one whose lines already placed are nearest on the
    page; with none placed yet, to the block it fills most (a heading rather than a paragraph that
    quotes it).
    """
    margin = 2.5 * _median_height(lines)
    taken: dict[int, list[tuple[int, int]]] = {}
    cores: dict[int, BBox] = {}
    matches: list[_Match] = []
    for li in sorted(range(len(lines)), key=lambda i: -len(norm_lines[i].text)):
        needle = norm_lines[li].text
        box = lines[li].bbox
        ranked = sorted(
            _candidates(needle, norm_blocks),
            key=lambda c: (_gap(box, cores.get(c[0]), margin), -len(needle) / max(len(norm_blocks[c[0]].text), 1)),
        )
        for block, score in ranked:
            where = _free_range(needle, norm_blocks[block].text, taken.setdefault(block, []))
            if where is not None and (len(needle) >= MIN_FUZZY or _gap(box, cores.get(block), margin) <= margin):
                taken[block].append(where)
                cores[block] = cores[block].union(box) if block in cores else box
                matches.append(_Match(li, block, score, where[0], where[1]))
                break
    return matches


def _median_height(lines: Sequence[Line]) -> float:
    heights = [line.bbox.height for line in lines if line.bbox.height > 0]
    return median(heights) if heights else 0.0


def _gap(box: BBox, core: BBox | None, margin: float) -> float:
    """Distance on the page between a line and a block's placed lines (``margin`` when none are placed).

    Horizontal distance counts a sixth: words and cells of one row can sit far apart.
    """
    if core is None:
        return margin
    dx = max(core.x0 - box.x1, box.x0 - core.x1, 0.0)
    dy = max(core.y0 - box.y1, box.y0 - core.y1, 0.0)
    return max(dx / 6, dy)


def _candidates(needle: str, norm_blocks: list[_Norm]) -> list[tuple[int, float]]:
    """Blocks whose text contains ``needle`` (exactly, else fuzzily for long enough needles), near the best score."""
    if not needle:
        return []
    exact = [(b, 100.0) for b, hay in enumerate(norm_blocks) if needle in hay.text]
    if exact or len(needle) < MIN_FUZZY:
        return exact
    scored = [(b, fuzz.partial_ratio(needle, hay.text, score_cutoff=FUZZY_CUTOFF)) for b, hay in enumerate(norm_blocks)]
    best = max((s for _, s in scored), default=0.0)
    return [(b, s) for b, s in scored if s and s >= best - NEAR_BEST]


def _free_range(needle: str, hay: str, taken: list[tuple[int, int]]) -> tuple[int, int] | None:
    """Where ``needle`` sits in ``hay`` without overlapping ranges already taken, or None."""
    pos = hay.find(needle)
    while pos >= 0:
        if not _overlaps((pos, pos + len(needle)), taken):
            return pos, pos + len(needle)
        pos = hay.find(needle, pos + 1)
    if len(needle) < MIN_FUZZY:
        return None
    found = fuzz.partial_ratio_alignment(needle, hay, score_cutoff=FUZZY_CUTOFF)
    if found is None or found.dest_end <= found.dest_start:
        return None
    where = (found.dest_start, found.dest_end)
    return None if _overlaps(where, taken) else where


def _overlaps(span: tuple[int, int], taken: list[tuple[int, int]]) -> bool:
    length = span[1] - span[0]
    return any(min(span[1], e) - max(span[0], s) > length / 2 for s, e in taken)


def _block_with_spans(parsed: ParsedBlock, norm: _Norm, matches: list[_Match], lines: Sequence[Line]) -> Block:
    spans = sorted(
        (Span(start=norm.index[m.start], end=norm.index[m.end - 1] + 1, bbox=lines[m.line].bbox) for m in matches),
        key=lambda s: (s.start, s.end),
    )
    return Block(kind=parsed.kind, text=parsed.text, spans=tuple(spans), level=parsed.level)


def _ordered(aligned: dict[int, Block], orphan_ids: list[int], matches: list[_Match], lines: Sequence[Line]) -> list[Block]:
    """Parsed blocks in their order; orphan lines as header, footer or in-between blocks."""
    block_of_line = {m.line: m.block for m in matches}
    body = union_all([b.bbox for b in aligned.values()]) if aligned else None
    headers: list[Line] = []
    footers: list[Line] = []
    after: dict[int, list[Line]] = {}
    for li in orphan_ids:
        box = lines[li].bbox
        if body is not None and box.y1 <= body.y0:
            headers.append(lines[li])
        elif body is not None and box.y0 >= body.y1:
            footers.append(lines[li])
        else:
            anchor = next((block_of_line[j] for j in range(li - 1, -1, -1) if j in block_of_line), -1)
            after.setdefault(anchor, []).append(lines[li])
    out = _line_blocks(sorted(headers, key=lambda l: l.bbox.y0), BlockKind.HEADER)
    out += _line_blocks(after.get(-1, []), BlockKind.PARAGRAPH)
    for b, block in aligned.items():
        out.append(block)
        out += _line_blocks(after.get(b, []), BlockKind.PARAGRAPH)
    out += _line_blocks(sorted(footers, key=lambda l: l.bbox.y0), BlockKind.FOOTER)
    return out


def _line_blocks(lines: list[Line], kind: BlockKind) -> list[Block]:
    """Runs of vertically adjacent lines as blocks of ``kind``, one span per line."""
    groups: list[list[Line]] = []
    for line in lines:
        prev = groups[-1][-1] if groups else None
        if prev is not None and _adjacent(prev.bbox, line.bbox):
            groups[-1].append(line)
        else:
            groups.append([line])
    return [_joined(group, kind) for group in groups]


def _adjacent(a: BBox, b: BBox) -> bool:
    gap = b.y0 - a.y1
    return -a.height / 2 <= gap <= max(a.height, b.height) and min(a.x1, b.x1) > max(a.x0, b.x0)


def _joined(group: list[Line], kind: BlockKind) -> Block:
    spans = []
    pos = 0
    for line in group:
        spans.append(Span(start=pos, end=pos + len(line.text), bbox=line.bbox))
        pos += len(line.text) + 1
    return Block(kind=kind, text="\n".join(line.text for line in group), spans=tuple(spans))
