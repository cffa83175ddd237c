from assistant.cite import Quote, cite, merge_boxes, refs_for
from storage.schema import BBox
from tests.assistant.builders import image_path, make_chunk

LINES = ["When the battery is fully", "charged, the green LED will be lit.", "", "Both LEDs lit: battery damaged."]


def test_a_quote_maps_to_the_lines_it_overlaps():
    chunk = make_chunk("d1", 3, LINES)
    start = chunk.text.index("charged")
    refs = refs_for(chunk, start, start + 10)
    assert [r.start for r in refs] == [len(LINES[0]) + 1]


def test_pieces_of_one_line_merge_and_lines_above_each_other_do_not():
    a = BBox(x0=100, y0=100, x1=400, y1=130)
    a2 = BBox(x0=410, y0=102, x1=600, y1=131)  # the rest of line a, read as a second box
    b = BBox(x0=100, y0=140, x1=300, y1=170)  # the next line, 10 px under a
    c = BBox(x0=100, y0=300, x1=300, y1=330)  # far below
    d = BBox(x0=900, y0=100, x1=1200, y1=130)  # next column, same height
    assert merge_boxes([c, b, a2, a, d]) == (BBox(x0=100, y0=100, x1=600, y1=131), d, b, c)


def test_citation_has_page_line_boxes_quote_and_image():
    chunk = make_chunk("d1", 3, LINES)
    start = 0
    end = chunk.text.index("lit.") + 4
    [[citation]] = cite([Quote(chunk=chunk, start=start, end=end, text="When ... lit.")], image_path, first=4)
    assert citation.n == 4 and citation.page == 3 and citation.doc_id == "d1"
    assert citation.boxes == (BBox(x0=100, y0=100, x1=100 + 12 * len(LINES[0]), y1=130),
                              BBox(x0=100, y0=140, x1=100 + 12 * len(LINES[1]), y1=170))
    assert citation.image == "/images/d1/p0003.jpg"


def test_a_quote_without_line_refs_gets_no_citation():
    chunk = make_chunk("d1", 1, ["text"]).model_copy(update={"refs": ()})
    assert cite([Quote(chunk=chunk, start=0, end=4, text="text")], image_path) == [[]]


def test_following_chunks_follow_the_pages_reading_order():
    from assistant.order import following_chunks
    from storage.schema import DocumentRecord, Line, PageRecord

    first = make_chunk("d1", 1, ["Intro line", "second line"], top=100)
    second = make_chunk("d1", 1, ["Steps go on"], top=300)
    third = make_chunk("d1", 2, ["Next page"], top=50)
    other = make_chunk("d2", 1, ["Other document"], top=100)
    lines = {p: tuple(Line(text="x", bbox=r.bbox) for c in (first, second, third) for r in c.refs if r.page == p) for p in (1, 2)}
    record = DocumentRecord(doc_id="d1", source="d1.pdf", collection="c", ocr_engine="t", n_chunks=3, created_at="",
                            pages=tuple(PageRecord(page=p, image=f"p{p}.jpg", width=2000, height=3000, lines=lines[p]) for p in (1, 2)))
    following = following_chunks([third, other, second, first], {"d1": record})
    assert following == {first.id: second, second.id: third}
