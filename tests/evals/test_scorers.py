"""Scorers on small hand-made cases."""

from __future__ import annotations

import pytest

from evals.geometry import box_corners
from evals.normalize import normalize_text
from evals.scorers import (
    answer_correct,
    any_box_hit,
    box_hit,
    cer,
    char_errors,
    cites_page,
    first_rank,
    hit_at,
    matched_lines,
    mrr,
    share,
)


def test_normalize_folds_ligatures_quotes_dashes_and_spaces():
    assert normalize_text("\ufb01le \u201cquoted\u201d \u2010 a\u2014b \n\t x\u00a0y \u02baz\u2033") == 'file "quoted" - a-b x y "z"'


def test_char_errors_and_cer_sum_over_pages():
    assert char_errors("kitten", "sitting") == (3, 7)
    assert char_errors("a\u2013b  c", "a-b\nc") == (0, 5)  # differences only in normalisation
    assert cer([(3, 7), (1, 3)]) == pytest.approx(0.4)
    assert cer([]) is None


def _boxes(*boxes):
    return [box_corners(b) for b in boxes]


def test_line_matching_is_one_to_one_at_iou_half():
    truth = _boxes((0, 0, 100, 10), (0, 12, 100, 22), (0, 40, 100, 50))
    # one system box over the first two lines has IoU 1000/2200 with each: no match;
    # a box 1 px lower than the third line has IoU 900/1100: a match
    system = _boxes((0, 0, 100, 22), (0, 41, 100, 51))
    assert matched_lines(truth, system) == 1
    duplicate = _boxes((0, 0, 100, 10))
    assert matched_lines(_boxes((0, 0, 100, 10), (0, 0, 100, 10)), duplicate) == 1
    assert matched_lines(truth, []) == 0


def test_line_matching_finds_the_maximum_matching_not_the_greedy_one():
    # system line s0 overlaps t0 and t1 well enough; s1 overlaps only t0. Greedy t0->s0 would strand t1.
    truth = _boxes((0, 0, 100, 10), (0, 2, 100, 12))
    system = _boxes((0, 1, 100, 11), (0, 0, 100, 9))
    assert matched_lines(truth, system) == 2


def test_line_matching_uses_quads_for_tilted_lines():
    tilted = [(0.0, 10.0), (100.0, 0.0), (101.0, 10.0), (1.0, 20.0)]
    axis = box_corners((0.0, 0.0, 101.0, 20.0))  # the tilted line's axis-aligned box: IoU about 0.5
    assert matched_lines([tilted], [tilted]) == 1
    assert matched_lines([tilted], [axis], min_iou=0.6) == 0


def test_retrieval_rank_hit_and_mrr():
    gold = ("doc", 3)
    assert first_rank([("doc", 1), ("other", 3), ("doc", 3), ("doc", 3)], gold) == 3
    assert first_rank([("doc", 1)], gold) is None
    ranks = [1, 3, None, 6]
    assert hit_at(ranks, 1) == 0.25
    assert hit_at(ranks, 5) == 0.5
    assert mrr(ranks) == pytest.approx((1 + 1 / 3 + 1 / 6) / 4)
    assert mrr([]) is None


def test_answer_needs_every_group_and_no_abstention():
    groups = [["red"], ["damaged", "missing"]]
    assert answer_correct("The RED LED; damaged battery.", False, groups)
    assert not answer_correct("The red LED is lit.", False, groups)
    assert not answer_correct("red, damaged", True, groups)
    assert answer_correct("It\u2019s 4\u201312 V", False, [["it's"], ["4-12"]])


def test_share_is_none_without_items():
    assert share([True, False, False, True]) == 0.5
    assert share([]) is None


def test_citation_page_hit():
    assert cites_page([("a", 1), ("b", 2)], ("b", 2))
    assert not cites_page([("a", 2)], ("b", 2))


def test_box_hit_rule_both_thresholds():
    evidence = (100.0, 100.0, 200.0, 120.0)  # area 2000
    assert box_hit((90.0, 95.0, 210.0, 125.0), evidence)  # covers all of it, evidence is 2000/3600 of B
    assert not box_hit((100.0, 100.0, 140.0, 120.0), evidence)  # covers 40 %: under half of E
    assert box_hit((100.0, 100.0, 150.0, 120.0), evidence)  # exactly half of E, all of B
    assert not box_hit((0.0, 0.0, 1000.0, 1000.0), evidence)  # whole-page box: E is 0.2 % of B
    assert box_hit((100.0, 60.0, 200.0, 140.0), evidence)  # E is exactly a quarter of B
    assert not box_hit((100.0, 59.0, 200.0, 141.0), evidence)  # a bit more than four times E
    assert not box_hit((300.0, 100.0, 400.0, 120.0), evidence)
    assert any_box_hit([(0.0, 0.0, 10.0, 10.0), (95.0, 95.0, 205.0, 125.0)], [(0.0, 500.0, 5.0, 505.0), evidence])
    assert not any_box_hit([], [evidence])
