"""Rewrite a model's source markers ``[c-3f9a]`` into numbered citations ``[1]`` while it streams.

The model cites the short source ids it was given. ``MarkerRewriter`` is fed the text piece by
piece, holds back only a possibly unfinished ``[...``, and replaces each complete marker (also
``[c-3f9a, c-77b2]`` and ``[c-3f9a][c-77b2]``) with the numbers ``resolve`` assigns for the
sentence it ends. Ids that ``resolve`` does not know are left out of the text and recorded.
"""

from __future__ import annotations

import re
from collections.abc import Callable

ID = r"c-[0-9a-fA-F]{2,16}"
MARKER = re.compile(rf"\[\s*(?:source\s*:?\s*)?({ID}(?:\s*[,;]\s*{ID})*)\s*\]", re.I)
MAX_MARKER = 80  # a "[" followed by more than this many characters is plain text
MARKER_CHARS = re.compile(r"^\[[\sA-Za-z0-9,;:\-]*$")

Resolve = Callable[[list[str], str], list[int]]
"""``resolve(ids, sentence)``: citation numbers for the known ``ids`` cited at the end of ``sentence``."""


class MarkerRewriter:
    def __init__(self, resolve: Resolve) -> None:
        self._resolve = resolve
        self._pending = ""
        self._since_marker = ""  # text since the last marker
        self._previous = ""  # the sentence the last marker cited

    def feed(self, delta: str) -> str:
        """Text that can be shown now (markers rewritten); an unfinished marker is held back."""
        text = self._pending + delta
        cut = text.rfind("[")
        if cut != -1 and "]" not in text[cut:] and len(text) - cut <= MAX_MARKER and MARKER_CHARS.match(text[cut:]):
            self._pending = text[cut:]
            text = text[:cut]
        else:
            self._pending = ""
        return self._rewrite(text)

    def finish(self) -> str:
        """Whatever was held back at the end of the stream."""
        text, self._pending = self._pending, ""
        return self._rewrite(text)

    def _rewrite(self, text: str) -> str:
        out: list[str] = []
        last = 0
        for match in MARKER.finditer(text):
            before = text[last : match.start()]
            out.append(before)
            sentence = _last_sentence(self._since_marker + before) or self._previous
            ids = [i.strip().lower() for i in re.split(r"[,;]", match.group(1))]
            out.append("".join(f"[{n}]" for n in self._resolve(ids, sentence)))
            self._previous, self._since_marker = sentence, ""
            last = match.end()
        out.append(text[last:])
        self._since_marker += text[last:]
        return "".join(out)


def _last_sentence(text: str) -> str:
    """The last non-empty sentence (or line) of ``text``."""
    parts = [p.strip() for p in re.split(r"(?<=[.!?])\s+|\n+", text)]
    return next((p for p in reversed(parts) if p), "")
