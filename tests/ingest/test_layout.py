"""Layout analysis on the ground-truth lines of the five devset-mini pages (scan and photo frames)."""

from __future__ import annotations

import time

import pytest

from ingest.layout import layout_page, running_lines
from ingest.text_cues import is_caption, looks_like_code, section_level, step_marker
from storage.schema import BBox, Block, BlockKind, Line
from tests.ingest.devset_lines import Frame, page_keys, page_lines, rotated_lines

FRAMES: tuple[Frame, ...] = ("scan", "photo")


def laid_out(key: str, frame: Frame = "scan", repeated: frozenset[str] = frozenset()) -> tuple[tuple[Line, ...], tuple[Block, ...]]:
    lines, w, h = page_lines(key, frame)
    return layout_page(lines, w, h, repeated=repeated)


def page_markdown(blocks: tuple[Block, ...]) -> str:
    return "\n\n".join(b.text for b in blocks)


def kinds_with(blocks: tuple[Block, ...], needle: str) -> list[BlockKind]:
    return [b.kind for b in blocks if needle in b.text]


@pytest.mark.parametrize("frame", FRAMES)
@pytest.mark.parametrize("key", page_keys())
def test_spans_map_block_text_exactly_to_line_boxes(key: str, frame: Frame) -> None:
    lines, w, h = page_lines(key, frame)
    out_lines, blocks = layout_page(lines, w, h)
    span_texts = [b.text[s.start : s.end] for b in blocks for s in b.spans]
    assert span_texts == [ln.text for ln in out_lines]  # every line in exactly one span, in order
    boxes_in = {(ln.text.replace("\xa0", " ").strip(), ln.bbox) for ln in lines}
    assert all((b.text[s.start : s.end], s.bbox) in boxes_in for b in blocks for s in b.spans)
    dropped = {ln.text.replace("\xa0", " ").strip() for ln in lines} - {ln.text for ln in out_lines}
    assert dropped <= {"NRPE D", "OCUMENTATION"}  # only the nrpe small-caps heading is drawn twice in the PDF


@pytest.mark.parametrize("frame", FRAMES)
def test_two_column_paper_reads_left_column_before_right(frame: Frame) -> None:
    _, blocks = laid_out("tlsh-paper:1", frame)
    text = page_markdown(blocks)
    order = [
        "TLSH - A Locality Sensitive Hash",  # full-width title first
        "Abstract—Cryptographic hashes",  # left column, top
        "There are many problems in data mining",  # left column, middle
        "[7] are less amenable to the creation of digests",  # left column, last line
        "methods which allow the creation of digests",  # right column, first line
        "CONSTRUCTION OF THE TLSH DIGEST",  # right column, section heading
        "Byte[0], Byte[1], Byte[2]",  # right column, last line
    ]
    positions = [text.index(s) for s in order]
    assert positions == sorted(positions)
    assert [b.level for b in blocks if b.kind == BlockKind.HEADING and "INTRODUCTION" in b.text] == [1]


@pytest.mark.parametrize("frame", FRAMES)
def test_option_table_becomes_a_four_column_markdown_table(frame: Frame) -> None:
    lines, blocks = laid_out("rtklib-manual:37", frame)
    tables = [b for b in blocks if b.kind == BlockKind.TABLE]
    assert len(tables) == 1
    rows = tables[0].text.split("\n")
    assert rows[0] == "| Item | Descriptions | Configuration File | Notes |"
    assert rows[1] == "| --- | --- | --- | --- |"
    assert all(row.count("|") == 5 for row in rows)
    assert "| Elevation Mask | Set elevation mask angle in degree. | pos1- elmask |  |" in rows
    snr = next(r for r in rows if r.startswith("| SNR Mask |"))
    assert "pos1- snrmask_r, snrmask_b, snrmask_L1, snrmask_L2, snrmask_L5" in snr  # a cell wrapped over six lines
    assert "these SNR masks are not applied." in snr
    cells = {tables[0].text[s.start : s.end]: s.bbox for s in tables[0].spans}
    line = next(ln for ln in lines if ln.text == "snrmask_L5")
    assert cells["snrmask_L5"] == line.bbox  # each cell line keeps its own box


@pytest.mark.parametrize("frame", FRAMES)
def test_numbered_sections_are_headings_and_boxes_are_notes(frame: Frame) -> None:
    _, blocks = laid_out("altusmetrum-manual:10", frame)
    headings = [(b.level, b.text) for b in blocks if b.kind == BlockKind.HEADING]
    assert headings == [
        (1, "# Chapter 2. Getting Started"),  # the chapter title in large type, not a running head
        (2, "## 2.1. Batteries"),
        (2, "## 2.2. Ground Station Hardware"),
    ]
    notes = [b.text for b in blocks if b.kind == BlockKind.NOTE]
    assert [n[:40] for n in notes] == ["> On TeleMetrum v1 boards, when the GPS ", "> TeleMetrum v2 or newer, TeleMega and E"]


