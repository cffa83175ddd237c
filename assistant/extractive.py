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
from assistant.evidence import Query, ScoredUnit
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
    rank_prior: float = 0.1  # score bonus of the top chunk's units, shrinking with rank
    max_window: int = 4  # longest run of consecutive units quoted as the main passage
    unit_cost: float = 0.04  # coverage each further unit of the passage must add
    extra_ratio: float = 0.7  # a unit elsewhere is added when its own match is this close to the passage's best unit
    max_extra: int = 2  # such units added at most
    max_steps: int = 12  # units quoted for a procedure or a list
    min_lexical: float = 0.15  # an added unit's own text must match at least this share of the question
    semantic_weight: float = 0.0  # weight of the unit-question embedding similarity (0: lexical only, no embedding)


class ExtractiveAnswerer:
    name = "extractive"

    def __init__(self, cfg: ExtractiveSettings | None = None) -> None:
        self.cfg = cfg or ExtractiveSettings()

    def answer(self, request: Request) -> Draft:
        query = request.scorer.query(request.question)
        scored = request.scorer.score_hits(query, request.hits[: self.cfg.top_chunks], semantic=self.cfg.semantic_weight > 0)
        chosen = self.select(request.question, query, scored)
        quotes = [Quote(chunk=s.chunk, start=s.unit.start, end=s.unit.end, text=s.unit.text) for s in chosen]
        cited = cite(quotes, request.image_path)
        text = compose(chosen, cited)
        if request.on_text:
            request.on_text(text)
        return Draft(text=text, citations=tuple(c for group in cited for c in group))

    def select(self, question: str, query: Query, scored: Sequence[ScoredUnit]) -> list[ScoredUnit]:
        """The units to quote, in reading order (by chunk rank, then position)."""
        runs = _runs(scored)
        if not runs:
            return []
        window = self._best_window(query, runs)
        if PROCEDURAL.search(question):
            window = self._procedure(window, runs[window[0].rank])
        chosen = self._continued(window, runs) + self._extras(query, window, runs)
        return sorted(set(chosen), key=lambda s: (s.rank, s.unit.index))

    def _best_window(self, query: Query, runs: dict[int, list[ScoredUnit]]) -> list[ScoredUnit]:
        """The run of consecutive units of one chunk that best covers the question, less a cost per unit."""
        best: tuple[float, list[ScoredUnit]] = (-1.0, [])
        for rank, units in runs.items():
            prior = self.cfg.rank_prior / (1 + rank)
            for i in range(len(units)):
                terms: set[str] = set()
                context: set[str] = set()
                semantic = 0.0
                for n, unit in enumerate(units[i : i + self.cfg.max_window]):
                    terms |= unit.terms
                    context |= unit.context_terms
                    semantic = max(semantic, unit.semantic)
                    value = query.coverage(terms, context) + self.cfg.semantic_weight * semantic + prior - self.cfg.unit_cost * n
                    if value > best[0] + 1e-9:
                        best = (value, units[i : i + n + 1])
        return _trimmed(best[1])

    def _procedure(self, window: list[ScoredUnit], units: list[ScoredUnit]) -> list[ScoredUnit]:
        """The steps (and the lines that introduce them) around the passage, in the page's order."""
        first, last = units.index(window[0]), units.index(window[-1])
        section = window[0].unit.section
        while first > 0 and units[first - 1].unit.section == section and _in_procedure(units[first - 1].unit):
            first -= 1
        while last + 1 < len(units) and units[last + 1].unit.section == section and _in_procedure(units[last + 1].unit):
            last += 1
        return units[first : min(last + 1, first + self.cfg.max_steps)]

    def _continued(self, chosen: list[ScoredUnit], runs: dict[int, list[ScoredUnit]]) -> list[ScoredUnit]:
        """``chosen`` plus the list, steps or code that a chosen line ending in ':' introduces, and the
        partial table row under a chosen row (a cell split over two rows)."""
        out = list(chosen)
        for s in chosen:
            units = runs[s.rank]
            i = units.index(s) + 1
            if s.unit.kind == "row" and i < len(units) and units[i].unit.kind == "row" and units[i].unit.partial:
                out.append(units[i])
            if not s.unit.text.endswith(":"):
                continue
            while i < len(units) and units[i].unit.kind in LINE_KINDS and len(out) < self.cfg.max_steps:
                out.append(units[i])
                i += 1
        return out

    def _extras(self, query: Query, window: list[ScoredUnit], runs: dict[int, list[ScoredUnit]]) -> list[ScoredUnit]:
        """Units outside the passage that match nearly as well and bring question terms it lacks."""
        covered = set().union(*(s.terms for s in window)) if window else set()
        floor = max(self.cfg.min_lexical, self.cfg.extra_ratio * max((s.own for s in window), default=0.0))
        pool = sorted((s for units in runs.values() for s in units if s not in window and s.own >= floor),
                      key=lambda s: s.own + self.cfg.rank_prior / (1 + s.rank), reverse=True)
        extras = []
        for s in pool:
            if len(extras) == self.cfg.max_extra:
                break
            if s.terms - covered:
                extras.append(s)
                covered |= s.terms
        return extras


def _runs(scored: Sequence[ScoredUnit]) -> dict[int, list[ScoredUnit]]:
    """Quotable units grouped by their chunk's rank, in reading order."""
    runs: dict[int, list[ScoredUnit]] = {}
    for s in scored:
        if s.unit.kind not in CONTEXT_KINDS:
            runs.setdefault(s.rank, []).append(s)
    return runs


def _trimmed(window: list[ScoredUnit]) -> list[ScoredUnit]:
    """The window without leading or trailing units that match nothing (keeps its most similar unit)."""
    top = max((s.semantic for s in window), default=0.0)

    def idle(s: ScoredUnit) -> bool:
        return not s.terms and s.semantic < top

    while len(window) > 1 and idle(window[0]):
        window = window[1:]
    while len(window) > 1 and idle(window[-1]):
        window = window[:-1]
    return window


def _in_procedure(unit: Unit) -> bool:
    return unit.kind in ("step", "code") or unit.text.endswith(":")


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
