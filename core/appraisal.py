"""Reading appraisals: one appraisal with its items, check-ins and history of stage moves; the
progress of its items; a person's own appraisals and their history across cycles; a team's view.

Every read is scoped to the acting user by :mod:`core.permissions`; a read of one individual's appraisal
is recorded in the audit trail once per login session (``read_appraisal``), the same way on every screen.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from core import audit, clock, scoring
from core.auth import User
from core.db import Cursor, Database
from core.periods import DUE_SQL, days_overdue, due_of
from core.permissions import can, guard_appraisal_read, guard_read, rated_by, roles_on, team_filter
from core.stages import TRANSITIONS
from core.vocabulary import effective_grade_sql

HEADER_SQL = """
    SELECT a.appraisal_id, a.cycle_id, c.name AS cycle, c.kind, c.period, c.period_start, c.period_end,
           c.status AS cycle_status, a.employee_id, e.name AS employee, e.status AS employee_status,
           a.manager_id, m.name AS manager,
           a.rater_id, a.dept_id, d.name AS department, a.position_id, p.name AS position, a.stage, a.stage_since,
           a.template_version, a.self_score, a.manager_score, a.final_score, a.review_score, a.score_basis,
           a.grade, a.calibrated_grade, {grade} AS effective_grade, a.grade_computed, a.calibration_note, a.row_version,
           a.updated_by, a.updated_at,
           c.goals_due, c.midterm_due, c.self_due, c.manager_due, c.calibration_due, c.signoff_due
    FROM appraisals a JOIN cycles c ON c.cycle_id = a.cycle_id
    LEFT JOIN employees e ON e.employee_id = a.employee_id
    LEFT JOIN employees m ON m.employee_id = a.manager_id
    LEFT JOIN departments d ON d.dept_id = a.dept_id
    LEFT JOIN positions p ON p.position_id = a.position_id
""".format(grade=effective_grade_sql("a"))

ITEM_COLUMNS = (
    "seq", "kpi_id", "kpi_name", "category", "unit", "method", "direction", "data_source", "rubric", "weight",
    "target_value", "floor", "stretch", "proposed_target", "goal_note", "actual_value", "actual_source",
    "actual_as_of", "self_input", "self_score", "self_comment", "manager_input", "manager_score", "item_score",
    "manager_comment", "deduction_step",
)  # fmt: skip


def header(db: Database | Cursor, appraisal_id: str) -> dict[str, Any] | None:
    """One appraisal's row with its cycle, person and due dates (unscoped: callers check the reader)."""
    if isinstance(db, Database):
        return db.one(HEADER_SQL + " WHERE a.appraisal_id = ?", [appraisal_id])
    cur = db.execute(HEADER_SQL + " WHERE a.appraisal_id = ?", [appraisal_id])
    rows = cur.fetchall()
    return dict(zip([d[0] for d in cur.description], rows[0], strict=True)) if rows else None


def _guarded_header(db: Database, user: User | None, appraisal_id: str) -> tuple[User, dict[str, Any]]:
    found = header(db, appraisal_id)
    reader = guard_appraisal_read(db, user, found, "read_appraisal", f"appraisal:{appraisal_id}")
    assert found is not None
    return reader, found


def _audit_read(db: Database, user: User, appraisal_id: str, employee_id: str) -> None:
    audit.log_read(db, user.username, user.session, "read_appraisal", "appraisal", appraisal_id,
                   {"employee_id": employee_id})  # fmt: skip


def appraisal(db: Database, user: User | None, appraisal_id: str) -> dict[str, Any]:
    """One appraisal with its items (``items``: a Polars frame of :data:`ITEM_COLUMNS`), check-ins,
    stage events, the roles the user holds on it and the actions open to them. Forbidden outside scope."""
    reader, found = _guarded_header(db, user, appraisal_id)
    found["items"] = db.frame(
        f"SELECT {', '.join(ITEM_COLUMNS)} FROM appraisal_items WHERE appraisal_id = ? ORDER BY seq, kpi_id",
        [appraisal_id],
    )
    found["checkins"] = db.frame(
        "SELECT c.ts AS at, c.author, c.role, coalesce(i.kpi_name, c.kpi_id) AS kpi, c.note, c.progress FROM checkins c"
        " LEFT JOIN appraisal_items i ON i.appraisal_id = c.appraisal_id AND i.kpi_id = c.kpi_id"
        " WHERE c.appraisal_id = ? ORDER BY c.seq",
        [appraisal_id],
    )
    found["events"] = db.frame(
        "SELECT ts AS at, actor, role, action, from_stage, to_stage, comment FROM stage_events WHERE appraisal_id = ?"
        " ORDER BY seq",
        [appraisal_id],
    )
    found["roles"] = roles_on(reader, found)
    found["actions"] = sorted({t.action for t in TRANSITIONS if t.stage == found["stage"] and t.role in found["roles"]})
    found["due"] = due_of(found)
    found["days_overdue"] = days_overdue(found["due"], clock.today()) if found["cycle_status"] == "open" else 0
    _audit_read(db, reader, appraisal_id, found["employee_id"])
    return found


