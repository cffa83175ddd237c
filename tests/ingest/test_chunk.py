"""Section-aware chunking of laid-out devset-mini pages."""

from __future__ import annotations

from collections import Counter

import pytest

from ingest.chunk import chunk_document, split_block
from ingest.layout import layout_page
from storage.schema import BlockKind, Chunk, Line, PageRecord, chunk_id
from tests.ingest.devset_lines import page_keys, page_lines

RUNNING = (BlockKind.HEADER, BlockKind.FOOTER)


def record(page: int, lines: list[Line], width: int, height: int) -> PageRecord:
    out_lines, blocks = layout_page(lines, width, height)
    return PageRecord(page=page, image=f"pages/p{page:04d}.jpg", width=width, height=height, lines=out_lines, blocks=blocks)


def mini_document() -> list[PageRecord]:
    """The five devset-mini pages as pages 1-5 of one document."""
    return [record(k + 1, *page_lines(key, "photo")) for k, key in enumerate(page_keys())]


def line_spans(pages: list[PageRecord]) -> Counter[tuple[int, str, tuple[float, ...]]]:
    return Counter(
        (p.page, b.text[s.start : s.end], tuple(s.bbox.as_list()))
        for p in pages for b in p.blocks if b.kind not in RUNNING for s in b.spans
    )


def chunk_spans(chunks: list[Chunk]) -> Counter[tuple[int, str, tuple[float, ...]]]:
    return Counter((r.page, c.text[r.start : r.end], tuple(r.bbox.as_list())) for c in chunks for r in c.refs)


@pytest.mark.parametrize("chunk_chars", [300, 1200])
def test_every_body_line_is_in_exactly_one_chunk_with_its_box(chunk_chars: int) -> None:
    pages = mini_document()
    chunks = chunk_document("doc1", pages, chunk_chars=chunk_chars, ocr_engine="gt")
    assert chunk_spans(chunks) == line_spans(pages)
    running = [b.text for p in pages for b in p.blocks if b.kind in RUNNING]
    assert "NRPE DOCUMENTATION" in running
    assert not any(text in c.text for text in running if len(text) > 8 for c in chunks)


@pytest.mark.parametrize("chunk_chars", [300, 600, 1200])
def test_chunks_stay_within_the_limit_unless_a_table_or_procedure_is_kept(chunk_chars: int) -> None:
    chunks = chunk_document("doc1", mini_document(), chunk_chars=chunk_chars, ocr_engine="gt")
    for c in chunks:
        if len(c.text) <= chunk_chars:
            continue
        assert "| --- |" in c.text and len(c.text) <= 3 * chunk_chars, c.text[:200]


def test_chunks_carry_their_heading_path() -> None:
    pages = [record(1, *page_lines("altusmetrum-manual:10"))]
    chunks = chunk_document("am", pages, chunk_chars=1200, ocr_engine="gt")
    by_start = {c.text.split("\n")[0]: c.headings for c in chunks}
    assert by_start["# Chapter 2. Getting Started"] == ("Chapter 2. Getting Started",)
    assert by_start["## 2.2. Ground Station Hardware"] == ("Chapter 2. Getting Started", "2.2. Ground Station Hardware")
    note = next(c for c in chunks if "the red LED will be lit" in c.text)
    assert note.headings == ("Chapter 2. Getting Started", "2.1. Batteries")
    assert all(c.pages == (1,) and c.ocr_engine == "gt" for c in chunks)


def test_a_heading_starts_a_chunk() -> None:
    pages = [record(1, *page_lines("altusmetrum-manual:10"))]
    chunks = chunk_document("am", pages, chunk_chars=1200, ocr_engine="gt")
    assert any(c.text.startswith("## 2.2. Ground Station Hardware") for c in chunks)
    assert not any("\n## 2.2." in c.text for c in chunks)


