"""Login, scope and safe output in a real Chromium: a manager's journey with a tampered URL, a reload and
a logout while another user works in a second browser, with the session cookie HttpOnly and set by the
server; markup in names never becoming HTML; formula cells in an Excel export coming out as text; a
download link that works only for the session that asked for it, until logout or expiry."""

from __future__ import annotations

import re
import time
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


def wait_for_session_cookie(context: BrowserContext, *, present: bool = True, timeout_s: float = 30) -> dict | None:
    """The session cookie once the server has set it (or None once it has cleared it): the page posts its
    one-time grant right after login or logout."""
    deadline = time.monotonic() + timeout_s
    while (session_cookie(context) is not None) != present:
        assert time.monotonic() < deadline, f"the session cookie is {'missing' if present else 'still there'}"
        time.sleep(0.1)
    return session_cookie(context)


def assert_the_page_never_holds_the_token(page: Page, token: str) -> None:
    """The HttpOnly cookie: page script cannot read it, and no script or markup of the page carries it."""
    assert "jixiao_session" not in page.evaluate("() => document.cookie")
    html = page.content()
    assert token not in html and "document.cookie" not in html


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
    cookie = wait_for_session_cookie(manager)  # set by the server for the landing page's grant
    assert cookie and cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    assert not cookie["secure"] and cookie["expires"] == -1  # plain HTTP here; lives until the browser closes
    assert_the_page_never_holds_the_token(page, cookie["value"])
    menu = [link.inner_text().splitlines()[-1] for link in sidebar.get_by_role("link").all()]  # after the icon
    assert menu == [
        "我的待办", "目标制定", "中期回顾", "自评", "结果确认", "我的绩效", "电子档案", "团队评分", "组织与人员", "指标库", "岗位模板",
        "变更审批", "绩效总览",
    ]  # fmt: skip

    # Another person logs in on another computer at the same time.
    other_context, other = new_browser(browser)
    other.goto(f"{server.url}/org")
    log_in(other, "bp", PASSWORD)
    other.get_by_role("heading", name="组织与人员").first.wait_for()
    other_cookie = wait_for_session_cookie(other_context)
    assert people_ids(other) == ["00201", "00202", "00203", "00204"]
    assert other_cookie["httpOnly"] and other_cookie["value"] != cookie["value"]

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
    assert wait_for_session_cookie(manager, present=False) is None  # cleared by the server
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


TICKET_LINK = re.compile(r"/_jixiao/download/[A-Za-z0-9_-]{43}")
FORMULAS = {
    "00102": "=1+1",
    "00103": "+SUM(A1:A2)",
    "00104": "-2+3",
    "00201": "@SUM(A1)",
    "00202": "\t=1+2",
    "00203": "\r=1+3",
    "00204": "\n=1+4",
}


def test_excel_download_neutralises_formulas_and_works_only_for_its_session(
    streamlit_server: Server, browser: Browser, page: Page, company_copy: Path, tmp_path: Path
) -> None:
    with open_database(company_copy) as db, db.transaction() as cur:
        for employee_id, name in FORMULAS.items():
            cur.execute("UPDATE employees SET name = ? WHERE employee_id = ?", [name, employee_id])
    server = streamlit_server(company_copy)
    page.goto(f"{server.url}/org")
    log_in(page, "hr", PASSWORD)
    page.get_by_role("heading", name="组织与人员").first.wait_for()
    cookie = wait_for_session_cookie(page.context)
    link = page.get_by_role("link", name="下载 Excel").first
    href = link.get_attribute("href")
    assert href and TICKET_LINK.fullmatch(href), href  # the ticket is the link's only variable part
    assert "人员名单" not in link.evaluate("a => a.outerHTML")  # the file's name travels in a header
    with page.expect_download() as download_info:
        link.click()
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

    # The same link from another person's browser, logged in to their own session: refused.
    url = server.url + href
    other_context, other = new_browser(browser)
    other.goto(f"{server.url}/org")
    log_in(other, "bp", PASSWORD)
    other.get_by_role("heading", name="组织与人员").first.wait_for()
    bp_cookie = wait_for_session_cookie(other_context)
    refused = other.goto(url)
    assert refused is not None and refused.status == 403
    assert refused.headers["cache-control"] == "no-store"
    assert "此链接只对申请它的登录有效" in refused.text()
    # ... and from a browser nobody logged in to.
    anonymous_context, anonymous = new_browser(browser)
    assert anonymous.goto(url).status == 403
    anonymous_context.close()
    # bp's own link with bp's cookie copied into another browser (another User-Agent): refused, and the
    # stolen session ends.
    other.goto(f"{server.url}/org")
    other.get_by_role("heading", name="组织与人员").first.wait_for()
    bp_link = server.url + other.get_by_role("link", name="下载 Excel").first.get_attribute("href")
    thief = browser.new_context(user_agent="Mozilla/5.0 (X11; Linux x86_64) Thief/1.0", locale="zh-CN")
    thief.add_cookies([bp_cookie])
    assert thief.new_page().goto(bp_link).status == 403
    thief.close()
    other.reload()
    other.get_by_role("heading", name="登录 JiXiao 绩效").first.wait_for()
    other_context.close()

    # The download is in the audit trail, once: refusals serve nothing.
    page.get_by_test_id("stSidebar").get_by_role("link", name="审计日志").click()
    page.get_by_role("heading", name="审计日志").first.wait_for()
    export_rows = page.get_by_test_id("stDataFrame").locator('[role="row"]', has_text="人员名单.xlsx")
    export_rows.filter(has_text="导出数据").filter(has_text="hr").first.wait_for(state="attached")
    assert export_rows.count() == 1

    # After logout the link is dead (logout forgets the session's links), even with the old cookie put back.
    page.get_by_test_id("stSidebar").get_by_role("button", name="退出登录").click()
    page.get_by_role("heading", name="登录 JiXiao 绩效").first.wait_for()
    wait_for_session_cookie(page.context, present=False)
    page.context.add_cookies([cookie])
    after_logout = page.goto(url)
    assert after_logout is not None and after_logout.status == 404
    assert "此下载链接已失效" in after_logout.text()


def test_a_download_link_expires(streamlit_server: Server, page: Page, company_copy: Path) -> None:
    server = streamlit_server(company_copy, env={"JIXIAO_DOWNLOAD_MINUTES": "0.1"})  # six seconds
    page.goto(f"{server.url}/org")
    log_in(page, "hr", PASSWORD)
    page.get_by_role("heading", name="组织与人员").first.wait_for()
    wait_for_session_cookie(page.context)
    href = page.get_by_role("link", name="下载 Excel").first.get_attribute("href")
    time.sleep(7)  # the page does not rerun meanwhile: nothing renews the link
    gone = page.context.new_page().goto(server.url + href)
    assert gone is not None and gone.status == 404 and gone.headers["cache-control"] == "no-store"
    assert "此下载链接已失效" in gone.text()
    # The next rerun shows a new link, which works.
    search = page.get_by_label("搜索工号或姓名")
    search.fill("00")
    search.press("Enter")
    fresh = page.get_by_role("link", name="下载 Excel").first
    page.wait_for_function("old => !document.querySelector(`a[href='${old}']`)", arg=href)
    with page.expect_download() as download_info:
        fresh.click()
    assert download_info.value.suggested_filename == "人员名单.xlsx"
