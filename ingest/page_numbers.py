"""The page number printed on a page ("Page 6 of 21", "Seite 6 von 21", "- 6 -", "6 / 21"), read
from a header or footer line, so citations can say "p. 6" for the sixth photo of a manual."""

from __future__ import annotations

import re
from collections.abc import Sequence

from storage.schema import Line

EDGE = 0.15  # a header or footer line lies in the top or bottom 15 % of the page
PATTERNS = (
    re.compile(r"\b(?:page|seite|pag\.?|p\.)\s*(\d{1,4})(?:\s*(?:of|von|/|de)\s*\d{1,4})?\b", re.I),
    re.compile(r"^\s*[-–—]\s*(\d{1,4})\s*[-–—]\s*$"),
    re.compile(r"^\s*(\d{1,4})\s*/\s*\d{1,4}\s*$"),
)
BARE = re.compile(r"^\s*(\d{1,4})\s*$")  # a lone number counts only as the first or last line of the page


def printed_page_number(lines: Sequence[Line], height: int) -> str:
    """The printed page number of a page from its OCR lines ("" when none is found)."""
    if height <= 0:
        return ""
    edge = [ln for ln in lines if ln.bbox.y1 <= EDGE * height or ln.bbox.y0 >= (1 - EDGE) * height]
    bottom_first = sorted(edge, key=lambda ln: -ln.bbox.y0)  # footers hold page numbers more often than headers
    for pattern in PATTERNS:
        for line in bottom_first:
            if (m := pattern.search(line.text)) and int(m.group(1)) > 0:
                return str(int(m.group(1)))
    for line in (ln for ln in bottom_first if _on_outer_row(ln, lines)):
        if (m := BARE.match(line.text)) and int(m.group(1)) > 0:
            return str(int(m.group(1)))
    return ""


def _on_outer_row(line: Line, lines: Sequence[Line]) -> bool:
    """The line shares its row with the page's last line or with its first one: it overlaps that
    line vertically (a small page number beside a tall copyright line sits a little higher)."""
    last = max(lines, key=lambda ln: ln.bbox.y1)
    first = min(lines, key=lambda ln: ln.bbox.y0)
    return any(line.bbox.y0 < row.bbox.y1 and row.bbox.y0 < line.bbox.y1 for row in (last, first))
