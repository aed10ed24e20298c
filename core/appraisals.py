"""One person's appraisals: their history across cycles and the items of one appraisal.

Both reads are reads of individual appraisals: each checks the acting user's scope
(:func:`core.org.guard_read`, which audits a refusal) and is recorded in the audit trail as
``read_appraisal`` (DESIGN.md §6).
"""

from __future__ import annotations

import polars as pl

from core import audit
from core.auth import User
from core.db import Database
from core.org import guard_read


def history_of(db: Database, user: User | None, employee_id: str) -> pl.DataFrame:
    """Every appraisal of ``employee_id``, newest period first; Forbidden outside the user's scope.

    Columns: appraisal_id, cycle, kind, period, period_start, department, position, score, grade, stage.
    ``department`` and ``position`` are as they were in that cycle; ``grade`` is the calibrated grade
    where calibration changed it.
    """
    guard_read(db, user, employee_id, "read_appraisal")
    assert user is not None  # guard_read refuses anonymous reads
    frame = db.frame(
        """
        SELECT a.appraisal_id, c.name AS cycle, c.kind, c.period, c.period_start,
               d.name AS department, p.name AS position, a.final_score AS score,
               upper(trim(coalesce(a.calibrated_grade, a.grade))) AS grade, a.stage
        FROM appraisals a
        JOIN cycles c ON c.cycle_id = a.cycle_id
        LEFT JOIN departments d ON d.dept_id = a.dept_id
        LEFT JOIN positions p ON p.position_id = a.position_id
        WHERE a.employee_id = ?
        ORDER BY c.period_start DESC, c.period_end DESC, a.appraisal_id
        """,
        [employee_id],
    )
    audit.log(db, user.username, "read_appraisal", "employee", employee_id, {"appraisals": frame.height})
    return frame


def items_of(db: Database, user: User | None, appraisal_id: str) -> pl.DataFrame:
    """The KPI items of one appraisal with their scores and comments; Forbidden when the appraisal's
    employee is outside the user's scope (an unknown appraisal is refused the same way).

    Columns: kpi, category, weight, target, actual, self_score, manager_score, item_score,
    self_comment, manager_comment.
    """
    owner = db.scalar("SELECT employee_id FROM appraisals WHERE appraisal_id = ?", [appraisal_id])
    guard_read(db, user, owner or f"appraisal:{appraisal_id}", "read_appraisal")
    assert user is not None
    frame = db.frame(
        """
        SELECT coalesce(i.kpi_name, k.name, i.kpi_id) AS kpi, coalesce(i.category, k.category) AS category, i.weight,
               coalesce(i.target, CAST(round(i.target_value, 4) AS VARCHAR)) AS target,
               coalesce(CAST(round(i.actual_value, 4) AS VARCHAR), i.actual) AS actual,
               i.self_score, i.manager_score, i.item_score, i.self_comment, i.manager_comment
        FROM appraisal_items i
        LEFT JOIN kpis k ON k.kpi_id = i.kpi_id
        WHERE i.appraisal_id = ?
        ORDER BY i.seq NULLS LAST, i.weight DESC NULLS LAST, kpi
        """,
        [appraisal_id],
    )
    audit.log(
        db, user.username, "read_appraisal", "appraisal", appraisal_id, {"employee_id": owner, "items": frame.height}
    )
    return frame
