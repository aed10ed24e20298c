"""我的待办, 目标制定 and 中期回顾 through the app (AppTest): the worker's tasks with due dates and the overdue
flag, goal progress with a recorded actual, proposing and approving goals, a stale save refused without
losing the input, mid-term check-ins and finishing (and its refusal), and my tasks in English."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

from streamlit.testing.v1 import AppTest

from core import cycle
from core.auth import get_user
from core.db import open_database
from tests.apptest import StartApp, all_text, open_page
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
        report = cycle.open_cycle(db, get_user(db, "hr"), **period, **kwargs)  # type: ignore[arg-type]
    return f"{report.cycle_id}:{WORKER}"


def db_value(db_path: Path, sql: str, params: list[object]) -> object:
    with open_database(db_path) as db:
        return db.scalar(sql, params)


def test_my_tasks_lists_the_workers_goal_task_with_due_date_and_overdue_flag(
    company_db: Path, start_app: StartApp
) -> None:
    open_worker_cycle(company_db, PAST, due=PAST_DUE)
    open_worker_cycle(company_db)
    at = start_app(company_db, login="worker")
    at = open_page(at, "pages/my_tasks.py")
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
    click(at, f"goals.approve.{appraisal_id}")
    assert "批准后考核进入中期回顾阶段" in all_text(at)
    assert db_value(company_db, "SELECT stage FROM appraisals WHERE appraisal_id = ?", [appraisal_id]) == "goals"
    click(at, f"confirm.approve.{appraisal_id}")
    assert "目标已批准" in all_text(at)
    assert db_value(company_db, "SELECT stage FROM appraisals WHERE appraisal_id = ?", [appraisal_id]) == "midterm"
