"""Appraisal cycles (DESIGN.md §3 cycle tables, §4 stages): opening one, listing them, and a cycle's
progress per stage with its lead time.

Opening is set-based SQL in one transaction: one appraisal per active employee in scope (the whole
company or pilot departments with their sub-departments), its items copied from the position template
version in force — on the day of opening, or on the period's first day when the cycle is opened ahead of
it — with the KPI's method, direction, unit and rubric, so a later library change never rewrites an open
cycle. 5,000 people open in well under a second (``bench/cycle.py``).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from core import appraisal_scores, audit, clock
from core.auth import User
from core.db import Cursor, Database, query_frame, register_frame, unregister_frame
from core.errors import CycleError, Text
from core.periods import check_due_dates, default_due_dates, period_of
from core.permissions import cycle_filter, progress_departments, require_action
from core.values import number_input, text_input
from core.vocabulary import DUE_FIELDS, GOALS, SIGNOFF, STAGE_ORDER


@dataclass
class OpenReport:
    """What opening a cycle did: the cycle, how many appraisals and items, and who was left out and why."""

    cycle_id: str
    name: str
    appraisals: int
    items: int
    template_date: dt.date
    skipped: list[dict[str, str]] = field(default_factory=list)


def check_annual_weights(weights: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """An annual cycle's weights: {"quarters": {"Q1": w, …}, "review": w}, each ≥ 0, summing to 100."""
    if weights is None:
        return None
    quarters = {
        q: number_input(weights.get("quarters", {}).get(q), Text("field.quarter_weight", quarter=q)) or 0.0
        for q in ("Q1", "Q2", "Q3", "Q4")
    }
    review = number_input(weights.get("review"), Text("field.review_weight")) or 0.0
    if any(w < 0 for w in (*quarters.values(), review)):
        raise CycleError("cycle.negative_weight")
    total = math.fsum([*quarters.values(), review])
    if abs(total - 100) > 0.01:
        raise CycleError("cycle.weights_total", total=total)
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
    user = require_action(user, "open_cycle", "perm.open_cycle")
    period, start, end, default_name = period_of(kind, year, part)
    dues = check_due_dates(due or default_due_dates(start, end), start)
    weights = check_annual_weights(annual_weights) if kind == "annual" else None
    title = text_input(name, Text("field.cycle_name")) or default_name
    template_date = max(today or clock.today(), start)
    opened_at = clock.now()
    with db.transaction() as cur:
        pilot = sorted(set(dept_ids or ()))
        scope_depts = _pilot_departments(cur, pilot) if pilot else None
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
        candidates = _candidates(cur, cycle_id, period, start, end, template_date, scope_depts)
        skipped = candidates.filter(pl.col("reason").is_not_null())
        chosen = candidates.filter(pl.col("reason").is_null())
        if chosen.is_empty():
            if skipped.height:
                raise CycleError("cycle.nobody_skipped", skipped=skipped.height)
            raise CycleError("cycle.nobody")
        items = _create_appraisals(cur, cycle_id, chosen, user.username, opened_at)
        appraisal_scores.rescore(cur, cycle_id=cycle_id)
        skipped_rows = skipped.select("employee_id", "name", "reason").to_dicts()
        audit.record(
            cur, user.username, "cycle_open", "cycle", cycle_id,
            {"period": period, "scope": pilot or "all", "appraisals": chosen.height, "items": items,
             "skipped": len(skipped_rows), "template_date": str(template_date)},
        )  # fmt: skip
    return OpenReport(cycle_id, title, chosen.height, items, template_date, skipped_rows)


def _pilot_departments(cur: Cursor, pilot: list[str]) -> list[str]:
    """The chosen pilot departments (all must exist) and all their sub-departments."""
    known = {r[0] for r in cur.execute("SELECT dept_id FROM departments").fetchall()}
    unknown = [d for d in pilot if d not in known]
    if unknown:
        raise CycleError("cycle.unknown_pilot", departments=unknown)
    rows = cur.execute(
        "WITH RECURSIVE d(dept_id, depth) AS (SELECT dept_id, 0 FROM departments WHERE list_contains(?::VARCHAR[], dept_id)"
        " UNION ALL SELECT c.dept_id, d.depth + 1 FROM departments c JOIN d ON c.parent_id = d.dept_id WHERE d.depth < 20)"
        " SELECT DISTINCT dept_id FROM d",
        [pilot],
    ).fetchall()
    return [r[0] for r in rows]


def _new_cycle_id(cur: Cursor, period: str) -> str:
    base = f"C-{period}"
    taken = {r[0] for r in cur.execute("SELECT cycle_id FROM cycles WHERE starts_with(cycle_id, ?)", [base]).fetchall()}
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _candidates(cur: Cursor, cycle_id: str, period: str, start: dt.date, end: dt.date, template_date: dt.date,
                scope_depts: list[str] | None) -> pl.DataFrame:  # fmt: skip
    """Every active person in scope with the template version in force for their position and, in
    ``reason``, why they cannot take part (None: they can)."""
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
        {"day": template_date, "period": period, "cycle": cycle_id, "end": end, "start": start, "depts": scope_depts},
    )
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
    return candidates.with_columns(reason=reasons)


