"""What waits for whom (我的待办): a person's own stage work in every open cycle, their direct reports',
the results waiting for their confirmation (签字确认, due by the deadline after calibration), and for HR
each department waiting for calibration and the open objections — with the due date and how late it is."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from core import clock, signoff
from core.appraisal import HEADER_SQL
from core.auth import User
from core.db import Database
from core.periods import days_left, due_of
from core.permissions import allowed, roles_on
from core.stages import EMPLOYEE, MANAGER
from core.vocabulary import CALIBRATION, GOALS, MANAGER_RATING, MIDTERM, SELF_ASSESSMENT, SIGNOFF

# (stage, role) -> what waits for that role in that stage, and the screen where it is done
TASKS: dict[tuple[str, str], tuple[str, str]] = {
    (GOALS, EMPLOYEE): ("提出目标", "goals"),
    (GOALS, MANAGER): ("审批目标", "goals"),
    (MIDTERM, EMPLOYEE): ("中期进度沟通", "midterm"),
    (MIDTERM, MANAGER): ("中期进度沟通并结束中期回顾", "midterm"),
    (SELF_ASSESSMENT, EMPLOYEE): ("期末自评", "self_review"),
    (MANAGER_RATING, MANAGER): ("上级评分", "team_rating"),
    (SIGNOFF, EMPLOYEE): ("签字确认", "signoff"),
    (SIGNOFF, MANAGER): ("签字确认", "signoff"),
}


def my_tasks(db: Database, user: User | None, *, today: dt.date | None = None) -> pl.DataFrame:
    """What waits for ``user`` in every open cycle: their own stage work, their direct reports', and for
    HR each department waiting for calibration. Columns: cycle, task (Chinese), task_code (``stage.role`` of
    :data:`TASKS`, or ``calibration``), people (how many a calibration task holds), employee (or department),
    stage, due, days_left, overdue, screen, appraisal_id."""
    today = today or clock.today()
    if user is None:
        return pl.DataFrame()
    rows: list[dict[str, Any]] = []
    if user.employee_id:
        found = db.rows(
            HEADER_SQL + " WHERE c.status = 'open' AND c.origin = 'app' AND (a.employee_id = ? OR a.manager_id = ?)"
            " ORDER BY c.period_start, a.employee_id",
            [user.employee_id, user.employee_id],
        )
        done = _done_by(db, [r["appraisal_id"] for r in found])
        for r in found:
            if r["stage"] == SIGNOFF:
                continue  # what waits in sign-off comes from core.signoff (the manager who rated confirms too)
            for role in roles_on(user, r):
                task = TASKS.get((r["stage"], role))
                if task is None or (r["appraisal_id"], r["stage"], role) in done:
                    continue
                rows.append(_task_row(r["cycle"], task[0], f"{r['stage']}.{role}", r["employee"], r["stage"],
                                      due_of(r), today, task[1], r["appraisal_id"]))  # fmt: skip
        rows += _signoff_tasks(db, user, today)
    if allowed(user, "calibrate"):
        for r in db.rows(
            "SELECT c.cycle_id, c.name AS cycle, c.calibration_due, d.name AS department, count(*) AS n"
            " FROM appraisals a JOIN cycles c USING (cycle_id) LEFT JOIN departments d ON d.dept_id = a.dept_id"
            " WHERE c.status = 'open' AND a.stage = 'calibration' GROUP BY ALL ORDER BY c.calibration_due, department"
        ):
            rows.append(_task_row(r["cycle"], f"校准（{r['n']} 人）", "calibration", r["department"], CALIBRATION,
                                  r["calibration_due"], today, "calibration", None, people=r["n"]))  # fmt: skip
    rows += _objection_tasks(db, user, today)
    if not rows:
        return pl.DataFrame()
    return pl.DataFrame(rows).sort("due", "cycle", nulls_last=True)


def _signoff_tasks(db: Database, user: User, today: dt.date) -> list[dict[str, Any]]:
    """签字确认 for each result waiting for ``user``'s confirmation (:func:`core.signoff.waiting`), due by the
    deadline after calibration; none while an objection waits for HR (HR's task then)."""
    out = []
    for r in signoff.waiting(db, user).iter_rows(named=True):
        if r["objection"] == "open":
            continue
        task, screen = TASKS[(SIGNOFF, r["party"])]
        if r["confirmed_by_other"]:
            task += "（对方已确认）"
        out.append(_task_row(r["cycle"], task, f"{SIGNOFF}.{r['party']}", r["employee"], SIGNOFF, r["due"], today,
                             screen, r["appraisal_id"]))  # fmt: skip
    return out


def _objection_tasks(db: Database, user: User, today: dt.date) -> list[dict[str, Any]]:
    """HR: the open objections of each open cycle, one task per cycle (异议处理), due the day they were raised."""
    if not allowed(user, "signoff_hr"):
        return []
    rows = db.rows(
        "SELECT c.name AS cycle, count(*) AS n, min(o.raised_at)::DATE AS since FROM signoff_objections o"
        " JOIN appraisals a USING (appraisal_id) JOIN cycles c ON c.cycle_id = a.cycle_id"
        " WHERE o.status = 'open' AND c.status = 'open' GROUP BY ALL ORDER BY since"
    )
    return [_task_row(r["cycle"], f"异议处理（{r['n']} 条）", "objections", None, SIGNOFF, r["since"], today,
                      "objections", None, people=r["n"]) for r in rows]  # fmt: skip


def _done_by(db: Database, appraisal_ids: list[str]) -> set[tuple[str, str, str]]:
    """(appraisal, stage, role) whose own part of a staying stage is done: goals proposed, a check-in made."""
    if not appraisal_ids:
        return set()
    rows = db.rows(
        "SELECT DISTINCT e.appraisal_id, e.from_stage, e.role FROM stage_events e JOIN appraisals a USING (appraisal_id)"
        " WHERE list_contains(?::VARCHAR[], e.appraisal_id) AND e.from_stage = a.stage AND e.ts >= a.stage_since"
        " AND e.role = 'employee' AND e.action IN ('propose_goals', 'checkin')",
        [appraisal_ids],
    )
    return {(r["appraisal_id"], r["from_stage"], r["role"]) for r in rows}


def _task_row(cycle: str, task: str, code: str, who: str | None, stage: str, due: dt.date | None, today: dt.date,
              screen: str, appraisal_id: str | None, *, people: int | None = None) -> dict[str, Any]:  # fmt: skip
    left = days_left(due, today)
    return {
        "cycle": cycle, "task": task, "task_code": code, "people": people, "employee": who, "stage": stage,
        "due": due, "days_left": left, "overdue": bool(left is not None and left < 0), "screen": screen,
        "appraisal_id": appraisal_id,
    }  # fmt: skip
