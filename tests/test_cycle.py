"""core.cycle: opening cycles (scope, template version in force), the stage machine on real appraisals,
scoring from actuals and ratings, optimistic locking, calibration quotas and the override rule, tasks and
progress. Every test drives core with the fixture company's own logins."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from core import (
    appraisal,
    appraisal_edits,
    appraisal_scores,
    calibration,
    cycles,
    errors,
    periods,
    permissions,
    settings,
    tasks,
)
from core.auth import User, get_user
from core.db import Database, copy_database, open_database
from core.kpi import write_template_version
from core.permissions import Forbidden
from core.stages import STAGE_ORDER, StageError
from tests.cycles import install_templates, own_rating, template_items

WORKER = "00102"
Q4 = {"kind": "quarterly", "year": 2026, "part": 4}


@pytest.fixture
def db(company_db: Path) -> Iterator[Database]:
    with open_database(company_db) as database:
        install_templates(database)
        yield database


def users(db: Database) -> dict[str, User]:
    return {name: get_user(db, name) for name in ("hr", "head", "worker", "bp", "exec")}


def dept(db: Database, name: str) -> str:
    return db.scalar("SELECT dept_id FROM departments WHERE name = ?", [name])


def version(db: Database, appraisal_id: str) -> int:
    return db.scalar("SELECT row_version FROM appraisals WHERE appraisal_id = ?", [appraisal_id])


def stage(db: Database, appraisal_id: str) -> str:
    return db.scalar("SELECT stage FROM appraisals WHERE appraisal_id = ?", [appraisal_id])


def to_self_assessment(db: Database, u: dict[str, User], appraisal_id: str) -> None:
    appraisal_edits.act(db, u["head"], appraisal_id, "approve_goals", version=version(db, appraisal_id))
    appraisal_edits.add_checkin(db, _employee(db, appraisal_id), appraisal_id, "进展")
    appraisal_edits.add_checkin(db, u["head"], appraisal_id, "继续")
    appraisal_edits.act(db, u["head"], appraisal_id, "finish_midterm", version=version(db, appraisal_id))


def _employee(db: Database, appraisal_id: str) -> User:
    employee_id = db.scalar("SELECT employee_id FROM appraisals WHERE appraisal_id = ?", [appraisal_id])
    if employee_id == WORKER:
        return get_user(db, "worker")
    return User(f"u{employee_id}", frozenset({"employee"}), employee_id)


ACTUALS = {"T-OUT": 110.0, "T-DEF": 0.8, "T-PAY": 90.0, "T-SAFE": 1.0}
RATINGS = {"T-5S": {"manager_input": 1}, "T-TEAM": {"manager_input": 4}, "T-ATT": {"manager_input": 85}}


def to_calibration(
    db: Database, u: dict[str, User], appraisal_id: str, *, manual: float = 85, output: float = 110
) -> None:
    """Drive an appraisal to 校准; the defaults total about 100.6 (A); manual=10, output=80 give about 79.1 (B)."""
    to_self_assessment(db, u, appraisal_id)
    me = _employee(db, appraisal_id)
    items = db.rows("SELECT kpi_id FROM appraisal_items WHERE appraisal_id = ?", [appraisal_id])
    appraisal_edits.save_self(
        db, me, appraisal_id, own_rating([r["kpi_id"] for r in items], 90), version=version(db, appraisal_id)
    )
    appraisal_edits.act(db, me, appraisal_id, "submit_self", version=version(db, appraisal_id))
    for kpi_id, value in {**ACTUALS, "T-OUT": output}.items():
        appraisal_edits.record_actual(db, u["head"], me.employee_id, kpi_id, value, as_of=dt.date(2026, 11, 1))
    ratings = {**RATINGS, "T-ATT": {"manager_input": manual}}
    appraisal_edits.save_rating(db, u["head"], appraisal_id, ratings, version=version(db, appraisal_id))
    appraisal_edits.act(db, u["head"], appraisal_id, "submit_rating", version=version(db, appraisal_id))


# -- opening -----------------------------------------------------------------------------------------


def test_company_wide_cycle_gives_everyone_with_a_manager_and_template_an_appraisal(db: Database) -> None:
    u = users(db)
    report = cycles.open_cycle(db, u["hr"], **Q4, today=dt.date(2026, 10, 5))
    assert report.cycle_id == "C-2026-Q4" and report.name == "2026年第四季度考核"
    assert report.appraisals == 9 and report.items == 9 * 7
    assert {s["employee_id"] for s in report.skipped} == {"00101", "00201", "00301"}  # the heads: no manager
    assert all("没有直属上级" in s["reason"] for s in report.skipped)
    row = db.one("SELECT * FROM appraisals WHERE appraisal_id = ?", [f"C-2026-Q4:{WORKER}"])
    assert row["stage"] == "goals" and row["manager_id"] == "00101" and row["row_version"] == 0
    items = db.rows(
        "SELECT kpi_id, weight, target_value, floor, stretch, method FROM appraisal_items WHERE appraisal_id = ?"
        " ORDER BY seq",
        [f"C-2026-Q4:{WORKER}"],
    )
    assert sum(i["weight"] for i in items) == 100
    assert items[0] == {
        "kpi_id": "T-OUT",
        "weight": 30,
        "target_value": 100,
        "floor": 80,
        "stretch": 120,
        "method": "linear",
    }
    info = cycles.cycle(db, "C-2026-Q4")
    assert info["goals_due"] == dt.date(2026, 10, 15) and info["signoff_due"] == dt.date(2027, 1, 28)
    assert db.scalar("SELECT count(*) FROM audit_log WHERE action = 'cycle_open' AND actor = 'hr'") == 1


def test_a_pilot_for_two_departments_touches_no_one_else(db: Database) -> None:
    u = users(db)
    before = db.scalar("SELECT count(*) FROM appraisals")
    pilot = [dept(db, "生产部"), dept(db, "质检部")]
    report = cycles.open_cycle(db, u["hr"], **Q4, dept_ids=pilot)
    new = db.rows("SELECT employee_id, dept_id FROM appraisals WHERE cycle_id = ?", [report.cycle_id])
    assert {r["dept_id"] for r in new} == set(pilot)
    assert {r["employee_id"] for r in new} == {"00102", "00103", "00104", "00202", "00203", "00204"}
    assert db.scalar("SELECT count(*) FROM appraisals") == before + 6
    assert not db.rows("SELECT 1 FROM appraisals WHERE cycle_id = ? AND employee_id LIKE '003%'", [report.cycle_id])
    assert sorted(r["dept_id"] for r in db.rows("SELECT dept_id FROM cycle_departments")) == sorted(pilot)
    assert cycles.cycles(db, u["hr"]).row(0, named=True)["scope"] == "pilot"
    # a second cycle of the same period leaves the pilot's people out, with the reason
    second = cycles.open_cycle(db, u["hr"], **Q4)
    assert second.cycle_id == "C-2026-Q4-2" and second.appraisals == 3
    assert sum("已在同期的考核周期" in s["reason"] for s in second.skipped) == 6


def test_items_come_from_the_template_version_in_force_at_opening(db: Database) -> None:
    u = users(db)
    position = db.scalar("SELECT position_id FROM employees WHERE employee_id = ?", [WORKER])
    with db.transaction() as cur:  # approved for next year: not in force for 2026-Q4
        write_template_version(
            cur, position, dt.date(2027, 1, 1), template_items(**{"T-OUT": (30, 150, 120, 180)}), "t"
        )
    report = cycles.open_cycle(db, u["hr"], **Q4, today=dt.date(2026, 11, 27))
    appraisal_id = f"{report.cycle_id}:{WORKER}"
    target = "SELECT target_value FROM appraisal_items WHERE appraisal_id = ? AND kpi_id = 'T-OUT'"
    assert db.scalar(target, [appraisal_id]) == 100
    assert db.scalar("SELECT template_version FROM appraisals WHERE appraisal_id = ?", [appraisal_id]) == 1
    # a change made after opening never rewrites the open cycle
    with db.transaction() as cur:
        write_template_version(cur, position, dt.date(2026, 10, 1), template_items(**{"T-OUT": (30, 90, 70, 110)}), "t")
    appraisal_scores.recompute(db, cycle_id=report.cycle_id)
    assert db.scalar(target, [appraisal_id]) == 100
    # a cycle opened ahead of its period takes the version in force on its first day
    ahead = cycles.open_cycle(db, u["hr"], kind="quarterly", year=2027, part=1, today=dt.date(2026, 11, 27))
    assert ahead.template_date == dt.date(2027, 1, 1)
    assert db.scalar(target, [f"{ahead.cycle_id}:{WORKER}"]) == 150


def test_opening_is_for_hr_and_checks_its_input(db: Database) -> None:
    u = users(db)
    with pytest.raises(Forbidden):
        cycles.open_cycle(db, u["head"], **Q4)
    bad = periods.default_due_dates(dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    bad["midterm"] = dt.date(2026, 10, 2)  # before the goals' due date
    with pytest.raises(errors.CoreError, match=r"中期回顾.*早于上一阶段「目标制定」"):
        cycles.open_cycle(db, u["hr"], **Q4, due=bad)
    with pytest.raises(errors.CoreError, match="试点部门不存在"):
        cycles.open_cycle(db, u["hr"], **Q4, dept_ids=["D-nope"])
    with pytest.raises(errors.CoreError, match="请选择季度"):
        cycles.open_cycle(db, u["hr"], kind="quarterly", year=2026)
    with pytest.raises(errors.CoreError, match="之和应为 100"):
        cycles.open_cycle(db, u["hr"], kind="annual", year=2026, annual_weights={"quarters": {"Q1": 50}, "review": 10})
    assert db.scalar("SELECT count(*) FROM cycles WHERE origin = 'app'") == 0  # nothing half-written


def test_period_keys_and_bounds() -> None:
    assert periods.period_of("quarterly", 2026, 4)[:3] == ("2026-Q4", dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    assert periods.period_of("quarterly", 2024, 1)[:3] == ("2024-Q1", dt.date(2024, 1, 1), dt.date(2024, 3, 31))
    assert periods.period_of("half_year", 2026, 1)[:3] == ("2026-H1", dt.date(2026, 1, 1), dt.date(2026, 6, 30))
    assert periods.period_of("annual", 2026)[:3] == ("2026", dt.date(2026, 1, 1), dt.date(2026, 12, 31))


# -- scoring ------------------------------------------------------------------------------------------


def test_scores_are_computed_from_actuals_and_ratings_and_recompute_on_change(db: Database) -> None:
    u = users(db)
    report = cycles.open_cycle(db, u["hr"], **Q4)
    a = f"{report.cycle_id}:{WORKER}"
    to_calibration(db, u, a)
    items = {r["kpi_id"]: r for r in db.rows("SELECT * FROM appraisal_items WHERE appraisal_id = ?", [a])}
    # hand-worked: linear 110 on floor 80 / target 100 / stretch 120 → 100 + 10/20 × 20 = 110
    assert items["T-OUT"]["item_score"] == pytest.approx(110.0)
    # lower-better 0.8 between target 1.0 and stretch 0.5 → 100 + 0.2/0.5 × 20 = 108
    assert items["T-DEF"]["item_score"] == pytest.approx(108.0)
    assert items["T-PAY"]["item_score"] == pytest.approx(90 / 95 * 100)  # ratio
    assert items["T-SAFE"]["item_score"] == pytest.approx(90.0)  # deduction: 100 − 1 × 10
    assert items["T-5S"]["item_score"] == 100.0 and items["T-5S"]["manager_score"] == 100.0  # pass
    assert items["T-TEAM"]["item_score"] == 100.0  # rubric level 4
    assert items["T-ATT"]["item_score"] == 85.0  # manual
    assert items["T-OUT"]["actual_source"] == "manual" and items["T-OUT"]["actual_as_of"] == dt.date(2026, 11, 1)
    total = (30 * 110 + 20 * 108 + 10 * 90 / 95 * 100 + 10 * 90 + 10 * 100 + 10 * 100 + 10 * 85) / 100
    row = db.one("SELECT final_score, self_score, grade FROM appraisals WHERE appraisal_id = ?", [a])
    assert row["final_score"] == pytest.approx(total) and row["grade"] == "A"
    # kept beside the total, not counted: 90 on every item, the rubric self-rated at level 4 (100 points)
    assert row["self_score"] == pytest.approx((90 * 90 + 10 * 100) / 100)


def test_a_new_actual_rescores_an_open_appraisal_and_the_grade_follows(db: Database) -> None:
    u = users(db)
    report = cycles.open_cycle(db, u["hr"], **Q4)
    a = f"{report.cycle_id}:{WORKER}"
    to_self_assessment(db, u, a)
    appraisal_edits.record_actual(db, u["head"], WORKER, "T-OUT", 80, as_of=dt.date(2026, 10, 20))
    assert db.scalar("SELECT item_score FROM appraisal_items WHERE appraisal_id = ? AND kpi_id = 'T-OUT'", [a]) == 60
    appraisal_edits.record_actual(db, u["hr"], WORKER, "T-OUT", 100, as_of=dt.date(2026, 11, 20), source="finance")
    row = db.one(
        "SELECT item_score, actual_source FROM appraisal_items WHERE appraisal_id = ? AND kpi_id = 'T-OUT'", [a]
    )
    assert row == {"item_score": 100.0, "actual_source": "finance"}  # the latest value in the period wins
    appraisal_edits.record_actual(db, u["hr"], WORKER, "T-OUT", 5, as_of=dt.date(2027, 1, 3))  # outside the quarter
    assert db.scalar("SELECT actual_value FROM appraisal_items WHERE appraisal_id = ? AND kpi_id = 'T-OUT'", [a]) == 100
    progress = appraisal.progress(db, u["worker"], a)
    out = progress.filter(progress["kpi"] == "产量达成").row(0, named=True)
    assert out["actual"] == 100 and out["share_attained"] == pytest.approx(1.0) and "底线得60分" in out["formula"]
    with pytest.raises(Forbidden):  # another team's manager may not record this person's actuals
        appraisal_edits.record_actual(db, User("x", frozenset({"manager"}), "00201"), WORKER, "T-OUT", 1)


def test_annual_result_mixes_the_quarters_by_hr_weights_with_its_own_review(db: Database) -> None:
    u = users(db)
    quarters = {
        r["period"]: r["final_score"]
        for r in db.rows(
            "SELECT c.period, a.final_score FROM appraisals a JOIN cycles c USING (cycle_id)"
            " WHERE a.employee_id = ? AND c.kind = 'quarterly' AND c.period LIKE '2023-%'",
            [WORKER],
        )
    }
    assert len(quarters) == 4  # the fixture company's legacy 2023 history
    weights = {"quarters": {"Q1": 15, "Q2": 15, "Q3": 15, "Q4": 15}, "review": 40}
    report = cycles.open_cycle(db, u["hr"], kind="annual", year=2023, annual_weights=weights, today=dt.date(2026, 1, 2))
    a = f"{report.cycle_id}:{WORKER}"
    to_self_assessment(db, u, a)
    me = _employee(db, a)
    items = [r["kpi_id"] for r in db.rows("SELECT kpi_id FROM appraisal_items WHERE appraisal_id = ?", [a])]
    appraisal_edits.save_self(db, me, a, own_rating(items, 80), version=version(db, a))
    appraisal_edits.act(db, me, a, "submit_self", version=version(db, a))
    for kpi_id in ("T-OUT", "T-DEF", "T-PAY", "T-SAFE"):  # every objective item exactly on target → 100 …
        appraisal_edits.record_actual(db, u["head"], WORKER, kpi_id, {"T-OUT": 100, "T-DEF": 1.0, "T-PAY": 95, "T-SAFE": 0}[kpi_id],
                            as_of=dt.date(2023, 12, 31))  # fmt: skip
    appraisal_edits.save_rating(
        db, u["head"], a,
        {"T-5S": {"manager_input": 1}, "T-TEAM": {"manager_input": 4}, "T-ATT": {"manager_input": 100}},
        version=version(db, a),
    )  # fmt: skip
    row = db.one("SELECT review_score, final_score, grade, score_basis FROM appraisals WHERE appraisal_id = ?", [a])
    assert row["review_score"] == pytest.approx(100.0)
    expected = (15 * sum(quarters.values()) + 40 * 100) / 100
    assert row["final_score"] == pytest.approx(expected)
    assert row["grade"] == ("A" if expected >= 90 else "B" if expected >= 70 else "C")
    basis = json.loads(row["score_basis"])
    assert [p["part"] for p in basis["parts"]] == ["Q1", "Q2", "Q3", "Q4", "年度评议"] and basis["missing"] == []


# -- the stage machine on appraisals -------------------------------------------------------------------


def test_the_full_path_records_each_transition_with_actor_and_time(db: Database) -> None:
    u = users(db)
    report = cycles.open_cycle(db, u["hr"], **Q4)
    a = f"{report.cycle_id}:{WORKER}"
    v = appraisal_edits.save_goals(
        db, u["worker"], a, {"T-OUT": {"proposed_target": 110, "goal_note": "争取"}}, version=0
    )
    v = appraisal_edits.save_goals(db, u["head"], a, {"T-OUT": {"target_value": 105}}, version=v)
    item = db.one(
        "SELECT proposed_target, goal_note, target_value FROM appraisal_items WHERE appraisal_id = ? AND kpi_id = 'T-OUT'",
        [a],
    )
    assert item == {"proposed_target": 110, "goal_note": "争取", "target_value": 105}
    to_calibration(db, u, a)
    events = db.rows(
        "SELECT actor, role, action, from_stage, to_stage, ts FROM stage_events WHERE appraisal_id = ? ORDER BY seq",
        [a],
    )
    moves = [(e["actor"], e["action"], e["to_stage"]) for e in events if e["from_stage"] != e["to_stage"]]
    assert moves == [
        ("head", "approve_goals", "midterm"),
        ("head", "finish_midterm", "self_assessment"),
        ("worker", "submit_self", "manager_rating"),
        ("head", "submit_rating", "calibration"),
    ]
    assert all(isinstance(e["ts"], dt.datetime) for e in events)
    audited = [r["action"] for r in db.rows("SELECT action FROM audit_log WHERE entity_id = ? ORDER BY seq", [a])]
    assert {"stage_propose_goals", "stage_adjust_goals", "stage_approve_goals", "stage_checkin",
            "stage_finish_midterm", "stage_submit_self", "stage_submit_rating"} <= set(audited)  # fmt: skip


def test_illegal_moves_are_refused_with_a_reason_and_change_nothing(db: Database) -> None:
    u = users(db)
    report = cycles.open_cycle(db, u["hr"], **Q4)
    a = f"{report.cycle_id}:{WORKER}"
    with pytest.raises(StageError, match="只能由直属主管操作"):
        appraisal_edits.act(db, u["worker"], a, "approve_goals", version=0)  # the employee approving their own goals
    with pytest.raises(StageError, match="不允许"):
        appraisal_edits.act(db, u["head"], a, "submit_rating", version=0)  # skipping three stages
    with pytest.raises(Forbidden):
        appraisal_edits.act(
            db, User("x", frozenset({"manager"}), "00201"), a, "approve_goals", version=0
        )  # not their report
    with pytest.raises(Forbidden):
        appraisal.appraisal(db, User("x", frozenset({"manager"}), "00201"), a)
    assert stage(db, a) == "goals" and version(db, a) == 0
    assert db.scalar("SELECT count(*) FROM stage_events WHERE appraisal_id = ?", [a]) == 0
    appraisal_edits.act(db, u["head"], a, "approve_goals", version=0)
    with pytest.raises(StageError, match="退回必须填写意见"):
        appraisal_edits.act(db, u["head"], a, "return", version=1, comment="  ")
    with pytest.raises(errors.CoreError, match="员工、直属上级还没有沟通记录"):
        appraisal_edits.act(db, u["head"], a, "finish_midterm", version=1)
    assert appraisal_edits.act(db, u["head"], a, "return", version=1, comment="目标偏低，请重新提出") == "goals"
    assert (
        db.scalar("SELECT comment FROM stage_events WHERE appraisal_id = ? AND action = 'return'", [a])
        == "目标偏低，请重新提出"
    )


def test_submitting_needs_every_item_scored(db: Database) -> None:
    u = users(db)
    report = cycles.open_cycle(db, u["hr"], **Q4)
    a = f"{report.cycle_id}:{WORKER}"
    to_self_assessment(db, u, a)
    appraisal_edits.save_self(
        db, u["worker"], a, {"T-OUT": {"self_input": 95, "self_comment": "超额"}}, version=version(db, a)
    )
    with pytest.raises(errors.CoreError, match="还有 6 项没有自评"):
        appraisal_edits.act(db, u["worker"], a, "submit_self", version=version(db, a))
    with pytest.raises(errors.CoreError, match="自评分应在 0–120 之间"):
        appraisal_edits.save_self(db, u["worker"], a, {"T-DEF": {"self_input": 130}}, version=version(db, a))
    with pytest.raises(errors.CoreError, match="「团队协作」的自评等级应为 1–5 级"):  # the manager's scale
        appraisal_edits.save_self(db, u["worker"], a, {"T-TEAM": {"self_input": 90}}, version=version(db, a))
    items = [r["kpi_id"] for r in db.rows("SELECT kpi_id FROM appraisal_items WHERE appraisal_id = ?", [a])]
    appraisal_edits.save_self(db, u["worker"], a, own_rating(items, 90), version=version(db, a))
    appraisal_edits.act(db, u["worker"], a, "submit_self", version=version(db, a))
    appraisal_edits.save_rating(db, u["head"], a, {"T-TEAM": {"manager_input": 5}}, version=version(db, a))
    with pytest.raises(errors.CoreError, match="还有 6 项没有得分"):
        appraisal_edits.act(db, u["head"], a, "submit_rating", version=version(db, a))
    with pytest.raises(errors.CoreError, match="应为 1–5 级"):
        appraisal_edits.save_rating(db, u["head"], a, {"T-TEAM": {"manager_input": 7}}, version=version(db, a))
    with pytest.raises(Forbidden):
        appraisal_edits.save_rating(db, u["worker"], a, {"T-TEAM": {"manager_input": 5}}, version=version(db, a))
    assert stage(db, a) == "manager_rating"


def test_the_second_of_two_concurrent_saves_is_refused_and_nothing_is_lost(db: Database) -> None:
    u = users(db)
    report = cycles.open_cycle(db, u["hr"], **Q4)
    a = f"{report.cycle_id}:{WORKER}"
    to_self_assessment(db, u, a)
    appraisal_edits.save_self(db, u["worker"], a, {"T-OUT": {"self_input": 90}}, version=version(db, a))
    items = [r["kpi_id"] for r in db.rows("SELECT kpi_id FROM appraisal_items WHERE appraisal_id = ?", [a])]
    appraisal_edits.save_self(db, u["worker"], a, own_rating(items, 90), version=version(db, a))
    appraisal_edits.act(db, u["worker"], a, "submit_self", version=version(db, a))
    seen = version(db, a)  # two people open the rating form on the same version
    appraisal_edits.save_rating(
        db, u["head"], a, {"T-ATT": {"manager_input": 88, "manager_comment": "先保存"}}, version=seen
    )
    hr_as_manager = User("head", frozenset({"manager"}), "00101")  # the same manager in a second browser
    with pytest.raises(errors.Conflict, match=r"已被 head 于 .* 修改.*你的输入仍保留在表单中"):
        appraisal_edits.save_rating(
            db, hr_as_manager, a, {"T-ATT": {"manager_input": 60, "manager_comment": "后保存"}}, version=seen
        )
    row = db.one(
        "SELECT manager_input, manager_comment FROM appraisal_items WHERE appraisal_id = ? AND kpi_id = 'T-ATT'", [a]
    )
    assert row == {"manager_input": 88, "manager_comment": "先保存"}
    assert version(db, a) == seen + 1
    with pytest.raises(errors.Conflict):  # a stage move on a stale version is refused too
        appraisal_edits.act(db, u["head"], a, "submit_rating", version=seen)
    assert stage(db, a) == "manager_rating"


class AppraisalMachine(RuleBasedStateMachine):
    """Any sequence of actions by any party on one appraisal: nothing skips a stage, only a return goes
    back (exactly one stage), a refused action changes nothing, and the row version counts the writes."""

    database: Database
    years = itertools.count(2030)

    @initialize()
    def open(self) -> None:
        self.db = type(self).database
        self.u = users(self.db)
        self.outsider = User("x", frozenset({"manager"}), "00201")
        report = cycles.open_cycle(
            self.db, self.u["hr"], kind="quarterly", year=next(self.years), part=1, dept_ids=[dept(self.db, "生产部")]
        )
        self.a = f"{report.cycle_id}:{WORKER}"
        self.stage = "goals"
        self.version = 0
        self.events = 0

    def _try(self, call, *, writes: bool = True) -> None:
        before = (stage(self.db, self.a), version(self.db, self.a))
        try:
            result = call()
        except (errors.CycleError, StageError, Forbidden):
            assert (stage(self.db, self.a), version(self.db, self.a)) == before  # refused: nothing written
            return
        new_stage = stage(self.db, self.a)
        old, new = STAGE_ORDER.index(self.stage), STAGE_ORDER.index(new_stage)
        assert new - old in (0, 1, -1)
        self.stage = new_stage
        if writes:
            self.version += 1
        return result

    @rule(who=st.sampled_from(["worker", "head", "hr", "outsider"]),
          action=st.sampled_from(["approve_goals", "finish_midterm", "submit_self", "submit_rating", "return", "propose_goals"]),
          comment=st.sampled_from([None, "", "请补充"]))  # fmt: skip
    def act(self, who: str, action: str, comment: str | None) -> None:
        user = self.outsider if who == "outsider" else self.u[who]
        before = self.stage
        self._try(lambda: appraisal_edits.act(self.db, user, self.a, action, version=self.version, comment=comment))
        if self.stage != before and STAGE_ORDER.index(self.stage) < STAGE_ORDER.index(before):
            assert action == "return" and (comment or "").strip()

    @rule(who=st.sampled_from(["worker", "head", "outsider"]))
    def checkin(self, who: str) -> None:
        user = self.outsider if who == "outsider" else self.u[who]
        self._try(lambda: appraisal_edits.add_checkin(self.db, user, self.a, "进度"))

    @rule(score=st.one_of(st.none(), st.floats(0, 120)))
    def self_score_all(self, score: float | None) -> None:
        items = [
            r["kpi_id"] for r in self.db.rows("SELECT kpi_id FROM appraisal_items WHERE appraisal_id = ?", [self.a])
        ]
        self._try(
            lambda: appraisal_edits.save_self(
                self.db, self.u["worker"], self.a, own_rating(items, score), version=self.version
            )
        )

    @rule()
    def rate_all(self) -> None:
        for kpi_id, value in ACTUALS.items():
            appraisal_edits.record_actual(self.db, self.u["head"], WORKER, kpi_id, value, as_of=self.db.scalar(
                "SELECT period_start FROM cycles c JOIN appraisals a USING (cycle_id) WHERE a.appraisal_id = ?", [self.a]))  # fmt: skip
        self.version = version(self.db, self.a)  # recording an actual rescoring is not a save of this form
        self._try(lambda: appraisal_edits.save_rating(self.db, self.u["head"], self.a, RATINGS, version=self.version))

    @rule()
    def stale_save(self) -> None:
        if self.version == 0:
            return
        with pytest.raises((errors.Conflict, errors.CycleError, StageError, Forbidden)):
            appraisal_edits.save_self(self.db, self.u["worker"], self.a, {}, version=self.version - 1)

    @invariant()
    def matches_the_database(self) -> None:
        if hasattr(self, "a"):
            assert stage(self.db, self.a) == self.stage
            assert version(self.db, self.a) == self.version
            assert self.stage in STAGE_ORDER[: STAGE_ORDER.index("calibration") + 1]  # HR alone moves on from there
            moves = self.db.rows(
                "SELECT from_stage, to_stage, action FROM stage_events WHERE appraisal_id = ? AND from_stage <> to_stage",
                [self.a],
            )
            for m in moves:
                step = STAGE_ORDER.index(m["to_stage"]) - STAGE_ORDER.index(m["from_stage"])
                assert step == 1 or (step == -1 and m["action"] == "return")


@pytest.fixture
def machine_db(tmp_path: Path, access_company: Path) -> Iterator[Database]:
    path = tmp_path / "machine.duckdb"
    copy_database(access_company, path)
    with open_database(path) as database:
        install_templates(database)
        yield database


def test_no_sequence_of_actions_skips_a_stage_or_corrupts_an_appraisal(machine_db: Database) -> None:
    AppraisalMachine.database = machine_db
    AppraisalMachine.years = itertools.count(2030)
    runner = AppraisalMachine.TestCase
    runner.settings = hypothesis_settings(max_examples=25, stateful_step_count=25, deadline=None,
                               suppress_health_check=list(HealthCheck))  # fmt: skip
    runner().runTest()


# -- calibration -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "expected"),
    [(1, (0, 1, 0)), (3, (1, 2, 0)), (7, (1, 5, 1)), (10, (2, 7, 1)), (5, (1, 4, 0)), (0, (0, 0, 0))],
)
def test_quotas_are_rounded_by_largest_remainder(n: int, expected: tuple[int, int, int]) -> None:
    q = calibration.quotas(n)
    assert (q["A_max"], q["B"], q["C_min"]) == expected
    assert sum(expected) == n


def test_largest_remainder_always_hands_out_every_seat() -> None:
    for total in range(0, 40):
        for shares in ([20, 70, 10], [33, 33, 34], [1, 1, 1], [0, 100, 0], [25, 50, 25]):
            seats = calibration.largest_remainder(total, shares)
            assert sum(seats) == total
            assert all(abs(s - total * w / sum(shares)) < 1 for s, w in zip(seats, shares, strict=True))


def test_a_hr_guideline_changes_the_quotas(db: Database) -> None:
    u = users(db)
    with pytest.raises(Forbidden):
        settings.set_guideline(db, u["head"], 30, 10)
    with pytest.raises(errors.CoreError, match="之和不超过 100"):
        settings.set_guideline(db, u["hr"], 80, 30)
    settings.set_guideline(db, u["hr"], 30, 0)
    assert calibration.quotas(7, settings.guideline(db)) == {"A_max": 2, "B": 5, "C_min": 0}


def test_calibration_keeps_the_pre_grade_needs_a_note_and_an_override_reason(db: Database) -> None:
    u = users(db)
    report = cycles.open_cycle(db, u["hr"], **Q4, dept_ids=[dept(db, "生产部")])
    ids = [f"{report.cycle_id}:{e}" for e in ("00102", "00103", "00104")]
    for a, (manual, output) in zip(ids, ((85, 110), (10, 80), (10, 80)), strict=True):
        to_calibration(db, u, a, manual=manual, output=output)
    grades = {a: db.scalar("SELECT grade FROM appraisals WHERE appraisal_id = ?", [a]) for a in ids}
    assert grades[ids[0]] == "A" and set(grades.values()) == {"A", "B"}
    frame = calibration.distribution(db, u["hr"], report.cycle_id)
    row = frame.row(0, named=True)
    assert (row["rated"], row["quota_top"], row["quota_bottom"]) == (3, 1, 0)
    # three rated: A ≤ 1 and C ≥ 0 → inside the guideline; make it break: a second A
    with pytest.raises(errors.CoreError, match="校准说明"):
        calibration.calibrate(db, u["hr"], ids[1], "A", " ", version=version(db, ids[1]))
    with pytest.raises(Forbidden):
        calibration.calibrate(db, u["head"], ids[1], "A", "拔高", version=version(db, ids[1]))
    calibration.calibrate(db, u["hr"], ids[1], "A", "年底攻坚表现突出", version=version(db, ids[1]))
    row = db.one("SELECT grade, calibrated_grade, calibration_note FROM appraisals WHERE appraisal_id = ?", [ids[1]])
    assert row == {"grade": "B", "calibrated_grade": "A", "calibration_note": "年底攻坚表现突出"}
    shown = appraisal.team(db, u["hr"], cycle_id=report.cycle_id).filter(appraisal_id=ids[1]).row(0, named=True)
    assert (shown["grade"], shown["effective_grade"]) == ("B", "A")  # as rated, and as it stands
    assert appraisal.appraisal(db, u["hr"], ids[1])["effective_grade"] == "A"
    assert (
        calibration.distribution(db, u["hr"], report.cycle_id).row(0, named=True)["breaches"]
        == "A 等 2 人，超过上限 1 人"
    )
    production = dept(db, "生产部")
    with pytest.raises(errors.CoreError, match=r"A 等 2 人，超过上限 1 人.*例外理由"):
        calibration.finalise_department(db, u["hr"], report.cycle_id, production)
    with pytest.raises(errors.CoreError):
        calibration.finalise_department(db, u["hr"], report.cycle_id, production, override_reason="   ")
    assert {stage(db, a) for a in ids} == {"calibration"}  # refused: nothing moved
    moved = calibration.finalise_department(
        db, u["hr"], report.cycle_id, production, override_reason="项目年，经总经理批准"
    )
    assert moved == 3 and {stage(db, a) for a in ids} == {"signoff"}
    final = db.one("SELECT breaks, override_reason, actor FROM calibration_finals")
    assert final == {"breaks": "A 等 2 人，超过上限 1 人", "override_reason": "项目年，经总经理批准", "actor": "hr"}
    assert db.scalar("SELECT count(*) FROM calibration_changes WHERE appraisal_id = ?", [ids[1]]) == 1


def test_a_department_inside_the_guideline_finalises_without_a_reason(db: Database) -> None:
    u = users(db)
    report = cycles.open_cycle(db, u["hr"], **Q4, dept_ids=[dept(db, "生产部")])
    ids = [f"{report.cycle_id}:{e}" for e in ("00102", "00103", "00104")]
    for a in ids:
        to_calibration(db, u, a, manual=10, output=80)  # everyone B
    assert calibration.finalise_department(db, u["hr"], report.cycle_id, dept(db, "生产部")) == 3
    assert db.scalar("SELECT override_reason FROM calibration_finals") is None


# -- tasks and progress --------------------------------------------------------------------------------


def test_tasks_show_what_waits_for_whom_with_due_dates_and_overdue_marks(db: Database) -> None:
    u = users(db)
    report = cycles.open_cycle(db, u["hr"], **Q4, dept_ids=[dept(db, "生产部")])
    a = f"{report.cycle_id}:{WORKER}"
    today = dt.date(2026, 10, 20)  # after the goals' due date (10-15)
    mine = tasks.my_tasks(db, u["worker"], today=today)
    assert mine.select("task", "task_code", "due", "overdue", "screen").rows() == [
        ("提出目标", "goals.employee", dt.date(2026, 10, 15), True, "goals")
    ]
    assert mine.row(0, named=True)["days_left"] == -5
    assert sorted(tasks.my_tasks(db, u["head"], today=today).get_column("task").to_list()) == ["审批目标"] * 3
    appraisal_edits.save_goals(db, u["worker"], a, {"T-OUT": {"proposed_target": 120}}, version=0)
    assert tasks.my_tasks(db, u["worker"], today=today).is_empty()  # proposed: the manager's turn
    to_calibration(db, u, a)
    hr_tasks = tasks.my_tasks(db, u["hr"], today=today)
    assert hr_tasks.select("task", "task_code", "people", "screen").rows() == [
        ("校准（1 人）", "calibration", 1, "calibration")
    ]


def test_cycle_progress_counts_done_on_time_late_and_the_lead_time(db: Database) -> None:
    u = users(db)
    report = cycles.open_cycle(db, u["hr"], **Q4, dept_ids=[dept(db, "生产部")])
    a = f"{report.cycle_id}:{WORKER}"
    to_self_assessment(db, u, a)  # done today (2026-11-27+): goals late (due 10-15), midterm late (due 11-15)
    progress = cycles.cycle_progress(db, u["exec"], report.cycle_id, today=dt.date(2026, 12, 1))
    stages = {r["stage"]: r for r in progress["stages"].iter_rows(named=True)}
    assert stages["goals"]["reached"] == 3 and stages["goals"]["done"] == 1 and stages["goals"]["in_stage"] == 2
    assert stages["goals"]["overdue"] == 2 and stages["goals"]["late"] + stages["goals"]["on_time"] == 1
    assert stages["self_assessment"]["in_stage"] == 1 and stages["self_assessment"]["overdue"] == 0
    assert progress["appraisals"] == 3 and not progress["complete"] and progress["lead_days"] >= 0
    with pytest.raises(Forbidden):
        cycles.cycle_progress(db, u["worker"], report.cycle_id)


def test_an_hrbp_follows_the_cycles_and_teams_of_their_departments_only(db: Database) -> None:
    u = users(db)  # the fixture HRBP follows 质检部
    production = cycles.open_cycle(db, u["hr"], **Q4, dept_ids=[dept(db, "生产部")])
    company = cycles.open_cycle(db, u["hr"], kind="half_year", year=2027, part=1)
    assert cycles.cycles(db, u["bp"])["cycle_id"].to_list() == [company.cycle_id]  # the pilot touches none of theirs
    progress = cycles.cycle_progress(db, u["bp"], company.cycle_id)
    assert progress["appraisals"] == 3  # 质检部's three appraisees (its head reports to no one in the file)
    assert cycles.cycle_progress(db, u["hr"], company.cycle_id)["appraisals"] == company.appraisals
    empty = cycles.cycle_progress(db, u["bp"], production.cycle_id)
    assert empty["appraisals"] == 0  # a cycle outside their departments shows nobody
    team = appraisal.team(db, u["bp"])
    assert set(team["department"]) == {"质检部"} and team.height == 3
    assert all(permissions.roles_on(u["bp"], r) == [] for r in team.iter_rows(named=True))  # read-only


def test_an_app_appraisal_reads_like_history_in_my_record(db: Database) -> None:
    from core import appraisal as appraisals

    u = users(db)
    report = cycles.open_cycle(db, u["hr"], **Q4)
    a = f"{report.cycle_id}:{WORKER}"
    appraisal_edits.record_actual(db, u["head"], WORKER, "T-OUT", 96.5, as_of=dt.date(2026, 10, 30))
    history = appraisals.history_of(db, u["worker"], WORKER)
    assert history.filter(history["appraisal_id"] == a).row(0, named=True)["stage"] == "goals"
    items = appraisals.items_of(db, u["worker"], a)
    first = items.row(0, named=True)
    assert (first["kpi"], first["category"], first["target"], first["actual"]) == (
        "产量达成",
        "业绩类",
        "100.0",
        "96.5",
    )


def test_a_new_grade_scale_regrades_open_appraisals_up_to_calibration(db: Database) -> None:
    u = users(db)
    report = cycles.open_cycle(db, u["hr"], **Q4, dept_ids=[dept(db, "生产部")])
    a = f"{report.cycle_id}:{WORKER}"
    to_calibration(db, u, a, manual=10, output=80)  # about 79.1: B on the default scale
    assert db.scalar("SELECT grade FROM appraisals WHERE appraisal_id = ?", [a]) == "B"
    with pytest.raises(errors.CoreError, match="从高到低"):
        settings.set_grade_scale(db, u["hr"], [("A", 70), ("B", 80), ("C", 0)])
    settings.set_grade_scale(db, u["hr"], [("S", 95), ("A", 75), ("B", 60), ("C", 0)])
    assert db.scalar("SELECT grade FROM appraisals WHERE appraisal_id = ?", [a]) == "A"
    assert settings.grade_scale(db)[0] == ("S", 95.0)
    detail = json.loads(db.scalar("SELECT detail FROM audit_log WHERE action = 'grade_scale_update'"))
    assert detail["regraded"] == 1


def test_preview_scores_unsaved_input_the_way_a_save_would_and_writes_nothing(db: Database) -> None:
    u = users(db)
    report = cycles.open_cycle(db, u["hr"], **Q4)
    a = f"{report.cycle_id}:{WORKER}"
    to_self_assessment(db, u, a)
    items = appraisal.appraisal(db, u["head"], a)["items"]
    edits = {**RATINGS, "T-OUT": {"actual_value": 110}, "T-DEF": {"actual_value": 0.8}, "T-PAY": {"actual_value": 90},
             "T-SAFE": {"actual_value": 1}, "T-ATT": {"manager_input": "八十五"}}  # fmt: skip
    guess = appraisal_scores.preview(db, items, edits)
    assert guess["scores"]["T-ATT"] is None and guess["total"] is None  # not a number: not scored yet
    guess = appraisal_scores.preview(db, items, {**edits, "T-ATT": {"manager_input": 85}})
    assert guess["scores"]["T-SAFE"] == 90 and guess["grade"] == "A"
    assert db.scalar("SELECT count(*) FROM appraisal_items WHERE appraisal_id = ? AND item_score IS NOT NULL", [a]) == 0
    appraisal_edits.save_self(db, u["worker"], a, own_rating(items["kpi_id"], 90), version=version(db, a))
    appraisal_edits.act(db, u["worker"], a, "submit_self", version=version(db, a))
    appraisal_edits.save_rating(db, u["head"], a, {**edits, "T-ATT": {"manager_input": 85}}, version=version(db, a))
    assert db.scalar("SELECT final_score FROM appraisals WHERE appraisal_id = ?", [a]) == pytest.approx(guess["total"])


def test_an_open_quarter_does_not_count_in_the_annual_result_until_it_is_settled(db: Database) -> None:
    u = users(db)
    weights = {"quarters": {"Q1": 0, "Q2": 0, "Q3": 0, "Q4": 50}, "review": 50}
    production = dept(db, "生产部")
    quarter = cycles.open_cycle(db, u["hr"], **Q4, dept_ids=[production])
    q = f"{quarter.cycle_id}:{WORKER}"
    to_calibration(db, u, q, manual=10, output=80)  # rated (about 79.1), not yet calibrated
    annual = cycles.open_cycle(db, u["hr"], kind="annual", year=2026, annual_weights=weights, dept_ids=[production])
    a = f"{annual.cycle_id}:{WORKER}"
    to_self_assessment(db, u, a)
    items = [r["kpi_id"] for r in db.rows("SELECT kpi_id FROM appraisal_items WHERE appraisal_id = ?", [a])]
    appraisal_edits.save_self(db, u["worker"], a, own_rating(items, 90), version=version(db, a))
    appraisal_edits.act(db, u["worker"], a, "submit_self", version=version(db, a))
    appraisal_edits.save_rating(
        db, u["head"], a, RATINGS, version=version(db, a)
    )  # actuals were recorded for Q4 already
    row = db.one("SELECT final_score, review_score, score_basis FROM appraisals WHERE appraisal_id = ?", [a])
    assert json.loads(row["score_basis"])["missing"] == ["Q4"]  # the quarter is still in 校准
    assert row["final_score"] == pytest.approx(row["review_score"])
    calibration.finalise_department(db, u["hr"], quarter.cycle_id, production, override_reason="季度校准完成")
    appraisal_edits.save_rating(db, u["head"], a, RATINGS, version=version(db, a))  # any save rescores
    row = db.one("SELECT final_score, review_score, score_basis FROM appraisals WHERE appraisal_id = ?", [a])
    quarter_final = db.scalar("SELECT final_score FROM appraisals WHERE appraisal_id = ?", [q])
    assert json.loads(row["score_basis"])["missing"] == []
    assert row["final_score"] == pytest.approx((quarter_final + row["review_score"]) / 2)


# -- separation of duties on one's own appraisal --------------------------------------------------------


def test_nobody_records_rates_or_calibrates_their_own_appraisal_hr_included(db: Database) -> None:
    u = users(db)
    from core import auth

    hr_self = auth.create_user(db, "fixture", "hr103", "Passw0rd-cycle7", ["hr", "employee"], employee_id="00103")
    report = cycles.open_cycle(db, u["hr"], **Q4, dept_ids=[dept(db, "生产部")])
    mine, other = f"{report.cycle_id}:00103", f"{report.cycle_id}:{WORKER}"
    assert permissions.roles_on(hr_self, appraisal.appraisal(db, hr_self, mine)) == ["employee"]
    with pytest.raises(Forbidden, match="这是你本人的考核，你不能录入自己的实际值：请由另一位人力资源管理员（hr）处理"):
        appraisal_edits.record_actual(db, hr_self, "00103", "T-OUT", 99, as_of=dt.date(2026, 11, 1))
    appraisal_edits.record_actual(db, hr_self, WORKER, "T-OUT", 99, as_of=dt.date(2026, 11, 1))  # anyone else's: fine
    for a in (mine, other):
        to_calibration(db, u, a)
    with pytest.raises(Forbidden, match="校准自己的等级"):
        calibration.calibrate(db, hr_self, mine, "A", "拔高自己", version=version(db, mine))
    calibration.calibrate(db, hr_self, other, "B", "与部门分布一致", version=version(db, other))
    with pytest.raises(Forbidden, match="完成包含你本人考核的部门校准"):
        calibration.finalise_department(db, hr_self, report.cycle_id, dept(db, "生产部"), override_reason="例外")
    assert (
        stage(db, mine) == "calibration"
        and db.scalar("SELECT calibrated_grade FROM appraisals WHERE appraisal_id = ?", [mine]) is None
    )  # nothing of it moved
    # with nobody else holding HR, the refusal says what to do
    auth.set_disabled(db, "fixture", "hr", True)
    with pytest.raises(Forbidden, match="系统中只有你一位人力资源管理员"):
        calibration.calibrate(db, hr_self, mine, "A", "拔高自己", version=version(db, mine))
    auth.set_disabled(db, "fixture", "hr", False)
    assert (
        calibration.finalise_department(db, u["hr"], report.cycle_id, dept(db, "生产部"), override_reason="试点") == 2
    )
