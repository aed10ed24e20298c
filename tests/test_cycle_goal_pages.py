"""我的待办, 目标制定 and 中期回顾 through the app (AppTest): the worker's tasks with due dates and the overdue
flag, goal progress with a recorded actual, proposing and approving goals, a stale save refused without
losing the input, mid-term check-ins and finishing (and its refusal), and my tasks in English."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

from streamlit.testing.v1 import AppTest

from core import appraisal_edits, cycles
from core.auth import get_user
from core.db import open_database
from tests.apptest import StartApp, all_text, everything_shown, open_page
from tests.cycles import install_templates

WORKER = "00102"
NEXT_YEAR = dt.date.today().year + 1
FUTURE = {"kind": "quarterly", "year": NEXT_YEAR, "part": 1}  # due dates ahead of today
PAST = {"kind": "quarterly", "year": 2024, "part": 4}  # due dates long gone
PAST_DUE = {
    "goals": dt.date(2024, 10, 15),
    "midterm": dt.date(2024, 11, 15),
    "self_assessment": dt.date(2025, 1, 7),
    "manager_rating": dt.date(2025, 1, 14),
    "calibration": dt.date(2025, 1, 21),
    "signoff": dt.date(2025, 1, 28),
}


def open_worker_cycle(db_path: Path, period: Mapping[str, object] = FUTURE, **kwargs: object) -> str:
    """Templates for every position and a cycle opened by HR; returns the worker's appraisal id."""
    with open_database(db_path) as db:
        install_templates(db)
        report = cycles.open_cycle(db, get_user(db, "hr"), **period, **kwargs)  # type: ignore[arg-type]
    return f"{report.cycle_id}:{WORKER}"


def db_value(db_path: Path, sql: str, params: list[object]) -> object:
    with open_database(db_path) as db:
        return db.scalar(sql, params)


def test_my_tasks_lists_the_workers_goal_task_with_due_date_and_overdue_flag(
    company_db: Path, start_app: StartApp
) -> None:
    late = open_worker_cycle(company_db, PAST, due=PAST_DUE)
    open_worker_cycle(company_db)
    at = start_app(company_db, login="worker")  # 我的待办 is the landing page
    assert at.title[0].value == "我的待办"
    table = at.dataframe[0].value
    goals = table[table["待办事项"] == "提出目标"]
    assert len(goals) == 2
    overdue = goals[goals["逾期"] == "⚠ 已逾期"]
    assert len(overdue) == 1
    assert str(overdue.iloc[0]["截止日期"])[:10] == "2024-10-15"
    assert overdue.index[0] == table.index[0]  # overdue first
    upcoming = goals[goals["逾期"] == ""]
    assert int(upcoming.iloc[0]["剩余天数"]) >= 0
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["待办事项"] == "2" and metrics["已逾期"] == "1"
    # the overdue task's button opens 目标制定 on that appraisal
    click(at, "tasks.go.0")
    assert at.title[0].value == "目标制定"
    assert at.selectbox(key="goals.pick").value == late
    # the card says how late it is, as core counts it
    days = (dt.date.today() - PAST_DUE["goals"]).days
    assert f"2024-10-15（已逾期 {days} 天）" in [x.value for x in at.text]


def test_my_tasks_empty_state(company_db: Path, start_app: StartApp) -> None:
    at = open_page(start_app(company_db, login="worker"), "pages/my_tasks.py")
    assert "没有待办 — 考核周期开启后，你的任务会出现在这里" in all_text(at)
    assert not at.dataframe and not at.metric


def edit(at: AppTest, rows: dict[int, dict[str, object]]) -> str:
    """Put cell edits into the page's (only) goal editor, as the browser would; returns its key."""
    key = at.data_editor[0].key
    assert key
    at.session_state[key] = {"edited_rows": rows, "added_rows": [], "deleted_rows": []}
    return key


def click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click().run()
    assert not at.exception, at.exception
    return at


