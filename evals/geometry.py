"""Pixel geometry for scoring: homographies, undoing the stored-image transform, polygon IoU.

Every box is ``(x0, y0, x1, y1)`` and every point ``(x, y)`` in pixels, origin top-left, y down.
"""

from __future__ import annotations

from collections.abc import Sequence

Point = tuple[float, float]
Box = tuple[float, float, float, float]
Polygon = Sequence[Point]
Matrix3 = Sequence[Sequence[float]]


def box_corners(box: Box) -> list[Point]:
    """Top-left, top-right, bottom-right, bottom-left."""
    x0, y0, x1, y1 = box
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def bounding_box(points: Polygon) -> Box:
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return (min(xs), min(ys), max(xs), max(ys))


def map_points(h: Matrix3, points: Polygon) -> list[Point]:
    """Points through a 3x3 homography (homogeneous coordinates, divided by w)."""
    out = []
    for x, y in points:
        w = h[2][0] * x + h[2][1] * y + h[2][2]
        if w == 0:
            raise ValueError(f"homography sends ({x}, {y}) to infinity")
        out.append(((h[0][0] * x + h[0][1] * y + h[0][2]) / w, (h[1][0] * x + h[1][1] * y + h[1][2]) / w))
    return out


def map_box(h: Matrix3, box: Box) -> Box:
    """The axis-aligned box around a box's four corners mapped through ``h``."""
    return bounding_box(map_points(h, box_corners(box)))


def to_source_frame(points: Polygon, rotation: int, scale: float, source_size: tuple[int, int]) -> list[Point]:
    """Stored-image pixels back to pixels of the source image.

    The stored image is the source turned clockwise by ``rotation`` degrees (0, 90, 180, 270) and
    then resized by ``scale``; ``source_size`` is the source image's (width, height).
    """
    w, h = source_size
    out = []
    for x, y in points:
        u, v = x / scale, y / scale  # pixels of the turned source image
        match rotation % 360:
            case 0:
                out.append((u, v))
            case 90:  # source (x, y) went to (h - y, x)
                out.append((v, h - u))
            case 180:  # (w - x, h - y)
                out.append((w - u, h - v))
            case 270:  # (y, w - x)
                out.append((w - v, u))
            case other:
                raise ValueError(f"rotation {other} is not a multiple of 90 degrees")
    return out


def to_stored_frame(points: Polygon, rotation: int, scale: float, source_size: tuple[int, int]) -> list[Point]:
    """Source-image pixels to stored-image pixels: the inverse of ``to_source_frame``."""
    w, h = source_size
    out = []
    for x, y in points:
        match rotation % 360:
            case 0:
                u, v = x, y
            case 90:
                u, v = h - y, x
            case 180:
                u, v = w - x, h - y
            case 270:
                u, v = y, w - x
            case other:
                raise ValueError(f"rotation {other} is not a multiple of 90 degrees")
        out.append((u * scale, v * scale))
    return out


def box_area(box: Box) -> float:
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])


def box_intersection(a: Box, b: Box) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return max(0.0, w) * max(0.0, h)


def polygon_area(poly: Polygon) -> float:
    """Shoelace area (absolute) of a simple polygon."""
    n = len(poly)
    s = sum(poly[i][0] * poly[(i + 1) % n][1] - poly[(i + 1) % n][0] * poly[i][1] for i in range(n))
    return abs(s) / 2.0


def _oriented(poly: Polygon) -> list[Point]:
    """The polygon in counter-clockwise order (in a y-up sense) so clipping has one orientation."""
    n = len(poly)
    signed = sum(poly[i][0] * poly[(i + 1) % n][1] - poly[(i + 1) % n][0] * poly[i][1] for i in range(n))
    return list(poly) if signed >= 0 else list(reversed(poly))


def convex_intersection_area(a: Polygon, b: Polygon) -> float:
    """Area of the intersection of two convex polygons (Sutherland-Hodgman clipping)."""
    subject = _oriented(a)
    clip = _oriented(b)
    for i in range(len(clip)):
        if not subject:
            return 0.0
        p, q = clip[i], clip[(i + 1) % len(clip)]
        subject = _clip_edge(subject, p, q)
    return polygon_area(subject) if len(subject) >= 3 else 0.0


def _clip_edge(subject: list[Point], p: Point, q: Point) -> list[Point]:
    def side(pt: Point) -> float:
        return (q[0] - p[0]) * (pt[1] - p[1]) - (q[1] - p[1]) * (pt[0] - p[0])

    out: list[Point] = []
    for i in range(len(subject)):
        cur, nxt = subject[i], subject[(i + 1) % len(subject)]
        s_cur, s_nxt = side(cur), side(nxt)
        if s_cur >= 0:
            out.append(cur)
        if (s_cur >= 0) != (s_nxt >= 0):
            t = s_cur / (s_cur - s_nxt)
            out.append((cur[0] + t * (nxt[0] - cur[0]), cur[1] + t * (nxt[1] - cur[1])))
    return out


def polygon_iou(a: Polygon, b: Polygon) -> float:
    """Intersection over union of two convex polygons (0 when both are degenerate)."""
    inter = convex_intersection_area(a, b)
    union = polygon_area(a) + polygon_area(b) - inter
    return inter / union if union > 0 else 0.0
