"""The demo's current cycle: this quarter's appraisals, opened by the demo HR user and moved along as
people would, so every demo login finds work on 我的待办.

Everything goes through core's own functions (``core.cycles.open_cycle``, ``core.appraisal_edits``),
acting as each employee and manager. Two things only the demo does: it records synthetic actuals (source
演示数据) for the objective items in one batch, as a feed would, and it spreads the cycle's history over
the quarter so far (:func:`backdate`).
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from core import appraisal_edits, appraisal_scores, audit, auth, cycles, errors, periods, permissions, vocabulary
from core.db import Database, insert_frame, register_frame, unregister_frame
from demo.company import COMMENTS

# The stage each appraisal (other than the few the demo logins need) is left in, with its share:
# most are setting goals or in the mid-term review, a few are further along.
DEMO_STAGE_SHARES: tuple[tuple[str, float], ...] = (
    ("goals", 0.65),
    ("midterm", 0.29),
    ("self_assessment", 0.025),
    ("manager_rating", 0.02),
    ("calibration", 0.015),
)
DEMO_SOURCE = "demo"  # core.vocabulary.ACTUAL_SOURCES: 演示数据
ACTOR = "demo"
_GOAL_NOTES = (
    "结合上季度实际完成情况提出",
    "考虑本季度订单增加，目标略上调",
    "新设备调试期，目标暂按模板",
    "已与主管初步沟通",
)
_EMPLOYEE_CHECKINS = (
    "本季度进展顺利，主要指标已完成过半",
    "受物料到货影响，进度略有滞后，已安排加班追赶",
    "重点任务按计划推进，需要主管协调跨部门资源",
    "已完成阶段目标，下一步重点是质量改进",
)
_MANAGER_CHECKINS = (
    "进度符合预期，继续保持",
    "请关注合格率波动，下月复盘",
    "同意调整工作重点，资源已协调",
    "整体可控，月底前补齐差距",
)


@dataclass
class DemoCycle:
    """The demo's open cycle: its id and name, what was opened, the actuals recorded and the stages."""

    cycle_id: str
    name: str
    appraisals: int
    items: int
    actuals: int
    stages: dict[str, int]
    seconds: float


def open_demo_cycle(db: Database, *, today: dt.date, seed: int = 0) -> DemoCycle | None:
    """Open the quarter holding ``today`` for the whole company as the demo HR user (due dates from
    ``core.periods.default_due_dates``), record synthetic actuals for the objective items (source 演示数据)
    and rescore, then move the appraisals along through ``core.appraisal_edits``, acting as each employee
    and manager would. None when the quarter already has an app cycle (a rebuilt database)."""
    t0 = time.perf_counter()
    year, part = today.year, (today.month - 1) // 3 + 1
    period, start, end, _ = periods.period_of("quarterly", year, part)
    if db.scalar("SELECT count(*) FROM cycles WHERE origin = 'app' AND period = ?", [period]):
        return None
    hr = auth.get_user(db, "hr")
    if not permissions.allowed(hr, "open_cycle"):  # an "hr" account of another kind: HR acts as the demo builder
        hr = auth.User(ACTOR, frozenset({"hr"}))
    try:
        report = cycles.open_cycle(
            db, hr, kind="quarterly", year=year, part=part, due=periods.default_due_dates(start, end), today=today
        )
    except errors.CycleError:  # nobody to appraise (a roster without templates or managers): no cycle
        return None
    rng = random.Random(seed * 7919 + year * 10 + part)
    actuals = record_demo_actuals(db, report.cycle_id, start, min(today, end), rng)
    move_along(db, report.cycle_id, rng)
    backdate(db, report.cycle_id, start, today, rng)
    stages = {
        r["stage"]: r["n"]
        for r in db.rows(
            "SELECT stage, count(*) AS n FROM appraisals WHERE cycle_id = ? GROUP BY stage", [report.cycle_id]
        )
    }
    return DemoCycle(
        report.cycle_id, report.name, report.appraisals, report.items, actuals, stages, time.perf_counter() - t0
    )


