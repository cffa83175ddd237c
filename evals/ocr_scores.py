"""OCR scores per page: character errors against the page text, line boxes against the truth lines."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from evals.frames import SetFrame, StoredPage, truth_line_polygons
from evals.scorers import char_errors, matched_lines

MIN_LINE_IOU = 0.5


class PageScore(BaseModel):
    """One page's OCR result against its ground truth (a row of the report)."""

    model_config = ConfigDict(frozen=True)

    doc_id: str
    page: int
    status: str  # the stored page's status: ok, fallback or failed
    engine: str
    edit_distance: int
    ref_chars: int
    lines_matched: int
    lines_total: int
    system_lines: int

    @property
    def cer(self) -> float | None:
        return self.edit_distance / self.ref_chars if self.ref_chars else None

    @property
    def line_recall(self) -> float | None:
        return self.lines_matched / self.lines_total if self.lines_total else None


def score_page(frame: SetFrame, page: StoredPage) -> PageScore:
    """CER of the page text in reading order, and one-to-one line matches at IoU >= 0.5."""
    distance, ref_chars = char_errors(page.record.text, page.truth.text)
    truth = truth_line_polygons(page.truth, frame.kind)
    system = [frame.line_polygon(page, line) for line in page.record.lines]
    return PageScore(
        doc_id=page.truth.doc_id,
        page=page.truth.page,
        status=page.record.status,
        engine=page.record.engine,
        edit_distance=distance,
        ref_chars=ref_chars,
        lines_matched=matched_lines(truth, system, MIN_LINE_IOU),
        lines_total=len(truth),
        system_lines=len(system),
    )


def score_pages(frame: SetFrame) -> list[PageScore]:
    return [score_page(frame, page) for page in frame.stored_pages()]
