"""Hand-built chunks with line refs, laid out like the chunker lays them out (one Markdown line per page line)."""

from __future__ import annotations

from assistant.candidates import FEATURES
from assistant.reader_model import ABSTAIN_FEATURES, AnswerShape, Linear, ReaderModel
from storage.schema import BBox, Chunk, SourceRef, chunk_id

LINE_HEIGHT = 30.0
LEFT = 100.0


def make_chunk(doc_id: str, page: int, lines: list[str], *, top: float = 100.0, headings: tuple[str, ...] = ()) -> Chunk:
    """A chunk whose text is ``lines`` joined by newlines; each non-blank line gets a box 40 px below the previous."""
    refs = []
    offset = 0
    y = top
    for line in lines:
        if line.strip():
            width = 12.0 * len(line)
            refs.append(SourceRef(doc_id=doc_id, page=page, bbox=BBox(x0=LEFT, y0=y, x1=LEFT + width, y1=y + LINE_HEIGHT),
                                  start=offset, end=offset + len(line)))
        y += LINE_HEIGHT + 10.0
        offset += len(line) + 1
    text = "\n".join(lines)
    return Chunk(id=chunk_id(doc_id, (page,), text), doc_id=doc_id, text=text, headings=headings, refs=tuple(refs))


def image_path(doc_id: str, page: int) -> str:
    return f"/images/{doc_id}/p{page:04d}.jpg"


def reader_model(weights: dict[str, float], *, shape: AnswerShape | None = None, threshold: float = 0.0) -> ReaderModel:
    """A model with the given candidate weights (unstandardised) and an abstention that always answers."""
    candidate = Linear(features=FEATURES, weights=tuple(weights.get(f, 0.0) for f in FEATURES), bias=0.0,
                       mean=tuple(0.0 for _ in FEATURES), scale=tuple(1.0 for _ in FEATURES))
    abstain = Linear(features=ABSTAIN_FEATURES, weights=tuple(1.0 if f == "best" else 0.0 for f in ABSTAIN_FEATURES), bias=5.0,
                     mean=tuple(0.0 for _ in ABSTAIN_FEATURES), scale=tuple(1.0 for _ in ABSTAIN_FEATURES))
    return ReaderModel(candidate=candidate, abstain=abstain, threshold=threshold, answer=shape or AnswerShape(neighbours=0, neighbours_broad=0))
