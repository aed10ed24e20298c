"""HR uploads a workbook whose header detection cannot read, maps its columns on the screen, imports it,
and the next file of the same shape imports without asking — in a real Chromium."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page

from core.db import open_database
from tests.conftest import PASSWORD, ensure_login
from tests.e2e.conftest import StreamlitServer, log_in
from tests.test_mapping import unknown_shape

pytestmark = pytest.mark.e2e

SETTLED = (
    "() => !document.querySelector('[data-stale=\"true\"]')"
    " && !document.querySelector('[data-testid=\"stStatusWidgetRunningIcon\"]')"
)
# the wizard's field → the option to pick (letter · header text of row 2)
CHOICES = {"工号": "A · 甲列", "姓名": "B · 乙列", "部门": "C · 丙列", "期间": "D · 丁列", "得分": "E · 戊列"}


def settle(page: Page) -> None:
    page.wait_for_timeout(300)
    page.wait_for_function(SETTLED)


def pick(page: Page, label: str, option: str) -> None:
    page.get_by_test_id("stSelectbox").filter(has=page.get_by_text(label, exact=True)).first.click()
    page.get_by_role("option", name=option, exact=True).first.click()
    settle(page)


def counts(db_path: Path) -> dict[str, int]:
    with open_database(db_path, read_only=True) as db:
        return {t: db.scalar(f"SELECT count(*) FROM {t}") for t in ("appraisals", "import_mappings", "import_batches")}


def upload(page: Page, path: Path) -> None:
    page.locator('input[type="file"]').set_input_files(str(path))
    page.get_by_test_id("stFileUploader").get_by_text(path.name).wait_for()
    page.get_by_role("button", name="开始导入").click()


def test_map_an_unknown_shape_then_the_next_file_imports_without_asking(
    streamlit_server: Callable[..., StreamlitServer], page: Page, tmp_path: Path
) -> None:
    first = unknown_shape(tmp_path / "一季度结果.xlsx", [91, 82, 73, 64], "2024Q1")
    second = unknown_shape(tmp_path / "二季度结果.xlsx", [60, 70, 80, 90], "2024Q2")
    db_path = tmp_path / "app.duckdb"
    with open_database(db_path) as db:
        ensure_login(db, "hr")
    server = streamlit_server(db_path)

    page.goto(f"{server.url}/data_import")
    log_in(page, "hr", PASSWORD)
    page.get_by_role("heading", name="数据导入").first.wait_for()

    # 1. detection cannot read the header: the file is refused and the sheet is shown as read
    upload(page, first)
    page.get_by_test_id("stAlert").filter(has_text="文件被拒收").first.wait_for(timeout=120_000)
    page.get_by_text("系统没能自动认出这个文件的表头").wait_for()
    page.get_by_text("系统没有在这个工作表里找到表头。").wait_for()
    preview = page.get_by_test_id("stDataFrame").filter(has_text="甲列").first
    preview.wait_for()
    settle(page)

    # 2. HR says the header is on row 2, which column is what, that row 3 is a note, and names it
    header_row = page.get_by_label("表头在第几行")
    header_row.fill("2")
    header_row.press("Enter")
    settle(page)
    for label, option in CHOICES.items():
        pick(page, label, option)
    skip = page.get_by_role("textbox", name="要跳过的行")
    skip.fill("3")
    skip.press("Enter")
    settle(page)
    name = page.get_by_role("textbox", name="对应关系名称")
    name.fill("季度结果表")
    name.press("Enter")
    settle(page)
    page.get_by_role("button", name="保存对应关系并导入").click()

    # 3. imported with the mapping: the new batch's report comes first
    page.get_by_test_id("stAlert").filter(has_text="已全部导入").first.wait_for(timeout=120_000)
    page.get_by_text("按已保存的对应关系「季度结果表」读取。").first.wait_for()
    settle(page)
    assert page.get_by_text("系统没能自动认出这个文件的表头").count() == 0
    values = dict(
        zip(
            page.get_by_test_id("stMetricLabel").all_inner_texts(),
            page.get_by_test_id("stMetricValue").all_inner_texts(),
            strict=True,
        )
    )
    assert values == {"读取行数": "4", "导入行数": "4", "拒绝行数": "0"}

    # 4. the next file of that shape: imported without asking
    upload(page, second)
    page.get_by_test_id("stAlert").filter(has_text="已全部导入").first.wait_for(timeout=120_000)
    page.get_by_role("heading", name="二季度结果.xlsx").first.wait_for()
    page.get_by_text("按已保存的对应关系「季度结果表」读取。").first.wait_for()
    settle(page)
    assert page.get_by_label("表头在第几行").count() == 0
    assert page.get_by_role("heading", name="一季度结果.xlsx").count() == 0  # only the new report is shown
    server.process.terminate()
    server.process.wait(timeout=20)
    assert counts(db_path) == {"appraisals": 8, "import_mappings": 1, "import_batches": 3}
    with open_database(db_path, read_only=True) as db:
        rows = db.rows(
            "SELECT a.employee_id, a.final_score FROM appraisals a JOIN cycles c USING (cycle_id)"
            " WHERE c.period = '2024-Q2'"
        )
    q2 = {r["employee_id"]: r["final_score"] for r in rows}
    assert q2 == {"00101": 60, "00102": 70, "00103": 80, "00104": 90}
