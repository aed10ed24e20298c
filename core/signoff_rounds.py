"""The state of one appraisal's sign-off round, and the steps that write it (shared by :mod:`core.signoff`,
:mod:`core.closing` and :mod:`core.calibration`).

A round starts when HR finalises the department's calibration (``signoff_round`` + 1, ``signoff_since`` =
then); a return of an objection to 上级评定 ends it, and the next finalise starts the next round. Only the
confirmations and the objection of the current round count. An appraisal that reached 签字确认 before
rounds existed is in round 1 from its first sign-off step (its ``stage_since`` is the round's start).

Every step here is inside the caller's transaction and writes a row of the sign-off ledger carrying the
SHA-256 of the canonical record as it stands after the step, and an audit row.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core import archive, audit, signoff_ledger, signoff_record
from core.appraisal_edits import step
from core.auth import User
from core.db import Cursor
from core.errors import CoreError, CycleError
from core.stages import EMPLOYEE, MANAGER, SYSTEM

log = logging.getLogger(__name__)
PARTIES = (EMPLOYEE, MANAGER)
#: the acting user of what nobody did by hand: a deemed confirmation, closing once both confirmed
SYSTEM_USER = User(SYSTEM, frozenset())
#: the current round of ``a`` (appraisals) as SQL, and when it began
ROUND_SQL = "greatest(coalesce(a.signoff_round, 0), 1)"
SINCE_SQL = "coalesce(a.signoff_since, a.stage_since)"
#: per appraisal row ``a``: the parties confirmed in its current round, and the status of its objection
STATE_SQL = f"""
    (SELECT list(s.party ORDER BY s.party) FROM signoff_confirmations s
      WHERE s.appraisal_id = a.appraisal_id AND s.round = {ROUND_SQL}) AS confirmed,
    (SELECT max_by(o.status, o.raised_at) FROM signoff_objections o
      WHERE o.appraisal_id = a.appraisal_id AND o.round = {ROUND_SQL}) AS objection
"""


@dataclass(frozen=True)
class RoundState:
    """One appraisal's current round: its number, when it began, who confirmed it (party → confirmation
    row), and its objection (None, or a row of ``signoff_objections``)."""

    round: int
    since: dt.datetime | None
    confirmed: dict[str, dict[str, Any]]
    objection: dict[str, Any] | None

    @property
    def objection_status(self) -> str | None:
        return self.objection["status"] if self.objection else None


def _dicts(cur: Cursor, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    found = cur.execute(sql, params)
    names = [d[0] for d in found.description or []]
    return [dict(zip(names, r, strict=True)) for r in found.fetchall()]


def start_round(cur: Cursor, appraisal_id: str, now: dt.datetime) -> None:
    """Calibration was finalised: the appraisal's next sign-off round begins now."""
    cur.execute(
        "UPDATE appraisals SET signoff_round = coalesce(signoff_round, 0) + 1, signoff_since = ? WHERE appraisal_id = ?",
        [now, appraisal_id],
    )


def state(cur: Cursor, appraisal_id: str, *, store: bool = True) -> RoundState:
    """The current round of an appraisal in 签字确认: stored as round 1 at least inside a write transaction
    (``store``; see the module's docstring), only read otherwise."""
    if store:
        cur.execute(
            "UPDATE appraisals SET signoff_round = 1, signoff_since = coalesce(signoff_since, stage_since)"
            " WHERE appraisal_id = ? AND coalesce(signoff_round, 0) < 1",
            [appraisal_id],
        )
    head = _dicts(cur, f"SELECT {ROUND_SQL} AS rnd, {SINCE_SQL} AS since FROM appraisals a WHERE appraisal_id = ?",
                  [appraisal_id])  # fmt: skip
    rnd, since = head[0]["rnd"], head[0]["since"]
    confirmed = _dicts(
        cur, "SELECT * FROM signoff_confirmations WHERE appraisal_id = ? AND round = ?", [appraisal_id, rnd]
    )
    objection = _dicts(
        cur,
        "SELECT * FROM signoff_objections WHERE appraisal_id = ? AND round = ? ORDER BY raised_at DESC LIMIT 1",
        [appraisal_id, rnd],
    )
    return RoundState(rnd, since, {r["party"]: r for r in confirmed}, objection[0] if objection else None)


