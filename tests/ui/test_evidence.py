"""An answer's evidence as the app draws it: at most three cards and the rest behind "Show N more",
adjacent lines one card, table rows a table, and an abstention's closest pages that open in full."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.ui.conftest import PHOTO


def evidence_script(image: str, abstained: bool) -> None:
    from assistant.schema import Answer, Citation, PageRef
    from storage.schema import BBox
    from ui.citations_view import render_evidence

    def cite(n: int, y: float, quote: str, page: int = 1, doc: str = "d1") -> Citation:
        return Citation(n=n, chunk_id=f"c-{n}", doc_id=doc, page=page, boxes=(BBox(x0=40, y0=y, x1=600, y1=y + 20),),
                        quote=quote, image=image, source="Field guide" if doc == "d1" else "other.jpg", page_label=str(5 + page))

    citations = (cite(1, 100, "Elevation Mask | Set elevation mask angle | pos1-elmask"), cite(2, 122, "SNR Mask | Set SNR mask | pos1-snrmask"),
                 cite(3, 400, "Install the plugin, then restart."), cite(4, 100, "Second page line.", page=2),
                 cite(5, 100, "Another file.", doc="d2"), cite(6, 300, "Far down the other file.", doc="d2"))
    pages = (PageRef(doc_id="d1", page=1, score=0.2, image=image, source="Field guide", page_label="6"),)
    answer = Answer(question="q", text="t", citations=() if abstained else citations, abstained=abstained, pages=pages)
    render_evidence(answer, {}, "a0")


def run(abstained: bool) -> AppTest:
    at = AppTest.from_function(evidence_script, args=(str(PHOTO), abstained), default_timeout=60).run()
    assert not at.exception, at.exception
    return at


def test_three_cards_are_shown_and_the_rest_is_behind_show_more() -> None:
    at = run(abstained=False)
    captions = [i.caption for image in at.image for i in image.proto.imgs]
    assert [c for c in captions if c.startswith("[")] == ["[1–2] Field guide, p. 6", "[3] Field guide, p. 6", "[4] Field guide, p. 7",
                                                          "[5] other.jpg, p. 6", "[6] other.jpg, p. 6"]
    [more] = [e for e in at.expander if e.label.startswith("Show")]
    assert more.label == "Show 2 more"
    hidden = [i.caption for image in more.get("image") for i in image.proto.imgs if i.caption.startswith("[")]
    assert hidden == ["[5] other.jpg, p. 6", "[6] other.jpg, p. 6"]
    tables = [m.value for m in at.markdown if m.value.startswith("| ")]
    assert tables and "| Elevation Mask | Set elevation mask angle | pos1-elmask |" in tables[0]
    assert "| SNR Mask | Set SNR mask | pos1-snrmask |" in tables[0] and "|---|---|---|" in tables[0]
    assert not any("Elevation Mask |" in m.value for m in at.markdown if m.value.startswith("> "))  # not a run-on quote


def test_an_abstention_shows_the_closest_page_that_opens_in_full() -> None:
    at = run(abstained=True)
    assert "The closest pages:" in [c.value for c in at.caption]
    [popover] = [b for b in at.get("popover")]
    assert popover.proto.popover.label == "Open the page"
    full = [i.caption for image in popover.get("image") for i in image.proto.imgs]
    assert full == ["Field guide, p. 6"]
