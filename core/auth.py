"""Users, passwords (argon2id), logins and sessions.

Login failures all get one generic sentence, whether the user is unknown, the password wrong, the
account locked, disabled or throttled, so the screen never tells an attacker which accounts exist.
Every attempt is counted and checked against the limits BEFORE its password is hashed
(:mod:`core.login_guard`): concurrent guesses cannot overrun them, and a refused attempt costs no
hash. A name that is not an account goes through the same steps (a hash of a dummy password) and is
never written to the audit trail. Usernames are case-insensitive: stored and compared lower-case.

A session is a random token held by the browser; the database keeps only its SHA-256, its owner and
when it was last used, so an idle or disabled session ends on the next request.
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

from core import accounts, audit, login_guard
from core.accounts import MAX_PASSWORD, UserError, check_password_policy, normalise_username
from core.db import Cursor, Database
from core.errors import CoreError
from core.vocabulary import ROLE_LABELS, ROLES

__all__ = ["ROLES", "ROLE_LABELS", "LoginFailed", "User", "UserError", "check_password_policy"]

LOCK_AFTER_FAILURES = login_guard.LOCK_AFTER_FAILURES
LOCK_DURATION = login_guard.LOCK_DURATION
TOUCH_EVERY = dt.timedelta(minutes=1)
USERNAME = accounts.USERNAME
# a name that may be an account: migration 008 renamed names that differed only in case to name~2 …
LOGIN_NAME = re.compile(r"^[a-z0-9_.\-~]{2,44}$")

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


@dataclass(frozen=True)
class User:
    """The acting user, as every scoped core function receives it."""

    username: str
    roles: frozenset[str]
    employee_id: str | None = None
    display_name: str | None = None
    #: the SHA-256 of the login session's token (None outside a login session: the command line, tests)
    session: str | None = None
    #: someone else reset the password: the app opens nothing but 修改密码 until it is changed
    must_change_password: bool = False

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def label(self) -> str:
        return self.display_name or self.username


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


# ---- passwords ----------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher.hash(password)


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


# ---- users --------------------------------------------------------------------------------------

# a user row with its roles as a list
_USER_SQL = (
    "SELECT u.username, u.employee_id, u.display_name, u.password_hash, u.disabled, u.must_change_password,"
    " coalesce((SELECT list(r.role ORDER BY r.role) FROM user_roles r WHERE r.username = u.username),"
    " []::VARCHAR[]) AS roles, (SELECT e.status FROM employees e WHERE e.employee_id = u.employee_id) AS person_status"
    " FROM users u"
)


def _user_from_row(row: dict, session: str | None = None) -> User:
    return User(row["username"], frozenset(row["roles"] or ()), row["employee_id"], row["display_name"], session,
                bool(row["must_change_password"]))  # fmt: skip


def get_user(db: Database, username: str, *, session: str | None = None) -> User | None:
    """The enabled user called ``username`` (any case), or None (unknown or disabled)."""
    row = db.one(_USER_SQL + " WHERE u.username = ? AND NOT u.disabled", [normalise_username(username)])
    return _user_from_row(row, session) if row else None


def roles_of(db: Database, username: str) -> list[str]:
    """The role codes of ``username``, sorted."""
    return [
        r["role"]
        for r in db.rows("SELECT role FROM user_roles WHERE username = ? ORDER BY role", [normalise_username(username)])
    ]


# ---- logging in ---------------------------------------------------------------------------------


def authenticate(db: Database, username: str, password: str, *, source: str | None = None) -> User:
    """Check a login from the client address ``source`` (None: unknown). Counts the attempt against the
    throttles and locks before any hash (:mod:`core.login_guard`), records success, failure and lockout
    in the audit trail — a name that is no account never reaches it — and raises LoginFailed with the
    generic message on any failure. The user returned carries ``must_change_password``."""
    typed = normalise_username(username)  # capped before anything else reads it
    address = login_guard.source_key(source)
    now = _now()
    with db.transaction() as cur:
        row = _login_row(cur, typed)
        account = row["username"] if row else login_guard.unknown_account_key(typed)
        attempt = login_guard.reserve(cur, account, address, now)
        if attempt.refused:
            _audit_refusal(cur, row, attempt)
    if attempt.refused:
        raise LoginFailed()
    ok = _check(row, password)
    with db.transaction() as cur:
        recent, locks = login_guard.settle(cur, attempt, ok, now)
        _audit_outcome(cur, row, attempt, ok, recent, locks)
    if not ok:
        raise LoginFailed()
    assert row is not None
    return _user_from_row(row)


def _login_row(cur: Cursor, typed: str) -> dict | None:
    if not LOGIN_NAME.match(typed):
        return None  # not a name any account can have: never looked up
    found = cur.execute(_USER_SQL + " WHERE u.username = ?", [typed])
    names = [d[0] for d in found.description or []]
    values = found.fetchone()
    return dict(zip(names, values, strict=True)) if values else None


def _check(row: dict | None, password: str) -> bool:
    """The one argon2 check of an attempt: against the account's hash, or a dummy (the same time) for a
    name that is no account, a disabled account or a person who left."""
    if row is None or row["disabled"] or row["person_status"] == "left":
        _verify(_DUMMY_HASH, password[:MAX_PASSWORD] if password else "")
        return False
    if len(password or "") > MAX_PASSWORD:
        return False  # no password is that long: refused without a hash
    return _verify(row["password_hash"], password)


def _why(row: dict | None) -> str:
    if row is None:
        return "unknown_user"
    if row["disabled"]:
        return "disabled"
    return "left" if row["person_status"] == "left" else "password"


def _address(attempt: login_guard.Attempt) -> dict:
    return {} if attempt.source == login_guard.UNKNOWN_SOURCE else {"address": attempt.source}


def _audit_refusal(cur: Cursor, row: dict | None, attempt: login_guard.Attempt) -> None:
    """A refused attempt: a throttle once a minute, a lock every time; a name that is no account stays out."""
    actor, entity_id = (row["username"], row["username"]) if row else ("?", None)
    if attempt.refused == "locked":
        audit.record(cur, actor, "login_failed", "user", entity_id, {"why": "locked", "until": attempt.until,
                                                                   **_address(attempt)})  # fmt: skip
    elif attempt.first_refusal:
        audit.record(cur, "system", "login_throttled", "login", None, {"why": attempt.refused, **_address(attempt)})


def _audit_outcome(cur: Cursor, row: dict | None, attempt: login_guard.Attempt, ok: bool, recent: int,
                   locks: list[login_guard.Lock], during: str | None = None) -> None:  # fmt: skip
    if ok:
        assert row is not None
        audit.record(cur, row["username"], "login", "user", row["username"], _address(attempt) or None)
        return
    actor, entity_id = (row["username"], row["username"]) if row else ("?", None)
    detail = {"why": _why(row), **({"during": during} if during else {}), **_address(attempt)}
    if row is not None and detail["why"] == "password":
        detail["recent_failures"] = recent
    audit.record(cur, actor, "login_failed", "user", entity_id, detail)
    if locks and row is not None:  # a name that is no account is locked too, silently
        # one row: a lock of every unfamiliar address includes this (unfamiliar) one
        lock = max(locks, key=lambda k: k.source == login_guard.EVERY_STRANGER)
        scope = {"scope": "strangers"} if lock.source == login_guard.EVERY_STRANGER else {}
        audit.record(cur, "system", "lockout", "user", row["username"],
                     {"until": lock.until, "failures": lock.failures, **scope, **_address(attempt)})  # fmt: skip


class PasswordRefused(CoreError):
    """A password re-entered before a weighty step was wrong, or the account is locked or throttled."""


def confirm_password(db: Database, user: User, password: str, *, during: str, source: str | None = None) -> None:
    """Re-check the signed-in ``user``'s password before a weighty step (``during`` names it in the audit
    trail: ``signoff_confirm``). Counted and limited exactly like a login (:mod:`core.login_guard`): a wrong
    password is a failed login, five of them lock the account from that address, and a locked or throttled
    attempt is refused without a hash. Raises PasswordRefused; a success writes nothing but the attempt."""
    address = login_guard.source_key(source)
    now = _now()
    with db.transaction() as cur:
        row = _login_row(cur, user.username)
        account = row["username"] if row else login_guard.unknown_account_key(user.username)
        attempt = login_guard.reserve(cur, account, address, now)
        if attempt.refused:
            _audit_refusal(cur, row, attempt)
    minutes = int(LOCK_DURATION.total_seconds() // 60)
    if attempt.refused == "locked":
        raise PasswordRefused("auth.reentry_locked", minutes=minutes)
    if attempt.refused:
        raise PasswordRefused("auth.reentry_busy")
    ok = _check(row, password)
    if not ok:
        with db.transaction() as cur:
            recent, locks = login_guard.settle(cur, attempt, ok, now)
            _audit_outcome(cur, row, attempt, ok, recent, locks, during)
        raise PasswordRefused("auth.reentry_failed", failures=LOCK_AFTER_FAILURES, minutes=minutes)
    with db.transaction() as cur:
        login_guard.settle(cur, attempt, ok, now)


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
# The changes made at once: each runs core.accounts' check, then its writer in one transaction (core.access
# applies a confirmed account request with the same writers, in the confirmation's transaction).


def create_user(db: Database, actor: str, username: str, password: str, roles: list[str] | tuple[str, ...],
                employee_id: str | None = None, display_name: str | None = None,
                hrbp_departments: list[str] | tuple[str, ...] = ()) -> User:  # fmt: skip
    """Create an account at once (the command line, the demo, and non-approver roles on the screen).
    Raises UserError with the reason for a bad name, password, role, employee or a taken name."""
    account = accounts.check_new_account(db, username, roles, employee_id, display_name, hrbp_departments)
    check_password_policy(password, account.username)
    hashed = hash_password(password)
    with db.transaction() as cur:
        accounts.insert_account(cur, actor, account, hashed)
    return User(account.username, frozenset(account.roles), account.employee_id, account.display_name)


def set_roles(db: Database, actor: str, username: str, roles: list[str], hrbp_departments: list[str] = ()) -> None:
    """Change an account's roles (and an HRBP's departments)."""
    try:
        chosen, departments = accounts.check_roles(db, roles, hrbp_departments)
    except UserError as err:
        if err.code in ("auth.unknown_roles", "auth.no_role"):
            raise UserError("auth.invalid_roles", choices=list(ROLES)) from err
        raise
    name = accounts.existing_username(db, username)
    with db.transaction() as cur:
        accounts.write_roles(cur, actor, name, chosen, departments)


def reset_password(db: Database, actor: str, username: str, password: str) -> None:
    """Set a new password for another user: their sessions end, a lockout is lifted, and they must
    choose their own password at the next login."""
    name = accounts.existing_username(db, username)
    check_password_policy(password, name)
    hashed = hash_password(password)
    with db.transaction() as cur:
        accounts.write_password(cur, actor, name, hashed)


def change_own_password(db: Database, user: User, password: str, again: str) -> User:
    """The signed-in ``user`` chooses a new password (typed twice): checked by the policy, not the one
    they have now. Their other sessions end; the forced change, if any, is over. Audited."""
    if password != again:
        raise UserError("auth.passwords_differ")
    check_password_policy(password, user.username)
    stored = db.scalar("SELECT password_hash FROM users WHERE username = ? AND NOT disabled", [user.username])
    if stored is None:
        raise UserError("auth.unknown_user", username=user.username)
    if _verify(stored, password):
        raise UserError("auth.password_unchanged")
    hashed = hash_password(password)
    with db.transaction() as cur:
        cur.execute(
            "UPDATE users SET password_hash = ?, password_changed_at = ?, must_change_password = false WHERE username = ?",
            [hashed, _now(), user.username],
        )
        ended = cur.execute(
            "UPDATE sessions SET ended_at = ?, end_reason = 'password_change' WHERE username = ? AND ended_at IS NULL"
            " AND token_sha256 IS DISTINCT FROM ? RETURNING token_sha256",
            [_now(), user.username, user.session],
        ).fetchall()
        audit.record(cur, user.username, "password_change", "user", user.username,
                     {"forced": user.must_change_password, "sessions_ended": len(ended)})  # fmt: skip
    return User(user.username, user.roles, user.employee_id, user.display_name, user.session, False)


def set_disabled(db: Database, actor: str, username: str, disabled: bool = True) -> None:
    """Disable (or re-enable) an account; a disabled account's open sessions end at once."""
    name = accounts.existing_username(db, username)
    if disabled and normalise_username(actor) == name:
        raise UserError("auth.disable_self")
    with db.transaction() as cur:
        accounts.write_disabled(cur, actor, name, disabled)
