"""Who may see and do what (DESIGN.md §1): one ``can`` and the row-level scope every read of
personal data goes through.

Scope by role:
- employee: themself;
- manager: direct reports (edit) and everyone below them (read), and themself;
- HRBP: everyone in their assigned departments and those departments' sub-departments (read);
- HR admin / admin: everyone (edit);
- executive: everyone, read-only (individual results; aggregates);
- analyst: no individual data at all.
A user holding several roles gets the union.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.auth import User
from core.db import Database

# screen id -> roles that may open it (the navigation is built from this table too)
SCREENS: dict[str, frozenset[str]] = {
    "my_tasks": frozenset({"employee", "manager", "hrbp", "hr", "executive", "admin"}),
    "my_record": frozenset({"employee", "manager", "hrbp", "hr", "executive", "admin"}),
    "data_import": frozenset({"hr", "admin"}),
    "org": frozenset({"manager", "hrbp", "hr", "executive", "admin"}),
    "kpi_library": frozenset({"manager", "hrbp", "hr", "executive", "admin"}),
    "templates": frozenset({"manager", "hrbp", "hr", "executive", "admin"}),
    "kpi_changes": frozenset({"manager", "hrbp", "hr", "executive", "admin"}),
    "overview": frozenset({"manager", "hrbp", "hr", "executive", "analyst", "admin"}),
    "goals": frozenset({"employee", "manager", "hrbp", "hr", "executive", "admin"}),
    "midterm": frozenset({"employee", "manager", "hrbp", "hr", "executive", "admin"}),
    "self_review": frozenset({"employee", "manager", "hrbp", "hr", "executive", "admin"}),
    "team_rating": frozenset({"manager", "hr", "admin"}),
    "cycles": frozenset({"hr", "executive", "admin"}),
    "calibration": frozenset({"hr", "admin"}),
    "users": frozenset({"hr", "admin"}),
    "audit": frozenset({"hr", "admin"}),
}

# action -> roles allowed regardless of object (object-level checks are below)
ACTIONS: dict[str, frozenset[str]] = {
    "import": frozenset({"hr", "admin"}),
    "manage_users": frozenset({"hr", "admin"}),
    "read_audit": frozenset({"hr", "admin"}),
    "see_small_cells": frozenset({"hr", "admin"}),  # heatmap cells of fewer than 3 people
    "read_all": frozenset({"hr", "admin", "executive"}),
    "edit_all": frozenset({"hr", "admin"}),
}
MIN_CELL = 3


class Forbidden(PermissionError):
    """Refused by the permission check; the message is a Chinese sentence for the screen."""


def can_open(user: User | None, screen: str) -> bool:
    """May ``user`` open ``screen``?"""
    return user is not None and bool(user.roles & SCREENS.get(screen, frozenset()))


def screens_for(user: User | None) -> list[str]:
    """The screens ``user`` may open, in navigation order."""
    return [s for s in SCREENS if can_open(user, s)]


@dataclass(frozen=True)
class Scope:
    """The people a user may read and edit: None means everyone."""

    readable: frozenset[str] | None
    editable: frozenset[str] | None

    def can_read(self, employee_id: str) -> bool:
        return self.readable is None or employee_id in self.readable

    def can_edit(self, employee_id: str) -> bool:
        return self.editable is None or employee_id in self.editable


def scope_of(db: Database, user: User) -> Scope:
    """Compute the user's row-level scope from the roster and their roles."""
    if user.has(*ACTIONS["edit_all"]):
        return Scope(None, None)
    if user.has(*ACTIONS["read_all"]):
        return Scope(None, frozenset())
    readable: set[str] = set()
    editable: set[str] = set()
    if user.employee_id and user.has("employee", "manager", "hrbp"):
        readable.add(user.employee_id)
    if user.employee_id and user.has("manager"):
        rows = db.rows(
            "WITH RECURSIVE below(employee_id, depth) AS ("
            " SELECT employee_id, 1 FROM employees WHERE manager_id = ?"
            " UNION ALL SELECT e.employee_id, b.depth + 1 FROM employees e JOIN below b ON e.manager_id = b.employee_id"
            " WHERE b.depth < 50) SELECT employee_id, min(depth) AS depth FROM below GROUP BY employee_id",
            [user.employee_id],
        )
        readable.update(r["employee_id"] for r in rows)
        editable.update(r["employee_id"] for r in rows if r["depth"] == 1)
    if user.has("hrbp"):
        rows = db.rows(
            "WITH RECURSIVE d(dept_id, depth) AS ("
            " SELECT dept_id, 0 FROM hrbp_scope WHERE username = ?"
            " UNION ALL SELECT c.dept_id, d.depth + 1 FROM departments c JOIN d ON c.parent_id = d.dept_id WHERE d.depth < 20)"
            " SELECT e.employee_id FROM employees e WHERE e.dept_id IN (SELECT dept_id FROM d)",
            [user.username],
        )
        readable.update(r["employee_id"] for r in rows)
    readable.discard(None)  # type: ignore[arg-type]
    return Scope(frozenset(readable), frozenset(editable))


def hrbp_departments(db: Database, user: User) -> list[str]:
    """The departments an HRBP follows (with their sub-departments)."""
    if not user.has("hrbp"):
        return []
    return [
        r["dept_id"]
        for r in db.rows(
            "WITH RECURSIVE d(dept_id, depth) AS (SELECT dept_id, 0 FROM hrbp_scope WHERE username = ?"
            " UNION ALL SELECT c.dept_id, d.depth + 1 FROM departments c JOIN d ON c.parent_id = d.dept_id WHERE d.depth < 20)"
            " SELECT DISTINCT dept_id FROM d",
            [user.username],
        )
    ]


def can(db: Database, user: User | None, action: str, obj: str | None = None) -> bool:
    """The one permission check. ``action`` is a screen ('screen:overview'), a global action
    ('import', 'manage_users', 'read_audit', 'see_small_cells'), or an action on one employee
    ('read_employee', 'edit_employee') with their id as ``obj``."""
    if user is None:
        return False
    if action.startswith("screen:"):
        return can_open(user, action.removeprefix("screen:"))
    if action in ACTIONS:
        return user.has(*ACTIONS[action])
    if action in ("read_employee", "edit_employee"):
        if not obj:
            return False
        scope = scope_of(db, user)
        return scope.can_read(obj) if action == "read_employee" else scope.can_edit(obj)
    return False


def require(db: Database, user: User | None, action: str, obj: str | None = None) -> None:
    """Raise Forbidden unless ``can``."""
    if not can(db, user, action, obj):
        raise Forbidden("你没有权限查看或操作这项内容。如需访问，请联系人力资源部开通权限。")
