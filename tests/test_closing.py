"""core.closing: HR closes a cycle (everything confirmed or resolved, or with a reason over the rest), a
closed cycle is read-only and reads as history, the confirmation deadline (listed as overdue, or deemed
confirmed) as HR sets it, the job that applies it, and the sign-off tasks of 我的待办."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from core import analytics, appraisal_edits, calibration, jobs, settings, signoff, tasks
from core.db import Database, open_database
from core.errors import CoreError
from core.permissions import Forbidden
from tests.conftest import PASSWORD
from tests.cycles import install_templates
from tests.signoff_drivers import SignoffCycle, login_for, to_signoff
from tests.test_cycle import RATINGS, WORKER, dept, stage, version


@pytest.fixture
def db(company_db: Path) -> Iterator[Database]:
    with open_database(company_db) as database:
        install_templates(database)
        yield database


def confirm(db: Database, c: SignoffCycle, who, appraisal_id: str) -> signoff.Confirmed:
    user = c.u[who] if isinstance(who, str) else who
    return signoff.confirm(db, user, appraisal_id, PASSWORD, version=version(db, appraisal_id))


def confirm_all(db: Database, c: SignoffCycle) -> None:
    for employee_id, appraisal_id in c.ids.items():
        confirm(db, c, "worker" if employee_id == WORKER else login_for(db, employee_id), appraisal_id)
        confirm(db, c, "head", appraisal_id)


def since(db: Database, appraisal_id: str) -> dt.date:
    return db.scalar("SELECT signoff_since FROM appraisals WHERE appraisal_id = ?", [appraisal_id]).date()


# -- closing -------------------------------------------------------------------------------------------


def test_a_cycle_whose_appraisals_are_all_confirmed_closes_without_a_reason(db: Database) -> None:
    c = to_signoff(db)
    confirm_all(db, c)
    ready = signoff.close_readiness(db, c.u["hr"], c.cycle_id)
    assert (ready["total"], ready["done"], ready["resolved"], ready["outstanding"].height) == (3, 3, [], 0)
    with pytest.raises(Forbidden):
        signoff.close_cycle(db, c.u["head"], c.cycle_id)
    closed = signoff.close_cycle(db, c.u["hr"], c.cycle_id)
    assert (closed.closed, closed.left, closed.reason) == (3, [], None)
    row = db.one("SELECT status, closed_by, close_reason, closed_at FROM cycles WHERE cycle_id = ?", [c.cycle_id])
    assert (row["status"], row["closed_by"], row["close_reason"]) == ("closed", "hr", None) and row["closed_at"]
    entry = db.one("SELECT actor, role, detail FROM signoff_ledger WHERE action = 'cycle_closed'")
    assert (entry["actor"], entry["role"]) == ("hr", "hr")
    assert json.loads(entry["detail"]) == {"closed": 3, "resolved": [], "left": [], "reason": None}
    assert db.scalar("SELECT count(*) FROM audit_log WHERE action = 'cycle_close' AND entity_id = ?", [c.cycle_id]) == 1
    with pytest.raises(CoreError, match=r"已于 .* 关闭，无需再次关闭"):
        signoff.close_cycle(db, c.u["hr"], c.cycle_id)


def test_stragglers_need_a_reason_and_are_listed_in_the_closing_record(db: Database) -> None:
    c = to_signoff(db)
    confirm(db, c, "worker", c.worker)
    confirm(db, c, "head", c.worker)
    confirm(db, c, "head", c.ids["00103"])
    ready = signoff.close_readiness(db, c.u["hr"], c.cycle_id)
    missing = dict(ready["outstanding"].select("appraisal_id", "missing").rows())
    assert missing == {c.ids["00103"]: "员工未确认", c.ids["00104"]: "员工、直属主管未确认"}
    with pytest.raises(CoreError, match=r"还有 2 份考核尚未完成确认.*填写关闭原因"):
        signoff.close_cycle(db, c.u["hr"], c.cycle_id)
    assert db.scalar("SELECT status FROM cycles WHERE cycle_id = ?", [c.cycle_id]) == "open"  # refused: nothing
    closed = signoff.close_cycle(db, c.u["hr"], c.cycle_id, reason="两人长期病假，经总经理同意先行关闭")
    assert closed.closed == 1 and closed.left == [c.ids["00103"], c.ids["00104"]]
    detail = json.loads(db.scalar("SELECT detail FROM signoff_ledger WHERE action = 'cycle_closed'"))
    assert detail["left"] == closed.left and detail["reason"] == "两人长期病假，经总经理同意先行关闭"
    assert db.scalar("SELECT close_reason FROM cycles WHERE cycle_id = ?", [c.cycle_id]) == detail["reason"]
    assert stage(db, c.ids["00104"]) == "signoff"  # left as it was: not confirmed, no PDF
    assert db.scalar("SELECT count(*) FROM signoff_documents") == 1


def test_an_upheld_objection_with_the_managers_confirmation_counts_as_resolved(db: Database) -> None:
    c = to_signoff(db)
    for employee_id in ("00103", "00104"):
        confirm(db, c, login_for(db, employee_id), c.ids[employee_id])
        confirm(db, c, "head", c.ids[employee_id])
    objection = signoff.object_to(db, c.u["worker"], c.worker, "评分与实际不符", version=version(db, c.worker))
    assert signoff.close_readiness(db, c.u["hr"], c.cycle_id)["outstanding"].row(0, named=True)["missing"] == (
        "异议待 HR 处理"
    )
    signoff.resolve(db, c.u["hr"], objection, "uphold", "数据核实无误，维持原结果")
    confirm(db, c, "head", c.worker)
    ready = signoff.close_readiness(db, c.u["hr"], c.cycle_id)
    assert ready["resolved"] == [c.worker] and ready["outstanding"].height == 0
    closed = signoff.close_cycle(db, c.u["hr"], c.cycle_id)  # no reason needed
    assert closed.closed == 3 and closed.left == []
    assert stage(db, c.worker) == "closed"
    assert db.scalar("SELECT count(*) FROM signoff_documents WHERE appraisal_id = ?", [c.worker]) == 1
    assert db.scalar("SELECT count(*) FROM signoff_confirmations WHERE appraisal_id = ? AND party = 'employee'",
                     [c.worker]) == 0  # fmt: skip


def test_a_closed_cycle_is_read_only_and_reads_as_history(db: Database) -> None:
    c = to_signoff(db, finalise=False)
    a = c.ids["00103"]
    calibration.calibrate(db, c.u["hr"], a, "A", "项目突出", version=version(db, a))
    signoff.close_cycle(db, c.u["hr"], c.cycle_id, reason="演练：提前关闭")
    closed = "考核周期「.*」已关闭"
    with pytest.raises(CoreError, match=closed):
        calibration.calibrate(db, c.u["hr"], a, "B", "回调", version=version(db, a))
    with pytest.raises(CoreError, match=closed):
        calibration.finalise_department(db, c.u["hr"], c.cycle_id, dept(db, "生产部"), override_reason="补")
    with pytest.raises(CoreError, match=closed):
        appraisal_edits.save_rating(db, c.u["head"], a, RATINGS, version=version(db, a))
    with pytest.raises(CoreError, match=closed):
        appraisal_edits.record_actual(db, c.u["head"], "00103", "T-OUT", 120, as_of=dt.date(2026, 11, 2))
    with pytest.raises(CoreError, match=closed):
        signoff.confirm(db, c.u["worker"], c.worker, PASSWORD, version=version(db, c.worker))
    assert db.scalar("SELECT count(*) FROM kpi_actuals WHERE value = 120") == 0
    # history: the heatmap reads the closed quarter, calibrated grades included
    heat = analytics.department_period_scores(db, c.u["hr"], "quarterly")
    row = heat.filter(period="2026-Q4").row(0, named=True)
    assert row["people"] == 3 and row["share_a"] == pytest.approx(1 / 3)
    assert signoff.waiting(db, c.u["head"]).is_empty() and tasks.my_tasks(db, c.u["head"]).is_empty()


# -- the deadline --------------------------------------------------------------------------------------


def test_past_the_deadline_results_are_listed_as_overdue_by_default(db: Database) -> None:
    c = to_signoff(db)
    due = since(db, c.worker) + dt.timedelta(days=7)
    assert signoff.apply_deadlines(db, today=due) == {"overdue": 0, "deemed": 0}
    assert signoff.apply_deadlines(db, today=due + dt.timedelta(days=1)) == {"overdue": 3, "deemed": 0}
    assert db.scalar("SELECT count(*) FROM signoff_confirmations") == 0  # listed, nothing written
    late = tasks.my_tasks(db, c.u["worker"], today=due + dt.timedelta(days=2)).row(0, named=True)
    assert (late["task_code"], late["due"], late["days_left"], late["overdue"]) == ("signoff.employee", due, -2, True)
    assert late["screen"] == "signoff" and late["appraisal_id"] == c.worker


def test_hr_sets_the_deadline_and_deemed_confirmations_close_with_a_pdf(db: Database) -> None:
    c = to_signoff(db)
    with pytest.raises(Forbidden):
        settings.set_signoff_deadline(db, c.u["head"], 3, "deemed")
    for days, rule in ((0, "deemed"), (2.5, "deemed"), ("三", "deemed"), (3, "forget")):
        with pytest.raises(CoreError):
            settings.set_signoff_deadline(db, c.u["hr"], days, rule)
    assert settings.set_signoff_deadline(db, c.u["hr"], 3, "deemed") == (3, "deemed")
    assert settings.signoff_deadline(db) == (3, "deemed")
    change = json.loads(db.scalar("SELECT detail FROM audit_log WHERE action = 'signoff_deadline_update'"))
    assert change == {"before": {"days": 7, "rule": "overdue"}, "after": {"days": 3, "rule": "deemed"}}
    confirm(db, c, "worker", c.worker)  # the worker confirmed in time
    signoff.object_to(db, login_for(db, "00103"), c.ids["00103"], "不认可", version=version(db, c.ids["00103"]))
    counts = signoff.apply_deadlines(db, today=since(db, c.worker) + dt.timedelta(days=4))
    # worker: the manager deemed → closed; 00104: both deemed → closed; 00103: an open objection stays
    assert counts == {"overdue": 1, "deemed": 3}
    assert (stage(db, c.worker), stage(db, c.ids["00104"]), stage(db, c.ids["00103"])) == (
        "closed",
        "closed",
        "signoff",
    )
    deemed = db.rows("SELECT appraisal_id, party, actor, employee_id FROM signoff_confirmations WHERE deemed"
                     " ORDER BY appraisal_id, party")  # fmt: skip
    assert [(d["appraisal_id"], d["party"], d["actor"], d["employee_id"]) for d in deemed] == [
        (c.worker, "manager", "system", None),
        (c.ids["00104"], "employee", "system", None), (c.ids["00104"], "manager", "system", None),
    ]  # fmt: skip
    actions = db.rows("SELECT actor, role, action FROM signoff_ledger WHERE appraisal_id = ? ORDER BY seq", [c.worker])
    assert [(r["actor"], r["role"], r["action"]) for r in actions] == [
        ("worker", "employee", "confirmation"), ("system", "system", "deemed_confirmation"),
        ("system", "system", "pdf_issued"),
    ]  # fmt: skip
    assert db.scalar("SELECT count(*) FROM signoff_documents") == 2
    assert signoff.apply_deadlines(db, today=since(db, c.worker) + dt.timedelta(days=5)) == {"overdue": 1, "deemed": 0}


def test_the_deadline_runs_as_a_standard_job(db: Database) -> None:
    job = next(j for j in jobs.standard_jobs() if j.name == "signoff_deadlines")
    to_signoff(db)
    assert job.run(db) == "sign-off deadline: 0 overdue, 0 confirmations deemed"


# -- 我的待办 --------------------------------------------------------------------------------------------


def test_sign_off_tasks_wait_for_each_party_and_an_objection_becomes_hrs(db: Database) -> None:
    c = to_signoff(db)
    mine = tasks.my_tasks(db, c.u["worker"])
    assert mine.select("task", "task_code", "screen", "appraisal_id").rows() == [
        ("签字确认", "signoff.employee", "signoff", c.worker)
    ]
    assert tasks.my_tasks(db, c.u["head"]).get_column("task_code").to_list() == ["signoff.manager"] * 3
    confirm(db, c, "worker", c.worker)
    assert tasks.my_tasks(db, c.u["worker"]).is_empty()
    waiting = tasks.my_tasks(db, c.u["head"]).filter(appraisal_id=c.worker).row(0, named=True)
    assert waiting["task"] == "签字确认（对方已确认）"
    signoff.object_to(db, login_for(db, "00103"), c.ids["00103"], "不认可", version=version(db, c.ids["00103"]))
    assert c.ids["00103"] not in tasks.my_tasks(db, c.u["head"]).get_column("appraisal_id").to_list()
    hr = tasks.my_tasks(db, c.u["hr"])
    assert hr.select("task", "task_code", "people", "screen").rows() == [
        ("异议处理（1 条）", "objections", 1, "objections")
    ]
