"""The answerer seam: turn a question and its retrieved chunks into cited answer text.

Two answerers, chosen by ``AnswerSettings.answerer``: ``extractive`` (offline, quotes the
sentences, steps or rows that answer) and ``openai`` (any OpenAI-compatible chat server). Whether
to answer at all is decided before either runs (``assistant.reader``), never by a model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from typing import TYPE_CHECKING

from assistant.cite import ImagePath
from assistant.evidence import UnitScorer
from assistant.reader_model import AnswerShape
from assistant.schema import Citation, Turn
from storage.schema import Chunk, Hit

if TYPE_CHECKING:
    from assistant.reader import Decision

OnText = Callable[[str], None]
"""Receives the answer text piece by piece as it is produced (markers already as ``[n]``)."""


@dataclass(frozen=True)
class Request:
    """Everything an answerer gets for one question."""

    question: str
    hits: Sequence[Hit]  # best first, already filtered to the visible documents
    scorer: UnitScorer
    image_path: ImagePath
    history: Sequence[Turn] = ()
    on_text: OnText | None = None
    search_text: str = ""  # the question with the conversation's context, as retrieval used it ("" = the question)
    following: Callable[[Chunk], Chunk | None] | None = None  # the chunk after a chunk in its document's reading order
    decision: Decision | None = None  # the reader's ranked candidate passages (``assistant.reader``)
    shape: AnswerShape = field(default_factory=AnswerShape)  # the extractive answer's fitted shape
    documents: Mapping[str, str] = field(default_factory=dict)  # doc id -> the file name it was ingested from

    @property
    def query_text(self) -> str:
        return self.search_text or self.question


@dataclass(frozen=True)
class Draft:
    """An answer before the service stamps it: the text with ``[n]`` markers and its citations."""

    text: str
    citations: tuple[Citation, ...]
    dropped_ids: tuple[str, ...] = field(default=())
    abstained: bool = False  # the answerer found nothing it could stand behind (a model's refusal, no supported sentence)
    note: str = ""  # why, when abstained
    checks: Mapping[str, int] = field(default_factory=dict)  # counts of the model-answer verification (sentences kept, dropped, ...)


@runtime_checkable
class Answerer(Protocol):
    name: str

    def answer(self, request: Request) -> Draft: ...
