"""One appraisal through the whole cycle in a real Chromium, each party in their own browser:
HR opens a pilot cycle for 生产部 → the employee proposes a goal → the manager adopts it and approves →
both check in → the manager finishes the mid-term review → the employee self-assesses and submits →
the manager rates and submits → HR moves the grade with a note and finalises the department.
Four logins (HR, employee, manager, HR again), then the database is checked with the server stopped."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page

from core import appraisal_edits
from core.auth import get_user
from core.db import copy_database, open_database
from tests.conftest import PASSWORD
from tests.cycles import install_templates
from tests.e2e.conftest import CHROMIUM, JOURNEY_PAGES, StreamlitServer, _stop, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("screenshots_on_failure")]

Server = Callable[..., StreamlitServer]
HEADER_HEIGHT = 35
ROW_HEIGHT = 35
WORKER = "00102"
# what the finance and quality feeds delivered for the employee this quarter (scored on their own)
FEEDS = {"T-OUT": (110.0, "finance"), "T-DEF": (0.8, "attendance"), "T-PAY": (90.0, "finance"), "T-SAFE": (1.0, "hr")}


@pytest.fixture
def cycle_company(tmp_path: Path, access_company: Path) -> Path:
    """The fixture company with a template for every position (one KPI per scoring method) and this
    quarter's feed actuals for the employee."""
    path = tmp_path / "company.duckdb"
    copy_database(access_company, path)
    with open_database(path) as db:
        install_templates(db)
        hr = get_user(db, "hr")
        for kpi_id, (value, source) in FEEDS.items():
            appraisal_edits.record_actual(db, hr, WORKER, kpi_id, value, as_of=dt.date.today(), source=source)
    return path


def new_page(browser: Browser) -> Page:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1500, "height": 2400})
    context.set_default_timeout(90_000)
    page = context.new_page()
    JOURNEY_PAGES.append(page)
    return page


SETTLED = (
    "() => !document.querySelector('[data-stale=\"true\"]')"
    " && !document.querySelector('[data-testid=\"stStatusWidgetRunningIcon\"]')"
)


def settle(page: Page) -> None:
    """Wait until the script run a click started has finished (no stale element, no running icon)."""
    page.wait_for_timeout(300)
    page.wait_for_function(SETTLED)


def go(page: Page, link: str) -> None:
    page.get_by_test_id("stSidebar").get_by_role("link", name=link, exact=True).click()
    page.get_by_role("heading", name=link).first.wait_for()
    settle(page)


def pick(page: Page, label: str, option: str) -> None:
    """Choose ``option`` in the select box labelled ``label``."""
    page.get_by_label(label).first.click()
    page.get_by_role("option", name=option, exact=True).first.click()


def headers(grid: Locator) -> list[str]:
    return [h.strip() for h in grid.locator('[role="columnheader"]').all_inner_texts()]


def editor(page: Page, column: str) -> Locator:
    """The visible data editor that has a column titled ``column``."""
    settle(page)
    page.locator('[data-testid="stDataFrame"]:visible canvas').first.wait_for()
    page.wait_for_timeout(500)  # the grids lay themselves out
    grids = page.locator('[data-testid="stDataFrame"]:visible').all()
    return next(g for g in grids if column in headers(g))


