"""Apply the fitted reader to a question's candidates: one ranked list for every later stage.

``decide`` scores each candidate passage (``assistant.candidates``) with the fitted weights
(``assistant.reader_model``), re-orders the first chunks by their best passage, and judges from
the same list whether the pages answer the question at all. Re-ordering, abstention, the
extractive answer, the citations and the LLM's sources all read the ``Decision``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from assistant.answer_type import holds
from assistant.candidates import FEATURES, Candidate, Reading, logistic
from assistant.cite import refs_for
from assistant.evidence import ScoredUnit
from assistant.reader_model import ABSTAIN_FEATURES, ReaderModel
from assistant.retrieve import Ranked
from storage.schema import Chunk


@dataclass(frozen=True)
class Scored:
    """A candidate with its score and its share of the question's candidates (a softmax of the scores)."""

    candidate: Candidate
    probability: float
    logit: float


@dataclass(frozen=True)
class Decision:
    reading: Reading
    ranked: tuple[Ranked, ...]  # chunks best first: the candidates' chunks by their best passage, then the rest
    candidates: tuple[Scored, ...]  # best first
    answerable: float  # probability that the pages answer the question
    abstain: bool
    reason: str = ""  # why, in words for the user, when a clear cause is known

    @property
    def best(self) -> Scored | None:
        return self.candidates[0] if self.candidates else None


def abstain_features(reading: Reading, best: Scored | None) -> np.ndarray:
    q = reading.question
    held = q.answer_type is None or any(holds(q.answer_type, r.chunk.text) for r in reading.ranked[: max(1, len(reading.units))])
    values = {
        "best": best.logit if best else -10.0,
        "coverage": best.candidate.features[FEATURES.index("coverage")] if best else 0.0,
        "semantic": best.candidate.features[FEATURES.index("semantic")] if best else 0.0,
        "missing": q.missing,
        "local_missing": _local_missing(reading),
        "dense_top": reading.ranked[0].dense if reading.ranked else 0.0,
        "type_missing": float(not held),
        "number_missing": float(q.quantity and best is not None and not any(ch.isdigit() for ch in best.candidate.text)),
        "unknown_focus": float(bool(q.unknown_focus)),
    }
    return np.array([values[f] for f in ABSTAIN_FEATURES], dtype=np.float64)


def _local_missing(reading: Reading) -> float:
    query = reading.question.query
    if query.total <= 0:
        return 1.0
    seen = set().union(*(s.terms | s.context_terms for units in reading.units.values() for s in units))
    return 1.0 - query.coverage(seen)


def decide(reading: Reading, model: ReaderModel) -> Decision:
    """Rank the candidates, re-order the chunks, decide whether to abstain."""
    if len(reading.candidates):
        logits = model.candidate.logits(reading.matrix)
        shares = np.exp(logits - logits.max())
        probs = shares / shares.sum()
        order = np.argsort(-logits, kind="stable")
        scored = tuple(Scored(reading.candidates[i], float(probs[i]), float(logits[i])) for i in order)
    else:
        scored = ()
    best = scored[0] if scored else None
    x = abstain_features(reading, best)
    answerable = float(logistic(model.abstain.logits(x[None, :]))[0]) if best else 0.0
    abstain = best is None or answerable < model.threshold
    return Decision(reading=reading, ranked=_reordered(reading, scored), candidates=scored, answerable=answerable,
                    abstain=abstain, reason=_reason(reading, x) if abstain else "")


def _reordered(reading: Reading, scored: tuple[Scored, ...]) -> tuple[Ranked, ...]:
    """The chunks with candidates by their best candidate, then the others in retrieval order; each
    chunk listed under the page that holds its best passage first."""
    best_of: dict[int, Scored] = {}
    for s in scored:
        best_of.setdefault(s.candidate.rank, s)
    head = [replace(reading.ranked[rank], pages=passage_first(reading.ranked[rank].chunk, list(s.candidate.units)))
            for rank, s in sorted(best_of.items(), key=lambda item: -item[1].logit)]
    return tuple(head) + tuple(r for i, r in enumerate(reading.ranked) if i not in best_of)


def _reason(reading: Reading, x: np.ndarray) -> str:
    q = reading.question
    if q.unknown_focus:
        return f"They never mention {' '.join(q.unknown_focus)}."
    if x[ABSTAIN_FEATURES.index("type_missing")] and q.answer_type is not None:
        return f"The closest passages give no {q.answer_type.name.split(' ', 1)[1]}."
    return ""


def passage_first(chunk: Chunk, window: Sequence[ScoredUnit]) -> tuple[int, ...]:
    """The chunk's pages, the one holding most lines of ``window`` first (a chunk spanning a page break
    is listed under the page of its passage, not the page it starts on)."""
    if len(chunk.pages) < 2 or not window:
        return chunk.pages
    lines = Counter(ref.page for ref in refs_for(chunk, window[0].unit.start, window[-1].unit.end))
    if not lines:
        return chunk.pages
    best = max(chunk.pages, key=lambda p: (lines[p], -p))
    return (best, *(p for p in chunk.pages if p != best))
