"""Item scoring: one pure function per scoring method, a dispatcher, the weighted total and the grade
(DESIGN.md §4 *Item scoring methods*, *Grades and distribution*).

Every method returns a score on the 0–100 scale, with results beyond the target reaching up to
:data:`MAX_SCORE` (120); ``None`` when the measured input (the actual, the level, the count, the
verdict, the rater's score) is missing — the item is then not scored yet. Invalid settings or inputs
raise :class:`ScoringError` (a ``ValueError``) with a coded message (``scoring.*``) saying what is wrong,
for the screens to show in their reader's language. Nothing here reads the database or rounds: callers round for display.

Documented choices (the anchors are HR's, per position template):

* **Below the floor** (``linear`` / ``lower_better``) the score keeps falling with the *same slope*
  as between floor and target (40 points per floor→target distance) and reaches 0 at
  ``floor − 1.5 × (target − floor)`` (mirrored for lower-better); below that it is 0. There is no
  cliff from 60 to 0 at the floor, so a result a hair under the floor scores a hair under 60.
* **Missing stretch**: the score rises to 100 at the target and stays at 100 above it (no bonus).
* **Missing floor**: ``floor = target − 20 % × |target|`` for higher-better (``0.8 × target`` for a
  positive target) and ``target + 20 % × |target|`` for lower-better (``1.2 × target``). A target of
  0 has no default floor: HR must enter one (or use ``deduction`` / ``pass_fail``).
* **Missing target** is a settings error (``ScoringError``), not a missing input; the settings are
  checked even while the actual is still missing, so a broken template shows up before anyone is scored.
* ``ratio`` with a zero actual for a lower-better KPI (e.g. zero complaints against a target of 3)
  scores the cap, 120 — the limit of ``target / actual`` — not 0, so the score stays monotone.
  A target ≤ 0 cannot be a ratio's anchor and raises ``ScoringError``.
* ``total_score`` divides by the weights' own sum (which is 100 ± 0.01) so that weights rounded to
  two decimals cost nobody a fraction of a point; for weights summing to exactly 100 this is
  ``Σ score × weight / 100``.
* ``grade`` compares with a 1e-9 tolerance, so a float sum such as 89.99999999999999 for someone
  who scored 90 on every item still gets the ``A`` band's 90.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from numbers import Integral, Real
from types import MappingProxyType
from typing import Any

from core.errors import CoreError, Text
from core.vocabulary import DEFAULT_SCALE, DIRECTIONS, METHODS, OBJECTIVE_METHODS

MAX_SCORE = 120.0
FLOOR_SCORE = 60.0
TARGET_SCORE = 100.0
#: below the floor the score reaches 0 this many floor→target distances beyond the floor
BELOW_FLOOR_SPAN = 1.5
#: a missing floor is this share of |target| on the worse side of the target
DEFAULT_FLOOR_GAP = 0.2
#: weights of a position's items must sum to 100 within this tolerance
WEIGHT_TOLERANCE = 0.01
GRADE_TOLERANCE = 1e-9

#: rubric level → points: 2 = floor (60), 4 = target met (100), 5 = stretch (120). HR may pass its own.
DEFAULT_RUBRIC_POINTS: Mapping[int, float] = MappingProxyType({1: 40.0, 2: 60.0, 3: 80.0, 4: 100.0, 5: 120.0})

#: the formula of each method as an employee reads it (the screens show it next to the score)
FORMULAS: Mapping[str, str] = MappingProxyType(
    {
        "linear": "越高越好：底线得60分，目标得100分，挑战值得120分，之间按直线计算；"
        "低于底线按同样斜率递减，至「底线 − 1.5 ×（目标 − 底线）」为0分；未设挑战值时最高100分",
        "lower_better": "越低越好：底线得60分，目标得100分，挑战值得120分，之间按直线计算；"
        "高于底线按同样斜率递减，至「底线 + 1.5 ×（底线 − 目标）」为0分；未设挑战值时最高100分",
        "ratio": "越高越好：实际 ÷ 目标 × 100；越低越好：目标 ÷ 实际 × 100；最高120分，最低0分",
        "pass_fail": "达标得100分，未达标得0分",
        "rubric": "按等级计分（默认）：1级40分、2级60分、3级80分、4级100分、5级120分",
        "deduction": "100 − 每次扣分 × 次数，最低0分",
        "manual": "评分人直接评分，0–120分",
    }
)


class ScoringError(CoreError):
    """An item cannot be scored as set up; the message says what is wrong."""


# ---------------------------------------------------------------------------------------------------
# Input checks
# ---------------------------------------------------------------------------------------------------


def _num(value: object, label: str, **label_params: object) -> float | None:
    """``value`` as a finite float, ``None`` for ``None``; anything else is a ScoringError naming the field
    ``label`` (a ``field.*`` code, rendered only when refused: this runs for every item scored)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Real | Decimal):
        raise ScoringError("scoring.not_a_number", label=Text(label, **label_params), value=value)
    number = float(value)
    if not math.isfinite(number):
        raise ScoringError("scoring.not_finite", label=Text(label, **label_params), value=value)
    return number


