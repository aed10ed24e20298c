"""HR's numbers, changed in the screens without code (DESIGN.md §4): the grade scale, the distribution
guideline per department, the weight band of each KPI category and the company's name. Stored as JSON in ``settings``;
every change is audited in its transaction.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from core import audit, clock, scoring
from core.auth import User
from core.db import Cursor, Database
from core.errors import CycleError, KpiError, Text
from core.permissions import require_action
from core.values import number_input, text_input
from core.vocabulary import CALIBRATION, CATEGORIES, DEFAULT_GUIDELINE, DEFAULT_SCALE, OPEN_STAGES

SCALE_KEY = "grade_scale"
GUIDELINE_KEY = "grade_guideline"
BANDS_KEY = "category_bands"
COMPANY_KEY = "company_name"
#: the company's name until HR sets it (printed at the head of every sign-off PDF)
DEFAULT_COMPANY_NAME = "本公司"
DEFAULT_BANDS: Mapping[str, tuple[float, float]] = {
    "业绩类": (50.0, 70.0),
    "职能类": (10.0, 40.0),
    "行为类": (10.0, 30.0),
}
HR_ONLY = "perm.settings"
MAX_GRADE_NAME = 10  # characters of a grade's name (A, B+, 优秀 …)


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
    cleaned = [((text_input(g, Text("field.grade_name"), limit=MAX_GRADE_NAME, error=CycleError) or "").upper(),
                number_input(m, Text("field.grade_minimum", grade=g))) for g, m in scale]  # fmt: skip
    if len(cleaned) < 2 or any(not g for g, _ in cleaned) or len({g for g, _ in cleaned}) != len(cleaned):
        raise CycleError("settings.scale_too_short")
    try:
        scoring.grade(None, cleaned)  # type: ignore[arg-type]
    except scoring.ScoringError as err:
        raise CycleError(err.code, **err.params) from None
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
    a = number_input(a_max, Text("field.a_max"))
    c = number_input(c_min, Text("field.c_min"))
    if a is None or c is None:
        raise CycleError("settings.guideline_missing")
    if not (0 <= a <= 100 and 0 <= c <= 100) or a + c > 100:
        raise CycleError("settings.guideline_range", a=a, c=c)
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


def validate_bands(bands: Mapping[str, Any]) -> list[Text]:
    """Every problem of a band setting as a sentence (``settings.*``; its ``str`` is the Chinese)."""
    problems = []
    unknown = [c for c in bands if c not in CATEGORIES]
    if unknown:
        problems.append(Text("settings.unknown_categories", categories=unknown, choices=list(CATEGORIES)))
    lows = highs = 0.0
    for category in CATEGORIES:
        if category not in bands:
            problems.append(Text("settings.band_missing", category=category))
            continue
        try:
            low, high = (float(x) for x in bands[category])
        except (TypeError, ValueError):
            problems.append(Text("settings.band_not_numbers", category=category))
            continue
        if not (0 <= low <= high <= 100):
            problems.append(Text("settings.band_invalid", category=category, low=low, high=high))
        lows += low
        highs += high
    if not problems and not (lows <= 100 <= highs):
        problems.append(Text("settings.bands_unsatisfiable", lows=lows, highs=highs))
    return problems


def set_category_bands(db: Database, user: User | None, bands: Mapping[str, Any]) -> dict[str, tuple[float, float]]:
    """HR sets the category weight bands (audited in the same transaction)."""
    user = require_action(user, "manage_settings", "perm.category_bands")
    problems = validate_bands(bands)
    if problems:
        raise KpiError("kpi.problems", problems=problems)
    clean = {c: [float(bands[c][0]), float(bands[c][1])] for c in CATEGORIES}
    before = category_bands(db)
    with db.transaction() as cur:
        put_setting(cur, BANDS_KEY, clean, user.username)
        audit.record(cur, user.username, "kpi_bands_update", "settings", BANDS_KEY,
                     {"before": {c: list(v) for c, v in before.items()}, "after": clean})  # fmt: skip
    return {c: (v[0], v[1]) for c, v in clean.items()}


# -- the sign-off deadline (issue 12) ---------------------------------------------------------------

SIGNOFF_DAYS_KEY = "signoff_deadline_days"
SIGNOFF_RULE_KEY = "signoff_deadline_rule"
DEFAULT_SIGNOFF_DAYS = 7
MAX_SIGNOFF_DAYS = 90
OVERDUE, DEEMED = "overdue", "deemed"
#: what happens once the deadline passes: the result stays open and is listed as overdue, or the
#: missing confirmations are deemed given (printed as such on the PDF)
SIGNOFF_RULES = (OVERDUE, DEEMED)


def signoff_deadline(db: Database | Cursor) -> tuple[int, str]:
    """(days after calibration is finalised within which both parties confirm, the rule once they pass)."""
    days = setting(db, SIGNOFF_DAYS_KEY)
    rule = setting(db, SIGNOFF_RULE_KEY)
    return (int(days) if days is not None else DEFAULT_SIGNOFF_DAYS, rule if rule in SIGNOFF_RULES else OVERDUE)


def set_signoff_deadline(db: Database, user: User | None, days: object, rule: str) -> tuple[int, str]:
    """HR sets the confirmation deadline (1–90 days after calibration) and what happens after it. Audited."""
    user = require_action(user, "signoff_hr", "perm.signoff_settings")
    number = number_input(days, Text("field.deadline_days"))
    if number is None or number != int(number) or not 1 <= number <= MAX_SIGNOFF_DAYS:
        raise CycleError("settings.deadline_days", days=days, limit=MAX_SIGNOFF_DAYS)
    if rule not in SIGNOFF_RULES:
        raise CycleError("settings.deadline_rule", rule=rule)
    before = signoff_deadline(db)
    with db.transaction() as cur:
        put_setting(cur, SIGNOFF_DAYS_KEY, int(number), user.username)
        put_setting(cur, SIGNOFF_RULE_KEY, rule, user.username)
        audit.record(cur, user.username, "signoff_deadline_update", "settings", SIGNOFF_DAYS_KEY,
                     {"before": {"days": before[0], "rule": before[1]}, "after": {"days": int(number), "rule": rule}})  # fmt: skip
    return int(number), rule


# -- the company's name (sign-off PDF) ----------------------------------------------------------------


def company_name(db: Database | Cursor) -> str:
    """The company's name (setting ``company_name``, a JSON string; the heading of every sign-off PDF), or
    :data:`DEFAULT_COMPANY_NAME` while none is set."""
    stored = setting(db, COMPANY_KEY)
    return str(stored).strip() if isinstance(stored, str) and stored.strip() else DEFAULT_COMPANY_NAME


MAX_COMPANY_NAME = 60  # characters: the PDF's heading line


def set_company_name(db: Database, user: User | None, name: object) -> str:
    """HR sets the company's name printed on every sign-off PDF issued from now on. Audited."""
    user = require_action(user, "signoff_hr", "perm.signoff_settings")
    text = text_input(name, Text("field.company_name"), required=True, limit=MAX_COMPANY_NAME, error=CycleError)
    before = company_name(db)
    with db.transaction() as cur:
        put_setting(cur, COMPANY_KEY, text, user.username)
        audit.record(
            cur, user.username, "company_name_update", "settings", COMPANY_KEY, {"before": before, "after": text}
        )
    return text
