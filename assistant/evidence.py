"""How well each unit (sentence, step, row) of the retrieved chunks matches a question.

The match is lexical: the share of the question's terms, weighted by their BM25 idf (doubled for
words written like identifiers: with digits, underscores or inner capitals, such as "rnx2rtkp",
"check_nrpe", "TeleMega", which name the one program or part a question is about), that the unit
contains, with terms of its headings (the chunk's heading path and the heading above the
unit) and, for a table row, of the table's first row counting at half weight. A row's table
caption ("TABLE I. FALSE POSITIVE AND DETECTION RATES ...") counts as the row's own words: it
says what every row is, and "Table I at a threshold above 50" is the row "> 50" of that table.
These matches are features of the candidate passages (``assistant.candidates``) and find the lines
behind a sentence an LLM wrote.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from assistant.analyze import Language, normalise
from assistant.keyword import KeywordIndex
from assistant.units import Unit, split_units
from storage.embed import Embedder
from storage.schema import Chunk, Hit

CONTEXT_WEIGHT = 0.5  # weight of a term found only in the unit's heading or table header
IDENTIFIER = re.compile(r"\b(?=\w*[a-zA-Z])(?=\w*(?:\d|_|[a-z][A-Z]))\w{3,}\b")  # rnx2rtkp, check_nrpe, TeleMega, MD5
IDENTIFIER_WEIGHT = 2.0
QUOTED = re.compile(r"(?<![\w])['‘\"“„]([^'‘’\"“”]{3,}?)['’\"”“](?![\w])")
MAX_CACHED_VECTORS = 20000  # unit and passage vectors kept (about 30 MB at 384 dims); the cache starts over beyond


@dataclass(frozen=True)
class ScoredUnit:
    unit: Unit
    chunk: Chunk
    rank: int  # rank of the unit's chunk in the retrieval, from 0
    lexical: float  # idf-weighted share of the question's terms in the unit (its context at half weight), in [0, 1]
    own: float  # the same share counting the unit's own text only
    terms: frozenset[str] = frozenset()  # question terms in the unit's own text
    context_terms: frozenset[str] = frozenset()  # question terms only in its heading or table header
    semantic: float = 0.0  # cosine similarity of the unit and the question (0 when not computed)
    quoted: bool = False  # holds a phrase the question quotes ('dah dit dit', an error message)


@dataclass(frozen=True)
class Query:
    """A question's analysed terms and their idf weights."""

    text: str
    weights: dict[str, float]
    phrases: tuple[str, ...] = ()  # what the question quotes, normalised (``quoted_phrases``)

    @property
    def total(self) -> float:
        return sum(self.weights.values())

    def coverage(self, terms: frozenset[str] | set[str], context: frozenset[str] | set[str] = frozenset()) -> float:
        """The idf-weighted share of the question's terms in ``terms`` (in ``context`` at half weight)."""
        if self.total <= 0:
            return 0.0
        got = sum(w if t in terms else CONTEXT_WEIGHT * w if t in context else 0.0 for t, w in self.weights.items())
        return got / self.total


