"""What a new user sees on a 1366 × 768 laptop, in a real Chromium: on 自评 and 团队评分 the columns to fill
in come right after the KPI and their header cells are inside the window without scrolling sideways; the
uploader of 数据导入 speaks Chinese (our button text, our limit line, none of Streamlit's English).
Screenshots are kept in the test's tmp folder (their paths are printed)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page

from core import appraisal_edits, auth, cycles
from core.db import copy_database, open_database
from tests.conftest import PASSWORD
from tests.cycles import install_templates, own_rating
from tests.e2e.conftest import CHROMIUM, StreamlitServer, log_in

pytestmark = pytest.mark.e2e

Server = Callable[..., StreamlitServer]
LAPTOP = {"width": 1366, "height": 768}
SELF_COLUMNS = ("自评分", "自评说明")
RATING_COLUMNS = ("评分", "实际值", "评语")
GOAL_COLUMNS = ("目标值", "底线值", "挑战值")  # the manager's; 00104 is still in 目标制定


def _version(db, appraisal_id: str) -> int:
    return db.scalar("SELECT row_version FROM appraisals WHERE appraisal_id = ?", [appraisal_id])


def _through_midterm(db, appraisal_id: str, employee: auth.User, manager: auth.User) -> None:
    appraisal_edits.act(db, manager, appraisal_id, "approve_goals", version=_version(db, appraisal_id))
    appraisal_edits.add_checkin(db, employee, appraisal_id, "按计划推进")
    appraisal_edits.add_checkin(db, manager, appraisal_id, "继续保持")
    appraisal_edits.act(db, manager, appraisal_id, "finish_midterm", version=_version(db, appraisal_id))


@pytest.fixture
def fit_company(tmp_path: Path, access_company: Path) -> Path:
    """The fixture company in a Q4 2026 cycle: 00102 (worker) in 期末自评, 00103 self-assessed and waiting
    for head's rating (an account ``w103`` is made for them), 回款率 fed by finance for both."""
    path = tmp_path / "company.duckdb"
    copy_database(access_company, path)
    with open_database(path) as db:
        install_templates(db)
        hr, head, worker = (auth.get_user(db, name) for name in ("hr", "head", "worker"))
        other = auth.create_user(db, "fixture", "w103", PASSWORD, ["employee"], employee_id="00103")
        cycle_id = cycles.open_cycle(db, hr, kind="quarterly", year=2026, part=4).cycle_id
        for employee_id in ("00102", "00103"):
            appraisal_edits.record_actual(
                db, hr, employee_id, "T-PAY", 95, as_of=dt.date(2026, 10, 31), source="finance"
            )
        _through_midterm(db, f"{cycle_id}:00102", worker, head)
        rated = f"{cycle_id}:00103"
        _through_midterm(db, rated, other, head)
        items = [r["kpi_id"] for r in db.rows("SELECT kpi_id FROM appraisal_items WHERE appraisal_id = ?", [rated])]
        version = appraisal_edits.save_self(db, other, rated, own_rating(items, 95, comment="按计划完成"),
                                            version=_version(db, rated))  # fmt: skip
        appraisal_edits.act(db, other, rated, "submit_self", version=version)
    return path


def _laptop(browser: Browser) -> Page:
    context = browser.new_context(locale="zh-CN", viewport=LAPTOP)
    context.set_default_timeout(90_000)
    return context.new_page()


def _editor(page: Page) -> Locator:
    page.wait_for_function(
        "() => !document.querySelector('[data-stale=\"true\"]')"
        " && !document.querySelector('[data-testid=\"stStatusWidgetRunningIcon\"]')"
    )
    grid = page.locator('[data-testid="stDataFrame"]:visible').last
    grid.locator("canvas").first.wait_for()
    page.wait_for_timeout(800)  # the grid lays itself out
    return grid


def _headers(grid: Locator) -> list[str]:
    """The titles of the columns the grid drew, left to right (it draws only those in its viewport)."""
    return [h.strip() for h in grid.locator('[role="columnheader"]').all_inner_texts()]


