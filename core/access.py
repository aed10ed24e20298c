"""Who has access and what was done: accounts and the audit trail, as the 用户与权限 and 审计日志
screens use them.

Each function checks the acting user's permission first (``manage_users`` or ``read_audit``) and raises
:class:`core.permissions.Forbidden` otherwise; the writes themselves are :mod:`core.accounts`' writers,
which audit every change inside its transaction.

Separation of duties for accounts: a change that could give someone approver power — creating an account
with an approver role (HRBP, executive, HR, IT admin), changing the roles of an account that holds or
would hold one, resetting such an account's password (whoever sets it knows it), re-enabling it — is
filed as an account request. A DIFFERENT HR or IT admin, who is not the account concerned, confirms it
(the change is made then, in that transaction) or rejects it; the requester may withdraw it. Disabling
acts at once: taking access away never waits. Accounts with other roles change at once, as before. The
command line (``python -m core.admin``, run by the server's operator) acts directly: it is how the
first, or a second, HR or IT admin account comes to exist.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from core import accounts, audit, auth, login_guard, permissions
from core.auth import User
from core.db import Database
from core.errors import Text
from core.values import text_input
from core.vocabulary import MAX_TEXT

MAX_FILTER = 300  # characters of a filter of the audit trail


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def list_accounts(db: Database, user: User | None) -> pl.DataFrame:
    """Every account, by username.

    Columns: username, display_name, employee_id, department, roles (list of role codes),
    hrbp_departments (department names), disabled, locked (locked out right now, from some address),
    must_change_password, created_at.
    """
    permissions.require(db, user, "manage_users")
    return db.frame(
        f"""
        SELECT u.username, u.display_name, u.employee_id, d.name AS department,
               coalesce((SELECT list(r.role ORDER BY r.role) FROM user_roles r WHERE r.username = u.username),
                        []::VARCHAR[]) AS roles,
               coalesce((SELECT list(sd.name ORDER BY sd.name) FROM hrbp_scope s
                         JOIN departments sd ON sd.dept_id = s.dept_id WHERE s.username = u.username),
                        []::VARCHAR[]) AS hrbp_departments,
               u.disabled,
               {login_guard.locked_sql("u.username")} AS locked,
               u.must_change_password,
               u.created_at
        FROM users u
        LEFT JOIN employees e ON e.employee_id = u.employee_id
        LEFT JOIN departments d ON d.dept_id = e.dept_id
        ORDER BY u.username
        """,
        [_now()],
    )


def hrbp_department_ids(db: Database, user: User | None, username: str) -> list[str]:
    """The departments assigned to the HRBP ``username`` (as assigned, without sub-departments)."""
    permissions.require(db, user, "manage_users")
    return [
        r["dept_id"]
        for r in db.rows(
            "SELECT dept_id FROM hrbp_scope WHERE username = ? ORDER BY dept_id", [auth.normalise_username(username)]
        )
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
    code = permissions.admin_grant_refusal(user, auth.roles_of(db, username) if username else (), roles)
    if code:
        raise auth.UserError(code)


def _needs_confirmation(db: Database, username: str | None, roles: Sequence[str] = ()) -> bool:
    return permissions.account_change_needs_second(auth.roles_of(db, username) if username else (), roles)


def _why_not(db: Database, actor: User, row: dict[str, Any], payload: dict[str, Any]) -> str | None:
    target = row["username"] if row["kind"] != "create" else None
    return permissions.account_request_refusal(
        actor, row["requested_by"], row["username"], auth.roles_of(db, target) if target else (),
        payload.get("roles", ()),
    )  # fmt: skip


def _manager(db: Database, user: User | None) -> User:
    permissions.require(db, user, "manage_users")
    assert user is not None
    return user


@dataclass(frozen=True)
class AccountChange:
    """What a request on 用户与权限 did: applied at once, or filed for a second person to confirm."""

    username: str
    applied: bool
    request_id: str | None = None


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
) -> AccountChange:
    """Create an account as ``user``: at once for the non-approver roles (employee, manager, analyst),
    else as a request another HR or IT admin confirms. Everything is checked now (UserError with the
    reason), so a request never fails at confirmation for what could be seen today."""
    actor = _manager(db, user)
    _guard_admin(db, actor, None, roles)
    account = accounts.check_new_account(db, username, list(roles), employee_id, display_name or None,
                                         tuple(hrbp_departments))  # fmt: skip
    auth.check_password_policy(password, account.username)
    if not _needs_confirmation(db, None, account.roles):
        created = auth.create_user(db, actor.username, account.username, password, list(account.roles),
                                   account.employee_id, account.display_name, account.hrbp_departments)  # fmt: skip
        return AccountChange(created.username, True)
    payload = {"roles": list(account.roles), "employee_id": account.employee_id,
               "display_name": account.display_name, "hrbp_departments": list(account.hrbp_departments)}  # fmt: skip
    return _file(db, actor, "create", account.username, payload, auth.hash_password(password))


def reset_password(db: Database, user: User | None, username: str, password: str) -> AccountChange:
    """Set a new password for ``username`` as ``user``. Another user's sessions end and they choose a
    new password at the next login; for an approver's account (whoever sets a password knows it) that
    waits for a second HR or IT admin. One's own password is simply changed."""
    actor = _manager(db, user)
    name = accounts.existing_username(db, username)
    _guard_admin(db, actor, name)
    if name == actor.username:
        auth.change_own_password(db, actor, password, password)
        return AccountChange(name, True)
    auth.check_password_policy(password, name)
    if not _needs_confirmation(db, name):
        auth.reset_password(db, actor.username, name, password)
        return AccountChange(name, True)
    return _file(db, actor, "password", name, {}, auth.hash_password(password))


