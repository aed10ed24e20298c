"""Changing an appraisal: goals, check-ins, the self-assessment, the manager's rating, actuals typed by
people, and the stage moves of :data:`core.stages.TRANSITIONS`.

Each save is one transaction that names the ``row_version`` it was based on: a save on a stale version is
refused with :class:`core.errors.Conflict` and writes nothing (the screen keeps the user's input). Each
stage action resolves the acting user's role on the appraisal (:func:`core.permissions.roles_on`), asks
the table, checks what the stage needs to be complete (every item self-scored, every item rated, both
parties checked in), and records the move in ``stage_events`` and the audit trail.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from core import actuals, appraisal_scores, audit, clock, scoring
from core.appraisal import ITEM_COLUMNS, header
from core.auth import User
from core.db import Cursor, Database, query_frame
from core.errors import Conflict, CycleError, Text
from core.permissions import Forbidden, allowed, can, guard_read, refuse_own, require_user, roles_on
from core.stages import EMPLOYEE, MANAGER, SYSTEM, TRANSITIONS, StageError, transition
from core.values import number_input, text_input
from core.vocabulary import (
    ACTUAL_SOURCES,
    MANAGER_RATING,
    MANUAL_SOURCES,
    OBJECTIVE_METHODS,
    OPEN_STAGES,
    SELF_ASSESSMENT,
    is_feed,
)


def lock_appraisal(cur: Cursor, user: User, appraisal_id: str, version: int | None) -> dict[str, Any]:
    """The appraisal's header inside the write transaction; :class:`Conflict` when ``version`` is stale."""
    found = header(cur, appraisal_id)
    if found is None:
        raise CycleError("appraisal.unknown", appraisal_id=appraisal_id)
    if found["kind"] and found["cycle_status"] != "open":
        raise CycleError("appraisal.cycle_closed", cycle=found["cycle"])
    if found["employee_status"] == "left":  # a person who left keeps their appraisals as they were
        raise CycleError("appraisal.person_left", employee=found["employee"] or found["employee_id"])
    if version is not None and int(version) != int(found["row_version"]):
        who = found["updated_by"] or Text("appraisal.someone")
        when = found["updated_at"].strftime("%Y-%m-%d %H:%M:%S") if found["updated_at"] else ""
        raise Conflict("appraisal.conflict", who=who, when=when, version=version, current=found["row_version"])
    return found


def _role_for(user: User, found: Mapping[str, Any], action: str) -> str:
    """The role in which ``user`` performs ``action`` here; StageError/Forbidden explain a refusal."""
    roles = roles_on(user, found)
    if not roles:
        raise Forbidden("perm.not_a_party")
    for role in roles:
        if any(t.stage == found["stage"] and t.role == role and t.action == action for t in TRANSITIONS):
            return role
    transition(found["stage"], roles[0], action, comment="-")  # raises the table's reason
    raise StageError("stage.not_allowed")  # pragma: no cover - transition always raises here


def touch_appraisal(cur: Cursor, user: User, appraisal_id: str, *, stage: str | None = None, now: dt.datetime) -> None:
    """A new row_version (and stage, when it moves) by ``user`` at ``now``."""
    moved = ", stage = ?, stage_since = ?" if stage is not None else ""
    cur.execute(
        f"UPDATE appraisals SET row_version = row_version + 1, updated_by = ?, updated_at = ?{moved}"
        " WHERE appraisal_id = ?",
        [user.username, now, *((stage, now) if stage is not None else ()), appraisal_id],
    )


def _event(cur: Cursor, appraisal_id: str, now: dt.datetime, actor: str, role: str, action: str,
           from_stage: str, to_stage: str, comment: str | None) -> None:  # fmt: skip
    seq = cur.execute(
        "SELECT coalesce(max(seq), 0) + 1 FROM stage_events WHERE appraisal_id = ?", [appraisal_id]
    ).fetchall()[0][0]
    cur.execute(
        "INSERT INTO stage_events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [appraisal_id, seq, now, actor, role, action, from_stage, to_stage, comment],
    )