def record_demo_actuals(db: Database, cycle_id: str, start: dt.date, last: dt.date, rng: random.Random) -> int:
    """Record one synthetic actual per objective item of the cycle in one batch (audited), as a feed
    would, and rescore the cycle; returns how many were recorded."""
    items = db.frame(
        "SELECT a.employee_id, i.appraisal_id, i.kpi_id, i.method, i.direction, i.unit, i.target_value, i.floor"
        " FROM appraisal_items i JOIN appraisals a USING (appraisal_id) WHERE a.cycle_id = ?"
        " AND list_contains(?::VARCHAR[], i.method) ORDER BY i.appraisal_id, i.seq",
        [cycle_id, list(vocabulary.OBJECTIVE_METHODS)],
    )
    actuals = demo_actuals(items, start, last, rng)
    with db.transaction() as cur:
        insert_frame(cur, "kpi_actuals", actuals)
        audit.record(cur, ACTOR, "actual_record", "cycle", cycle_id, {"source": DEMO_SOURCE, "actuals": actuals.height})
    appraisal_scores.recompute(db, cycle_id=cycle_id)
    return actuals.height


def demo_actuals(items: pl.DataFrame, start: dt.date, last: dt.date, rng: random.Random) -> pl.DataFrame:
    """One synthetic actual per objective item: around its target with noise (each person a little
    better or worse throughout), dated on a day inside the quarter up to ``last``."""
    effect: dict[str, float] = {}
    days = max(0, (last - start).days)
    rows = []
    for r in items.iter_rows(named=True):
        person = effect.setdefault(r["employee_id"], rng.gauss(0, 0.35))
        method, target, floor = r["method"], r["target_value"], r["floor"]
        if method == "deduction":
            value = float(rng.choices((0, 0, 0, 1, 1, 2), k=1)[0] if person > -0.3 else rng.choice((1, 2, 3)))
        elif target is None:
            continue
        else:
            gap = abs((floor if floor is not None else target * 0.8) - target) or abs(target) * 0.2 or 1.0
            swing = (person + rng.gauss(-0.3, 0.45)) * gap
            value = target - swing if method == "lower_better" or r["direction"] == "lower" else target + swing
            if r["unit"] == "%" and method != "lower_better" and target <= 100:
                value = min(value, 100.0)
            value = round(max(0.0, value), 2)
        as_of = start + dt.timedelta(days=rng.randint(0, days))
        rows.append((r["employee_id"], r["kpi_id"], as_of, value))
    now = dt.datetime.now().replace(microsecond=0)
    return pl.DataFrame(
        rows, schema={"employee_id": pl.String, "kpi_id": pl.String, "as_of": pl.Date, "value": pl.Float64},
        orient="row",
    ).with_columns(
        source=pl.lit(DEMO_SOURCE), note=pl.lit("演示数据"), recorded_by=pl.lit(ACTOR), recorded_at=pl.lit(now)
    )  # fmt: skip


def planned_stages(rows: list[dict[str, Any]], logins: Mapping[str, str], rng: random.Random) -> dict[str, str]:
    """appraisal_id -> the stage to leave it in. The demo logins get work on 我的待办: the employee is
    still to propose goals, the team lead and the head are in the mid-term review, and each of the two
    managers has reports waiting for goal approval, a mid-term talk, a self-assessment and a rating."""
    stages, shares = zip(*DEMO_STAGE_SHARES, strict=True)
    plan = {r["appraisal_id"]: rng.choices(stages, weights=shares, k=1)[0] for r in rows}
    by_employee = {r["employee_id"]: r for r in rows}
    employee, lead, head = logins.get("employee"), logins.get("lead"), logins.get("head")
    for who, stage in ((employee, "goals"), (lead, "midterm"), (head, "midterm")):
        if who in by_employee:
            plan[by_employee[who]["appraisal_id"]] = stage
    fixed = {r["appraisal_id"] for r in rows if r["employee_id"] in (employee, lead, head)}
    for manager in (lead, head):
        if not manager:
            continue
        reports = [r for r in rows if r["manager_id"] == manager and r["appraisal_id"] not in fixed]
        for r, stage in zip(reports, ("manager_rating", "goals", "midterm", "self_assessment"), strict=False):
            plan[r["appraisal_id"]] = stage
            fixed.add(r["appraisal_id"])
    # HR has at least one department waiting for calibration, whatever the draw
    if "calibration" not in plan.values():
        free = [r["appraisal_id"] for r in rows if r["appraisal_id"] not in fixed]
        if free:
            plan[free[0]] = "calibration"
    return plan