def edit_column(page: Page, title: str, values: dict[int, str]) -> None:
    """Type ``values`` (row → text) into the column titled ``title`` of a data editor: select the row's
    first cell, jump to the last column (End), step left to the column, open the cell editor, type, commit.
    A read-only cell's editor (the selection went astray while the grid re-rendered) is closed and the
    steps tried again."""
    for row, value in values.items():
        for _attempt in range(4):
            grid = editor(page, title)  # found afresh: every edit reruns the page, which may add elements
            grid.scroll_into_view_if_needed()
            box = grid.locator("canvas").first.bounding_box()
            assert box is not None
            page.mouse.click(box["x"] + 30, box["y"] + HEADER_HEIGHT + ROW_HEIGHT * row + ROW_HEIGHT / 2)
            page.wait_for_timeout(200)
            page.keyboard.press("End")
            page.wait_for_timeout(300)  # a wide grid scrolls sideways to the selection
            shown = headers(grid)  # the grid renders only the columns in view: count from the last one
            for _ in range(len(shown) - 1 - shown.index(title)):
                page.keyboard.press("ArrowLeft")
                page.wait_for_timeout(150)
            page.keyboard.press("Enter")
            cell = page.locator("#portal textarea, #portal input").first
            cell.wait_for()
            # every column typed into here is a number: its editor is an <input>, a text cell's a <textarea>
            if cell.is_enabled() and cell.evaluate("e => e.tagName") == "INPUT":
                break
            page.keyboard.press("Escape")
            cell.wait_for(state="detached")
            settle(page)
        else:
            raise AssertionError(f"could not open the {title!r} cell of row {row}")
        cell.fill(value)
        cell.press("Enter")
        cell.wait_for(state="detached")
        settle(page)  # each edit reruns the script


def click(page: Page, button: str) -> None:
    page.get_by_role("button", name=button, exact=True).click()
    settle(page)


def confirm(page: Page, button: str, yes: str = "确认") -> None:
    click(page, button)
    click(page, yes)


