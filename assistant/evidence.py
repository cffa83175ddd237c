"""How well each unit (sentence, step, row) of the retrieved chunks matches a question.

The match is lexical: the share of the question's terms, weighted by their BM25 idf, that the
unit contains, with terms of the unit's section heading (and, for a table row, the table's first
row) counting at half weight. The same scores pick the sentences of an extractive answer, find
the lines behind a sentence an LLM wrote, and feed the abstention threshold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from assistant.analyze import Language
from assistant.keyword import KeywordIndex
from assistant.units import Unit, split_units
from storage.schema import Chunk, Hit

CONTEXT_WEIGHT = 0.5  # weight of a term found only in the unit's heading or table header


@dataclass(frozen=True)
class ScoredUnit:
    unit: Unit
    chunk: Chunk
    rank: int  # rank of the unit's chunk in the retrieval, from 0
    lexical: float  # idf-weighted share of the question's terms in the unit (its context at half weight), in [0, 1]
    own: float  # the same share counting the unit's own text only


@dataclass(frozen=True)
class Query:
    """A question's analysed terms and their idf weights."""

    text: str
    weights: dict[str, float]

    @property
    def total(self) -> float:
        return sum(self.weights.values())


class UnitScorer:
    """Scores units against questions using a keyword index's analysis and idf."""

    def __init__(self, keywords: KeywordIndex) -> None:
        self.keywords = keywords
        self._terms = lru_cache(maxsize=8192)(self._unit_terms)

    def query(self, question: str) -> Query:
        terms = self.keywords.analyzer.terms(question)
        return Query(text=question, weights={t: self.keywords.idf(t) for t in dict.fromkeys(terms)})

    def units(self, chunk: Chunk) -> list[Unit]:
        return _units(chunk.id, chunk.text)

    def score_hits(self, query: Query, hits: Sequence[Hit]) -> list[ScoredUnit]:
        """Every unit of ``hits`` (headings included) with its lexical match, in retrieval order."""
        out = []
        for rank, hit in enumerate(hits):
            lang = self.keywords.languages.get(hit.chunk.id)
            for unit in self.units(hit.chunk):
                context = f"{unit.section} {unit.header}"
                out.append(ScoredUnit(unit=unit, chunk=hit.chunk, rank=rank, lexical=self.match(query, unit.text, context, lang),
                                      own=self.match(query, unit.text, "", lang)))
        return out

    def match(self, query: Query, text: str, context: str = "", lang: Language | None = None) -> float:
        """The idf-weighted share of the question's terms in ``text`` (in ``context`` at half weight)."""
        if query.total <= 0:
            return 0.0
        own = self._terms(text, lang)
        around = self._terms(context, lang) if context else frozenset()
        got = sum(w if t in own else CONTEXT_WEIGHT * w if t in around else 0.0 for t, w in query.weights.items())
        return got / query.total

    def _unit_terms(self, text: str, lang: Language | None) -> frozenset[str]:
        return frozenset(self.keywords.analyzer.terms(text, lang))


@lru_cache(maxsize=4096)
def _units(chunk_id: str, text: str) -> list[Unit]:
    return split_units(chunk_id, text)
