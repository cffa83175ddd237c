"""Find the page on a photo and flatten it, as phone scanner apps do.

A photo of a page shows the sheet as a bright quadrilateral on a darker desk, turned by any angle
and seen in perspective. ``find_page`` looks for that quadrilateral on a reduced copy (edges of the
sheet, then the largest four-sided outline), and ``rectify`` warps it to an upright rectangle that
the OCR engine reads. The homography from the flattened page back to the photo is kept, so a box on
the flattened page can be drawn on the user's own photo.

No page edge found (a scan, a crop inside the page, a busy background): the whole image is kept,
and only a text skew beyond ``MIN_SKEW_DEG`` (measured on the image, up to 45 degrees either way) is
turned away, again as a homography. Sideways and upside-down pages are left to ``ingest.orient``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ingest.pages import PageImage

from storage.schema import Matrix

if TYPE_CHECKING:
    from PIL import Image

WORK_SIDE = 640  # longer side of the reduced copy the page is looked for on
MIN_PAGE_AREA = 0.25  # a page quad covers at least this share of the photo
MAX_PAGE_AREA = 0.97  # a quad this large is the photo itself (a scan): nothing to cut away
MIN_CONTRAST = 18.0  # the page is at least this much brighter (0-255) than the border around it
MIN_SKEW_DEG = 2.0  # smaller text skews are left to the layout (ingest.deskew)
MAX_SKEW_DEG = 45.0


@dataclass(frozen=True)
class Rectified:
    """A flattened page image and the map from its pixels back to the original image's pixels."""

    image: Image.Image
    to_original: Matrix | None  # 3x3 homography, flattened pixels -> original pixels; None: unchanged
    method: str  # "page" (a page quad was found), "skew" (turned by the text skew) or "none"


def rectify_pages(pages: Iterable[PageImage], enabled: bool = True) -> Iterator[PageImage]:
    """Each page flattened (``rectify_page``) when ``enabled``, else as it is."""
    for page in pages:
        yield rectify_page(page) if enabled else page


def rectify_page(page: PageImage) -> PageImage:
    """``page`` with its image flattened (see ``rectify``); text-layer pages are left as they are."""
    if page.text_lines is not None:
        return page
    result = rectify(page.image)
    if result.to_original is None:
        return page
    return replace(page, image=result.image, photo=page.image, to_photo=result.to_original)


def rectify(image: Image.Image) -> Rectified:
    """The page of ``image`` flattened to an upright rectangle, or the whole image deskewed, or as it is."""
    import cv2

    rgb = np.asarray(image.convert("RGB"))
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    quad = find_page(gray)
    if quad is not None:
        return _warp_quad(image, rgb, quad)
    angle = text_skew(gray)
    if abs(angle) >= MIN_SKEW_DEG:
        return _turn(image, rgb, angle)
    return Rectified(image=image, to_original=None, method="none")


def find_page(gray: np.ndarray) -> np.ndarray | None:
    """Corners (4x2, pixels of ``gray``: top-left, top-right, bottom-right, bottom-left) of the page, or None."""
    import cv2

    h, w = gray.shape
    f = min(1.0, WORK_SIDE / max(h, w))
    small = cv2.resize(gray, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (5, 5), 0)
    best = None
    for quad in _candidates(small):
        area = cv2.contourArea(quad.astype(np.float32))
        if _page_contrast(small, quad) is not None and (best is None or area > best[0]):
            best = (area, quad)
    if best is None:
        return None
    return _order(best[1] / f)


def _candidates(small: np.ndarray) -> list[np.ndarray]:
    """Large four-sided outlines: from the edge map, and from a brightness threshold (Otsu)."""
    import cv2

    area = small.shape[0] * small.shape[1]
    masks = []
    med = float(np.median(small))
    edges = cv2.Canny(small, max(10.0, 0.33 * med), max(30.0, 0.66 * med))
    masks.append(cv2.dilate(edges, np.ones((3, 3), np.uint8)))
    _, otsu = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    masks.append(cv2.morphologyEx(otsu, cv2.MORPH_CLOSE, np.ones((9, 9), np.uint8)))
    out = []
    for n, mask in enumerate(masks):
        contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
        if n == 0:  # a page edge broken where a shadow meets the desk: the long edge pieces together
            long = [c for c in contours if cv2.arcLength(c, False) >= 0.25 * sum(small.shape)]
            if len(long) > 1:
                contours = [*contours, np.concatenate(long)]
        for contour in sorted(contours, key=cv2.contourArea, reverse=True)[:5]:
            hull = cv2.convexHull(contour)
            if cv2.contourArea(hull) < MIN_PAGE_AREA * area:
                continue
            quad = _four_corners(hull, small.shape)
            if quad is not None:
                out.append(quad)
    return out


