"""HR logs in, uploads a workbook with bad rows, reads the report, and downloads it as Excel — in a real Chromium."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from core.db import open_database
from tests.conftest import PASSWORD, ensure_login
from tests.e2e.conftest import StreamlitServer, grid_rows, log_in
from tests.workbooks import write_workbook_with_bad_rows

pytestmark = pytest.mark.e2e

# What the pipeline says about each bad row of write_workbook_with_bad_rows, by Excel row.
EXPECTED_REASON_WORDS = {3: "数字", 5: "考核期间"}


def test_upload_with_bad_rows_report_and_download(
    streamlit_server: Callable[..., StreamlitServer], page: Page, tmp_path: Path
) -> None:
    workbook, good, bad = write_workbook_with_bad_rows(tmp_path / "2022年一季度考核.xlsx")
    db_path = tmp_path / "app.duckdb"
    with open_database(db_path) as db:
        ensure_login(db, "hr")
    server = streamlit_server(db_path)

    # The first request after the server starts is a page's own URL (a bookmark): it asks to log in
    # first, then comes up inside the app's navigation, with its sections and the language switch.
    page.goto(f"{server.url}/org")
    log_in(page, "hr", PASSWORD)
    page.get_by_role("heading", name="组织与人员").first.wait_for()
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text("人力资源", exact=True).wait_for()
    sidebar.get_by_text("语言 / Language").wait_for()
    page.get_by_text("还没有组织数据").wait_for()

    sidebar.get_by_role("link", name="数据导入").click()
    page.get_by_role("heading", name="数据导入").first.wait_for()
    page.get_by_text("还没有导入记录").wait_for()

    page.locator('input[type="file"]').set_input_files(str(workbook))
    page.get_by_test_id("stFileUploader").get_by_text(workbook.name).wait_for()  # uploaded before submitting
    page.get_by_role("button", name="开始导入").click()
    # the status shows in the progress bar first, then in the report's alert
    page.get_by_test_id("stAlert").filter(has_text="部分导入（有被拒绝的行）").wait_for(timeout=120_000)

    metrics = page.get_by_test_id("stMetric")
    metrics.nth(2).wait_for()
    assert metrics.count() == 3
    values = dict(zip(metrics.get_by_test_id("stMetricLabel").all_inner_texts(),
                      metrics.get_by_test_id("stMetricValue").all_inner_texts(), strict=True))  # fmt: skip
    assert values == {"读取行数": "6", "导入行数": str(good), "拒绝行数": "2"}

    # The report's rejected rows: sheet, row, column, value, reason
    # the new report first, then the same rows again under the history's picker (the newest batch)
    expect(page.get_by_text("被拒绝的行（2）")).to_have_count(2)
    page.get_by_text("被拒绝的行（2）").first.wait_for()
    rejects = page.get_by_test_id("stDataFrame").first  # the report comes before the history
    rejects.locator('[role="gridcell"]').first.wait_for(state="attached")  # the grid's accessible table is not visible
    assert rejects.locator('[role="columnheader"]').all_inner_texts() == ["工作表", "行号", "列", "值", "原因"]
    shown = {int(r[1]): r for r in grid_rows(rejects)}
    assert sorted(shown) == [b.excel_row for b in bad]
    for b in bad:
        sheet, _, column, value, reason = shown[b.excel_row]
        assert (sheet, column, value) == ("2022年Q1", b.column, b.value)
        assert EXPECTED_REASON_WORDS[b.excel_row] in reason

    # The whole report as Excel
    with page.expect_download() as download_info:
        page.get_by_role("link", name="下载导入结果（Excel）").click()  # served by /_jixiao/download/<ticket>
    download = download_info.value
    assert download.suggested_filename == "2022年一季度考核-导入结果.xlsx"
    saved = tmp_path / "report.xlsx"
    download.save_as(saved)
    book = openpyxl.load_workbook(io.BytesIO(saved.read_bytes()))
    sheet = book["被拒绝的行"]
    header, *rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert header == ["工作表", "行号", "列", "值", "原因"]
    assert sorted(r[1] for r in rows) == [b.excel_row for b in bad]
    for r in rows:
        assert EXPECTED_REASON_WORDS[r[1]] in r[4]
    summary = {r[0].value: r[1].value for r in book["导入结果"].iter_rows(min_row=2)}
    assert summary["文件"] == "2022年一季度考核.xlsx" and summary["拒绝行数"] == "2"

    # And the import history lists the upload
    page.get_by_role("heading", name="导入记录").first.wait_for()  # a rerun may briefly show it twice
    history = page.get_by_test_id("stDataFrame").filter(has_text="导入时间")
    # (a rerun may redraw the table: wait for the drawn rows rather than read the old ones)
    history.locator('[role="gridcell"]', has_text="2022年一季度考核.xlsx").first.wait_for(state="attached")
