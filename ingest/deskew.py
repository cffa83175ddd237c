"""Straighten line boxes of a photographed page so that layout analysis can work on upright rectangles.

A phone photo is rotated (a few degrees) and mildly perspective-distorted, so the text direction
changes slowly across the page. The text direction of each line comes from its quad; a smooth field
``theta(x, y) = a + b*x + c*y`` (radians, small angles) is fitted to them, and every point is mapped
to a frame where text lines are horizontal: ``v`` is constant along a text line, ``u`` along the
page's vertical. What is left of the vertical shear (perspective makes verticals turn differently
from horizontals) is removed by fitting the left and right text margins.

The rectified frame is only used to decide reading order, rows and alignment; every box the layout
emits is the line's original ``bbox`` in pixels of the stored page image.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from storage.schema import Line

MIN_ELONGATION = 2.5  # a line must be this many times wider than tall to give a reliable angle
MAX_ANGLE = math.radians(12.0)


@dataclass(frozen=True)
class Rect:
    """A line's box in the rectified frame (pixels, y down)."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def h(self) -> float:
        return self.y1 - self.y0

    @property
    def w(self) -> float:
        return self.x1 - self.x0

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2


def _corners(line: Line) -> np.ndarray:
    if line.quad is not None:
        return np.asarray(line.quad, dtype=float)
    b = line.bbox
    return np.asarray([(b.x0, b.y0), (b.x1, b.y0), (b.x1, b.y1), (b.x0, b.y1)], dtype=float)


def _line_angles(quads: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Angle (radians) and weight of each quad's text direction; weight 0 where unreliable."""
    top = quads[:, 1] - quads[:, 0]
    bottom = quads[:, 2] - quads[:, 3]
    direction = top + bottom
    angles = np.arctan2(direction[:, 1], direction[:, 0])
    length = np.hypot(direction[:, 0], direction[:, 1]) / 2
    height = np.hypot(*(quads[:, 3] - quads[:, 0]).T)
    ok = (length >= MIN_ELONGATION * np.maximum(height, 1.0)) & (np.abs(angles) < MAX_ANGLE)
    return angles, np.where(ok, length, 0.0)


def fit_angle_field(lines: Sequence[Line], width: int, height: int) -> tuple[float, float, float]:
    """Coefficients ``(a, b, c)`` of ``theta = a + b*X + c*Y`` with X, Y in pixels from the page centre."""
    if not any(line.quad is not None for line in lines):
        return 0.0, 0.0, 0.0
    quads = np.stack([_corners(line) for line in lines])
    angles, weights = _line_angles(quads)
    centers = quads.mean(axis=1) - (width / 2, height / 2)
    keep = weights > 0
    if keep.sum() < 3:
        return 0.0, 0.0, 0.0
    a0 = float(_weighted_median(angles[keep], weights[keep]))
    keep &= np.abs(angles - a0) < math.radians(3.0)
    if keep.sum() < 8:
        return a0, 0.0, 0.0
    spread = centers[keep].std(axis=0)
    use = [True, spread[0] > 0.05 * width, spread[1] > 0.05 * height]
    coef = np.array([a0, 0.0, 0.0])
    for _ in range(3):
        design = np.column_stack([np.ones(len(centers)), centers[:, 0], centers[:, 1]])[:, use]
        sw = np.sqrt(weights[keep])
        sol, *_ = np.linalg.lstsq(design[keep] * sw[:, None], angles[keep] * sw, rcond=None)
        coef = np.zeros(3)
        coef[use] = sol
        pred = coef[0] + coef[1] * centers[:, 0] + coef[2] * centers[:, 1]
        keep &= np.abs(angles - pred) < math.radians(1.0)
        if keep.sum() < 8:
            return a0, 0.0, 0.0
    return float(coef[0]), float(coef[1]), float(coef[2])


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    order = np.argsort(values)
    cum = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cum, cum[-1] / 2)])


def rectify(lines: Sequence[Line], width: int, height: int) -> list[Rect]:
    """Each line's box in the rectified frame (same order as ``lines``)."""
    if not lines:
        return []
    a, b, c = fit_angle_field(lines, width, height)
    quads = np.stack([_corners(line) for line in lines])
    x = quads[..., 0] - width / 2
    y = quads[..., 1] - height / 2
    v = y - (a * x + b * x * x / 2 + c * x * y)
    u = x + a * y
    u = _unshear(u, v)
    u += width / 2
    v += height / 2
    return [
        Rect(float(u[i].min()), float(v[i].min()), float(u[i].max()), float(v[i].max()))
        for i in range(len(lines))
    ]


def _unshear(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Make the text margins vertical: a shear (and scale, when the right margin is justified) of ``u`` per ``v``."""
    left, right = u.min(axis=1), u.max(axis=1)
    mid = v.mean(axis=1)
    heights = v.max(axis=1) - v.min(axis=1)
    if len(mid) < 8:
        return u
    v0 = float(np.median(mid))
    binw = max(2.0, 0.2 * float(np.median(heights)))
    fit_l = _alignment(mid - v0, left, binw)
    if fit_l is None:
        return u
    slope_l, l0 = fit_l
    fit_r = _alignment(mid - v0, right, binw)
    if fit_r is None or fit_r[1] - l0 < 0.3 * (right.max() - left.min()):
        return u - slope_l * (v - v0)
    slope_r, r0 = fit_r
    lv = l0 + slope_l * (v - v0)
    rv = r0 + slope_r * (v - v0)
    return l0 + (u - lv) * (r0 - l0) / np.maximum(rv - lv, 1.0)


SLOPES = np.linspace(-0.08, 0.08, 161)


def _alignment(dv: np.ndarray, edge: np.ndarray, binw: float) -> tuple[float, float] | None:
    """The slope ``du/dv`` that lines up the most edges, and the aligned edge's ``u`` at ``dv = 0``.

    Every candidate slope projects the edges onto ``dv = 0``; the sharpest histogram wins. None when
    fewer than 4 edges (and a fifth of all) share the winning alignment.
    """
    proj = edge[None, :] - SLOPES[:, None] * dv[None, :]
    bins = np.floor((proj - proj.min(axis=1, keepdims=True)) / binw).astype(int)
    width = int(bins.max()) + 2
    flat = bins + (np.arange(len(SLOPES)) * width)[:, None]
    counts = np.bincount(flat.ravel(), minlength=len(SLOPES) * width).reshape(len(SLOPES), width)
    best = int(np.argmax((counts.astype(float) ** 2).sum(axis=1)))
    pair = counts[best, :-1] + counts[best, 1:]
    k = int(np.argmax(pair))
    if pair[k] < max(4, 0.2 * len(edge)):
        return None
    members = (bins[best] == k) | (bins[best] == k + 1)
    return float(SLOPES[best]), float(np.median(proj[best][members]))
