"""Account records: the checks a new account, its roles and its password must pass, and the writers that
change an account on the caller's cursor, each audited inside that transaction.

:mod:`core.auth` uses them for the changes it makes at once (the command line, the demo, an account
without an approver role); :mod:`core.access` applies a confirmed account request with them, in the
confirmation's transaction. A check raises :class:`UserError` and writes nothing.

Usernames are case-insensitive: trimmed and lower-cased before anything compares them. A password has
at least 10 characters with a letter and a digit, is not one of the common passwords of
``core/common_passwords.txt`` (the entries of 10 characters or more of SecLists' 10,000 most common
passwords and its top 10,000 Chinese ones, MIT licence; shorter ones fail the length rule first) and
does not contain the username.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from core import audit, login_guard
from core.db import Cursor, Database
from core.errors import CoreError, Text
from core.values import text_input
from core.vocabulary import ROLES

USERNAME = re.compile(r"^[a-z0-9_.\-]{2,40}$")  # a new name, lower-cased first
MAX_TYPED_NAME = 100  # what a name box may hold before anything else looks at it
MIN_PASSWORD = 10
MAX_PASSWORD = 256
MAX_DISPLAY_NAME = 100
COMMON_PASSWORDS = Path(__file__).with_name("common_passwords.txt")


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


class UserError(CoreError):
    """A user-management request that cannot be done; the message (``auth.*``) says why."""


def normalise_username(username: object) -> str:
    """A username as stored: trimmed and lower-case (names are case-insensitive)."""
    return str(username or "")[:MAX_TYPED_NAME].strip().lower()


@cache
def common_passwords() -> frozenset[str]:
    """The common passwords a new one may not be (lower-case; core/common_passwords.txt)."""
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip())


def check_password_policy(password: str, username: str | None = None) -> None:
    """At least 10 characters (at most 256) with a letter and a digit, not a common password and not
    containing the username (of 3 characters or more); raises UserError naming what is wrong."""
    password = password or ""
    if len(password) > MAX_PASSWORD:
        raise UserError("auth.password_too_long", limit=MAX_PASSWORD)
    if len(password) < MIN_PASSWORD or not re.search(r"[A-Za-z]", password) or not re.search(r"\d", password):
        raise UserError("auth.weak_password", length=MIN_PASSWORD)
    lowered = password.lower()
    if lowered in common_passwords():
        raise UserError("auth.common_password")
    name = normalise_username(username)
    if len(name) >= 3 and name in lowered:
        raise UserError("auth.password_has_username")


@dataclass(frozen=True)
class NewAccount:
    """An account to create, checked by :func:`check_new_account`."""

    username: str
    roles: tuple[str, ...]
    employee_id: str | None = None
    display_name: str | None = None
    hrbp_departments: tuple[str, ...] = ()


def check_roles(db: Database, roles: list[str] | tuple[str, ...], hrbp_departments: list[str] | tuple[str, ...] = ()
                ) -> tuple[tuple[str, ...], tuple[str, ...]]:  # fmt: skip
    """The roles sorted and the HRBP departments (only for an HRBP); UserError for an unknown role, no
    role, an HRBP without departments or an unknown department."""
    chosen = tuple(sorted(set(roles)))
    unknown = [r for r in chosen if r not in ROLES]
    if unknown:
        raise UserError("auth.unknown_roles", roles=unknown, choices=list(ROLES))
    if not chosen:
        raise UserError("auth.no_role", choices=list(ROLES))
    departments = tuple(dict.fromkeys(hrbp_departments)) if "hrbp" in chosen else ()
    if "hrbp" in chosen and not departments:
        raise UserError("auth.hrbp_departments")
    known = {r["dept_id"] for r in db.rows("SELECT dept_id FROM departments")}
    missing = [d for d in departments if d not in known]
    if missing:
        raise UserError("auth.unknown_departments", departments=missing)
    return chosen, departments


def check_new_account(db: Database, username: str, roles: list[str] | tuple[str, ...], employee_id: str | None = None,
                      display_name: str | None = None, hrbp_departments: list[str] | tuple[str, ...] = ()
                      ) -> NewAccount:  # fmt: skip
    """An account that may be created (HR and admin accounts need not be employees); UserError with the
    reason for a bad or taken name, a role, an employee or a display name that is too long."""
    name = normalise_username(username)
    if not USERNAME.match(name):
        raise UserError("auth.bad_username")
    chosen, departments = check_roles(db, roles, hrbp_departments)
    shown = text_input(display_name, Text("field.display_name"), limit=MAX_DISPLAY_NAME, error=UserError)
    if employee_id is not None:
        person = db.one("SELECT name FROM employees WHERE employee_id = ?", [employee_id])
        if person is None:
            raise UserError("auth.employee_unknown", employee_id=employee_id)
        shown = shown or person["name"]
    elif set(chosen) & {"employee", "manager"}:
        raise UserError("auth.employee_required")
    account = NewAccount(name, chosen, employee_id, shown, departments)
    _check_free(db.cursor(), account)
    return account


def _check_free(cur: Cursor, account: NewAccount) -> None:
    if cur.execute("SELECT 1 FROM users WHERE username = ?", [account.username]).fetchone():
        raise UserError("auth.username_taken", username=account.username)
    if account.employee_id is not None:
        taken = cur.execute("SELECT username FROM users WHERE employee_id = ?", [account.employee_id]).fetchone()
        if taken:
            raise UserError("auth.employee_taken", employee_id=account.employee_id, username=taken[0])


def insert_account(cur: Cursor, actor: str, account: NewAccount, password_hash: str,
                   detail: dict | None = None) -> None:  # fmt: skip
    """Create ``account`` on the caller's cursor, audited (``detail`` adds to the audit row)."""
    _check_free(cur, account)  # again inside the transaction: two requests for one name cannot both pass
    now = _now()
    cur.execute(
        "INSERT INTO users (username, employee_id, display_name, password_hash, created_at, password_changed_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [account.username, account.employee_id, account.display_name, password_hash, now, now],
    )
    _write_roles(cur, actor, account.username, account.roles, account.hrbp_departments)
    audit.record(cur, actor, "user_create", "user", account.username,
                 {"roles": list(account.roles), "employee_id": account.employee_id,
                  "hrbp_departments": list(account.hrbp_departments), **(detail or {})})  # fmt: skip


