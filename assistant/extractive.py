"""The offline answerer: quote the best candidate passage and what completes it, and cite each unit.

No model runs here. The reader (``assistant.reader``) has ranked the candidate passages with the
fitted weights; the answer is:

1. the best passage;
2. plus the units that follow it (``AnswerShape.neighbours``, more for a question in several parts
   or one asking why), since answers often end a sentence or two past the question's words; they
   may go on into the next chunk of the page;
3. for a how-to question, the run of steps and command lines around it in the page's order, and the
   sentence that introduces them;
4. plus the list, steps or code a quoted line ending in ':' introduces, and a partial table row
   under a quoted row (a cell split over two rows);
5. plus other candidates whose probability comes within ``AnswerShape.extra_ratio`` of the best one
   and that bring question terms the answer lacks (several named things, several parts).

The shape's numbers are chosen on the training folds with the weights (``folio fit-reader``).
Every quoted unit is cited with the boxes of its lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from assistant.answer import Draft, Request
from assistant.cite import Quote, cite
from assistant.evidence import Query, ScoredUnit, quotable
from assistant.reader import Decision
from assistant.reader_model import AnswerShape
from assistant.schema import Citation
from assistant.units import Unit
from storage.schema import Hit

LINE_KINDS = ("step", "row", "code")
END_PUNCTUATION = ".!?:;"


@dataclass(frozen=True)
class ExtractiveSettings:
    max_steps: int = 12  # units quoted for one procedure or list: a whole chapter is no answer


class ExtractiveAnswerer:
    name = "extractive"

    def __init__(self, cfg: ExtractiveSettings | None = None) -> None:
        self.cfg = cfg or ExtractiveSettings()

    def answer(self, request: Request) -> Draft:
        decision = request.decision or read_hits(request)
        if decision.best is None:
            return Draft(text="", citations=())
        chosen = self.select(decision, request.shape, request)
        quotes = [Quote(chunk=s.chunk, start=s.unit.start, end=s.unit.end, text=s.unit.text) for s in chosen]
        cited = cite(quotes, request.image_path)
        text = compose(chosen, cited)
        if request.on_text:
            request.on_text(text)
        return Draft(text=text, citations=tuple(c for group in cited for c in group))

    def select(self, decision: Decision, shape: AnswerShape, request: Request | None = None) -> list[ScoredUnit]:
        """The units to quote, in reading order (by chunk rank, then position)."""
        best = decision.candidates[0]
        reading = decision.reading
        question = reading.question
        units = self._with_following(reading.units[best.candidate.rank], request, question.query)
        first, last = best.candidate.first, best.candidate.last
        after = shape.neighbours_broad if (question.multi_part or question.reason) else shape.neighbours
        last = min(len(units) - 1, last + after)
        if question.procedural:
            if after and first > 0 and _same_block(units[first - 1], units[first]):
                first -= 1
            first, last = self._procedure(units, first, last)
        chosen = self._continued(units, list(range(first, last + 1)))
        picked = [(best.candidate.rank, i, units[i]) for i in chosen]
        covered = set().union(*(units[i].terms for i in chosen))
        extra = 0
        for other in decision.candidates[1:]:
            if extra >= shape.max_extra or shape.extra_ratio <= 0 or other.probability < shape.extra_ratio * best.probability:
                break
            c = other.candidate
            if c.rank == best.candidate.rank and c.first <= last and c.last >= first:
                continue  # overlaps the passage
            new = set().union(*(s.terms for s in c.units)) - covered
            if not new:
                continue
            picked.extend((c.rank, c.first + k, s) for k, s in enumerate(c.units))
            covered |= new
            extra += 1
        unique: dict[tuple[str, int], tuple[int, int, ScoredUnit]] = {}
        for rank, i, s in sorted(picked, key=lambda p: (p[0], p[1])):
            unique.setdefault((s.chunk.id, s.unit.index), (rank, i, s))  # a unit reached twice is quoted once
        return [s for _, _, s in unique.values()]

    def _with_following(self, units: list[ScoredUnit], request: Request | None, query: Query) -> list[ScoredUnit]:
        """The chunk's units followed by those of the next chunk of its page (a passage cut by a chunk
        boundary goes on there)."""
        if request is None or request.following is None or not units:
            return units
        after = request.following(units[0].chunk)
        if after is None:
            return units
        more = quotable(request.scorer.score_hits(query, [Hit(chunk=after, score=0.0)]))
        return units + more

    def _procedure(self, units: list[ScoredUnit], first: int, last: int) -> tuple[int, int]:
        """The steps (and the lines that introduce them) around the passage, in the page's order."""
        section = units[first].unit.section
        while first > 0 and units[first - 1].unit.section == section and _in_procedure(units[first - 1].unit):
            first -= 1
        while last + 1 < len(units) and units[last + 1].unit.section == section and _in_procedure(units[last + 1].unit):
            last += 1
        return first, min(last, first + self.cfg.max_steps - 1)

    def _continued(self, units: list[ScoredUnit], chosen: list[int]) -> list[int]:
        """``chosen`` plus the list, steps or code that a chosen line ending in ':' introduces, and the
        partial table row under a chosen row (a cell split over two rows)."""
        out = list(chosen)
        for i in chosen:
            s = units[i]
            j = i + 1
            if s.unit.kind == "row" and j < len(units) and units[j].unit.kind == "row" and units[j].unit.partial:
                out.append(j)
            if not s.unit.text.endswith(":"):
                continue
            while j < len(units) and units[j].unit.kind in LINE_KINDS and len(out) < self.cfg.max_steps:
                out.append(j)
                j += 1
        return sorted(set(out))


def read_hits(request: Request) -> Decision:
    """The reader's decision over a request's hits, for a caller that did not run the reader (an
    answerer falling back to the extractive answer)."""
    from assistant.candidates import CandidateSettings, build_reading
    from assistant.question import read_question
    from assistant.reader import decide
    from assistant.reader_model import load_model
    from assistant.retrieve import Ranked

    ranked = [Ranked(chunk=h.chunk, score=h.score) for h in request.hits]
    reading = build_reading(read_question(request.query_text, request.scorer.keywords), ranked, request.scorer, CandidateSettings())
    return decide(reading, load_model())


def _same_block(a: ScoredUnit, b: ScoredUnit) -> bool:
    """Two units of one chunk with no blank line between them (one paragraph, list or table)."""
    return a.chunk.id == b.chunk.id and "\n\n" not in a.chunk.text[a.unit.end : b.unit.start]


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