def _anchors(
    floor: object, target: object, stretch: object, *, higher: bool, method: str
) -> tuple[float, float, float | None]:
    """Checked (floor, target, stretch) in the method's own orientation; a missing floor defaulted."""
    t = _num(target, "field.target")
    if t is None:
        raise ScoringError("scoring.target_missing", method=method)
    f = _num(floor, "field.floor")
    s = _num(stretch, "field.stretch")
    better, worse = ("higher", "lower") if higher else ("lower", "higher")
    if f is None:
        if t == 0:
            raise ScoringError("scoring.zero_target_floor")
        gap = DEFAULT_FLOOR_GAP * abs(t)
        f = t - gap if higher else t + gap
        if f == t:  # a target so close to 0 that 20 % of it is lost in floating point
            raise ScoringError("scoring.target_near_zero", target=t)
    if f == t:
        raise ScoringError("scoring.floor_is_target", method=method)
    if (f > t) if higher else (f < t):
        raise ScoringError("scoring.floor_side", floor=f, side=worse, target=t)
    if s is not None:
        if s == t:
            raise ScoringError("scoring.stretch_is_target", target=t, method=method)
        if (s < t) if higher else (s > t):
            raise ScoringError("scoring.stretch_side", stretch=s, side=better, target=t)
    if not math.isfinite(t - f) or (s is not None and not math.isfinite(s - t)):
        raise ScoringError("scoring.anchors_too_far")
    return f, t, s


def _piecewise(a: float, f: float, t: float, s: float | None) -> float:
    """The higher-better piecewise line through (f, 60), (t, 100), (s, 120); f < t < s already checked.

    Each piece is computed from its own left anchor, so the anchors come out exactly (x / x == 1 in
    floating point) and the pieces meet without a step.
    """
    if a >= t:
        if s is None:
            return TARGET_SCORE
        if a >= s:
            return MAX_SCORE
        return TARGET_SCORE + (MAX_SCORE - TARGET_SCORE) * (a - t) / (s - t)
    if a >= f:
        return FLOOR_SCORE + (TARGET_SCORE - FLOOR_SCORE) * (a - f) / (t - f)
    # the floor→target slope continued: 60 points over BELOW_FLOOR_SPAN × (t − f)
    return max(0.0, FLOOR_SCORE - FLOOR_SCORE * (f - a) / (BELOW_FLOOR_SPAN * (t - f)))


# ---------------------------------------------------------------------------------------------------
# The methods
# ---------------------------------------------------------------------------------------------------


def linear(actual: float | None, floor: float | None, target: float, stretch: float | None = None) -> float | None:
    """Higher is better: floor → 60, target → 100, stretch → 120, straight lines between.

    ``floor ≤ a < target``: ``60 + 40 × (a − floor) / (target − floor)``;
    ``target ≤ a < stretch``: ``100 + 20 × (a − target) / (stretch − target)``; ``a ≥ stretch``: 120.
    Below the floor: ``60 − 40 × (floor − a) / (target − floor)``, 0 from
    ``floor − 1.5 × (target − floor)`` down. No stretch: 100 for every ``a ≥ target``.
    No floor: ``target − 0.2 × |target|``. Requires floor < target < stretch.
    """
    a = _num(actual, "field.actual")
    f, t, s = _anchors(floor, target, stretch, higher=True, method="linear")
    if a is None:
        return None
    return _piecewise(a, f, t, s)


