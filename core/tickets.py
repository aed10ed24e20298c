"""One-time tickets the web server redeems for a page: the grant that has the server set or clear a
browser's session cookie, and the link of a download.

A page cannot send an HTTP header, so it hands the browser a ticket and the server's own routes
(``ui/web.py``) answer it: a *cookie grant* is exchanged for ``Set-Cookie`` (the token never reaches the
page), a *download ticket* for the file. A ticket is 256 random bits bound to the login session that asked
for it (its token's SHA-256) and to the browser's User-Agent; it is honoured only from that browser while
that session is live, and only until it expires or is used up:

- a cookie grant lives :data:`GRANT_LIFETIME_S` seconds and is used once (the first presentation spends it);
- a download ticket lives :func:`download_lifetime` (``JIXIAO_DOWNLOAD_MINUTES``, default 5) from the
  last time its page showed it, and serves :data:`DOWNLOAD_USES` downloads; each one served is audited
  (``export``).

Tickets live in this process's memory, never in the database: they last minutes, the app is one server
process (it holds the only write connection), and a restart that forgets them only means clicking again.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from core import audit, auth
from core.db import Database

GRANT_LIFETIME_S = 60.0
DOWNLOAD_USES = 3
MAX_TICKETS = 20_000  # a bound on memory: the oldest tickets go first
SET_COOKIE, CLEAR_COOKIE, DOWNLOAD = "set_cookie", "clear_cookie", "download"

Refusal = Literal["gone", "not_yours"]  # unknown, expired or used up / another session, browser, or ended


def download_lifetime() -> float:
    """How long a download link lasts after its page last showed it, in seconds (JIXIAO_DOWNLOAD_MINUTES,
    default 5)."""
    return 60.0 * float(os.environ.get("JIXIAO_DOWNLOAD_MINUTES", "5"))


def _digest(value: str | None) -> str | None:
    return hashlib.sha256(value.encode("utf-8", "replace")).hexdigest() if value else None


@dataclass(frozen=True)
class CookieChange:
    """What a redeemed cookie grant asks of the browser: keep ``token`` (None: forget the cookie)."""

    token: str | None


@dataclass(frozen=True)
class Download:
    """A file served: its name, media type and bytes."""

    file_name: str
    mime: str
    data: bytes


@dataclass
class _Ticket:
    kind: str
    session: str | None  # SHA-256 of the session token it belongs to
    agent: str | None  # SHA-256 of the browser's User-Agent
    expires: float
    uses: int
    db: Database | None = None
    token: str | None = field(default=None, repr=False)  # a cookie grant: the token the cookie will hold
    file_name: str = ""
    mime: str = ""
    rows: int = 0
    produce: Callable[[], bytes] | None = field(default=None, repr=False)


class TicketStore:
    """The process's tickets, thread-safe: pages issue them on script threads, routes redeem them on the
    server's."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._tickets: dict[str, _Ticket] = {}

    def now(self) -> float:
        return self._clock()

    def put(self, ticket: _Ticket, ticket_id: str | None = None) -> str:
        """Keep ``ticket`` (under ``ticket_id`` when renewing one); returns its id."""
        ticket_id = ticket_id or secrets.token_urlsafe(32)
        with self._lock:
            self._prune()
            self._tickets[ticket_id] = ticket
        return ticket_id

    def get(self, ticket_id: str, *kinds: str) -> _Ticket | None:
        """The live ticket ``ticket_id`` of one of ``kinds`` (None when unknown, expired or used up)."""
        with self._lock:
            ticket = self._tickets.get(ticket_id)
            return ticket if ticket is not None and ticket.kind in kinds and self._alive(ticket) else None

    def take(self, ticket_id: str, *kinds: str) -> _Ticket | None:
        """Use ``ticket_id`` once: the ticket, or None when it was no longer live. A ticket used up is
        forgotten."""
        with self._lock:
            ticket = self._tickets.get(ticket_id)
            if ticket is None or ticket.kind not in kinds or not self._alive(ticket):
                return None
            ticket.uses -= 1
            if ticket.uses <= 0:
                del self._tickets[ticket_id]
            return ticket

    def forget_session(self, session: str) -> None:
        """Drop every ticket of the session whose token hashes to ``session``."""
        with self._lock:
            for ticket_id in [k for k, t in self._tickets.items() if t.session == session]:
                del self._tickets[ticket_id]

    def __len__(self) -> int:
        with self._lock:
            return len(self._tickets)

    def _alive(self, ticket: _Ticket) -> bool:
        return ticket.uses > 0 and ticket.expires > self._clock()

    def _prune(self) -> None:
        for ticket_id in [k for k, t in self._tickets.items() if not self._alive(t)]:
            del self._tickets[ticket_id]
        while len(self._tickets) >= MAX_TICKETS:
            del self._tickets[next(iter(self._tickets))]