def test_a_long_table_is_split_at_rows_with_its_header_repeated() -> None:
    pages = [record(1, *page_lines("rtklib-manual:37"))]
    whole = chunk_document("rt", pages, chunk_chars=1200, ocr_engine="gt")
    assert len(whole) == 1 and len(whole[0].text) > 1200  # kept whole: under 3x the limit
    parts = chunk_document("rt", pages, chunk_chars=500, ocr_engine="gt")
    assert len(parts) > 3
    header = "| Item | Descriptions | Configuration File | Notes |\n| --- | --- | --- | --- |\n"
    assert all(c.text.startswith(header) for c in parts)
    assert all(len(c.text) <= 500 or c.text.count("\n") == 2 for c in parts)  # a single row longer than that stays whole
    assert chunk_spans(parts) == line_spans(pages)


def test_a_paragraph_continuing_on_the_next_page_stays_in_one_chunk() -> None:
    lines, w, h = page_lines("altusmetrum-manual:10")
    top = [ln for ln in lines if ln.bbox.y0 < 480]  # page 1 ends inside the "2.1. Batteries" paragraph
    rest = [ln for ln in lines if ln.bbox.y0 >= 480]
    pages = [record(1, top, w, h), record(2, rest, w, h)]
    chunks = chunk_document("am", pages, chunk_chars=1200, ocr_engine="gt")
    both = next(c for c in chunks if "plug the flight computer into your computer’s USB socket" in c.text)
    assert both.pages == (1, 2)
    assert {r.page for r in both.refs} == {1, 2}
    assert chunk_spans(chunks) == line_spans(pages)


def test_list_items_are_one_per_line_and_kept_with_their_intro() -> None:
    pages = [record(1, *page_lines("cyberjack-handbuch:5"))]
    chunks = chunk_document("cj", pages, chunk_chars=1200, ocr_engine="gt")
    listing = next(c for c in chunks if "• die vollständige Fehlermeldung" in c.text)
    assert "folgenden Informationen bei:\n\n• Name und Version" in listing.text
    assert "Fehler auftrat\n• die vollständige Fehlermeldung\n• den Namen" in listing.text


def test_chunk_ids_are_stable_and_unique() -> None:
    pages = mini_document()
    first = chunk_document("doc1", pages, chunk_chars=800, ocr_engine="gt")
    again = chunk_document("doc1", pages, chunk_chars=800, ocr_engine="gt")
    assert [c.id for c in first] == [c.id for c in again]
    assert len({c.id for c in first}) == len(first)
    assert all(c.id == chunk_id("doc1", c.pages, c.text) for c in first)


@pytest.mark.parametrize("key", page_keys())
def test_split_block_keeps_spans_exact(key: str) -> None:
    _, blocks = layout_page(*page_lines(key))
    for block in blocks:
        for part in split_block(block, 150):
            one_row = block.kind == BlockKind.TABLE and part.text.count("\n") <= 2
            assert len(part.text) <= 150 or len(part.spans) == 1 or one_row
            originals = {(block.text[s.start : s.end], s.bbox) for s in block.spans}
            assert all((part.text[s.start : s.end], s.bbox) in originals for s in part.spans)
        if block.kind == BlockKind.CODE:
            assert all(p.text.startswith("```\n") and p.text.endswith("\n```") for p in split_block(block, 40))


def test_no_pages_no_chunks() -> None:
    assert chunk_document("none", [], chunk_chars=1200, ocr_engine="gt") == []


def test_a_short_section_opening_is_not_appended_to_the_section_before() -> None:
    pages = [record(1, *page_lines("rtklib-manual:37")), record(2, *page_lines("tlsh-paper:1"))]
    chunks = chunk_document("d", pages, chunk_chars=1200, ocr_engine="gt")
    table = next(c for c in chunks if "| Item | Descriptions |" in c.text)
    title = next(c for c in chunks if "# TLSH - A Locality Sensitive Hash" in c.text)
    assert table.pages == (1,) and "TLSH" not in table.text
    assert title.pages == (2,) and title.text.startswith("# TLSH - A Locality Sensitive Hash")
    assert chunk_spans(chunks) == line_spans(pages)
