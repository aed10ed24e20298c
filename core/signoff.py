"""Sign-off (DESIGN.md §4 *Sign-off*, issue 12): once a department's calibration is final, the employee and
the manager each confirm the result (re-entering their password) or the employee objects; HR upholds an
objection (a reply the employee sees) or returns the appraisal to 上级评定; when both have confirmed the
signed PDF is issued and archived and the appraisal closes; HR closes the cycle. Every step is a row of
the sign-off ledger (:mod:`core.signoff_ledger`) in the same transaction.

CONTRACT (stubs until the workflow lands; signatures are fixed, pages are written against them).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import polars as pl

from core.auth import User
from core.db import Database

EMPLOYEE = "employee"
MANAGER = "manager"
PARTIES = (EMPLOYEE, MANAGER)

#: settings keys (HR edits them on 系统设置): days after calibration to confirm, and what happens after
DEADLINE_DAYS_KEY = "signoff.deadline_days"  # default 7
DEADLINE_RULE_KEY = "signoff.deadline_rule"  # "overdue" (stays open, listed) | "deemed" (deemed confirmed)


@dataclass(frozen=True)
class Confirmed:
    appraisal_id: str
    party: str  # employee | manager
    at: dt.datetime
    both: bool  # both parties have now confirmed: the PDF was issued and the appraisal closed
    document: str | None  # the archived PDF's path relative to the archive folder, when issued


@dataclass(frozen=True)
class ClosedCycle:
    cycle_id: str
    closed: int  # appraisals confirmed or resolved
    left: list[str]  # appraisal ids closed over (listed with the reason)
    reason: str | None


def waiting(db: Database, user: User | None) -> pl.DataFrame:
    """What waits for ``user`` in 签字确认: their own result to confirm and their direct reports' results.
    Columns: appraisal_id, cycle, employee, party (employee|manager), due (date), days_overdue,
    objection (open|upheld|returned|None), confirmed_by_other (bool), row_version."""
    raise NotImplementedError


def result(db: Database, user: User | None, appraisal_id: str) -> dict[str, Any]:
    """The result as the parties confirm it (scoped, audited read): header fields (cycle, employee,
    department, position, manager, final_score, grade, calibrated_grade, effective_grade, calibration_note,
    stage, row_version, due), ``items`` (frame: kpi, category, item_kind, weight, target, actual,
    actual_source (label), self_score, manager_score, item_score, self_comment, manager_comment),
    ``formula`` (how the total was computed, a sentence), ``confirmations`` (list of dicts party, name,
    at, deemed), ``objections`` (list of dicts: raised_at, reason, status, reply, resolved_by,
    resolved_at), ``party`` (the user's party or None), ``may_confirm``, ``may_object``, ``document``
    (archive-relative path or None)."""
    raise NotImplementedError


def confirm(db: Database, user: User | None, appraisal_id: str, password: str, *, version: int) -> Confirmed:
    """``user`` confirms as employee or manager after re-entering their password (a wrong password is
    refused, recorded, and counts like a failed login)."""
    raise NotImplementedError


def object_to(db: Database, user: User | None, appraisal_id: str, reason: str, *, version: int) -> str:
    """The employee objects with a reason (required, capped); returns the objection id."""
    raise NotImplementedError


def objections(db: Database, user: User | None, *, status: str | None = None) -> pl.DataFrame:
    """HR: objections (objection_id, appraisal_id, cycle, employee, department, raised_at, reason, status,
    reply, resolved_by, resolved_at), open first."""
    raise NotImplementedError


def resolve(db: Database, user: User | None, objection_id: str, decision: str, reply: str) -> None:
    """HR upholds (``uphold``: the result stands, ``reply`` is shown to the employee) or returns
    (``return``: back to 上级评定, ``reply`` is the note for the manager). Never on HR's own appraisal."""
    raise NotImplementedError


def trail(db: Database, user: User | None, appraisal_id: str) -> pl.DataFrame:
    """The sign-off trail of one appraisal (scoped): ts, actor, role, action, detail — from the ledger."""
    raise NotImplementedError


def close_readiness(db: Database, user: User | None, cycle_id: str) -> dict[str, Any]:
    """HR: ``total``, ``done`` (closed), ``outstanding`` (frame: appraisal_id, employee, department, stage,
    what is missing, days_overdue)."""
    raise NotImplementedError


def close_cycle(db: Database, user: User | None, cycle_id: str, *, reason: str | None = None) -> ClosedCycle:
    """HR closes a cycle: refused while appraisals are outstanding unless ``reason`` is given (they are
    listed in the ledger's cycle_closed row). A closed cycle is read-only."""
    raise NotImplementedError


def apply_deadlines(db: Database, *, today: dt.date | None = None) -> dict[str, int]:
    """The deadline rule (a job): past the deadline, either list as overdue or deem confirmed (system
    actor, ``deemed`` printed on the PDF). Returns counts {"overdue": n, "deemed": n}."""
    raise NotImplementedError
