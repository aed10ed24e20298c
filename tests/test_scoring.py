"""Item scoring (core/scoring.py): hand-worked examples for every method and property tests."""

from __future__ import annotations

import math
import re
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from core import scoring
from core.scoring import (
    DEFAULT_RUBRIC_POINTS,
    DEFAULT_SCALE,
    ScoringError,
    deduction,
    grade,
    linear,
    lower_better,
    manual,
    pass_fail,
    ratio,
    rubric,
    score_item,
    total_score,
)

# ---------------------------------------------------------------------------------------------------
# Hand-worked examples
# ---------------------------------------------------------------------------------------------------

# 质检员 "日均完成抽检 200 件": target 200, floor 160, stretch 240 (zero point 160 − 1.5 × 40 = 100)
INSPECTIONS = {"floor": 160, "target": 200, "stretch": 240}


@pytest.mark.parametrize(
    ("actual", "expected"),
    [
        (240, 120.0),  # stretch
        (300, 120.0),  # above stretch: capped
        (220, 110.0),  # 100 + 20 × 20 / 40
        (200, 100.0),  # target
        (190, 90.0),  # 60 + 40 × 30 / 40
        (180, 80.0),  # 60 + 40 × 20 / 40
        (160, 60.0),  # floor
        (150, 50.0),  # 60 − 40 × 10 / 40: the floor→target slope continued
        (130, 30.0),  # 60 − 40 × 30 / 40
        (100, 0.0),  # the zero point
        (50, 0.0),  # below it: 0
    ],
)
def test_linear_daily_inspections(actual: float, expected: float) -> None:
    assert linear(actual, **INSPECTIONS) == pytest.approx(expected, abs=1e-9)


def test_linear_without_stretch_stops_at_100() -> None:
    assert linear(200, 160, 200, None) == 100.0
    assert linear(260, 160, 200, None) == 100.0
    assert linear(180, 160, 200, None) == 80.0


def test_linear_without_floor_defaults_to_80_percent_of_target() -> None:
    # floor 160 = 0.8 × 200, so the hand-worked values of the full anchors hold
    assert linear(160, None, 200, 240) == 60.0
    assert linear(180, None, 200, 240) == 80.0
    assert linear(100, None, 200, 240) == 0.0


def test_linear_negative_target_defaults_floor_below_it() -> None:
    # a growth rate target of −10 %: floor −10 − 0.2 × 10 = −12
    assert linear(-12, None, -10, None) == 60.0
    assert linear(-11, None, -10, None) == 80.0


# 质检员 "漏检率低于 0.5%": target 0.5 %, floor 1.0 %, stretch 0.3 % (zero point 1.0 + 1.5 × 0.5 = 1.75)
MISSES = {"floor": 1.0, "target": 0.5, "stretch": 0.3}


@pytest.mark.parametrize(
    ("actual", "expected"),
    [
        (0.0, 120.0),  # better than stretch: capped
        (0.3, 120.0),  # stretch
        (0.4, 110.0),  # 100 + 20 × 0.1 / 0.2
        (0.5, 100.0),  # target
        (0.8, 76.0),  # 60 + 40 × 0.2 / 0.5
        (1.0, 60.0),  # floor
        (1.2, 44.0),  # 60 − 40 × 0.2 / 0.5
        (1.75, 0.0),  # the zero point
        (3.0, 0.0),
    ],
)
def test_lower_better_miss_rate(actual: float, expected: float) -> None:
    assert lower_better(actual, **MISSES) == pytest.approx(expected, abs=1e-9)


def test_lower_better_defaults() -> None:
    # no floor: 1.2 × target = 0.6; no stretch: 100 at and below the target
    assert lower_better(0.6, None, 0.5, None) == 60.0
    assert lower_better(0.55, None, 0.5, None) == pytest.approx(80.0)
    assert lower_better(0.1, None, 0.5, None) == 100.0


@pytest.mark.parametrize(
    ("actual", "target", "direction", "expected"),
    [
        (90, 100, "higher", 90.0),
        (100, 100, "higher", 100.0),
        (115, 100, "higher", 115.0),
        (150, 100, "higher", 120.0),  # capped
        (-20, 100, "higher", 0.0),  # a loss against a profit target: 0
        (0, 100, "higher", 0.0),
        (8, 8, "lower", 100.0),  # 员工流失率 8 % against 8 %
        (10, 8, "lower", 80.0),  # 8 / 10 × 100
        (4, 8, "lower", 120.0),  # 200 → capped
        (0, 3, "lower", 120.0),  # zero complaints: the cap, not 0
    ],
)
def test_ratio(actual: float, target: float, direction: str, expected: float) -> None:
    assert ratio(actual, target, direction) == pytest.approx(expected)


