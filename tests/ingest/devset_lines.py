"""Ground-truth lines of the devset-mini pages as ``Line`` objects, in the scan or the photo frame.

The photo frame uses each line's ``photo_quad`` (the page is rotated up to 4 degrees and mildly
perspective-distorted there), the scan frame its upright ``bbox``.
"""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path
from typing import Any, Literal

from storage.schema import BBox, Line

PAGES = Path(__file__).parent.parent / "data" / "devset-mini" / "pages.jsonl"
Frame = Literal["scan", "photo"]


@cache
def _records() -> dict[str, dict[str, Any]]:
    out = {}
    for raw in PAGES.read_text(encoding="utf-8").splitlines():
        rec = json.loads(raw)
        out[f"{rec['doc_id']}:{rec['page']}"] = rec
    return out


def page_keys() -> list[str]:
    return sorted(_records())


def page_lines(key: str, frame: Frame = "scan") -> tuple[list[Line], int, int]:
    """``(lines, width, height)`` of a devset-mini page such as ``"tlsh-paper:1"``."""
    rec = _records()[key]
    if frame == "scan":
        w, h = rec["scan_size"]
        lines = [Line(text=ln["text"], bbox=BBox(x0=ln["bbox"][0], y0=ln["bbox"][1], x1=ln["bbox"][2], y1=ln["bbox"][3]))
                 for ln in rec["lines"]]
        return lines, w, h
    w, h = rec["photo_size"]
    lines = []
    for ln in rec["lines"]:
        quad = tuple((float(x), float(y)) for x, y in ln["photo_quad"])
        lines.append(Line(text=ln["text"], bbox=BBox.from_points(list(quad)), quad=quad))  # type: ignore[arg-type]
    return lines, w, h


def rotated_lines(key: str, degrees: float) -> tuple[list[Line], int, int]:
    """The scan-frame lines turned by ``degrees`` about the page centre (quads set, bboxes around them)."""
    lines, w, h = page_lines(key, "scan")
    a = math.radians(degrees)
    cx, cy = w / 2, h / 2

    def turn(x: float, y: float) -> tuple[float, float]:
        dx, dy = x - cx, y - cy
        return cx + dx * math.cos(a) - dy * math.sin(a), cy + dx * math.sin(a) + dy * math.cos(a)

    out = []
    for ln in lines:
        b = ln.bbox
        quad = (turn(b.x0, b.y0), turn(b.x1, b.y0), turn(b.x1, b.y1), turn(b.x0, b.y1))
        out.append(Line(text=ln.text, bbox=BBox.from_points(list(quad)), quad=quad))
    return out, w, h