def test_worker_proposes_a_target_and_head_approves(company_db: Path, start_app: StartApp) -> None:
    appraisal_id = open_worker_cycle(company_db)
    at = open_page(start_app(company_db, login="worker"), "pages/goals.py")
    assert "产量达成" in at.data_editor[0].value.to_csv()
    editor = at.data_editor[0].proto
    assert list(editor.column_order)[:3] == ["kpi_name", "proposed_target", "goal_note"]  # theirs to fill in first
    assert editor.HasField("placeholder") and editor.placeholder == ""
    edit(at, {0: {"proposed_target": 110.0, "goal_note": "新产线投产"}})
    click(at, f"goals.save.{appraisal_id}")
    assert "目标已保存。" in all_text(at)
    row = db_value(
        company_db,
        "SELECT proposed_target || '|' || goal_note FROM appraisal_items WHERE appraisal_id = ? AND kpi_id = 'T-OUT'",
        [appraisal_id],
    )
    assert row == "110.0|新产线投产"

    at = open_page(start_app(company_db, login="head", query={"appraisal": appraisal_id}), "pages/goals.py")
    assert at.selectbox(key="goals.pick").value == appraisal_id
    assert "110" in at.data_editor[0].value.to_csv()  # the proposal is shown to the manager
    assert list(at.data_editor[0].proto.column_order)[:4] == ["kpi_name", "target_value", "floor", "stretch"]
    edit(at, {0: {"floor": 85.0}})  # the manager adjusts the floor
    click(at, f"goals.save.{appraisal_id}")
    item = "SELECT {} FROM appraisal_items WHERE appraisal_id = ? AND kpi_id = 'T-OUT'"
    assert db_value(company_db, item.format("floor"), [appraisal_id]) == 85.0
    click(at, f"goals.adopt.{appraisal_id}")  # and takes the employee's proposal as the target
    assert "已采纳员工的建议目标" in all_text(at)
    assert db_value(company_db, item.format("target_value"), [appraisal_id]) == 110.0
    assert db_value(company_db, item.format("weight"), [appraisal_id]) == 30.0
    click(at, f"goals.approve.{appraisal_id}")
    assert "批准后考核进入中期回顾阶段" in all_text(at)
    assert db_value(company_db, "SELECT stage FROM appraisals WHERE appraisal_id = ?", [appraisal_id]) == "goals"
    click(at, f"confirm.approve.{appraisal_id}")
    assert "目标已批准" in all_text(at)
    assert db_value(company_db, "SELECT stage FROM appraisals WHERE appraisal_id = ?", [appraisal_id]) == "midterm"


def test_stale_save_shows_the_conflict_and_keeps_the_workers_input(company_db: Path, start_app: StartApp) -> None:
    appraisal_id = open_worker_cycle(company_db)
    at = open_page(start_app(company_db, login="worker"), "pages/goals.py")
    # the head saves in between: the worker's editor is now based on a stale version
    with open_database(company_db) as db:
        appraisal_edits.save_goals(db, get_user(db, "head"), appraisal_id, {"T-OUT": {"target_value": 105}}, version=0)
    key = edit(at, {0: {"proposed_target": 120.0}})
    click(at, f"goals.save.{appraisal_id}")
    shown = all_text(at)
    assert "保存冲突" in shown and "保存未成功" in shown
    proposed = "SELECT proposed_target FROM appraisal_items WHERE appraisal_id = ? AND kpi_id = 'T-OUT'"
    assert db_value(company_db, proposed, [appraisal_id]) is None  # nothing written
    assert at.data_editor[0].key == key
    assert at.session_state[key]["edited_rows"][0]["proposed_target"] == 120.0  # the input is still there
    # load the latest version (the head's target shows), keep the input, save again
    click(at, f"goals.reload.{appraisal_id}")
    assert "105" in at.data_editor[0].value.to_csv()
    assert at.session_state[key]["edited_rows"][0]["proposed_target"] == 120.0
    click(at, f"goals.save.{appraisal_id}")
    assert "目标已保存。" in all_text(at)
    assert db_value(company_db, proposed, [appraisal_id]) == 120.0


def test_my_goal_progress_shows_a_recorded_actual_and_the_formulas(company_db: Path, start_app: StartApp) -> None:
    appraisal_id = open_worker_cycle(company_db)
    with open_database(company_db) as db:
        appraisal_edits.record_actual(db, get_user(db, "head"), WORKER, "T-OUT", 90, as_of=dt.date(NEXT_YEAR, 1, 20))
    at = open_page(start_app(company_db, login="worker"), "pages/my_tasks.py")
    assert "我的目标进度" in all_text(at)
    progress = at.dataframe[1].value
    row = progress[progress["考核指标"] == "产量达成"].iloc[0]
    assert row["目前实际值"] == 90.0 and row["数据来源"] == "主管录入"
    assert str(row["数据日期"])[:10] == f"{NEXT_YEAR}-01-20"
    assert round(float(row["完成率"]), 1) == 90.0  # shown as a percentage
    assert round(float(row["目前得分"]), 1) == 80.0  # linear: floor 80 → 60, target 100 → 100
    assert "底线得60分" in all_text(at)  # the scoring formula shown to the employee
    assert appraisal_id


def approved(db_path: Path) -> str:
    appraisal_id = open_worker_cycle(db_path)
    with open_database(db_path) as db:
        appraisal_edits.act(db, get_user(db, "head"), appraisal_id, "approve_goals", version=0)
    return appraisal_id


