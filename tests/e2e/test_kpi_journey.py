"""A template change through the screens in a real Chromium: the department head edits the weights of
their position's template for next quarter and files the request (and decides step 1), the HRBP and the
VP approve in turn, each in their own login, and the template screen shows the new version and its history."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page

from core.db import copy_database, open_database
from core.kpi import quarter_start
from tests.conftest import PASSWORD
from tests.e2e.conftest import StreamlitServer, grid_rows, log_in
from tests.test_kpi_pages import add_kpi_library, head_position

pytestmark = pytest.mark.e2e

Server = Callable[..., StreamlitServer]
HEADER_HEIGHT = 35
ROW_HEIGHT = 35


@pytest.fixture
def kpi_company(tmp_path: Path, access_company: Path) -> Path:
    """The fixture company with a small library, the head's template and the approvers (tests/test_kpi_pages.py)."""
    path = tmp_path / "company.duckdb"
    copy_database(access_company, path)
    add_kpi_library(path)
    return path


def log_out(page: Page) -> None:
    page.get_by_test_id("stSidebar").get_by_role("button", name="退出登录").click()
    page.get_by_role("heading", name="登录 JiXiao 绩效").first.wait_for()


def set_weight(page: Page, row: int, value: str) -> None:
    """Type a weight into the editor: select the row's KPI cell, move right to the weight and type."""
    canvas = page.locator('[data-testid="stDataFrame"]:visible').first.locator("canvas").first
    canvas.wait_for()
    page.wait_for_timeout(500)  # the grid lays itself out after the tab opens
    box = canvas.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 120, box["y"] + HEADER_HEIGHT + ROW_HEIGHT * row + ROW_HEIGHT / 2)
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")  # opens the cell's editor
    cell_input = page.locator("#portal textarea, #portal input").first
    cell_input.wait_for()
    cell_input.fill(value)
    cell_input.press("Enter")
    cell_input.wait_for(state="detached")


def approve_first_in_queue(page: Page, change_id: str, *, last: bool) -> None:
    page.get_by_role("heading", name="变更审批").first.wait_for()
    page.get_by_text(change_id).first.wait_for(state="attached")  # in the grid's accessible table, which is hidden
    page.get_by_role("button", name="通过", exact=True).click()
    page.get_by_text(f"确认通过申请 {change_id}").wait_for()
    page.get_by_role("button", name="确认", exact=True).click()
    done = f"申请 {change_id} 已通过最后一步，变更已生效。" if last else f"已通过申请 {change_id}。"
    page.get_by_text(done).wait_for()


def test_head_proposes_weights_hrbp_and_vp_approve_template_shows_new_version(
    streamlit_server: Server, page: Page, kpi_company: Path
) -> None:
    with open_database(kpi_company) as db:
        position = head_position(db)
    next_quarter = quarter_start(quarter_start(dt.date.today()) + dt.timedelta(days=100)).isoformat()
    server = streamlit_server(kpi_company)

    # 1. The head of 生产部 edits next quarter's weights of their own position and files the request.
    page.goto(f"{server.url}/templates?position={position}")
    log_in(page, "head", PASSWORD)
    page.get_by_role("heading", name="岗位模板").first.wait_for()
    page.get_by_role("tab", name="调整模板").click()
    page.get_by_text("检查通过").wait_for()
    set_weight(page, 0, "35")  # 产量达成率 40 → 35
    page.get_by_text("权重合计为 95，应为 100").wait_for()  # the live check
    set_weight(page, 2, "25")  # 督办事项按时完成率 20 → 25
    page.get_by_text("检查通过").wait_for()
    page.get_by_label("变更理由").fill("加大督办事项的考核比重")
    page.get_by_role("button", name="提交模板变更申请").click()
    filed = page.get_by_text(re.compile(r"已提交变更申请 CHG-\d{8}-\d{5}"))
    filed.wait_for()
    change_id = re.search(r"CHG-\d{8}-\d{5}", filed.inner_text()).group(0)

    # ... which they may not decide themself: their own manager decides step 1.
    page.get_by_test_id("stSidebar").get_by_role("link", name="变更审批").click()
    page.get_by_role("heading", name="变更审批").first.wait_for()
    assert page.get_by_role("button", name="通过").count() == 0
    log_out(page)
    page.goto(f"{server.url}/kpi_changes")
    log_in(page, "director", PASSWORD)
    approve_first_in_queue(page, change_id, last=False)
    log_out(page)

    # 2. The HRBP of 生产部 approves step 2.
    page.goto(f"{server.url}/kpi_changes")
    log_in(page, "bp2", PASSWORD)
    approve_first_in_queue(page, change_id, last=False)
    log_out(page)

    # 3. The VP approves step 3: the change takes effect.
    page.goto(f"{server.url}/kpi_changes")
    log_in(page, "vp", PASSWORD)
    approve_first_in_queue(page, change_id, last=True)

    # The template shows the new version from next quarter and the request in its history.
    page.goto(f"{server.url}/templates?position={position}")
    page.get_by_role("heading", name="岗位模板").first.wait_for()
    page.get_by_role("tab", name="历史版本").click()
    versions = page.locator('[data-testid="stDataFrame"]:visible').first
    rows = grid_rows(versions)
    assert [row[:2] for row in rows] == [["2", next_quarter], ["1", quarter_start(dt.date.today()).isoformat()]]
    assert change_id in rows[0]  # the version says which request made it
    page.get_by_role("tab", name="变更记录").click()
    history = page.locator('[data-testid="stDataFrame"]:visible').first
    (entry,) = grid_rows(history)
    assert entry[0] == change_id and "已生效" in entry and "head" in entry