def _create_appraisals(cur: Cursor, cycle_id: str, chosen: pl.DataFrame, actor: str, at: dt.datetime) -> int:
    """One appraisal per chosen person and its items from their template version; returns the items."""
    rows = chosen.select(
        pl.format("{}:{}", pl.lit(cycle_id), pl.col("employee_id")).alias("appraisal_id"),
        pl.lit(cycle_id).alias("cycle_id"),
        "employee_id", "manager_id", "dept_id", "position_id", "template_version",
    )  # fmt: skip
    register_frame(cur, "new_appraisals", rows)
    try:
        cur.execute(
            "INSERT INTO appraisals (appraisal_id, cycle_id, employee_id, manager_id, dept_id, position_id, stage,"
            " template_version, stage_since, row_version, updated_by, updated_at)"
            " SELECT appraisal_id, cycle_id, employee_id, manager_id, dept_id, position_id, ?, template_version, ?,"
            " 0, ?, ? FROM new_appraisals",
            [GOALS, at, actor, at],
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
    return cur.execute(
        "SELECT count(*) FROM appraisal_items WHERE starts_with(appraisal_id, ?)", [cycle_id + ":"]
    ).fetchall()[0][0]


# -- listing and progress ----------------------------------------------------------------------------


def cycles(db: Database, user: User | None) -> pl.DataFrame:
    """App cycles with their scope and counts: every cycle for HR and executives; for an HRBP those
    touching their departments; for anyone else the cycles they take part in."""
    scope = cycle_filter(db, user)
    if scope is None:
        return pl.DataFrame()
    condition, params = scope
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
    """One cycle's row (dates, status, scope): nothing personal."""
    return db.one("SELECT * FROM cycles WHERE cycle_id = ?", [cycle_id])


def cycle_progress(db: Database, user: User | None, cycle_id: str, *, today: dt.date | None = None) -> dict[str, Any]:
    """Per stage: how many appraisals reached it, are done with it, finished on time or late, and are still
    in it past its due date; and the cycle's lead time so far (days from opening to the last appraisal
    reaching 签字确认, or to now while any is still before it). HR and executives see the whole cycle, an
    HRBP the appraisals of their departments."""
    departments = progress_departments(db, user)
    today = today or clock.today()
    info = cycle(db, cycle_id)
    if info is None:
        raise CycleError("cycle.unknown_cycle", cycle_id=cycle_id)
    dept_sql, dept_params = (
        ("true", []) if departments is None else ("list_contains(?::VARCHAR[], a.dept_id)", [departments])
    )
    at_stage = {
        r["stage"]: r["n"]
        for r in db.rows(
            f"SELECT stage, count(*) AS n FROM appraisals a WHERE cycle_id = ? AND {dept_sql} GROUP BY stage",
            [cycle_id, *dept_params],
        )
    }
    # when each appraisal last left each stage forwards
    left = db.rows(
        f"""
        SELECT e.from_stage AS stage, e.appraisal_id, a.stage AS current, max(e.ts) AS left_at
        FROM stage_events e JOIN appraisals a USING (appraisal_id)
        WHERE a.cycle_id = ? AND {dept_sql} AND e.from_stage <> e.to_stage AND e.action <> 'return'
        GROUP BY ALL
        """,
        [cycle_id, *dept_params],
    )
    rows = [_stage_progress(stage, at_stage, left, info, today) for stage in STAGE_ORDER[:-1]]
    reached_signoff = db.scalar(
        f"SELECT max(e.ts) FROM stage_events e JOIN appraisals a USING (appraisal_id)"
        f" WHERE a.cycle_id = ? AND {dept_sql} AND e.to_stage = 'signoff'",
        [cycle_id, *dept_params],
    )
    total = sum(at_stage.values())
    all_there = total > 0 and all(STAGE_ORDER.index(s) >= STAGE_ORDER.index(SIGNOFF) for s in at_stage)
    now = clock.now()
    end = reached_signoff if (all_there and reached_signoff) else max(now, dt.datetime.combine(today, now.time()))
    opened = info.get("opened_at")
    lead = (end - opened).total_seconds() / 86400 if opened else None
    return {"stages": pl.DataFrame(rows), "appraisals": total, "lead_days": lead, "complete": all_there, "cycle": info}


def _stage_progress(stage: str, at_stage: Mapping[str, int], left: list[dict[str, Any]], info: Mapping[str, Any],
                    today: dt.date) -> dict[str, Any]:  # fmt: skip
    index = STAGE_ORDER.index(stage)
    reached = sum(n for s, n in at_stage.items() if STAGE_ORDER.index(s) >= index)
    # left forwards and not returned to it (or before it) since
    done_rows = [r for r in left if r["stage"] == stage and STAGE_ORDER.index(r["current"]) > index]
    due = info.get(DUE_FIELDS[stage])
    now_in = at_stage.get(stage, 0)
    done = sum(n for s, n in at_stage.items() if STAGE_ORDER.index(s) > index)  # past it now
    on_time = sum(1 for r in done_rows if due is None or r["left_at"].date() <= due)
    return {
        "stage": stage, "due": due, "reached": reached, "in_stage": now_in, "done": done, "on_time": on_time,
        "late": len(done_rows) - on_time, "overdue": now_in if (due is not None and today > due) else 0,
        "share_on_time": (on_time / len(done_rows)) if done_rows else None,
    }  # fmt: skip
