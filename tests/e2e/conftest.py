"""Shared fixtures for Playwright journeys: a real ``streamlit run serve.py`` server (app.py plus JiXiao's
cookie and download routes) and Debian's Chromium.

Journeys mark themselves ``pytestmark = pytest.mark.e2e``. They never download a browser (no
``playwright install``): they drive ``/usr/bin/chromium`` and skip, saying so, when it is missing.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SERVER_START_TIMEOUT_S = 90


@dataclass
class StreamlitServer:
    """A running ``streamlit run serve.py``: its base URL, database file and log."""

    url: str
    db_path: Path
    log_path: Path
    process: subprocess.Popen[bytes]

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until_healthy(server: StreamlitServer) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {server.process.returncode}:\n{server.log()}")
        try:
            with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"streamlit did not answer within {SERVER_START_TIMEOUT_S} s:\n{server.log()}")


def _stop(server: StreamlitServer) -> None:
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=10)


@pytest.fixture
def streamlit_server(tmp_path: Path) -> Iterator[Callable[..., StreamlitServer]]:
    """A factory: ``streamlit_server(db_path=None, env=None)`` starts the app on a free port against
    ``db_path`` (default: a new database in tmp) with extra environment variables, waits until it
    answers, and returns it. Every server started is stopped at the end of the test."""
    started: list[StreamlitServer] = []

    def start(db_path: Path | None = None, env: dict[str, str] | None = None) -> StreamlitServer:
        port = _free_port()
        db = db_path or tmp_path / f"app-{port}.duckdb"
        log_path = tmp_path / f"streamlit-{port}.log"
        environment = {**os.environ, "JIXIAO_DB": str(db), **(env or {})}
        command = [
            sys.executable, "-m", "streamlit", "run", "serve.py",
            "--server.headless", "true",
            "--server.address", "127.0.0.1",
            "--server.port", str(port),
            "--server.fileWatcherType", "none",
            "--browser.gatherUsageStats", "false",
        ]  # fmt: skip
        with open(log_path, "wb") as log:
            process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)
        server = StreamlitServer(f"http://127.0.0.1:{port}", db, log_path, process)
        started.append(server)
        _wait_until_healthy(server)
        return server

    yield start
    for server in started:
        _stop(server)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, launched by Playwright once per session."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (make test does) to run the journeys")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser page (Chinese locale, downloads accepted); closed after the test."""
    context = browser.new_context(locale="zh-CN", accept_downloads=True, viewport={"width": 1400, "height": 1000})
    # generous: the first screen after a server start imports polars, duckdb and pandera, and a loaded CI
    # machine takes its time
    context.set_default_timeout(90_000)
    page = context.new_page()
    yield page
    context.close()


def log_in(page: Page, username: str, password: str) -> None:
    """Fill in the login form the page shows and submit it; waits until the form is gone."""
    page.get_by_role("heading", name="登录 JiXiao 绩效").first.wait_for()
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("heading", name="登录 JiXiao 绩效").wait_for(state="detached")


def grid_rows(table: Locator) -> list[list[str]]:
    """The body rows of an st.dataframe, read from the grid's accessible table."""
    table.locator('[role="gridcell"]').first.wait_for(state="attached")  # the accessible table is not visible
    rows = table.locator('tbody [role="row"]')
    return [row.locator('[role="gridcell"]').all_inner_texts() for row in rows.all()]


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[pytest.TestReport]:
    """Keep each phase's report on the test item (``item.rep_call``), so a fixture can tell a failed journey."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


#: the browser pages a journey opened, for :func:`screenshots_on_failure` (each journey appends to it)
JOURNEY_PAGES: list[Page] = []


@pytest.fixture
def screenshots_on_failure(request: pytest.FixtureRequest, tmp_path: Path, streamlit_server: object) -> Iterator[None]:
    """Keep a screenshot of every browser page of a failed journey (in the test's tmp folder) for the log,
    taken while the server still runs (this fixture depends on it, so it is torn down first); then close
    them. A journey module uses it with ``pytestmark = pytest.mark.usefixtures("screenshots_on_failure")``."""
    JOURNEY_PAGES.clear()
    yield
    report = getattr(request.node, "rep_call", None)
    if report is None or report.failed:
        for i, page in enumerate(JOURNEY_PAGES):
            try:
                page.screenshot(path=str(tmp_path / f"page-{i}.png"), full_page=True)
                print(f"screenshot: {tmp_path / f'page-{i}.png'}")
            except Exception:  # a closed page has nothing to show
                pass
    for page in JOURNEY_PAGES:
        page.context.close()
    JOURNEY_PAGES.clear()