def test_one_appraisal_goes_from_goals_to_calibration_in_four_logins(
    streamlit_server: Server, browser: Browser, cycle_company: Path
) -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing")
    server = streamlit_server(cycle_company)

    # 1. HR opens this quarter's cycle as a pilot for 生产部.
    hr = new_page(browser)
    hr.goto(f"{server.url}/cycles")
    log_in(hr, "hr", PASSWORD)
    hr.get_by_role("heading", name="考核周期").first.wait_for()
    hr.get_by_test_id("stRadio").get_by_text("试点部门", exact=True).click()
    hr.get_by_test_id("stMultiSelect").first.click()
    hr.get_by_role("option", name="生产部").first.click()
    hr.keyboard.press("Escape")
    hr.get_by_role("button", name="检查并开设").click()
    hr.get_by_role("button", name="确认开设").click()
    hr.get_by_text(re.compile("^已开设「")).first.wait_for()

    # 2. The employee finds the task on 我的待办 and proposes a higher target for 产量达成.
    worker = new_page(browser)
    worker.goto(server.url)
    log_in(worker, "worker", PASSWORD)
    worker.get_by_role("heading", name="我的待办").first.wait_for()
    worker.get_by_role("button", name="去处理：提出目标 · 员工102").click()
    worker.get_by_role("heading", name="目标制定").first.wait_for()
    settle(worker)
    edit_column(worker, "建议目标", {0: "110"})
    worker.get_by_role("button", name="保存目标").click()
    worker.get_by_text("目标已保存。").wait_for()

    # 3. The manager adopts the proposal, approves the goals and checks in.
    head = new_page(browser)
    head.goto(server.url)
    log_in(head, "head", PASSWORD)
    head.get_by_role("heading", name="我的待办").first.wait_for()
    head.get_by_role("button", name="去处理：审批目标 · 员工102").click()
    head.get_by_role("heading", name="目标制定").first.wait_for()
    settle(head)
    head.get_by_role("button", name="采纳员工的建议目标").click()
    head.get_by_text("已采纳员工的建议目标并保存。").wait_for()
    confirm(head, "批准目标")
    head.get_by_text("目标已批准").first.wait_for()
    go(head, "中期回顾")
    head.get_by_label("沟通内容（必填）").fill("十月产量已过目标，保持节奏")
    head.get_by_role("button", name="保存沟通记录").click()
    head.get_by_text("沟通记录已保存。").wait_for()

    # 4. The employee checks in too; then the manager finishes the mid-term review.
    go(worker, "中期回顾")
    worker.get_by_label("沟通内容（必填）").fill("新夹具已投用，不良率下降")
    worker.get_by_role("button", name="保存沟通记录").click()
    worker.get_by_text("沟通记录已保存。").wait_for()
    head.reload()
    head.get_by_role("heading", name="中期回顾").first.wait_for()
    settle(head)
    confirm(head, "结束中期回顾")
    head.get_by_text("中期回顾已结束").first.wait_for()

    # 5. The employee scores every item and submits the self-assessment.
    go(worker, "自评")
    # 95 on every item; 团队协作 (the last row) is rated on its rubric levels, as the manager rates it: level 4
    edit_column(worker, "自评分", {**{row: "95" for row in range(6)}, 6: "4"})
    worker.get_by_role("button", name="保存草稿").click()
    worker.get_by_text("草稿已保存（").first.wait_for()
    confirm(worker, "提交自评")
    worker.get_by_text("自评已提交").first.wait_for()

    # 6. The manager rates the judged items (the feeds scored the rest) and submits.
    go(head, "团队评分")
    head.get_by_label("评分对象").first.wait_for()  # 员工102, the one report in 上级评定, is chosen already
    edit_column(head, "评分", {2: "1", 3: "85", 6: "4"})  # 5S pass, attitude 85, teamwork level 4
    head.get_by_role("button", name="保存草稿").click()
    head.get_by_text("评分草稿已保存（").first.wait_for()
    confirm(head, "提交评定")
    head.get_by_text("已提交对 员工102 的评定").first.wait_for()

    # 7. HR calibrates: one A in a one-person rating breaks the guideline, so HR moves it with a note.
    hr.reload()
    log_out_and_in(hr, "hr")
    go(hr, "校准")
    hr.get_by_text("A 等 1 人，超过上限 0 人").first.wait_for()
    pick(hr, "调整为", "B")
    settle(hr)
    hr.get_by_label("校准说明（必填）").fill("试点部门仅一人，按部门分布调整为 B")
    hr.get_by_role("button", name="调整等级", exact=True).click()
    hr.get_by_text("已将 员工102 的等级由 A 调整为 B。").wait_for()
    hr.get_by_text("这个部门的等级分布符合指引。").wait_for()
    confirm(hr, "完成校准", yes="确认完成校准")
    hr.get_by_text("这个部门已完成校准").first.wait_for()

    _stop(server)
    with open_database(cycle_company) as db:
        row = db.one(
            "SELECT stage, grade, calibrated_grade, calibration_note, final_score, self_score FROM appraisals"
            " WHERE employee_id = ? AND cycle_id LIKE 'C-%'",
            [WORKER],
        )
        moves = [
            (r["actor"], r["action"])
            for r in db.rows(
                "SELECT actor, action FROM stage_events WHERE appraisal_id LIKE 'C-%' AND from_stage <> to_stage"
                " ORDER BY ts, seq"
            )
        ]
        target = db.scalar(
            "SELECT target_value FROM appraisal_items WHERE appraisal_id LIKE 'C-%' AND kpi_id = 'T-OUT'"
            " AND appraisal_id LIKE '%:00102'"
        )
    assert row["stage"] == "signoff" and row["grade"] == "A" and row["calibrated_grade"] == "B"
    assert row["calibration_note"] == "试点部门仅一人，按部门分布调整为 B" and row["self_score"] == pytest.approx(95.5)
    assert target == 110  # the adopted proposal
    # items: 产量达成 110 on target 110 → 100, 不良率 0.8 → 108, 回款率 90/95, 安全违规 1 → 90, 5S 100, 态度 85, 协作 100
    expected = (30 * 100 + 20 * 108 + 10 * 90 / 95 * 100 + 10 * 90 + 10 * 100 + 10 * 85 + 10 * 100) / 100
    assert row["final_score"] == pytest.approx(expected)
    assert moves == [
        ("head", "approve_goals"),
        ("head", "finish_midterm"),
        ("worker", "submit_self"),
        ("head", "submit_rating"),
        ("hr", "finalise_calibration"),
    ]


def log_out_and_in(page: Page, username: str) -> None:
    """HR's second login of the journey: log out and in again."""
    page.get_by_test_id("stSidebar").get_by_role("button", name="退出登录").click()
    log_in(page, username, PASSWORD)
