"""Candidate passages, built once per question after retrieval, each with one vector of named features.

A candidate is a run of one to ``max_window`` consecutive quotable units (sentences, steps, table
rows, code lines) of one of the first ``depth`` retrieved chunks. Its features say how it matches
the question (term coverage, embedding similarity, quoted phrases, numbers, names), what the
retrieval thought of its chunk (fused score, rank, dense similarity), and whether its form fits
what the question asks (steps for a how-to question, a reason for a why-question, the expected
answer type). Every stage after retrieval reads this one list: the chunk order and the pages,
the abstention, the extractive answer and the LLM's sources (``assistant.reader``).

No feature is weighted here: the weights are fitted (``folio fit-reader``) and live in
``assistant/reader_model.json``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from assistant.answer_type import holds
from assistant.evidence import ScoredUnit, UnitScorer, quotable
from assistant.question import Question
from assistant.retrieve import Ranked
from assistant.units import holds_procedure

# Words that give a reason; a why-question's answer usually holds one.
CAUSAL = re.compile(r"\b(because|since|due to|owing to|as a result|so that|in order to|therefore|hence|otherwise"
                    r"|weil|denn|deshalb|daher|damit|sonst|aufgrund|wegen|car|parce que|afin de|donc)\b|因为|由于|所以", re.I)

FEATURES: tuple[str, ...] = (
    "coverage",  # idf-weighted share of the question's terms in the passage (headings, table header at half weight)
    "own",  # the same in the passage's own words only
    "chunk_coverage",  # the same over the whole chunk
    "fused",  # the chunk's fused retrieval score
    "dense",  # the chunk's embedding similarity
    "rank_prior",  # 1 / (1 + the chunk's retrieval rank)
    "semantic",  # best embedding similarity of a passage unit to the question (0 when not embedded)
    "semantic_gap",  # semantic less the chunk's best unit similarity (is this the chunk's closest unit?)
    "quoted",  # holds a phrase the question quotes
    "numbers",  # share of the question's numbers the passage writes
    "identifiers",  # share of the question's identifier-like terms (rnx2rtkp, TeleMega) in the passage
    "names",  # share of the names a question lists ("A, B and C") in the passage
    "procedure",  # a how-to question and the passage's share of steps and command lines
    "procedure_chunk",  # a how-to question and the chunk holds a procedure
    "reason",  # a why-question and the passage gives a reason (because, due to, weil)
    "answer_type",  # the question asks for a recognisable form (a price, an e-mail) and the passage holds one
    "row",  # the passage is table rows
    "length",  # units in the passage beyond the first
    "position",  # where the passage starts in its chunk (0: first unit, 1: last)
)


@dataclass(frozen=True)
class Candidate:
    """Units ``[first, last]`` of the chunk at retrieval rank ``rank`` (``Reading.units[rank]``)."""

    rank: int
    first: int
    last: int
    units: tuple[ScoredUnit, ...]
    features: tuple[float, ...]

    @property
    def chunk(self):  # type: ignore[no-untyped-def]
        return self.units[0].chunk

    @property
    def start(self) -> int:
        return self.units[0].unit.start

    @property
    def end(self) -> int:
        return self.units[-1].unit.end

    @property
    def text(self) -> str:
        return " ".join(s.unit.text for s in self.units)


@dataclass(frozen=True)
class Reading:
    """What the read path knows of a question before any fitted weight is applied."""

    question: Question
    ranked: tuple[Ranked, ...]  # fused retrieval order
    units: dict[int, list[ScoredUnit]]  # quotable units of each of the first ``depth`` chunks, by rank
    candidates: tuple[Candidate, ...]
    matrix: np.ndarray  # candidates x FEATURES


@dataclass(frozen=True)
class CandidateSettings:
    depth: int = 5  # retrieved chunks whose passages become candidates
    max_window: int = 3  # units in a passage, at most
    semantic_chunks: int = 3  # chunks whose units are embedded and compared with the question (0: none)


def build_reading(question: Question, ranked: Sequence[Ranked], scorer: UnitScorer, cfg: CandidateSettings,
                  vector: Sequence[float] | None = None) -> Reading:
    """The candidates of the first ``cfg.depth`` chunks of ``ranked`` with their features (``vector``:
    the question's embedding, when retrieval already made it)."""
    query = question.query
    units: dict[int, list[ScoredUnit]] = {}
    for rank, r in enumerate(ranked[: cfg.depth]):
        scored = quotable(scorer.score_hits(query, [r.hit()]))
        if scored:
            units[rank] = scored
    embedded = [rank for rank in units if rank < cfg.semantic_chunks] if scorer.embedder is not None else []
    if embedded:  # one batch, one question vector
        texts = [_embedded_text(s) for rank in embedded for s in units[rank]]
        sims = iter(scorer.similarities(question.text, texts, vector))
        for rank in embedded:
            units[rank] = [replace(s, semantic=next(sims)) for s in units[rank]]
    candidates: list[Candidate] = []
    for rank, scored in units.items():
        r = ranked[rank]
        chunk_terms = set().union(*(s.terms for s in scored))
        chunk_context = set().union(*(s.context_terms for s in scored))
        context = _ChunkContext(
            rank=rank,
            ranked=r,
            coverage=query.coverage(chunk_terms, chunk_context),
            best_semantic=max(s.semantic for s in scored),
            procedure=holds_procedure([s.unit for s in scored]),
            count=len(scored),
        )
        for first in range(len(scored)):
            for last in range(first, min(first + cfg.max_window, len(scored))):
                window = tuple(scored[first : last + 1])
                candidates.append(Candidate(rank=rank, first=first, last=last, units=window,
                                            features=passage_features(question, window, context)))
    matrix = np.array([c.features for c in candidates], dtype=np.float64).reshape(len(candidates), len(FEATURES))
    return Reading(question=question, ranked=tuple(ranked), units=units, candidates=tuple(candidates), matrix=matrix)


@dataclass(frozen=True)
class _ChunkContext:
    rank: int
    ranked: Ranked
    coverage: float
    best_semantic: float
    procedure: bool
    count: int


def passage_features(question: Question, window: Sequence[ScoredUnit], chunk: _ChunkContext) -> tuple[float, ...]:
    query = question.query
    terms = set().union(*(s.terms for s in window))
    context = set().union(*(s.context_terms for s in window))
    text = " ".join(f"{s.unit.caption} {s.unit.text}" if s.unit.caption else s.unit.text for s in window)
    semantic = max(s.semantic for s in window)
    lines = sum(s.unit.kind in ("step", "code") for s in window)
    values = {
        "coverage": query.coverage(terms, context),
        "own": query.coverage(terms),
        "chunk_coverage": chunk.coverage,
        "fused": chunk.ranked.score,
        "dense": chunk.ranked.dense,
        "rank_prior": 1.0 / (1.0 + chunk.rank),
        "semantic": semantic,
        "semantic_gap": semantic - chunk.best_semantic,
        "quoted": float(any(s.quoted for s in window)),
        "numbers": _share(question.numbers, lambda n: n in text),
        "identifiers": _share(tuple(question.identifiers), lambda t: t in terms),
        "names": _share(tuple(question.names), lambda t: t in terms) if len(question.names) >= 2 else 0.0,
        "procedure": (lines / len(window)) if question.procedural else 0.0,
        "procedure_chunk": float(question.procedural and chunk.procedure),
        "reason": float(question.reason and any(CAUSAL.search(s.unit.text) for s in window)),
        "answer_type": float(question.answer_type is not None and holds(question.answer_type, text)),
        "row": float(all(s.unit.kind == "row" for s in window)),
        "length": float(len(window) - 1),
        "position": window[0].unit.index / max(1, chunk.count - 1) if chunk.count > 1 else 0.0,
    }
    return tuple(values[name] for name in FEATURES)


def _share(items: Sequence[str], present) -> float:  # type: ignore[no-untyped-def]
    return sum(1 for i in items if present(i)) / len(items) if items else 0.0


def _embedded_text(s: ScoredUnit) -> str:
    """A unit as embedded: a table row with its caption and header (bare numbers mean nothing alone)."""
    if s.unit.kind == "row":
        return " ".join(p for p in (s.unit.caption, s.unit.header, s.unit.text) if p)
    return s.unit.text


def logistic(x: np.ndarray | float) -> np.ndarray | float:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -30, 30)))

