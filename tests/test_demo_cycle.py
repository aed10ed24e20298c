"""The demo company's current cycle: this quarter open company-wide, actuals recorded, appraisals spread
over the stages, and every demo login with work waiting on 我的待办."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from core import appraisal_edits, auth, calibration, cycles, periods, tasks, vocabulary
from core.db import Database, open_database
from core.permissions import can_open
from demo.build import DemoSummary
from demo.cycle import open_demo_cycle
from tests.apptest import all_text, open_page
from tests.conftest import DEMO_SEED, DEMO_TODAY, BuiltDemo

TODAY = DEMO_TODAY


@pytest.fixture(scope="module")
def demo(demo_company: BuiltDemo) -> Iterator[tuple[Database, DemoSummary]]:
    """The session's demo company, read-only: these tests only read it."""
    with open_database(demo_company.path, read_only=True) as db:
        yield db, demo_company.summary


def test_the_current_quarter_is_open_company_wide_with_the_default_due_dates(demo) -> None:
    db, summary = demo
    assert summary.cycle is not None and summary.cycle.cycle_id == "C-2026-Q4"
    rows = db.rows("SELECT * FROM cycles WHERE origin = 'app' AND status = 'open'")
    assert len(rows) == 1
    c = rows[0]
    assert (c["period"], c["kind"], c["status"], c["scope"], c["opened_by"]) == (
        "2026-Q4", "quarterly", "open", "all", "hr"
    )  # fmt: skip
    _, start, end, _ = periods.period_of("quarterly", 2026, 4)
    due = periods.default_due_dates(start, end)
    assert {stage: c[column] for stage, column in vocabulary.DUE_FIELDS.items()} == due
    # one appraisal per active person with a manager (every staffed position has a template)
    eligible = db.scalar(
        "SELECT count(*) FROM employees WHERE status = 'active' AND manager_id IS NOT NULL AND position_id IS NOT NULL"
        " AND (hire_date IS NULL OR hire_date <= ?)",
        [end],
    )
    appraisals = db.scalar("SELECT count(*) FROM appraisals WHERE cycle_id = 'C-2026-Q4'")
    assert appraisals == summary.cycle.appraisals == eligible > 90
    assert summary.cycle.items == db.scalar(
        "SELECT count(*) FROM appraisal_items WHERE appraisal_id LIKE 'C-2026-Q4:%'"
    )


def test_every_objective_item_has_a_demo_actual_inside_the_quarter(demo) -> None:
    db, summary = demo
    actuals = db.one(
        "SELECT count(*) AS n, min(as_of) AS first, max(as_of) AS last, count(DISTINCT source) AS sources"
        " FROM kpi_actuals WHERE source = 'demo' AND as_of >= DATE '2026-10-01'"
    )
    assert actuals["n"] == summary.cycle.actuals > 0
    assert dt.date(2026, 10, 1) <= actuals["first"] <= actuals["last"] <= TODAY
    items = db.one(
        "SELECT count(*) AS n, count(actual_value) AS with_actual, count(item_score) AS scored,"
        " median(actual_value / target_value) FILTER (WHERE method = 'linear' AND target_value > 0) AS ratio"
        " FROM appraisal_items WHERE appraisal_id LIKE 'C-2026-Q4:%'"
        " AND list_contains(['linear', 'lower_better', 'deduction'], method)"
    )
    assert items["n"] == items["with_actual"] == items["scored"] > 0
    assert 0.85 <= items["ratio"] <= 1.1  # around the targets


