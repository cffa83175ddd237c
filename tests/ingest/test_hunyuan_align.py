"""Aligning doc-parse blocks with spotted lines, on the real pages' ground truth and on edge cases."""

from __future__ import annotations

from pathlib import Path

import pytest
from rapidfuzz import fuzz

from ingest.ocr.hunyuan_align import align_blocks, normalize
from ingest.ocr.hunyuan_format import parse_spotting, strip_figure_coords
from ingest.ocr.hunyuan_markdown import ParsedBlock, split_blocks
from storage.schema import BBox, BlockKind, Line
from tests.fakes.hunyuan_answers import GtPage, doc_parse_output, load_pages, spotting_output

MINI = Path(__file__).parent.parent / "data" / "devset-mini"
PAGES = load_pages(MINI)


def spotted_lines(page: GtPage) -> list[Line]:
    """The page's spotting answer parsed and mapped back to pixels, as the engine does."""
    w, h = page.width, page.height
    return [
        Line(text=i.text, bbox=BBox(x0=i.box[0] * w / 1000, y0=i.box[1] * h / 1000, x1=i.box[2] * w / 1000, y1=i.box[3] * h / 1000))
        for i in parse_spotting(spotting_output(page)).items
    ]


def line(text: str, x0: float, y0: float, x1: float, y1: float) -> Line:
    return Line(text=text, bbox=BBox(x0=x0, y0=y0, x1=x1, y1=y1))


@pytest.mark.parametrize("page", PAGES, ids=[p.key for p in PAGES])
def test_every_block_has_spans_that_quote_its_lines(page: GtPage) -> None:
    lines = spotted_lines(page)
    markdown, stripped = strip_figure_coords(doc_parse_output(page))
    assert stripped == 1  # the fake's figure pair
    aligned = align_blocks(split_blocks(markdown), lines)
    assert aligned.coverage > 0.9
    assert aligned.unmatched == 0
    by_box = {ln.bbox: ln for ln in lines}
    seen: list[BBox] = []
    for block in aligned.blocks:
        assert block.spans, block.text
        for span in block.spans:
            assert 0 <= span.start < span.end <= len(block.text)
            quoted = normalize(block.text[span.start : span.end], skip_markup=True).text
            assert fuzz.ratio(quoted, normalize(by_box[span.bbox].text).text) > 90
            seen.append(span.bbox)
    assert len(seen) == len(set(seen)), "a spotted line landed in two blocks"
    readable = [ln for ln in lines if normalize(ln.text).text]
    assert len(seen) == len(readable), "every readable spotted line belongs to a block"


def test_the_table_page_gives_one_table_with_every_cell_boxed() -> None:
    page = next(p for p in PAGES if p.key == "rtklib-manual:37:photo")
    aligned = align_blocks(split_blocks(strip_figure_coords(doc_parse_output(page))[0]), spotted_lines(page))
    tables = [b for b in aligned.blocks if b.kind is BlockKind.TABLE]
    assert len(tables) == 1 and tables[0].text.startswith("| Item | Descriptions | Configuration File | Notes |\n| --- |")
    assert len(tables[0].spans) >= 60
    running = [b for b in aligned.blocks if b.kind in (BlockKind.HEADER, BlockKind.FOOTER)]
    assert [b.text for b in running if b.kind is BlockKind.FOOTER] == ["35"]  # the page number is not a table cell


def test_noisy_spotting_text_still_aligns() -> None:
    page = next(p for p in PAGES if p.key == "altusmetrum-manual:10:photo")
    noisy = [Line(text=ln.text.replace("e", "c").replace("th", "tb"), bbox=ln.bbox) for ln in spotted_lines(page)]
    aligned = align_blocks(split_blocks(strip_figure_coords(doc_parse_output(page))[0]), noisy)
    assert aligned.coverage > 0.8
    assert aligned.unmatched == 0
    assert all(block.spans for block in aligned.blocks)