@pytest.mark.parametrize("frame", FRAMES)
def test_running_headers_and_footers(frame: Frame) -> None:
    expected = {
        "nrpe-guide:6": [(BlockKind.HEADER, "NRPE DOCUMENTATION"),
                         (BlockKind.FOOTER, "Last Edited: 2017-11-17 Page 6 of 21 Copyright (c) 1999-2017 Ethan Galstad")],
        "rtklib-manual:37": [(BlockKind.HEADER, "RTKLIB ver. 2.4.2 Manual"), (BlockKind.FOOTER, "35")],
        "cyberjack-handbuch:5": [(BlockKind.HEADER, "Treiber für REINER SCT cyberJack pinpad/e-com USB Kartenleser"),
                                 (BlockKind.FOOTER, "5")],
        "altusmetrum-manual:10": [
            (BlockKind.FOOTER, "© 2023 Bdale Garbee and Keith Packard. Creative Commons ShareAlike 3.0 License 4")],
    }
    for key, want in expected.items():
        _, blocks = laid_out(key, frame)
        got = [(b.kind, b.text) for b in blocks if b.kind in (BlockKind.HEADER, BlockKind.FOOTER)]
        assert got == want, key
        n_head = sum(b.kind == BlockKind.HEADER for b in blocks)
        n_foot = sum(b.kind == BlockKind.FOOTER for b in blocks)
        assert all(b.kind == BlockKind.HEADER for b in blocks[:n_head])  # headers first, footers last
        assert all(b.kind == BlockKind.FOOTER for b in blocks[len(blocks) - n_foot :])


def test_small_chapter_line_with_page_number_is_a_running_header() -> None:
    """The same words in body-size type with a page number beside them (as texinfo manuals print their
    running heads, "Chapter 6: Legal Matters  8") are a header; in large type they stay the chapter title."""
    lines, w, h = page_lines("altusmetrum-manual:10")
    title = lines[0]
    assert title.text == "Chapter 2. Getting Started"
    small = title.model_copy(update={"bbox": BBox(x0=134, y0=120, x1=560, y1=152)})
    number = Line(text="4", bbox=BBox(x0=1549, y0=120, x1=1563, y1=152))
    _, blocks = layout_page([small, number, *lines[1:]], w, h)
    assert (blocks[0].kind, blocks[0].text) == (BlockKind.HEADER, "Chapter 2. Getting Started 4")
    assert not any(b.kind == BlockKind.HEADING and "Chapter" in b.text for b in blocks)


def test_lines_repeated_across_pages_become_running_footers() -> None:
    """The paper's citation block (four lines at the foot of every page) is only known by repetition.

    A second page of the same document is simulated with another page's body under the same footer.
    """
    first, _, _ = page_lines("tlsh-paper:1")
    footer = [ln for ln in first if ln.bbox.y0 > 2000]
    second = [ln for ln in page_lines("altusmetrum-manual:10")[0] if ln.bbox.y0 < 2000] + footer
    repeated = running_lines([first, second])
    assert len(repeated) == 4 and all(key in repeated for key in ("https github com trendmicro tlsh blob master attacking lsh and sim dig pdf",))
    _, alone = laid_out("tlsh-paper:1")
    _, with_repeats = laid_out("tlsh-paper:1", repeated=frozenset(repeated))
    assert kinds_with(alone, "Published as Oliver") == [BlockKind.PARAGRAPH]
    footers = [b.text for b in with_repeats if b.kind == BlockKind.FOOTER]
    assert len(footers) == 4 and footers[0].startswith("Published as Oliver")
    assert running_lines([first]) == set()


@pytest.mark.parametrize("frame", FRAMES)
def test_commands_become_code_blocks_in_page_order(frame: Frame) -> None:
    _, blocks = laid_out("nrpe-guide:6", frame)
    code = [b.text for b in blocks if b.kind == BlockKind.CODE]
    assert code[:3] == [
        "```\ntar xzf nrpe-3.2.1.tar.gz\ncd nrpe-nrpe-3.2.1\n```",
        "```\n# ./configure\n# make all\n```",
        "```\n# make install-groups-users\n```",
    ]
    text = page_markdown(blocks)
    assert text.index("# make install\n") < text.index("# make install-inetd") < text.index("# make install-init")
    assert kinds_with(blocks, "Compile the NRPE addon:") == [BlockKind.PARAGRAPH]
    assert [(b.level, b.text) for b in blocks if b.kind == BlockKind.HEADING] == [(3, "### v. Test the NRPE daemon locally")]


@pytest.mark.parametrize("frame", FRAMES)
def test_bullets_become_list_items_with_their_wrapped_lines(frame: Frame) -> None:
    _, blocks = laid_out("cyberjack-handbuch:5", frame)
    items = [b.text for b in blocks if b.kind == BlockKind.LIST_ITEM]
    assert len(items) == 6
    assert items[2] == ("• den Namen und die Version der von Ihnen verwendeten Linux-Distribution (z.B. SuSE 10.1, Debian "
                        "3.0r1 testing)")
    assert [b.text for b in blocks if b.kind == BlockKind.HEADING] == ["# 5. Support"]


