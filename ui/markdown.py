"""Answer text made safe for Streamlit's Markdown, with the citation markers made visible."""

from __future__ import annotations

import re

MARKER = re.compile(r"\[(\d{1,3})\]")
FENCE = "```"
LEADING_HASH = re.compile(r"(?m)^(\s*)#")


def answer_markdown(text: str, markers: set[int]) -> str:
    """``text`` with each ``[n]`` of a known citation shown as a badge, outside code fences.

    Dollar signs are escaped (Streamlit would read ``$...$`` as LaTeX).
    """
    parts = text.split(FENCE)
    for i in range(0, len(parts), 2):  # even parts are outside fences
        parts[i] = MARKER.sub(lambda m: _badge(m, markers), plain(parts[i]))
    return FENCE.join(parts)


def plain(text: str) -> str:
    """User or page text for Markdown: no LaTeX, no raw HTML, and a line starting with "#" (a shell
    prompt quoted from a manual) is text, not a heading."""
    return LEADING_HASH.sub(r"\1\\#", text.replace("$", r"\$").replace("<", "&lt;"))


def _badge(match: re.Match[str], markers: set[int]) -> str:
    n = int(match.group(1))
    return f":orange-badge[{n}]" if n in markers else match.group(0)
