"""The appraisal cycle online (DESIGN.md §3 cycle tables, §4 stages, grades and distribution).

- **Opening** (:func:`open_cycle`): HR opens a quarterly, half-year or annual cycle for the whole company
  or for pilot departments (with their sub-departments). One appraisal per active employee in scope,
  its items copied from the position template version in force — on the day of opening, or on the
  period's first day when the cycle is opened ahead of it — with the KPI's method, direction, unit and
  rubric, so a later library change never rewrites an open cycle. Everything is set-based SQL in one
  transaction: 5,000 people open in well under a second (``bench/cycle.py``).
- **Stages**: the one table is :data:`core.stages.TRANSITIONS` (stage, role, action, next stage);
  :func:`act` resolves the acting user's role on the appraisal (employee, direct manager, HR), asks the
  table, adds the checks a stage needs to be complete (every item self-scored, every item rated, both
  parties checked in), and records the move in ``stage_events`` and the audit trail.
- **Scoring** (:func:`recompute`): objective items (linear, lower-better, ratio, deduction) are scored
  from the latest recorded actual dated inside the cycle's period; rubric, pass/fail and manual items
  from the manager's input. The total is the weighted sum (``core.scoring.total_score``), self scores
  are totalled beside it for the gap, and the grade follows HR's scale. Every save recomputes.
  Annual cycles combine the year's quarterly results with their own review by HR's weights.
- **Concurrency**: every save names the ``row_version`` it was based on; a save on a stale version is
  refused with :class:`Conflict` and writes nothing (the screen keeps the user's input).
- **Calibration**: per department, the grade distribution against HR's guideline (A ≤ 20 %, C ≥ 10 % by
  default) with quotas rounded by largest remainder; HR moves grades with a note (the pre-calibration
  grade stays in ``grade``); finalising a department that breaks the guideline needs an override reason.

Every read of an appraisal is scoped to the acting user here; every write is one transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from core import audit, scoring
from core.auth import User
from core.db import Cursor, Database, query_frame, register_frame, unregister_frame
from core.org import guard_read
from core.permissions import Forbidden, scope_of
from core.stages import (
    CALIBRATION,
    CLOSED,
    EMPLOYEE,
    GOALS,
    HR,
    MANAGER,
    MANAGER_RATING,
    MIDTERM,
    SELF_ASSESSMENT,
    SIGNOFF,
    STAGE_LABELS,
    STAGE_ORDER,
    TRANSITIONS,
    StageError,
    transition,
)

__all__ = ["TRANSITIONS", "Conflict", "CycleError", "StageError"]


class CycleError(ValueError):
    """A cycle operation that cannot be done; the message says, in Chinese, what is wrong and what to do."""


class Conflict(CycleError):
    """The appraisal changed since the caller read it (optimistic ``row_version``); nothing was written."""


KINDS: dict[str, str] = {"quarterly": "季度", "half_year": "半年度", "annual": "年度"}
PARTS: dict[str, int] = {"quarterly": 4, "half_year": 2, "annual": 1}
# stage -> the cycles column holding its due date
DUE_FIELDS: dict[str, str] = {
    GOALS: "goals_due",
    MIDTERM: "midterm_due",
    SELF_ASSESSMENT: "self_due",
    MANAGER_RATING: "manager_due",
    CALIBRATION: "calibration_due",
    SIGNOFF: "signoff_due",
}
OBJECTIVE_METHODS = ("linear", "lower_better", "ratio", "deduction")
JUDGED_METHODS = ("rubric", "pass_fail", "manual")
ACTUAL_SOURCES: dict[str, str] = {
    "manual": "主管录入",
    "hr": "HR 录入",
    "finance": "财务",
    "attendance": "考勤",
    "sales": "销售",
    "crm": "CRM",
    "demo": "演示数据",
}
SCALE_KEY = "grade_scale"
GUIDELINE_KEY = "grade_guideline"
DEFAULT_GUIDELINE: dict[str, float] = {"A_max": 20.0, "C_min": 10.0}
MAX_NOTE = 2000


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def _today() -> dt.date:
    return dt.date.today()


def _clean(text: object, label: str, *, required: bool = False) -> str | None:
    value = None if text is None else str(text).strip()
    if not value:
        if required:
            raise CycleError(f"请填写{label}")
        return None
    if len(value) > MAX_NOTE:
        raise CycleError(f"{label}不能超过 {MAX_NOTE} 字（现在 {len(value)} 字），请精简后再保存")
    return value


def _number(value: object, label: str) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise CycleError(f"{label}应为数字，收到的是「{value}」") from None
    if not math.isfinite(number):
        raise CycleError(f"{label}应为有限的数字，收到的是「{value}」")
    return number


def _require_user(user: User | None) -> User:
    if user is None:
        raise Forbidden("请先登录。")
    return user


def _require_hr(user: User | None) -> User:
    if user is None or not user.has("hr", "admin"):
        raise Forbidden("只有人力资源部可以进行这项操作。")
    return user


# -- periods and due dates -----------------------------------------------------------------------


def period_of(kind: str, year: int, part: int | None = None) -> tuple[str, dt.date, dt.date, str]:
    """(period key, first day, last day, Chinese name) of a cycle: 2026-Q4, 2026-H1, 2026."""
    if kind not in KINDS:
        raise CycleError(f"未知的周期类型「{kind}」，可选：" + "、".join(f"{k}（{v}）" for k, v in KINDS.items()))
    if not 2000 <= int(year) <= 2100:
        raise CycleError(f"年份「{year}」不在 2000–2100 之间")
    year = int(year)
    if kind == "annual":
        return str(year), dt.date(year, 1, 1), dt.date(year, 12, 31), f"{year}年度考核"
    count = PARTS[kind]
    if part is None or not 1 <= int(part) <= count:
        what = "季度（1–4）" if kind == "quarterly" else "半年（1 上半年，2 下半年）"
        raise CycleError(f"请选择{what}")
    part = int(part)
    months = 12 // count
    start = dt.date(year, (part - 1) * months + 1, 1)
    end_month = part * months
    end = (dt.date(year + (end_month == 12), end_month % 12 + 1, 1)) - dt.timedelta(days=1)
    if kind == "quarterly":
        return f"{year}-Q{part}", start, end, f"{year}年第{'一二三四'[part - 1]}季度考核"
    return f"{year}-H{part}", start, end, f"{year}年{'上下'[part - 1]}半年考核"


def default_due_dates(start: dt.date, end: dt.date) -> dict[str, dt.date]:
    """Due dates HR starts from: goals two weeks in, mid-term half way, then a week per stage after the end."""
    half = start + (end - start) / 2
    return {
        GOALS: start + dt.timedelta(days=14),
        MIDTERM: half,
        SELF_ASSESSMENT: end + dt.timedelta(days=7),
        MANAGER_RATING: end + dt.timedelta(days=14),
        CALIBRATION: end + dt.timedelta(days=21),
        SIGNOFF: end + dt.timedelta(days=28),
    }


def check_due_dates(due: Mapping[str, dt.date | None], start: dt.date) -> dict[str, dt.date]:
    """Every stage needs a due date, none before the period starts, each no earlier than the one before."""
    out: dict[str, dt.date] = {}
    previous: tuple[str, dt.date] | None = None
    for stage in DUE_FIELDS:
        day = due.get(stage)
        if day is None:
            raise CycleError(f"请填写「{STAGE_LABELS[stage]}」的截止日期")
        if isinstance(day, dt.datetime):
            day = day.date()
        if day < start:
            raise CycleError(f"「{STAGE_LABELS[stage]}」的截止日期 {day} 早于考核期开始日 {start}，请调整")
        if previous and day < previous[1]:
            raise CycleError(
                f"「{STAGE_LABELS[stage]}」的截止日期 {day} 早于上一阶段「{STAGE_LABELS[previous[0]]}」的 {previous[1]}，"
                "各阶段截止日期应按顺序排列"
            )
        out[stage] = day
        previous = (stage, day)
    return out


# -- HR settings: grade scale and distribution guideline -------------------------------------------


def _setting(db: Database | Cursor, key: str) -> Any:
    if isinstance(db, Database):
        raw = db.scalar("SELECT value FROM settings WHERE key = ?", [key])
    else:
        rows = db.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchall()
        raw = rows[0][0] if rows else None
    return json.loads(raw) if raw else None


def _put_setting(cur: Cursor, key: str, value: Any, actor: str) -> None:
    cur.execute("DELETE FROM settings WHERE key = ?", [key])
    cur.execute(
        "INSERT INTO settings (key, value, updated_by, updated_at) VALUES (?, ?, ?, ?)",
        [key, json.dumps(value, ensure_ascii=False), actor, _now()],
    )


def grade_scale(db: Database | Cursor) -> tuple[tuple[str, float], ...]:
    """HR's grade scale, best first: ((grade, minimum total), …); default A ≥ 90, B ≥ 70, C."""
    raw = _setting(db, SCALE_KEY)
    return tuple((str(g), float(m)) for g, m in raw) if raw else scoring.DEFAULT_SCALE


