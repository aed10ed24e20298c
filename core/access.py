"""Who has access and what was done: accounts and the audit trail, as the 用户与权限 and 审计日志
screens use them.

Each function checks the acting user's permission first (``manage_users`` or ``read_audit``) and raises
:class:`core.permissions.Forbidden` otherwise; the writes themselves are :mod:`core.auth`'s, which
audit every change inside its transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl

from core import audit, auth, permissions
from core.auth import User
from core.db import Database


def list_accounts(db: Database, user: User | None) -> pl.DataFrame:
    """Every account, by username.

    Columns: username, display_name, employee_id, department, roles (list of role codes),
    hrbp_departments (department names), disabled, locked (locked out right now), created_at.
    """
    permissions.require(db, user, "manage_users")
    return db.frame(
        """
        SELECT u.username, u.display_name, u.employee_id, d.name AS department,
               coalesce((SELECT list(r.role ORDER BY r.role) FROM user_roles r WHERE r.username = u.username),
                        []::VARCHAR[]) AS roles,
               coalesce((SELECT list(sd.name ORDER BY sd.name) FROM hrbp_scope s
                         JOIN departments sd ON sd.dept_id = s.dept_id WHERE s.username = u.username),
                        []::VARCHAR[]) AS hrbp_departments,
               u.disabled,
               coalesce(u.locked_until > now()::TIMESTAMP, false) AS locked,
               u.created_at
        FROM users u
        LEFT JOIN employees e ON e.employee_id = u.employee_id
        LEFT JOIN departments d ON d.dept_id = e.dept_id
        ORDER BY u.username
        """
    )


def hrbp_department_ids(db: Database, user: User | None, username: str) -> list[str]:
    """The departments assigned to the HRBP ``username`` (as assigned, without sub-departments)."""
    permissions.require(db, user, "manage_users")
    return [
        r["dept_id"] for r in db.rows("SELECT dept_id FROM hrbp_scope WHERE username = ? ORDER BY dept_id", [username])
    ]


def people_without_account(db: Database, user: User | None) -> pl.DataFrame:
    """Active people in the roster who have no account yet, by 工号. Columns: employee_id, name, department."""
    permissions.require(db, user, "manage_users")
    return db.frame(
        """
        SELECT e.employee_id, e.name, d.name AS department
        FROM employees e
        LEFT JOIN departments d ON d.dept_id = e.dept_id
        WHERE e.status = 'active' AND e.employee_id NOT IN (SELECT employee_id FROM users WHERE employee_id IS NOT NULL)
        ORDER BY e.employee_id
        """
    )


def _guard_admin(db: Database, user: User, username: str | None, roles: Sequence[str] = ()) -> None:
    """Only an admin may make an admin, or change, reset or disable an admin's account: an HR admin
    cannot lift their own rights that way."""
    if permissions.allowed(user, "grant_admin"):
        return
    target_is_admin = username is not None and "admin" in auth.roles_of(db, username)
    if "admin" in roles or target_is_admin:
        raise auth.UserError("access.admin_only")


def create_account(
    db: Database,
    user: User | None,
    username: str,
    password: str,
    roles: Sequence[str],
    *,
    employee_id: str | None = None,
    display_name: str | None = None,
    hrbp_departments: Sequence[str] = (),
) -> User:
    """Create an account as ``user`` (see :func:`core.auth.create_user`; raises UserError with the reason)."""
    permissions.require(db, user, "manage_users")
    assert user is not None
    _guard_admin(db, user, None, roles)
    return auth.create_user(
        db,
        user.username,
        username,
        password,
        list(roles),
        employee_id=employee_id,
        display_name=display_name or None,
        hrbp_departments=tuple(hrbp_departments),
    )


def reset_password(db: Database, user: User | None, username: str, password: str) -> None:
    """Set a new password for ``username`` as ``user``; clears a lockout."""
    permissions.require(db, user, "manage_users")
    assert user is not None
    _guard_admin(db, user, username)
    auth.reset_password(db, user.username, username, password)


def set_disabled(db: Database, user: User | None, username: str, disabled: bool) -> None:
    """Disable (ending its open sessions at once) or re-enable ``username`` as ``user``."""
    permissions.require(db, user, "manage_users")
    assert user is not None
    _guard_admin(db, user, username)
    auth.set_disabled(db, user.username, username, disabled)


def set_roles(
    db: Database, user: User | None, username: str, roles: Sequence[str], hrbp_departments: Sequence[str] = ()
) -> None:
    """Change the roles (and an HRBP's departments) of ``username`` as ``user``. Nobody can take the
    right to manage users away from their own account (someone must always be left to give it back)."""
    permissions.require(db, user, "manage_users")
    assert user is not None
    _guard_admin(db, user, username, roles)
    if username == user.username and not set(roles) & permissions.ACTIONS["manage_users"]:
        raise auth.UserError("access.keep_user_management")
    auth.set_roles(db, user.username, username, list(roles), list(hrbp_departments))


def audit_trail(
    db: Database,
    user: User | None,
    *,
    actor: str | None = None,
    action: str | None = None,
    entity_id: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    limit: int = 500,
) -> pl.DataFrame:
    """Audit rows newest first, filtered (see :func:`core.audit.entries`), for those who may read the trail.

    Columns: seq, ts, actor, action, entity, entity_id, detail.
    """
    permissions.require(db, user, "read_audit")
    return audit.entries(
        db,
        actor=actor or None,
        action=action or None,
        entity_id=entity_id or None,
        since=since,
        until=until,
        limit=limit,
    )


def verify_audit_chain(db: Database, user: User | None) -> audit.ChainCheck:
    """Walk the audit hash chain (see :func:`core.audit.verify_chain`) for those who may read the trail."""
    permissions.require(db, user, "read_audit")
    return audit.verify_chain(db)
