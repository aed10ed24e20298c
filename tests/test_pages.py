"""AppTest of every screen through app.py, logged in as HR: empty states, the fixture company, uploads,
and English. Who may see what is tested in test_access_pages.py."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from pipelines.sniff import MAX_FILE_MB
from tests.apptest import StartApp, all_text, open_page
from tests.workbooks import fixture_people, write_roster, write_workbook_with_bad_rows

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")

# Widgets whose options are the app's own words (other option lists hold data, such as department names).
FIXED_OPTIONS = {"data_import.source", "overview.kind", "overview.measure"}


def chrome(at: AppTest) -> list[str]:
    """Every label the app itself writes: titles, headers, widget labels and options, metric labels, tabs,
    table column titles, info boxes. Data values (department names …) are not included, nor the language
    switch, which is labelled in both languages on purpose."""
    out = [e.value for e in (*at.title, *at.header, *at.subheader, *at.info)]
    for kind in (
        "selectbox",
        "radio",
        "text_input",
        "toggle",
        "button",
        "link_button",
        "file_uploader",
        "multiselect",
        "checkbox",
        "date_input",
    ):
        out += [w.label for w in at.get(kind) if getattr(w, "key", None) != "ui.lang"]
    for kind in ("selectbox", "button_group"):
        out += [str(o) for w in at.get(kind) if w.key in FIXED_OPTIONS for o in w.options]
    out += [m.label for m in at.metric]
    out += [tab.label for tab in at.tabs]
    out += [str(c) for df in at.dataframe for c in df.value.columns]
    return [s for s in out if s]


def table_with(at: AppTest, column: str) -> pd.DataFrame:
    """The one table on the page that has ``column``."""
    (found,) = [df.value for df in at.dataframe if column in df.value.columns]
    return found


# -- app shell and empty database -------------------------------------------------------------


def test_hr_without_a_record_lands_on_my_tasks_with_sidebar_switch_and_account(
    start_app: StartApp, db_path: Path
) -> None:
    at = start_app(db_path)
    assert [t.value for t in at.title] == ["我的待办"]
    switch = at.sidebar.radio[0]
    assert switch.key == "ui.lang" and switch.options == ["中文", "English"] and switch.value == "zh-CN"
    assert [x.value for x in at.sidebar.text] == ["当前用户：hr", "角色：人力资源管理员"]
    assert at.sidebar.button(key="auth.logout").label == "退出登录"
    open_page(at, "pages/data_import.py")
    uploader = at.file_uploader[0]
    assert uploader.accept_multiple_files
    # the limit the pipeline enforces (JIXIAO_MAX_UPLOAD_MB) is the uploader's, and said in Chinese below it
    assert uploader.proto.max_upload_size_mb == round(MAX_FILE_MB)
    assert f"每个文件不超过 {MAX_FILE_MB:g} MB，可上传 XLSX、XLSM、XLS、CSV；也可以把文件拖到上面的框里。" in [
        c.value for c in at.caption
    ]
    assert at.selectbox(key="data_import.source").options == ["自动识别", "历史考核表", "花名册", "指标库与岗位模板"]
    assert "还没有导入记录" in at.info[0].value


@pytest.mark.parametrize(
    ("page", "title", "empty_text"),
    [
        ("pages/data_import.py", "数据导入", "还没有导入记录 — 在上方上传历史考核表或花名册。"),
        ("pages/org.py", "组织与人员", "还没有组织数据 — 在「数据导入」里上传花名册。"),
        ("pages/overview.py", "绩效总览", "还没有考核数据 — 在「数据导入」里上传历史考核表。"),
    ],
)
def test_empty_database_says_what_to_do(
    start_app: StartApp, db_path: Path, page: str, title: str, empty_text: str
) -> None:
    at = open_page(start_app(db_path), page)
    assert [t.value for t in at.title] == [title]
    assert [i.value for i in at.info] == [empty_text]
    assert not at.dataframe


@pytest.mark.parametrize(
    "page", ["pages/data_import.py", "pages/org.py", "pages/overview.py", "pages/users.py", "pages/audit.py"]
)
def test_switching_to_english_on_an_empty_database(start_app: StartApp, db_path: Path, page: str) -> None:
    at = open_page(start_app(db_path), page)
    at.sidebar.radio(key="ui.lang").set_value("en").run()
    assert not at.exception
    labels = chrome(at)
    assert labels and not [s for s in labels if CJK.search(s)], labels
    assert at.session_state["ui.lang"] == "en"


# -- the fixture company --------------------------------------------------------------------


def test_org_page_lists_departments_positions_and_people(start_app: StartApp, company_db: Path) -> None:
    at = open_page(start_app(company_db), "pages/org.py")
    assert {m.label: m.value for m in at.metric} == {"部门": "3", "岗位": "6", "在职人数": "12"}
    assert [tab.label for tab in at.tabs] == ["人员", "部门", "岗位"]
    people, departments, positions = (df.value for df in at.dataframe)
    assert people.shape[0] == 12
    assert list(people.columns[:4]) == ["工号", "姓名", "部门", "岗位"]
    assert "00101" in set(people["工号"])  # leading zeros kept
    assert set(people["状态"]) == {"在职"}
    row = people[people["工号"] == "00203"].iloc[0]
    assert (row["姓名"], row["部门"], row["直接上级"]) == ("员工203", "质检部", "员工201")
    assert sorted(departments["部门"]) == ["生产部", "质检部", "销售部"]
    assert set(departments["在职人数"]) == {4}
    assert set(departments["负责人"]) == {"员工101", "员工201", "员工301"}
    assert positions.shape[0] == 6
    assert [b.label for b in at.link_button] == ["下载 Excel"] * 3
    assert "找到 12 人" in all_text(at)


def test_org_search_by_name_id_and_department(start_app: StartApp, company_db: Path) -> None:
    at = open_page(start_app(company_db), "pages/org.py")
    at.text_input(key="org.search").set_value("员工3").run()
    assert sorted(at.dataframe[0].value["工号"]) == ["00301", "00302", "00303", "00304"]
    at.text_input(key="org.search").set_value("00102").run()
    assert list(at.dataframe[0].value["姓名"]) == ["员工102"]
    at.text_input(key="org.search").set_value("").run()
    dept = at.selectbox(key="org.department")
    assert dept.options[0] == "全部部门"
    departments = at.dataframe[1].value
    qc_id = departments.loc[departments["部门"] == "质检部", "部门编号"].item()
    dept.set_value(qc_id).run()
    assert set(at.dataframe[0].value["部门"]) == {"质检部"}
    at.text_input(key="org.search").set_value("无此人").run()
    assert at.dataframe[0].value.shape[0] == 0
    assert "找到 0 人" in all_text(at)


def test_overview_heatmap_of_the_fixture_company(start_app: StartApp, company_db: Path) -> None:
    at = open_page(start_app(company_db), "pages/overview.py")
    (chart,) = at.get("vega_lite_chart")
    spec = json.loads(chart.proto.spec)
    assert spec["encoding"]["x"]["title"] == "考核期" and spec["encoding"]["y"]["title"] == "部门"
    assert spec["encoding"]["color"]["field"] == "mean_score"
    text = all_text(at)
    assert "各部门各期平均分" in text
    assert "2023-Q1 至 2023-Q4，4 期，3 个部门，共 12 人" in text
    cells = at.dataframe[0].value
    assert cells.shape[0] == 12  # 3 departments × 4 quarters
    assert set(cells["考核期"]) == {"2023-Q1", "2023-Q2", "2023-Q3", "2023-Q4"}
    assert set(cells["考核人数"]) == {4}
    assert at.selectbox(key="overview.kind").options == ["季度"]
    at.segmented_control(key="overview.measure").set_value("share_c").run()
    assert not at.exception
    assert "各部门各期C 等占比" in all_text(at)


def test_english_pages_of_the_fixture_company(start_app: StartApp, company_db: Path) -> None:
    at = start_app(company_db, lang="en")
    for page, title in [
        ("pages/my_record.py", "My performance"),
        ("pages/data_import.py", "Data import"),
        ("pages/users.py", "Users and permissions"),
        ("pages/audit.py", "Audit trail"),
        ("pages/org.py", "Organisation and people"),
        ("pages/overview.py", "Performance overview"),
    ]:
        open_page(at, page)
        assert [t.value for t in at.title] == [title]
        labels = chrome(at)
        assert not [s for s in labels if CJK.search(s)], labels
    assert "12 people" in all_text(at)


# -- uploading files ----------------------------------------------------------------------


def upload(at: AppTest, files: list[Path], source: str | None = None) -> AppTest:
    if at.title[0].value != "数据导入":
        open_page(at, "pages/data_import.py")
    at.file_uploader(key="data_import.files").set_value([(p.name, p.read_bytes(), XLSX) for p in files])
    if source:
        at.selectbox(key="data_import.source").set_value(source)
    at.button(key="data_import.start").click().run(timeout=120)
    assert not at.exception, at.exception
    return at


def test_upload_with_bad_rows_shows_the_report_and_history(start_app: StartApp, db_path: Path, tmp_path: Path) -> None:
    workbook, good, bad = write_workbook_with_bad_rows(tmp_path / "2022年一季度考核.xlsx")
    at = upload(start_app(db_path), [workbook])
    assert at.warning[0].value.startswith("**部分导入（有被拒绝的行）**")
    assert {m.label: m.value for m in at.metric} == {"读取行数": "6", "导入行数": str(good), "拒绝行数": "2"}
    rejects = at.dataframe[0].value
    assert list(rejects.columns) == ["工作表", "行号", "列", "值", "原因"]
    assert sorted(rejects["行号"]) == [b.excel_row for b in bad]
    assert set(rejects["值"]) == {b.value for b in bad}
    assert rejects["原因"].str.len().min() > 0
    assert "下载导入结果（Excel）" in [b.label for b in at.link_button]
    # the history below lists the batch and offers its rejected rows
    history = table_with(at, "文件")
    assert list(history["文件"]) == ["2022年一季度考核.xlsx"]
    assert list(history["结果"]) == ["部分导入（有被拒绝的行）"]
    # below the history: the batch's rejects first, then its rows to check (people filed as 历史人员)
    frames = [d.value for d in at.dataframe]
    after = frames[next(i for i, f in enumerate(frames) if "文件" in f.columns) + 1 :]
    assert sorted(after[0]["行号"]) == [b.excel_row for b in bad]
    assert all("历史人员" in reason for reason in after[1]["原因"]), after[1]
    # the same file again changes nothing
    at = upload(at, [workbook])
    assert "**重复文件，未做任何更改**" in all_text(at)
    assert list(table_with(at, "文件")["文件"]) == ["2022年一季度考核.xlsx"]  # nothing new in the history


def test_upload_several_files_at_once(start_app: StartApp, db_path: Path, tmp_path: Path) -> None:
    roster = write_roster(tmp_path / "花名册.xlsx", fixture_people())
    workbook, _, _ = write_workbook_with_bad_rows(tmp_path / "考核.xlsx")
    at = upload(start_app(db_path), [roster, workbook])
    assert [s.value for s in at.subheader][:2] == ["花名册\\.xlsx", "考核\\.xlsx"]
    assert at.success[0].value.startswith("**已全部导入**")
    assert {m.label for m in at.metric} == {"读取行数", "导入行数", "拒绝行数"}
    assert table_with(at, "文件").shape[0] == 2  # history


def test_submitting_without_files_asks_for_them(start_app: StartApp, db_path: Path) -> None:
    at = open_page(start_app(db_path), "pages/data_import.py")
    at.button(key="data_import.start").click().run()
    assert [w.value for w in at.warning] == ["请先选择要导入的文件。"]