def test_pass_fail() -> None:
    assert pass_fail(True) == 100.0
    assert pass_fail(False) == 0.0
    assert pass_fail(None) is None


def test_rubric_default_levels() -> None:
    assert [rubric(level) for level in range(1, 6)] == [40.0, 60.0, 80.0, 100.0, 120.0]
    assert rubric(None) is None


def test_rubric_hr_mapping() -> None:
    stricter = {1: 0, 2: 50, 3: 70, 4: 90, 5: 110}
    assert rubric(3, stricter) == 70.0
    assert rubric(5, stricter) == 110.0


@pytest.mark.parametrize(
    ("count", "step", "expected"),
    [(0, 10, 100.0), (1, 10, 90.0), (3, 10, 70.0), (10, 10, 0.0), (12, 10, 0.0), (2, 2.5, 95.0)],
)
def test_deduction(count: float, step: float, expected: float) -> None:
    assert deduction(count, step) == expected


def test_values_as_the_database_returns_them() -> None:
    # DuckDB DECIMAL columns come back as Decimal, a DOUBLE level as 3.0
    assert linear(Decimal("180"), Decimal("160"), Decimal("200"), Decimal("240")) == 80.0
    assert rubric(3.0) == 80.0  # type: ignore[arg-type]


def test_deduction_other_base() -> None:
    assert deduction(2, 5, base=120) == 110.0


@pytest.mark.parametrize(("given", "expected"), [(85, 85.0), (0, 0.0), (120, 120.0), (130, 120.0), (-5, 0.0)])
def test_manual_is_clamped(given: float, expected: float) -> None:
    assert manual(given) == expected


def test_manual_refuses_nan_and_infinity() -> None:
    with pytest.raises(ScoringError, match="有限"):
        manual(float("nan"))
    with pytest.raises(ScoringError, match="有限"):
        manual(float("inf"))


def test_missing_inputs_give_none() -> None:
    assert linear(None, 160, 200, 240) is None
    assert lower_better(None, 1.0, 0.5, 0.3) is None
    assert ratio(None, 100, "higher") is None
    assert deduction(None, 10) is None
    assert manual(None) is None
    assert score_item("linear", "higher", target=200, floor=160) is None
    assert score_item("rubric", None) is None


# ---------------------------------------------------------------------------------------------------
# Refusals, in Chinese
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: linear(170, 200, 200, 240), "目标值与底线相同，无法计算线性得分"),
        (lambda: linear(170, 220, 200, 240), "底线（220）应低于目标值（200）"),
        (lambda: linear(170, 160, 200, 200), "挑战值与目标值相同"),
        (lambda: linear(170, 160, 200, 180), "挑战值（180）应高于目标值（200）"),
        (lambda: linear(170, 160, None, 240), "缺少目标值"),
        (lambda: linear(0, None, 0, None), "目标值为 0 时无法推算默认底线"),
        (lambda: linear("95%", 160, 200, 240), "实际值必须是数字"),
        (lambda: linear(float("nan"), 160, 200, 240), "实际值必须是有限的数字"),
        (lambda: lower_better(0.7, 0.5, 0.5, 0.3), "目标值与底线相同"),
        (lambda: lower_better(0.7, 0.4, 0.5, 0.3), "底线（0.4）应高于目标值（0.5）"),
        (lambda: lower_better(0.7, 1.0, 0.5, 0.6), "挑战值（0.6）应低于目标值（0.5）"),
        (lambda: ratio(5, 0, "higher"), "目标值必须大于 0"),
        (lambda: ratio(5, 100, "sideways"), "方向"),
        (lambda: ratio(-1, 100, "lower"), "不能为负数"),
        (lambda: pass_fail("yes"), "达标制"),  # type: ignore[arg-type]
        (lambda: rubric(6), "等级 6 不在可选等级"),
        (lambda: rubric(2.5), "等级必须是整数"),  # type: ignore[arg-type]
        (lambda: rubric(3, {1: 80, 2: 60}), "低于较低等级"),
        (lambda: rubric(1, {1: 130}), "0–120"),
        (lambda: deduction(-1, 10), "次数不能为负数"),
        (lambda: deduction(1, -10), "每次扣分不能为负数"),
        (lambda: deduction(1, None), "缺少每次扣分"),  # type: ignore[arg-type]
        (lambda: score_item("bonus", "higher", 1, 1), "未知的计分方法「bonus」"),
        (lambda: score_item("lower_better", "higher", 0.4, 0.5, 1.0), "方向为「越高越好」"),
        (lambda: score_item("ratio", None, 90, 100), "方向"),
        (lambda: total_score([(50, 80), (40, 90)]), "各项权重之和应为 100，实际为 90.00"),
        (lambda: total_score([]), "各项权重之和应为 100"),
        (lambda: total_score([(110, 80), (-10, 90)]), "权重应为不小于 0"),
        (lambda: total_score([(100, 130)]), "得分应在 0–120 之间"),
        (lambda: total_score([(100,)]), "应为（权重, 得分）"),
        (lambda: grade(80, [("A", 70), ("B", 90)]), "从高到低"),
        (lambda: grade(80, []), "等级标准为空"),
    ],
)
def test_refusals_say_what_is_wrong(call, message: str) -> None:
    with pytest.raises(ScoringError, match=re.escape(message)) as caught:
        call()
    assert isinstance(caught.value, ValueError)