def lower_better(
    actual: float | None, floor: float | None, target: float, stretch: float | None = None
) -> float | None:
    """Lower is better (the mirror of :func:`linear`): floor → 60, target → 100, stretch → 120.

    ``target < a ≤ floor``: ``60 + 40 × (floor − a) / (floor − target)``;
    ``stretch < a ≤ target``: ``100 + 20 × (target − a) / (target − stretch)``; ``a ≤ stretch``: 120.
    Above the floor: ``60 − 40 × (a − floor) / (floor − target)``, 0 from
    ``floor + 1.5 × (floor − target)`` up. No stretch: 100 for every ``a ≤ target``.
    No floor: ``target + 0.2 × |target|``. Requires floor > target > stretch
    (漏检率: floor 1.0 %, target 0.5 %, stretch 0.3 %).
    """
    a = _num(actual, "field.actual")
    f, t, s = _anchors(floor, target, stretch, higher=False, method="lower_better")
    if a is None:
        return None
    # negation is exact in floating point, so the mirrored anchors still hit 60 / 100 / 120 exactly
    return _piecewise(-a, -f, -t, None if s is None else -s)


def ratio(actual: float | None, target: float, direction: str = "higher") -> float | None:
    """Attainment ratio: ``actual / target × 100`` (higher) or ``target / actual × 100`` (lower).

    Capped at 120 and floored at 0. Lower-better with ``actual = 0`` scores 120 (the limit: nothing
    beats zero); a negative actual is refused for lower-better. Requires ``target > 0``.
    """
    d = _direction(direction, "ratio")
    a = _num(actual, "field.actual")
    t = _num(target, "field.target")
    if t is None:
        raise ScoringError("scoring.ratio_target_missing")
    if t <= 0:
        raise ScoringError("scoring.ratio_target_positive", target=t)
    if a is None:
        return None
    if d == "higher":
        value = a / t * 100.0
    else:
        if a < 0:
            raise ScoringError("scoring.ratio_negative_actual", actual=a)
        if a == 0:
            return MAX_SCORE
        value = t / a * 100.0
    return min(MAX_SCORE, max(0.0, value))


def pass_fail(passed: bool | None) -> float | None:
    """Pass / fail: 100 if passed, 0 if not."""
    if passed is None:
        return None
    if not isinstance(passed, bool):
        raise ScoringError("scoring.pass_fail_value", value=passed)
    return TARGET_SCORE if passed else 0.0


def rubric(level: int | None, levels: Mapping[int, float] = DEFAULT_RUBRIC_POINTS) -> float | None:
    """Anchored levels: the points HR set for the rated level.

    Default ``{1: 40, 2: 60, 3: 80, 4: 100, 5: 120}`` (2 = floor, 4 = target met, 5 = stretch).
    HR's mapping must give every level 0–120 points and never fewer points to a higher level.
    """
    _check_levels(levels)
    if level is None:
        return None
    # a level read from a DOUBLE column (3.0) is still level 3; 2.5 is not a level
    if isinstance(level, Real) and not isinstance(level, bool | Integral) and float(level).is_integer():
        level = int(level)
    if isinstance(level, bool) or not isinstance(level, Integral):
        raise ScoringError("scoring.level_not_integer", value=level)
    level = int(level)
    if level not in levels:
        raise ScoringError("scoring.unknown_level", level=level, levels=sorted(levels))
    return float(levels[level])


def _check_levels(levels: Mapping[int, float]) -> None:
    if not levels:
        raise ScoringError("scoring.no_levels")
    previous: float | None = None
    for key in sorted(levels):
        points = _num(levels[key], "field.level_points", level=key)
        if points is None or not 0.0 <= points <= MAX_SCORE:
            raise ScoringError("scoring.level_points_range", level=key, value=levels[key])
        if previous is not None and points < previous:
            raise ScoringError("scoring.level_points_order", level=key, points=points, previous=previous)
        previous = points


def deduction(count: float | None, step: float, base: float = 100.0) -> float | None:
    """Deduction: ``base − step × count`` (base 100 by default), never below 0.

    ``count`` (events such as 工资核算差错次数) and ``step`` (points per event) must be ≥ 0;
    ``base`` must be within 0–120.
    """
    c = _num(count, "field.count")
    st = _num(step, "field.deduction_step")
    b = _num(base, "field.base")
    if st is None:
        raise ScoringError("scoring.step_missing")
    if st < 0:
        raise ScoringError("scoring.step_negative", step=st)
    if b is None or not 0.0 <= b <= MAX_SCORE:
        raise ScoringError("scoring.base_range", value=base)
    if c is None:
        return None
    if c < 0:
        raise ScoringError("scoring.count_negative", count=c)
    return max(0.0, b - st * c)


def manual(score: float | None) -> float | None:
    """The rater's own score, clamped to 0–120; NaN and infinities are refused."""
    s = _num(score, "field.score")
    if s is None:
        return None
    return min(MAX_SCORE, max(0.0, s))


# ---------------------------------------------------------------------------------------------------
# Dispatch, total and grade
# ---------------------------------------------------------------------------------------------------