STORE = TicketStore()  # the server process's one store


def grant_cookie(db: Database, token: str, user_agent: str | None) -> str:
    """A one-time grant that has the server set the session cookie to ``token`` for the browser sending
    ``user_agent``, within a minute, while the session is live."""
    expires = STORE.now() + GRANT_LIFETIME_S
    return STORE.put(_Ticket(SET_COOKIE, _digest(token), _digest(user_agent), expires, 1, db=db, token=token))


def grant_cookie_clear(user_agent: str | None) -> str:
    """A one-time grant that has the server clear the session cookie of the browser sending ``user_agent``."""
    return STORE.put(_Ticket(CLEAR_COOKIE, None, _digest(user_agent), STORE.now() + GRANT_LIFETIME_S, 1))


def redeem_cookie_grant(grant: str, user_agent: str | None) -> CookieChange | None:
    """Spend ``grant``: the cookie change it stands for, or None when it is unknown, expired, already
    spent, presented by another browser, or its session has ended since."""
    ticket = STORE.take(grant, SET_COOKIE, CLEAR_COOKIE)
    if ticket is None or ticket.agent != _digest(user_agent):
        return None
    if ticket.kind == CLEAR_COOKIE:
        return CookieChange(None)
    assert ticket.db is not None and ticket.token is not None
    if auth.resume_session(ticket.db, ticket.token, user_agent=user_agent) is None:
        return None
    return CookieChange(ticket.token)


def offer_download(
    db: Database,
    token: str,
    user_agent: str | None,
    *,
    file_name: str,
    mime: str,
    rows: int,
    produce: Callable[[], bytes],
    renew: str | None = None,
) -> str:
    """A download ticket for the file ``produce()`` builds (only when it is fetched), for the session of
    ``token`` in the browser sending ``user_agent``. ``renew`` is the ticket this page showed last time:
    while it is live and of the same session it keeps its id, with a fresh lifetime, uses and file."""
    session, agent = _digest(token), _digest(user_agent)
    ticket = _Ticket(DOWNLOAD, session, agent, STORE.now() + download_lifetime(), DOWNLOAD_USES, db=db)
    ticket.file_name, ticket.mime, ticket.rows, ticket.produce = file_name, mime, rows, produce
    previous = STORE.get(renew, DOWNLOAD) if renew else None
    same = previous is not None and (previous.session, previous.agent) == (session, agent)
    return STORE.put(ticket, renew if same else None)


def serve_download(ticket_id: str, token: str | None, user_agent: str | None) -> Download | Refusal:
    """The file of ``ticket_id`` for the browser presenting session ``token`` and ``user_agent``, audited as
    an export by the session's user; or why not: ``"gone"`` (unknown, expired, used up) or ``"not_yours"``
    (no session, another session or browser than the one that asked, or the session has ended)."""
    ticket = STORE.get(ticket_id, DOWNLOAD)
    if ticket is None:
        return "gone"
    if not token or _digest(token) != ticket.session:
        return "not_yours"
    assert ticket.db is not None and ticket.produce is not None
    user = auth.resume_session(ticket.db, token, user_agent=user_agent)  # ends a session shown by another browser
    if user is None:
        STORE.forget_session(ticket.session)
        return "not_yours"
    if ticket.agent != _digest(user_agent):
        return "not_yours"
    if STORE.take(ticket_id, DOWNLOAD) is None:  # spent meanwhile by a parallel request
        return "gone"
    data = ticket.produce()
    audit.log(ticket.db, user.username, "export", "file", ticket.file_name, {"rows": ticket.rows})
    return Download(ticket.file_name, ticket.mime, data)


def forget_session(token: str | None) -> None:
    """Drop every ticket of the session of ``token`` (at logout)."""
    if token:
        STORE.forget_session(_digest(token))