def set_grade_scale(db: Database, user: User, scale: Sequence[tuple[str, float]]) -> tuple[tuple[str, float], ...]:
    """HR sets the grade scale; it must be ordered best first with falling minimums. Audited."""
    _require_hr(user)
    cleaned = [(str(g).strip().upper(), _number(m, f"等级「{g}」的分数线")) for g, m in scale]
    if len(cleaned) < 2 or any(not g for g, _ in cleaned) or len({g for g, _ in cleaned}) != len(cleaned):
        raise CycleError("等级标准至少要有两个等级，等级名称不能为空或重复")
    try:
        scoring.grade(None, cleaned)  # type: ignore[arg-type]
    except scoring.ScoringError as err:
        raise CycleError(str(err)) from None
    with db.transaction() as cur:
        _put_setting(cur, SCALE_KEY, cleaned, user.username)
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
        [[*_OPEN_STAGES, CALIBRATION]],
    ).fetchall()
    changed = [(scoring.grade(score, scale), a) for a, score, grade in rows if scoring.grade(score, scale) != grade]
    for new_grade, appraisal_id in changed:
        cur.execute("UPDATE appraisals SET grade = ? WHERE appraisal_id = ?", [new_grade, appraisal_id])
    return len(changed)


def guideline(db: Database | Cursor) -> dict[str, float]:
    """HR's distribution guideline per department: {"A_max": percent, "C_min": percent}."""
    raw = _setting(db, GUIDELINE_KEY)
    return {**DEFAULT_GUIDELINE, **(raw or {})}


def set_guideline(db: Database, user: User, a_max: object, c_min: object) -> dict[str, float]:
    """HR sets the guideline: A at most ``a_max`` %, C at least ``c_min`` % of each department. Audited."""
    _require_hr(user)
    a = _number(a_max, "A 等比例上限")
    c = _number(c_min, "C 等比例下限")
    if a is None or c is None:
        raise CycleError("请填写 A 等比例上限和 C 等比例下限")
    if not (0 <= a <= 100 and 0 <= c <= 100) or a + c > 100:
        raise CycleError(f"比例应在 0–100 之间，且两者之和不超过 100（现在 A ≤ {a:g}%，C ≥ {c:g}%）")
    value = {"A_max": a, "C_min": c}
    with db.transaction() as cur:
        _put_setting(cur, GUIDELINE_KEY, value, user.username)
        audit.record(cur, user.username, "guideline_update", "settings", GUIDELINE_KEY, value)
    return value


def largest_remainder(total: int, shares: Sequence[float]) -> list[int]:
    """Split ``total`` seats by ``shares`` (any positive scale) with the largest-remainder (Hare) method.

    Ties between equal remainders go to the larger share, then to the earlier one, so the result is
    deterministic; the seats always sum to ``total``.
    """
    if total < 0:
        raise ValueError("total must be ≥ 0")
    weight = math.fsum(shares)
    if total == 0 or weight <= 0:
        return [0] * len(shares)
    exact = [total * s / weight for s in shares]
    seats = [math.floor(x + 1e-9) for x in exact]
    order = sorted(range(len(shares)), key=lambda i: (-(exact[i] - seats[i]), -shares[i], i))
    for i in order[: total - sum(seats)]:
        seats[i] += 1
    return seats


def quotas(n: int, rules: Mapping[str, float] | None = None) -> dict[str, int]:
    """A department of ``n`` people: the most who may get A and the fewest who must get C, the guideline's
    shares (A_max / rest / C_min) rounded to whole people by largest remainder."""
    g = {**DEFAULT_GUIDELINE, **(rules or {})}
    a, b, c = largest_remainder(n, [g["A_max"], 100.0 - g["A_max"] - g["C_min"], g["C_min"]])
    return {"A_max": a, "B": b, "C_min": c}


def breaches(counts: Mapping[str, int], quota: Mapping[str, int], scale: Sequence[tuple[str, float]]) -> list[str]:
    """The guideline breaches of one department's grade counts, in words (empty when inside it).
    The best grade of the scale is held to A_max, the lowest to C_min."""
    top, bottom = scale[0][0], scale[-1][0]
    out = []
    if counts.get(top, 0) > quota["A_max"]:
        out.append(f"{top} 等 {counts.get(top, 0)} 人，超过上限 {quota['A_max']} 人")
    if counts.get(bottom, 0) < quota["C_min"]:
        out.append(f"{bottom} 等 {counts.get(bottom, 0)} 人，少于下限 {quota['C_min']} 人")
    return out


# -- opening a cycle --------------------------------------------------------------------------------


@dataclass
class OpenReport:
    """What opening a cycle did: the cycle, how many appraisals and items, and who was left out and why."""

    cycle_id: str
    name: str
    appraisals: int
    items: int
    template_date: dt.date
    skipped: list[dict[str, str]] = field(default_factory=list)


def _scope_departments(cur: Cursor, dept_ids: Sequence[str]) -> list[str]:
    """The chosen departments and all their sub-departments."""
    rows = cur.execute(
        "WITH RECURSIVE d(dept_id, depth) AS (SELECT dept_id, 0 FROM departments WHERE list_contains(?::VARCHAR[], dept_id)"
        " UNION ALL SELECT c.dept_id, d.depth + 1 FROM departments c JOIN d ON c.parent_id = d.dept_id WHERE d.depth < 20)"
        " SELECT DISTINCT dept_id FROM d",
        [list(dept_ids)],
    ).fetchall()
    return [r[0] for r in rows]


