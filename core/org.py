"""The organisation as the 组织与人员 screen shows it: departments, positions and people, scoped to the
acting user (DESIGN.md §2 rule 2).

Every function takes the acting user and returns only what their row-level scope
(:func:`core.permissions.scope_of`) allows: HR, admins and executives see everyone; HRBPs the people of
their departments; managers themselves and everyone below them; employees themselves; analysts nobody.
Departments and positions are limited to those holding someone in scope. Frames have snake_case
column names; screens translate the titles.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from core import audit, permissions
from core.auth import User
from core.db import Database
from core.permissions import guard_read
from core.values import search_text

# One person with their department, position and manager's name, as every people list shows them.
PERSON_SELECT = """
        SELECT e.employee_id, e.name, d.name AS department, p.name AS position,
               e.manager_id, m.name AS manager_name, e.hire_date, e.leave_date, e.status
        FROM employees e
        LEFT JOIN departments d ON d.dept_id = e.dept_id
        LEFT JOIN positions p ON p.position_id = e.position_id
        LEFT JOIN employees m ON m.employee_id = e.manager_id
"""


def readable_ids(db: Database, user: User | None) -> list[str] | None:
    """The 工号 ``user`` may read as a query parameter: None for everyone, else a (possibly empty) list."""
    if user is None:
        return []
    readable = permissions.scope_of(db, user).readable
    return None if readable is None else sorted(readable)


# Departments holding at least one person in scope (every department when the scope is everyone).
_SCOPED_DEPARTMENTS = """
    scoped_departments AS (
        SELECT dept_id FROM departments WHERE $ids::VARCHAR[] IS NULL
        UNION
        SELECT DISTINCT dept_id FROM employees
        WHERE dept_id IS NOT NULL AND list_contains($ids::VARCHAR[], employee_id)
    )
"""


def list_departments(db: Database, user: User | None) -> pl.DataFrame:
    """Departments in the user's scope with their parent, their head and the number of active employees,
    by name.

    Columns: dept_id, name, parent_name, head_id, head_name, headcount.
    """
    return db.frame(
        f"""
        WITH {_SCOPED_DEPARTMENTS}
        SELECT d.dept_id, d.name, p.name AS parent_name, d.head_id, h.name AS head_name,
               coalesce(n.headcount, 0)::INTEGER AS headcount
        FROM departments d
        LEFT JOIN departments p ON p.dept_id = d.parent_id
        LEFT JOIN employees h ON h.employee_id = d.head_id
        LEFT JOIN (
            SELECT dept_id, count(*) AS headcount FROM employees WHERE status = 'active' GROUP BY dept_id
        ) n ON n.dept_id = d.dept_id
        WHERE d.dept_id IN (SELECT dept_id FROM scoped_departments)
        ORDER BY d.name, d.dept_id
        """,
        {"ids": readable_ids(db, user)},
    )


def list_positions(db: Database, user: User | None, dept_id: str | None = None) -> pl.DataFrame:
    """Positions of the departments in the user's scope (optionally of one department) with whether they
    are key positions and their active headcount.

    Columns: position_id, dept_id, department, name, is_key, headcount.
    """
    return db.frame(
        f"""
        WITH {_SCOPED_DEPARTMENTS}
        SELECT p.position_id, p.dept_id, d.name AS department, p.name, p.is_key,
               coalesce(n.headcount, 0)::INTEGER AS headcount
        FROM positions p
        LEFT JOIN departments d ON d.dept_id = p.dept_id
        LEFT JOIN (
            SELECT position_id, count(*) AS headcount FROM employees WHERE status = 'active' GROUP BY position_id
        ) n ON n.position_id = p.position_id
        WHERE ($dept_id IS NULL OR p.dept_id = $dept_id)
          AND p.dept_id IN (SELECT dept_id FROM scoped_departments)
        ORDER BY d.name, p.name, p.position_id
        """,
        {"dept_id": dept_id, "ids": readable_ids(db, user)},
    )


def search_employees(
    db: Database,
    user: User | None,
    text: str = "",
    *,
    dept_id: str | None = None,
    statuses: tuple[str, ...] = ("active",),
) -> pl.DataFrame:
    """People in the user's scope whose 工号 or name contains ``text`` (case-insensitive, literally), optionally in
    one department and limited to the given employment statuses, ordered by 工号.

    Columns: employee_id, name, department, position, manager_id, manager_name, hire_date, leave_date, status.
    """
    needle = search_text(text)  # matched with contains(): every character literally, % and _ included
    return db.frame(
        PERSON_SELECT
        + """
        WHERE ($ids::VARCHAR[] IS NULL OR list_contains($ids::VARCHAR[], e.employee_id))
          AND ($needle = '' OR contains(lower(e.employee_id), $needle) OR contains(lower(e.name), $needle))
          AND ($dept_id IS NULL OR e.dept_id = $dept_id)
          AND list_contains($statuses, e.status)
        ORDER BY e.employee_id
        """,
        {"needle": needle, "dept_id": dept_id, "statuses": list(statuses), "ids": readable_ids(db, user)},
    )


def org_counts(db: Database, user: User | None) -> dict[str, int]:
    """How many departments, positions and active employees the user's scope holds."""
    row = db.one(
        f"""
        WITH {_SCOPED_DEPARTMENTS}
        SELECT (SELECT count(*) FROM scoped_departments) AS departments,
               (SELECT count(*) FROM positions WHERE dept_id IN (SELECT dept_id FROM scoped_departments)) AS positions,
               (SELECT count(*) FROM employees
                WHERE status = 'active'
                  AND ($ids::VARCHAR[] IS NULL OR list_contains($ids::VARCHAR[], employee_id))) AS employees
        """,
        {"ids": readable_ids(db, user)},
    )
    return {k: int(v) for k, v in (row or {}).items()}


def employee_profile(db: Database, user: User | None, employee_id: str) -> dict[str, Any] | None:
    """One person's record as the person detail shows it, or None when HR asks for an id that does not
    exist. Raises :class:`core.permissions.Forbidden` (and audits the refusal) for an id outside the
    user's scope — an unknown id is refused the same way, so the answer never tells whether it exists.
    The read is audited as ``read_employee``.

    Keys: employee_id, name, department, position, manager_id, manager_name, hire_date, leave_date,
    status, editable (whether the user may edit this person's appraisals).
    """
    reader = guard_read(db, user, employee_id, "read_employee")
    row = db.one(
        PERSON_SELECT + " WHERE e.employee_id = ?",
        [employee_id],
    )
    if row is None:
        return None
    audit.log_read(db, reader.username, reader.session, "read_employee", "employee", employee_id)
    return {**row, "relation": relation(db, reader, row)}


def relation(db: Database, user: User, person: dict[str, Any]) -> str:
    """How ``user`` stands to a person they read: ``self``, ``manager`` (their direct manager, who rates
    them), ``hr`` (edits anyone), or ``reader`` (may read, not edit)."""
    if user.employee_id and user.employee_id == person["employee_id"]:
        return "self"
    if (
        user.employee_id
        and person.get("manager_id") == user.employee_id
        and permissions.can(db, user, "edit_employee", person["employee_id"])
    ):
        return "manager"
    if permissions.allowed(user, "edit_everyone"):
        return "hr"
    return "reader"
