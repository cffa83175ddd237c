"""The offline answerer: quote the units of the top chunks that answer the question, and cite each.

No model runs here. Units (sentences, steps, table rows, code lines) of the top chunks are matched
to the question (``assistant.evidence``). The answer is a passage:

1. the run of up to ``max_window`` consecutive units of one chunk that best covers the question's
   terms (a small bonus for the better-ranked chunk, a small cost per unit; for a question asking
   why, or what motivated something, a bonus for a run that gives a reason: "because", "due to");
2. plus the units that follow it (two, three for a question in several parts or one asking why or
   for a cause), since answers often end a sentence or two past the question's words (a cause is
   often the list after "due to the following:"); a procedure also takes the sentence
   before it and the run of steps and commands around it, in the page's order;
3. plus a line ending in ':' takes the list, steps or code it introduces, and a table row takes a
   partial row under it (a cell split over two rows);
4. plus, for a question that lists names ("Ssdeep, Sdhash and Nilsimsa"), the best unit about each
   listed name the passage leaves out; a question about "each" of them is answered by one such
   unit per name alone, since those statements are often sentences apart;
5. plus up to ``max_extra`` units elsewhere that match nearly as well and add question terms (off by
   default: on the dev set they made answers longer and found no further answer or evidence).

Every quoted unit is cited with the boxes of its lines. On the dev-set photos the passages have a
median length of about 480 characters (answers with their markers).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from assistant.analyze import Analyzer, detect_language
from assistant.answer import Draft, Request
from assistant.cite import Quote, cite
from assistant.evidence import IDENTIFIER, Query, ScoredUnit, best_window, quotable
from assistant.question_kind import PROCEDURAL
from assistant.schema import Citation
from assistant.units import Unit
from storage.schema import Hit

MULTI_PART = re.compile(r"(,|\band)\s+(what|which|how|why|when|where|who|in what|what if|was|wie|welche|wann)\b|\?.+\?", re.I)
_NAME = r"(?:[A-Z][\w.-]*\w|[a-z]+\d\w*)"
NAME_LIST = re.compile(rf"({_NAME}(?:\s*,\s*{_NAME})*)\s*,?\s+(?:and|or|und|oder)\s+({_NAME})")  # "Ssdeep, Sdhash and Nilsimsa"
NAME = re.compile(_NAME)
EACH = re.compile(r"\b(each|respectively|jeweils)\b", re.I)
NAME_CROWD = 0.1  # a unit naming other listed names too is less about this one
REASON = re.compile(r"\b(why|causes?|caused|reasons?|motivat\w*|rationale|warum|wieso|weshalb|ursache|grund)\b", re.I)
# Words that give a reason: a passage holding one is worth CAUSE_BONUS more for a why-question.
CAUSAL = re.compile(r"\b(because|since|due to|owing to|as a result|so that|in order to|therefore|hence|otherwise"
                    r"|weil|denn|deshalb|daher|damit|sonst|aufgrund|wegen)\b", re.I)
CAUSE_BONUS = 0.15
LINE_KINDS = ("step", "row", "code")
END_PUNCTUATION = ".!?:;"


@dataclass(frozen=True)
class ExtractiveSettings:
    top_chunks: int = 3  # chunks whose units are considered
    rank_prior: float = 0.1  # score bonus of the top chunk's units, shrinking with rank
    max_window: int = 3  # longest run of consecutive units quoted as the main passage
    unit_cost: float = 0.04  # coverage each further unit of the passage must add
    extra_ratio: float = 0.7  # a unit elsewhere is added when its own match is this close to the passage's best unit
    max_extra: int = 0  # such units added at most (0: none; 2 added no correct answer, evidence span or box on the dev set, only length)
    max_steps: int = 12  # units quoted for a procedure or a list
    min_lexical: float = 0.15  # an added unit's own text must match at least this share of the question
    neighbours: int = 2  # units added after the passage (one before it for procedures): answers often end just past the question's words
    cross_blocks: bool = True  # the units added after the passage may come from the next paragraph or list
    whole_lists: bool = False  # a passage in a bulleted or numbered list takes the whole list (up to max_steps)
    neighbours_multi: int = 3  # the same for a question in several parts ("... and what if ...")
    semantic_weight: float = 0.0  # weight of the unit-question embedding similarity (0: never embed units)
    semantic_below: float = 0.5  # embed units only when the best lexical passage covers less of the question than this


class ExtractiveAnswerer:
    name = "extractive"

    def __init__(self, cfg: ExtractiveSettings | None = None) -> None:
        self.cfg = cfg or ExtractiveSettings()

    def answer(self, request: Request) -> Draft:
        query = request.scorer.query(request.query_text)
        hits = request.hits[: self.cfg.top_chunks]
        semantic = False
        scored = self._score(request, query, hits, semantic)
        if self.cfg.semantic_weight > 0 and self._lexical_best(query, scored) < self.cfg.semantic_below:
            scored = self._score(request, query, hits, True)  # a paraphrase: words alone do not find it
        chosen = self.select(request.question, query, scored, listed_names(request.question, request.scorer.keywords.analyzer))
        quotes = [Quote(chunk=s.chunk, start=s.unit.start, end=s.unit.end, text=s.unit.text) for s in chosen]
        cited = cite(quotes, request.image_path)
        text = compose(chosen, cited)
        if request.on_text:
            request.on_text(text)
        return Draft(text=text, citations=tuple(c for group in cited for c in group))

    def _score(self, request: Request, query: Query, hits: Sequence[Hit], semantic: bool) -> list[ScoredUnit]:
        """Units of each hit followed by those of the chunk after it on the page (a list or procedure
        cut by a chunk boundary goes on there), all with the hit's rank."""
        out: list[ScoredUnit] = []
        for rank, hit in enumerate(hits):
            chunks = [hit]
            after = request.following(hit.chunk) if request.following else None
            if after is not None and self.cfg.cross_blocks:
                chunks.append(Hit(chunk=after, score=hit.score))
            for scored in (request.scorer.score_hits(query, [c], semantic=semantic) for c in chunks):
                out.extend(replace(s, rank=rank) for s in scored)
        return out

    def select(self, question: str, query: Query, scored: Sequence[ScoredUnit], names: frozenset[str] = frozenset()) -> list[ScoredUnit]:
        """The units to quote, in reading order (by chunk rank, then position). ``names``: the terms of
        the names the question lists (``listed_names``)."""
        runs = _runs(scored)
        if not runs:
            return []
        reason, each = bool(REASON.search(question)), bool(EACH.search(question))
        window = self._best_window(query, runs, reason=reason)
        procedural = bool(PROCEDURAL.search(question))
        broad = MULTI_PART.search(question) or reason  # a cause is often given a sentence or a list later
        after = self.cfg.neighbours_multi if broad else self.cfg.neighbours
        window = self._with_neighbours(window, runs[window[0].rank], before=procedural, after=after)
        if procedural:
            window = self._procedure(window, runs[window[0].rank])
        chosen = self._continued(window, runs) + self._extras(query, window, runs)
        per_name = self._per_name(query, names, window, runs, each=each)
        if per_name and each and len(per_name) == len(names):
            chosen = self._continued(per_name, runs)  # one statement per name answers it
        else:
            chosen += per_name
        position = {_key(s): (rank, i) for rank, units in runs.items() for i, s in enumerate(units)}
        unique: dict[tuple[str, int], ScoredUnit] = {}
        for s in sorted(chosen, key=lambda s: position[_key(s)]):
            unique.setdefault((s.chunk.id, s.unit.index), s)  # a unit reached from two hits is quoted once
        return list(unique.values())

    def _lexical_best(self, query: Query, scored: Sequence[ScoredUnit]) -> float:
        runs = _runs(scored)
        return max((best_window(query, units, max_window=self.cfg.max_window, unit_cost=0.0)[0] for units in runs.values()), default=0.0)

    def _best_window(self, query: Query, runs: dict[int, list[ScoredUnit]], *, reason: bool = False) -> list[ScoredUnit]:
        """The run of consecutive units of one chunk that best covers the question, less a cost per unit
        (for a why-question, a run that gives a reason is worth ``CAUSE_BONUS`` more)."""
        cue = (lambda s: CAUSE_BONUS if CAUSAL.search(s.unit.text) else 0.0) if reason else None
        found = [best_window(query, units, max_window=self.cfg.max_window, unit_cost=self.cfg.unit_cost,
                             semantic_weight=self.cfg.semantic_weight, bonus=self.cfg.rank_prior / (1 + rank), cue=cue)
                 for rank, units in runs.items()]
        return _trimmed(max(found, key=lambda f: f[0])[1])

    def _with_neighbours(self, window: list[ScoredUnit], units: list[ScoredUnit], *, before: bool, after: int) -> list[ScoredUnit]:
        """The passage with ``after`` units that follow it (and, for a procedure, the sentence before it):
        an answer often ends, or a step begins, a sentence or two away from the words of the question."""
        first, last = units.index(window[0]), units.index(window[-1])
        if self.cfg.whole_lists:
            while first > 0 and _same_list(units[first - 1], units[first]):
                first -= 1
            while last + 1 < len(units) and last - first + 1 < self.cfg.max_steps and _same_list(units[last], units[last + 1]):
                last += 1
        for _ in range(after):
            if last + 1 < len(units) and (self.cfg.cross_blocks or _same_block(units[last], units[last + 1])):
                last += 1
        if after and before and first > 0 and _same_block(units[first - 1], units[first]):
            first -= 1
        return units[first : last + 1]

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

    def _per_name(self, query: Query, names: frozenset[str], window: list[ScoredUnit],
                  runs: dict[int, list[ScoredUnit]], *, each: bool) -> list[ScoredUnit]:
        """For a question that lists names ("How do Ssdeep, Sdhash and Nilsimsa each measure ..."), the
        best unit about each name the passage does not cover, or, when it asks about "each", about
        every name: the answer is one statement per name, often sentences apart."""
        if len(names) < 2:
            return []
        covered = set().union(*(s.terms | s.context_terms for s in window)) if window else set()
        others = {t: w for t, w in query.weights.items() if t not in names}
        total = sum(others.values()) or 1.0

        def about(s: ScoredUnit) -> float:  # the question's other terms it holds
            return sum(others.get(t, 0.0) for t in s.terms) / total

        out = []
        for name in sorted(names):
            if name in covered and not each:
                continue
            pool = [s for units in runs.values() for s in units if name in s.terms]
            if not pool:
                continue
            best = max(pool, key=lambda s: about(s) + self.cfg.rank_prior / (1 + s.rank) - NAME_CROWD * len(s.terms & names - {name}))
            if about(best) >= self.cfg.min_lexical:
                out.append(best)
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