def test_numbered_procedure_becomes_steps_in_order() -> None:
    """A printed procedure: numbers in their own boxes (as PDF text layers give them), one wrapped step."""
    rows = [
        ("To install the driver:", None, 100),
        ("1.", "Unpack the archive into a new folder on the computer", 150),
        ("2.", "Run the configure script, then build the driver with make and install it as", 190),
        (None, "root with the install target", 230),
        ("3.", "Restart the computer", 270),
        ("The reader is ready to use.", None, 330),
    ]
    lines = []
    for left, right, y in rows:
        if left and right is None:
            lines.append(Line(text=left, bbox=BBox(x0=100, y0=y, x1=100 + 14 * len(left), y1=y + 28)))
            continue
        if left:
            lines.append(Line(text=left, bbox=BBox(x0=100, y0=y, x1=124, y1=y + 28)))
        assert right is not None
        lines.append(Line(text=right, bbox=BBox(x0=150, y0=y, x1=1150 if len(right) > 60 else 150 + 14 * len(right), y1=y + 28)))
    out_lines, blocks = layout_page(lines, 1300, 1800)
    steps = [b.text for b in blocks if b.kind == BlockKind.STEP]
    assert steps == [
        "1. Unpack the archive into a new folder on the computer",
        "2. Run the configure script, then build the driver with make and install it as root with the install target",
        "3. Restart the computer",
    ]
    assert len(out_lines) == len(lines)


@pytest.mark.parametrize("degrees", [-4.0, 4.0])
@pytest.mark.parametrize("key", page_keys())
def test_rotated_page_gives_the_upright_layout(key: str, degrees: float) -> None:
    _, upright = laid_out(key)
    lines, w, h = rotated_lines(key, degrees)
    _, turned = layout_page(lines, w, h)
    assert [(b.kind, b.level, b.text) for b in turned] == [(b.kind, b.level, b.text) for b in upright]


@pytest.mark.parametrize("key", page_keys())
def test_photo_gives_the_scan_layout(key: str) -> None:
    """Rotation and perspective of the simulated photo do not change a single block."""
    _, scan = laid_out(key, "scan")
    _, photo = laid_out(key, "photo")
    assert [(b.kind, b.level, b.text) for b in photo] == [(b.kind, b.level, b.text) for b in scan]


def test_layout_takes_milliseconds() -> None:
    pages = [page_lines(key, "photo") for key in page_keys()]
    started = time.perf_counter()
    for lines, w, h in pages:
        layout_page(lines, w, h)
    per_page = (time.perf_counter() - started) / len(pages)
    assert per_page < 0.25  # about 10 ms on one core; generous for a busy test machine


def test_empty_page_has_no_blocks() -> None:
    assert layout_page([], 1000, 1400) == ((), ())
    blank = [Line(text="  ", bbox=BBox(x0=10, y0=10, x1=50, y1=30))]
    assert layout_page(blank, 1000, 1400) == ((), ())


@pytest.mark.parametrize(
    ("text", "caption"),
    [("Table 1. AltOS Modes", True), ("TABLE I.", True), ("Fig. 2. The scores on mutations", True),
     ("Figure 3.2‐3   Input Streams Dialog of RTKNAVI", True), ("Abb. 4: Anschluss", True),
     ("Tables are rendered as Markdown", False), ("Figures show the flow", False)],
)
def test_caption_cue(text: str, caption: bool) -> None:
    assert is_caption(text) is caption


@pytest.mark.parametrize(
    ("text", "code"),
    [("# ./configure", True), ("$ ps axuw | grep nrpe", True), ("tar xzf nrpe-3.2.1.tar.gz", True),
     ("command[check_swap]=/usr/local/nagios/libexec/check_swap -w 20% -c 10%", True), ("sw = ew - 4", True),
     ("make sure the plugin returns some kind of text output.", False), ("https://support.nagios.com/forum/", False),
     ("Ssdeep [3], Sdhash [5] and Nilsimsa [2, 10]. In the area of", False), ("A.2 RNX2RTKP", False),
     ("source code. We do an empirical evaluation of publically", False)],
)
def test_code_cue(text: str, code: bool) -> None:
    assert looks_like_code(text) is code


def test_numbering_cues() -> None:
    assert section_level("2.1. Batteries") == 2
    assert section_level("6.4.1 Non-FSF-Copyrighted Package") == 3
    assert section_level("Chapter 2. Getting Started") == 1
    assert section_level("I. INTRODUCTION") == 1
    assert section_level("10.2 hingegen schon).") is None
    assert step_marker("2) Restart the daemon") == "2)"
    assert step_marker("(iv) substituting a word") == "(iv)"
    assert step_marker("2.1. Batteries") is None