def set_disabled(db: Database, user: User | None, username: str, disabled: bool) -> AccountChange:
    """Disable ``username`` as ``user`` at once (its open sessions end: taking access away never waits),
    or re-enable it: at once, or for an approver's account as a request a second person confirms."""
    actor = _manager(db, user)
    name = accounts.existing_username(db, username)
    _guard_admin(db, actor, name)
    if disabled or not _needs_confirmation(db, name):
        auth.set_disabled(db, actor.username, name, disabled)
        return AccountChange(name, True)
    return _file(db, actor, "enable", name, {})


def set_roles(
    db: Database, user: User | None, username: str, roles: Sequence[str], hrbp_departments: Sequence[str] = ()
) -> AccountChange:
    """Change the roles (and an HRBP's departments) of ``username`` as ``user``: at once between
    non-approver roles, else as a request a second HR or IT admin confirms. Nobody can take the right to
    manage users away from their own account (someone must always be left to give it back)."""
    actor = _manager(db, user)
    name = accounts.existing_username(db, username)
    _guard_admin(db, actor, name, roles)
    if name == actor.username and not set(roles) & permissions.ACTIONS["manage_users"]:
        raise auth.UserError("access.keep_user_management")
    if not _needs_confirmation(db, name, roles):
        auth.set_roles(db, actor.username, name, list(roles), list(hrbp_departments))
        return AccountChange(name, True)
    chosen, departments = accounts.check_roles(db, list(roles), list(hrbp_departments))
    return _file(db, actor, "roles", name, {"roles": list(chosen), "hrbp_departments": list(departments)})


# ---- account requests ---------------------------------------------------------------------------


def _file(db: Database, actor: User, kind: str, username: str, payload: dict[str, Any],
          password_hash: str | None = None) -> AccountChange:  # fmt: skip
    request_id = "AR-" + secrets.token_hex(6)
    with db.transaction() as cur:
        pending = cur.execute(
            "SELECT request_id FROM account_requests WHERE username = ? AND status = 'pending'", [username]
        ).fetchone()
        if pending:
            raise auth.UserError("access.request_pending", username=username, request_id=pending[0])
        cur.execute(
            "INSERT INTO account_requests (request_id, kind, username, payload, password_hash, requested_by,"
            " requested_at, status) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending')",
            [request_id, kind, username, json.dumps(payload, ensure_ascii=False, sort_keys=True), password_hash,
             actor.username, _now()],
        )  # fmt: skip
        audit.record(cur, actor.username, "account_request", "account_request", request_id,
                     {"request_kind": kind, "username": username, **payload})  # fmt: skip
    return AccountChange(username, False, request_id)


def pending_requests(db: Database, user: User | None) -> list[dict[str, Any]]:
    """Account requests waiting for a second person, oldest first: request_id, kind, username, roles,
    employee_id, display_name, hrbp_departments, requested_by, requested_at, and ``may_decide`` (this
    user may confirm or reject it: not their own request, not their own account, admin rights only by an
    admin) with ``why_not`` (a catalog code of why not, else None)."""
    actor = _manager(db, user)
    rows = db.rows(
        "SELECT request_id, kind, username, payload, requested_by, requested_at FROM account_requests"
        " WHERE status = 'pending' ORDER BY requested_at, request_id"
    )
    out = []
    for row in rows:
        payload = json.loads(row.pop("payload"))
        why_not = _why_not(db, actor, row, payload)
        out.append({**row, **payload, "may_decide": why_not is None, "why_not": why_not})
    return out


def other_user_managers(db: Database, user: User | None) -> list[str]:
    """The other enabled accounts that may confirm an account request of ``user`` (HR and IT admins)."""
    actor = _manager(db, user)
    return [
        r["username"]
        for r in db.rows(
            "SELECT DISTINCT u.username FROM users u JOIN user_roles r USING (username)"
            " WHERE NOT u.disabled AND list_contains(?::VARCHAR[], r.role) AND u.username <> ? ORDER BY 1",
            [sorted(permissions.ACTIONS["manage_users"]), actor.username],
        )
    ]


