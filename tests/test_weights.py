"""pipelines/weights.py: weights written as fractions, percents or percent text, flat or nested inside
category weights, resolve to one scale that sums to 100 — or are reported, never silently rescaled."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.weights import TOLERANCE, WeightIn, resolve_weights


def _split(total: int, parts: int, draw) -> list[int]:
    """``parts`` positive integers adding up to ``total``."""
    cuts = sorted(draw(st.lists(st.integers(1, total - 1), min_size=parts - 1, max_size=parts - 1, unique=True)))
    edges = [0, *cuts, total]
    return [b - a for a, b in itertools.pairwise(edges)]


@st.composite
def flat_points(draw) -> list[int]:
    """Integer percent points adding up to exactly 100, 1 to 8 items."""
    n = draw(st.integers(1, 8))
    return [100] if n == 1 else _split(100, n, draw)


@st.composite
def nested_points(draw) -> list[tuple[str, int, list[int]]]:
    """Categories (name, share) adding up to 100, each with item shares adding up to 100."""
    n = draw(st.integers(1, 4))
    shares = [100] if n == 1 else _split(100, n, draw)
    out = []
    for k, share in enumerate(shares):
        m = draw(st.integers(1, 5))
        out.append((f"类别{k}", share, [100] if m == 1 else _split(100, m, draw)))
    return out


WRITINGS = {
    "fraction": lambda p: p / 100,
    "percent": lambda p: f"{p}%",
    "points_text": lambda p: str(p),
    "points": lambda p: float(p),
}


def _written(points: list[int], how: str) -> list[WeightIn]:
    return [WeightIn(WRITINGS[how](p)) for p in points]


@settings(max_examples=150)
@given(flat_points(), st.sampled_from(sorted(WRITINGS)))
def test_consistent_flat_weights_sum_to_100_whatever_the_writing(points, how):
    got = resolve_weights(_written(points, how))
    assert got.consistent
    assert sum(got.weights) == pytest.approx(100)
    assert list(got.weights) == pytest.approx(points)


@settings(max_examples=100)
@given(flat_points(), st.sampled_from(sorted(WRITINGS)), st.sampled_from(sorted(WRITINGS)))
def test_the_same_weights_written_two_ways_resolve_the_same(points, a, b):
    assert resolve_weights(_written(points, a)).weights == pytest.approx(resolve_weights(_written(points, b)).weights)


def _nested_items(cats, how_cat: str, how_item: str) -> list[WeightIn]:
    return [
        WeightIn(WRITINGS[how_item](w), name, WRITINGS[how_cat](share)) for name, share, items in cats for w in items
    ]


def _flattened(cats) -> list[float]:
    return [share * w / 100 for _, share, items in cats for w in items]


@settings(max_examples=150)
@given(nested_points(), st.sampled_from(sorted(WRITINGS)), st.sampled_from(sorted(WRITINGS)))
def test_nested_weights_equal_their_flattened_form(cats, how_cat, how_item):
    nested = resolve_weights(_nested_items(cats, how_cat, how_item))
    assert nested.consistent
    assert sum(nested.weights) == pytest.approx(100)
    assert list(nested.weights) == pytest.approx(_flattened(cats))
    # the same items already flattened by the file (category weight beside item weights that sum to it)
    flat_in = [WeightIn(share * w / 100, name, share) for (name, share, items) in cats for w in items]
    assert list(resolve_weights(flat_in).weights) == pytest.approx(_flattened(cats))


@settings(max_examples=100)
@given(nested_points(), st.randoms(use_true_random=False))
def test_order_of_the_items_does_not_matter(cats, rnd):
    items = _nested_items(cats, "percent", "fraction")
    expected = dict(zip(range(len(items)), resolve_weights(items).weights, strict=True))
    order = list(range(len(items)))
    rnd.shuffle(order)
    shuffled = resolve_weights([items[k] for k in order])
    assert list(shuffled.weights) == pytest.approx([expected[k] for k in order])


@settings(max_examples=100)
@given(flat_points(), st.floats(TOLERANCE + 0.01, 60), st.booleans(), st.sampled_from(sorted(WRITINGS)))
def test_weights_off_by_more_than_the_tolerance_are_reported_not_rescaled(points, off, up, how):
    points = [float(p) for p in points]
    points[0] = points[0] + off if up else max(points[0] - off, 0.0)
    if abs(sum(points) - 100) <= TOLERANCE:
        return
    items = [WeightIn(WRITINGS[how](p)) for p in points]
    if how == "fraction" and max(points) > 100:
        return  # a fraction above 1 is not a fraction any more
    got = resolve_weights(items)
    assert not got.consistent
    assert got.total == pytest.approx(sum(points))
    assert got.problem and "不是 100%" in got.problem
    assert list(got.weights) == pytest.approx(points)


def test_rounding_within_the_tolerance_is_fixed_to_exactly_100():
    got = resolve_weights([WeightIn("33.3%"), WeightIn("33.3%"), WeightIn("33.3%")])
    assert got.consistent and sum(got.weights) == pytest.approx(100)


def test_the_issue_example_50_30_20_with_items_inside():
    items = [
        WeightIn(w, cat, share)
        for cat, share in (("业绩", "50%"), ("能力", "30%"), ("态度", "20%"))
        for w in (0.4, 0.2, 0.2, 0.2)
    ]
    got = resolve_weights(items)
    assert got.consistent
    assert list(got.weights) == pytest.approx([20, 10, 10, 10, 12, 6, 6, 6, 8, 4, 4, 4])


def test_a_missing_weight_is_reported():
    got = resolve_weights([WeightIn(60), WeightIn(None)])
    assert not got.consistent and "没有写权重" in got.problem


def test_category_weights_that_do_not_add_up_are_reported():
    got = resolve_weights([WeightIn(1, "甲", "50%"), WeightIn(1, "乙", "30%")])
    assert not got.consistent and "各类别权重合计为 80%" in got.problem


def test_items_inside_a_category_that_fit_neither_reading_are_reported():
    got = resolve_weights([WeightIn(0.5, "甲", "50%"), WeightIn(0.3, "甲", "50%"), WeightIn(1, "乙", "50%")])
    assert not got.consistent and "类别「甲」" in got.problem