def _new_cycle_id(cur: Cursor, period: str) -> str:
    base = f"C-{period}"
    taken = {r[0] for r in cur.execute("SELECT cycle_id FROM cycles WHERE cycle_id LIKE ?", [base + "%"]).fetchall()}
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def check_annual_weights(weights: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """An annual cycle's weights: {"quarters": {"Q1": w, …}, "review": w}, each ≥ 0, summing to 100."""
    if weights is None:
        return None
    quarters = {q: _number(weights.get("quarters", {}).get(q), f"{q} 权重") or 0.0 for q in ("Q1", "Q2", "Q3", "Q4")}
    review = _number(weights.get("review"), "年度评议权重") or 0.0
    if any(w < 0 for w in (*quarters.values(), review)):
        raise CycleError("年度结果的各项权重不能为负数")
    total = math.fsum([*quarters.values(), review])
    if abs(total - 100) > 0.01:
        raise CycleError(f"年度结果的权重（四个季度与年度评议）之和应为 100，现在是 {total:g}")
    return {"quarters": quarters, "review": review}


def open_cycle(
    db: Database,
    user: User | None,
    *,
    kind: str,
    year: int,
    part: int | None = None,
    name: str | None = None,
    due: Mapping[str, dt.date | None] | None = None,
    dept_ids: Sequence[str] | None = None,
    annual_weights: Mapping[str, Any] | None = None,
    today: dt.date | None = None,
) -> OpenReport:
    """HR opens a cycle: one appraisal per active employee in scope, items from the template in force.

    ``dept_ids`` None or empty means the whole company; otherwise a pilot of those departments and their
    sub-departments. People left out are reported with the reason: no position, no template for the
    position, no direct manager, or already in another app cycle of the same period. One transaction.
    """
    user = _require_hr(user)
    period, start, end, default_name = period_of(kind, year, part)
    dues = check_due_dates(due or default_due_dates(start, end), start)
    weights = check_annual_weights(annual_weights) if kind == "annual" else None
    title = _clean(name, "周期名称") or default_name
    today = today or _today()
    template_date = max(today, start)
    opened_at = _now()
    with db.transaction() as cur:
        pilot = sorted(set(dept_ids or ()))
        if pilot:
            known = {r[0] for r in cur.execute("SELECT dept_id FROM departments").fetchall()}
            unknown = [d for d in pilot if d not in known]
            if unknown:
                raise CycleError(f"试点部门不存在：{'、'.join(unknown)}，请重新选择")
            scope_depts: list[str] | None = _scope_departments(cur, pilot)
        else:
            scope_depts = None
        cycle_id = _new_cycle_id(cur, period)
        cur.execute(
            "INSERT INTO cycles (cycle_id, name, kind, period, period_start, period_end, goals_due, midterm_due,"
            " self_due, manager_due, calibration_due, signoff_due, status, origin, scope, opened_at, opened_by,"
            " annual_weights, template_date) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', 'app', ?, ?, ?, ?, ?)",
            [cycle_id, title, kind, period, start, end, *(dues[s] for s in DUE_FIELDS),
             "pilot" if pilot else "all", opened_at, user.username,
             json.dumps(weights, ensure_ascii=False) if weights else None, template_date],
        )  # fmt: skip
        for d in pilot:
            cur.execute("INSERT INTO cycle_departments VALUES (?, ?)", [cycle_id, d])
        candidates = query_frame(
            cur,
            """
            WITH tv AS (
                SELECT position_id, version, row_number() OVER (
                    PARTITION BY position_id ORDER BY valid_from DESC, version DESC) AS rn
                FROM template_versions WHERE valid_from <= $day
            ), busy AS (
                SELECT a.employee_id, min(c.name) AS other FROM appraisals a JOIN cycles c USING (cycle_id)
                WHERE c.origin = 'app' AND c.period = $period AND c.cycle_id <> $cycle GROUP BY a.employee_id
            )
            SELECT e.employee_id, e.name, e.dept_id, e.position_id, e.manager_id, p.name AS position,
                   tv.version AS template_version, busy.other,
                   (SELECT count(*) FROM position_kpis pk WHERE pk.position_id = e.position_id
                        AND pk.version = tv.version) AS n_items
            FROM employees e
            LEFT JOIN positions p ON p.position_id = e.position_id
            LEFT JOIN tv ON tv.position_id = e.position_id AND tv.rn = 1
            LEFT JOIN busy ON busy.employee_id = e.employee_id
            WHERE e.status = 'active' AND (e.hire_date IS NULL OR e.hire_date <= $end)
              AND (e.leave_date IS NULL OR e.leave_date >= $start)
              AND ($depts::VARCHAR[] IS NULL OR list_contains($depts::VARCHAR[], e.dept_id))
            ORDER BY e.employee_id
            """,
            {"day": template_date, "period": period, "cycle": cycle_id, "end": end, "start": start,
             "depts": scope_depts},
        )  # fmt: skip
        reasons = (
            pl.when(pl.col("position_id").is_null())
            .then(pl.lit("花名册中没有岗位"))
            .when(pl.col("template_version").is_null() | (pl.col("n_items") == 0))
            .then(pl.format("岗位「{}」在 {} 没有在用的考核模板", pl.col("position").fill_null(pl.col("position_id")), pl.lit(str(template_date))))
            .when(pl.col("manager_id").is_null())
            .then(pl.lit("没有直属上级，无法评定（请在花名册中补充上级）"))
            .when(pl.col("other").is_not_null())
            .then(pl.format("已在同期的考核周期「{}」中", pl.col("other")))
        )  # fmt: skip
        candidates = candidates.with_columns(reason=reasons)
        skipped = candidates.filter(pl.col("reason").is_not_null())
        chosen = candidates.filter(pl.col("reason").is_null()).select(
            pl.format("{}:{}", pl.lit(cycle_id), pl.col("employee_id")).alias("appraisal_id"),
            pl.lit(cycle_id).alias("cycle_id"),
            "employee_id", "manager_id", "dept_id", "position_id", "template_version",
        )  # fmt: skip
        if chosen.is_empty():
            raise CycleError(
                "范围内没有可以参加考核的在职员工"
                + (f"（{skipped.height} 人因缺少岗位模板、上级等原因未纳入，见明细）" if skipped.height else "")
                + "。请先在「岗位模板」中为岗位建立模板，或调整试点部门。"
            )
        register_frame(cur, "new_appraisals", chosen)
        try:
            cur.execute(
                "INSERT INTO appraisals (appraisal_id, cycle_id, employee_id, manager_id, dept_id, position_id, stage,"
                " template_version, stage_since, row_version, updated_by, updated_at)"
                " SELECT appraisal_id, cycle_id, employee_id, manager_id, dept_id, position_id, ?, template_version, ?,"
                " 0, ?, ? FROM new_appraisals",
                [GOALS, opened_at, user.username, opened_at],
            )
            cur.execute(
                """
                INSERT INTO appraisal_items (appraisal_id, kpi_id, seq, weight, floor, stretch, target_value, kpi_name,
                    category, unit, method, direction, data_source, rubric, deduction_step)
                SELECT a.appraisal_id, pk.kpi_id,
                       row_number() OVER (PARTITION BY a.appraisal_id ORDER BY pk.weight DESC, pk.kpi_id),
                       pk.weight, pk.floor, pk.stretch, pk.target, k.name, k.category, k.unit, k.method,
                       k.direction, k.data_source, k.rubric, k.deduction_step
                FROM new_appraisals a
                JOIN position_kpis pk ON pk.position_id = a.position_id AND pk.version = a.template_version
                LEFT JOIN kpis k ON k.kpi_id = pk.kpi_id
                """
            )
        finally:
            unregister_frame(cur, "new_appraisals")
        items = cur.execute(
            "SELECT count(*) FROM appraisal_items WHERE appraisal_id LIKE ?", [cycle_id + ":%"]
        ).fetchall()[0][0]
        _refresh_actuals(cur, cycle_id=cycle_id)
        _recompute(cur, cycle_id=cycle_id)
        skipped_rows = [
            {"employee_id": r["employee_id"], "name": r["name"], "reason": r["reason"]}
            for r in skipped.select("employee_id", "name", "reason").to_dicts()
        ]
        audit.record(
            cur, user.username, "cycle_open", "cycle", cycle_id,
            {"period": period, "scope": pilot or "all", "appraisals": chosen.height, "items": items,
             "skipped": len(skipped_rows), "template_date": str(template_date)},
        )  # fmt: skip
    return OpenReport(cycle_id, title, chosen.height, items, template_date, skipped_rows)


# -- actuals and scores -----------------------------------------------------------------------------

_OPEN_STAGES = (GOALS, MIDTERM, SELF_ASSESSMENT, MANAGER_RATING)


def _filter(cycle_id: str | None, appraisal_ids: Sequence[str] | None, alias: str = "a") -> tuple[str, list[Any]]:
    if appraisal_ids is not None:
        return f"list_contains(?::VARCHAR[], {alias}.appraisal_id)", [list(appraisal_ids)]
    if cycle_id is not None:
        return f"{alias}.cycle_id = ?", [cycle_id]
    return "true", []


def _refresh_actuals(cur: Cursor, *, cycle_id: str | None = None, appraisal_ids: Sequence[str] | None = None) -> None:
    """Set each open item's actual to the latest recorded value dated inside its cycle's period."""
    where, params = _filter(cycle_id, appraisal_ids)
    cur.execute(
        f"""
        UPDATE appraisal_items SET actual_value = x.value, actual_source = x.source, actual_as_of = x.as_of,
            actual = CAST(x.value AS VARCHAR), actual_batch_id = x.batch_id
        FROM (
            SELECT a.appraisal_id, ka.kpi_id, ka.value, ka.source, ka.as_of, ka.batch_id,
                   row_number() OVER (PARTITION BY a.appraisal_id, ka.kpi_id
                                      ORDER BY ka.as_of DESC, ka.recorded_at DESC) AS rn
            FROM appraisals a JOIN cycles c ON c.cycle_id = a.cycle_id
            JOIN kpi_actuals ka ON ka.employee_id = a.employee_id
                 AND ka.as_of BETWEEN c.period_start AND c.period_end
            WHERE c.origin = 'app' AND list_contains(?::VARCHAR[], a.stage) AND {where}
        ) x
        WHERE x.rn = 1 AND appraisal_items.appraisal_id = x.appraisal_id AND appraisal_items.kpi_id = x.kpi_id
        """,
        [list(_OPEN_STAGES), *params],
    )


def score_of(item: Mapping[str, Any]) -> float | None:
    """The score of one item (a row of ``appraisal_items``): from its actual for objective methods, from
    the manager's input for rubric, pass/fail and manual items; None while not scored (or mis-set)."""
    method = item.get("method")
    try:
        if method in OBJECTIVE_METHODS:
            actual = item.get("actual_value")
            if method == "deduction":
                return scoring.score_item("deduction", count=actual, step=item.get("deduction_step") or 10.0)
            return scoring.score_item(
                method, item.get("direction"), actual, item.get("target_value"), item.get("floor"), item.get("stretch")
            )
        value = item.get("manager_input")
        if method == "rubric":
            return scoring.score_item("rubric", level=None if value is None else round(value))
        if method == "pass_fail":
            return scoring.score_item("pass_fail", passed=None if value is None else value >= 1)
        if method == "manual" or method is None:
            return scoring.score_item("manual", manual_score=value)
    except scoring.ScoringError:
        return None
    return None


def preview(db: Database, items: pl.DataFrame, edits: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """What the items (rows of :data:`ITEM_COLUMNS`) would score with the manager's unsaved ``edits``
    applied (``manager_input`` / ``actual_value`` per kpi_id) — writes nothing. Returns ``scores`` (kpi_id →
    score or None), the weighted ``total`` (None while an item is unscored) and its ``grade``. An input
    that is not a number counts as missing here; saving says what is wrong with it."""
    scores: dict[str, float | None] = {}
    pairs = []
    for row in items.iter_rows(named=True):
        merged = dict(row)
        change = edits.get(row["kpi_id"], {})
        for column in ("manager_input", "actual_value"):
            if column in change and not (column == "actual_value" and change[column] is None):
                try:
                    merged[column] = _number(change[column], column)
                except CycleError:
                    merged[column] = None
        scores[row["kpi_id"]] = score_of(merged)
        pairs.append((row["weight"], scores[row["kpi_id"]]))
    total = _total(pairs)
    return {"scores": scores, "total": total, "grade": scoring.grade(total, grade_scale(db))}


def _total(pairs: Iterable[tuple[float, float | None]]) -> float | None:
    try:
        return scoring.total_score(pairs)
    except scoring.ScoringError:
        return None


def _recompute(cur: Cursor, *, cycle_id: str | None = None, appraisal_ids: Sequence[str] | None = None) -> int:
    """Recompute item scores, totals, self totals and grades of open app-cycle appraisals. Returns how many."""
    where, params = _filter(cycle_id, appraisal_ids)
    items = query_frame(
        cur,
        f"""
        SELECT i.appraisal_id, i.kpi_id, i.method, i.direction, i.weight, i.target_value, i.floor, i.stretch,
               i.actual_value, i.deduction_step, i.manager_input, i.self_score
        FROM appraisal_items i JOIN appraisals a ON a.appraisal_id = i.appraisal_id
        JOIN cycles c ON c.cycle_id = a.cycle_id
        WHERE c.origin = 'app' AND list_contains(?::VARCHAR[], a.stage) AND {where}
        """,
        [list(_OPEN_STAGES), *params],
    )
    if items.is_empty():
        return 0
    scores = [score_of(r) for r in items.iter_rows(named=True)]
    items = items.with_columns(item_score=pl.Series(scores, dtype=pl.Float64))
    scale = grade_scale(cur)
    totals = []
    for (appraisal_id,), group in items.group_by("appraisal_id"):
        weights = group.get_column("weight").to_list()
        total = _total(zip(weights, group.get_column("item_score").to_list(), strict=True))
        self_total = _total(zip(weights, group.get_column("self_score").to_list(), strict=True))
        totals.append((appraisal_id, total, self_total))
    frame = pl.DataFrame(
        totals, schema={"appraisal_id": pl.String, "total": pl.Float64, "self_total": pl.Float64}, orient="row"
    )
    frame = _annual(cur, frame)
    frame = frame.with_columns(
        grade=pl.Series([scoring.grade(x, scale) for x in frame.get_column("final").to_list()], dtype=pl.String)
    )
    register_frame(cur, "scored_items", items.select("appraisal_id", "kpi_id", "item_score"))
    register_frame(cur, "scored_totals", frame)
    try:
        cur.execute(
            "UPDATE appraisal_items SET item_score = s.item_score,"
            " manager_score = CASE WHEN appraisal_items.method IN ('rubric', 'pass_fail', 'manual')"
            " OR appraisal_items.method IS NULL THEN s.item_score ELSE NULL END"
            " FROM scored_items s WHERE appraisal_items.appraisal_id = s.appraisal_id AND appraisal_items.kpi_id = s.kpi_id"
        )
        cur.execute(
            "UPDATE appraisals SET manager_score = t.total, self_score = t.self_total, final_score = t.final,"
            " review_score = t.review, score_basis = t.basis, grade = t.grade"
            " FROM scored_totals t WHERE appraisals.appraisal_id = t.appraisal_id"
        )
    finally:
        unregister_frame(cur, "scored_items")
        unregister_frame(cur, "scored_totals")
    return frame.height


def _annual(cur: Cursor, frame: pl.DataFrame) -> pl.DataFrame:
    """Final scores: an item total as it is, or for annual cycles with weights, the weighted mix of the
    year's settled quarterly finals (calibrated, or of a closed cycle) and the annual review (the weights
    of missing quarters are spread over the rest, and ``score_basis`` names them)."""
    frame = frame.with_columns(final=pl.col("total"), review=pl.lit(None, pl.Float64), basis=pl.lit(None, pl.String))
    ids = frame.get_column("appraisal_id").to_list()
    annual = cur.execute(
        "SELECT a.appraisal_id, a.employee_id, c.period, c.annual_weights FROM appraisals a JOIN cycles c USING (cycle_id)"
        " WHERE c.kind = 'annual' AND c.annual_weights IS NOT NULL AND list_contains(?::VARCHAR[], a.appraisal_id)",
        [ids],
    ).fetchall()
    if not annual:
        return frame
    quarterly = {
        (r[0], r[1]): r[2]
        for r in cur.execute(
            "SELECT a.employee_id, c.period, max(a.final_score) FROM appraisals a JOIN cycles c USING (cycle_id)"
            " WHERE c.kind = 'quarterly' AND a.final_score IS NOT NULL AND list_contains(?::VARCHAR[], c.period)"
            # a quarter counts once it is settled: calibrated (in sign-off or closed) or in a closed cycle
            " AND (c.status = 'closed' OR a.stage IN ('signoff', 'closed'))"
            " GROUP BY ALL",
            [[f"{r[2]}-Q{q}" for r in annual for q in range(1, 5)]],
        ).fetchall()
    }
    totals = dict(zip(ids, frame.get_column("total").to_list(), strict=True))
    finals: dict[str, tuple[float | None, float | None, str]] = {}
    for appraisal_id, employee_id, year, raw in annual:
        weights = json.loads(raw)
        review = totals.get(appraisal_id)
        parts = [
            (f"Q{q}", weights["quarters"].get(f"Q{q}", 0.0), quarterly.get((employee_id, f"{year}-Q{q}")))
            for q in range(1, 5)
        ]
        parts.append(("年度评议", weights["review"], review))
        used = [(name, w, s) for name, w, s in parts if w > 0 and s is not None]
        missing = [name for name, w, s in parts if w > 0 and s is None]
        final = None
        if review is not None and used:
            final = math.fsum(w * s for _, w, s in used) / math.fsum(w for _, w, _ in used)
        basis = {"parts": [{"part": n, "weight": w, "score": s} for n, w, s in parts], "missing": missing}
        finals[appraisal_id] = (final, review, json.dumps(basis, ensure_ascii=False))
    return frame.with_columns(
        final=pl.Series([finals.get(i, (t, None, None))[0] for i, t in zip(ids, frame.get_column("total").to_list(), strict=True)], dtype=pl.Float64),
        review=pl.Series([finals.get(i, (None, None, None))[1] for i in ids], dtype=pl.Float64),
        basis=pl.Series([finals.get(i, (None, None, None))[2] for i in ids], dtype=pl.String),
    )  # fmt: skip


def recompute(db: Database, *, cycle_id: str | None = None, appraisal_ids: Sequence[str] | None = None) -> int:
    """Refresh actuals and recompute every score of the open appraisals of a cycle (or of the given ones)."""
    with db.transaction() as cur:
        _refresh_actuals(cur, cycle_id=cycle_id, appraisal_ids=appraisal_ids)
        return _recompute(cur, cycle_id=cycle_id, appraisal_ids=appraisal_ids)


def record_actual(
    db: Database,
    user: User | None,
    employee_id: str,
    kpi_id: str,
    value: object,
    *,
    as_of: dt.date | None = None,
    source: str = "manual",
    note: str | None = None,
) -> int:
    """Record a KPI actual for one person (their direct manager or HR); the person's open appraisals
    pick it up and rescore at once. Returns how many appraisals were rescored."""
    user = _require_user(user)
    number = _number(value, "实际值")
    if number is None:
        raise CycleError("请填写实际值")
    if source not in ACTUAL_SOURCES:
        raise CycleError(f"未知的数据来源「{source}」")
    scope = scope_of(db, user)
    if not scope.can_edit(employee_id):
        guard_read(db, user, employee_id, "record_actual")
        raise Forbidden("只有直属上级或人力资源部可以录入实际值。")
    day = as_of or _today()
    with db.transaction() as cur:
        known = cur.execute("SELECT 1 FROM kpis WHERE kpi_id = ?", [kpi_id]).fetchall()
        if not known:
            raise CycleError(f"指标「{kpi_id}」不在指标库中")
        cur.execute(
            "DELETE FROM kpi_actuals WHERE employee_id = ? AND kpi_id = ? AND as_of = ? AND source = ?",
            [employee_id, kpi_id, day, source],
        )
        cur.execute(
            "INSERT INTO kpi_actuals (employee_id, kpi_id, as_of, value, source, note, recorded_by, recorded_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [employee_id, kpi_id, day, number, source, _clean(note, "说明"), user.username, _now()],
        )
        ids = [
            r[0]
            for r in cur.execute(
                "SELECT a.appraisal_id FROM appraisals a JOIN cycles c USING (cycle_id) WHERE a.employee_id = ?"
                " AND c.origin = 'app' AND ? BETWEEN c.period_start AND c.period_end",
                [employee_id, day],
            ).fetchall()
        ]
        if ids:
            _refresh_actuals(cur, appraisal_ids=ids)
            _recompute(cur, appraisal_ids=ids)
        audit.record(
            cur, user.username, "actual_record", "employee", employee_id,
            {"kpi_id": kpi_id, "value": number, "as_of": str(day), "source": source},
        )  # fmt: skip
    return len(ids)


# -- reading appraisals ------------------------------------------------------------------------------


def roles_on(user: User | None, appraisal: Mapping[str, Any]) -> list[str]:
    """The stage-machine roles ``user`` holds on this appraisal: employee, manager (the direct manager
    it was opened with), hr."""
    if user is None:
        return []
    roles = []
    if user.employee_id and user.employee_id == appraisal.get("employee_id"):
        roles.append(EMPLOYEE)
    if user.employee_id and user.employee_id == appraisal.get("manager_id"):
        roles.append(MANAGER)
    if user.has("hr", "admin"):
        roles.append(HR)
    return roles


_HEADER_SQL = """
    SELECT a.appraisal_id, a.cycle_id, c.name AS cycle, c.kind, c.period, c.period_start, c.period_end,
           c.status AS cycle_status, a.employee_id, e.name AS employee, a.manager_id, m.name AS manager,
           a.dept_id, d.name AS department, a.position_id, p.name AS position, a.stage, a.stage_since,
           a.template_version, a.self_score, a.manager_score, a.final_score, a.review_score, a.score_basis,
           a.grade, a.calibrated_grade, a.calibration_note, a.row_version, a.updated_by, a.updated_at,
           c.goals_due, c.midterm_due, c.self_due, c.manager_due, c.calibration_due, c.signoff_due
    FROM appraisals a JOIN cycles c ON c.cycle_id = a.cycle_id
    LEFT JOIN employees e ON e.employee_id = a.employee_id
    LEFT JOIN employees m ON m.employee_id = a.manager_id
    LEFT JOIN departments d ON d.dept_id = a.dept_id
    LEFT JOIN positions p ON p.position_id = a.position_id
"""

ITEM_COLUMNS = (
    "seq", "kpi_id", "kpi_name", "category", "unit", "method", "direction", "data_source", "rubric", "weight",
    "target_value", "floor", "stretch", "proposed_target", "goal_note", "actual_value", "actual_source",
    "actual_as_of", "self_score", "self_comment", "manager_input", "manager_score", "item_score", "manager_comment",
    "deduction_step",
)  # fmt: skip


def _header(db: Database | Cursor, appraisal_id: str) -> dict[str, Any] | None:
    if isinstance(db, Database):
        return db.one(_HEADER_SQL + " WHERE a.appraisal_id = ?", [appraisal_id])
    cur = db.execute(_HEADER_SQL + " WHERE a.appraisal_id = ?", [appraisal_id])
    rows = cur.fetchall()
    return dict(zip([d[0] for d in cur.description], rows[0], strict=True)) if rows else None


def due_of(header: Mapping[str, Any], stage: str | None = None) -> dt.date | None:
    """The due date of ``stage`` (default: the appraisal's current stage) in its cycle."""
    column = DUE_FIELDS.get(stage or header["stage"])
    return header.get(column) if column else None


def _guarded_header(db: Database, user: User | None, appraisal_id: str) -> dict[str, Any]:
    header = _header(db, appraisal_id)
    guard_read(db, user, header["employee_id"] if header else f"appraisal:{appraisal_id}", "read_appraisal")
    assert header is not None
    return header


def appraisal(db: Database, user: User | None, appraisal_id: str, *, audit_read: bool = True) -> dict[str, Any]:
    """One appraisal with its items (``items``: a Polars frame of :data:`ITEM_COLUMNS`), check-ins,
    stage events, the roles the user holds on it and the actions open to them. Forbidden outside scope;
    the read is audited."""
    header = _guarded_header(db, user, appraisal_id)
    assert user is not None
    header["items"] = db.frame(
        f"SELECT {', '.join(ITEM_COLUMNS)} FROM appraisal_items WHERE appraisal_id = ? ORDER BY seq, kpi_id",
        [appraisal_id],
    )
    header["checkins"] = db.frame(
        "SELECT c.ts AS at, c.author, c.role, coalesce(i.kpi_name, c.kpi_id) AS kpi, c.note, c.progress FROM checkins c"
        " LEFT JOIN appraisal_items i ON i.appraisal_id = c.appraisal_id AND i.kpi_id = c.kpi_id"
        " WHERE c.appraisal_id = ? ORDER BY c.seq",
        [appraisal_id],
    )
    header["events"] = db.frame(
        "SELECT ts AS at, actor, role, action, from_stage, to_stage, comment FROM stage_events WHERE appraisal_id = ?"
        " ORDER BY seq",
        [appraisal_id],
    )
    header["roles"] = roles_on(user, header)
    header["actions"] = sorted(
        {t.action for t in TRANSITIONS if t.stage == header["stage"] and t.role in header["roles"]}
    )
    header["due"] = due_of(header)
    if audit_read:
        audit.log(
            db, user.username, "read_appraisal", "appraisal", appraisal_id, {"employee_id": header["employee_id"]}
        )
    return header


def progress(db: Database, user: User | None, appraisal_id: str) -> pl.DataFrame:
    """An appraisal's items with the actual so far against target, attainment and the score it gives now,
    where the actual came from (a code of :data:`ACTUAL_SOURCES`) and the formula of each method — at any
    stage. Forbidden outside scope."""
    _guarded_header(db, user, appraisal_id)
    items = db.frame(
        "SELECT kpi_name AS kpi, category, unit, method, direction, weight, target_value AS target, actual_value AS actual,"
        " actual_as_of AS as_of, actual_source AS source, item_score AS score FROM appraisal_items"
        " WHERE appraisal_id = ? ORDER BY seq",
        [appraisal_id],
    )
    attainment = [
        _attainment(r["actual"], r["target"], r["direction"], r["method"]) for r in items.iter_rows(named=True)
    ]
    return items.with_columns(
        share_attained=pl.Series(attainment, dtype=pl.Float64),
        formula=pl.col("method").replace(dict(scoring.FORMULAS)),
    )


def _attainment(actual: float | None, target: float | None, direction: str | None, method: str | None) -> float | None:
    if actual is None or not target or method not in ("linear", "lower_better", "ratio"):
        return None
    if direction == "lower" or method == "lower_better":
        return target / actual if actual else None
    return actual / target


def my_appraisals(db: Database, user: User | None, *, open_only: bool = True) -> pl.DataFrame:
    """The user's own appraisals in app cycles (newest first)."""
    if user is None or not user.employee_id:
        return pl.DataFrame()
    return db.frame(
        "SELECT a.appraisal_id, c.name AS cycle, c.period, a.stage, a.final_score, a.grade, a.calibrated_grade"
        " FROM appraisals a JOIN cycles c USING (cycle_id) WHERE c.origin = 'app' AND a.employee_id = ?"
        + (" AND c.status = 'open'" if open_only else "")
        + " ORDER BY c.period_start DESC, a.appraisal_id",
        [user.employee_id],
    )


def team(db: Database, user: User | None, *, cycle_id: str | None = None, stage: str | None = None) -> pl.DataFrame:
    """The user's direct reports' appraisals in open app cycles (HR: everyone), with stage, due date,
    self total, score and grade. Columns include ``row_version`` for saves."""
    if user is None:
        return pl.DataFrame()
    conditions = ["c.origin = 'app'", "c.status = 'open'"]
    params: list[Any] = []
    if not user.has("hr", "admin"):
        if not user.employee_id:
            return pl.DataFrame()
        conditions.append("a.manager_id = ?")
        params.append(user.employee_id)
    if cycle_id:
        conditions.append("a.cycle_id = ?")
        params.append(cycle_id)
    if stage:
        conditions.append("a.stage = ?")
        params.append(stage)
    frame = db.frame(
        f"""
        SELECT a.appraisal_id, a.cycle_id, c.name AS cycle, a.employee_id, e.name AS employee, a.dept_id,
               d.name AS department, a.manager_id,
               p.name AS position, a.stage,
               CASE a.stage WHEN 'goals' THEN c.goals_due WHEN 'midterm' THEN c.midterm_due
                    WHEN 'self_assessment' THEN c.self_due WHEN 'manager_rating' THEN c.manager_due
                    WHEN 'calibration' THEN c.calibration_due WHEN 'signoff' THEN c.signoff_due END AS due,
               a.self_score, a.final_score, a.grade, a.calibrated_grade, a.row_version
        FROM appraisals a JOIN cycles c ON c.cycle_id = a.cycle_id
        LEFT JOIN employees e ON e.employee_id = a.employee_id
        LEFT JOIN departments d ON d.dept_id = a.dept_id
        LEFT JOIN positions p ON p.position_id = a.position_id
        WHERE {" AND ".join(conditions)}
        ORDER BY c.period_start DESC, d.name, a.employee_id
        """,
        params,
    )
    return frame


# -- writes -----------------------------------------------------------------------------------------


def _lock(cur: Cursor, user: User, appraisal_id: str, version: int | None) -> dict[str, Any]:
    """The appraisal's header inside the write transaction; :class:`Conflict` when ``version`` is stale."""
    header = _header(cur, appraisal_id)
    if header is None:
        raise CycleError(f"考核「{appraisal_id}」不存在，可能已被删除，请刷新页面")
    if header["kind"] and header["cycle_status"] != "open":
        raise CycleError(f"考核周期「{header['cycle']}」已关闭，不能再修改")
    if version is not None and int(version) != int(header["row_version"]):
        who = header["updated_by"] or "他人"
        when = header["updated_at"].strftime("%Y-%m-%d %H:%M:%S") if header["updated_at"] else ""
        raise Conflict(
            f"保存未成功：这份考核已被 {who} 于 {when} 修改（你基于第 {version} 版编辑，现在是第 {header['row_version']} 版）。"
            "你的输入仍保留在表单中，请刷新查看对方的改动后再保存。"
        )
    return header


def _role_for(user: User, header: Mapping[str, Any], action: str) -> str:
    """The role in which ``user`` performs ``action`` here; StageError/Forbidden explain a refusal."""
    roles = roles_on(user, header)
    if not roles:
        raise Forbidden("你不是这份考核的员工本人、直属上级或 HR，不能操作。")
    for role in roles:
        if any(t.stage == header["stage"] and t.role == role and t.action == action for t in TRANSITIONS):
            return role
    transition(header["stage"], roles[0], action, comment="-")  # raises the table's Chinese reason
    raise StageError("不允许的操作")  # pragma: no cover - transition always raises here


def _touch(cur: Cursor, user: User, appraisal_id: str, *, stage: str | None = None, now: dt.datetime) -> None:
    if stage is None:
        cur.execute(
            "UPDATE appraisals SET row_version = row_version + 1, updated_by = ?, updated_at = ? WHERE appraisal_id = ?",
            [user.username, now, appraisal_id],
        )
    else:
        cur.execute(
            "UPDATE appraisals SET row_version = row_version + 1, updated_by = ?, updated_at = ?, stage = ?,"
            " stage_since = ? WHERE appraisal_id = ?",
            [user.username, now, stage, now, appraisal_id],
        )


def _event(cur: Cursor, appraisal_id: str, now: dt.datetime, actor: str, role: str, action: str,
           from_stage: str, to_stage: str, comment: str | None) -> None:  # fmt: skip
    seq = cur.execute(
        "SELECT coalesce(max(seq), 0) + 1 FROM stage_events WHERE appraisal_id = ?", [appraisal_id]
    ).fetchall()[0][0]
    cur.execute(
        "INSERT INTO stage_events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [appraisal_id, seq, now, actor, role, action, from_stage, to_stage, comment],
    )


def _items(cur: Cursor, appraisal_id: str) -> dict[str, dict[str, Any]]:
    frame = query_frame(
        cur, f"SELECT {', '.join(ITEM_COLUMNS)} FROM appraisal_items WHERE appraisal_id = ?", [appraisal_id]
    )
    return {r["kpi_id"]: r for r in frame.iter_rows(named=True)}


def _unknown_items(edits: Mapping[str, Any], items: Mapping[str, Any]) -> None:
    unknown = [k for k in edits if k not in items]
    if unknown:
        raise CycleError(f"这份考核没有指标：{'、'.join(unknown)}，请刷新页面后再保存")


def _step(
    cur: Cursor,
    user: User,
    header: Mapping[str, Any],
    action: str,
    comment: str | None,
    now: dt.datetime,
    role: str | None = None,
) -> str:
    """Perform one row of the stage table (as ``role``, else the role ``user`` holds for ``action``);
    returns the stage after it."""
    role = role or _role_for(user, header, action)
    target = transition(header["stage"], role, action, comment=comment)
    moved = target != header["stage"]
    _touch(cur, user, header["appraisal_id"], stage=target if moved else None, now=now)
    _event(cur, header["appraisal_id"], now, user.username, role, action, header["stage"], target, comment)
    audit.record(
        cur, user.username, "stage_" + action, "appraisal", header["appraisal_id"],
        {"role": role, "from": header["stage"], "to": target, **({"comment": comment} if comment else {})},
    )  # fmt: skip
    return target


def save_goals(db: Database, user: User | None, appraisal_id: str, edits: Mapping[str, Mapping[str, Any]],
               *, version: int) -> int:  # fmt: skip
    """目标制定: the employee proposes a target and a note per item; the manager adjusts target, floor and
    stretch (weights stay the template's, changed only through the approval of ``core.kpi_changes``).
    ``edits`` maps kpi_id to the fields. Returns the new row_version."""
    user = _require_user(user)
    now = _now()
    with db.transaction() as cur:
        header = _lock(cur, user, appraisal_id, version)
        roles = roles_on(user, header)
        action = "adjust_goals" if MANAGER in roles and EMPLOYEE not in roles else "propose_goals"
        if EMPLOYEE not in roles and MANAGER not in roles:
            raise Forbidden("只有员工本人和直属上级可以制定目标。")
        items = _items(cur, appraisal_id)
        _unknown_items(edits, items)
        _step(cur, user, header, action, None, now)
        for kpi_id, change in edits.items():
            item = items[kpi_id]
            label = f"「{item['kpi_name'] or kpi_id}」"
            if action == "propose_goals":
                proposed = _number(change.get("proposed_target"), f"{label}的建议目标")
                note = _clean(change.get("goal_note"), f"{label}的目标说明")
                cur.execute(
                    "UPDATE appraisal_items SET proposed_target = ?, goal_note = ? WHERE appraisal_id = ? AND kpi_id = ?",
                    [proposed, note, appraisal_id, kpi_id],
                )
                continue
            target = _number(change.get("target_value", item["target_value"]), f"{label}的目标值")
            floor = _number(change.get("floor", item["floor"]), f"{label}的底线值")
            stretch = _number(change.get("stretch", item["stretch"]), f"{label}的挑战值")
            if item["method"] in OBJECTIVE_METHODS and item["method"] != "deduction":
                if target is None:
                    raise CycleError(f"{label}需要目标值")
                try:  # the settings are checked even without an actual
                    scoring.score_item(item["method"], item["direction"], None, target, floor, stretch)
                except scoring.ScoringError as err:
                    raise CycleError(f"{label}：{err}") from None
            cur.execute(
                "UPDATE appraisal_items SET target_value = ?, floor = ?, stretch = ? WHERE appraisal_id = ? AND kpi_id = ?",
                [target, floor, stretch, appraisal_id, kpi_id],
            )
        _recompute(cur, appraisal_ids=[appraisal_id])
    return version + 1


def add_checkin(db: Database, user: User | None, appraisal_id: str, note: str, *, progress: object = None,
                kpi_id: str | None = None) -> None:  # fmt: skip
    """中期回顾: a progress note by the employee or the manager (optionally on one item, with the percent
    of the goal reached). Check-ins append, so they never conflict."""
    user = _require_user(user)
    text = _clean(note, "沟通记录", required=True)
    pct = _number(progress, "进度")
    if pct is not None and not 0 <= pct <= 200:
        raise CycleError(f"进度应在 0–200% 之间（收到 {pct:g}）")
    now = _now()
    with db.transaction() as cur:
        header = _lock(cur, user, appraisal_id, None)
        if kpi_id is not None and kpi_id not in _items(cur, appraisal_id):
            raise CycleError(f"这份考核没有指标「{kpi_id}」")
        role = _role_for(user, header, "checkin")
        transition(header["stage"], role, "checkin")
        seq = cur.execute(
            "SELECT coalesce(max(seq), 0) + 1 FROM checkins WHERE appraisal_id = ?", [appraisal_id]
        ).fetchall()[0][0]
        cur.execute(
            "INSERT INTO checkins VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [appraisal_id, seq, now, user.username, role, kpi_id, text, pct],
        )
        _event(cur, appraisal_id, now, user.username, role, "checkin", header["stage"], header["stage"], None)
        _touch(cur, user, appraisal_id, now=now)
        audit.record(cur, user.username, "stage_checkin", "appraisal", appraisal_id, {"role": role, "kpi_id": kpi_id})


def _open_draft(
    cur: Cursor,
    user: User,
    appraisal_id: str,
    version: int,
    edits: Mapping[str, Any],
    *,
    role: str,
    stage: str,
    refused: str,
    what: str,
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The header and items of an appraisal whose ``role`` saves a draft in ``stage``, inside the write
    transaction: a stale version, another person (``refused``), another stage or an unknown item is refused."""
    header = _lock(cur, user, appraisal_id, version)
    if role not in roles_on(user, header):
        raise Forbidden(refused)
    if header["stage"] != stage:
        raise StageError(f"现在是「{STAGE_LABELS[header['stage']]}」阶段，不能保存{what}")
    items = _items(cur, appraisal_id)
    _unknown_items(edits, items)
    return header, items


def save_self(db: Database, user: User | None, appraisal_id: str, edits: Mapping[str, Mapping[str, Any]],
              *, version: int) -> int:  # fmt: skip
    """期末自评 draft: the employee's own score (0–120) and comment per item. Returns the new row_version."""
    user = _require_user(user)
    now = _now()
    with db.transaction() as cur:
        _, items = _open_draft(
            cur, user, appraisal_id, version, edits,
            role=EMPLOYEE, stage=SELF_ASSESSMENT, refused="只有员工本人可以自评。", what="自评",
        )  # fmt: skip
        for kpi_id, change in edits.items():
            label = f"「{items[kpi_id]['kpi_name'] or kpi_id}」"
            score = _number(change.get("self_score"), f"{label}的自评分")
            if score is not None and not 0 <= score <= scoring.MAX_SCORE:
                raise CycleError(f"{label}的自评分应在 0–120 之间（收到 {score:g}）")
            cur.execute(
                "UPDATE appraisal_items SET self_score = ?, self_comment = ? WHERE appraisal_id = ? AND kpi_id = ?",
                [score, _clean(change.get("self_comment"), f"{label}的自评说明"), appraisal_id, kpi_id],
            )
        _touch(cur, user, appraisal_id, now=now)
        _recompute(cur, appraisal_ids=[appraisal_id])
    return version + 1


def _judged_input(item: Mapping[str, Any], value: object, label: str) -> float | None:
    number = _number(value, label)
    if number is None:
        return None
    method = item["method"]
    if method == "rubric" and (number != int(number) or not 1 <= number <= 5):
        raise CycleError(f"{label}应为 1–5 级（收到 {number:g}）")
    if method == "pass_fail" and number not in (0, 1):
        raise CycleError(f"{label}应为 1（达标）或 0（未达标）（收到 {number:g}）")
    if method in ("manual", None) and not 0 <= number <= scoring.MAX_SCORE:
        raise CycleError(f"{label}应在 0–120 之间（收到 {number:g}）")
    return number


def save_rating(db: Database, user: User | None, appraisal_id: str, edits: Mapping[str, Mapping[str, Any]],
                *, version: int) -> int:  # fmt: skip
    """上级评定 draft: per item the manager's input for judged items (rubric level, pass 1/0, manual score),
    an actual for objective items that no feed supplied (recorded as 主管录入), and a comment.
    Returns the new row_version."""
    user = _require_user(user)
    now = _now()
    with db.transaction() as cur:
        header, items = _open_draft(
            cur, user, appraisal_id, version, edits,
            role=MANAGER, stage=MANAGER_RATING, refused="只有直属上级可以评分。", what="评分",
        )  # fmt: skip
        day = min(_today(), header["period_end"])
        for kpi_id, change in edits.items():
            item = items[kpi_id]
            label = f"「{item['kpi_name'] or kpi_id}」"
            comment = _clean(change.get("manager_comment"), f"{label}的评语")
            if item["method"] in OBJECTIVE_METHODS:
                actual = _number(change.get("actual_value"), f"{label}的实际值")
                if actual is not None and actual != item["actual_value"]:
                    cur.execute(
                        "DELETE FROM kpi_actuals WHERE employee_id = ? AND kpi_id = ? AND as_of = ? AND source = 'manual'",
                        [header["employee_id"], kpi_id, day],
                    )
                    cur.execute(
                        "INSERT INTO kpi_actuals (employee_id, kpi_id, as_of, value, source, note, recorded_by, recorded_at)"
                        " VALUES (?, ?, ?, ?, 'manual', ?, ?, ?)",
                        [header["employee_id"], kpi_id, day, actual, f"{appraisal_id} 评分时录入", user.username, now],
                    )
                cur.execute(
                    "UPDATE appraisal_items SET manager_comment = ? WHERE appraisal_id = ? AND kpi_id = ?",
                    [comment, appraisal_id, kpi_id],
                )
            else:
                value = _judged_input(item, change.get("manager_input"), f"{label}的评分")
                cur.execute(
                    "UPDATE appraisal_items SET manager_input = ?, manager_comment = ? WHERE appraisal_id = ? AND kpi_id = ?",
                    [value, comment, appraisal_id, kpi_id],
                )
        _touch(cur, user, appraisal_id, now=now)
        _refresh_actuals(cur, appraisal_ids=[appraisal_id])
        _recompute(cur, appraisal_ids=[appraisal_id])
    return version + 1


def _unfinished(cur: Cursor, appraisal_id: str, column: str) -> list[str]:
    return [
        r[0]
        for r in cur.execute(
            f"SELECT coalesce(kpi_name, kpi_id) FROM appraisal_items WHERE appraisal_id = ? AND {column} IS NULL ORDER BY seq",
            [appraisal_id],
        ).fetchall()
    ]


def act(db: Database, user: User | None, appraisal_id: str, action: str, *, version: int,
        comment: str | None = None) -> str:  # fmt: skip
    """Move an appraisal by one row of the stage table (approve goals, finish the mid-term review, submit
    the self-assessment or the rating, return one stage). Checks what the stage needs; returns the new stage."""
    user = _require_user(user)
    if action == "finalise_calibration":
        raise CycleError("校准按部门完成：请在「校准」页面选择部门后点「完成校准」")
    if action in ("sign", "object", "complete_signoff"):
        raise CycleError("签字确认在「签字确认」功能中进行")
    note = _clean(comment, "意见")
    now = _now()
    with db.transaction() as cur:
        header = _lock(cur, user, appraisal_id, version)
        role = _role_for(user, header, action)
        transition(header["stage"], role, action, comment=note)  # legal here at all, before what the stage needs
        if action == "finish_midterm":
            roles = set(
                cur.execute("SELECT DISTINCT role FROM checkins WHERE appraisal_id = ?", [appraisal_id]).fetchall()
            )
            missing = [label for role, label in ((EMPLOYEE, "员工"), (MANAGER, "直属上级")) if (role,) not in roles]
            if missing:
                raise CycleError(f"中期回顾需要员工和上级都做过进度沟通，{'、'.join(missing)}还没有沟通记录")
        if action == "submit_self":
            missing = _unfinished(cur, appraisal_id, "self_score")
            if missing:
                raise CycleError(f"还有 {len(missing)} 项没有自评：{'、'.join(missing)}。请全部打分后再提交")
        if action == "submit_rating":
            _refresh_actuals(cur, appraisal_ids=[appraisal_id])
            _recompute(cur, appraisal_ids=[appraisal_id])
            missing = _unfinished(cur, appraisal_id, "item_score")
            if missing:
                raise CycleError(
                    f"还有 {len(missing)} 项没有得分：{'、'.join(missing)}。"
                    "请为评级类指标打分，为没有数据来源的量化指标录入实际值后再提交"
                )
        target = _step(cur, user, header, action, note, now, role)
        if action == "approve_goals":  # the employee's proposals are settled by the approval
            cur.execute(
                "UPDATE appraisal_items SET proposed_target = NULL WHERE appraisal_id = ? AND proposed_target = target_value",
                [appraisal_id],
            )
    return target  # a stage move changes no score input: the saves and new actuals rescore


# -- calibration ------------------------------------------------------------------------------------


EFFECTIVE_GRADE = "coalesce(a.calibrated_grade, a.grade)"  # the grade after calibration where HR moved it


def distribution(db: Database, user: User | None, cycle_id: str) -> pl.DataFrame:
    """Per department of a cycle: people at or past calibration, grade counts before and after calibration,
    the guideline quotas and breaches, and whether the department is finalised. HR only."""
    _require_hr(user)
    scale = grade_scale(db)
    rules = guideline(db)
    grades = [g for g, _ in scale]
    rows = db.rows(
        f"""
        SELECT a.dept_id, d.name AS department, count(*) AS people,
               count(*) FILTER (WHERE a.stage = 'calibration') AS in_calibration,
               count(*) FILTER (WHERE list_contains(?::VARCHAR[], a.stage)) AS not_ready,
               count(*) FILTER (WHERE list_contains(['signoff', 'closed'], a.stage)) AS finalised,
               list(a.grade) FILTER (WHERE NOT list_contains(?::VARCHAR[], a.stage)) AS pre,
               list({EFFECTIVE_GRADE}) FILTER (WHERE NOT list_contains(?::VARCHAR[], a.stage)) AS post,
               count(*) FILTER (WHERE a.calibrated_grade IS NOT NULL AND a.calibrated_grade <> a.grade) AS moved
        FROM appraisals a LEFT JOIN departments d ON d.dept_id = a.dept_id
        WHERE a.cycle_id = ? GROUP BY ALL ORDER BY department
        """,
        [list(_OPEN_STAGES)] * 3 + [cycle_id],
    )
    out = []
    for r in rows:
        rated = len(r["post"] or [])
        quota = quotas(rated, rules)
        post = {g: (r["post"] or []).count(g) for g in grades}
        pre = {g: (r["pre"] or []).count(g) for g in grades}
        out.append(
            {
                "dept_id": r["dept_id"],
                "department": r["department"],
                "people": r["people"],
                "rated": rated,
                "in_calibration": r["in_calibration"],
                "not_ready": r["not_ready"],
                "finalised": r["finalised"],
                **{f"pre_{g}": pre[g] for g in grades},
                **{f"post_{g}": post[g] for g in grades},
                "moved": r["moved"],
                "quota_top": quota["A_max"],
                "quota_bottom": quota["C_min"],
                "breaches": "；".join(breaches(post, quota, scale)) or None,
            }
        )
    return pl.DataFrame(out) if out else pl.DataFrame()


def calibrate(db: Database, user: User | None, appraisal_id: str, grade: str, note: str, *, version: int) -> int:
    """HR moves one grade in 校准 with a mandatory note; the pre-calibration grade stays. Returns the new
    row_version."""
    user = _require_hr(user)
    text = _clean(note, "校准说明（每次调整等级都必须说明理由）", required=True)
    grades = [g for g, _ in grade_scale(db)]
    if grade not in grades:
        raise CycleError(f"等级「{grade}」不在等级标准中，可选：{'、'.join(grades)}")
    now = _now()
    with db.transaction() as cur:
        header = _lock(cur, user, appraisal_id, version)
        if header["stage"] != CALIBRATION:
            raise StageError(f"现在是「{STAGE_LABELS[header['stage']]}」阶段，只有「校准」阶段可以调整等级")
        before = header["calibrated_grade"] or header["grade"]
        if grade == before:
            raise CycleError(f"等级已经是 {grade}，没有变化；请选择要调整到的等级")
        seq = cur.execute(
            "SELECT coalesce(max(seq), 0) + 1 FROM calibration_changes WHERE appraisal_id = ?", [appraisal_id]
        ).fetchall()[0][0]
        cur.execute(
            "INSERT INTO calibration_changes VALUES (?, ?, ?, ?, ?, ?, ?)",
            [appraisal_id, seq, now, user.username, before, grade, text],
        )
        cur.execute(
            "UPDATE appraisals SET calibrated_grade = ?, calibration_note = ? WHERE appraisal_id = ?",
            [grade, text, appraisal_id],
        )
        _touch(cur, user, appraisal_id, now=now)
        audit.record(
            cur, user.username, "calibrate", "appraisal", appraisal_id, {"from": before, "to": grade, "note": text}
        )
    return version + 1


def finalise_department(db: Database, user: User | None, cycle_id: str, dept_id: str, *,
                        override_reason: str | None = None) -> int:  # fmt: skip
    """HR finalises one department's calibration: its appraisals in 校准 move to 签字确认. Refused while the
    department breaks the guideline, unless HR records why. Returns how many appraisals moved."""
    user = _require_hr(user)
    reason = _clean(override_reason, "例外理由")
    now = _now()
    with db.transaction() as cur:
        scale = grade_scale(cur)
        rules = guideline(cur)
        rows = cur.execute(
            f"SELECT a.appraisal_id, a.stage, {EFFECTIVE_GRADE}, a.row_version FROM appraisals a"
            " WHERE a.cycle_id = ? AND a.dept_id = ?",
            [cycle_id, dept_id],
        ).fetchall()
        ready = [r for r in rows if r[1] == CALIBRATION]
        if not ready:
            raise CycleError("这个部门没有处于「校准」阶段的考核，无需完成校准")
        rated = [r for r in rows if r[1] not in _OPEN_STAGES]
        counts = {g: sum(1 for r in rated if r[2] == g) for g, _ in scale}
        quota = quotas(len(rated), rules)
        broken = breaches(counts, quota, scale)
        if broken and not reason:
            raise CycleError(
                "该部门的等级分布不符合指引：" + "；".join(broken)
                + "。请调整等级，或填写例外理由后再完成校准。"
            )  # fmt: skip
        for appraisal_id, _stage, _grade, _version in ready:
            header = _header(cur, appraisal_id)
            assert header is not None
            _step(cur, user, header, "finalise_calibration", reason, now)
            cur.execute(
                "UPDATE appraisals SET calibrated_grade = coalesce(calibrated_grade, grade) WHERE appraisal_id = ?",
                [appraisal_id],
            )
        cur.execute(
            "INSERT INTO calibration_finals VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [cycle_id, dept_id, now, user.username, json.dumps(counts, ensure_ascii=False),
             json.dumps({"A_max": quota["A_max"], "C_min": quota["C_min"]}), "；".join(broken) or None,
             reason if broken else None],
        )  # fmt: skip
        audit.record(
            cur, user.username, "calibration_finalise", "cycle", cycle_id,
            {"dept_id": dept_id, "appraisals": len(ready), "counts": counts, "breaches": broken,
             **({"override_reason": reason} if broken else {})},
        )  # fmt: skip
    return len(ready)


# -- tasks and progress -----------------------------------------------------------------------------

# (stage, role) -> what waits for that role in that stage, and the screen where it is done
TASKS: dict[tuple[str, str], tuple[str, str]] = {
    (GOALS, EMPLOYEE): ("提出目标", "goals"),
    (GOALS, MANAGER): ("审批目标", "goals"),
    (MIDTERM, EMPLOYEE): ("中期进度沟通", "midterm"),
    (MIDTERM, MANAGER): ("中期进度沟通并结束中期回顾", "midterm"),
    (SELF_ASSESSMENT, EMPLOYEE): ("期末自评", "self_review"),
    (MANAGER_RATING, MANAGER): ("上级评分", "team_rating"),
    (SIGNOFF, EMPLOYEE): ("签字确认", "my_record"),
    (SIGNOFF, MANAGER): ("签字确认", "team_rating"),
}


def my_tasks(db: Database, user: User | None, *, today: dt.date | None = None) -> pl.DataFrame:
    """What waits for ``user`` in every open cycle: their own stage work, their direct reports', and for
    HR each department waiting for calibration. Columns: cycle, task, employee, stage, due, days_left,
    overdue, screen, appraisal_id."""
    today = today or _today()
    if user is None:
        return pl.DataFrame()
    rows: list[dict[str, Any]] = []
    if user.employee_id:
        found = db.rows(
            _HEADER_SQL + " WHERE c.status = 'open' AND c.origin = 'app' AND (a.employee_id = ? OR a.manager_id = ?)"
            " ORDER BY c.period_start, a.employee_id",
            [user.employee_id, user.employee_id],
        )
        done = _done_by(db, [r["appraisal_id"] for r in found])
        for r in found:
            for role in roles_on(user, r):
                task = TASKS.get((r["stage"], role))
                if task is None or (r["appraisal_id"], r["stage"], role) in done:
                    continue
                rows.append(
                    _task_row(
                        r["cycle"], task[0], r["employee"], r["stage"], due_of(r), today, task[1], r["appraisal_id"]
                    )
                )
    if user.has("hr", "admin"):
        for r in db.rows(
            "SELECT c.cycle_id, c.name AS cycle, c.calibration_due, d.name AS department, count(*) AS n"
            " FROM appraisals a JOIN cycles c USING (cycle_id) LEFT JOIN departments d ON d.dept_id = a.dept_id"
            " WHERE c.status = 'open' AND a.stage = 'calibration' GROUP BY ALL ORDER BY c.calibration_due, department"
        ):
            rows.append(
                _task_row(
                    r["cycle"],
                    f"校准（{r['n']} 人）",
                    r["department"],
                    CALIBRATION,
                    r["calibration_due"],
                    today,
                    "calibration",
                    None,
                )
            )
    if not rows:
        return pl.DataFrame()
    return pl.DataFrame(rows).sort("due", "cycle", nulls_last=True)


def _done_by(db: Database, appraisal_ids: list[str]) -> set[tuple[str, str, str]]:
    """(appraisal, stage, role) whose own part of a staying stage is done: goals proposed, a check-in made."""
    if not appraisal_ids:
        return set()
    rows = db.rows(
        "SELECT DISTINCT e.appraisal_id, e.from_stage, e.role FROM stage_events e JOIN appraisals a USING (appraisal_id)"
        " WHERE list_contains(?::VARCHAR[], e.appraisal_id) AND e.from_stage = a.stage"
        " AND e.ts >= a.stage_since AND ((e.action = 'propose_goals' AND e.role = 'employee') OR (e.action = 'checkin' AND e.role = 'employee'))",
        [appraisal_ids],
    )
    return {(r["appraisal_id"], r["from_stage"], r["role"]) for r in rows}


def _task_row(cycle: str, task: str, who: str | None, stage: str, due: dt.date | None, today: dt.date,
              screen: str, appraisal_id: str | None) -> dict[str, Any]:  # fmt: skip
    days = (due - today).days if due else None
    return {
        "cycle": cycle, "task": task, "employee": who, "stage": stage, "due": due, "days_left": days,
        "overdue": bool(days is not None and days < 0), "screen": screen, "appraisal_id": appraisal_id,
    }  # fmt: skip


def cycles(db: Database, user: User | None) -> pl.DataFrame:
    """App cycles with their scope and counts (HR: every cycle; others: cycles they take part in)."""
    if user is None:
        return pl.DataFrame()
    condition, params = "true", []
    if not user.has("hr", "admin", "executive"):
        condition = "c.cycle_id IN (SELECT cycle_id FROM appraisals WHERE employee_id = ? OR manager_id = ?)"
        params = [user.employee_id, user.employee_id]
    return db.frame(
        f"""
        SELECT c.cycle_id, c.name, c.kind, c.period, c.period_start, c.period_end, c.status, c.scope,
               (SELECT string_agg(d.name, '、' ORDER BY d.name) FROM cycle_departments cd JOIN departments d USING (dept_id)
                 WHERE cd.cycle_id = c.cycle_id) AS departments,
               c.opened_at, c.opened_by, (SELECT count(*) FROM appraisals a WHERE a.cycle_id = c.cycle_id) AS appraisals
        FROM cycles c WHERE c.origin = 'app' AND {condition}
        ORDER BY c.period_start DESC, c.cycle_id
        """,
        params,
    )


def cycle(db: Database, cycle_id: str) -> dict[str, Any] | None:
    """One cycle's row (dates, status, scope)."""
    return db.one("SELECT * FROM cycles WHERE cycle_id = ?", [cycle_id])


def cycle_progress(db: Database, user: User | None, cycle_id: str, *, today: dt.date | None = None) -> dict[str, Any]:
    """Per stage: how many appraisals reached it, are done with it, finished on time or late, and are still
    in it past its due date; and the cycle's lead time so far (days from opening to the last appraisal
    reaching 签字确认, or to today while any is still before it). HR and executives."""
    if user is None or not user.has("hr", "admin", "executive"):
        raise Forbidden("只有人力资源部和管理层可以查看周期进度。")
    today = today or _today()
    info = cycle(db, cycle_id)
    if info is None:
        raise CycleError(f"考核周期「{cycle_id}」不存在")
    stages = db.rows("SELECT stage, count(*) AS n FROM appraisals WHERE cycle_id = ? GROUP BY stage", [cycle_id])
    at_stage = {r["stage"]: r["n"] for r in stages}
    total = sum(at_stage.values())
    # when each appraisal last left each stage forwards
    left = db.rows(
        """
        SELECT e.from_stage AS stage, e.appraisal_id, a.stage AS current, max(e.ts) AS left_at
        FROM stage_events e JOIN appraisals a USING (appraisal_id)
        WHERE a.cycle_id = ? AND e.from_stage <> e.to_stage AND e.action <> 'return'
        GROUP BY ALL
        """,
        [cycle_id],
    )
    rows = []
    for stage in STAGE_ORDER[:-1]:
        index = STAGE_ORDER.index(stage)
        reached = sum(n for s, n in at_stage.items() if STAGE_ORDER.index(s) >= index)
        # left forwards and not returned to it (or before it) since
        done_rows = [r for r in left if r["stage"] == stage and STAGE_ORDER.index(r["current"]) > index]
        due = info.get(DUE_FIELDS[stage])
        now_in = at_stage.get(stage, 0)
        done = sum(n for s, n in at_stage.items() if STAGE_ORDER.index(s) > index)  # past it now
        on_time = sum(1 for r in done_rows if due is None or r["left_at"].date() <= due)
        late_done = len(done_rows) - on_time
        overdue = now_in if (due is not None and today > due) else 0
        rows.append(
            {"stage": stage, "due": due, "reached": reached, "in_stage": now_in, "done": done, "on_time": on_time,
             "late": late_done, "overdue": overdue,
             "share_on_time": (on_time / len(done_rows)) if done_rows else None}
        )  # fmt: skip
    opened = info.get("opened_at")
    reached_signoff = db.scalar(
        "SELECT max(e.ts) FROM stage_events e JOIN appraisals a USING (appraisal_id) WHERE a.cycle_id = ? AND e.to_stage = 'signoff'",
        [cycle_id],
    )
    all_there = total > 0 and all(STAGE_ORDER.index(s) >= STAGE_ORDER.index(SIGNOFF) for s in at_stage)
    now = _now()
    end = reached_signoff if (all_there and reached_signoff) else max(now, dt.datetime.combine(today, now.time()))
    lead = (end - opened).total_seconds() / 86400 if opened else None
    return {"stages": pl.DataFrame(rows), "appraisals": total, "lead_days": lead, "complete": all_there, "cycle": info}


def close_cycle(db: Database, user: User | None, cycle_id: str) -> None:
    """HR closes a cycle once every appraisal is closed (sign-off is the next issue's)."""
    user = _require_hr(user)
    with db.transaction() as cur:
        pending = cur.execute(
            "SELECT count(*) FROM appraisals WHERE cycle_id = ? AND stage <> ?", [cycle_id, CLOSED]
        ).fetchall()[0][0]
        if pending:
            raise CycleError(f"还有 {pending} 份考核没有关闭，不能关闭周期")
        cur.execute("UPDATE cycles SET status = 'closed' WHERE cycle_id = ?", [cycle_id])
        audit.record(cur, user.username, "cycle_close", "cycle", cycle_id, {})