def test_appraisals_are_spread_over_the_stages(demo) -> None:
    db, summary = demo
    stages = {
        r["stage"]: r["n"]
        for r in db.rows("SELECT stage, count(*) AS n FROM appraisals WHERE cycle_id = 'C-2026-Q4' GROUP BY stage")
    }
    assert stages == summary.cycle.stages
    total = sum(stages.values())
    assert stages["goals"] + stages["midterm"] >= 0.8 * total
    assert stages["goals"] > 0 and stages["midterm"] > 0
    assert stages.get("self_assessment", 0) + stages.get("manager_rating", 0) + stages.get("calibration", 0) > 0
    assert stages.get("manager_rating", 0) >= 1  # the lead's and the head's report waiting for a rating
    # each move went through core: events recorded by the employees and managers themselves
    moved = db.scalar(
        "SELECT count(DISTINCT appraisal_id) FROM stage_events WHERE action = 'approve_goals' AND role = 'manager'"
        " AND appraisal_id LIKE 'C-2026-Q4:%'"
    )
    assert moved == total - stages["goals"]
    rated = db.rows("SELECT final_score, grade FROM appraisals WHERE cycle_id = 'C-2026-Q4' AND stage = 'calibration'")
    assert all(r["final_score"] is not None and r["grade"] for r in rated)


def test_every_demo_login_has_work_on_my_tasks(demo) -> None:
    db, _ = demo
    users = {name: auth.get_user(db, name) for name in ("employee", "lead", "head", "hr")}
    own = {
        name: db.scalar(
            "SELECT stage FROM appraisals WHERE cycle_id = 'C-2026-Q4' AND employee_id = ?", [u.employee_id]
        )
        for name, u in users.items()
        if name != "hr"
    }
    assert own == {"employee": "goals", "lead": "midterm", "head": "midterm"}
    todo = {name: tasks.my_tasks(db, u, today=TODAY) for name, u in users.items()}
    employee = todo["employee"]
    assert employee.height >= 1 and set(employee["screen"].to_list()) == {"goals"}
    assert "提出目标" in employee["task"].to_list()
    for manager in ("lead", "head"):
        screens = set(todo[manager]["screen"].to_list())
        assert {"goals", "midterm", "team_rating"} <= screens, (manager, todo[manager])
        assert "中期进度沟通" in todo[manager]["task"].to_list()  # their own mid-term talk
    assert "calibration" in todo["hr"]["screen"].to_list()


def test_opening_the_demo_cycle_again_changes_nothing(demo) -> None:
    db, _ = demo
    before = db.scalar("SELECT count(*) FROM appraisals")
    assert open_demo_cycle(db, today=TODAY, seed=DEMO_SEED) is None
    assert db.scalar("SELECT count(*) FROM appraisals") == before


def test_a_whole_demo_department_runs_the_cycle_to_sign_off_on_the_standard_templates(demo_db: Path) -> None:
    """Every appraisal of one demo department goes from wherever the demo left it to 签字确认 through
    core, on the standard pack's templates (all seven methods): every item can be scored, totals and
    grades follow, and calibration finalises the department."""
    with open_database(demo_db) as db:
        hr = auth.User("hr-test", frozenset({"hr"}))
        dept_id = db.scalar(
            "SELECT dept_id FROM appraisals WHERE cycle_id = 'C-2026-Q4' GROUP BY dept_id ORDER BY count(*) LIMIT 1"
        )
        rows = db.rows(
            "SELECT appraisal_id, employee_id, manager_id FROM appraisals WHERE cycle_id = 'C-2026-Q4' AND dept_id = ?",
            [dept_id],
        )
        assert rows
        methods = set()

        def version(a: str) -> int:
            return db.scalar("SELECT row_version FROM appraisals WHERE appraisal_id = ?", [a])

        def stage_of(a: str) -> str:
            return db.scalar("SELECT stage FROM appraisals WHERE appraisal_id = ?", [a])

        for r in rows:
            a = r["appraisal_id"]
            me = auth.User(f"e{r['employee_id']}", frozenset({"employee"}), r["employee_id"])
            boss = auth.User(f"m{r['manager_id']}", frozenset({"manager"}), r["manager_id"])
            if stage_of(a) == "goals":
                appraisal_edits.act(db, boss, a, "approve_goals", version=version(a))
            if stage_of(a) == "midterm":
                appraisal_edits.add_checkin(db, me, a, "进度正常")
                appraisal_edits.add_checkin(db, boss, a, "继续保持")
                appraisal_edits.act(db, boss, a, "finish_midterm", version=version(a))
            items = db.rows("SELECT kpi_id, method, actual_value FROM appraisal_items WHERE appraisal_id = ?", [a])
            methods |= {i["method"] for i in items}
            if stage_of(a) == "self_assessment":
                own = {i["kpi_id"]: {"self_input": 4 if i["method"] == "rubric" else 88} for i in items}
                appraisal_edits.save_self(db, me, a, own, version=version(a))
                appraisal_edits.act(db, me, a, "submit_self", version=version(a))
            if stage_of(a) == "manager_rating":
                ratings = {}
                for i in items:
                    if i["method"] in vocabulary.OBJECTIVE_METHODS:
                        if i["actual_value"] is None:
                            ratings[i["kpi_id"]] = {"actual_value": 0 if i["method"] == "deduction" else 1}
                    else:
                        ratings[i["kpi_id"]] = {"manager_input": {"rubric": 4, "pass_fail": 1}.get(i["method"], 80)}
                appraisal_edits.save_rating(db, boss, a, ratings, version=version(a))
                appraisal_edits.act(db, boss, a, "submit_rating", version=version(a))
            assert stage_of(a) == "calibration", a
        scored = db.rows(
            "SELECT final_score, grade FROM appraisals WHERE dept_id = ? AND cycle_id = 'C-2026-Q4'", [dept_id]
        )
        assert all(s["final_score"] is not None and s["grade"] in ("A", "B", "C") for s in scored)
        assert {"linear", "rubric"} <= methods
        moved = calibration.finalise_department(db, hr, "C-2026-Q4", dept_id, override_reason="演示部门整体验证")
        assert moved == len(rows)
        stages = db.rows(
            "SELECT DISTINCT stage FROM appraisals WHERE cycle_id = 'C-2026-Q4' AND dept_id = ?", [dept_id]
        )
        assert [r["stage"] for r in stages] == ["signoff"]