def test_noisy_short_cells_inside_a_table_are_not_repeated_as_blocks() -> None:
    page = next(p for p in PAGES if p.key == "rtklib-manual:37:photo")
    noisy = [Line(text=ln.text.replace("pos1-", "posl-"), bbox=ln.bbox) for ln in spotted_lines(page)]
    aligned = align_blocks(split_blocks(strip_figure_coords(doc_parse_output(page))[0]), noisy)
    assert aligned.absorbed == 6  # the six "pos1-" cells, read "posl-" by spotting
    assert not any("posl" in block.text for block in aligned.blocks)


def test_a_block_no_line_confirms_is_dropped() -> None:
    lines = [line("Real heading", 100, 100, 400, 130), line("Real paragraph text here.", 100, 150, 900, 180)]
    parsed = [
        ParsedBlock(BlockKind.HEADING, "Real heading", 1),
        ParsedBlock(BlockKind.PARAGRAPH, "Real paragraph text here."),
        ParsedBlock(BlockKind.PARAGRAPH, "Something the model invented out of nothing."),
    ]
    aligned = align_blocks(parsed, lines)
    assert aligned.unmatched == 1
    assert [b.text for b in aligned.blocks] == ["Real heading", "Real paragraph text here."]
    assert aligned.blocks[0].kind is BlockKind.HEADING and aligned.blocks[0].level == 1


def test_lines_outside_the_parse_become_header_footer_or_paragraph_blocks() -> None:
    lines = [
        line("Acme Manual v2", 800, 20, 1000, 45),
        line("First body line of text", 100, 200, 900, 230),
        line("a note the parse skipped", 100, 300, 900, 330),
        line("Last body line of text", 100, 400, 900, 430),
        line("Page 7", 500, 1900, 560, 1925),
    ]
    parsed = [ParsedBlock(BlockKind.PARAGRAPH, "First body line of text"), ParsedBlock(BlockKind.PARAGRAPH, "Last body line of text")]
    aligned = align_blocks(parsed, lines)
    assert [(b.kind, b.text) for b in aligned.blocks] == [
        (BlockKind.HEADER, "Acme Manual v2"),
        (BlockKind.PARAGRAPH, "First body line of text"),
        (BlockKind.PARAGRAPH, "a note the parse skipped"),
        (BlockKind.PARAGRAPH, "Last body line of text"),
        (BlockKind.FOOTER, "Page 7"),
    ]
    assert aligned.orphans == 3
    assert aligned.blocks[0].spans[0].bbox == lines[0].bbox


def test_a_title_goes_to_its_heading_not_to_a_paragraph_quoting_it() -> None:
    lines = [
        line("Published as: TLSH - A Locality Sensitive Hash. CTC 2013", 100, 1900, 1500, 1930),
        line("TLSH - A Locality Sensitive Hash", 400, 150, 1300, 220),
    ]
    parsed = [
        ParsedBlock(BlockKind.PARAGRAPH, "Published as: TLSH - A Locality Sensitive Hash. CTC 2013"),
        ParsedBlock(BlockKind.HEADING, "TLSH - A Locality Sensitive Hash", 1),
    ]
    aligned = align_blocks(parsed, lines)
    heading = next(b for b in aligned.blocks if b.kind is BlockKind.HEADING)
    assert heading.spans[0].bbox == lines[1].bbox
    assert aligned.unmatched == 0 and aligned.orphans == 0


def test_span_offsets_point_into_cells() -> None:
    lines = [line("Item", 100, 100, 200, 130), line("Notes (optional)", 300, 100, 500, 130), line("Frequencies", 100, 140, 250, 170)]
    table = "<table><tr><td>Item</td><td>Notes (optional)</td></tr><tr><td>Frequencies</td><td></td></tr></table>"
    aligned = align_blocks(split_blocks(table), lines)
    (block,) = aligned.blocks
    assert [block.text[s.start : s.end] for s in block.spans] == ["Item", "Notes (optional", "Frequencies"]


def test_normalising_skips_markup_and_keeps_positions() -> None:
    norm = normalize("<td>Straße &amp; \\frac Ｘ</td>", skip_markup=True)
    assert norm.text == "strassex"  # tags, entities and LaTeX commands skipped; NFKC and case-folded
    assert [norm.index[0], norm.index[-1]] == [4, 23]