def confirm_request(db: Database, user: User | None, request_id: str) -> None:
    """Confirm a pending account request as ``user`` (not the requester, not the account concerned):
    the change is made now, in this transaction, checked again, with the request's status and both
    audit rows. UserError when it may not be confirmed or no longer can be (say, the name was taken)."""
    actor = _manager(db, user)
    row, payload = _pending(db, request_id)
    why_not = _why_not(db, actor, row, payload)
    if why_not:
        raise auth.UserError(why_not, requested_by=row["requested_by"])
    detail = {"request_id": request_id, "requested_by": row["requested_by"]}
    with db.transaction() as cur:
        _decide(cur, actor, request_id, "confirmed", None)
        _apply(db, cur, actor.username, row, payload, detail)
        audit.record(cur, actor.username, "account_request_confirm", "account_request", request_id,
                     {"request_kind": row["kind"], "username": row["username"], "requested_by": row["requested_by"]})  # fmt: skip


def _apply(db: Database, cur: Any, actor: str, row: dict[str, Any], payload: dict[str, Any],
           detail: dict[str, Any]) -> None:  # fmt: skip
    """Make a confirmed request's change on the confirmation's cursor, checked again as of now."""
    kind, name = row["kind"], row["username"]
    if kind == "create":
        account = accounts.check_new_account(db, name, payload["roles"], payload.get("employee_id"),
                                             payload.get("display_name"), payload.get("hrbp_departments", ()))  # fmt: skip
        accounts.insert_account(cur, actor, account, row["password_hash"], detail)
        return
    accounts.existing_username(db, name)
    if kind == "roles":
        chosen, departments = accounts.check_roles(db, payload["roles"], payload.get("hrbp_departments", ()))
        accounts.write_roles(cur, actor, name, chosen, departments, detail)
    elif kind == "password":
        accounts.write_password(cur, actor, name, row["password_hash"], detail)
    elif kind == "enable":
        accounts.write_disabled(cur, actor, name, False, detail)


def reject_request(db: Database, user: User | None, request_id: str, note: str | None = None) -> None:
    """Reject a pending account request as another HR or IT admin (the requester withdraws instead),
    with an optional reason; audited. Nothing about the account changes."""
    actor = _manager(db, user)
    row, payload = _pending(db, request_id)
    why_not = _why_not(db, actor, row, payload)
    if why_not == "access.confirm_own_request":
        raise auth.UserError("access.reject_own_request")
    text = text_input(note, Text("field.request_note"), limit=MAX_TEXT, error=auth.UserError)
    with db.transaction() as cur:
        _decide(cur, actor, request_id, "rejected", text)
        audit.record(cur, actor.username, "account_request_reject", "account_request", request_id,
                     {"request_kind": row["kind"], "username": row["username"], "note": text})  # fmt: skip


def withdraw_request(db: Database, user: User | None, request_id: str) -> None:
    """The requester takes back their own pending account request; audited."""
    actor = _manager(db, user)
    row, _ = _pending(db, request_id)
    if row["requested_by"] != actor.username:
        raise auth.UserError("access.withdraw_not_yours", requested_by=row["requested_by"])
    with db.transaction() as cur:
        _decide(cur, actor, request_id, "withdrawn", None)
        audit.record(cur, actor.username, "account_request_withdraw", "account_request", request_id,
                     {"request_kind": row["kind"], "username": row["username"]})  # fmt: skip


def _pending(db: Database, request_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    row = db.one(
        "SELECT request_id, kind, username, payload, password_hash, requested_by FROM account_requests"
        " WHERE request_id = ? AND status = 'pending'",
        [str(request_id)[:40]],
    )
    if row is None:
        raise auth.UserError("access.no_pending_request", request_id=str(request_id)[:40])
    return row, json.loads(row["payload"])


def _decide(cur: Any, actor: User, request_id: str, status: str, note: str | None) -> None:
    """Close the request, once: two people deciding at once cannot both succeed."""
    done = cur.execute(
        "UPDATE account_requests SET status = ?, decided_by = ?, decided_at = ?, note = ?, password_hash = NULL"
        " WHERE request_id = ? AND status = 'pending' RETURNING request_id",
        [status, actor.username, _now(), note, request_id],
    ).fetchall()
    if not done:
        raise auth.UserError("access.no_pending_request", request_id=request_id)


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
        actor=auth.normalise_username(actor) or None,  # names are stored lower-case; what is typed is cut short
        action=(action or "")[:MAX_FILTER] or None,
        entity_id=(entity_id or "")[:MAX_FILTER].strip() or None,
        since=since,
        until=until,
        limit=limit,
    )


def verify_audit_chain(db: Database, user: User | None) -> audit.ChainCheck:
    """Walk the audit hash chain (see :func:`core.audit.verify_chain`) for those who may read the trail."""
    permissions.require(db, user, "read_audit")
    return audit.verify_chain(db)