def _assert_in_view(page: Page, grid: Locator, titles: tuple[str, ...], first: str = "指标") -> None:
    """The columns ``titles`` come right after the KPI's (``first``), and their header cells lie inside the browser window:
    the grid's canvas is inside it and the grid needs no sideways scrolling, so every column it has is in
    view (the header cells are drawn on the canvas; their accessible copies have no box of their own)."""
    grid.scroll_into_view_if_needed()
    shown = _headers(grid)
    assert shown[: len(titles) + 1] == [first, *titles], shown
    count = int(grid.locator('[role="grid"]').first.get_attribute("aria-colcount") or 0)
    assert len(shown) == count, (shown, count)  # every column drawn
    window = page.evaluate("() => window.innerWidth")
    canvas = grid.locator("canvas").first.bounding_box()
    assert canvas is not None and 0 <= canvas["x"] and canvas["x"] + canvas["width"] <= window, (canvas, window)
    scroll_width, client_width = grid.evaluate(
        "e => { const s = e.querySelector('.dvn-scroller'); return [s.scrollWidth, s.clientWidth] }"
    )
    assert scroll_width <= client_width, f"the grid is {scroll_width} px wide in {client_width} px: it scrolls"


def test_the_columns_to_fill_in_fit_a_1366_px_laptop(
    streamlit_server: Server, browser: Browser, fit_company: Path, tmp_path: Path
) -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing")
    server = streamlit_server(fit_company)

    worker = _laptop(browser)
    worker.goto(f"{server.url}/self_review")
    log_in(worker, "worker", PASSWORD)
    worker.get_by_role("heading", name="逐项自评").first.wait_for()
    grid = _editor(worker)
    grid.scroll_into_view_if_needed()
    worker.screenshot(path=str(tmp_path / "self_review-1366.png"))
    print(f"screenshot: {tmp_path / 'self_review-1366.png'}")
    _assert_in_view(worker, grid, SELF_COLUMNS)
    worker.context.close()

    head = _laptop(browser)
    head.goto(f"{server.url}/team_rating")
    log_in(head, "head", PASSWORD)
    head.get_by_label("评分对象").first.wait_for()
    grid = _editor(head)
    grid.scroll_into_view_if_needed()
    head.screenshot(path=str(tmp_path / "team_rating-1366.png"))
    print(f"screenshot: {tmp_path / 'team_rating-1366.png'}")
    _assert_in_view(head, grid, RATING_COLUMNS)

    head.get_by_test_id("stSidebar").get_by_role("link", name="目标制定", exact=True).click()
    head.get_by_text("你是直属上级").first.wait_for()
    grid = _editor(head)
    grid.scroll_into_view_if_needed()
    head.screenshot(path=str(tmp_path / "goals-1366.png"))
    print(f"screenshot: {tmp_path / 'goals-1366.png'}")
    _assert_in_view(head, grid, GOAL_COLUMNS, first="考核指标")
    head.context.close()


def test_the_uploader_speaks_chinese(
    streamlit_server: Server, browser: Browser, fit_company: Path, tmp_path: Path
) -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing")
    server = streamlit_server(fit_company)
    hr = _laptop(browser)
    hr.goto(f"{server.url}/data_import")
    log_in(hr, "hr", PASSWORD)
    uploader = hr.get_by_test_id("stFileUploader").first
    uploader.wait_for()
    hr.get_by_text("每个文件不超过 200 MB，可上传 XLSX、XLSM、XLS、CSV", exact=False).first.wait_for()
    uploader.screenshot(path=str(tmp_path / "uploader-1366.png"))
    print(f"screenshot: {tmp_path / 'uploader-1366.png'}")
    assert not hr.get_by_test_id("stFileUploaderDropzoneInstructions").is_visible()  # 200MB per file • …
    label = uploader.locator('button [data-testid="stMarkdownContainer"] p')
    assert label.evaluate("e => getComputedStyle(e, '::after').content") == '"选择文件"'
    assert label.evaluate("e => getComputedStyle(e).fontSize") == "0px"  # its own word, Upload, is not drawn
    hr.context.close()