class UnitScorer:
    """Scores units against questions: lexically (the keyword index's analysis and idf) and, when
    given an embedder, semantically (unit vectors are cached, so a chunk is embedded once)."""

    def __init__(self, keywords: KeywordIndex, embedder: Embedder | None = None) -> None:
        self.keywords = keywords
        self.embedder = embedder
        self._terms = lru_cache(maxsize=8192)(self._unit_terms)
        self._vectors: dict[str, np.ndarray] = {}
        self.max_cached = MAX_CACHED_VECTORS

    def query(self, question: str) -> Query:
        terms = self.keywords.analyzer.terms(question)
        names = {t for token in IDENTIFIER.findall(question) for t in self.keywords.analyzer.terms(token)}
        weights = {t: self.keywords.idf(t) * (IDENTIFIER_WEIGHT if t in names else 1.0) for t in dict.fromkeys(terms)}
        return Query(text=question, weights=weights, phrases=quoted_phrases(question))

    def units(self, chunk: Chunk) -> list[Unit]:
        return _units(chunk.id, chunk.text)

    def score_hits(self, query: Query, hits: Sequence[Hit], *, semantic: bool = False) -> list[ScoredUnit]:
        """Every unit of ``hits`` (headings included) with its match, in retrieval order.

        ``semantic`` adds the cosine similarity of each unit to the question (needs an embedder).
        """
        out = []
        for rank, hit in enumerate(hits):
            lang = self.keywords.languages.get(hit.chunk.id)
            path = " ".join(hit.chunk.headings)
            for unit in self.units(hit.chunk):
                own = self._terms(f"{unit.text} {unit.caption}", lang) & query.weights.keys()
                around = (self._terms(f"{path} {unit.section} {unit.header}", lang) & query.weights.keys()) - own
                out.append(ScoredUnit(unit=unit, chunk=hit.chunk, rank=rank, lexical=query.coverage(own, around),
                                      own=query.coverage(own), terms=frozenset(own), context_terms=frozenset(around),
                                      quoted=any(holds_phrase(unit, p) for p in query.phrases)))
        if semantic and self.embedder is not None and out:
            sims = self.similarities(query.text, [s.unit.text for s in out])
            out = [replace(s, semantic=float(sim)) for s, sim in zip(out, sims, strict=True)]
        return out

    def similarities(self, question: str, texts: Sequence[str], vector: Sequence[float] | None = None) -> list[float]:
        """Cosine similarity of the question (its ``vector`` when already embedded) to each text (texts' vectors are cached)."""
        assert self.embedder is not None
        missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if len(self._vectors) + len(missing) > self.max_cached:
            self._vectors.clear()  # every question adds passages: a long-running server must not grow without bound
            missing = list(dict.fromkeys(texts))
        if missing:
            for text, vector in zip(missing, self.embedder.embed_documents(missing), strict=True):
                self._vectors[text] = np.asarray(vector, dtype=np.float32)
        q = np.asarray(self.embedder.embed_query(question) if vector is None else vector, dtype=np.float32)
        return [float(self._vectors[t] @ q) for t in texts]

    def match(self, query: Query, text: str, context: str = "", lang: Language | None = None) -> float:
        """The idf-weighted share of the question's terms in ``text`` (in ``context`` at half weight)."""
        own = self._terms(text, lang)
        return query.coverage(own, self._terms(context, lang) if context else frozenset())

    def _unit_terms(self, text: str, lang: Language | None) -> frozenset[str]:
        return frozenset(self.keywords.analyzer.terms(text, lang))


@lru_cache(maxsize=4096)
def _units(chunk_id: str, text: str) -> list[Unit]:
    return split_units(chunk_id, text)


QUOTABLE_EXCLUDED = ("heading", "header")  # read as the context of other units, never quoted alone


def quotable(scored: Sequence[ScoredUnit]) -> list[ScoredUnit]:
    return [s for s in scored if s.unit.kind not in QUOTABLE_EXCLUDED]


def quoted_phrases(question: str) -> tuple[str, ...]:
    """The phrases ``question`` puts in quotes (an error message, a beep pattern), normalised."""
    return tuple(dict.fromkeys(p for p in (_flat(m.group(1)).strip(" .,:;!?") for m in QUOTED.finditer(question)) if len(p) >= 3))


def holds_phrase(unit: Unit, phrase: str) -> bool:
    """Whether a unit holds ``phrase`` as words of its own; a table row only as the whole of a cell
    or inside a longer one ('dah dit dit' is the Drogue row's beeps, not the start of 'dah dit dit dit')."""
    if unit.kind in ("row", "header"):
        cells = [_flat(c).strip(" .,:;") for c in unit.text.split("|")]
        return any(c == phrase or (len(c) > 2 * len(phrase) and _within(c, phrase)) for c in cells)
    return _within(_flat(unit.text), phrase)


def _flat(text: str) -> str:
    return " ".join(normalise(text).split())


def _within(text: str, phrase: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text) is not None
