"""Closing a cycle and the confirmation deadline (issue 12 point 2; DESIGN.md §4 *Sign-off*).

HR closes a cycle once every appraisal is closed (both confirmed, PDF archived) or resolved (an objection
upheld and the manager's confirmation in: its PDF, with the objection and HR's reply, is issued as the
cycle closes) — or closes it with a reason over the rest, each listed in the ledger's ``cycle_closed``
row. A closed cycle is read-only (every write path refuses it) and its results are history.

The deadline rule (HR's setting) runs as a job: past ``signoff.deadline_days`` after the round began, a
result either stays open and is listed as overdue, or the missing confirmations are deemed given (actor
``system``, printed as such on the PDF). An objection is never deemed away: an employee who objected is
not deemed to confirm, and an open objection waits for HR.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import polars as pl

from core import audit, clock, settings, signoff_ledger
from core.appraisal_edits import lock_appraisal
from core.auth import User
from core.db import Cursor, Database
from core.errors import CycleError, Text
from core.periods import days_overdue
from core.permissions import require_action
from core.signoff_rounds import (
    PARTIES,
    SINCE_SQL,
    STATE_SQL,
    SYSTEM_USER,
    close_with_document,
    complete_if_both,
    due_date,
    record_confirmation,
    state,
)
from core.stages import EMPLOYEE, HR, MANAGER
from core.values import text_input
from core.vocabulary import CLOSED, SIGNOFF

MAX_IDS_SHOWN = 10  # appraisal ids named in a refusal; the readiness list holds them all


@dataclass(frozen=True)
class ClosedCycle:
    cycle_id: str
    closed: int  # appraisals confirmed or resolved
    left: list[str]  # appraisal ids closed over (listed with the reason)
    reason: str | None


def _rows(cur: Cursor, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    found = cur.execute(sql, params)
    names = [d[0] for d in found.description or []]
    return [dict(zip(names, r, strict=True)) for r in found.fetchall()]


def _appraisals(cur: Cursor, cycle_id: str) -> list[dict[str, Any]]:
    return _rows(
        cur,
        f"""
        SELECT a.appraisal_id, a.employee_id, e.name AS employee, d.name AS department, a.stage,
               {SINCE_SQL} AS since, {STATE_SQL}
        FROM appraisals a LEFT JOIN employees e ON e.employee_id = a.employee_id
        LEFT JOIN departments d ON d.dept_id = a.dept_id
        WHERE a.cycle_id = ? ORDER BY d.name, a.employee_id
        """,
        [cycle_id],
    )


def _resolved(row: dict[str, Any]) -> bool:
    """An upheld objection with the manager's confirmation in: the result stands by HR's decision."""
    confirmed = set(row["confirmed"] or ())
    return row["stage"] == SIGNOFF and row["objection"] == "upheld" and MANAGER in confirmed


def _missing(row: dict[str, Any]) -> Text:
    """What an outstanding appraisal still needs, in words."""
    if row["stage"] != SIGNOFF:
        return Text("signoff.missing_stage", stage=row["stage"])
    if row["objection"] == "open":
        return Text("signoff.missing_objection")
    confirmed = set(row["confirmed"] or ())
    return Text("signoff.missing_confirmations", parties=[p for p in PARTIES if p not in confirmed])


def _readiness(cur: Cursor, cycle_id: str, today: dt.date, days: int, lang: str = "zh-CN") -> dict[str, Any]:
    rows = _appraisals(cur, cycle_id)
    done = [r for r in rows if r["stage"] == CLOSED]
    resolved = [r for r in rows if _resolved(r)]
    outstanding = [
        {"appraisal_id": r["appraisal_id"], "employee": r["employee"], "department": r["department"],
         "stage": r["stage"], "missing": _missing(r),
         "days_overdue": days_overdue(due_date(r["since"], days), today) if r["stage"] == SIGNOFF else 0}
        for r in rows if r["stage"] != CLOSED and not _resolved(r)
    ]  # fmt: skip
    schema = {"appraisal_id": pl.String, "employee": pl.String, "department": pl.String, "stage": pl.String,
              "missing": pl.String, "days_overdue": pl.Int64}  # fmt: skip
    return {
        "total": len(rows), "done": len(done), "resolved": [r["appraisal_id"] for r in resolved],
        "outstanding": pl.DataFrame([{k: v.render(lang) if k == "missing" else v for k, v in o.items()}
                                     for o in outstanding], schema=schema),
    }  # fmt: skip


def _cycle(cur: Cursor, cycle_id: str) -> dict[str, Any]:
    found = _rows(cur, "SELECT * FROM cycles WHERE cycle_id = ?", [cycle_id])
    if not found:
        raise CycleError("signoff.unknown_cycle", cycle_id=cycle_id)
    return found[0]


def close_readiness(db: Database, user: User | None, cycle_id: str, *, lang: str = "zh-CN") -> dict[str, Any]:
    """HR: ``total``, ``done`` (closed), ``resolved`` (ids of upheld objections with the manager's
    confirmation: closed with their PDF when the cycle closes), ``outstanding`` (frame: appraisal_id,
    employee, department, stage, missing (what is missing, in words of ``lang``), days_overdue), ``cycle``
    (its row)."""
    require_action(user, "signoff_hr", "perm.signoff_hr")
    cur = db.cursor()
    info = _cycle(cur, cycle_id)
    out = _readiness(cur, cycle_id, clock.today(), settings.signoff_deadline(db)[0], lang)
    return {**out, "cycle": info}


def close_cycle(db: Database, user: User | None, cycle_id: str, *, reason: str | None = None) -> ClosedCycle:
    """HR closes a cycle: refused while appraisals are outstanding unless ``reason`` is given (they are
    listed in the ledger's cycle_closed row). Resolved appraisals get their PDF and close with it. A closed
    cycle is read-only."""
    user = require_action(user, "signoff_hr", "perm.signoff_hr")
    text = text_input(reason, Text("field.close_reason"), error=CycleError)
    now = clock.now()
    days = settings.signoff_deadline(db)[0]
    with db.transaction() as cur:
        info = _cycle(cur, cycle_id)
        if info["status"] != "open":
            raise CycleError("signoff.cycle_not_open", cycle=info["name"], at=info["closed_at"] or "—")
        ready = _readiness(cur, cycle_id, now.date(), days)
        left = ready["outstanding"].get_column("appraisal_id").to_list() if ready["outstanding"].height else []
        if left and not text:
            shown = left[:MAX_IDS_SHOWN] + (["…"] if len(left) > MAX_IDS_SHOWN else [])
            raise CycleError("signoff.outstanding", count=len(left), ids=shown)
        for appraisal_id in ready["resolved"]:
            found = lock_appraisal(cur, user, appraisal_id, None)
            close_with_document(cur, found, user.username, now, Text("signoff.closed_as_resolved"))
        cur.execute(
            "UPDATE cycles SET status = 'closed', closed_at = ?, closed_by = ?, close_reason = ? WHERE cycle_id = ?",
            [now, user.username, text, cycle_id],
        )
        closed = ready["done"] + len(ready["resolved"])
        detail = {"closed": closed, "resolved": ready["resolved"], "left": left, "reason": text}
        signoff_ledger.append(cur, actor=user.username, role=HR, action="cycle_closed", cycle_id=cycle_id,
                              detail=detail)  # fmt: skip
        audit.record(cur, user.username, "cycle_close", "cycle", cycle_id, detail)
    return ClosedCycle(cycle_id, closed, left, text)


# -- the deadline --------------------------------------------------------------------------------------


def apply_deadlines(db: Database, *, today: dt.date | None = None) -> dict[str, int]:
    """The deadline rule (a job): past the deadline, either list as overdue or deem confirmed (system
    actor, ``deemed`` printed on the PDF). Returns counts {"overdue": n, "deemed": n}. One transaction per
    appraisal, so a long run never holds the database for long."""
    today = today or clock.today()
    days, rule = settings.signoff_deadline(db)
    late = [
        r["appraisal_id"]
        for r in db.rows(
            f"SELECT a.appraisal_id, {SINCE_SQL} AS since FROM appraisals a JOIN cycles c ON c.cycle_id = a.cycle_id"
            " WHERE c.status = 'open' AND c.origin = 'app' AND a.stage = ? ORDER BY a.appraisal_id",
            [SIGNOFF],
        )
        if (due := due_date(r["since"], days)) is not None and today > due
    ]
    if rule != settings.DEEMED:
        return {"overdue": len(late), "deemed": 0}
    overdue = deemed = 0
    for appraisal_id in late:
        given, still_open = _deem(db, appraisal_id)
        deemed += given
        overdue += still_open
    return {"overdue": overdue, "deemed": deemed}


def _deem(db: Database, appraisal_id: str) -> tuple[int, bool]:
    """Deem the missing confirmations of one late appraisal: (how many were deemed, whether it stays
    open — an open objection, an employee who objected, a person who left)."""
    now = clock.now()
    with db.transaction() as cur:
        try:
            found = lock_appraisal(cur, SYSTEM_USER, appraisal_id, None)
        except CycleError:
            return 0, True
        current = state(cur, appraisal_id)
        if current.objection_status == "open":
            return 0, True
        missing = [p for p in PARTIES if p not in current.confirmed and not (p == EMPLOYEE and current.objection)]
        for party in missing:
            record_confirmation(cur, SYSTEM_USER, found, party, current.round, now)
        closed = complete_if_both(cur, found, current.round, SYSTEM_USER.username, now)
    return len(missing), closed is None


def deadline_job(db: Database) -> str:
    """The job runner's entry: apply the deadline rule today; returns what it did."""
    counts = apply_deadlines(db)
    return f"sign-off deadline: {counts['overdue']} overdue, {counts['deemed']} confirmations deemed"