@dataclass
class _Mover:
    """What moving one cycle's appraisals along needs: the database, the people's own demo logins, the
    demo logins' 工号 (left to do their own work), each appraisal's items and the random draws."""

    db: Database
    users: dict[str, auth.User]
    login_ids: set[str]
    items_of: dict[str, list[dict[str, Any]]]
    rng: random.Random

    def actor(self, employee_id: str, role: str) -> auth.User:
        return as_person(self.users, employee_id, role)

    def version(self, appraisal_id: str) -> int:
        return self.db.scalar("SELECT row_version FROM appraisals WHERE appraisal_id = ?", [appraisal_id])


def people_logins(db: Database) -> dict[str, auth.User]:
    """工号 -> the person's own (enabled) login, for the people who have one."""
    return {
        r["employee_id"]: auth.get_user(db, r["username"])
        for r in db.rows("SELECT username, employee_id FROM users WHERE employee_id IS NOT NULL AND NOT disabled")
    }


def as_person(users: dict[str, auth.User], employee_id: str, role: str) -> auth.User:
    """The person's own demo login when they have one, else a synthetic actor for them (their 工号)."""
    return users.get(employee_id) or auth.User(employee_id, frozenset({role}), employee_id)


def move_along(db: Database, cycle_id: str, rng: random.Random, *, to: str | None = None) -> None:
    """Move each appraisal of the cycle to its planned stage (:func:`planned_stages`), or every one of them
    to ``to``, through ``core.appraisal_edits``, acting as its employee and manager."""
    users = people_logins(db)
    logins = {
        r["username"]: r["employee_id"]
        for r in db.rows(
            "SELECT username, employee_id FROM users WHERE list_contains(['employee', 'lead', 'head'], username)"
        )
    }
    rows = db.rows(
        "SELECT appraisal_id, employee_id, manager_id FROM appraisals WHERE cycle_id = ? ORDER BY appraisal_id",
        [cycle_id],
    )
    plan = planned_stages(rows, logins, rng) if to is None else {r["appraisal_id"]: to for r in rows}
    items_of: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for it in db.frame(
        "SELECT appraisal_id, kpi_id, method, target_value, item_score FROM appraisal_items"
        " WHERE appraisal_id LIKE ? ORDER BY appraisal_id, seq",
        [cycle_id + ":%"],
    ).iter_rows(named=True):
        items_of[it["appraisal_id"]].append(it)
    # a past cycle (``to`` given) is everyone's finished work: the demo logins' own appraisals included
    mover = _Mover(db, users, set(logins.values()) if to is None else set(), items_of, rng)
    for r in rows:
        reach = vocabulary.STAGE_ORDER.index(plan[r["appraisal_id"]])
        if _set_goals_and_talk(mover, r, reach):
            _assess_and_rate(mover, r, reach)


