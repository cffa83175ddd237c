"""Page orientation: which clockwise turn makes a page upright, and the top-to-bottom order of its lines.

A page photographed sideways or upside down is found from what one OCR pass already gives, so an
upright page pays nothing extra:

* sideways (90 or 270): most of the text sits in boxes taller than wide. A few of the tallest boxes
  are recognised turned a quarter each way; the way that reads better is tried first.
* upside down (180): the recogniser is unsure of most characters (mean confidence over all detected
  boxes 0.41-0.64 on the 25 dev-set photos turned upside down, 0.965-0.988 upright).

The page is then read again turned by the candidate rotation (and by the other candidate if that
reading is still unsure), and the reading with the most confidently read characters wins.
Known limit: text written vertically (traditional Chinese layout) looks like a sideways page.
Rotations are clockwise degrees; PIL turns an image clockwise with ``image.rotate(-rotation, expand=True)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from statistics import median
from typing import TYPE_CHECKING

from storage.schema import Line

if TYPE_CHECKING:
    from PIL import Image

ReadImage = Callable[["Image.Image"], list[Line]]
ReadLine = Callable[["Image.Image"], tuple[str, float]]  # one line image -> (text, confidence)

SIDEWAYS_SAMPLE = 6  # tall boxes recognised both ways to choose between 90 and 270
SIDEWAYS_SHARE = 0.5  # above this share of text (by box length) in tall boxes, the page lies sideways
UPRIGHT_CONFIDENCE = 0.85  # character-weighted mean recognition confidence of a page that reads upright


def turn(image: Image.Image, rotation: int) -> Image.Image:
    """``image`` turned clockwise by ``rotation`` degrees (0, 90, 180 or 270)."""
    return image if rotation % 360 == 0 else image.rotate(-rotation, expand=True)


def tall_share(lines: Sequence[Line]) -> float:
    """Share of the text, weighted by box length, that sits in boxes taller than wide."""
    lengths = [(max(ln.bbox.width, ln.bbox.height), ln.bbox.height > ln.bbox.width) for ln in lines]
    total = sum(length for length, _ in lengths)
    return sum(length for length, tall in lengths if tall) / total if total else 0.0


def mean_confidence(lines: Sequence[Line]) -> float:
    """Recognition confidence averaged over characters (0 for no text)."""
    chars = sum(len(ln.text) for ln in lines)
    return sum(len(ln.text) * ln.confidence for ln in lines) / chars if chars else 0.0


def read_score(lines: Sequence[Line]) -> float:
    """How much text was read, and how surely: confidence-weighted character count."""
    return sum(len(ln.text) * ln.confidence for ln in lines)


def reads_upright(lines: Sequence[Line]) -> bool:
    return tall_share(lines) <= SIDEWAYS_SHARE and mean_confidence(lines) >= UPRIGHT_CONFIDENCE


def candidate_rotations(lines: Sequence[Line]) -> tuple[int, ...]:
    """Clockwise turns worth trying after a pass at 0; () when the page reads upright."""
    if tall_share(lines) > SIDEWAYS_SHARE:
        return (90, 270)
    if mean_confidence(lines) < UPRIGHT_CONFIDENCE:
        return (180,)
    return ()


def sideways_first(read_line: ReadLine, image: Image.Image, lines: Sequence[Line]) -> tuple[int, int]:
    """(90, 270) or (270, 90): the turn under which the tallest boxes read better comes first."""
    tall = sorted((ln for ln in lines if ln.bbox.height > ln.bbox.width), key=lambda ln: -ln.bbox.height)
    score = {90: 0.0, 270: 0.0}
    for ln in tall[:SIDEWAYS_SAMPLE]:
        crop = image.crop((int(ln.bbox.x0), int(ln.bbox.y0), int(ln.bbox.x1) + 1, int(ln.bbox.y1) + 1))
        for rotation in score:
            text, confidence = read_line(turn(crop, rotation))
            score[rotation] += len(text) * confidence
    return (270, 90) if score[270] > score[90] else (90, 270)


def read_upright(read: ReadImage, image: Image.Image, read_line: ReadLine | None = None) -> tuple[int, list[Line]]:
    """Read ``image`` the right way up: ``(rotation, lines)``, lines in the frame of the turned image.

    ``read`` does one detect-and-recognise pass; ``read_line`` (optional) recognises one line image
    and lets a sideways page try the more likely of 90 and 270 first.
    """
    first = read(image)
    candidates = candidate_rotations(first) if first else ()
    if not candidates:
        return 0, order_lines(first)
    sideways = candidates == (90, 270)
    if sideways and read_line is not None:
        candidates = sideways_first(read_line, image, first)
    best_rotation, best = (None, []) if sideways else (0, first)
    for rotation in candidates:
        lines = read(turn(image, rotation))
        if best_rotation is None or read_score(lines) > read_score(best):
            best_rotation, best = rotation, lines
        if reads_upright(lines):
            break
    return best_rotation or 0, order_lines(best)


def skew_angle(lines: Sequence[Line]) -> float:
    """Median slope, in radians (positive = clockwise), of the lines at least three times wider than tall."""
    angles = []
    for ln in lines:
        if ln.quad is None or ln.bbox.width < 3 * ln.bbox.height:
            continue
        (x0, y0), (x1, y1) = ln.quad[0], ln.quad[1]
        if x1 > x0:
            angles.append(math.atan2(y1 - y0, x1 - x0))
    return median(angles) if angles else 0.0


def line_height(line: Line) -> float:
    """Height of the text line itself (the quad's side), not of its axis-aligned box."""
    if line.quad is None:
        return line.bbox.height
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = line.quad
    return (math.hypot(x3 - x0, y3 - y0) + math.hypot(x2 - x1, y2 - y1)) / 2


def order_lines(lines: Sequence[Line]) -> list[Line]:
    """Lines top to bottom, then left to right within a row, measured along the page's skew.

    A simple geometric order (two columns come out interleaved row by row); real reading order is
    the layout stage's job.
    """
    angle = skew_angle(lines)
    cos, sin = math.cos(angle), math.sin(angle)

    def along(ln: Line) -> tuple[float, float, float]:
        cx, cy = (ln.bbox.x0 + ln.bbox.x1) / 2, (ln.bbox.y0 + ln.bbox.y1) / 2
        return cx * cos + cy * sin, cy * cos - cx * sin, max(line_height(ln), 1.0)

    placed = sorted(((along(ln), ln) for ln in lines), key=lambda item: item[0][1])
    rows: list[list[tuple[tuple[float, float, float], Line]]] = []
    for item in placed:
        (_, y, h) = item[0]
        if rows and y - rows[-1][0][0][1] < 0.5 * min(h, rows[-1][0][0][2]):
            rows[-1].append(item)
        else:
            rows.append([item])
    return [ln for row in rows for _, ln in sorted(row, key=lambda item: item[0][0])]
