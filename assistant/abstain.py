"""Whether the retrieved pages answer the question at all: a calibrated threshold, no model.

Small models invent answers their context does not hold, so the decision is made here, from
retrieval and evidence signals, before any answerer runs:

* ``dense``: the best cosine similarity between the question and a chunk (the embedder's view);
* ``lexical``: the best idf-weighted share of the question's terms found in one unit (sentence,
  step or row) of the top chunks, plus the same share over the best chunk as a whole;
* ``missing``: the idf-weighted share of the question's terms that occur nowhere in the
  searched documents (a question about "IP rating" where no page says "IP" or "rating").

They are combined into one evidence score in [0, 1] (weights below, fitted on the dev set); the
caller abstains when it is under ``AnswerSettings.min_score``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from assistant.evidence import Query, UnitScorer
from assistant.keyword import KeywordIndex
from assistant.retrieve import Ranked


@dataclass(frozen=True)
class EvidenceWeights:
    dense_floor: float = 0.75  # dense similarity that counts as no evidence at all (e5 scores sit in 0.7-0.95)
    dense_span: float = 0.15  # similarity above the floor that counts as full evidence
    dense: float = 0.5
    lexical: float = 0.5
    missing_penalty: float = 0.5
    top_chunks: int = 3


@dataclass(frozen=True)
class Evidence:
    dense: float
    lexical: float
    missing: float
    score: float  # in [0, 1]


def assess(query: Query, ranked: Sequence[Ranked], scorer: UnitScorer, keywords: KeywordIndex,
           weights: EvidenceWeights | None = None) -> Evidence:
    """The evidence that ``ranked`` (best first) answers the question of ``query``."""
    w = weights or EvidenceWeights()
    if not ranked or query.total <= 0:
        return Evidence(dense=0.0, lexical=0.0, missing=1.0, score=0.0)
    top = list(ranked[: w.top_chunks])
    dense = max(r.dense for r in ranked)
    scored = scorer.score_hits(query, [r.hit() for r in top])
    best_unit = max((s.lexical for s in scored if s.unit.kind != "heading"), default=0.0)
    best_chunk = max(scorer.match(query, r.chunk.embed_text) for r in top)
    lexical = 0.5 * best_unit + 0.5 * best_chunk
    missing = sum(wt for t, wt in query.weights.items() if not keywords.has(t)) / query.total
    dense_part = min(1.0, max(0.0, (dense - w.dense_floor) / w.dense_span))
    score = w.dense * dense_part + w.lexical * lexical - w.missing_penalty * missing
    return Evidence(dense=dense, lexical=lexical, missing=missing, score=min(1.0, max(0.0, score)))