def _items(cur: Cursor, appraisal_id: str, edits: Mapping[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """The appraisal's items by kpi_id; an edit naming an item it does not have is refused."""
    frame = query_frame(
        cur, f"SELECT {', '.join(ITEM_COLUMNS)} FROM appraisal_items WHERE appraisal_id = ?", [appraisal_id]
    )
    items = {r["kpi_id"]: r for r in frame.iter_rows(named=True)}
    unknown = [k for k in edits or {} if k not in items]
    if unknown:
        raise CycleError("appraisal.unknown_items", kpis=unknown)
    return items


def step(cur: Cursor, user: User, found: Mapping[str, Any], action: str, comment: str | None, now: dt.datetime,
         role: str | None = None) -> str:  # fmt: skip
    """Perform one row of the stage table inside the caller's transaction (as ``role``, else the role
    ``user`` holds for ``action``); returns the stage after it."""
    role = role or _role_for(user, found, action)
    target = transition(found["stage"], role, action, comment=comment)
    moved = target != found["stage"]
    touch_appraisal(cur, user, found["appraisal_id"], stage=target if moved else None, now=now)
    _event(cur, found["appraisal_id"], now, user.username, role, action, found["stage"], target, comment)
    audit.record(
        cur, user.username, "stage_" + action, "appraisal", found["appraisal_id"],
        {"role": role, "from": found["stage"], "to": target, **({"comment": comment} if comment else {})},
    )  # fmt: skip
    return target


def _name(item: Mapping[str, Any]) -> str:
    return item["kpi_name"] or item["kpi_id"]


def save_goals(db: Database, user: User | None, appraisal_id: str, edits: Mapping[str, Mapping[str, Any]],
               *, version: int) -> int:  # fmt: skip
    """目标制定: the employee proposes a target and a note per item; the manager adjusts target, floor and
    stretch (weights stay the template's, changed only through the approval of ``core.kpi_changes``).
    ``edits`` maps kpi_id to the fields. Returns the new row_version."""
    user = require_user(user)
    now = clock.now()
    with db.transaction() as cur:
        found = lock_appraisal(cur, user, appraisal_id, version)
        roles = roles_on(user, found)
        if EMPLOYEE not in roles and MANAGER not in roles:
            raise Forbidden("perm.goals")
        action = "adjust_goals" if MANAGER in roles and EMPLOYEE not in roles else "propose_goals"
        items = _items(cur, appraisal_id, edits)
        step(cur, user, found, action, None, now)
        for kpi_id, change in edits.items():
            if action == "propose_goals":
                _propose_goal(cur, appraisal_id, items[kpi_id], change)
            else:
                _adjust_goal(cur, appraisal_id, items[kpi_id], change)
        appraisal_scores.recompute_scores(cur, appraisal_ids=[appraisal_id])
    return version + 1


def _propose_goal(cur: Cursor, appraisal_id: str, item: Mapping[str, Any], change: Mapping[str, Any]) -> None:
    proposed = number_input(change.get("proposed_target"), Text("field.item_proposed_target", item=_name(item)))
    note = text_input(change.get("goal_note"), Text("field.item_goal_note", item=_name(item)))
    cur.execute(
        "UPDATE appraisal_items SET proposed_target = ?, goal_note = ? WHERE appraisal_id = ? AND kpi_id = ?",
        [proposed, note, appraisal_id, item["kpi_id"]],
    )


def _adjust_goal(cur: Cursor, appraisal_id: str, item: Mapping[str, Any], change: Mapping[str, Any]) -> None:
    name = _name(item)
    target = number_input(change.get("target_value", item["target_value"]), Text("field.item_target", item=name))
    floor = number_input(change.get("floor", item["floor"]), Text("field.item_floor", item=name))
    stretch = number_input(change.get("stretch", item["stretch"]), Text("field.item_stretch", item=name))
    if item["method"] in OBJECTIVE_METHODS and item["method"] != "deduction":
        if target is None:
            raise CycleError("appraisal.target_needed", item=name)
        try:  # the settings are checked even without an actual
            scoring.score_item(item["method"], item["direction"], None, target, floor, stretch)
        except scoring.ScoringError as err:
            raise CycleError("appraisal.item_settings", item=name, error=err) from None
    cur.execute(
        "UPDATE appraisal_items SET target_value = ?, floor = ?, stretch = ? WHERE appraisal_id = ? AND kpi_id = ?",
        [target, floor, stretch, appraisal_id, item["kpi_id"]],
    )


def add_checkin(db: Database, user: User | None, appraisal_id: str, note: str, *, progress: object = None,
                kpi_id: str | None = None) -> None:  # fmt: skip
    """中期回顾: a progress note by the employee or the manager (optionally on one item, with the percent
    of the goal reached). Check-ins append, so they never conflict."""
    user = require_user(user)
    text = text_input(note, Text("field.checkin_note"), required=True)
    pct = number_input(progress, Text("field.progress"))
    if pct is not None and not 0 <= pct <= 200:
        raise CycleError("appraisal.progress_range", pct=pct)
    now = clock.now()
    with db.transaction() as cur:
        found = lock_appraisal(cur, user, appraisal_id, None)
        if kpi_id is not None and kpi_id not in _items(cur, appraisal_id):
            raise CycleError("appraisal.unknown_item", kpi_id=kpi_id)
        role = _role_for(user, found, "checkin")
        transition(found["stage"], role, "checkin")
        seq = cur.execute(
            "SELECT coalesce(max(seq), 0) + 1 FROM checkins WHERE appraisal_id = ?", [appraisal_id]
        ).fetchall()[0][0]
        cur.execute(
            "INSERT INTO checkins VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [appraisal_id, seq, now, user.username, role, kpi_id, text, pct],
        )
        _event(cur, appraisal_id, now, user.username, role, "checkin", found["stage"], found["stage"], None)
        touch_appraisal(cur, user, appraisal_id, now=now)
        audit.record(cur, user.username, "stage_checkin", "appraisal", appraisal_id, {"role": role, "kpi_id": kpi_id})


def _open_draft(cur: Cursor, user: User, appraisal_id: str, version: int, edits: Mapping[str, Any], *,
                role: str, stage: str, refused: str, what: str) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:  # fmt: skip
    """The header and items of an appraisal whose ``role`` saves a draft in ``stage``, inside the write
    transaction: a stale version, another person (Forbidden ``refused``, a code), another stage or an unknown
    item is refused; ``what`` is the draft's code in the messages' ``draft`` labels."""
    found = lock_appraisal(cur, user, appraisal_id, version)
    if role not in roles_on(user, found):
        raise Forbidden(refused)
    if found["stage"] != stage:
        raise StageError("stage.cannot_save", stage=found["stage"], what=what)
    return found, _items(cur, appraisal_id, edits)


def _judged_input(method: str | None, value: object, label: Text) -> float | None:
    """A rater's (or the employee's own) input on an item: a rubric level 1–5, pass 1 / fail 0, or a
    score 0–120 for the other methods."""
    number = number_input(value, label)
    if number is None:
        return None
    if method == "rubric" and (number != int(number) or not 1 <= number <= 5):
        raise CycleError("appraisal.level_range", label=label, number=number)
    if method == "pass_fail" and number not in (0, 1):
        raise CycleError("appraisal.pass_fail_value", label=label, number=number)
    if method not in ("rubric", "pass_fail") and not 0 <= number <= scoring.MAX_SCORE:
        raise CycleError("appraisal.score_range", label=label, number=number)
    return number


def save_self(db: Database, user: User | None, appraisal_id: str, edits: Mapping[str, Mapping[str, Any]],
              *, version: int) -> int:  # fmt: skip
    """期末自评 draft: per item the employee's own rating — a rubric item on its 1–5 levels like the
    manager rates it, any other item a score 0–120 — and a comment. Returns the new row_version."""
    user = require_user(user)
    with db.transaction() as cur:
        _, items = _open_draft(
            cur, user, appraisal_id, version, edits,
            role=EMPLOYEE, stage=SELF_ASSESSMENT, refused="perm.self_assessment", what="self",
        )  # fmt: skip
        for kpi_id, change in edits.items():
            item = items[kpi_id]
            rubric = item["method"] == "rubric"
            what = Text("field.item_self_level" if rubric else "field.item_self_score", item=_name(item))
            value = _judged_input("rubric" if rubric else "manual", change.get("self_input"), what)
            comment = text_input(change.get("self_comment"), Text("field.item_self_comment", item=_name(item)))
            cur.execute(
                "UPDATE appraisal_items SET self_input = ?, self_comment = ? WHERE appraisal_id = ? AND kpi_id = ?",
                [value, comment, appraisal_id, kpi_id],
            )
        touch_appraisal(cur, user, appraisal_id, now=clock.now())
        appraisal_scores.recompute_scores(cur, appraisal_ids=[appraisal_id])
    return version + 1


def save_rating(db: Database, user: User | None, appraisal_id: str, edits: Mapping[str, Mapping[str, Any]],
                *, version: int) -> int:  # fmt: skip
    """上级评定 draft: per item the manager's input for judged items (rubric level, pass 1/0, manual score),
    an actual for objective items that no feed supplies (recorded as 主管录入; a changed actual on an item a
    feed supplies is refused), and a comment. Returns the new row_version."""
    user = require_user(user)
    now = clock.now()
    with db.transaction() as cur:
        found, items = _open_draft(
            cur, user, appraisal_id, version, edits,
            role=MANAGER, stage=MANAGER_RATING, refused="perm.rating", what="rating",
        )  # fmt: skip
        day = min(clock.today(), found["period_end"])
        for kpi_id, change in edits.items():
            item = items[kpi_id]
            comment = text_input(change.get("manager_comment"), Text("field.item_manager_comment", item=_name(item)))
            if item["method"] in OBJECTIVE_METHODS:
                actual = number_input(change.get("actual_value"), Text("field.item_actual", item=_name(item)))
                if actual is not None and actual != item["actual_value"]:
                    if is_feed(item["actual_source"]):
                        raise CycleError("appraisal.actual_from_feed", item=_name(item), source=item["actual_source"])
                    actuals.append(cur, found["employee_id"], kpi_id, day, actual, "manual", user.username,
                                   f"{appraisal_id} 评分时录入")  # fmt: skip
                cur.execute(
                    "UPDATE appraisal_items SET manager_comment = ? WHERE appraisal_id = ? AND kpi_id = ?",
                    [comment, appraisal_id, kpi_id],
                )
            else:
                value = _judged_input(
                    item["method"], change.get("manager_input"), Text("field.item_rating", item=_name(item))
                )
                cur.execute(
                    "UPDATE appraisal_items SET manager_input = ?, manager_comment = ? WHERE appraisal_id = ? AND kpi_id = ?",
                    [value, comment, appraisal_id, kpi_id],
                )
        touch_appraisal(cur, user, appraisal_id, now=now)
        cur.execute("UPDATE appraisals SET rater_id = ? WHERE appraisal_id = ?", [user.employee_id, appraisal_id])
        appraisal_scores.rescore(cur, appraisal_ids=[appraisal_id])
    return version + 1


def record_actual(db: Database, user: User | None, employee_id: str, kpi_id: str, value: object, *,
                  as_of: dt.date | None = None, source: str | None = None, note: str | None = None) -> int:  # fmt: skip
    """Record a KPI actual for one person: their direct manager (source 主管录入) or HR (HR 录入, or the
    system HR copied it from). A person's entry on an item a feed supplies is refused. The person's open
    appraisals pick it up and rescore at once. Returns how many appraisals were rescored."""
    user = require_user(user)
    number = number_input(value, Text("field.actual"))
    if number is None:
        raise CycleError("appraisal.actual_missing")
    if not can(db, user, "edit_employee", employee_id):
        guard_read(db, user, employee_id, "record_actual")
        raise Forbidden("perm.record_actual")
    refuse_own(db, user, employee_id, "own.record_actual")
    as_hr = allowed(user, "edit_everyone")
    direct = (
        bool(user.employee_id)
        and db.scalar("SELECT manager_id FROM employees WHERE employee_id = ?", [employee_id]) == user.employee_id
    )
    source = source or ("manual" if direct or not as_hr else "hr")
    if source not in ACTUAL_SOURCES or (source not in MANUAL_SOURCES and not as_hr):
        raise CycleError("appraisal.bad_source", source=source)
    day = as_of or clock.today()
    text = text_input(note, Text("field.note"))
    with db.transaction() as cur:
        if not cur.execute("SELECT 1 FROM kpis WHERE kpi_id = ?", [kpi_id]).fetchall():
            raise CycleError("appraisal.unknown_kpi", kpi_id=kpi_id)
        actuals.append(cur, employee_id, kpi_id, day, number, source, user.username, text)
        ids = actuals.open_appraisals_on(cur, employee_id, day)
        if ids:
            appraisal_scores.rescore(cur, appraisal_ids=ids)
        audit.record(
            cur, user.username, "actual_record", "employee", employee_id,
            {"kpi_id": kpi_id, "value": number, "as_of": str(day), "source": source},
        )  # fmt: skip
    return len(ids)


def follow_manager_changes(cur: Cursor, changes: Sequence[tuple[str, str | None, str | None]], actor: str,
                           why: str) -> int:  # fmt: skip
    """A person's manager changed (``(employee_id, old manager, new manager)``, say by a roster import) while a
    cycle is open: each of their open appraisals whose rating is not yet submitted follows the new manager,
    inside the caller's transaction, with a ``reassign`` event in its history and an audit row. Appraisals
    already rated keep the manager who rated them. Returns how many appraisals moved."""
    moved = 0
    now = clock.now()
    for employee_id, old, new in changes:
        rows = cur.execute(
            "SELECT a.appraisal_id, a.stage, a.manager_id FROM appraisals a JOIN cycles c USING (cycle_id)"
            " WHERE a.employee_id = ? AND c.origin = 'app' AND c.status = 'open'"
            " AND list_contains(?::VARCHAR[], a.stage) AND a.manager_id IS DISTINCT FROM ?",
            [employee_id, list(OPEN_STAGES), new],
        ).fetchall()
        for appraisal_id, stage, was in rows:
            cur.execute(
                "UPDATE appraisals SET manager_id = ?, row_version = row_version + 1, updated_by = ?, updated_at = ?"
                " WHERE appraisal_id = ?",
                [new, actor, now, appraisal_id],
            )
            _event(
                cur, appraisal_id, now, actor, SYSTEM, "reassign", stage, stage, f"{was or '—'} → {new or '—'}（{why}）"
            )
            audit.record(cur, actor, "appraisal_reassign", "appraisal", appraisal_id,
                         {"employee_id": employee_id, "from": was, "to": new, "roster_had": old, "why": why})  # fmt: skip
            moved += 1
    return moved


def _unfinished(cur: Cursor, appraisal_id: str, column: str) -> list[str]:
    return [
        r[0]
        for r in cur.execute(
            f"SELECT coalesce(kpi_name, kpi_id) FROM appraisal_items WHERE appraisal_id = ? AND {column} IS NULL ORDER BY seq",
            [appraisal_id],
        ).fetchall()
    ]


def _stage_complete(cur: Cursor, appraisal_id: str, action: str) -> None:
    """What a stage needs before ``action`` moves it on; CycleError naming what is missing."""
    if action == "finish_midterm":
        roles = {
            r[0]
            for r in cur.execute("SELECT DISTINCT role FROM checkins WHERE appraisal_id = ?", [appraisal_id]).fetchall()
        }
        missing = [role for role in (EMPLOYEE, MANAGER) if role not in roles]
        if missing:
            raise CycleError("appraisal.checkins_missing", parties=missing)
    if action == "submit_self":
        missing = _unfinished(cur, appraisal_id, "self_input")
        if missing:
            raise CycleError("appraisal.self_missing", count=len(missing), kpis=missing)
    if action == "submit_rating":
        appraisal_scores.rescore(cur, appraisal_ids=[appraisal_id])
        missing = _unfinished(cur, appraisal_id, "item_score")
        if missing:
            raise CycleError("appraisal.scores_missing", count=len(missing), kpis=missing)


def act(db: Database, user: User | None, appraisal_id: str, action: str, *, version: int,
        comment: str | None = None) -> str:  # fmt: skip
    """Move an appraisal by one row of the stage table (approve goals, finish the mid-term review, submit
    the self-assessment or the rating, return one stage). Checks what the stage needs; returns the new stage."""
    user = require_user(user)
    if action == "finalise_calibration":
        raise CycleError("appraisal.calibration_by_department")
    if action in ("sign", "object", "complete_signoff"):
        raise CycleError("appraisal.signoff_elsewhere")
    note = text_input(comment, Text("field.comment"))
    with db.transaction() as cur:
        found = lock_appraisal(cur, user, appraisal_id, version)
        role = _role_for(user, found, action)
        transition(found["stage"], role, action, comment=note)  # legal here at all, before what the stage needs
        _stage_complete(cur, appraisal_id, action)
        target = step(cur, user, found, action, note, clock.now(), role)
        if action == "approve_goals":  # the employee's proposals are settled by the approval
            cur.execute(
                "UPDATE appraisal_items SET proposed_target = NULL WHERE appraisal_id = ? AND proposed_target = target_value",
                [appraisal_id],
            )
        if action == "submit_rating":
            cur.execute("UPDATE appraisals SET rater_id = ? WHERE appraisal_id = ?", [user.employee_id, appraisal_id])
    return target  # a stage move changes no score input: the saves and new actuals rescore
