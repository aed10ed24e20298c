"""Users, passwords (argon2id), lockout and sessions.

Login failures all get one generic sentence, whether the user is unknown, the password wrong, the
account locked or disabled, so the screen never tells an attacker which accounts exist. Five
failures within 15 minutes lock the account for 15 minutes. A session is a random token held by the
browser; the database keeps only its SHA-256, its owner and when it was last used, so an idle or
disabled session ends on the next request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from core import audit
from core.db import Cursor, Database
from core.errors import CoreError
from core.vocabulary import ROLE_LABELS, ROLES

__all__ = ["ROLES", "ROLE_LABELS", "LoginFailed", "User", "UserError"]

LOCK_AFTER_FAILURES = 5
FAILURE_WINDOW = dt.timedelta(minutes=15)
LOCK_DURATION = dt.timedelta(minutes=15)
TOUCH_EVERY = dt.timedelta(minutes=1)
USERNAME = re.compile(r"^[A-Za-z0-9_.\-]{2,40}$")

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
_DUMMY_HASH = _hasher.hash("jixiao-timing-equaliser")


def idle_timeout() -> dt.timedelta:
    """The idle timeout (JIXIAO_IDLE_MINUTES, default 30)."""
    return dt.timedelta(minutes=float(os.environ.get("JIXIAO_IDLE_MINUTES", "30")))


def session_lifetime() -> dt.timedelta:
    """How long a login lasts at most, however busy (JIXIAO_SESSION_HOURS, default 12)."""
    return dt.timedelta(hours=float(os.environ.get("JIXIAO_SESSION_HOURS", "12")))


def _agent_hash(user_agent: str | None) -> str | None:
    return hashlib.sha256(user_agent.encode("utf-8", "replace")).hexdigest() if user_agent else None


class LoginFailed(CoreError):
    """Login refused; the message is the same generic sentence for every reason."""

    def __init__(self) -> None:
        super().__init__(
            "auth.login_failed", failures=LOCK_AFTER_FAILURES, minutes=int(LOCK_DURATION.total_seconds() // 60)
        )


GENERIC_FAILURE = str(LoginFailed())


class UserError(CoreError):
    """A user-management request that cannot be done; the message (``auth.*``) says why."""


@dataclass(frozen=True)
class User:
    """The acting user, as every scoped core function receives it."""

    username: str
    roles: frozenset[str]
    employee_id: str | None = None
    display_name: str | None = None
    #: the SHA-256 of the login session's token (None outside a login session: the command line, tests)
    session: str | None = None

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def label(self) -> str:
        return self.display_name or self.username


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher.hash(password)


def check_password_policy(password: str) -> None:
    """At least 8 characters with a letter and a digit; raises UserError otherwise."""
    if len(password) < 8 or not re.search(r"[A-Za-z]", password) or not re.search(r"\d", password):
        raise UserError("auth.weak_password")


# a user row with its roles as a list
_USER_SQL = (
    "SELECT u.username, u.employee_id, u.display_name, u.password_hash, u.locked_until, u.disabled,"
    " coalesce((SELECT list(r.role ORDER BY r.role) FROM user_roles r WHERE r.username = u.username),"
    " []::VARCHAR[]) AS roles, (SELECT e.status FROM employees e WHERE e.employee_id = u.employee_id) AS person_status"
    " FROM users u"
)


def _user_from_row(row: dict, session: str | None = None) -> User:
    return User(row["username"], frozenset(row["roles"] or ()), row["employee_id"], row["display_name"], session)


def get_user(db: Database, username: str, *, session: str | None = None) -> User | None:
    """The enabled user called ``username``, or None (unknown or disabled)."""
    row = db.one(_USER_SQL + " WHERE u.username = ? AND NOT u.disabled", [username])
    return _user_from_row(row, session) if row else None


def roles_of(db: Database, username: str) -> list[str]:
    """The role codes of ``username``, sorted."""
    return [r["role"] for r in db.rows("SELECT role FROM user_roles WHERE username = ? ORDER BY role", [username])]


def _write_roles(cur: Cursor, username: str, roles: list[str], actor: str) -> None:
    cur.execute("DELETE FROM user_roles WHERE username = ?", [username])
    for role in roles:
        cur.execute("INSERT INTO user_roles VALUES (?, ?, ?, ?)", [username, role, actor, _now()])


def authenticate(db: Database, username: str, password: str) -> User:
    """Check a login. Records success, failure and lockout in the audit log; raises LoginFailed
    with the generic message on any failure."""
    username = (username or "").strip()
    now = _now()
    row = db.one(_USER_SQL + " WHERE u.username = ?", [username])
    if row is None:
        _verify(_DUMMY_HASH, password)  # spend the same time as for a real account
        audit.log(db, username or "?", "login_failed", "user", username, {"why": "unknown_user"})
        raise LoginFailed()
    if row["disabled"] or row["person_status"] == "left":  # a person who left cannot log in from that moment
        _verify(_DUMMY_HASH, password)
        audit.log(db, username, "login_failed", "user", username, {"why": "disabled" if row["disabled"] else "left"})
        raise LoginFailed()
    if row["locked_until"] is not None and row["locked_until"] > now:
        _verify(_DUMMY_HASH, password)
        audit.log(db, username, "login_failed", "user", username, {"why": "locked", "until": row["locked_until"]})
        raise LoginFailed()
    if not _verify(row["password_hash"], password):
        with db.transaction() as cur:
            cur.execute("INSERT INTO login_failures (username, failed_at) VALUES (?, ?)", [username, now])
            recent = cur.execute(
                "SELECT count(*) FROM login_failures WHERE username = ? AND failed_at > ?",
                [username, now - FAILURE_WINDOW],
            ).fetchone()[0]
            cur.execute("UPDATE users SET failed_logins = ? WHERE username = ?", [recent, username])
            audit.record(
                cur, username, "login_failed", "user", username, {"why": "password", "recent_failures": recent}
            )
            if recent >= LOCK_AFTER_FAILURES:
                until = now + LOCK_DURATION
                cur.execute("UPDATE users SET locked_until = ? WHERE username = ?", [until, username])
                cur.execute("DELETE FROM login_failures WHERE username = ?", [username])
                audit.record(cur, "system", "lockout", "user", username, {"until": until, "failures": recent})
        raise LoginFailed()
    with db.transaction() as cur:
        cur.execute("DELETE FROM login_failures WHERE username = ?", [username])
        cur.execute("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE username = ?", [username])
        audit.record(cur, username, "login", "user", username)
    return _user_from_row(row)


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


# ---- sessions -----------------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "ignore")).hexdigest()


def start_session(db: Database, user: User, *, user_agent: str | None = None) -> str:
    """A new session for ``user`` in the browser that sent ``user_agent``; returns the token for that
    browser (never stored in clear)."""
    token = secrets.token_urlsafe(32)
    now = _now()
    with db.transaction() as cur:
        cur.execute(
            "INSERT INTO sessions (token_sha256, username, created_at, last_seen, user_agent_sha256)"
            " VALUES (?, ?, ?, ?, ?)",
            [_token_hash(token), user.username, now, now, _agent_hash(user_agent)],
        )
    return token


def resume_session(db: Database, token: str | None, *, user_agent: str | None = None) -> User | None:
    """The user of a live session, touching its last use; None when the token is unknown or ended, and the
    session ends at once when it is idle past the timeout, older than its lifetime, presented by another
    browser than the one it was issued to, its account is disabled, or its person has left the company."""
    if not token:
        return None
    digest = _token_hash(token)
    row = db.one(
        "SELECT s.username, s.created_at, s.last_seen, s.ended_at, s.user_agent_sha256, u.disabled, e.status"
        " FROM sessions s LEFT JOIN users u USING (username) LEFT JOIN employees e ON e.employee_id = u.employee_id"
        " WHERE s.token_sha256 = ?",
        [digest],
    )
    if row is None or row["ended_at"] is not None:
        return None
    now = _now()
    ended = _why_it_ends(row, now, _agent_hash(user_agent))
    if ended is not None:
        action, detail = ended
        _end(db, digest, row["username"], action, detail)
        return None
    if now - row["last_seen"] >= touch_interval():
        with db.transaction() as cur:
            cur.execute("UPDATE sessions SET last_seen = ? WHERE token_sha256 = ?", [now, digest])
    return get_user(db, row["username"], session=digest)


def touch_interval() -> dt.timedelta:
    """How often a live session's last use is written: once a minute at most (half the idle timeout when
    that is shorter), so a page rerun does not write the session row every time."""
    return min(TOUCH_EVERY, idle_timeout() / 2)


def end_idle_sessions(db: Database) -> str:
    """End every session idle for longer than the timeout or older than its lifetime, and forget the reads
    audited in sessions that ended (the job runner's housekeeping). Audited when it changed anything;
    returns what it did."""
    now = _now()
    with db.transaction() as cur:
        idle = cur.execute(
            "UPDATE sessions SET ended_at = ?, end_reason = CASE WHEN created_at < ? THEN 'lifetime' ELSE 'idle' END"
            " WHERE ended_at IS NULL AND (last_seen < ? OR created_at < ?) RETURNING username",
            [now, now - session_lifetime(), now - idle_timeout(), now - session_lifetime()],
        ).fetchall()
        forgotten = cur.execute(
            "DELETE FROM session_reads WHERE token_sha256 IN (SELECT token_sha256 FROM sessions"
            " WHERE ended_at IS NOT NULL) RETURNING token_sha256"
        ).fetchall()
        if idle or forgotten:
            audit.record(cur, "system", "sessions_housekeeping", "session", None,
                         {"ended_idle": len(idle), "reads_forgotten": len(forgotten)})  # fmt: skip
    return f"ended {len(idle)} idle sessions, forgot {len(forgotten)} audited reads of ended sessions"


def _why_it_ends(row: dict, now: dt.datetime, agent: str | None) -> tuple[str, dict] | None:
    """(audit action, detail) when a session may not go on, else None."""
    if row["disabled"] is None or row["disabled"]:
        return "logout", {"why": "disabled"}
    if row["status"] == "left":
        return "logout", {"why": "left"}
    if row["user_agent_sha256"] is not None and agent != row["user_agent_sha256"]:
        return "session_refused", {"why": "user_agent"}  # a copied token presented by another browser
    if now - row["created_at"] > session_lifetime():
        return "session_expired", {"why": "lifetime", "since": row["created_at"]}
    if now - row["last_seen"] > idle_timeout():
        return "session_expired", {"why": "idle", "idle_since": row["last_seen"]}
    return None


def end_sessions_of(cur: Cursor, employee_ids: list[str], why: str, actor: str) -> int:
    """End at once, inside the caller's transaction, every open session of the accounts of these people
    (their roster status became 离职, say); audited per account. Returns how many sessions ended."""
    if not employee_ids:
        return 0
    rows = cur.execute(
        "UPDATE sessions SET ended_at = ?, end_reason = ? WHERE ended_at IS NULL AND username IN ("
        " SELECT username FROM users WHERE list_contains(?::VARCHAR[], employee_id)) RETURNING username",
        [_now(), why, list(employee_ids)],
    ).fetchall()
    for username in sorted({r[0] for r in rows}):
        audit.record(cur, actor, "logout", "user", username, {"why": why})
    return len(rows)


def end_session(db: Database, token: str | None) -> None:
    """Log out: the session ends and the logout is audited."""
    if not token:
        return
    digest = _token_hash(token)
    row = db.one("SELECT username FROM sessions WHERE token_sha256 = ? AND ended_at IS NULL", [digest])
    if row:
        _end(db, digest, row["username"], "logout", None)


def _end(db: Database, digest: str, username: str, action: str, detail: dict | None) -> None:
    with db.transaction() as cur:
        why = (detail or {}).get("why", action)
        cur.execute("UPDATE sessions SET ended_at = ?, end_reason = ? WHERE token_sha256 = ?", [_now(), why, digest])
        audit.record(cur, username, action, "user", username, detail)


# ---- user management ----------------------------------------------------------------------------


def create_user(db: Database, actor: str, username: str, password: str, roles: list[str] | tuple[str, ...],
                employee_id: str | None = None, display_name: str | None = None,
                hrbp_departments: list[str] | tuple[str, ...] = ()) -> User:  # fmt: skip
    """Create an account (HR and admin accounts need not be employees). Raises UserError with the
    reason for a bad name, password, role, employee or a taken name."""
    username = (username or "").strip()
    if not USERNAME.match(username):
        raise UserError("auth.bad_username")
    roles = sorted(set(roles))
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise UserError("auth.unknown_roles", roles=unknown, choices=list(ROLES))
    if not roles:
        raise UserError("auth.no_role", choices=list(ROLES))
    check_password_policy(password)
    if employee_id is not None:
        person = db.one("SELECT name FROM employees WHERE employee_id = ?", [employee_id])
        if person is None:
            raise UserError("auth.employee_unknown", employee_id=employee_id)
        display_name = display_name or person["name"]
        taken = db.one("SELECT username FROM users WHERE employee_id = ?", [employee_id])
        if taken:
            raise UserError("auth.employee_taken", employee_id=employee_id, username=taken["username"])
    elif roles and set(roles) & {"employee", "manager"}:
        raise UserError("auth.employee_required")
    if "hrbp" in roles and not hrbp_departments:
        raise UserError("auth.hrbp_departments")
    if db.one("SELECT 1 AS x FROM users WHERE username = ?", [username]):
        raise UserError("auth.username_taken", username=username)
    known = {r["dept_id"] for r in db.rows("SELECT dept_id FROM departments")}
    missing = [d for d in hrbp_departments if d not in known]
    if missing:
        raise UserError("auth.unknown_departments", departments=missing)
    with db.transaction() as cur:
        cur.execute(
            "INSERT INTO users (username, employee_id, display_name, password_hash, created_at, password_changed_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [username, employee_id, display_name, hash_password(password), _now(), _now()],
        )
        _write_roles(cur, username, roles, actor)
        for dept in hrbp_departments:
            cur.execute("INSERT INTO hrbp_scope (username, dept_id) VALUES (?, ?)", [username, dept])
        audit.record(cur, actor, "user_create", "user", username,
                     {"roles": roles, "employee_id": employee_id, "hrbp_departments": list(hrbp_departments)})  # fmt: skip
    return User(username, frozenset(roles), employee_id, display_name)


def reset_password(db: Database, actor: str, username: str, password: str) -> None:
    """Set a new password; clears a lockout."""
    check_password_policy(password)
    if not db.one("SELECT 1 AS x FROM users WHERE username = ?", [username]):
        raise UserError("auth.unknown_user", username=username)
    with db.transaction() as cur:
        cur.execute(
            "UPDATE users SET password_hash = ?, password_changed_at = ?, failed_logins = 0, locked_until = NULL WHERE username = ?",
            [hash_password(password), _now(), username],
        )
        cur.execute("DELETE FROM login_failures WHERE username = ?", [username])
        audit.record(cur, actor, "password_reset", "user", username)


def set_disabled(db: Database, actor: str, username: str, disabled: bool = True) -> None:
    """Disable (or re-enable) an account; a disabled account's open sessions end at once."""
    if not db.one("SELECT 1 AS x FROM users WHERE username = ?", [username]):
        raise UserError("auth.unknown_user", username=username)
    if disabled and actor == username:
        raise UserError("auth.disable_self")
    with db.transaction() as cur:
        cur.execute("UPDATE users SET disabled = ? WHERE username = ?", [disabled, username])
        if disabled:
            cur.execute("UPDATE sessions SET ended_at = ? WHERE username = ? AND ended_at IS NULL", [_now(), username])
        audit.record(cur, actor, "user_disable" if disabled else "user_enable", "user", username)


def set_roles(db: Database, actor: str, username: str, roles: list[str], hrbp_departments: list[str] = ()) -> None:
    """Change an account's roles (and an HRBP's departments)."""
    roles = sorted(set(roles))
    if not roles or any(r not in ROLES for r in roles):
        raise UserError("auth.invalid_roles", choices=list(ROLES))
    if "hrbp" in roles and not hrbp_departments:
        raise UserError("auth.hrbp_departments")
    if not db.one("SELECT 1 AS x FROM users WHERE username = ?", [username]):
        raise UserError("auth.unknown_user", username=username)
    with db.transaction() as cur:
        _write_roles(cur, username, roles, actor)
        cur.execute("DELETE FROM hrbp_scope WHERE username = ?", [username])
        for dept in hrbp_departments if "hrbp" in roles else ():
            cur.execute("INSERT INTO hrbp_scope (username, dept_id) VALUES (?, ?)", [username, dept])
        audit.record(
            cur, actor, "user_update", "user", username, {"roles": roles, "hrbp_departments": list(hrbp_departments)}
        )
