"""Scorers: pure functions from system output and ground truth to numbers.

Boxes are ``(x0, y0, x1, y1)`` in pixels of one image (the caller maps both sides into the same
frame first); pages are ``(doc_id, page)`` pairs with 1-based pages. A rate with nothing to count
(no unanswerable items, no answered items...) is ``None``, never a made-up 0 or 1.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rapidfuzz.distance import Levenshtein

from evals.geometry import Box, Polygon, bounding_box, box_area, box_intersection, polygon_iou
from evals.normalize import normalize_text

PageKey = tuple[str, int]


# -- OCR -------------------------------------------------------------------------------------


def char_errors(system: str, reference: str) -> tuple[int, int]:
    """(edit distance, reference length) after normalisation; sum these over pages for a CER."""
    sys_text, ref_text = normalize_text(system), normalize_text(reference)
    return Levenshtein.distance(sys_text, ref_text), len(ref_text)


def cer(errors: Iterable[tuple[int, int]]) -> float | None:
    """Total edit distance / total reference characters."""
    pairs = list(errors)
    total = sum(n for _, n in pairs)
    return sum(d for d, _ in pairs) / total if total else None


def matched_lines(truth: Sequence[Polygon], system: Sequence[Polygon], min_iou: float = 0.5) -> int:
    """How many truth lines a one-to-one matching pairs with a system line of IoU >= ``min_iou``.

    Lines are convex polygons (quads or box corners). The matching is a maximum bipartite matching
    over the pairs that clear the threshold, so one system line never counts for two truth lines.
    """
    boxes = [bounding_box(p) for p in system]
    edges: list[list[int]] = []
    for poly in truth:
        tb = bounding_box(poly)
        edges.append([j for j, sb in enumerate(boxes) if box_intersection(tb, sb) > 0 and polygon_iou(poly, system[j]) >= min_iou])
    owner: dict[int, int] = {}  # system line -> truth line

    def augment(i: int, seen: set[int]) -> bool:
        for j in edges[i]:
            if j in seen:
                continue
            seen.add(j)
            if j not in owner or augment(owner[j], seen):
                owner[j] = i
                return True
        return False

    return sum(augment(i, set()) for i in range(len(truth)))


# -- retrieval -------------------------------------------------------------------------------


def first_rank(retrieved: Sequence[PageKey], gold: PageKey) -> int | None:
    """1-based rank of the first retrieved chunk on the gold page, None when none is."""
    for rank, key in enumerate(retrieved, start=1):
        if key == gold:
            return rank
    return None


def hit_at(ranks: Sequence[int | None], k: int) -> float | None:
    """Share of items whose gold page is within the first ``k`` retrieved chunks."""
    return share([r is not None and r <= k for r in ranks])


def mrr(ranks: Sequence[int | None]) -> float | None:
    """Mean reciprocal rank; an item with no gold page retrieved adds 0."""
    return sum(1.0 / r for r in ranks if r) / len(ranks) if ranks else None


# -- answers ---------------------------------------------------------------------------------


def answer_correct(answer: str, abstained: bool, acceptable: Sequence[Sequence[str]]) -> bool:
    """Not abstained, and every key-fact group has a string in the answer (case-insensitive).

    Both sides are normalised first, so typographic quotes or dashes do not decide the match.
    """
    if abstained:
        return False
    text = normalize_text(answer).casefold()
    return all(any(normalize_text(s).casefold() in text for s in group) for group in acceptable)


def share(flags: Sequence[bool]) -> float | None:
    """Share of true flags; None for no flags."""
    return sum(flags) / len(flags) if flags else None


# -- citations -------------------------------------------------------------------------------


def cites_page(cited: Iterable[PageKey], gold: PageKey) -> bool:
    return gold in set(cited)


def box_hit(cited: Box, evidence: Box) -> bool:
    """A cited box B hits evidence box E when B covers half of E and E is a quarter of B.

    ``area(B & E) >= 0.5 * area(E)`` (the evidence is mostly inside the citation) and
    ``area(B & E) >= 0.25 * area(B)`` (the citation is not a whole-page box).
    """
    inter = box_intersection(cited, evidence)
    return inter > 0 and inter >= 0.5 * box_area(evidence) and inter >= 0.25 * box_area(cited)


def any_box_hit(cited: Sequence[Box], evidence: Sequence[Box]) -> bool:
    return any(box_hit(b, e) for b in cited for e in evidence)
