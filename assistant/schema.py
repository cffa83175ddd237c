"""What the read path returns: an answer, its citations and the pages it looked at.

Every box is in pixels of the stored page image (top-left origin), like ``storage.schema.BBox``;
pages are 1-based. When that image is a page flattened from a photo, a citation also carries the
photo and the homography ``to_photo`` that draws its boxes there. ``Answer`` is what ``assistant.service.ask`` returns to the app, the API, the
CLI and the eval runner, so its fields only grow.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from storage.schema import BBox, Matrix, union_all


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Citation(Frozen):
    """One cited passage: the ``[n]`` marker in the answer text points here."""

    n: int  # the number in the answer's "[n]" marker, from 1
    chunk_id: str
    doc_id: str
    page: int  # 1-based
    boxes: tuple[BBox, ...]  # line boxes of the quoted lines (adjacent lines merged), stored-image pixels
    quote: str  # the cited text as read on the page
    image: str  # path of the stored page image
    photo: str = ""  # path of the original photo when ``image`` is the page flattened from it
    to_photo: Matrix | None = None  # homography: ``image`` pixels -> ``photo`` pixels (boxes drawn on the photo)
    source: str = ""  # file name (or document name) the document was ingested from
    page_label: str = ""  # the page number printed on the page ("6" of "Page 6 of 21"), when one was read

    @property
    def page_name(self) -> str:
        """How a person names the page: the printed number when there is one ("p. 6"), else its position."""
        return f"p. {self.page_label or self.page}"

    @property
    def bbox(self) -> BBox:
        """The union of ``boxes``."""
        return union_all(self.boxes)


class PageRef(Frozen):
    """A retrieved page, best first: what the answer looked at (or the closest pages when it abstains)."""

    doc_id: str
    page: int  # 1-based
    score: float  # fused retrieval score of its best chunk, higher is better
    image: str  # path of the stored page image
    source: str = ""  # file name the document was ingested from
    page_label: str = ""  # the page number printed on the page, when one was read

    @property
    def page_name(self) -> str:
        return f"p. {self.page_label or self.page}"


class Turn(Frozen):
    """One earlier message of the conversation, for follow-up questions."""

    role: Literal["user", "assistant"]
    text: str


class Answer(Frozen):
    """The result of ``ask``: text with ``[n]`` markers, the citations, or an abstention."""

    question: str
    text: str  # the answer; "[n]" markers refer to ``citations[n-1]``
    citations: tuple[Citation, ...] = ()
    abstained: bool = False  # True: the documents do not answer the question (the evidence threshold, or a chat model's refusal)
    pages: tuple[PageRef, ...] = ()  # retrieved pages, best first (the closest pages when abstaining)
    evidence: float = 0.0  # the evidence score the abstention threshold was applied to
    dropped_ids: tuple[str, ...] = ()  # source ids the model cited that it was not given
    answerer: str = ""  # "extractive" or "openai:<model>"
    settings_fingerprint: str = ""
    timings: dict[str, float] = Field(default_factory=dict)  # seconds per stage: retrieve, answer, total
    checks: dict[str, int] = Field(default_factory=dict)  # a chat model's answer as verified: sentences kept, re-pointed, dropped...

    def as_json(self) -> dict[str, object]:
        """The CLI's ``--json`` shape (bbox as [x0, y0, x1, y1] in stored-image pixels), plus a few extras."""
        return {
            "answer": self.text,
            "abstained": self.abstained,
            "citations": [
                {
                    "doc_id": c.doc_id,
                    "source": c.source,
                    "page": c.page,
                    "page_label": c.page_label,
                    "bbox": [round(v, 1) for v in c.bbox.as_list()],
                    "boxes": [[round(v, 1) for v in b.as_list()] for b in c.boxes],
                    "image": c.image,
                    "quote": c.quote,
                    # "page": the boxes are on the upright photo itself; "flattened": on the page cut out of
                    # ``photo`` and flattened; map a box's corners through ``to_photo`` to draw it on the photo
                    "frame": "flattened" if c.to_photo else "page",
                    "photo": c.photo or None,
                    "to_photo": [list(row) for row in c.to_photo] if c.to_photo else None,
                }
                for c in self.citations
            ],
            "pages": [{"doc_id": p.doc_id, "source": p.source, "page": p.page, "page_label": p.page_label, "score": round(p.score, 4), "image": p.image} for p in self.pages],
            "evidence": round(self.evidence, 4),
            "dropped_ids": list(self.dropped_ids),
            "answerer": self.answerer,
            "settings_fingerprint": self.settings_fingerprint,
        }