# ---------------------------------------------------------------------------------------------------
# The dispatcher, the total and the grade
# ---------------------------------------------------------------------------------------------------


def test_score_item_dispatches_every_method() -> None:
    assert score_item("linear", "higher", 220, 200, 160, 240) == pytest.approx(110.0)
    assert score_item("linear", "lower", 0.8, 0.5, 1.0, 0.3) == pytest.approx(76.0)  # linear + lower = mirrored
    assert score_item("lower_better", "lower", 0.8, 0.5, 1.0, 0.3) == pytest.approx(76.0)
    assert score_item("lower_better", None, 1.2, 0.5, 1.0, 0.3) == pytest.approx(44.0)
    assert score_item("ratio", "higher", 90, 100) == pytest.approx(90.0)
    assert score_item("ratio", "lower", 10, 8) == pytest.approx(80.0)
    assert score_item("pass_fail", None, passed=True) == 100.0
    assert score_item("rubric", None, level=3) == 80.0
    assert score_item("rubric", None, level=3, rubric_points={1: 20, 2: 40, 3: 70, 4: 100, 5: 110}) == 70.0
    assert score_item("deduction", "lower", count=3, step=10) == 70.0
    assert score_item("manual", None, manual_score=88.5) == 88.5


def test_every_method_has_a_formula_for_employees() -> None:
    assert set(scoring.FORMULAS) == set(scoring.METHODS)
    for method in scoring.METHODS:
        assert getattr(scoring, method).__doc__, method


def test_total_score_inspector() -> None:
    # 抽检 50 % at 110, 漏检率 30 % at 76, 团队协作 20 % at rubric 80: 55 + 22.8 + 16 = 93.8
    items = [(50, linear(220, **INSPECTIONS)), (30, lower_better(0.8, **MISSES)), (20, rubric(3))]
    assert total_score(items) == pytest.approx(93.8)
    assert grade(total_score(items)) == "A"


def test_total_score_waits_for_every_item() -> None:
    assert total_score([(60, 90.0), (40, None)]) is None


def test_total_score_tolerates_rounded_weights() -> None:
    assert total_score([(33.33, 90), (33.33, 90), (33.33, 90)]) == pytest.approx(90.0)


def test_weight_sum_tolerance_is_0_01() -> None:
    assert total_score([(50, 80), (50.01, 80)]) == pytest.approx(80.0)
    with pytest.raises(ScoringError, match=re.escape("实际为 100.02")):
        total_score([(50, 80), (50.02, 80)])
    with pytest.raises(ScoringError, match=re.escape("实际为 99.98")):
        total_score([(50, 80), (49.98, 80)])


@pytest.mark.parametrize(
    ("total", "expected"),
    [(120, "A"), (90, "A"), (89.99999999999999, "A"), (89.9, "B"), (70, "B"), (69.99, "C"), (0, "C")],
)
def test_grade_default_scale(total: float, expected: str) -> None:
    assert grade(total) == expected


def test_grade_hr_scale() -> None:
    five = [("S", 110), ("A", 95), ("B", 80), ("C", 60), ("D", 0)]
    assert [grade(t, five) for t in (115, 100, 85, 65, 10)] == ["S", "A", "B", "C", "D"]
    assert grade(None) is None