def _write_roles(cur: Cursor, actor: str, username: str, roles: tuple[str, ...], departments: tuple[str, ...]) -> None:
    cur.execute("DELETE FROM user_roles WHERE username = ?", [username])
    for role in roles:
        cur.execute("INSERT INTO user_roles VALUES (?, ?, ?, ?)", [username, role, actor, _now()])
    cur.execute("DELETE FROM hrbp_scope WHERE username = ?", [username])
    for dept in departments:
        cur.execute("INSERT INTO hrbp_scope (username, dept_id) VALUES (?, ?)", [username, dept])


def existing_username(db: Database, username: str) -> str:
    """``username`` as stored; UserError when there is no such account."""
    name = normalise_username(username)
    if not db.one("SELECT 1 AS x FROM users WHERE username = ?", [name]):
        raise UserError("auth.unknown_user", username=name)
    return name


def write_roles(cur: Cursor, actor: str, username: str, roles: tuple[str, ...], departments: tuple[str, ...],
                detail: dict | None = None) -> None:  # fmt: skip
    """Replace an account's roles and HRBP departments on the caller's cursor, audited."""
    _write_roles(cur, actor, username, roles, departments)
    audit.record(cur, actor, "user_update", "user", username,
                 {"roles": list(roles), "hrbp_departments": list(departments), **(detail or {})})  # fmt: skip


def write_password(cur: Cursor, actor: str, username: str, password_hash: str, detail: dict | None = None) -> None:
    """Set ``username``'s password on the caller's cursor, audited. Set by someone else, it ends all of
    that user's sessions, lifts any lockout and makes them choose a new password at their next login."""
    cur.execute(
        "UPDATE users SET password_hash = ?, password_changed_at = ?, must_change_password = ? WHERE username = ?",
        [password_hash, _now(), normalise_username(actor) != username, username],
    )
    login_guard.clear(cur, username)
    ended = cur.execute(
        "UPDATE sessions SET ended_at = ?, end_reason = 'password_reset' WHERE username = ? AND ended_at IS NULL"
        " RETURNING token_sha256",
        [_now(), username],
    ).fetchall()
    audit.record(cur, actor, "password_reset", "user", username, {"sessions_ended": len(ended), **(detail or {})})


def write_disabled(cur: Cursor, actor: str, username: str, disabled: bool, detail: dict | None = None) -> None:
    """Disable (ending the account's open sessions at once) or re-enable it on the caller's cursor, audited."""
    cur.execute("UPDATE users SET disabled = ? WHERE username = ?", [disabled, username])
    if disabled:
        cur.execute(
            "UPDATE sessions SET ended_at = ?, end_reason = 'disabled' WHERE username = ? AND ended_at IS NULL",
            [_now(), username],
        )
    audit.record(cur, actor, "user_disable" if disabled else "user_enable", "user", username, detail)
