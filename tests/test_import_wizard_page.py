"""AppTest of the mapping step on 数据导入: a file whose header detection cannot read is refused and the
sheet is shown as read; HR picks the header row, the columns and the rows to skip, names the mapping
and imports; the next file of that shape imports without asking. Also: 手动指定列 on a file detection
reads, the fields HR gives once for a file, the new batch's report first, and warnings apart from
rejects."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.db import open_database
from pipelines import import_file
from pipelines.options import ImportOptions
from tests.apptest import StartApp, all_text, open_page
from tests.builders import sample_people, simple_legacy_rows, write_xlsx
from tests.test_mapping import UNKNOWN_COLUMNS, unknown_shape

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
W = "data_import.wizard.0"


def upload(
    at: AppTest, path: Path, *, manual: bool = False, period: str = "", dept: str = "", unknown: str | None = None
) -> AppTest:
    if not at.title or at.title[0].value != "数据导入":
        open_page(at, "pages/data_import.py")
    at.file_uploader(key="data_import.files").set_value([(path.name, path.read_bytes(), XLSX)])
    if manual:
        at.checkbox(key="data_import.manual").check()
    if period:
        at.text_input(key="data_import.period").input(period)
    if dept:
        at.text_input(key="data_import.dept").input(dept)
    if unknown:
        at.radio(key="data_import.unknown_people").set_value(unknown)
    at.button(key="data_import.start").click().run(timeout=120)
    assert not at.exception, at.exception
    return at


def counts(db_path: Path) -> dict[str, int]:
    with open_database(db_path) as db:
        return {t: db.scalar(f"SELECT count(*) FROM {t}") for t in ("appraisals", "import_mappings", "import_batches")}


def map_unknown_shape(at: AppTest, name: str = "甲乙表") -> AppTest:
    at.number_input(key=f"{W}.header_row").set_value(2)
    for field, letter in UNKNOWN_COLUMNS.items():
        at.selectbox(key=f"{W}.col.{field}").set_value(letter)
    at.text_input(key=f"{W}.skip").input("3")
    at.text_input(key="data_import.wizard.name").input(name)
    at.button(key="data_import.wizard.import").click().run(timeout=120)
    assert not at.exception, at.exception
    return at


def test_an_unknown_shape_is_shown_mapped_imported_and_the_next_one_imports_without_asking(
    start_app: StartApp, db_path: Path, tmp_path: Path
) -> None:
    first = unknown_shape(tmp_path / "一季度结果.xlsx", [91, 82, 73, 64], "2024Q1")
    at = upload(start_app(db_path), first)
    assert at.error[0].value.startswith("**文件被拒收**")  # the report says why …
    assert "系统没能自动认出这个文件的表头" in all_text(at)  # … and the mapping step opens
    preview = next(df.value for df in at.dataframe if "行" in df.value.columns)
    assert list(preview.columns) == ["行", "A", "B", "C", "D", "E"]
    assert list(preview["行"])[:3] == [1, 2, 3] and list(preview.iloc[1])[1:] == [
        "甲列",
        "乙列",
        "丙列",
        "丁列",
        "戊列",
    ]
    assert "系统没有在这个工作表里找到表头。" in all_text(at)
    at.number_input(key=f"{W}.header_row").set_value(2).run()
    options = at.selectbox(key=f"{W}.col.name").options
    assert "B · 乙列" in options and "（没有）" in options  # each letter with its header text
    assert counts(db_path) == {"appraisals": 0, "import_mappings": 0, "import_batches": 1}  # the refusal

    at = map_unknown_shape(at)
    assert at.success[0].value.startswith("**已全部导入**")
    assert "按已保存的对应关系「甲乙表」读取。" in all_text(at)
    assert {m.label: m.value for m in at.metric} == {"读取行数": "4", "导入行数": "4", "拒绝行数": "0"}
    assert "系统没能自动认出" not in all_text(at)  # the mapping step is done
    assert counts(db_path) == {"appraisals": 4, "import_mappings": 1, "import_batches": 2}

    second = unknown_shape(tmp_path / "二季度结果.xlsx", [60, 70, 80, 90], "2024Q2")
    at = upload(at, second)
    assert at.success[0].value.startswith("**已全部导入**")
    assert "按已保存的对应关系「甲乙表」读取。" in all_text(at)
    assert not [w for w in at.number_input if w.key == f"{W}.header_row"]  # not asked again
    assert counts(db_path) == {"appraisals": 8, "import_mappings": 1, "import_batches": 3}
    # the new batch's report is the one shown, and what the history's pickers start on
    assert at.subheader[0].value == "二季度结果\\.xlsx"
    assert "一季度结果\\.xlsx" not in [s.value for s in at.subheader]
    with open_database(db_path) as db:
        ids = {r["file_name"] + r["status"]: r["batch_id"] for r in db.rows("SELECT * FROM import_batches")}
    assert at.selectbox(key="data_import.undo_batch").value == ids["二季度结果.xlsxloaded"]
    # the history lists every batch, the refused one too; only loaded ones may be undone
    history = next(df.value for df in at.dataframe if "文件" in df.value.columns)
    assert sorted(zip(history["文件"], history["结果"], strict=True)) == [
        ("一季度结果.xlsx", "已全部导入"), ("一季度结果.xlsx", "文件被拒收"), ("二季度结果.xlsx", "已全部导入")
    ]  # fmt: skip
    undoable = at.selectbox(key="data_import.undo_batch").options  # shown as "time · file (kind)"
    assert sorted(o.split(" · ")[1] for o in undoable) == [
        "一季度结果.xlsx（历史考核表）",
        "二季度结果.xlsx（历史考核表）",
    ]


def test_a_wrong_mapping_says_what_is_wrong_and_writes_nothing(
    start_app: StartApp, db_path: Path, tmp_path: Path
) -> None:
    at = upload(start_app(db_path), unknown_shape(tmp_path / "a.xlsx", [91, 82, 73, 64]))
    at.number_input(key=f"{W}.header_row").set_value(2)
    at.selectbox(key=f"{W}.col.score").set_value("E")
    at.button(key="data_import.wizard.import").click().run()
    assert any("至少要指定其中一个" in e.value for e in at.error)
    at.selectbox(key=f"{W}.col.name").set_value("B")
    at.text_input(key=f"{W}.skip").input("第三行")
    at.button(key="data_import.wizard.import").click().run()
    assert any("看不懂" in e.value for e in at.error)
    assert counts(db_path)["appraisals"] == 0 and counts(db_path)["import_mappings"] == 0
    at.button(key="data_import.wizard.cancel").click().run()
    assert not [w for w in at.number_input if w.key == f"{W}.header_row"]


def test_manual_mapping_of_a_file_detection_reads_starts_from_what_it_found(
    start_app: StartApp, db_path: Path, tmp_path: Path
) -> None:
    path = write_xlsx(tmp_path / "考核.xlsx", {"2024Q1": simple_legacy_rows({"00101": 91, "00102": 72})})
    at = upload(start_app(db_path), path, manual=True)
    assert counts(db_path)["import_batches"] == 0  # nothing imported before HR confirms the mapping
    assert "请核对读到的表格" in all_text(at)
    assert "系统找到的表头在第 1 行。" in all_text(at)
    assert at.selectbox(key=f"{W}.col.employee_id").value == "A"
    assert at.selectbox(key=f"{W}.col.score").value == "F"
    at.text_input(key="data_import.wizard.name").input("标准考核表")
    at.button(key="data_import.wizard.import").click().run(timeout=120)
    assert not at.exception, at.exception
    assert at.success[0].value.startswith("**已全部导入**")
    assert counts(db_path) == {"appraisals": 2, "import_mappings": 1, "import_batches": 1}


def test_the_fields_given_once_reach_the_importer(
    start_app: StartApp, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ui.reports

    given = []

    def recording(*args, options=None, **kwargs):
        given.append(options)
        return import_file(*args, options=options, **kwargs)

    monkeypatch.setattr(ui.reports, "import_file", recording)
    people = sample_people(2)
    rows = [["工号", "姓名", "部门", "得分"], *[[p.employee_id, p.name, p.department, 80] for p in people]]
    path = write_xlsx(tmp_path / "无期间.xlsx", {"Sheet1": rows})
    at = open_page(start_app(db_path), "pages/data_import.py")
    at.text_input(key="data_import.year").input("2023")
    at.text_input(key="data_import.dept").input(" 生产部 ")
    at = upload(at, path, period=" 2023-09 ", unknown="reject")
    assert given == [ImportOptions(period="2023-09", year=2023, dept="生产部", unknown_people="reject")]
    at.file_uploader(key="data_import.files").set_value([(path.name, path.read_bytes(), XLSX)])
    at.text_input(key="data_import.year").input("23年")
    at.button(key="data_import.start").click().run()
    assert "年度请填写 2000–2100 之间的四位数，例如 2024。" in [e.value for e in at.error]
    assert len(given) == 1  # nothing imported with a year that is not one


def test_the_wizard_in_english(start_app: StartApp, db_path: Path, tmp_path: Path) -> None:
    at = start_app(db_path, lang="en")
    open_page(at, "pages/data_import.py")
    assert at.checkbox(key="data_import.manual").label == "Map the columns myself"
    assert at.text_input(key="data_import.period").label == "Appraisal period"
    at = upload(at, unknown_shape(tmp_path / "a.xlsx", [91, 82, 73, 64]))
    assert at.number_input(key=f"{W}.header_row").label == "Header row"
    assert at.selectbox(key=f"{W}.col.employee_id").label == "Employee ID"
    assert any("Row" in df.value.columns for df in at.dataframe)
    assert at.button(key="data_import.wizard.import").label == "Save the mapping and import"


def _report_with_warnings() -> None:
    from pipelines.report import LoadReport
    from ui.reports import show_load_report

    report = LoadReport("考核.xlsx", source="legacy", status="partial", rows_read=3, rows_loaded=2, rows_rejected=1)
    report.reject("Sheet1", 4, "得分", "九十", "得分不是数字")
    report.warn("Sheet1", 3, "姓名", "测试乙", "按姓名对应到工号 00102：请核对")
    show_load_report(report, key="r")


def test_the_report_shows_warnings_apart_from_rejects() -> None:
    at = AppTest.from_function(_report_with_warnings).run()
    assert not at.exception, at.exception
    text = all_text(at)
    assert "被拒绝的行（1）" in text and "请核对的行（1）" in text
    rejects, warnings = (df.value for df in at.dataframe)
    assert list(rejects["值"]) == ["九十"] and list(warnings["值"]) == ["测试乙"]
    assert list(warnings["原因"]) == ["按姓名对应到工号 00102：请核对"]


def test_a_roster_of_unknown_headers_is_mapped_with_the_roster_fields(
    start_app: StartApp, db_path: Path, tmp_path: Path
) -> None:
    people = sample_people(3)
    rows = [
        ["编码", "人员", "所在单位", "到岗"],
        *[[p.employee_id, p.name, p.department, "2020-01-02"] for p in people],
    ]
    at = upload(start_app(db_path), write_xlsx(tmp_path / "人员.xlsx", {"人员": rows}))
    at.radio(key=f"{W}.source").set_value("roster").run()
    assert not [r for r in at.radio if r.key == f"{W}.layout"]  # a roster is a table
    assert not [s for s in at.selectbox if s.key == f"{W}.col.score"]
    for field, letter in {"employee_id": "A", "name": "B", "department": "C", "hire_date": "D"}.items():
        at.selectbox(key=f"{W}.col.{field}").set_value(letter)
    at.text_input(key="data_import.wizard.name").input("人员表")
    at.button(key="data_import.wizard.import").click().run(timeout=120)
    assert not at.exception, at.exception
    assert at.success[0].value.startswith("**已全部导入**"), all_text(at)
    with open_database(db_path) as db:
        hired = {r["employee_id"]: str(r["hire_date"]) for r in db.rows("SELECT employee_id, hire_date FROM employees")}
    assert hired == {p.employee_id: "2020-01-02" for p in people}


def test_per_person_forms_are_mapped_once_for_every_sheet(start_app: StartApp, db_path: Path, tmp_path: Path) -> None:
    from tests.test_mapping import odd_forms

    # the forms name no department and nobody is on the roster: HR gives the department once
    at = upload(start_app(db_path), odd_forms(tmp_path / "三月.xlsx", sample_people(2)), manual=True, dept="装配部")
    at.selectbox(key="data_import.wizard.sheet").set_value("测试甲").run()
    key = "data_import.wizard.1"  # the second sheet (汇总 is the first)
    at.radio(key=f"{key}.layout").set_value("form").run()
    assert at.checkbox(key=f"{key}.every_sheet").value  # one form per person: every sheet, by default
    assert not [s for s in at.selectbox if s.key == f"{key}.col.employee_id"]  # who: from label cells
    at.number_input(key=f"{key}.header_row").set_value(6).run()
    for field, letter in {"kpi": "A", "weight": "B", "target": "C", "actual": "D", "score": "E"}.items():
        at.selectbox(key=f"{key}.col.{field}").set_value(letter)
    for field, cell in {"name": "B2", "employee_id": "E2", "period": "A4"}.items():
        at.text_input(key=f"{key}.label.{field}").input(cell)
    at.text_input(key="data_import.wizard.name").input("个人表")
    at.button(key="data_import.wizard.import").click().run(timeout=120)
    assert not at.exception, at.exception
    assert at.success[0].value.startswith("**已全部导入**"), all_text(at)
    assert "工作表「汇总」不在列对应关系里，已跳过。" in all_text(at)
    with open_database(db_path) as db:
        assert db.scalar("SELECT count(*) FROM appraisal_items") == 8
        assert db.scalar("SELECT count(DISTINCT employee_id) FROM appraisals") == 2


def test_the_history_shows_a_batch_s_rows_to_check_apart_from_its_rejects(
    start_app: StartApp, db_path: Path, tmp_path: Path
) -> None:
    from tests.builders import write_roster

    people = sample_people(3)
    with open_database(db_path) as db:
        assert import_file(db, write_roster(tmp_path / "花名册.xlsx", people), uploaded_by="hr").status == "loaded"
        rows = [[None, people[1].name, "2024Q1", 88], [people[2].employee_id, people[2].name, "2024Q1", 500]]
        report = import_file(
            db,
            write_xlsx(tmp_path / "考核.xlsx", {"考核": [["工号", "姓名", "考核期间", "得分"], *rows]}),
            uploaded_by="hr",
        )
    assert (report.status, len(report.warnings), report.rows_rejected) == ("partial", 1, 1), report.to_dict()
    at = start_app(db_path)
    open_page(at, "pages/data_import.py")
    assert not at.exception, at.exception
    picker = at.selectbox(key="data_import.batch")
    assert picker.value == report.batch_id  # the newest batch with rows to look at
    assert "1 行被拒绝，1 行请核对" in picker.format_func(picker.value)
    [rejects] = [d for d in at.dataframe if d.value.shape[0] and "500" in d.value.to_string()]
    assert rejects.value.shape[0] == 1
    assert "**请核对的行（1）**" in all_text(at)
    [warned] = [d for d in at.dataframe if people[1].name in d.value.to_string() and "工号" in d.value.to_string()]
    assert warned.value.shape[0] == 1
