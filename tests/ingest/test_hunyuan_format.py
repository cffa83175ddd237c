"""Reading HunyuanOCR's raw outputs: spotting formats, figure coordinates, loops, Markdown blocks, image limits."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from ingest.ocr.hunyuan_format import check_spotting, parse_spotting, strip_figure_coords
from ingest.ocr.hunyuan_image import MAX_PIXELS, MIN_PIXELS, encode_page, sent_size
from ingest.ocr.hunyuan_markdown import split_blocks
from ingest.ocr.hunyuan_prompts import extraction_prompt
from ingest.ocr.hunyuan_repeat import RepetitionGuard, tail_repeat_unit, trim_repetition
from storage.errors import OcrError
from storage.schema import BlockKind


def texts(output: str) -> list[str]:
    return [item.text for item in parse_spotting(output).items]


# -- spotting -------------------------------------------------------------------------------


def test_run_together_items_split_on_their_coordinate_tails() -> None:
    out = parse_spotting("Chapter 2(99,86),(501,128)The first thing(103,114),(820,156)")
    assert out.format == "hunyuan"
    assert [(i.text, i.box) for i in out.items] == [
        ("Chapter 2", (99.0, 86.0, 501.0, 128.0)),
        ("The first thing", (103.0, 114.0, 820.0, 156.0)),
    ]


def test_text_with_parentheses_keeps_them() -> None:
    output = "ATLANTA (AP) Second(1,2),(300,40)金额(小写)(10,20),(300,40)f(x) = (a, b)(5,50),(900,60)"
    assert texts(output) == ["ATLANTA (AP) Second", "金额(小写)", "f(x) = (a, b)"]


def test_json_format_in_a_code_fence() -> None:
    output = '```json\n[{"box": [10, 20, 300, 40], "text": "Total (EUR)"}, {"bbox": [5, 50, 900, 60], "text": "x"}]\n```'
    out = parse_spotting(output)
    assert out.format == "json"
    assert [(i.text, i.box) for i in out.items] == [("Total (EUR)", (10, 20, 300, 40)), ("x", (5, 50, 900, 60))]


def test_ref_quad_format() -> None:
    out = parse_spotting("<ref>Hello (world)</ref><quad>(1,2),(30,40)</quad><ref>Bye</ref><quad>(5,6),(70,80)</quad>")
    assert out.format == "ref-quad"
    assert texts("<ref>Hello (world)</ref><quad>(1,2),(30,40)</quad>") == ["Hello (world)"]


def test_boxes_out_of_range_or_empty_are_rejected() -> None:
    out = parse_spotting("ok(1,2),(30,40)too wide(10,10),(1200,40)flat(10,40),(50,40)")
    assert texts("ok(1,2),(30,40)") == ["ok"]
    assert [i.text for i in out.items] == ["ok"]
    assert len(out.rejected) == 2


def test_coordinate_only_output_is_unusable() -> None:
    out = parse_spotting("(1,2),(30,40)(5,6),(70,80)(9,10),(90,95)")
    assert out.items == () and out.coordinate_pairs == 3
    with pytest.raises(OcrError, match="coordinates without text"):
        check_spotting(out)


def test_malformed_output_is_unusable() -> None:
    with pytest.raises(OcrError, match="malformed"):
        check_spotting(parse_spotting("Chapter 2. Getting Started\nThe first thing to do"))
    with pytest.raises(OcrError, match="malformed"):
        check_spotting(parse_spotting('[{"box": [1, 2, 3'))


def test_mostly_rejected_items_are_unusable() -> None:
    output = "a(1,2),(30,40)" + "".join(f"w{i}(10,10),(2000,40)" for i in range(5))
    with pytest.raises(OcrError, match="5 of 6 items rejected"):
        check_spotting(parse_spotting(output))


def test_an_explicit_no_text_answer_is_a_valid_empty_page() -> None:
    out = parse_spotting("图中没有文字。")
    assert out.format == "no-text" and out.items == ()
    check_spotting(out)


# -- doc-parse cleaning ----------------------------------------------------------------------


def test_figure_coordinate_pairs_are_stripped_but_not_inside_tables_or_math() -> None:
    markdown = "\n".join([
        "Intro",
        "(39,337),(512,900)",
        "Figure 1: the board(40,910),(500,940)",
        "<table><tr><td>point (1,2),(3,4)</td></tr>",
        "<tr><td>(5,6),(7,8)</td></tr></table>",
        "$$",
        "S = \\{(2,4),(3,3)\\}",
        "$$",
        "see $(1,2),(3,4)$ here",
    ])
    cleaned, changed = strip_figure_coords(markdown)
    assert changed == 2
    assert cleaned.split("\n") == [
        "Intro",
        "Figure 1: the board",
        "<table><tr><td>point (1,2),(3,4)</td></tr>",
        "<tr><td>(5,6),(7,8)</td></tr></table>",
        "$$",
        "S = \\{(2,4),(3,3)\\}",
        "$$",
        "see $(1,2),(3,4)$ here",
    ]


def test_markdown_splits_into_kinds() -> None:
    markdown = (
        "# Chapter 2\n\nFirst paragraph\ncontinues.\n\n## 2.1 Batteries\n- a bullet\n1. a step\n\n"
        "```\n# ./configure\n```\n\n<table><tr><td>a</td></tr>\n<tr><td>b</td></tr></table>\n"
        "Table 3: results\n| a | b |\n|---|---|\n| 1 | 2 |\n\n$$\nx = 1\n$$\n![](fig.png)\nlast"
    )
    blocks = split_blocks(markdown)
    assert [(b.kind, b.level) for b in blocks] == [
        (BlockKind.HEADING, 1), (BlockKind.PARAGRAPH, 0), (BlockKind.HEADING, 2), (BlockKind.LIST_ITEM, 0),
        (BlockKind.STEP, 0), (BlockKind.CODE, 0), (BlockKind.TABLE, 0), (BlockKind.CAPTION, 0),
        (BlockKind.TABLE, 0), (BlockKind.PARAGRAPH, 0), (BlockKind.PARAGRAPH, 0),
    ]
    assert blocks[0].text == "# Chapter 2"  # Markdown, as Folio's own layout writes it
    assert blocks[1].text == "First paragraph\ncontinues."
    assert blocks[5].text == "```\n# ./configure\n```"  # a shell prompt in code is not a heading
    assert blocks[6].text == "| a |\n| --- |\n| b |"  # HTML tables become pipe tables
    assert blocks[-1].text == "last"


def test_html_tables_become_pipe_tables() -> None:
    table = (
        '<table><tr><th>Item</th><th colspan="2">Notes | more</th></tr>'
        "<tr><td>a<br>b &amp; c</td><td>1</td><td>2</td></tr><tr><td>z</td></tr></table>"
    )
    (block,) = split_blocks(table)
    assert block.kind is BlockKind.TABLE
    assert block.text.split("\n") == [
        "| Item | Notes \\| more |  |",
        "| --- | --- | --- |",
        "| a b & c | 1 | 2 |",
        "| z |  |  |",
    ]


# -- repetition -------------------------------------------------------------------------------


def test_a_looping_tail_is_found_and_trimmed() -> None:
    text = "Real content here. " + "item(1,2),(3,4)" * 40
    assert tail_repeat_unit(text) == "item(1,2),(3,4)"
    assert trim_repetition(text) == "Real content here. item(1,2),(3,4)"


def test_ordinary_text_is_not_a_loop() -> None:
    text = "".join(f"line {i} of the manual(1,{i}),(3,{i + 1})" for i in range(300))
    assert tail_repeat_unit(text) is None
    assert trim_repetition(text) == text
    assert tail_repeat_unit("end" + "\n" * 50) is None  # blank lines are not a loop


def test_guard_checks_every_1000_chars_after_4000() -> None:
    guard = RepetitionGuard()
    head = "".join(f"distinct line {i:04d}; " for i in range(200))  # 4,400 chars, no loop
    assert not guard.feed(head)
    loop = "ab(1,2),(3,4)"
    fed = 0
    while not guard.feed(loop):
        fed += len(loop)
        assert fed < 2000, "the loop should be caught at the next check"
    assert guard.tripped and guard.length <= len(head) + 1000 + len(loop)


# -- prompts and images -----------------------------------------------------------------------


def test_extraction_prompt_uses_the_readme_list_notation() -> None:
    assert extraction_prompt(["Invoice number", "Total"]) == "提取图片中的: ['Invoice number','Total'] 的字段内容，并按照 JSON 格式返回。"


@pytest.mark.parametrize("size", [(4000, 3000), (300, 200), (2400, 1800), (400, 500)])
def test_images_outside_the_limits_are_scaled_into_them(size: tuple[int, int]) -> None:
    w, h = sent_size(*size)
    assert w % 32 == 0 and h % 32 == 0
    assert MIN_PIXELS <= w * h <= MAX_PIXELS
    assert w / h == pytest.approx(size[0] / size[1], rel=0.1)


@pytest.mark.parametrize("size", [(1435, 1800), (2048, 2048), (512, 512), (100, 5000)])
def test_images_within_the_limits_are_sent_as_they_are(size: tuple[int, int]) -> None:
    assert sent_size(*size) == size


def test_encoded_page_is_a_jpeg_data_url_of_the_sent_size() -> None:
    encoded = encode_page(Image.new("RGB", (4000, 3000), "white"))
    assert encoded.data_url.startswith("data:image/jpeg;base64,")
    image = Image.open(io.BytesIO(base64.b64decode(encoded.data_url.split(",", 1)[1])))
    assert image.format == "JPEG" and image.size == (encoded.width, encoded.height) == sent_size(4000, 3000)
    assert "base64" not in repr(encoded)  # never in logs
