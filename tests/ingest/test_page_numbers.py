"""The page number printed in a header or footer, read from the OCR lines of a page."""

from __future__ import annotations

from ingest.page_numbers import printed_page_number
from storage.schema import BBox, Line

HEIGHT = 1800


def line(text: str, y0: float, y1: float, x0: float = 100, x1: float = 900) -> Line:
    return Line(text=text, bbox=BBox(x0=x0, y0=y0, x1=x1, y1=y1))


BODY = [line("Chapter 2. Getting Started", 149, 231), line("The first thing to do after you open the box", 400, 430)]


def test_page_x_of_y_and_its_variants_in_a_footer() -> None:
    for text in ("Page 6 of 21", "Seite 6 von 21", "- 6 -", "6 / 21", "p. 6"):
        assert printed_page_number([*BODY, line(text, 1530, 1564)], HEIGHT) == "6", text


def test_a_lone_number_counts_only_on_the_first_or_last_row() -> None:
    assert printed_page_number([*BODY, line("4", 1700, 1730)], HEIGHT) == "4"
    # beside the copyright line of the last row, a little higher than its middle (the AltOS manual's photo)
    footer = [line("© 2023 Bdale Garbee and Keith Packard. Creative Commons", 1601, 1655), line("4", 1587, 1607, x0=1300, x1=1320)]
    assert printed_page_number([*BODY, *footer], HEIGHT) == "4"
    # a number in the bottom band but above the last row is a table cell or a step, not the page number
    assert printed_page_number([*BODY, line("12", 1560, 1580, x0=1300, x1=1330), line("a last sentence", 1650, 1690)], HEIGHT) == ""
    assert printed_page_number([*BODY, line("35", 900, 930)], HEIGHT) == ""  # mid-page


def test_no_number_and_no_height() -> None:
    assert printed_page_number(BODY, HEIGHT) == "" and printed_page_number([line("Page 6", 10, 30)], 0) == ""