def _direction(direction: object, method: str) -> str:
    if direction not in DIRECTIONS:
        raise ScoringError("scoring.direction", scoring=method, value=direction)
    return str(direction)


def score_item(
    method: str,
    direction: str | None = None,
    actual: float | None = None,
    target: float | None = None,
    floor: float | None = None,
    stretch: float | None = None,
    *,
    level: int | None = None,
    count: float | None = None,
    step: float | None = None,
    passed: bool | None = None,
    manual_score: float | None = None,
    rubric_points: Mapping[int, float] | None = None,
) -> float | None:
    """Score one item by its method name; see each method for its formula.

    ``linear`` with direction ``lower`` is scored as ``lower_better``; ``lower_better`` with direction
    ``higher`` is a contradiction and refused. ``ratio`` needs a direction; the other methods ignore it.
    ``rubric`` uses ``rubric_points`` when given, else :data:`DEFAULT_RUBRIC_POINTS`.
    """
    if method == "linear":
        if direction == "lower":
            return lower_better(actual, floor, target, stretch)  # type: ignore[arg-type]
        if direction not in (None, "higher"):
            _direction(direction, "linear")
        return linear(actual, floor, target, stretch)  # type: ignore[arg-type]
    if method == "lower_better":
        if direction == "higher":
            raise ScoringError("scoring.lower_better_higher")
        if direction not in (None, "lower"):
            _direction(direction, "lower_better")
        return lower_better(actual, floor, target, stretch)  # type: ignore[arg-type]
    if method == "ratio":
        return ratio(actual, target, _direction(direction, "ratio"))  # type: ignore[arg-type]
    if method == "pass_fail":
        return pass_fail(passed)
    if method == "rubric":
        return rubric(level, DEFAULT_RUBRIC_POINTS if rubric_points is None else rubric_points)
    if method == "deduction":
        return deduction(count, step)  # type: ignore[arg-type]
    if method == "manual":
        return manual(manual_score)
    raise ScoringError("scoring.unknown_method", method=method, choices=list(METHODS))


def total_score(items: Iterable[tuple[float, float | None]]) -> float | None:
    """The weighted total: ``Σ score × weight / 100`` over the items' ``(weight, score)`` pairs.

    Weights must be ≥ 0 and sum to 100 (± 0.01); the sum is divided by the weights' own sum so a
    rounded weight costs nothing. ``None`` while any item has no score yet.
    """
    pairs = list(items)
    weights: list[float] = []
    scores: list[float | None] = []
    for i, pair in enumerate(pairs, start=1):
        try:
            raw_weight, raw_score = pair
        except (TypeError, ValueError):
            raise ScoringError("scoring.not_a_pair", index=i, value=pair) from None
        w = _num(raw_weight, "field.item_weight", index=i)
        if w is None or w < 0:
            raise ScoringError("scoring.weight_negative", index=i, value=raw_weight)
        s = _num(raw_score, "field.item_score", index=i)
        if s is not None and not 0.0 <= s <= MAX_SCORE:
            raise ScoringError("scoring.score_range", index=i, score=s)
        weights.append(w)
        scores.append(s)
    weight_sum = math.fsum(weights)
    # the tolerance is inclusive: 3 × 33.33 = 99.99 passes although 100 − 99.99 is 0.0100000000000051 in floats
    if abs(weight_sum - 100.0) > WEIGHT_TOLERANCE + 1e-9:
        raise ScoringError("scoring.weights_total", total=weight_sum)
    if any(s is None for s in scores):
        return None
    total = math.fsum(w * s for w, s in zip(weights, scores, strict=True) if s is not None) / weight_sum
    return min(MAX_SCORE, max(0.0, total))


def grade(total: float | None, scale: Sequence[tuple[str, float]] = DEFAULT_SCALE) -> str | None:
    """The grade of a total: the first ``(grade, min)`` of the scale with ``total ≥ min``.

    Default A ≥ 90, B ≥ 70, C below. The scale is ordered best first with strictly falling minimums;
    the last grade also takes any total below its minimum. ``None`` for a missing total.
    """
    bands = list(scale)
    if not bands:
        raise ScoringError("scoring.no_scale")
    previous: float | None = None
    for name, minimum in bands:
        m = _num(minimum, "field.grade_minimum", grade=name)
        if m is None:
            raise ScoringError("scoring.grade_minimum_missing", grade=name)
        if previous is not None and m >= previous:
            raise ScoringError("scoring.scale_order", grade=name, minimum=m)
        previous = m
    t = _num(total, "field.total")
    if t is None:
        return None
    for name, minimum in bands:
        if t + GRADE_TOLERANCE >= minimum:
            return name
    return bands[-1][0]


