"""Per-question results: what the system said and every metric of the item (one line of items.jsonl)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from assistant.schema import Answer
from evals.dataset import EvalSet, QaItem
from evals.frames import SetFrame, evidence_boxes
from evals.geometry import Box
from evals.scorers import answer_correct, any_box_hit, cites_page, first_rank


class CitedBox(BaseModel):
    """A citation mapped into the set: its set page and its boxes in the set image's pixels."""

    model_config = ConfigDict(frozen=True)

    doc_id: str | None  # the set's doc_id; None when the cited page is not one of the set's
    page: int | None
    boxes: tuple[Box, ...]
    quote: str


class ItemResult(BaseModel):
    """One QA item: the question, the system's answer, and each metric (None where it does not apply)."""

    model_config = ConfigDict(frozen=True)

    id: str
    type: str
    doc_id: str | None
    page: int | None
    question: str
    reference: str | None
    answer: str
    abstained: bool
    evidence_score: float
    citations: tuple[CitedBox, ...]
    retrieved: tuple[tuple[str, int] | None, ...]  # set (doc_id, page) of each retrieved result, best first
    rank: int | None  # 1-based rank of the first retrieved result on the gold page (answerable items)
    correct: bool | None  # acceptable_answers check (answerable items)
    cites_gold_page: bool | None  # answered answerable items
    box_hit: bool | None  # answered answerable items
    spans_cited: int | None = None  # evidence spans with a box hit (answered answerable items)
    spans_total: int | None = None
    latency_ms: float
    error: str = ""
    checks: dict[str, int] = {}  # a chat model's answer as verified (sentences kept, re-pointed, dropped...)

    @property
    def answerable(self) -> bool:
        return self.doc_id is not None


def cited_boxes(answer: Answer, frame: SetFrame) -> tuple[CitedBox, ...]:
    out = []
    for c in answer.citations:
        key = frame.set_key(c.doc_id, c.page)
        boxes = tuple(b for b in (frame.box(c.doc_id, c.page, box) for box in c.boxes) if b is not None)
        out.append(CitedBox(doc_id=key[0] if key else None, page=key[1] if key else None, boxes=boxes, quote=c.quote))
    return tuple(out)


def score_item(
    item: QaItem,
    answer: Answer,
    retrieved: list[tuple[str, int]],
    frame: SetFrame,
    eval_set: EvalSet,
    latency_ms: float,
) -> ItemResult:
    """Score one answer. ``retrieved`` is stored (doc_id, page) of the retrieved results, best first."""
    cites = cited_boxes(answer, frame)
    set_retrieved = tuple(frame.set_key(d, p) for d, p in retrieved)
    rank = correct = page_hit = box_hit = spans_cited = None
    if item.gold is not None:
        rank = first_rank([k or ("", 0) for k in set_retrieved], item.gold)
        correct = answer_correct(answer.text, answer.abstained, item.acceptable_answers)
        if not answer.abstained:
            cited_here = [b for c in cites if (c.doc_id, c.page) == item.gold for b in c.boxes]
            page_hit = cites_page([(c.doc_id, c.page) for c in cites if c.doc_id and c.page], item.gold)
            truth = eval_set.page(*item.gold)
            spans = [evidence_boxes(truth, frame.kind, e.bboxes) for e in item.evidence]
            box_hit = any_box_hit(cited_here, [b for span in spans for b in span])
            spans_cited = sum(any_box_hit(cited_here, span) for span in spans)
    return ItemResult(
        id=item.id,
        type=item.type,
        doc_id=item.doc_id,
        page=item.page,
        question=item.question,
        reference=item.answer,
        answer=answer.text,
        abstained=answer.abstained,
        evidence_score=answer.evidence,
        citations=cites,
        retrieved=set_retrieved,
        rank=rank,
        correct=correct,
        cites_gold_page=page_hit,
        box_hit=box_hit,
        spans_cited=spans_cited,
        spans_total=len(item.evidence) if spans_cited is not None else None,
        latency_ms=latency_ms,
        checks=dict(answer.checks),
    )
