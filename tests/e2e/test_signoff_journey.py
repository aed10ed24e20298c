"""Sign-off in a real Chromium, each party in their own browser: the employee, on a 390 × 844 phone, finds
the 签字确认 task on 我的待办 and confirms the result on 结果确认 with their password; the manager confirms
on a laptop and downloads the signed PDF; the employee downloads it from 电子档案; HR closes the cycle
(asked first). On the phone, 我的待办, 结果确认, 我的绩效 and 自评 never need sideways scrolling and the
confirm button lies inside the screen's width. Then the database is checked with the server stopped.
Screenshots of failed runs are kept in the test's tmp folder."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from core import appraisal_edits, auth, calibration, cycles, signoff
from core.auth import get_user
from core.db import copy_database, open_database
from tests.conftest import PASSWORD
from tests.cycles import install_templates
from tests.e2e.conftest import CHROMIUM, JOURNEY_PAGES, StreamlitServer, _stop, log_in
from tests.test_cycle_hr_pages import dept_id, to_calibration, to_self_assessment

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("screenshots_on_failure")]

Server = Callable[..., StreamlitServer]
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1400, "height": 1000}
WORKER = "00102"
CYCLE = "2026年第四季度考核"
# the page's width and its main scroll area's: neither may scroll sideways
WIDTHS = (
    "() => { const m = document.querySelector('[data-testid=\"stMain\"]');"
    " return [document.documentElement.scrollWidth, m.scrollWidth, m.clientWidth] }"
)
SETTLED = (
    "() => !document.querySelector('[data-stale=\"true\"]')"
    " && !document.querySelector('[data-testid=\"stStatusWidgetRunningIcon\"]')"
)


def version(db, appraisal_id: str) -> int:
    return db.scalar("SELECT row_version FROM appraisals WHERE appraisal_id = ?", [appraisal_id])


@pytest.fixture
def signoff_company(tmp_path: Path, access_company: Path) -> Path:
    """生产部's Q4 2026 pilot calibrated and in 签字确认; 00103 and 00104 confirmed by themselves and their
    manager already (accounts w103, w104), so 00102's is the last; and a 2027 H1 pilot in which 00102 is
    in 期末自评 (so 自评 has its editor on the phone)."""
    path = tmp_path / "company.duckdb"
    copy_database(access_company, path)
    # built on a thread of its own: pyHanko signs through asyncio.run, which refuses to run on a thread
    # where Playwright's sync API keeps its event loop
    with ThreadPoolExecutor(1) as worker:
        worker.submit(build_signoff_company, path).result()
    return path


def build_signoff_company(path: Path) -> None:
    with open_database(path) as db:
        install_templates(db)
        hr = get_user(db, "hr")
        production = dept_id(db, "生产部")
        q4 = cycles.open_cycle(db, hr, kind="quarterly", year=2026, part=4, dept_ids=[production]).cycle_id
        for employee_id, (manual, output) in zip(("00102", "00103", "00104"), ((85, 110), (10, 80), (10, 80)),
                                                 strict=True):  # fmt: skip
            if employee_id != WORKER:
                auth.create_user(db, "fixture", f"w{employee_id[-3:]}", PASSWORD, ["employee"], employee_id=employee_id)
            to_calibration(db, f"{q4}:{employee_id}", manual=manual, output=output)
        calibration.finalise_department(db, hr, q4, production)
        for employee_id in ("00103", "00104"):
            appraisal_id = f"{q4}:{employee_id}"
            for username in (f"w{employee_id[-3:]}", "head"):
                signoff.confirm(db, get_user(db, username), appraisal_id, PASSWORD, version=version(db, appraisal_id))
        h1 = cycles.open_cycle(db, hr, kind="half_year", year=2027, part=1, dept_ids=[production]).cycle_id
        to_self_assessment(db, f"{h1}:{WORKER}")
        appraisal_edits.record_actual(db, hr, WORKER, "T-PAY", 95, as_of=cycles_day(db, h1), source="finance")


def cycles_day(db, cycle_id: str):
    return db.scalar("SELECT period_start FROM cycles WHERE cycle_id = ?", [cycle_id])


def browser_page(browser: Browser, viewport: dict[str, int], *, phone: bool = False) -> Page:
    options = {"is_mobile": True, "has_touch": True, "device_scale_factor": 3} if phone else {}
    context = browser.new_context(locale="zh-CN", viewport=viewport, accept_downloads=True, **options)
    context.set_default_timeout(90_000)
    page = context.new_page()
    JOURNEY_PAGES.append(page)
    return page


def settle(page: Page) -> None:
    page.wait_for_timeout(300)
    page.wait_for_function(SETTLED)


def fits_the_phone(page: Page, screen: str, tmp_path: Path) -> None:
    """No sideways scrolling on the page or in its main area (the grids scroll inside themselves)."""
    settle(page)
    page.wait_for_timeout(800)  # grids and columns lay themselves out
    page.screenshot(path=str(tmp_path / f"{screen}-390.png"))
    print(f"screenshot: {tmp_path / f'{screen}-390.png'}")
    document, main, visible = page.evaluate(WIDTHS)
    print(f"{screen} at {PHONE['width']} px: page {document} px, main area {main} of {visible} px")
    assert document <= PHONE["width"], f"{screen}: the page is {document} px wide on a {PHONE['width']} px phone"
    assert main <= visible, f"{screen}: the main area is {main} px wide in {visible} px: it scrolls sideways"


def open_screen(page: Page, server: StreamlitServer, url: str, title: str) -> None:
    page.goto(f"{server.url}/{url}")
    page.get_by_role("heading", name=title).first.wait_for()
    settle(page)


def download(page: Page, button: str, tmp_path: Path, name: str) -> bytes:
    with page.expect_download() as info:
        page.get_by_role("button", name=button).first.click()
    target = tmp_path / name
    info.value.save_as(target)
    return target.read_bytes()


def test_both_confirm_both_download_the_pdf_and_hr_closes_the_cycle(
    streamlit_server: Server, browser: Browser, signoff_company: Path, tmp_path: Path
) -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing")
    server = streamlit_server(signoff_company)

    # 1. The employee, on a phone, finds the task on 我的待办 and opens 结果确认 from it.
    worker = browser_page(browser, PHONE, phone=True)
    worker.goto(server.url)
    log_in(worker, "worker", PASSWORD)
    worker.get_by_role("heading", name="我的待办").first.wait_for()
    fits_the_phone(worker, "my_tasks", tmp_path)
    worker.get_by_role("button", name="去处理：签字确认 · 员工102").click()
    worker.get_by_role("heading", name="结果确认").first.wait_for()
    worker.get_by_text("考核结果明细").first.wait_for()
    fits_the_phone(worker, "signoff", tmp_path)

    # 2. The confirm button is inside the phone's width; the employee confirms with their password.
    confirm = worker.get_by_role("button", name="确认结果")
    confirm.scroll_into_view_if_needed()
    box = confirm.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    worker.get_by_label("登录密码").fill(PASSWORD)
    confirm.click()
    worker.get_by_text(f"以员工身份确认「{CYCLE}」的考核结果").first.wait_for()
    worker.get_by_text("现在等待直属上级确认").first.wait_for()

    # 3. 我的绩效 and 自评 on the phone.
    open_screen(worker, server, "my_record", "我的绩效")
    fits_the_phone(worker, "my_record", tmp_path)
    open_screen(worker, server, "self_review", "自评")
    worker.get_by_role("heading", name="逐项自评").first.wait_for()
    fits_the_phone(worker, "self_review", tmp_path)
    submit = worker.get_by_role("button", name="提交自评")
    submit.scroll_into_view_if_needed()
    box = submit.bounding_box()
    assert box is not None and box["x"] + box["width"] <= PHONE["width"], box

    # 4. The manager confirms on a laptop: both have now confirmed, and the signed PDF downloads.
    head = browser_page(browser, LAPTOP)
    head.goto(server.url)
    log_in(head, "head", PASSWORD)
    head.get_by_role("heading", name="我的待办").first.wait_for()
    head.get_by_role("button", name="去处理：签字确认 · 员工102").click()
    head.get_by_role("heading", name="结果确认").first.wait_for()
    head.get_by_text("员工：员工102 于").first.wait_for()
    head.get_by_label("登录密码").fill(PASSWORD)
    head.get_by_role("button", name="确认结果").click()
    head.get_by_text("双方都已确认").first.wait_for()
    pdf = download(head, "下载签名 PDF", tmp_path, "head.pdf")
    assert pdf[:5] == b"%PDF-", pdf[:20]

    # 5. The employee downloads the same PDF from 电子档案 on the phone.
    open_screen(worker, server, "archive", "电子档案")
    worker.get_by_text("核对结果：✓ 完好").first.wait_for()
    mine = download(worker, "下载这份 PDF", tmp_path, "worker.pdf")
    assert mine[:5] == b"%PDF-" and mine == pdf

    # 6. HR closes the cycle: every appraisal is confirmed, HR is asked first.
    hr = browser_page(browser, LAPTOP)
    hr.goto(f"{server.url}/archive")
    log_in(hr, "hr", PASSWORD)
    hr.get_by_role("heading", name="电子档案").first.wait_for()
    hr.get_by_label("考核周期").first.click()
    hr.get_by_role("option", name=f"{CYCLE}（C-2026-Q4）").first.click()
    settle(hr)
    hr.get_by_text("每份考核都已确认或处理完毕").first.wait_for()
    hr.get_by_role("button", name="关闭周期").click()
    settle(hr)
    hr.get_by_text(f"确定关闭「{CYCLE}」吗").first.wait_for()
    hr.get_by_role("button", name="确认", exact=True).click()
    hr.get_by_text(f"「{CYCLE}」已关闭").first.wait_for()

    _stop(server)
    with open_database(signoff_company) as db:
        stages = db.rows("SELECT employee_id, stage FROM appraisals WHERE cycle_id = 'C-2026-Q4' ORDER BY 1")
        confirmed = db.rows(
            "SELECT party, actor FROM signoff_confirmations WHERE appraisal_id = ? ORDER BY confirmed_at",
            [f"C-2026-Q4:{WORKER}"],
        )
        closed = db.one("SELECT closed_by, close_reason FROM cycles WHERE cycle_id = 'C-2026-Q4'")
        actions = [r["action"] for r in db.rows("SELECT action FROM signoff_ledger ORDER BY seq")]
        document = db.one("SELECT path, pdf_sha256 FROM signoff_documents WHERE appraisal_id = ?",
                          [f"C-2026-Q4:{WORKER}"])  # fmt: skip
    assert [r["stage"] for r in stages] == ["closed"] * 3
    assert confirmed == [{"party": "employee", "actor": "worker"}, {"party": "manager", "actor": "head"}]
    assert closed == {"closed_by": "hr", "close_reason": None}
    assert actions[-1] == "cycle_closed" and actions.count("pdf_issued") == 3
    assert document["path"] == f"{WORKER}/C-2026-Q4.pdf"
    assert hashlib.sha256(pdf).hexdigest() == document["pdf_sha256"]  # the file downloaded is the one filed
