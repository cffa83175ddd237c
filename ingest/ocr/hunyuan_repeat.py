"""Detecting a model stuck in a loop: the tail of its output repeating one short unit.

Greedy decoding on unusual layouts sometimes degenerates into endless repetition. HunyuanOCR's
official clients check the streamed text every 1,000 characters once 4,000 have arrived and stop
when the tail is one unit of at most 256 characters repeated at least 8 times; this module does the
same check and trims such a tail.
"""

from __future__ import annotations

from dataclasses import dataclass, field

TAIL_WINDOW = 8000  # characters of the tail that are examined


def tail_repeat_unit(text: str, *, min_repeats: int = 8, max_unit: int = 256) -> str | None:
    """The shortest unit that ends ``text`` at least ``min_repeats`` times back to back, or None.

    Units made only of whitespace do not count (blank lines at the end are not a loop).
    """
    tail = text[-TAIL_WINDOW:]
    longest = min(max_unit, len(tail) // min_repeats)
    for length in range(1, longest + 1):
        unit = tail[-length:]
        if unit.strip() and tail.endswith(unit * min_repeats):
            return unit
    return None


def trim_repetition(text: str, *, min_repeats: int = 8, max_unit: int = 256) -> str:
    """``text`` with a repeating tail cut down to one copy of its unit (unchanged if there is none)."""
    unit = tail_repeat_unit(text, min_repeats=min_repeats, max_unit=max_unit)
    if unit is None:
        return text
    end = len(text)
    while text[: end - len(unit)].endswith(unit):
        end -= len(unit)
    return text[:end]


@dataclass
class RepetitionGuard:
    """Feed streamed pieces; ``tripped`` turns true once the tail loops (checked every ``step`` chars after ``start``)."""

    start: int = 4000
    step: int = 1000
    min_repeats: int = 8
    max_unit: int = 256
    parts: list[str] = field(default_factory=list)
    length: int = 0
    tripped: bool = False
    _next_check: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self._next_check = self.start

    def feed(self, piece: str) -> bool:
        """Add a piece of output; returns True when the output has started looping."""
        self.parts.append(piece)
        self.length += len(piece)
        if not self.tripped and self.length >= self._next_check:
            self._next_check = self.length + self.step
            self.parts = ["".join(self.parts)]
            tail = self.parts[0][-TAIL_WINDOW:]
            self.tripped = tail_repeat_unit(tail, min_repeats=self.min_repeats, max_unit=self.max_unit) is not None
        return self.tripped

    @property
    def text(self) -> str:
        return "".join(self.parts)