def _four_corners(hull: np.ndarray, size: tuple[int, int]) -> np.ndarray | None:
    """The page's corners from its outline: the lines through the four longest sides, intersected.

    A page cut off by the photo's edge has more than four sides, and corners outside the photo;
    its four longest sides are still the page's own (or the photo edge where a whole side is cut).
    """
    import cv2

    h, w = size
    peri = cv2.arcLength(hull, True)
    poly = cv2.approxPolyDP(hull, 0.01 * peri, True).reshape(-1, 2).astype(np.float64)
    if len(poly) < 4:
        return None
    sides = [(poly[i], poly[(i + 1) % len(poly)]) for i in range(len(poly))]
    lengths = [float(np.linalg.norm(b - a)) for a, b in sides]
    keep = sorted(np.argsort(lengths)[-4:])
    if sum(lengths[i] for i in keep) < 0.8 * peri:
        return None  # not four-sided enough (a blob, a hand)
    corners = []
    for k in range(4):
        p = _intersect(sides[keep[k]], sides[keep[(k + 1) % 4]])
        if p is None or not (-0.3 * w <= p[0] <= 1.3 * w and -0.3 * h <= p[1] <= 1.3 * h):
            return None
        corners.append(p)
    quad = np.array(corners)
    if not cv2.isContourConvex(quad.astype(np.float32).reshape(-1, 1, 2)):
        return None
    return quad


def _intersect(s1: tuple[np.ndarray, np.ndarray], s2: tuple[np.ndarray, np.ndarray]) -> np.ndarray | None:
    (p, q), (r, t) = s1, s2
    d1, d2 = q - p, t - r
    den = d1[0] * d2[1] - d1[1] * d2[0]
    if abs(den) < 1e-9 * (np.linalg.norm(d1) * np.linalg.norm(d2) + 1e-9):
        return None
    u = ((r[0] - p[0]) * d2[1] - (r[1] - p[1]) * d2[0]) / den
    return p + u * d1


def _page_contrast(small: np.ndarray, quad: np.ndarray) -> float | None:
    """How much brighter the quad's inside is than a band outside it; None when it is no page."""
    import cv2

    h, w = small.shape
    inside = np.zeros_like(small)
    cv2.fillConvexPoly(inside, np.round(quad).astype(np.int32), 255)
    if not (MIN_PAGE_AREA <= (inside > 0).mean() <= MAX_PAGE_AREA):
        return None
    band = max(4, round(0.03 * max(h, w)))
    grown = cv2.dilate(inside, np.ones((2 * band + 1, 2 * band + 1), np.uint8))
    shrunk = cv2.erode(inside, np.ones((2 * band + 1, 2 * band + 1), np.uint8))
    outside = (grown > 0) & (inside == 0)
    rim = (inside > 0) & (shrunk == 0)
    if outside.sum() < 0.05 * band * cv2.arcLength(quad.astype(np.float32), True):
        return None  # the quad runs along the photo's edges: nothing outside to tell it from
    contrast = float(np.median(small[rim])) - float(np.median(small[outside]))
    return contrast if contrast >= MIN_CONTRAST else None


def _order(quad: np.ndarray) -> np.ndarray:
    """Corners clockwise (y down) from the top-left one."""
    center = quad.mean(axis=0)
    angles = np.arctan2(quad[:, 1] - center[1], quad[:, 0] - center[0])
    quad = quad[np.argsort(angles)]  # clockwise on screen, starting near the left
    start = int(np.argmin(quad[:, 0] + quad[:, 1]))
    return np.roll(quad, -start, axis=0)


def _warp_quad(image: Image.Image, rgb: np.ndarray, quad: np.ndarray) -> Rectified:
    import cv2
    from PIL import Image as PILImage

    tl, tr, br, bl = quad
    width = max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl))
    height = max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr))
    w, h = max(1, round(width)), max(1, round(height))
    target = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float64)
    to_original = cv2.getPerspectiveTransform(target.astype(np.float32), quad.astype(np.float32)).astype(np.float64)
    paper = tuple(float(v) for v in np.percentile(rgb[::8, ::8].reshape(-1, 3), 90, axis=0))
    flat = cv2.warpPerspective(rgb, to_original, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=paper)
    return Rectified(image=PILImage.fromarray(flat), to_original=_matrix(to_original), method="page")