# ---------------------------------------------------------------------------------------------------
# One appraisal: its items' scores, the unsaved preview, the annual mix
# ---------------------------------------------------------------------------------------------------


def score_of(item: Mapping[str, Any]) -> float | None:
    """The score of one appraisal item (a row of ``appraisal_items``): from its actual for objective
    methods, from the manager's input for rubric, pass/fail and manual items; None while not scored or
    while its settings are broken."""
    method = item.get("method")
    try:
        if method in OBJECTIVE_METHODS:
            actual = item.get("actual_value")
            if method == "deduction":
                return score_item("deduction", count=actual, step=item.get("deduction_step") or 10.0)
            return score_item(
                method, item.get("direction"), actual, item.get("target_value"), item.get("floor"), item.get("stretch")
            )
        value = item.get("manager_input")
        if method == "rubric":
            return score_item("rubric", level=None if value is None else round(value))
        if method == "pass_fail":
            return score_item("pass_fail", passed=None if value is None else value >= 1)
        if method == "manual" or method is None:
            return score_item("manual", manual_score=value)
    except ScoringError:
        return None
    return None


def self_score_of(item: Mapping[str, Any]) -> float | None:
    """The employee's own score of an item on the 0–120 scale: a rubric item is self-rated on its 1–5
    levels like the manager rates it, every other item directly."""
    value = item.get("self_input")
    if value is None:
        return None
    if item.get("method") == "rubric":
        return rubric(round(value))
    return _num(value, "field.self_score")


def weighted_total(pairs: Iterable[tuple[float, float | None]]) -> float | None:
    """:func:`total_score`, None instead of an error for weights that do not sum to 100."""
    try:
        return total_score(pairs)
    except ScoringError:
        return None


def annual_mix(
    quarters: Mapping[str, float], review_weight: float, quarter_scores: Mapping[str, float | None],
    review: float | None,
) -> tuple[float | None, dict[str, Any]]:  # fmt: skip
    """An annual result: the weighted mix of the year's settled quarterly finals (``Q1``…``Q4``) and the
    annual review's own total, by HR's weights. The weights of missing quarters are spread over the rest
    (the basis names them); no result while the review itself is unscored. Returns (final, basis)."""
    parts = [(q, quarters.get(q, 0.0), quarter_scores.get(q)) for q in ("Q1", "Q2", "Q3", "Q4")]
    parts.append(("年度评议", review_weight, review))
    used = [(w, s) for _, w, s in parts if w > 0 and s is not None]
    missing = [name for name, w, s in parts if w > 0 and s is None]
    final = None
    if review is not None and used:
        final = math.fsum(w * s for w, s in used) / math.fsum(w for w, _ in used)
    basis = {"parts": [{"part": n, "weight": w, "score": s} for n, w, s in parts], "missing": missing}
    return final, basis


def preview(
    items: Iterable[Mapping[str, Any]], edits: Mapping[str, Mapping[str, Any]], scale: Sequence[tuple[str, float]]
) -> dict[str, Any]:
    """What appraisal items would score with a rater's unsaved ``edits`` applied (``manager_input`` /
    ``actual_value`` per kpi_id) on the grade ``scale``: ``scores`` (kpi_id → score or None), the weighted
    ``total`` (None while an item is unscored) and its ``grade``. An input that is not a number counts as
    missing here; saving says what is wrong with it."""
    scores: dict[str, float | None] = {}
    pairs = []
    for row in items:
        merged = dict(row)
        change = edits.get(row["kpi_id"], {})
        for column in ("manager_input", "actual_value"):
            if column in change and not (column == "actual_value" and change[column] is None):
                try:
                    merged[column] = _num(change[column], "field.actual" if column == "actual_value" else "field.score")
                except ScoringError:
                    merged[column] = None
        scores[row["kpi_id"]] = score_of(merged)
        pairs.append((row["weight"], scores[row["kpi_id"]]))
    total = weighted_total(pairs)
    return {"scores": scores, "total": total, "grade": grade(total, scale)}


def attainment(actual: float | None, target: float | None, direction: str | None, method: str | None) -> float | None:
    """The share of the target reached (1.0 = met) for linear, lower-better and ratio items; else None."""
    if actual is None or not target or method not in ("linear", "lower_better", "ratio"):
        return None
    if direction == "lower" or method == "lower_better":
        return target / actual if actual else None
    return actual / target