# ---------------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------------

values = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
gaps = st.floats(min_value=1e-3, max_value=1e5, allow_nan=False, allow_infinity=False)


@st.composite
def higher_anchors(draw: st.DrawFn) -> tuple[float, float, float | None]:
    """floor < target < stretch (stretch sometimes missing)."""
    target = draw(values)
    floor = target - draw(gaps)
    stretch = draw(st.none() | gaps.map(lambda g: target + g))
    assume(floor < target and (stretch is None or stretch > target))
    return floor, target, stretch


@given(higher_anchors(), values, values)
def test_linear_monotone_and_bounded(anchors: tuple[float, float, float | None], a: float, b: float) -> None:
    lo, hi = sorted((a, b))
    s_lo, s_hi = linear(lo, *anchors), linear(hi, *anchors)
    assert s_lo is not None and s_hi is not None
    assert 0.0 <= s_lo <= s_hi <= 120.0


@given(higher_anchors())
def test_linear_hits_its_anchors_exactly(anchors: tuple[float, float, float | None]) -> None:
    floor, target, stretch = anchors
    assert linear(floor, *anchors) == 60.0
    assert linear(target, *anchors) == 100.0
    if stretch is None:
        assert linear(target + abs(target) + 1.0, *anchors) == 100.0
    else:
        assert linear(stretch, *anchors) == 120.0


@given(higher_anchors())
def test_linear_is_zero_from_its_zero_point(anchors: tuple[float, float, float | None]) -> None:
    floor, target, _ = anchors
    zero_point = floor - 1.5 * (target - floor)
    assert linear(zero_point - 1e-6 * (target - floor), *anchors) == pytest.approx(0.0, abs=1e-6)
    assert linear(zero_point - (target - floor), *anchors) == 0.0


@given(higher_anchors(), values)
def test_linear_missing_floor_is_80_percent_of_target(anchors: tuple[float, float, float | None], a: float) -> None:
    _, target, stretch = anchors
    assume(target != 0)
    default_floor = target - 0.2 * abs(target)
    if default_floor == target:  # 20 % of a subnormal target is lost in floating point: no floor to assume
        with pytest.raises(ScoringError, match="太接近 0"):
            linear(a, None, target, stretch)
        return
    assert linear(a, None, target, stretch) == linear(a, default_floor, target, stretch)


def test_a_target_too_close_to_zero_for_a_default_floor_asks_for_one() -> None:
    with pytest.raises(ScoringError, match="请填写底线"):
        linear(1.0, None, 5e-324)
    assert linear(1.0, 0.0, 5e-324) == pytest.approx(120.0 if False else 100.0)


@given(higher_anchors())
def test_linear_has_no_cliff_at_the_floor(anchors: tuple[float, float, float | None]) -> None:
    floor, target, _ = anchors
    just_below = floor - 1e-9 * (target - floor)
    score = linear(just_below, *anchors)
    assert score is not None and 59.99 < score <= 60.0


@st.composite
def lower_anchors(draw: st.DrawFn) -> tuple[float, float, float | None]:
    """floor > target > stretch (stretch sometimes missing)."""
    target = draw(values)
    floor = target + draw(gaps)
    stretch = draw(st.none() | gaps.map(lambda g: target - g))
    assume(floor > target and (stretch is None or stretch < target))
    return floor, target, stretch


@given(lower_anchors(), values, values)
def test_lower_better_monotone_and_bounded(anchors: tuple[float, float, float | None], a: float, b: float) -> None:
    lo, hi = sorted((a, b))
    s_lo, s_hi = lower_better(lo, *anchors), lower_better(hi, *anchors)
    assert s_lo is not None and s_hi is not None
    assert 120.0 >= s_lo >= s_hi >= 0.0


@given(lower_anchors())
def test_lower_better_hits_its_anchors_exactly(anchors: tuple[float, float, float | None]) -> None:
    floor, target, stretch = anchors
    assert lower_better(floor, *anchors) == 60.0
    assert lower_better(target, *anchors) == 100.0
    if stretch is not None:
        assert lower_better(stretch, *anchors) == 120.0


@given(higher_anchors(), values)
def test_lower_better_mirrors_linear(anchors: tuple[float, float, float | None], a: float) -> None:
    floor, target, stretch = anchors
    mirrored = (-floor, -target, None if stretch is None else -stretch)
    assert lower_better(-a, *mirrored) == linear(a, *anchors)


