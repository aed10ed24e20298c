"""Login attempts that hold under concurrency: throttles and locks, decided before a password is checked.

Every attempt is reserved in a write transaction (:func:`reserve`) BEFORE its password is hashed: the
reservation reads the limits and records the attempt as ``checking`` in one step, so forty guesses at
once cannot all slip under a limit that each of them read as not reached yet. The password is checked
outside the transaction, and :func:`settle` records the outcome and sets any lock. A refused attempt
costs no argon2 hash. The limits:

- **per address** (:func:`per_address_limit`, ``JIXIAO_LOGIN_ATTEMPTS_PER_ADDRESS``, 20 a minute): one
  address cannot try faster than that, whatever names it types;
- **globally** (:func:`checks_per_minute`, ``JIXIAO_LOGIN_CHECKS_PER_MINUTE``, 240 a minute): at most
  that many password hashes a minute in all, so nobody can keep the server's cores on argon2;
- **an account from one address**: 5 failures within 15 minutes (checks in flight counted) lock that
  address out of that account for 15 minutes, the right password included;
- **an account from unfamiliar addresses**: 5 failures within 15 minutes from addresses the account has
  never logged in from (in the last 90 days) lock every unfamiliar address out of it for 15 minutes. An
  address the account logged in from before is only subject to its own limit: one anonymous attacker
  cannot lock HR out of their own desk, and across all unfamiliar addresses the account still gets at
  most 5 password checks per lock.

An address is the client's as the server saw it (:func:`client_source`: X-Forwarded-For only when
``JIXIAO_PROXY_HOPS`` says how many reverse proxies stand in front); an IPv6 address counts as its /64,
which one subscriber usually holds whole. Unknown source: ``?``. A name that is not an account is
tracked under a keyed hash of what was typed (the key lives only in this process), so it behaves like
an account without the typed text being stored anywhere.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import os
import secrets
from dataclasses import dataclass

from core.db import Cursor

LOCK_AFTER_FAILURES = 5
FAILURE_WINDOW = dt.timedelta(minutes=15)
LOCK_DURATION = dt.timedelta(minutes=15)
RATE_WINDOW = dt.timedelta(minutes=1)
FAMILIAR_FOR = dt.timedelta(days=90)
KEEP_ATTEMPTS = dt.timedelta(days=1)
STALE_CHECK = dt.timedelta(minutes=1)  # a check still "checking" after this died with its thread
UNKNOWN_SOURCE = "?"
EVERY_STRANGER = "*"
MAX_SOURCE_TEXT = 200

_UNKNOWN_NAME_KEY = secrets.token_bytes(32)  # never stored: a typed name's hash means nothing after a restart


def _env_int(name: str, default: int) -> int:
    try:
        return max(0, int(os.environ.get(name, default)))
    except ValueError:
        return default


def per_address_limit() -> int:
    """Login attempts one address may make a minute (JIXIAO_LOGIN_ATTEMPTS_PER_ADDRESS, default 20)."""
    return _env_int("JIXIAO_LOGIN_ATTEMPTS_PER_ADDRESS", 20)


def checks_per_minute() -> int:
    """Password hashes checked a minute in all (JIXIAO_LOGIN_CHECKS_PER_MINUTE, default 240)."""
    return _env_int("JIXIAO_LOGIN_CHECKS_PER_MINUTE", 240)


def proxy_hops() -> int:
    """How many reverse proxies stand in front of the app (JIXIAO_PROXY_HOPS, default 0: none, and
    X-Forwarded-For is ignored, since anyone can send it)."""
    return _env_int("JIXIAO_PROXY_HOPS", 0)


def client_source(peer: str | None, forwarded_for: str | None = None) -> str | None:
    """The client's address: the connection's peer, or with ``JIXIAO_PROXY_HOPS`` = n the n-th address
    from the right of X-Forwarded-For (the one the outermost of our proxies saw). None when unknown."""
    hops = proxy_hops()
    if hops and forwarded_for:
        parts = [p.strip() for p in forwarded_for[:2000].split(",") if p.strip()]
        if len(parts) >= hops:
            return parts[-hops]
    return peer


def source_key(source: str | None) -> str:
    """The address an attempt is counted under: IPv4 as it is, IPv6 as its /64, '?' when unknown or
    not an address."""
    if not source:
        return UNKNOWN_SOURCE
    try:
        address = ipaddress.ip_address(source.strip()[:MAX_SOURCE_TEXT].split("%")[0])
    except ValueError:
        return UNKNOWN_SOURCE
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def unknown_account_key(typed: str) -> str:
    """What a name that is no account is counted under: a keyed hash, never the text."""
    digest = hmac.new(_UNKNOWN_NAME_KEY, typed.encode("utf-8", "replace"), hashlib.sha256).hexdigest()
    return "?" + digest[:32]


@dataclass(frozen=True)
class Attempt:
    """A reserved login attempt. ``refused`` is why it may not be checked (None: go ahead and check)."""

    attempt_id: str
    account: str
    source: str
    refused: str | None = None
    until: dt.datetime | None = None
    first_refusal: bool = False  # the first throttled refusal of this window: the one audited


def _count(cur: Cursor, sql: str, params: list) -> int:
    return cur.execute("SELECT count(*) FROM login_attempts WHERE " + sql, params).fetchone()[0]


def _familiar(cur: Cursor, account: str, source: str, now: dt.datetime) -> bool:
    row = cur.execute(
        "SELECT 1 FROM login_sources WHERE account = ? AND source = ? AND last_ok > ?",
        [account, source, now - FAMILIAR_FOR],
    ).fetchone()
    return row is not None


# failures that count towards a lock, and checks in flight (a check not settled within a minute died)
_COUNTING = "NOT spent AND ((outcome = 'failed' AND started_at > ?) OR (outcome = 'checking' AND started_at > ?))"
_STRANGER = "source NOT IN (SELECT source FROM login_sources WHERE account = ? AND last_ok > ?)"


def _throttled(cur: Cursor, source: str, now: dt.datetime) -> Attempt | None:
    """A refusal for the global ceiling or the address's rate, or None. Only the first refusal of a
    minute is written (and audited): a flood writes nothing more."""
    since = now - RATE_WINDOW
    if _count(cur, "outcome IN ('checking', 'failed', 'ok') AND started_at > ?", [since]) >= checks_per_minute():
        return _refusal(cur, "*", "*", "busy", now)
    if _count(cur, "source = ? AND outcome <> 'throttled' AND started_at > ?", [source, since]) >= per_address_limit():
        return _refusal(cur, "*", source, "throttled", now)
    return None


def _refusal(cur: Cursor, account: str, source: str, why: str, now: dt.datetime) -> Attempt:
    first = not _count(
        cur,
        "account = ? AND source = ? AND outcome = 'throttled' AND started_at > ?",
        [account, source, now - RATE_WINDOW],
    )
    attempt_id = secrets.token_hex(8)
    if first:
        cur.execute(
            "INSERT INTO login_attempts (attempt_id, account, source, started_at, outcome) VALUES (?, ?, ?, ?, 'throttled')",
            [attempt_id, account, source, now],
        )
    return Attempt(attempt_id, account, source, why, first_refusal=first)


def _locked_until(cur: Cursor, account: str, source: str, now: dt.datetime) -> dt.datetime | None:
    stranger = not _familiar(cur, account, source, now)
    row = cur.execute(
        "SELECT max(until) FROM login_locks WHERE account = ? AND until > ? AND (source = ? OR (source = ? AND ?))",
        [account, now, source, EVERY_STRANGER, stranger],
    ).fetchone()
    if row[0] is not None:
        return row[0]
    window = [now - FAILURE_WINDOW, now - STALE_CHECK]
    if _count(cur, f"account = ? AND source = ? AND {_COUNTING}", [account, source, *window]) >= LOCK_AFTER_FAILURES:
        return now + LOCK_DURATION  # enough failures and checks in flight already: this one would pass the limit
    if stranger and (
        _count(cur, f"account = ? AND {_STRANGER} AND {_COUNTING}", [account, account, now - FAMILIAR_FOR, *window])
        >= LOCK_AFTER_FAILURES
    ):
        return now + LOCK_DURATION
    return None


def reserve(cur: Cursor, account: str, source: str, now: dt.datetime) -> Attempt:
    """Reserve one attempt on ``account`` from ``source`` inside the caller's write transaction: refused
    (throttled, busy, locked) without a password check, or recorded as ``checking``."""
    cur.execute("DELETE FROM login_attempts WHERE started_at < ?", [now - KEEP_ATTEMPTS])
    throttled = _throttled(cur, source, now)
    if throttled is not None:
        return throttled
    attempt_id = secrets.token_hex(8)
    until = _locked_until(cur, account, source, now)
    cur.execute(
        "INSERT INTO login_attempts (attempt_id, account, source, started_at, outcome) VALUES (?, ?, ?, ?, ?)",
        [attempt_id, account, source, now, "refused" if until else "checking"],
    )
    return Attempt(attempt_id, account, source, "locked" if until else None, until)


@dataclass(frozen=True)
class Lock:
    """A lock :func:`settle` set: on one address, or on every unfamiliar one (``source`` = '*')."""

    source: str
    until: dt.datetime
    failures: int


def settle(cur: Cursor, attempt: Attempt, ok: bool, now: dt.datetime) -> tuple[int, list[Lock]]:
    """Record a checked attempt's outcome inside the caller's write transaction. A success makes its
    address familiar to the account and clears that address's failures; a failure may lock the
    address, or every unfamiliar address. Returns the address's recent failures and the locks set."""
    account, source = attempt.account, attempt.source
    cur.execute(
        "UPDATE login_attempts SET outcome = ? WHERE attempt_id = ?", ["ok" if ok else "failed", attempt.attempt_id]
    )
    if ok:
        cur.execute("UPDATE login_attempts SET spent = true WHERE account = ? AND source = ?", [account, source])
        cur.execute("DELETE FROM login_sources WHERE account = ? AND source = ?", [account, source])
        cur.execute("INSERT INTO login_sources (account, source, last_ok) VALUES (?, ?, ?)", [account, source, now])
        return 0, []
    since = now - FAILURE_WINDOW
    failed = "NOT spent AND outcome = 'failed' AND started_at > ?"
    here = _count(cur, f"account = ? AND source = ? AND {failed}", [account, source, since])
    strangers = 0
    if not _familiar(cur, account, source, now):
        strangers = _count(
            cur, f"account = ? AND {_STRANGER} AND {failed}", [account, account, now - FAMILIAR_FOR, since]
        )
    locks = [Lock(s, now + LOCK_DURATION, n) for s, n in ((source, here), (EVERY_STRANGER, strangers))
             if n >= LOCK_AFTER_FAILURES]  # fmt: skip
    for lock in locks:
        cur.execute("DELETE FROM login_locks WHERE account = ? AND source = ?", [account, lock.source])
        cur.execute(
            "INSERT INTO login_locks (account, source, locked_at, until) VALUES (?, ?, ?, ?)",
            [account, lock.source, now, lock.until],
        )
        scope, params = (
            ("source = ?", [source]) if lock.source != EVERY_STRANGER else (_STRANGER, [account, now - FAMILIAR_FOR])
        )
        cur.execute(f"UPDATE login_attempts SET spent = true WHERE account = ? AND {scope} AND {failed}",
                    [account, *params, since])  # fmt: skip
    return here, locks


def clear(cur: Cursor, account: str) -> None:
    """Lift every lock of ``account`` and forget its failures (a password reset)."""
    cur.execute("DELETE FROM login_locks WHERE account = ?", [account])
    cur.execute("UPDATE login_attempts SET spent = true WHERE account = ? AND outcome = 'failed'", [account])


def locked_sql(column: str) -> str:
    """SQL true when the account named by ``column`` is locked (from some address) at the time given
    as its one parameter."""
    return f"EXISTS (SELECT 1 FROM login_locks l WHERE l.account = {column} AND l.until > ?)"