def check_in(at: AppTest, note: str) -> AppTest:
    at.text_area(key="midterm.note.0").input(note)
    next(b for b in at.button if b.label == "保存沟通记录").click().run()
    assert not at.exception, at.exception
    return at


def stage(db_path: Path, appraisal_id: str) -> object:
    return db_value(db_path, "SELECT stage FROM appraisals WHERE appraisal_id = ?", [appraisal_id])


def test_midterm_check_ins_by_both_then_finish(company_db: Path, start_app: StartApp) -> None:
    appraisal_id = approved(company_db)
    worker = open_page(start_app(company_db, login="worker"), "pages/midterm.py")
    assert f"midterm.finish.{appraisal_id}" not in [b.key for b in worker.button]  # managers only
    worker.number_input(key="midterm.pct.0").set_value(60)
    check_in(worker, "产量按计划推进")
    assert "沟通记录已保存。" in all_text(worker)
    checkins = worker.dataframe[1].value
    assert "产量按计划推进" in checkins.to_csv() and float(checkins.iloc[0]["完成进度"]) == 60.0

    head = open_page(start_app(company_db, login="head", query={"appraisal": appraisal_id}), "pages/midterm.py")
    assert head.selectbox(key="midterm.pick").value == appraisal_id
    # finishing before the manager's own check-in is refused in Chinese
    click(head, f"midterm.finish.{appraisal_id}")
    click(head, f"confirm.finish.{appraisal_id}")
    assert "中期回顾需要员工和上级都做过进度沟通，直属上级还没有沟通记录" in all_text(head)
    assert stage(company_db, appraisal_id) == "midterm"

    check_in(head, "同意，注意良品率")
    click(head, f"midterm.finish.{appraisal_id}")
    assert "确定结束" in all_text(head) and stage(company_db, appraisal_id) == "midterm"  # asked first
    click(head, f"confirm.finish.{appraisal_id}")
    assert "中期回顾已结束" in all_text(head)
    assert stage(company_db, appraisal_id) == "self_assessment"


def test_midterm_return_needs_a_comment_and_manager_records_an_actual(company_db: Path, start_app: StartApp) -> None:
    appraisal_id = approved(company_db)
    head = open_page(start_app(company_db, login="head", query={"appraisal": appraisal_id}), "pages/midterm.py")
    next(n for n in head.number_input if n.label == "实际值").set_value(95)
    next(b for b in head.button if b.label == "保存实际值").click().run()
    assert "实际值已录入，得分已重新计算。" in all_text(head)
    actual = "SELECT actual_value FROM appraisal_items WHERE appraisal_id = ? AND kpi_id = 'T-OUT'"
    assert db_value(company_db, actual, [appraisal_id]) == 95.0
    assert 95.0 in head.dataframe[0].value["目前实际值"].tolist()  # the progress table shows it
    click(head, f"midterm.return.{appraisal_id}")
    assert "退回必须填写意见。" in all_text(head)
    head.text_area(key=f"midterm.return_comment.{appraisal_id}").input("目标定得太低")
    click(head, f"midterm.return.{appraisal_id}")
    click(head, f"confirm.return.{appraisal_id}")
    assert "考核已退回目标制定阶段。" in all_text(head)
    assert stage(company_db, appraisal_id) == "goals"


def test_my_tasks_in_english(company_db: Path, start_app: StartApp) -> None:
    appraisal_id = open_worker_cycle(company_db, PAST, due=PAST_DUE)
    with open_database(company_db) as db:
        start = db.scalar(
            "SELECT period_start FROM cycles c JOIN appraisals a USING (cycle_id) WHERE appraisal_id = ?",
            [appraisal_id],
        )
        appraisal_edits.record_actual(db, get_user(db, "head"), WORKER, "T-OUT", 90, as_of=start)
    at = open_page(start_app(company_db, login="worker", lang="en"), "pages/my_tasks.py")
    shown = everything_shown(at)
    assert "My tasks" in shown and "My goal progress" in shown
    table = at.dataframe[0].value
    assert list(table.columns) == ["Cycle", "Task", "Employee / department", "Stage", "Due", "Days left", "Overdue"]
    assert table.iloc[0]["Task"] == "Propose goals" and table.iloc[0]["Stage"] == "Goal setting"
    assert table.iloc[0]["Overdue"] == "⚠ Overdue"
    assert {m.label for m in at.metric} >= {"Open tasks", "Overdue"}
    assert "Higher is better: floor 60, target 100" in shown  # the formula in English
    assert "Entered by the manager" in shown and "主管录入" not in shown  # where the actual came from
    assert "待办事项" not in shown and "提出目标" not in shown
