"""Scoring in the set's frame: stored pages (turned, reduced) map back onto the ground truth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from assistant.schema import Answer, Citation, PageRef
from evals.dataset import load_set
from evals.frames import SetFrame, evidence_boxes
from evals.geometry import box_corners, map_box, to_stored_frame
from evals.pack import pack_documents
from evals.item_scores import score_item
from evals.ocr_scores import score_pages
from storage.schema import BBox, DocumentRecord, Line, PageRecord

MINI = Path(__file__).resolve().parents[1] / "data" / "devset-mini"
SET = load_set(MINI)


def stored_box(points, rotation, scale, size) -> BBox:
    return BBox.from_points(to_stored_frame(points, rotation, scale, size))


def stored_record(kind, rotation, scale, *, drop_every=0) -> tuple[DocumentRecord, dict]:
    """What a perfect OCR engine would store for every set page, turned and reduced as ingest may do."""
    docs, pages = {}, {}
    for doc_id in SET.doc_ids():
        records = []
        for n, truth in enumerate(SET.pages_of(doc_id), start=1):
            size = truth.size(kind)
            lines = []
            for i, gt in enumerate(truth.lines):
                if drop_every and i % drop_every == 0:
                    continue
                quad = [tuple(p) for p in gt.photo_quad] if kind == "photo" else box_corners(gt.bbox)
                stored = to_stored_frame(quad, rotation, scale, size)
                lines.append(Line(text=gt.text, bbox=BBox.from_points(stored), quad=tuple(stored)))
            w, h = size if rotation in (0, 180) else size[::-1]
            records.append(PageRecord(page=n, image=f"pages/p{n:04d}.jpg", width=int(w * scale), height=int(h * scale),
                                      rotation=rotation, scale=scale, lines=tuple(lines)))
        docs[doc_id] = DocumentRecord(doc_id=f"stored-{doc_id}", source=f"{doc_id}.tiff", collection="c",
                                      pages=tuple(records), ocr_engine="test", n_chunks=0, created_at="2026-01-01T00:00:00+00:00")
        pages[doc_id] = tuple(p.page for p in SET.pages_of(doc_id))
    return docs, pages


@pytest.mark.parametrize(("kind", "rotation", "scale"), [("photo", 0, 1.0), ("photo", 90, 0.5), ("scan", 270, 0.8), ("scan", 180, 1.0)])
def test_perfect_ocr_scores_zero_cer_and_full_line_recall_in_any_stored_frame(kind, rotation, scale):
    docs, pages = stored_record(kind, rotation, scale)
    scores = score_pages(SetFrame(SET, kind, docs, pages))
    assert len(scores) == len(SET.pages)
    for s in scores:
        # the reference text is the page text; the lines joined differ from it only in line breaks and a few
        # overlapping heading layers (nrpe), so the CER of "perfect lines" is small but not always 0
        assert s.cer is not None and s.cer < 0.05
        assert s.line_recall == 1.0


def test_missing_lines_lower_recall():
    docs, pages = stored_record("photo", 0, 1.0, drop_every=2)
    scores = score_pages(SetFrame(SET, "photo", docs, pages))
    assert all(0.4 < s.line_recall < 0.6 for s in scores)


def test_item_scoring_maps_citations_and_evidence_into_the_photo():
    rotation, scale = 90, 0.5
    docs, pages = stored_record("photo", rotation, scale)
    frame = SetFrame(SET, "photo", docs, pages)
    item = next(i for i in SET.items if len(i.evidence) >= 2 and len(i.acceptable_answers) >= 2)  # any multi-span item
    truth = SET.page(item.doc_id, item.page)
    stored_id = docs[item.doc_id].doc_id
    evidence = item.evidence[0].bboxes[0]
    photo_box = map_box(truth.photo_homography, evidence)
    good = stored_box(box_corners(photo_box), rotation, scale, truth.photo_size)
    whole = stored_box(box_corners((0, 0, *truth.photo_size)), rotation, scale, truth.photo_size)

    def answer(box: BBox, text: str) -> Answer:
        cite = Citation(n=1, chunk_id="c-1", doc_id=stored_id, page=1, boxes=(box,), quote="q", image="p.jpg")
        pages = (PageRef(doc_id="other", page=1, score=0.9, image=""), PageRef(doc_id=stored_id, page=1, score=0.5, image=""))
        return Answer(question=item.question, text=text, citations=(cite,), pages=pages)

    right = "; ".join(group[0] for group in item.acceptable_answers)
    hit = score_item(item, answer(good, right), [("other", 1), (stored_id, 1)], frame, SET, 12.0)
    assert (hit.rank, hit.correct, hit.cites_gold_page, hit.box_hit) == (2, True, True, True)
    assert hit.citations[0].doc_id == item.doc_id and hit.citations[0].page == item.page
    assert hit.retrieved == (None, (item.doc_id, item.page))
    assert (hit.spans_cited, hit.spans_total) == (1, len(item.evidence))  # the box covers the first evidence span only
    miss = score_item(item, answer(whole, item.acceptable_answers[0][0]), [], frame, SET, 12.0)
    assert (miss.rank, miss.correct, miss.cites_gold_page, miss.box_hit) == (None, False, True, False)
    assert miss.spans_cited == 0
    assert evidence_boxes(truth, "scan", (evidence,)) == [evidence]


def test_abstention_has_no_citation_metrics():
    docs, pages = stored_record("scan", 0, 1.0)
    frame = SetFrame(SET, "scan", docs, pages)
    answerable = next(i for i in SET.items if i.answerable)
    unanswerable = next(i for i in SET.items if not i.answerable)
    abstain = Answer(question="q", text="The documents do not say.", abstained=True)
    r = score_item(answerable, abstain, [], frame, SET, 1.0)
    assert (r.correct, r.cites_gold_page, r.box_hit) == (False, None, None)
    u = score_item(unanswerable, abstain, [], frame, SET, 1.0)
    assert (u.rank, u.correct, u.abstained) == (None, None, True)


@pytest.mark.parametrize("kind", ["photo", "scan"])
def test_packed_tiff_keeps_every_pixel(tmp_path, kind):
    packed = pack_documents(SET, kind, tmp_path)
    assert [p.set_doc_id for p in packed] == SET.doc_ids()
    for doc in packed:
        tiff = Image.open(doc.path)
        for index, truth in enumerate(SET.pages_of(doc.set_doc_id)):
            tiff.seek(index)
            original = Image.open(SET.image_path(truth, kind))
            assert np.array_equal(np.asarray(tiff.convert("RGB")), np.asarray(original.convert("RGB")))
    again = pack_documents(SET, kind, tmp_path / ".." / tmp_path.name)
    assert [p.stored_id for p in again] == [p.stored_id for p in packed]  # same pixels, same ids


def test_a_page_flattened_from_the_photo_scores_through_its_homography():
    """Perfect lines stored on the flattened page (the scan's frame, turned 90 and reduced) map onto the photo."""
    docs = {}
    pages = {}
    for doc_id in SET.doc_ids():
        records = []
        for n, truth in enumerate(SET.pages_of(doc_id), start=1):
            sw, sh = truth.size("scan")
            flat = np.array([[0, 2, 0], [-2, 0, sh], [0, 0, 1]])  # stored pixels -> scan pixels (turned 90, halved)
            to_photo = np.asarray(truth.photo_homography) @ flat
            back = np.linalg.inv(flat)
            lines = []
            for gt in truth.lines:
                corners = np.c_[np.asarray(box_corners(gt.bbox)), np.ones(4)] @ back.T
                quad = tuple(tuple(p) for p in (corners[:, :2] / corners[:, 2:]).tolist())
                lines.append(Line(text=gt.text, bbox=BBox.from_points(quad), quad=quad))
            records.append(PageRecord(page=n, image=f"pages/p{n:04d}.jpg", width=sh // 2, height=sw // 2, rotation=90,
                                      photo=f"pages/p{n:04d}-photo.jpg", lines=tuple(lines),
                                      to_photo=tuple(tuple(float(v) for v in row) for row in to_photo)))
        docs[doc_id] = DocumentRecord(doc_id=f"stored-{doc_id}", source=f"{doc_id}.tiff", collection="c",
                                      pages=tuple(records), ocr_engine="test", n_chunks=0, created_at="2026-01-01T00:00:00+00:00")
        pages[doc_id] = tuple(p.page for p in SET.pages_of(doc_id))
    scores = score_pages(SetFrame(SET, "photo", docs, pages))
    assert len(scores) == len(SET.pages) and all(s.line_recall == 1.0 for s in scores)
