"""Sign-off (DESIGN.md §4 *Sign-off*, issue 12): once a department's calibration is final, the employee and
the manager each confirm the result (re-entering their password) or the employee objects; HR upholds an
objection (a reply the employee sees) or returns the appraisal to 上级评定; when both have confirmed the
signed PDF is issued and archived and the appraisal closes; HR closes the cycle (:mod:`core.closing`).
Every step is a row of the sign-off ledger (:mod:`core.signoff_ledger`) in the same transaction.

Who confirms (:func:`core.permissions.signoff_party`): the employee their own result; the direct manager
(or the manager who rated it) as manager — never their own appraisal as manager; nobody else. An open
objection holds both confirmations until HR resolves it; one objection per round. The deadline is
``signoff.deadline_days`` after the round began (HR's setting, 7 by default).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import polars as pl

from core import audit, clock, settings
from core.appraisal import header
from core.appraisal_edits import lock_appraisal, step
from core.auth import User, confirm_password
from core.closing import ClosedCycle, apply_deadlines, close_cycle, close_readiness, deadline_job
from core.db import Database
from core.errors import CycleError, Text
from core.periods import days_overdue
from core.permissions import (
    Forbidden,
    can,
    guard_appraisal_read,
    refuse_own,
    require_action,
    require_user,
    signoff_party,
)
from core.signoff_rounds import (
    PARTIES,
    SINCE_SQL,
    STATE_SQL,
    RoundState,
    complete_if_both,
    due_date,
    ledger,
    record_confirmation,
    state,
)
from core.stages import EMPLOYEE, HR, MANAGER
from core.values import text_input
from core.vocabulary import ACTUAL_SOURCES, MANAGER_RATING, SIGNOFF

__all__ = [
    "DEADLINE_DAYS_KEY", "DEADLINE_RULE_KEY", "EMPLOYEE", "MANAGER", "PARTIES", "ClosedCycle", "Confirmed",
    "apply_deadlines", "close_cycle", "close_readiness", "confirm", "deadline_job", "object_to", "objections",
    "resolve", "result", "trail", "waiting",
]  # fmt: skip

#: settings keys (HR edits them on 系统设置): days after calibration to confirm, and what happens after
DEADLINE_DAYS_KEY = settings.SIGNOFF_DAYS_KEY  # default 7
DEADLINE_RULE_KEY = settings.SIGNOFF_RULE_KEY  # "overdue" (stays open, listed) | "deemed" (deemed confirmed)
DECISIONS = ("uphold", "return")


@dataclass(frozen=True)
class Confirmed:
    appraisal_id: str
    party: str  # employee | manager
    at: dt.datetime
    both: bool  # both parties have now confirmed: the PDF was issued and the appraisal closed
    document: str | None  # the archived PDF's path relative to the archive folder, when issued


# -- what waits, and the result ------------------------------------------------------------------------


def waiting(db: Database, user: User | None) -> pl.DataFrame:
    """What waits for ``user`` in 签字确认: their own result to confirm and their direct reports' results.
    Columns: appraisal_id, cycle, employee, party (employee|manager), due (date), days_overdue,
    objection (open|upheld|returned|None), confirmed_by_other (bool), row_version."""
    if user is None or not user.employee_id:
        return pl.DataFrame()
    rows = db.rows(
        f"""
        SELECT a.appraisal_id, a.cycle_id, c.name AS cycle, a.employee_id, e.name AS employee, a.manager_id,
               a.rater_id, {SINCE_SQL} AS since, a.row_version, {STATE_SQL}
        FROM appraisals a JOIN cycles c ON c.cycle_id = a.cycle_id
        LEFT JOIN employees e ON e.employee_id = a.employee_id
        WHERE c.status = 'open' AND a.stage = ? AND (a.employee_id = ? OR a.manager_id = ? OR a.rater_id = ?)
        ORDER BY since, a.appraisal_id
        """,
        [SIGNOFF, user.employee_id, user.employee_id, user.employee_id],
    )
    days, _ = settings.signoff_deadline(db)
    today = clock.today()
    out = []
    for r in rows:
        party = signoff_party(user, r)
        confirmed = set(r["confirmed"] or ())
        if party is None or party in confirmed:
            continue
        due = due_date(r["since"], days)
        out.append({
            "appraisal_id": r["appraisal_id"], "cycle": r["cycle"], "employee": r["employee"], "party": party,
            "due": due, "days_overdue": days_overdue(due, today), "objection": r["objection"],
            "confirmed_by_other": bool(confirmed - {party}), "row_version": r["row_version"],
        })  # fmt: skip
    schema = {"appraisal_id": pl.String, "cycle": pl.String, "employee": pl.String, "party": pl.String,
              "due": pl.Date, "days_overdue": pl.Int64, "objection": pl.String, "confirmed_by_other": pl.Boolean,
              "row_version": pl.Int64}  # fmt: skip
    return pl.DataFrame(out, schema=schema) if out else pl.DataFrame()


def result(db: Database, user: User | None, appraisal_id: str) -> dict[str, Any]:
    """The result as the parties confirm it (scoped, audited read): header fields (cycle, employee,
    department, position, manager, final_score, grade, calibrated_grade, effective_grade, calibration_note,
    stage, row_version, due), ``items`` (frame: kpi, category, item_kind, weight, target, actual,
    actual_source (label), self_score, manager_score, item_score, self_comment, manager_comment),
    ``formula`` (how the total was computed, a sentence), ``confirmations`` (list of dicts party, name,
    at, deemed), ``objections`` (list of dicts: raised_at, reason, status, reply, resolved_by,
    resolved_at), ``party`` (the user's party or None), ``may_confirm``, ``may_object``, ``document``
    (archive-relative path or None)."""
    found = header(db, appraisal_id)
    reader = guard_appraisal_read(db, user, found, "read_signoff", f"appraisal:{appraisal_id}")
    assert found is not None
    items = db.frame(
        """
        SELECT coalesce(kpi_name, kpi_id) AS kpi, kpi_id, category, coalesce(item_kind, 'item') AS item_kind, unit,
               method, weight, target_value AS target, target_as_written, actual_value AS actual, actual_as_of,
               actual_source AS source_code, self_score, manager_score, item_score, self_comment, manager_comment
        FROM appraisal_items WHERE appraisal_id = ? ORDER BY seq NULLS LAST, kpi_id
        """,
        [appraisal_id],
    )
    labels = [ACTUAL_SOURCES.get(code, code) if code else None for code in items.get_column("source_code").to_list()]
    items = items.with_columns(actual_source=pl.Series(labels, dtype=pl.String))
    rnd = max(int(db.scalar("SELECT signoff_round FROM appraisals WHERE appraisal_id = ?", [appraisal_id]) or 0), 1)
    since = db.scalar(f"SELECT {SINCE_SQL} FROM appraisals a WHERE appraisal_id = ?", [appraisal_id])
    confirmations = db.rows(
        "SELECT s.party, e.name, s.confirmed_at AS at, s.deemed FROM signoff_confirmations s"
        " LEFT JOIN employees e ON e.employee_id = s.employee_id WHERE s.appraisal_id = ? AND s.round = ?"
        " ORDER BY s.confirmed_at, s.party",
        [appraisal_id, rnd],
    )
    objections_ = db.rows(
        "SELECT o.objection_id, o.round, o.raised_at, o.reason, o.status, o.reply,"
        " coalesce(u.display_name, o.resolved_by) AS resolved_by, o.resolved_at FROM signoff_objections o"
        " LEFT JOIN users u ON u.username = o.resolved_by WHERE o.appraisal_id = ? ORDER BY o.raised_at",
        [appraisal_id],
    )
    party = signoff_party(reader, found)
    done = {c["party"] for c in confirmations}
    in_round = [o for o in objections_ if o["round"] == rnd]
    live = found["stage"] == SIGNOFF and found["cycle_status"] == "open" and found["employee_status"] != "left"
    pending = any(o["status"] == "open" for o in in_round)
    days, _ = settings.signoff_deadline(db)
    due = due_date(since, days) if found["stage"] == SIGNOFF else None
    out = {k: found[k] for k in (
        "appraisal_id", "cycle_id", "cycle", "employee_id", "employee", "department", "position", "manager",
        "final_score", "grade", "calibrated_grade", "effective_grade", "calibration_note", "stage", "row_version",
        "cycle_status",
    )}  # fmt: skip
    out.update(
        due=due, days_overdue=days_overdue(due, clock.today()), round=rnd, items=items,
        formula=formula(db, found, items), confirmations=confirmations, objections=objections_, party=party,
        may_confirm=bool(live and party and party not in done and not pending),
        may_object=bool(live and party == EMPLOYEE and EMPLOYEE not in done and not in_round),
        document=db.scalar("SELECT path FROM signoff_documents WHERE appraisal_id = ?", [appraisal_id]),
    )  # fmt: skip
    audit.log_read(db, reader.username, reader.session, "read_appraisal", "appraisal", appraisal_id,
                   {"employee_id": found["employee_id"], "screen": "signoff"})  # fmt: skip
    return out


def formula(db: Database, found: dict[str, Any], items: pl.DataFrame) -> Text:
    """How the total was computed, in words: the weighted items (or an annual result's parts), the total,
    the grade on HR's scale, and a calibration's move with its note."""
    scale = "、".join(f"{g} ≥ {m:g}" if m > 0 else g for g, m in settings.grade_scale(db))
    total, grade = found["final_score"], found["grade"] or "—"
    if total is None:
        sentence = Text("signoff.formula_unscored")
    elif found["score_basis"]:
        parts = json.loads(found["score_basis"]).get("parts", [])
        terms = " + ".join(f"{p['part']} {p['score']:.1f} × {p['weight']:g}%" for p in parts
                           if p["weight"] and p["score"] is not None)  # fmt: skip
        sentence = Text("signoff.formula_annual", parts=terms, total=total, grade=grade)
    else:
        rows = [r for r in items.iter_rows(named=True) if r["weight"]]
        terms = "(" + " + ".join(f"{r['item_score'] or 0:.1f} × {r['weight']:g}" for r in rows) + ") ÷ 100"
        sentence = Text("signoff.formula", terms=terms, total=total, grade=grade, scale=scale)
    if found["calibrated_grade"] and found["calibrated_grade"] != found["grade"]:
        moved = Text("signoff.formula_calibrated", grade=found["calibrated_grade"], before=grade,
                     note=found["calibration_note"] or "—")  # fmt: skip
        return Text("signoff.formula_with_calibration", total=sentence, calibration=moved)
    return sentence


# -- the parties' steps --------------------------------------------------------------------------------


def _party_or_refuse(db: Database, user: User, found: dict[str, Any] | None, appraisal_id: str) -> str:
    """The user's party on this appraisal; Forbidden (audited when it is outside their scope) otherwise."""
    party = signoff_party(user, found) if found else None
    if party is None:
        if found is None or not can(db, user, "read_employee", found["employee_id"]):
            guard_appraisal_read(db, user, found, "signoff_confirm", f"appraisal:{appraisal_id}")
        raise Forbidden("perm.signoff_party")
    return party


def _still_party(user: User, found: dict[str, Any]) -> str:
    """The party checked again inside the write transaction (the roster may have moved meanwhile)."""
    party = signoff_party(user, found)
    if party is None:
        raise Forbidden("perm.signoff_party")
    return party


def _may_confirm(found: dict[str, Any], party: str, current: RoundState) -> None:
    if found["stage"] != SIGNOFF:
        raise CycleError("signoff.not_in_signoff", stage=found["stage"])
    if party in current.confirmed:
        raise CycleError("signoff.already_confirmed", at=current.confirmed[party]["confirmed_at"])
    if current.objection_status == "open":
        raise CycleError("signoff.objection_pending")


def confirm(db: Database, user: User | None, appraisal_id: str, password: str, *, version: int,
            source: str | None = None, lang: str = "zh-CN") -> Confirmed:  # fmt: skip
    """``user`` confirms as employee or manager after re-entering their password (a wrong password is
    refused, recorded, and counts like a failed login from ``source``, the client's address). When both have
    confirmed, the signed PDF is issued (labels in ``lang``, the confirming user's language) and the
    appraisal closes in the same transaction."""
    user = require_user(user)
    party = _party_or_refuse(db, user, header(db, appraisal_id), appraisal_id)
    # what would refuse the confirmation is said before the password is checked (reads only)
    found = lock_appraisal(db.cursor(), user, appraisal_id, version)
    _may_confirm(found, party, state(db.cursor(), appraisal_id, store=False))
    confirm_password(db, user, password, during="signoff_confirm", source=source)
    return _confirm(db, user, appraisal_id, version, lang)


def _confirm(db: Database, user: User, appraisal_id: str, version: int, lang: str) -> Confirmed:
    """Record ``user``'s confirmation in one transaction, checked again inside it; with the other party's
    already in, issue the PDF and close the appraisal."""
    now = clock.now()
    with db.transaction() as cur:
        found = lock_appraisal(cur, user, appraisal_id, version)
        party = _still_party(user, found)
        current = state(cur, appraisal_id)
        _may_confirm(found, party, current)
        record_confirmation(cur, user, found, party, current.round, now)
        document = complete_if_both(cur, found, current.round, user.username, now, lang=lang)
    return Confirmed(appraisal_id, party, now, document is not None, document)


def confirm_reauthenticated(db: Database, user: User | None, appraisal_id: str, *, version: int,
                            how: str) -> Confirmed:  # fmt: skip
    """:func:`confirm` for a caller that established who ``user`` is some other way than their password
    here (``how``: the demo build, whose synthetic people have no login). Never reachable from a page
    (tests/test_structure.py checks that pages/ and ui/ do not name it); ``how`` is in the audit row."""
    user = require_user(user)
    with audit.annotated(reauth=how):
        return _confirm(db, user, appraisal_id, version, "zh-CN")


def object_to(db: Database, user: User | None, appraisal_id: str, reason: str, *, version: int) -> str:
    """The employee objects with a reason (required, capped); returns the objection id. One objection per
    round, and none after confirming; it goes to HR and holds both confirmations until resolved."""
    user = require_user(user)
    if _party_or_refuse(db, user, header(db, appraisal_id), appraisal_id) != EMPLOYEE:
        raise Forbidden("perm.signoff_object")
    text = text_input(reason, Text("field.objection_reason"), required=True, error=CycleError)
    now = clock.now()
    with db.transaction() as cur:
        found = lock_appraisal(cur, user, appraisal_id, version)
        if _still_party(user, found) != EMPLOYEE:
            raise Forbidden("perm.signoff_object")
        if found["stage"] != SIGNOFF:
            raise CycleError("signoff.not_in_signoff", stage=found["stage"])
        current = state(cur, appraisal_id)
        if EMPLOYEE in current.confirmed:
            raise CycleError("signoff.object_after_confirm")
        if current.objection_status == "open":
            raise CycleError("signoff.objection_twice")
        if current.objection is not None:
            raise CycleError("signoff.objection_once")
        objection_id = f"{appraisal_id}:R{current.round}"
        cur.execute(
            "INSERT INTO signoff_objections (objection_id, appraisal_id, round, raised_by, raised_at, reason, status)"
            " VALUES (?, ?, ?, ?, ?, ?, 'open')",
            [objection_id, appraisal_id, current.round, user.username, now, text],
        )
        step(cur, user, found, "object", text, now, EMPLOYEE)
        digest = ledger(cur, found, user.username, EMPLOYEE, "objection",
                        {"objection_id": objection_id, "round": current.round, "reason": text})  # fmt: skip
        audit.record(cur, user.username, "signoff_objection", "appraisal", appraisal_id,
                     {"objection_id": objection_id, "round": current.round, "record_sha256": digest})  # fmt: skip
    return objection_id


# -- HR: objections ------------------------------------------------------------------------------------


def objections(db: Database, user: User | None, *, status: str | None = None) -> pl.DataFrame:
    """HR: objections (objection_id, appraisal_id, cycle, employee, department, raised_at, reason, status,
    reply, resolved_by, resolved_at), open first; ``own`` marks an objection to the user's own appraisal,
    which another HR user must resolve."""
    user = require_action(user, "signoff_hr", "perm.signoff_hr")
    return db.frame(
        """
        SELECT o.objection_id, o.appraisal_id, c.name AS cycle, e.name AS employee, a.employee_id, d.name AS department,
               o.round, o.raised_at, o.reason, o.status, o.reply, coalesce(u.display_name, o.resolved_by) AS resolved_by,
               o.resolved_at, a.row_version, coalesce(a.employee_id = ?, false) AS own
        FROM signoff_objections o JOIN appraisals a USING (appraisal_id) JOIN cycles c ON c.cycle_id = a.cycle_id
        LEFT JOIN employees e ON e.employee_id = a.employee_id LEFT JOIN departments d ON d.dept_id = a.dept_id
        LEFT JOIN users u ON u.username = o.resolved_by
        WHERE ?::VARCHAR IS NULL OR o.status = ?
        ORDER BY o.status <> 'open', o.raised_at DESC, o.objection_id
        """,
        [user.employee_id, status, status],
    )


def resolve(db: Database, user: User | None, objection_id: str, decision: str, reply: str) -> None:
    """HR upholds (``uphold``: the result stands, ``reply`` is shown to the employee) or returns
    (``return``: back to 上级评定, ``reply`` is the note for the manager). Never on HR's own appraisal."""
    user = require_action(user, "signoff_hr", "perm.signoff_hr")
    if decision not in DECISIONS:
        raise CycleError("signoff.bad_decision", decision=decision)
    text = text_input(reply, Text("field.objection_reply"), required=True, error=CycleError)
    now = clock.now()
    with db.transaction() as cur:
        rows = cur.execute(
            "SELECT appraisal_id, status, resolved_at, resolved_by FROM signoff_objections WHERE objection_id = ?",
            [objection_id],
        ).fetchall()
        if not rows:
            raise CycleError("signoff.unknown_objection", objection_id=objection_id)
        appraisal_id, status, resolved_at, resolved_by = rows[0]
        found = lock_appraisal(cur, user, appraisal_id, None)
        refuse_own(db, user, found["employee_id"], "own.resolve_objection")
        if status != "open":
            raise CycleError("signoff.objection_closed", at=resolved_at, by=resolved_by)
        if found["stage"] != SIGNOFF:
            raise CycleError("signoff.not_in_signoff", stage=found["stage"])
        outcome = "upheld" if decision == "uphold" else "returned"
        cur.execute(
            "UPDATE signoff_objections SET status = ?, resolved_by = ?, resolved_at = ?, reply = ? WHERE objection_id = ?",
            [outcome, user.username, now, text, objection_id],
        )
        step(cur, user, found, "uphold_objection" if decision == "uphold" else "return_objection", text, now, HR)
        if decision == "return":  # the grade follows the new rating unless HR moved it in calibration
            cur.execute(
                "UPDATE appraisals SET calibrated_grade = NULL WHERE appraisal_id = ?"
                " AND NOT EXISTS (SELECT 1 FROM calibration_changes WHERE appraisal_id = ?)",
                [appraisal_id, appraisal_id],
            )
        detail = {"objection_id": objection_id, "decision": decision, "reply": text}
        digest = ledger(cur, found, user.username, HR, "resolution", detail)
        audit.record(cur, user.username, "signoff_resolution", "appraisal", appraisal_id,
                     {**detail, "record_sha256": digest, **({"to": MANAGER_RATING} if decision == "return" else {})})  # fmt: skip


# -- the trail -----------------------------------------------------------------------------------------


def trail(db: Database, user: User | None, appraisal_id: str) -> pl.DataFrame:
    """The sign-off trail of one appraisal (scoped): ts, actor, role, action, detail — from the ledger —
    with ``who`` (the actor's name), ``note`` (the reason or reply the step carried) and the hashes."""
    found = header(db, appraisal_id)
    reader = guard_appraisal_read(db, user, found, "read_signoff", f"appraisal:{appraisal_id}")
    assert found is not None
    audit.log_read(db, reader.username, reader.session, "read_appraisal", "appraisal", appraisal_id,
                   {"employee_id": found["employee_id"], "screen": "signoff"})  # fmt: skip
    frame = db.frame(
        "SELECT l.seq, l.ts, l.actor, coalesce(u.display_name, l.actor) AS who, l.role, l.action, l.detail,"
        " l.record_sha256, l.pdf_sha256 FROM signoff_ledger l LEFT JOIN users u ON u.username = l.actor"
        " WHERE l.appraisal_id = ? ORDER BY l.seq",
        [appraisal_id],
    )
    if frame.is_empty():
        return frame
    notes = [_note(d) for d in frame.get_column("detail").to_list()]
    return frame.with_columns(note=pl.Series(notes, dtype=pl.String))


def _note(detail: str | None) -> str | None:
    parsed = json.loads(detail) if detail else {}
    return parsed.get("reason") or parsed.get("reply") or parsed.get("comment")
