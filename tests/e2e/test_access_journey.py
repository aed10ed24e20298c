"""Login, scope and safe output in a real Chromium: a manager's journey with a tampered URL, a reload and
a logout while another user works in a second browser; markup in names never becoming HTML; formula
cells in an Excel export coming out as text."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from core.db import copy_database, open_database
from tests.conftest import PASSWORD
from tests.e2e.conftest import StreamlitServer, grid_rows, log_in

pytestmark = pytest.mark.e2e

REFUSED = "你没有权限查看或操作这项内容。如需访问，请联系人力资源部开通权限。"
XSS = "<img src=x onerror=alert(1)>"
Server = Callable[..., StreamlitServer]


def new_browser(browser: Browser) -> tuple[BrowserContext, Page]:
    """A separate browser profile (its own cookies), as a second person's computer."""
    context = browser.new_context(locale="zh-CN", accept_downloads=True, viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(30_000)
    return context, context.new_page()


def people_ids(page: Page) -> list[str]:
    """The 工号 column of the 人员 table on 组织与人员."""
    table = page.get_by_test_id("stDataFrame").filter(has_text="工号").first
    return sorted(row[0] for row in grid_rows(table))


def session_cookie(context: BrowserContext) -> dict | None:
    return next((c for c in context.cookies() if c["name"] == "jixiao_session"), None)


@pytest.fixture
def company_copy(tmp_path: Path, access_company: Path) -> Path:
    path = tmp_path / "company.duckdb"
    copy_database(access_company, path)
    return path


def test_manager_sees_only_the_team_cannot_open_another_by_url_stays_logged_in_and_logs_out(
    streamlit_server: Server, browser: Browser, page: Page, company_copy: Path
) -> None:
    server = streamlit_server(company_copy)
    manager = page.context

    page.goto(server.url)
    log_in(page, "head", PASSWORD)
    page.get_by_role("heading", name="我的待办").first.wait_for()
    page.wait_for_url(f"{server.url}/my_tasks")  # the root opens the landing screen at its own URL
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text("当前用户：员工101（head）").wait_for()
    sidebar.get_by_text("角色：主管").wait_for()
    page.wait_for_function("() => document.cookie.includes('jixiao_session=')")  # set by the landing page
    cookie = session_cookie(manager)
    assert cookie and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    menu = [link.inner_text().splitlines()[-1] for link in sidebar.get_by_role("link").all()]  # after the icon
    assert menu == [
        "我的待办", "目标制定", "中期回顾", "自评", "我的绩效", "团队评分", "组织与人员", "指标库", "岗位模板", "变更审批", "绩效总览",
    ]  # fmt: skip

    # Another person logs in on another computer at the same time.
    other_context, other = new_browser(browser)
    other.goto(f"{server.url}/org")
    log_in(other, "bp", PASSWORD)
    other.get_by_role("heading", name="组织与人员").first.wait_for()
    other.wait_for_function("() => document.cookie.includes('jixiao_session=')")
    assert people_ids(other) == ["00201", "00202", "00203", "00204"]
    assert session_cookie(other_context)["value"] != cookie["value"]

    sidebar.get_by_role("link", name="组织与人员").click()
    page.get_by_role("heading", name="组织与人员").first.wait_for()
    assert people_ids(page) == ["00101", "00102", "00103", "00104"]  # only the team

    # Edit the URL to open another team's employee: core refuses, nothing of that person shows.
    page.goto(f"{server.url}/org?emp=00201")
    page.get_by_text(REFUSED).wait_for()
    assert "员工201" not in page.get_by_test_id("stMain").inner_text()
    # A screen the manager may not open, by URL: refused as well.
    page.goto(f"{server.url}/data_import")
    page.get_by_text(REFUSED).wait_for()
    page.get_by_role("heading", name="无权访问").first.wait_for()

    # A report's record, then a reload: still logged in (the cookie), still the same person's page.
    page.goto(f"{server.url}/org?emp=00102")
    page.get_by_role("heading", name="员工102").first.wait_for()
    page.reload()
    page.get_by_role("heading", name="员工102").first.wait_for()
    sidebar.get_by_text("当前用户：员工101（head）").wait_for()
    assert page.get_by_text("Page not found").count() == 0  # every screen answers at its own URL

    # The other browser still sees its own data, and never the manager's.
    other.reload()
    other.get_by_role("heading", name="组织与人员").first.wait_for()
    assert people_ids(other) == ["00201", "00202", "00203", "00204"]
    other.get_by_test_id("stSidebar").get_by_text("当前用户：bp").wait_for()

    # Log out: back to the login page, the cookie gone, and a reload does not bring the session back.
    sidebar.get_by_role("button", name="退出登录").click()
    page.get_by_role("heading", name="登录 JiXiao 绩效").first.wait_for()
    page.get_by_text("已退出登录。").wait_for()
    page.wait_for_function("() => !document.cookie.includes('jixiao_session=')")
    assert session_cookie(manager) is None
    page.reload()
    page.get_by_role("heading", name="登录 JiXiao 绩效").first.wait_for()
    page.goto(f"{server.url}/org?emp=00102")
    page.get_by_role("heading", name="登录 JiXiao 绩效").first.wait_for()
    assert "员工102" not in page.get_by_test_id("stMain").inner_text()

    # ... while the other person is still logged in.
    other.reload()
    other.get_by_role("heading", name="组织与人员").first.wait_for()
    other_context.close()


def test_markup_in_names_and_comments_never_becomes_html(
    streamlit_server: Server, page: Page, company_copy: Path
) -> None:
    with open_database(company_copy) as db, db.transaction() as cur:
        cur.execute("UPDATE employees SET name = ? WHERE employee_id = '00102'", [XSS])
        cur.execute("UPDATE users SET display_name = ? WHERE username = 'worker'", [XSS])
        appraisal = cur.execute("SELECT max(appraisal_id) FROM appraisals WHERE employee_id = '00102'").fetchone()[0]
        cur.execute(
            "INSERT INTO appraisal_items (appraisal_id, kpi_id, weight, manager_comment) VALUES (?, 'K1', 100, ?)",
            [appraisal, XSS],
        )
    server = streamlit_server(company_copy)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    page.goto(server.url)
    log_in(page, "worker", PASSWORD)
    page.get_by_role("heading", name="我的待办").first.wait_for()
    page.get_by_test_id("stSidebar").get_by_role("link", name="我的绩效").click()
    page.get_by_role("heading", name="我的绩效").first.wait_for()
    page.get_by_test_id("stSidebar").get_by_text(f"当前用户：{XSS}（worker）").wait_for()
    page.get_by_text(f"{XSS} · 工号 00102").wait_for()
    items = page.get_by_test_id("stDataFrame").nth(1)
    assert [row[-1] for row in grid_rows(items)] == [XSS]  # the manager's comment, as text

    page.get_by_test_id("stSidebar").get_by_role("button", name="退出登录").click()
    log_in(page, "head", PASSWORD)
    page.goto(f"{server.url}/org?emp=00102")
    page.get_by_role("heading", name=XSS).first.wait_for()  # the title reads exactly the name
    page.goto(f"{server.url}/org")
    page.get_by_role("heading", name="组织与人员").first.wait_for()
    assert XSS in [row[1] for row in grid_rows(page.get_by_test_id("stDataFrame").first)]

    assert page.locator('img[src="x"]').count() == 0
    assert page.evaluate("() => document.querySelectorAll('img[onerror]').length") == 0
    assert dialogs == []


FORMULAS = {
    "00102": "=1+1",
    "00103": "+SUM(A1:A2)",
    "00104": "-2+3",
    "00201": "@SUM(A1)",
    "00202": "\t=1+2",
    "00203": "\r=1+3",
    "00204": "\n=1+4",
}


def test_excel_export_from_a_page_neutralises_formula_cells(
    streamlit_server: Server, page: Page, company_copy: Path, tmp_path: Path
) -> None:
    with open_database(company_copy) as db, db.transaction() as cur:
        for employee_id, name in FORMULAS.items():
            cur.execute("UPDATE employees SET name = ? WHERE employee_id = ?", [name, employee_id])
    server = streamlit_server(company_copy)
    page.goto(f"{server.url}/org")
    log_in(page, "hr", PASSWORD)
    page.get_by_role("heading", name="组织与人员").first.wait_for()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="下载 Excel").first.click()
    download = download_info.value
    assert download.suggested_filename == "人员名单.xlsx"
    saved = tmp_path / "people.xlsx"
    download.save_as(saved)
    sheet = openpyxl.load_workbook(saved).active
    header, *rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert header[:2] == ["工号", "姓名"]
    # OOXML stores a carriage return as _x000D_ (Excel shows a CR); openpyxl leaves the escape as it is.
    names = {row[0]: row[1].replace("_x000D_", "\r") for row in rows}
    for employee_id, formula in FORMULAS.items():
        assert names[employee_id] == "'" + formula, employee_id
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)  # no formula cell at all

    # The download is in the audit trail.
    page.get_by_test_id("stSidebar").get_by_role("link", name="审计日志").click()
    page.get_by_role("heading", name="审计日志").first.wait_for()
    export_row = page.get_by_test_id("stDataFrame").locator('[role="row"]', has_text="人员名单.xlsx")
    export_row.filter(has_text="导出数据").filter(has_text="hr").first.wait_for(state="attached")
