"""Analytics over closed cycles: the department × period view of scores and grade shares.

Only closed cycles count (imported legacy history lands as closed cycles). A person's grade is the
calibrated grade when calibration changed it, else the grade as rated. Departments are the snapshot
kept on each appraisal, so people who moved later stay where they were in that period.

Every measure is computed over the people the acting user may see in aggregate: the whole company for
HR, admins, executives and analysts; their own scope (:func:`core.permissions.scope_of`) for managers,
HRBPs and employees. Cells of fewer than :data:`core.permissions.MIN_CELL` people are hidden from anyone
without the ``see_small_cells`` permission.
"""

from __future__ import annotations

import polars as pl

from core.auth import User
from core.db import Database
from core.permissions import aggregate_population, smallest_shown_cell
from core.vocabulary import KIND_ORDER, effective_grade_sql


def closed_cycle_kinds(db: Database) -> list[str]:
    """The cycle kinds that have at least one closed cycle with appraisals, most useful first."""
    found = {
        r["kind"]
        for r in db.rows(
            """
            SELECT DISTINCT c.kind FROM cycles c
            WHERE c.status = 'closed' AND EXISTS (SELECT 1 FROM appraisals a WHERE a.cycle_id = c.cycle_id)
            """
        )
    }
    return [k for k in KIND_ORDER if k in found] + sorted(found - set(KIND_ORDER))


def department_period_scores(db: Database, user: User | None, kind: str = "quarterly") -> pl.DataFrame:
    """One row per department × period of the closed cycles of ``kind``, in period order, over the
    people ``user`` may see in aggregate.

    Columns: dept_id, department, period, period_start, people (appraised), scored, mean_score,
    graded, share_a, share_c, hidden. ``mean_score`` is the mean final score of those with one;
    ``share_a`` / ``share_c`` are shares of those with a grade. Cells of fewer people than
    :func:`smallest_shown_cell` keep their counts but have their measures set to null and ``hidden`` true.
    """
    frame = db.frame(
        f"""
        WITH graded AS (
            SELECT a.employee_id, a.dept_id, a.final_score, {effective_grade_sql("a")} AS grade,
                   c.period, c.period_start, c.period_end
            FROM appraisals a
            JOIN cycles c ON c.cycle_id = a.cycle_id
            WHERE c.status = 'closed' AND c.kind = $kind
              AND ($ids::VARCHAR[] IS NULL OR list_contains($ids::VARCHAR[], a.employee_id))
        )
        SELECT g.dept_id, d.name AS department, g.period,
               min(g.period_start) AS period_start, max(g.period_end) AS period_end,
               count(DISTINCT g.employee_id)::INTEGER AS people,
               count(g.final_score)::INTEGER AS scored,
               avg(g.final_score) AS mean_score,
               count(g.grade)::INTEGER AS graded,
               avg(CASE WHEN g.grade = 'A' THEN 1.0 WHEN g.grade IS NOT NULL THEN 0.0 END) AS share_a,
               avg(CASE WHEN g.grade = 'C' THEN 1.0 WHEN g.grade IS NOT NULL THEN 0.0 END) AS share_c
        FROM graded g
        LEFT JOIN departments d ON d.dept_id = g.dept_id
        GROUP BY g.dept_id, d.name, g.period
        ORDER BY period_start, period_end, g.period, department, g.dept_id
        """,
        {"kind": kind, "ids": aggregate_population(db, user)},
    )
    hidden = pl.col("people") < smallest_shown_cell(user)
    measures = ("mean_score", "share_a", "share_c")
    return frame.drop("period_end").with_columns(
        *(pl.when(hidden).then(None).otherwise(pl.col(m)).alias(m) for m in measures),
        hidden.alias("hidden"),
    )


def people_in_closed_cycles(db: Database, user: User | None, kind: str = "quarterly") -> int:
    """How many distinct people ``user`` may see in aggregate have an appraisal in the closed cycles of ``kind``."""
    row = db.one(
        """
        SELECT count(DISTINCT a.employee_id) AS people FROM appraisals a JOIN cycles c ON c.cycle_id = a.cycle_id
        WHERE c.status = 'closed' AND c.kind = $kind
          AND ($ids::VARCHAR[] IS NULL OR list_contains($ids::VARCHAR[], a.employee_id))
        """,
        {"kind": kind, "ids": aggregate_population(db, user)},
    )
    return int(row["people"]) if row else 0