def _set_goals_and_talk(m: _Mover, r: Mapping[str, Any], reach: int) -> bool:
    """目标制定 and 中期回顾 of one appraisal, as far as ``reach`` (an index of the stage order); True when
    it is to go on to the self-assessment."""
    aid, own_login = r["appraisal_id"], r["employee_id"] in m.login_ids
    employee, manager = m.actor(r["employee_id"], "employee"), m.actor(r["manager_id"], "manager")
    # some propose their own targets first (never the demo employee, who is left to do it)
    if not own_login and reach == 0 and m.rng.random() < 0.08:
        proposals = {
            it["kpi_id"]: {"proposed_target": round(it["target_value"] * m.rng.choice((1.05, 1.1, 0.95)), 2),
                           "goal_note": m.rng.choice(_GOAL_NOTES)}
            for it in m.items_of[aid] if it["method"] in ("linear",) and it["target_value"]
        }  # fmt: skip
        if proposals:
            appraisal_edits.save_goals(
                m.db, employee, aid, dict(itertools.islice(proposals.items(), 2)), version=m.version(aid)
            )
    if reach < 1:
        return False
    appraisal_edits.act(m.db, manager, aid, "approve_goals", version=m.version(aid))
    # progress notes (the demo lead and head are left to write their own)
    talks = reach > 1 or (not own_login and m.rng.random() < 0.1)
    if talks and not own_login:
        appraisal_edits.add_checkin(
            m.db, employee, aid, m.rng.choice(_EMPLOYEE_CHECKINS), progress=m.rng.choice((40, 50, 60, 70))
        )
    if reach > 1 or (own_login and reach == 1):
        appraisal_edits.add_checkin(m.db, manager, aid, m.rng.choice(_MANAGER_CHECKINS))
    if reach < 2:
        return False
    appraisal_edits.act(m.db, manager, aid, "finish_midterm", version=m.version(aid))
    return reach >= 3


def _assess_and_rate(m: _Mover, r: Mapping[str, Any], reach: int) -> None:
    """期末自评 and (``reach`` beyond it) 上级评定 of one appraisal."""
    aid, mine = r["appraisal_id"], m.items_of[r["appraisal_id"]]
    employee, manager = m.actor(r["employee_id"], "employee"), m.actor(r["manager_id"], "manager")
    own = {}
    for it in mine:
        base = it["item_score"] if it["item_score"] is not None else m.rng.gauss(88, 6)
        score = round(min(120.0, max(0.0, base + m.rng.gauss(3, 5))), 1)
        value = min(5, max(1, round(score / 20 - 1))) if it["method"] == "rubric" else score  # rubric: a level
        own[it["kpi_id"]] = {"self_input": value, "self_comment": m.rng.choice(COMMENTS["good"])}
    appraisal_edits.save_self(m.db, employee, aid, own, version=m.version(aid))
    appraisal_edits.act(m.db, employee, aid, "submit_self", version=m.version(aid))
    if reach < 4:
        return
    rating = {}
    for it in mine:
        if it["method"] == "rubric":
            rating[it["kpi_id"]] = {"manager_input": m.rng.choice((2, 3, 3, 4, 4, 5))}
        elif it["method"] == "pass_fail":
            rating[it["kpi_id"]] = {"manager_input": 1 if m.rng.random() < 0.9 else 0}
        elif it["method"] == "manual":
            rating[it["kpi_id"]] = {"manager_input": round(m.rng.gauss(85, 8), 1)}
    appraisal_edits.save_rating(m.db, manager, aid, rating, version=m.version(aid))
    appraisal_edits.act(m.db, manager, aid, "submit_rating", version=m.version(aid))


