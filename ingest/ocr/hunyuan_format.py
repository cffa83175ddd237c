"""Reading HunyuanOCR's raw outputs: spotted lines with boxes, and doc-parse Markdown.

Spotting coordinates are integers normalised to [0, 1000] over the image that was sent, top-left
origin, ``(x1, y1)`` the top-left and ``(x2, y2)`` the bottom-right corner of a line. Three wire
formats are accepted (auto-detected):

* 1.0 / ``spotting_hunyuan``: items run together, ``text(x1,y1),(x2,y2)text(x1,y1),(x2,y2)...``.
  The text itself may contain parentheses (``ATLANTA (AP)``, ``金额(小写)``), so items are found by
  their coordinate *tail* and the text is everything since the previous tail.
* ``<ref>text</ref><quad>(x1,y1),(x2,y2)</quad>`` (seen in the model's training formats).
* 1.5 ``spotting_json``: ``[{"box": [xmin, ymin, xmax, ymax], "text": "..."}]``, maybe in a code fence.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from storage.errors import OcrError

NORM = 1000  # coordinates are normalised to [0, NORM]

COORD_TAIL = re.compile(r"\((\d+),(\d+)\),\((\d+),(\d+)\)")
REF_QUAD = re.compile(r"<ref>(.*?)</ref>\s*<quad>\((\d+),(\d+)\),\((\d+),(\d+)\)</quad>", re.S)
FENCE = re.compile(r"^```[a-zA-Z]*\s*|\s*```$")
NO_TEXT = ("没有文字", "无文字", "no text")
TRAILING_COORDS = re.compile(r"(?:[ \t,，]*\(\d{1,4},\d{1,4}\),\(\d{1,4},\d{1,4}\))+[ \t]*$")
TABLE_OPEN = re.compile(r"<table\b", re.I)
TABLE_CLOSE = re.compile(r"</table>", re.I)


@dataclass(frozen=True)
class SpottedItem:
    """One spotted line: its text and box ``(x0, y0, x1, y1)`` in [0, 1000] coordinates."""

    text: str
    box: tuple[float, float, float, float]


@dataclass(frozen=True)
class Spotting:
    """A parsed spotting output: usable items, and why others were rejected."""

    format: str  # "hunyuan" | "ref-quad" | "json" | "no-text" | "unknown"
    items: tuple[SpottedItem, ...]
    rejected: tuple[str, ...] = ()
    coordinate_pairs: int = 0  # coordinate tails seen, with or without text


def parse_spotting(output: str) -> Spotting:
    """Parse a spotting output in any of the accepted formats; never raises."""
    text = output.strip()
    if len(text) < 40 and any(marker in text.lower() for marker in NO_TEXT):
        return Spotting(format="no-text", items=())
    unfenced = FENCE.sub("", text)
    if unfenced.startswith("["):
        return _parse_json(unfenced)
    if "<ref>" in text and "<quad>" in text:
        raw = [(m.group(1), tuple(float(g) for g in m.groups()[1:])) for m in REF_QUAD.finditer(text)]
        return _validated("ref-quad", raw, len(raw))
    return _parse_run_together(text)


def _parse_run_together(text: str) -> Spotting:
    raw: list[tuple[str, tuple[float, ...]]] = []
    pairs = 0
    last = 0
    for match in COORD_TAIL.finditer(text):
        pairs += 1
        content = text[last : match.start()]
        last = match.end()
        raw.append((content, tuple(float(g) for g in match.groups())))
    return _validated("hunyuan" if pairs else "unknown", raw, pairs)


def _parse_json(text: str) -> Spotting:
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError:
        return Spotting(format="unknown", items=(), rejected=("output starts like JSON but does not parse",))
    if not isinstance(data, list):
        return Spotting(format="unknown", items=(), rejected=("JSON output is not an array",))
    raw: list[tuple[str, tuple[float, ...]]] = []
    rejected: list[str] = []
    for item in data:
        box = item.get("box", item.get("bbox")) if isinstance(item, dict) else None
        if not isinstance(box, list) or len(box) != 4 or not all(isinstance(v, int | float) for v in box):
            rejected.append(f"item without a 4-number box: {str(item)[:60]}")
            continue
        raw.append((str(item.get("text", "")), tuple(float(v) for v in box)))
    result = _validated("json", raw, len(raw))
    return Spotting(result.format, result.items, tuple(rejected) + result.rejected, result.coordinate_pairs)


def _validated(fmt: str, raw: list[tuple[str, tuple[float, ...]]], pairs: int) -> Spotting:
    items: list[SpottedItem] = []
    rejected: list[str] = []
    for content, box in raw:
        text = content.strip()
        x0, y0, x1, y1 = box
        if not text or not re.search(r"[^\s(),，]", text):
            rejected.append(f"box {box} has no text")
        elif not (0 <= x0 < x1 <= NORM and 0 <= y0 < y1 <= NORM):
            rejected.append(f"box {box} of {text[:30]!r} is outside [0, {NORM}] or empty")
        else:
            items.append(SpottedItem(text=text, box=(x0, y0, x1, y1)))
    return Spotting(format=fmt, items=tuple(items), rejected=tuple(rejected), coordinate_pairs=pairs)


def check_spotting(spotting: Spotting, *, max_rejected_share: float = 0.3) -> None:
    """Raise ``OcrError`` when a spotting output cannot be trusted as a page's lines.

    Unusable: no line could be read (malformed or coordinate-only output), or more than
    ``max_rejected_share`` of the items had a bad box or no text. An explicit "no text" answer is fine.
    """
    if spotting.format == "no-text":
        return
    n_items, n_rejected = len(spotting.items), len(spotting.rejected)
    if n_items == 0 and spotting.coordinate_pairs:
        raise OcrError(f"HunyuanOCR returned coordinates without text ({spotting.coordinate_pairs} boxes, no line text)")
    if n_items == 0:
        raise OcrError("HunyuanOCR's spotting output was malformed: no `text(x1,y1),(x2,y2)` items or JSON boxes in it")
    if n_rejected > max(2, max_rejected_share * (n_items + n_rejected)):
        raise OcrError(
            f"HunyuanOCR's spotting output was unusable: {n_rejected} of {n_items + n_rejected} items rejected "
            f"(first: {spotting.rejected[0]})"
        )


def strip_figure_coords(markdown: str) -> tuple[str, int]:
    """Remove the layout coordinate pairs doc parsing puts after figures and captions.

    A line ending in ``(x1,y1),(x2,y2)`` loses that tail; a line that was only coordinates is
    dropped. Lines inside HTML tables and display math are left alone (their parentheses are
    content). Returns the cleaned Markdown and how many lines were changed.
    """
    out: list[str] = []
    changed = 0
    table_depth = 0
    in_math = False
    for line in markdown.split("\n"):
        opens = len(TABLE_OPEN.findall(line))
        protected = table_depth > 0 or opens > 0 or in_math or "$$" in line
        table_depth = max(0, table_depth + opens - len(TABLE_CLOSE.findall(line)))
        if line.count("$$") % 2:
            in_math = not in_math
        stripped = line if protected else TRAILING_COORDS.sub("", line)
        if stripped != line:
            changed += 1
            if not stripped.strip():
                continue
            stripped = stripped.rstrip()
        out.append(stripped)
    return "\n".join(out), changed
