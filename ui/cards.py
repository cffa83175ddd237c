"""Citation cards: adjacent citations of one passage merged into one card, table rows kept as rows.

Citations [2] and [3] that quote neighbouring lines of the same page are one piece of evidence to
a reader, so they become one card ("[2–3]") with one highlighted crop holding all their boxes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from assistant.schema import Citation
from storage.schema import BBox

SHOWN = 3  # cards shown under an answer; the rest behind "show more"
GAP = 0.5  # lines at most this many line heights apart are one passage


@dataclass(frozen=True)
class Card:
    citations: tuple[Citation, ...]

    @property
    def first(self) -> Citation:
        return self.citations[0]

    @property
    def label(self) -> str:
        ns = [c.n for c in self.citations]
        return f"{ns[0]}" if len(ns) == 1 else f"{ns[0]}–{ns[-1]}"

    @property
    def boxes(self) -> tuple[BBox, ...]:
        return tuple(b for c in self.citations for b in c.boxes)

    @property
    def quotes(self) -> tuple[str, ...]:
        return tuple(c.quote for c in self.citations)

    def table_rows(self) -> list[list[str]] | None:
        """The quotes as table rows when every one is a row ("a | b | c", same cell count), else None."""
        rows = [[cell.strip() for cell in q.split(" | ")] for q in self.quotes]
        if all(len(r) >= 2 for r in rows) and len({len(r) for r in rows}) == 1:
            return rows
        return None


def _adjacent(a: Citation, b: Citation) -> bool:
    if (a.doc_id, a.page) != (b.doc_id, b.page) or b.n != a.n + 1:
        return False
    upper, lower = a.bbox, b.bbox
    height = max(upper.y1 - upper.y0, lower.y1 - lower.y0, 1.0)
    return lower.y0 - upper.y1 <= GAP * height and upper.y0 - lower.y1 <= GAP * height


def merge_adjacent(citations: Sequence[Citation]) -> list[Card]:
    """Runs of consecutive citations on neighbouring lines of one page, as cards, in answer order."""
    cards: list[list[Citation]] = []
    for c in citations:
        if cards and _adjacent(cards[-1][-1], c):
            cards[-1].append(c)
        else:
            cards.append([c])
    return [Card(tuple(group)) for group in cards]