def progress(db: Database, user: User | None, appraisal_id: str) -> pl.DataFrame:
    """An appraisal's items with the actual so far against target, attainment and the score it gives now,
    where the actual came from (a code of :data:`core.vocabulary.ACTUAL_SOURCES`) and the formula of each
    method — at any stage. Forbidden outside scope."""
    _guarded_header(db, user, appraisal_id)
    items = db.frame(
        "SELECT kpi_name AS kpi, category, unit, method, direction, weight, target_value AS target, actual_value AS actual,"
        " actual_as_of AS as_of, actual_source AS source, item_score AS score FROM appraisal_items"
        " WHERE appraisal_id = ? ORDER BY seq",
        [appraisal_id],
    )
    attained = [
        scoring.attainment(r["actual"], r["target"], r["direction"], r["method"]) for r in items.iter_rows(named=True)
    ]
    return items.with_columns(
        share_attained=pl.Series(attained, dtype=pl.Float64),
        formula=pl.col("method").replace(dict(scoring.FORMULAS)),
    )


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
    """The appraisals in open app cycles of the user's team view (:func:`core.permissions.team_filter`:
    HR everyone, an HRBP their departments, a manager their direct reports) with stage, the stage's due
    date and how many days it is overdue, self total, score, the grade before calibration and the grade as it
    stands (``effective_grade``: calibrated where HR moved it). ``row_version`` is there for saves."""
    scope = team_filter(db, user)
    if scope is None:
        return pl.DataFrame()
    condition, params = scope
    conditions = ["c.origin = 'app'", "c.status = 'open'", condition]
    if cycle_id:
        conditions.append("a.cycle_id = ?")
        params = [*params, cycle_id]
    if stage:
        conditions.append("a.stage = ?")
        params = [*params, stage]
    frame = db.frame(
        f"""
        SELECT a.appraisal_id, a.cycle_id, c.name AS cycle, a.employee_id, e.name AS employee, a.dept_id,
               d.name AS department, a.manager_id, p.name AS position, a.stage, {DUE_SQL} AS due,
               a.self_score, a.final_score, a.grade, a.calibrated_grade, {effective_grade_sql("a")} AS effective_grade,
               a.row_version
        FROM appraisals a JOIN cycles c ON c.cycle_id = a.cycle_id
        LEFT JOIN employees e ON e.employee_id = a.employee_id
        LEFT JOIN departments d ON d.dept_id = a.dept_id
        LEFT JOIN positions p ON p.position_id = a.position_id
        WHERE {" AND ".join(conditions)}
        ORDER BY c.period_start DESC, d.name, a.employee_id
        """,
        params,
    )
    if frame.is_empty():
        return frame
    today = clock.today()
    return frame.with_columns(
        days_overdue=pl.Series([days_overdue(d, today) for d in frame.get_column("due").to_list()], dtype=pl.Int64)
    )


# -- a person's history -------------------------------------------------------------------------------


def history_of(db: Database, user: User | None, employee_id: str) -> pl.DataFrame:
    """Every appraisal of ``employee_id``, newest period first; Forbidden outside the user's scope.

    Columns: appraisal_id, cycle, kind, period, period_start, department, position, score, grade,
    grade_computed, stage. ``department`` and ``position`` are as they were in that cycle; ``grade`` is
    the calibrated grade where calibration changed it, and NULL for imported history whose file states
    no grade: ``grade_computed`` is then the grade its score gives on the company scale (shown as computed).
    """
    rated = rated_by(db, user, employee_id)
    if rated and not can(db, user, "read_employee", employee_id):
        reader, only = user, rated  # a former manager: the appraisals they rated, nothing else
    else:
        reader, only = guard_read(db, user, employee_id, "read_appraisal"), None
    assert reader is not None
    frame = db.frame(
        f"""
        SELECT a.appraisal_id, c.name AS cycle, c.kind, c.period, c.period_start,
               d.name AS department, p.name AS position, a.final_score AS score,
               {effective_grade_sql("a")} AS grade, a.grade_computed, a.stage
        FROM appraisals a
        JOIN cycles c ON c.cycle_id = a.cycle_id
        LEFT JOIN departments d ON d.dept_id = a.dept_id
        LEFT JOIN positions p ON p.position_id = a.position_id
        WHERE a.employee_id = ? AND (?::VARCHAR[] IS NULL OR list_contains(?::VARCHAR[], a.appraisal_id))
        ORDER BY c.period_start DESC, c.period_end DESC, a.appraisal_id
        """,
        [employee_id, only, only],
    )
    audit.log_read(db, reader.username, reader.session, "read_appraisal", "employee", employee_id,
                   {"appraisals": frame.height})  # fmt: skip
    return frame


def items_of(db: Database, user: User | None, appraisal_id: str) -> pl.DataFrame:
    """The KPI items of one appraisal with their scores and comments; Forbidden when the appraisal's
    employee is outside the user's scope (an unknown appraisal is refused the same way).

    Columns: kpi, item_kind (item, or a bonus / deduction row of a legacy form, which adds to or takes
    from the total instead of being weighted), category, weight, target, actual, self_score,
    manager_score, item_score, self_comment, manager_comment.
    """
    found = db.one("SELECT employee_id, rater_id FROM appraisals WHERE appraisal_id = ?", [appraisal_id])
    owner = found["employee_id"] if found else None
    reader = guard_appraisal_read(db, user, found, "read_appraisal", f"appraisal:{appraisal_id}")
    frame = db.frame(
        """
        SELECT coalesce(i.kpi_name, k.name, i.kpi_id) AS kpi, coalesce(i.item_kind, 'item') AS item_kind,
               coalesce(i.category, k.category) AS category, i.weight,
               coalesce(i.target_as_written, CAST(round(i.target_value, 4) AS VARCHAR)) AS target,
               coalesce(CAST(round(i.actual_value, 4) AS VARCHAR), i.actual_as_written) AS actual,
               i.self_score, i.manager_score, i.item_score, i.self_comment, i.manager_comment
        FROM appraisal_items i
        LEFT JOIN kpis k ON k.kpi_id = i.kpi_id
        WHERE i.appraisal_id = ?
        ORDER BY i.seq NULLS LAST, i.weight DESC NULLS LAST, kpi
        """,
        [appraisal_id],
    )
    _audit_read(db, reader, appraisal_id, owner or "")
    return frame
