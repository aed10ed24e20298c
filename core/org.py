"""The organisation as the 组织与人员 screen shows it: departments, positions and people.

Every function returns a Polars frame with snake_case column names; screens translate the titles.
"""

from __future__ import annotations

import polars as pl

from core.db import Database

EMPLOYEE_STATUSES = ("active", "left", "historical")


def list_departments(db: Database) -> pl.DataFrame:
    """Departments with their parent, their head and the number of active employees, by name.

    Columns: dept_id, name, parent_name, head_id, head_name, headcount.
    """
    return db.frame(
        """
        SELECT d.dept_id, d.name, p.name AS parent_name, d.head_id, h.name AS head_name,
               coalesce(n.headcount, 0)::INTEGER AS headcount
        FROM departments d
        LEFT JOIN departments p ON p.dept_id = d.parent_id
        LEFT JOIN employees h ON h.employee_id = d.head_id
        LEFT JOIN (
            SELECT dept_id, count(*) AS headcount FROM employees WHERE status = 'active' GROUP BY dept_id
        ) n ON n.dept_id = d.dept_id
        ORDER BY d.name, d.dept_id
        """
    )


def list_positions(db: Database, dept_id: str | None = None) -> pl.DataFrame:
    """Positions (optionally of one department) with whether they are key positions and their headcount.

    Columns: position_id, dept_id, department, name, is_key, headcount.
    """
    return db.frame(
        """
        SELECT p.position_id, p.dept_id, d.name AS department, p.name, p.is_key,
               coalesce(n.headcount, 0)::INTEGER AS headcount
        FROM positions p
        LEFT JOIN departments d ON d.dept_id = p.dept_id
        LEFT JOIN (
            SELECT position_id, count(*) AS headcount FROM employees WHERE status = 'active' GROUP BY position_id
        ) n ON n.position_id = p.position_id
        WHERE ($dept_id IS NULL OR p.dept_id = $dept_id)
        ORDER BY d.name, p.name, p.position_id
        """,
        {"dept_id": dept_id},
    )


def search_employees(
    db: Database,
    text: str = "",
    *,
    dept_id: str | None = None,
    statuses: tuple[str, ...] = ("active",),
) -> pl.DataFrame:
    """People whose 工号 or name contains ``text`` (case-insensitive), optionally in one department
    and limited to the given employment statuses, ordered by 工号.

    Columns: employee_id, name, department, position, manager_id, manager_name, hire_date, leave_date, status.
    """
    needle = text.strip().lower()
    return db.frame(
        """
        SELECT e.employee_id, e.name, d.name AS department, p.name AS position,
               e.manager_id, m.name AS manager_name, e.hire_date, e.leave_date, e.status
        FROM employees e
        LEFT JOIN departments d ON d.dept_id = e.dept_id
        LEFT JOIN positions p ON p.position_id = e.position_id
        LEFT JOIN employees m ON m.employee_id = e.manager_id
        WHERE ($needle = '' OR contains(lower(e.employee_id), $needle) OR contains(lower(e.name), $needle))
          AND ($dept_id IS NULL OR e.dept_id = $dept_id)
          AND list_contains($statuses, e.status)
        ORDER BY e.employee_id
        """,
        {"needle": needle, "dept_id": dept_id, "statuses": list(statuses)},
    )


def org_counts(db: Database) -> dict[str, int]:
    """How many departments, positions and active employees there are."""
    row = db.one(
        """
        SELECT (SELECT count(*) FROM departments) AS departments,
               (SELECT count(*) FROM positions) AS positions,
               (SELECT count(*) FROM employees WHERE status = 'active') AS employees
        """
    )
    return {k: int(v) for k, v in (row or {}).items()}