positive = st.floats(min_value=1e-6, max_value=1e6, allow_nan=False, allow_infinity=False)
non_negative = st.floats(min_value=0.0, max_value=1e6, allow_nan=False, allow_infinity=False)


@given(non_negative, non_negative, positive, st.sampled_from(["higher", "lower"]))
def test_ratio_bounded_and_monotone(a: float, b: float, target: float, direction: str) -> None:
    lo, hi = sorted((a, b))
    s_lo, s_hi = ratio(lo, target, direction), ratio(hi, target, direction)
    assert s_lo is not None and s_hi is not None
    assert 0.0 <= s_lo <= 120.0 and 0.0 <= s_hi <= 120.0
    if direction == "higher":
        assert s_lo <= s_hi
    else:
        assert s_lo >= s_hi


@given(values, positive)
def test_ratio_higher_bounded_for_any_actual(a: float, target: float) -> None:
    score = ratio(a, target, "higher")
    assert score is not None and 0.0 <= score <= 120.0


counts = st.floats(min_value=0, max_value=1e4, allow_nan=False, allow_infinity=False)
steps = st.floats(min_value=0, max_value=100, allow_nan=False, allow_infinity=False)


@given(counts, counts, steps)
def test_deduction_non_increasing_and_non_negative(a: float, b: float, step: float) -> None:
    lo, hi = sorted((a, b))
    s_lo, s_hi = deduction(lo, step), deduction(hi, step)
    assert s_lo is not None and s_hi is not None
    assert 100.0 >= s_lo >= s_hi >= 0.0


@st.composite
def rubric_maps(draw: st.DrawFn) -> dict[int, float]:
    points = sorted(draw(st.lists(st.floats(min_value=0, max_value=120), min_size=5, max_size=5)))
    return dict(zip(range(1, 6), points, strict=True))


@given(st.none() | rubric_maps(), st.integers(1, 5), st.integers(1, 5))
def test_rubric_monotone_in_level(levels: dict[int, float] | None, a: int, b: int) -> None:
    mapping = DEFAULT_RUBRIC_POINTS if levels is None else levels
    lo, hi = sorted((a, b))
    s_lo, s_hi = rubric(lo, mapping), rubric(hi, mapping)
    assert s_lo is not None and s_hi is not None
    assert 0.0 <= s_lo <= s_hi <= 120.0


@given(st.floats(min_value=-1e3, max_value=1e3, allow_nan=False))
def test_manual_bounded(score: float) -> None:
    result = manual(score)
    assert result is not None and 0.0 <= result <= 120.0
    if 0 <= score <= 120:
        assert result == score


@st.composite
def weights_summing_to_100(draw: st.DrawFn) -> list[float]:
    """Two-decimal weights (as HR enters them) summing to exactly 100."""
    cents = draw(st.lists(st.integers(0, 10_000), min_size=1, max_size=12))
    assume(sum(cents) > 0)
    scaled = [c * 10_000 // sum(cents) for c in cents]
    scaled[-1] += 10_000 - sum(scaled)
    return [c / 100 for c in scaled]


scores = st.floats(min_value=0, max_value=120, allow_nan=False)


@given(weights_summing_to_100(), scores)
def test_total_of_equal_scores_is_that_score(weights: list[float], score: float) -> None:
    assert total_score([(w, score) for w in weights]) == pytest.approx(score, rel=1e-12, abs=1e-12)


@given(st.data(), weights_summing_to_100())
def test_total_is_between_the_lowest_and_highest_score(data: st.DataObject, weights: list[float]) -> None:
    item_scores = data.draw(st.lists(scores, min_size=len(weights), max_size=len(weights)))
    total = total_score(list(zip(weights, item_scores, strict=True)))
    assert total is not None
    assert min(item_scores) - 1e-9 <= total <= max(item_scores) + 1e-9
    expected = math.fsum(w * s for w, s in zip(weights, item_scores, strict=True)) / 100
    assert total == pytest.approx(expected, rel=1e-9, abs=1e-9)


RANK = {name: i for i, (name, _) in enumerate(DEFAULT_SCALE)}


@given(scores, scores)
def test_grade_monotone(a: float, b: float) -> None:
    lo, hi = sorted((a, b))
    g_lo, g_hi = grade(lo), grade(hi)
    assert g_lo is not None and g_hi is not None
    assert RANK[g_hi] <= RANK[g_lo]  # a higher total never gets a worse grade
