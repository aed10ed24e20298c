"""HR's numbers, changed in the screens without code (DESIGN.md §4): the grade scale, the distribution
guideline per department and the weight band of each KPI category. Stored as JSON in ``settings``;
every change is audited in its transaction.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from core import audit, clock, scoring
from core.auth import User
from core.db import Cursor, Database
from core.errors import CycleError, KpiError
from core.permissions import require_action
from core.values import number_input
from core.vocabulary import CALIBRATION, CATEGORIES, DEFAULT_GUIDELINE, DEFAULT_SCALE, OPEN_STAGES

SCALE_KEY = "grade_scale"
GUIDELINE_KEY = "grade_guideline"
BANDS_KEY = "category_bands"
DEFAULT_BANDS: Mapping[str, tuple[float, float]] = {
    "业绩类": (50.0, 70.0),
    "职能类": (10.0, 40.0),
    "行为类": (10.0, 30.0),
}
HR_ONLY = "只有人力资源部可以修改这项设置。"


def setting(db: Database | Cursor, key: str) -> Any:
    """The stored value of ``key`` (decoded JSON), or None."""
    if isinstance(db, Database):
        raw = db.scalar("SELECT value FROM settings WHERE key = ?", [key])
    else:
        rows = db.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchall()
        raw = rows[0][0] if rows else None
    return json.loads(raw) if raw else None


def put_setting(cur: Cursor, key: str, value: Any, actor: str) -> None:
    """Store ``value`` under ``key`` inside the caller's transaction."""
    cur.execute("DELETE FROM settings WHERE key = ?", [key])
    cur.execute(
        "INSERT INTO settings (key, value, updated_by, updated_at) VALUES (?, ?, ?, ?)",
        [key, json.dumps(value, ensure_ascii=False), actor, clock.now()],
    )


# -- grade scale ----------------------------------------------------------------------------------


def grade_scale(db: Database | Cursor) -> tuple[tuple[str, float], ...]:
    """HR's grade scale, best first: ((grade, minimum total), …); default A ≥ 90, B ≥ 70, C."""
    raw = setting(db, SCALE_KEY)
    return tuple((str(g), float(m)) for g, m in raw) if raw else DEFAULT_SCALE


def set_grade_scale(
    db: Database, user: User | None, scale: Sequence[tuple[str, float]]
) -> tuple[tuple[str, float], ...]:
    """HR sets the grade scale, ordered best first with falling minimums; the open appraisals not yet
    past 校准 are regraded in the same transaction. Audited."""
    user = require_action(user, "manage_settings", HR_ONLY)
    cleaned = [(str(g).strip().upper(), number_input(m, f"等级「{g}」的分数线")) for g, m in scale]
    if len(cleaned) < 2 or any(not g for g, _ in cleaned) or len({g for g, _ in cleaned}) != len(cleaned):
        raise CycleError("等级标准至少要有两个等级，等级名称不能为空或重复")
    try:
        scoring.grade(None, cleaned)  # type: ignore[arg-type]
    except scoring.ScoringError as err:
        raise CycleError(str(err)) from None
    with db.transaction() as cur:
        put_setting(cur, SCALE_KEY, cleaned, user.username)
        regraded = _regrade(cur, cleaned)  # type: ignore[arg-type]
        audit.record(
            cur, user.username, "grade_scale_update", "settings", SCALE_KEY, {"scale": cleaned, "regraded": regraded}
        )
    return grade_scale(db)


def _regrade(cur: Cursor, scale: Sequence[tuple[str, float]]) -> int:
    """Give every appraisal of an open app cycle not yet past 校准 the grade of its total on ``scale``
    (the pre-calibration grade; a calibrated grade HR already set stays). Returns how many changed."""
    rows = cur.execute(
        "SELECT a.appraisal_id, a.final_score, a.grade FROM appraisals a JOIN cycles c USING (cycle_id)"
        " WHERE c.origin = 'app' AND c.status = 'open' AND list_contains(?::VARCHAR[], a.stage)",
        [[*OPEN_STAGES, CALIBRATION]],
    ).fetchall()
    changed = [(scoring.grade(score, scale), a) for a, score, grade in rows if scoring.grade(score, scale) != grade]
    for new_grade, appraisal_id in changed:
        cur.execute("UPDATE appraisals SET grade = ? WHERE appraisal_id = ?", [new_grade, appraisal_id])
    return len(changed)


