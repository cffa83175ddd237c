"""Citation cards: neighbouring lines of one passage are one card; table rows stay rows."""

from __future__ import annotations

from assistant.schema import Citation
from storage.schema import BBox
from ui.cards import merge_adjacent


def cite(n: int, y: float, quote: str = "a line", page: int = 1, doc: str = "d1") -> Citation:
    return Citation(n=n, chunk_id="c-1", doc_id=doc, page=page, boxes=(BBox(x0=10, y0=y, x1=500, y1=y + 20),),
                    quote=quote, image="p.jpg")


def test_adjacent_lines_of_one_page_are_one_card() -> None:
    cards = merge_adjacent([cite(1, 100), cite(2, 125), cite(3, 148), cite(4, 400), cite(5, 425, page=2), cite(6, 450, doc="d2")])
    assert [c.label for c in cards] == ["1–3", "4", "5", "6"]
    assert len(cards[0].boxes) == 3 and cards[0].first.n == 1


def test_table_rows_are_kept_as_rows() -> None:
    [card] = merge_adjacent([cite(1, 100, "Elevation Mask | Set elevation mask angle | pos1-elmask"),
                             cite(2, 122, "SNR Mask | Set SNR mask | pos1-snrmask")])
    assert card.table_rows() == [["Elevation Mask", "Set elevation mask angle", "pos1-elmask"], ["SNR Mask", "Set SNR mask", "pos1-snrmask"]]
    [prose] = merge_adjacent([cite(1, 100, "Install the plugin, then restart.")])
    assert prose.table_rows() is None


def test_suggested_questions_come_from_headings() -> None:
    from ui.first_screen import suggested_questions
    from ui.library_view import DocSummary

    doc = DocSummary(doc_id="d", source="NRPE guide", n_pages=1, n_chunks=3, ocr_engine="cpu", created_at="", page_images=(),
                     page_problems=(), headings=("v. Test the NRPE daemon locally", "2.1. Batteries", "NRPE DOCUMENTATION", "4"))
    assert suggested_questions([doc]) == ["How do I test the NRPE daemon locally?", "What does NRPE guide say about Batteries?",
                                          "What does NRPE guide say about NRPE DOCUMENTATION?"]


def test_a_quoted_shell_prompt_is_not_a_heading() -> None:
    from ui.citations_view import _quoted

    assert _quoted("# netstat -at\nnext line") == "\\# netstat -at\n> next line"
