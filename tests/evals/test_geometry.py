"""Geometry used by the scorers: homographies, the stored-image frame, polygon IoU."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from evals.geometry import (
    box_corners,
    convex_intersection_area,
    map_box,
    map_points,
    polygon_iou,
    to_source_frame,
    to_stored_frame,
)

MINI = Path(__file__).resolve().parents[1] / "data" / "devset-mini"


def flat(points):
    return [c for p in points for c in p]


def test_affine_homography_maps_a_box_by_hand():
    h = [[0.5, 0.0, 10.0], [0.0, 0.5, 20.0], [0.0, 0.0, 1.0]]
    assert map_box(h, (0.0, 0.0, 100.0, 50.0)) == pytest.approx((10.0, 20.0, 60.0, 45.0))


def test_perspective_homography_divides_by_w():
    # w = 0.001 * x + 1: the point (1000, 0) has w = 2, so x' = 1000 / 2.
    h = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.001, 0.0, 1.0]]
    assert flat(map_points(h, [(1000.0, 0.0), (0.0, 300.0)])) == pytest.approx([500.0, 0.0, 0.0, 300.0])


def test_rotated_homography_takes_the_axis_aligned_box_of_the_corners():
    # 90-degree turn about the origin: (x, y) -> (-y, x)
    h = [[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    assert map_box(h, (10.0, 20.0, 30.0, 60.0)) == pytest.approx((-60.0, 10.0, -20.0, 30.0))


def test_set_homography_maps_scan_line_boxes_onto_their_photo_boxes():
    page = json.loads((MINI / "pages.jsonl").read_text().splitlines()[0])
    for line in page["lines"][:20]:
        mapped = map_points(page["photo_homography"], box_corners(tuple(line["bbox"])))
        assert flat(mapped) == pytest.approx(flat(line["photo_quad"]), abs=0.2)
        assert map_box(page["photo_homography"], tuple(line["bbox"])) == pytest.approx(line["photo_bbox"], abs=0.2)


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_stored_frame_matches_pil_rotation_and_round_trips(rotation):
    source = Image.new("RGB", (100, 50), "white")
    source.putpixel((10, 5), (255, 0, 0))
    stored = source.rotate(-rotation, expand=True)  # how ingest turns a page clockwise
    red = [(x, y) for x in range(stored.width) for y in range(stored.height) if stored.getpixel((x, y)) == (255, 0, 0)]
    (sx, sy), = to_stored_frame([(10.5, 5.5)], rotation, 1.0, (100, 50))
    assert red == [(int(sx), int(sy))]
    back = to_source_frame(to_stored_frame([(10.5, 5.5)], rotation, 0.5, (100, 50)), rotation, 0.5, (100, 50))
    assert flat(back) == pytest.approx([10.5, 5.5])


def test_convex_intersection_and_iou_by_hand():
    a = box_corners((0.0, 0.0, 10.0, 10.0))
    b = box_corners((5.0, 0.0, 15.0, 10.0))
    assert convex_intersection_area(a, b) == pytest.approx(50.0)
    assert polygon_iou(a, b) == pytest.approx(50.0 / 150.0)
    diamond = [(5.0, 0.0), (10.0, 5.0), (5.0, 10.0), (0.0, 5.0)]  # area 50, inside a
    assert convex_intersection_area(a, diamond) == pytest.approx(50.0)
    assert polygon_iou(list(reversed(a)), diamond) == pytest.approx(0.5)  # orientation does not matter
    assert polygon_iou(a, box_corners((20.0, 20.0, 30.0, 30.0))) == 0.0