CYCLE_PAGES = (
    "pages/my_tasks.py", "pages/goals.py", "pages/midterm.py", "pages/self_review.py", "pages/team_rating.py",
    "pages/cycles.py", "pages/calibration.py",
)  # fmt: skip


@pytest.mark.parametrize("login", ["employee", "lead", "head", "hr", "exec"])
def test_the_cycle_screens_open_on_the_demo_for_every_demo_login(demo_db: Path, start_app, login: str) -> None:
    """Each cycle screen the login may open runs on the demo company's real data without an exception or a
    refusal, and 我的待办 lists work for everyone who takes part (the access matrix is tests/test_access_pages.py).
    The demo is built as on DEMO_TODAY while the screens read the wall clock: its cycle stays open
    whatever the date, and nothing asserted here depends on the day."""
    at = start_app(demo_db, login=login)
    with open_database(demo_db) as db:
        user = auth.get_user(db, login)
    opened = [page for page in CYCLE_PAGES if can_open(user, Path(page).stem)]
    assert opened
    for page in opened:
        open_page(at, page)  # asserts no exception
        assert "你没有权限" not in all_text(at), (login, page)
    open_page(at, "pages/my_tasks.py")
    if login != "exec":
        assert at.dataframe and at.dataframe[0].value.shape[0] > 0, login  # something waits for them


def test_the_demo_cycle_has_a_history_across_the_quarter(demo) -> None:
    """The demo's steps are spread over the quarter, so 考核周期 shows real on-time rates and lead time."""
    db, summary = demo
    info = cycles.cycle(db, summary.cycle.cycle_id)
    assert info["opened_at"] == dt.datetime(2026, 10, 2, 9, 0)
    progress = cycles.cycle_progress(db, auth.User("x", frozenset({"hr"})), summary.cycle.cycle_id, today=TODAY)
    assert progress["lead_days"] > 50  # opened on 10-02, today 11-27
    goals = progress["stages"].row(0, named=True)
    assert goals["stage"] == "goals" and goals["on_time"] > 0 and goals["late"] > 0
    bad = db.scalar(
        "SELECT count(*) FROM (SELECT ts, lag(ts) OVER (PARTITION BY appraisal_id ORDER BY seq) AS before"
        " FROM stage_events WHERE appraisal_id LIKE ?) WHERE ts < before OR ts < ?",
        [summary.cycle.cycle_id + ":%", info["opened_at"]],
    )
    assert bad == 0  # in order, and none before the opening