def due_date(since: dt.datetime | dt.date | None, days: int) -> dt.date | None:
    """The last day to confirm: ``days`` after the round began."""
    if since is None:
        return None
    day = since.date() if isinstance(since, dt.datetime) else since
    return day + dt.timedelta(days=days)


def ledger(cur: Cursor, found: Mapping[str, Any], actor: str, role: str, action: str,
           detail: dict[str, Any] | None = None) -> str:  # fmt: skip
    """A ledger row for one step on an appraisal, with its record's hash as it stands now; returns the hash."""
    rec = signoff_record.record(cur, found["appraisal_id"])
    digest = signoff_record.sha256(rec) if rec is not None else None
    signoff_ledger.append(cur, actor=actor, role=role, action=action, appraisal_id=found["appraisal_id"],
                          cycle_id=found["cycle_id"], record_sha256=digest, detail=detail)  # fmt: skip
    return digest or ""


def record_confirmation(cur: Cursor, user: User, found: Mapping[str, Any], party: str, rnd: int,
                        now: dt.datetime) -> None:  # fmt: skip
    """``user`` confirms for ``party`` in round ``rnd`` — or, as :data:`SYSTEM_USER`, the deadline rule deems
    ``party`` confirmed. A stage event, a ledger row and an audit row."""
    deemed = user.username == SYSTEM
    cur.execute(
        "INSERT INTO signoff_confirmations VALUES (?, ?, ?, ?, ?, ?, ?)",
        [found["appraisal_id"], rnd, party, user.username, None if deemed else user.employee_id, now, deemed],
    )
    step(cur, user, found, "sign", None, now, SYSTEM if deemed else party)
    action = "deemed_confirmation" if deemed else "confirmation"
    digest = ledger(cur, found, user.username, SYSTEM if deemed else party, action, {"party": party, "round": rnd})
    audit.record(cur, user.username, "signoff_" + action, "appraisal", found["appraisal_id"],
                 {"party": party, "round": rnd, "record_sha256": digest})  # fmt: skip


def complete_if_both(cur: Cursor, found: Mapping[str, Any], rnd: int, actor: str, now: dt.datetime, *,
                     lang: str = "zh-CN") -> str | None:  # fmt: skip
    """When both parties have confirmed round ``rnd``: the signed PDF is issued (its labels in ``lang``, the
    language of whoever completed it) and archived and the appraisal closes (by the system). Returns the
    document's archive path, or None while one is missing."""
    parties = {r[0] for r in cur.execute(
        "SELECT party FROM signoff_confirmations WHERE appraisal_id = ? AND round = ?", [found["appraisal_id"], rnd]
    ).fetchall()}  # fmt: skip
    if not set(PARTIES) <= parties:
        return None
    return close_with_document(cur, found, actor, now, None, lang=lang)


def close_with_document(cur: Cursor, found: Mapping[str, Any], actor: str, now: dt.datetime,
                        comment: str | None, *, lang: str = "zh-CN") -> str:  # fmt: skip
    """Issue the appraisal's signed PDF and move it to 已关闭 (a system step). Returns the archive path.
    A failure to render or sign is logged with its cause and refused as CycleError (the caller's whole
    transaction then rolls back: the confirmation is not half-recorded)."""
    try:
        issued = archive.issue(cur, found["appraisal_id"], actor, lang=lang)
    except CoreError:
        raise
    except Exception as err:  # a renderer's or signer's own error: logged, never shown to people
        log.exception("issuing the sign-off PDF of %s failed", found["appraisal_id"])
        raise CycleError("signoff.pdf_failed", appraisal_id=found["appraisal_id"]) from err
    step(cur, SYSTEM_USER, found, "complete_signoff", comment, now, SYSTEM)
    return issued.path
