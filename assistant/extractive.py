"""The offline answerer: quote the units of the top chunks that answer the question, and cite each.

No model runs here. Units (sentences, steps, table rows, code lines) are scored against the
question (``assistant.evidence``) plus a prior for their chunk's retrieval rank. A factual or
multi-part question gets the best unit and the others that score close to it; a procedural
question ("how do I ...") gets the run of steps around the best unit, in the page's order. Every
quoted unit is cited with the boxes of its lines.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.answer import Draft, Request
from assistant.cite import Quote, cite
from assistant.evidence import ScoredUnit
from assistant.schema import Citation
from assistant.units import Unit

PROCEDURAL = re.compile(
    r"\b(how (do|can|should|would) (i|we|you)|how to|what are the steps|steps?\b|procedure|walk me through"
    r"|wie (kann|muss|soll|gehe|installiere|aktualisiere)|schritte|anleitung|vorgehen)",
    re.I,
)
LINE_KINDS = ("step", "row", "code")
CONTEXT_KINDS = ("heading", "header")  # read as the context of other units, never quoted alone
END_PUNCTUATION = ".!?:;"


@dataclass(frozen=True)
class ExtractiveSettings:
    top_chunks: int = 3  # chunks whose units are considered
    rank_prior: float = 0.15  # score bonus of the top chunk's units, shrinking with rank
    keep_ratio: float = 0.6  # further units are kept when they score this close to the best
    max_units: int = 4  # units quoted for a factual or multi-part question
    max_steps: int = 12  # units quoted for a procedure
    min_lexical: float = 0.15  # a further unit's own text must match at least this share of the question


class ExtractiveAnswerer:
    name = "extractive"

    def __init__(self, cfg: ExtractiveSettings | None = None) -> None:
        self.cfg = cfg or ExtractiveSettings()

    def answer(self, request: Request) -> Draft:
        query = request.scorer.query(request.question)
        scored = request.scorer.score_hits(query, request.hits[: self.cfg.top_chunks])
        chosen = self.select(request.question, scored)
        quotes = [Quote(chunk=s.chunk, start=s.unit.start, end=s.unit.end, text=s.unit.text) for s in chosen]
        cited = cite(quotes, request.image_path)
        text = compose(chosen, cited)
        if request.on_text:
            request.on_text(text)
        return Draft(text=text, citations=tuple(c for group in cited for c in group))

    def select(self, question: str, scored: Sequence[ScoredUnit]) -> list[ScoredUnit]:
        """The units to quote, in reading order (by chunk rank, then position)."""
        candidates = [s for s in scored if s.unit.kind not in CONTEXT_KINDS]
        if not candidates:
            return []
        best = max(candidates, key=self.score)
        if PROCEDURAL.search(question):
            chosen = self._procedure(best, candidates)
        else:
            chosen = self._closest(best, candidates)
        return sorted(chosen, key=lambda s: (s.rank, s.unit.index))

    def score(self, s: ScoredUnit) -> float:
        return s.lexical + self.cfg.rank_prior / (1 + s.rank)

    def _closest(self, best: ScoredUnit, candidates: Sequence[ScoredUnit]) -> list[ScoredUnit]:
        floor = max(self.cfg.keep_ratio * self.score(best), self.cfg.min_lexical)
        others = sorted((s for s in candidates if s is not best and s.own >= self.cfg.min_lexical and self.score(s) >= floor),
                        key=self.score, reverse=True)
        return [best, *others[: self.cfg.max_units - 1]]

    def _procedure(self, best: ScoredUnit, candidates: Sequence[ScoredUnit]) -> list[ScoredUnit]:
        """The best unit's section of its chunk, from its first line-like unit or the best unit, in order."""
        same = [s for s in candidates if s.chunk.id == best.chunk.id and s.unit.section == best.unit.section]
        start = next((i for i, s in enumerate(same) if s.unit.kind in LINE_KINDS), None)
        first = same.index(best) if start is None else min(start, same.index(best))
        return same[first : first + self.cfg.max_steps]


def compose(chosen: Sequence[ScoredUnit], cited: Sequence[Sequence[Citation]]) -> str:
    """The answer text: each unit with its markers; steps, rows and code one per line."""
    parts: list[str] = []
    for i, (s, citations) in enumerate(zip(chosen, cited, strict=True)):
        if parts:
            parts.append("\n" if _on_own_line(s.unit) or _on_own_line(chosen[i - 1].unit) else " ")
        parts.append(with_markers(shown_text(s.unit), [c.n for c in citations]))
    return "".join(parts)


def shown_text(unit: Unit) -> str:
    """A unit as the answer shows it: a table row as "column: value" pairs when its header fits."""
    if unit.kind != "row" or not unit.header:
        return unit.text
    names = [c.strip() for c in unit.header.split("|")]
    values = [c.strip() for c in unit.text.split("|")]
    if len(names) != len(values):
        return unit.text
    return "; ".join(f"{name}: {value}" for name, value in zip(names, values, strict=True))


def with_markers(text: str, numbers: Sequence[int]) -> str:
    """``text`` with "[n]" markers placed before its closing punctuation."""
    marks = "".join(f"[{n}]" for n in numbers)
    if not marks:
        return text
    if text and text[-1] in END_PUNCTUATION:
        return f"{text[:-1]} {marks}{text[-1]}"
    return f"{text} {marks}"


def _on_own_line(unit: Unit) -> bool:
    return unit.kind in LINE_KINDS
