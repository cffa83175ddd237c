"""Between the store's frame and the set's frame: pages, lines and boxes in the set's image pixels.

The store keeps page images turned upright and possibly reduced (``PageRecord.rotation`` and
``scale``, or the homography ``to_photo`` of a page flattened from a photo); the set's ground truth
is in pixels of its own images. Everything the system returns
is mapped back into the frame of the set image that was ingested (scan or photo) before scoring.
Evidence boxes of the set are in scan pixels; for photos they go through ``photo_homography``.
"""

from __future__ import annotations

from dataclasses import dataclass

from evals.dataset import EvalSet, GtPage, ImageKind
from evals.geometry import Box, Point, bounding_box, box_corners, map_box, map_points, to_source_frame
from storage.schema import BBox, DocumentRecord, Line, PageRecord

Quad = list[Point]


@dataclass(frozen=True)
class StoredPage:
    """A set page and the stored page it became."""

    truth: GtPage
    record: PageRecord


class SetFrame:
    """Maps stored (doc_id, page) and stored-image boxes to the set's pages and image pixels."""

    def __init__(self, eval_set: EvalSet, kind: ImageKind, docs: dict[str, DocumentRecord], pages: dict[str, tuple[int, ...]]) -> None:
        self.kind = kind
        self._pages: dict[tuple[str, int], StoredPage] = {}
        for set_doc_id, record in docs.items():
            numbers = pages[set_doc_id]
            for stored in record.pages:
                if stored.page <= len(numbers):
                    truth = eval_set.page(set_doc_id, numbers[stored.page - 1])
                    self._pages[(record.doc_id, stored.page)] = StoredPage(truth, stored)

    def stored_pages(self) -> list[StoredPage]:
        return sorted(self._pages.values(), key=lambda p: p.truth.key)

    def set_key(self, stored_doc_id: str, page: int) -> tuple[str, int] | None:
        """The set's (doc_id, page) of a stored page; None for a page that is not from the set."""
        hit = self._pages.get((stored_doc_id, page))
        return hit.truth.key if hit else None

    def box(self, stored_doc_id: str, page: int, box: BBox) -> Box | None:
        """A stored-image box as the axis-aligned box in the set image's pixels."""
        hit = self._pages.get((stored_doc_id, page))
        if hit is None:
            return None
        return bounding_box(self._points(hit, box_corners((box.x0, box.y0, box.x1, box.y1))))

    def line_polygon(self, page: StoredPage, line: Line) -> Quad:
        """A system line (its quad when the engine gave one) in the set image's pixels."""
        points = list(line.quad) if line.quad else box_corners((line.bbox.x0, line.bbox.y0, line.bbox.x1, line.bbox.y1))
        return self._points(page, points)

    def _points(self, page: StoredPage, points: list[Point]) -> Quad:
        rec = page.record
        if rec.to_photo is not None:  # a page flattened from the photo: through its homography, then unscaled
            return [(x / rec.scale, y / rec.scale) for x, y in map_points(rec.to_photo, points)]
        return to_source_frame(points, rec.rotation, rec.scale, page.truth.size(self.kind))


def truth_line_polygons(page: GtPage, kind: ImageKind) -> list[Quad]:
    """Ground-truth line shapes in the set image's pixels (photo quads for photos, boxes for scans)."""
    out = []
    for line in page.lines:
        if kind == "scan":
            out.append(box_corners(line.bbox))
        elif line.photo_quad is not None:
            out.append([tuple(p) for p in line.photo_quad])
        else:
            out.append(map_points(page.photo_homography, box_corners(line.bbox)))
    return out


def evidence_boxes(page: GtPage, kind: ImageKind, boxes: tuple[Box, ...]) -> list[Box]:
    """Evidence boxes (scan pixels) in the set image's pixels: through the homography for photos."""
    if kind == "scan":
        return list(boxes)
    return [map_box(page.photo_homography, b) for b in boxes]