# -- distribution guideline -------------------------------------------------------------------------


def guideline(db: Database | Cursor) -> dict[str, float]:
    """HR's distribution guideline per department: {"A_max": percent, "C_min": percent}."""
    return {**DEFAULT_GUIDELINE, **(setting(db, GUIDELINE_KEY) or {})}


def set_guideline(db: Database, user: User | None, a_max: object, c_min: object) -> dict[str, float]:
    """HR sets the guideline: the best grade at most ``a_max`` %, the lowest at least ``c_min`` % of each
    department. Audited."""
    user = require_action(user, "manage_settings", HR_ONLY)
    a = number_input(a_max, "A 等比例上限")
    c = number_input(c_min, "C 等比例下限")
    if a is None or c is None:
        raise CycleError("请填写 A 等比例上限和 C 等比例下限")
    if not (0 <= a <= 100 and 0 <= c <= 100) or a + c > 100:
        raise CycleError(f"比例应在 0–100 之间，且两者之和不超过 100（现在 A ≤ {a:g}%，C ≥ {c:g}%）")
    value = {"A_max": a, "C_min": c}
    with db.transaction() as cur:
        put_setting(cur, GUIDELINE_KEY, value, user.username)
        audit.record(cur, user.username, "guideline_update", "settings", GUIDELINE_KEY, value)
    return value


# -- category weight bands --------------------------------------------------------------------------


def category_bands(db: Database | Cursor) -> dict[str, tuple[float, float]]:
    """HR's weight band per KPI category (percent of a template's 100), or the defaults."""
    stored = setting(db, BANDS_KEY)
    if not stored:
        return dict(DEFAULT_BANDS)
    return {c: (float(stored[c][0]), float(stored[c][1])) for c in CATEGORIES if c in stored}


def validate_bands(bands: Mapping[str, Any]) -> list[str]:
    """Every problem of a band setting as a Chinese sentence."""
    problems = []
    unknown = [c for c in bands if c not in CATEGORIES]
    if unknown:
        problems.append(f"未知的指标类别：{'、'.join(unknown)}。可选类别：{' / '.join(CATEGORIES)}。")
    lows = highs = 0.0
    for category in CATEGORIES:
        if category not in bands:
            problems.append(f"缺少{category}的权重区间：请填写下限和上限。")
            continue
        try:
            low, high = (float(x) for x in bands[category])
        except (TypeError, ValueError):
            problems.append(f"{category}的权重区间应为两个数（下限、上限）。")
            continue
        if not (0 <= low <= high <= 100):
            problems.append(
                f"{category}的权重区间 {low:g}–{high:g} 无效：下限和上限须在 0–100 之间，且下限不大于上限。"
            )
        lows += low
        highs += high
    if not problems and not (lows <= 100 <= highs):
        problems.append(
            f"各类别下限之和为 {lows:g}、上限之和为 {highs:g}：任何模板都无法同时满足（须下限之和 ≤ 100 ≤ 上限之和），请调整区间。"
        )
    return problems


def set_category_bands(db: Database, user: User | None, bands: Mapping[str, Any]) -> dict[str, tuple[float, float]]:
    """HR sets the category weight bands (audited in the same transaction)."""
    user = require_action(user, "manage_settings", "只有人力资源管理员可以修改指标类别的权重区间。")
    problems = validate_bands(bands)
    if problems:
        raise KpiError("".join(problems))
    clean = {c: [float(bands[c][0]), float(bands[c][1])] for c in CATEGORIES}
    before = category_bands(db)
    with db.transaction() as cur:
        put_setting(cur, BANDS_KEY, clean, user.username)
        audit.record(cur, user.username, "kpi_bands_update", "settings", BANDS_KEY,
                     {"before": {c: list(v) for c, v in before.items()}, "after": clean})  # fmt: skip
    return {c: (v[0], v[1]) for c, v in clean.items()}