def backdate(db: Database, cycle_id: str, start: dt.date, today: dt.date, rng: random.Random) -> None:
    """Spread the demo cycle's history over the quarter so far, as if people had worked through it: the
    cycle opened on the quarter's second day, and each appraisal's steps fall around their stage's due
    date (some early, some late), in order and never after today. Only the demo does this; the audit
    trail keeps the real build time."""
    opened = dt.datetime.combine(start + dt.timedelta(days=1), dt.time(9, 0))
    now = max(opened, min(dt.datetime.now().replace(microsecond=0), dt.datetime.combine(today, dt.time(18, 0))))
    stamps, since = _event_times(db, cycle_id, opened, now, rng)
    frame = pl.DataFrame(
        stamps, schema={"appraisal_id": pl.String, "seq": pl.Int32, "ts": pl.Datetime("us")}, orient="row"
    )
    moved = pl.DataFrame(list(since.items()), schema={"appraisal_id": pl.String, "ts": pl.Datetime("us")}, orient="row")
    with db.transaction() as cur:
        cur.execute("UPDATE cycles SET opened_at = ? WHERE cycle_id = ?", [opened, cycle_id])
        cur.execute("UPDATE appraisals SET stage_since = ? WHERE cycle_id = ?", [opened, cycle_id])
        register_frame(cur, "demo_stamps", frame)
        register_frame(cur, "demo_since", moved)
        try:
            cur.execute(
                "UPDATE stage_events SET ts = d.ts FROM demo_stamps d"
                " WHERE stage_events.appraisal_id = d.appraisal_id AND stage_events.seq = d.seq"
            )
            cur.execute(
                "UPDATE appraisals SET stage_since = d.ts FROM demo_since d WHERE appraisals.appraisal_id = d.appraisal_id"
            )
            # a check-in happened when its stage event did (same appraisal, same author, in order)
            cur.execute(
                "UPDATE checkins SET ts = x.ts FROM ("
                " SELECT c.appraisal_id, c.seq, e.ts FROM"
                " (SELECT appraisal_id, seq, author, row_number() OVER (PARTITION BY appraisal_id, author ORDER BY seq) AS n"
                "  FROM checkins WHERE appraisal_id LIKE $1) c"
                " JOIN (SELECT appraisal_id, actor, ts, row_number() OVER (PARTITION BY appraisal_id, actor ORDER BY seq) AS n"
                "  FROM stage_events WHERE action = 'checkin' AND appraisal_id LIKE $1) e"
                " ON e.appraisal_id = c.appraisal_id AND e.actor = c.author AND e.n = c.n) x"
                " WHERE checkins.appraisal_id = x.appraisal_id AND checkins.seq = x.seq",
                [cycle_id + ":%"],
            )
        finally:
            unregister_frame(cur, "demo_stamps")
            unregister_frame(cur, "demo_since")


def _event_times(
    db: Database, cycle_id: str, opened: dt.datetime, now: dt.datetime, rng: random.Random
) -> tuple[list[tuple[str, int, dt.datetime]], dict[str, dt.datetime]]:
    """(appraisal, event seq, new time) of every stage event of the cycle, and when each appraisal
    reached its current stage: a finished stage around its due date, a step inside one a few days after
    the one before; in order, after the opening and never after ``now``."""
    info = cycles.cycle(db, cycle_id) or {}
    events = db.rows(
        "SELECT appraisal_id, seq, from_stage, to_stage FROM stage_events WHERE appraisal_id LIKE ? ORDER BY appraisal_id, seq",
        [cycle_id + ":%"],
    )
    stamps: list[tuple[str, int, dt.datetime]] = []
    since: dict[str, dt.datetime] = {}
    last: dict[str, dt.datetime] = {}
    for e in events:
        previous = last.get(e["appraisal_id"], opened)
        due = info.get(vocabulary.DUE_FIELDS.get(e["from_stage"], ""))
        if e["from_stage"] != e["to_stage"] and due:  # a stage finished around its due date
            wanted = dt.datetime.combine(due, dt.time(10, 0)) + dt.timedelta(
                days=rng.randint(-12, 4), hours=rng.randint(0, 7)
            )
        else:  # a step inside a stage: a few days after the one before
            wanted = previous + dt.timedelta(days=rng.randint(1, 6), hours=rng.randint(0, 7))
        ts = min(now, max(previous + dt.timedelta(minutes=5), wanted))
        stamps.append((e["appraisal_id"], e["seq"], ts))
        last[e["appraisal_id"]] = ts
        if e["from_stage"] != e["to_stage"]:
            since[e["appraisal_id"]] = ts
    return stamps, since