def text_skew(gray: np.ndarray) -> float:
    """The text lines' angle in degrees (positive: clockwise), within +-45, from projection profiles:
    the turn under which the rows of ink are sharpest, coarsely on a small copy, then finely."""
    import cv2

    h, w = gray.shape
    f = min(1.0, 800 / max(h, w))
    small = cv2.resize(gray, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA)
    fine_ink = cv2.adaptiveThreshold(small, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 25, 15)
    if fine_ink.mean() < 1.0:
        return 0.0
    coarse_ink = cv2.resize(fine_ink, (max(1, small.shape[1] // 2), max(1, small.shape[0] // 2)), interpolation=cv2.INTER_AREA)
    coarse = max(np.arange(-MAX_SKEW_DEG, MAX_SKEW_DEG + 0.1, 2.0), key=lambda d: _sharpness(coarse_ink, d, cv2))
    return float(max(np.arange(coarse - 1.5, coarse + 1.55, 0.5), key=lambda d: _sharpness(fine_ink, d, cv2)))


def _sharpness(ink: np.ndarray, deg: float, cv2) -> float:  # type: ignore[no-untyped-def]
    """How sharply the ink falls into rows when turned counter-clockwise by ``deg``."""
    m = cv2.getRotationMatrix2D((ink.shape[1] / 2, ink.shape[0] / 2), float(deg), 1.0)
    turned = cv2.warpAffine(ink, m, (ink.shape[1], ink.shape[0]), flags=cv2.INTER_NEAREST)
    profile = turned.sum(axis=1, dtype=np.float64)
    return float(np.square(np.diff(profile)).sum())


def _turn(image: Image.Image, rgb: np.ndarray, angle: float) -> Rectified:
    """The whole image turned by ``-angle`` degrees (so that text runs level), canvas grown to fit."""
    import cv2
    from PIL import Image as PILImage

    h, w = rgb.shape[:2]
    rad = math.radians(angle)
    cos, sin = abs(math.cos(rad)), abs(math.sin(rad))
    nw, nh = round(w * cos + h * sin), round(w * sin + h * cos)
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    m[0, 2] += nw / 2 - w / 2
    m[1, 2] += nh / 2 - h / 2
    forward = np.vstack([m, [0, 0, 1]])
    flat = cv2.warpAffine(rgb, m, (nw, nh), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return Rectified(image=PILImage.fromarray(flat), to_original=_matrix(np.linalg.inv(forward)), method="skew")


def _matrix(m: np.ndarray) -> Matrix:
    m = m / m[2, 2]
    return tuple(tuple(round(float(v), 10) for v in row) for row in m)  # type: ignore[return-value]


def map_point(m: Matrix, x: float, y: float) -> tuple[float, float]:
    """``(x, y)`` through the homography ``m``."""
    d = m[2][0] * x + m[2][1] * y + m[2][2]
    return (m[0][0] * x + m[0][1] * y + m[0][2]) / d, (m[1][0] * x + m[1][1] * y + m[1][2]) / d


def stored_photo(page: PageImage, rotation: int, name: str) -> tuple[str, Matrix | None, bytes | None]:
    """The photo a flattened page came from, to store beside it: ``("pages/NAME", stored pixels -> photo
    pixels, its JPEG bytes)``.

    The stored page image is the flattened image turned clockwise by ``rotation``; the homography
    returned undoes that turn, then maps through ``page.to_photo``. ``("", None, None)`` for other pages.
    """
    if page.photo is None or page.to_photo is None:
        return "", None, None
    import io

    buffer = io.BytesIO()
    page.photo.save(buffer, format="JPEG", quality=90)
    w, h = page.image.size
    unturn = {  # stored pixels -> flattened pixels
        0: ((1, 0, 0), (0, 1, 0)),
        90: ((0, 1, 0), (-1, 0, h)),
        180: ((-1, 0, w), (0, -1, h)),
        270: ((0, -1, w), (1, 0, 0)),
    }[rotation % 360]
    m = np.asarray(page.to_photo, dtype=np.float64) @ np.array([*unturn, (0, 0, 1)], dtype=np.float64)
    return f"pages/{name}", _matrix(m), buffer.getvalue()