def listed_names(question: str, analyzer: Analyzer) -> frozenset[str]:
    """Terms of the names a question lists ("Ssdeep, Sdhash and Nilsimsa", "TeleMega and EasyMega")."""
    names: set[str] = set()
    german = detect_language(question) == "de"  # every German noun is capitalised: only names like "TeleMega" count
    for match in NAME_LIST.finditer(question):
        for name in NAME.findall(match.group(0)):
            if german and not IDENTIFIER.fullmatch(name):
                continue
            terms = analyzer.terms(name)
            if len(terms) == 1:
                names.add(terms[0])
    return frozenset(names)


def _key(s: ScoredUnit) -> tuple[int, str, int]:
    return (s.rank, s.chunk.id, s.unit.index)


def _runs(scored: Sequence[ScoredUnit]) -> dict[int, list[ScoredUnit]]:
    """Quotable units grouped by their chunk's rank, in reading order."""
    runs: dict[int, list[ScoredUnit]] = {}
    for s in quotable(scored):
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


def _same_block(a: ScoredUnit, b: ScoredUnit) -> bool:
    """Two units of one chunk with no blank line between them (one paragraph, list or table)."""
    return a.chunk.id == b.chunk.id and "\n\n" not in a.chunk.text[a.unit.end : b.unit.start]


def _same_list(a: ScoredUnit, b: ScoredUnit) -> bool:
    """Two neighbouring items of one list."""
    return a.unit.kind == b.unit.kind == "step" and a.chunk.id == b.chunk.id and a.unit.section == b.unit.section


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
