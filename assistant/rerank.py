"""Second stage: re-order the first fused results by how well one passage of each covers the question.

Fusion ranks whole chunks; a chunk that mentions the question's words here and there can beat the
one holding a sentence or row that answers it. Each of the first ``depth`` chunks gets the value
of its best passage (``evidence.best_window``: a run of up to a few units covering the question's
terms, worth more when it holds a phrase the question quotes), and they are re-ordered by
``fused score + weight * passage value + semantic * similarity``, where ``similarity`` is the embedding similarity of that passage to the question (five short texts
embedded per question, cached). On the dev-set photos the passage value lifted page hit@1 from 0.73
to 0.80 (depth 5, weight 1); the passage similarity (0.5) lifted it to 0.82 and answer accuracy from
0.52 to 0.57 (flat for 0.25-0.5, lower hit@1 from 0.75). For a question asking how to do something,
a chunk holding a procedure (two or more command lines or numbered steps) gets ``procedure`` more:
an introduction that names the same things ranked above the commands (dev photos: nr-03 from rank
4 to 1, hit@1 0.886 -> 0.909, nothing else moved, the same for 0.25-0.5). A chunk over a page break is also listed
under the page that holds its passage.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

from assistant.evidence import QUOTE_BONUS, Query, ScoredUnit, UnitScorer, best_window, quotable
from assistant.cite import refs_for
from assistant.question_kind import PROCEDURAL
from assistant.retrieve import Ranked
from assistant.units import holds_procedure
from storage.schema import Chunk


@dataclass(frozen=True)
class RerankSettings:
    depth: int = 5  # how many fused results are re-ordered (0: none)
    weight: float = 1.0  # weight of the passage value against the fused score
    max_window: int = 4
    unit_cost: float = 0.04
    semantic: float = 0.0  # weight of the embedding similarity of each best passage to the question (0: not embedded)
    procedure: float = 0.3  # added to the passage value of a chunk holding a procedure, for a question asking how to do something


def passage_coverage(query: Query, window: Sequence[ScoredUnit]) -> float:
    """The share of the question's terms (idf-weighted, headings at half weight) a passage covers."""
    terms = set().union(*(s.terms for s in window)) if window else set()
    context = set().union(*(s.context_terms for s in window)) if window else set()
    return query.coverage(terms, context)


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


def rerank(ranked: Sequence[Ranked], query: Query, scorer: UnitScorer, cfg: RerankSettings) -> list[Ranked]:
    """``ranked`` with its first ``cfg.depth`` results re-ordered; scores stay in [0, 1]."""
    head, tail = list(ranked[: cfg.depth]), list(ranked[cfg.depth :])
    if cfg.depth <= 0 or cfg.weight <= 0 or not head:
        return list(ranked)
    scale = 1.0 + cfg.weight
    windows = []
    for r in head:
        units = quotable(scorer.score_hits(query, [r.hit()]))
        windows.append(best_window(query, units, max_window=cfg.max_window, unit_cost=cfg.unit_cost)[1])
    sims = _passage_similarities(query, windows, scorer) if cfg.semantic > 0 else [0.0] * len(windows)
    scale += cfg.semantic
    valued = []
    how_to = cfg.procedure > 0 and PROCEDURAL.search(query.text) is not None
    for r, window, sim in zip(head, windows, sims, strict=True):
        value = cfg.weight * (passage_coverage(query, window) + QUOTE_BONUS * any(s.quoted for s in window)) + cfg.semantic * sim
        if how_to and holds_procedure(scorer.units(r.chunk)):
            value += cfg.procedure
        valued.append(replace(r, score=min(1.0, max(0.0, (r.score + value) / scale)), pages=passage_first(r.chunk, window)))
    valued.sort(key=lambda r: -r.score)
    return valued + [replace(r, score=r.score / scale) for r in tail]


def passage_text(window: Sequence[ScoredUnit]) -> str:
    """A passage's units joined; table rows come after their table's caption and header (a row of
    bare numbers means nothing to an embedding model without them)."""
    parts: list[str] = []
    for s in window:
        for context in (s.unit.caption, s.unit.header) if s.unit.kind == "row" else ():
            if context and context not in parts:
                parts.append(context)
        parts.append(s.unit.text)
    return " ".join(parts)


def _passage_similarities(query: Query, windows: Sequence[Sequence[ScoredUnit]], scorer: UnitScorer) -> list[float]:
    """Embedding similarity of each passage (its units joined) to the question; 0 without an embedder."""
    texts = [passage_text(w) for w in windows]
    if scorer.embedder is None or not any(texts):
        return [0.0] * len(windows)
    return scorer.similarities(query.text, texts)
