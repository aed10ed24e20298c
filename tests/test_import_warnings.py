"""No quiet guesses: a row matched to a person by name, a department that differs from the roster's and a
person filed as 历史人员 are each a warning row (sheet, row, column, value as in the cell, a Chinese
reason), kept with the batch apart from its rejects, listed for the history and put in the report's
Excel; HR may choose that unknown 工号 are rejected instead of created."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest

from core import imports
from core.auth import User
from core.permissions import Forbidden
from pipelines import import_file
from pipelines.__main__ import main
from pipelines.options import ImportOptions
from tests import builders as b

HR = User("hr", frozenset({"hr"}))
PEOPLE = b.sample_people(6)  # 00101–00105 in 生产部 (测试甲 … 测试戊), 00106 in 质检部 (测试己)


@pytest.fixture
def roster_db(fresh_db, tmp_path: Path):
    report = import_file(fresh_db, b.write_roster(tmp_path / "花名册.xlsx", PEOPLE), uploaded_by="hr")
    assert report.status == "loaded", report.to_dict()
    return fresh_db


def write(tmp_path: Path, rows: list[list[object]], name: str = "考核.xlsx") -> Path:
    return b.write_xlsx(tmp_path / name, {"考核": [["工号", "姓名", "部门", "考核期间", "得分"], *rows]})


def test_a_row_without_id_matched_by_name_is_a_warning_naming_who(roster_db, tmp_path) -> None:
    report = import_file(roster_db, write(tmp_path, [[None, "测试乙", None, "2024Q1", 88]]), uploaded_by="hr")
    assert report.status == "loaded", report.to_dict()
    assert roster_db.scalar("SELECT employee_id FROM appraisals") == "00102"
    [w] = report.warnings
    assert (w.sheet, w.row, w.column, w.value) == ("考核", 2, "姓名", "测试乙")
    assert "没有工号" in w.reason and "00102 测试乙（生产部）" in w.reason
    assert report.rejects == []


def test_a_department_differing_from_the_roster_is_filed_under_the_roster_and_said(roster_db, tmp_path) -> None:
    report = import_file(roster_db, write(tmp_path, [["00103", "测试丙", "质检部", "2024Q1", 75]]), uploaded_by="hr")
    assert report.status == "loaded", report.to_dict()
    filed = roster_db.scalar("SELECT d.name FROM appraisals a JOIN departments d USING (dept_id)")
    assert filed == "生产部"
    [w] = report.warnings
    assert (w.row, w.column, w.value) == (2, "部门", "质检部")
    assert "属于「生产部」" in w.reason and "本行写的是「质检部」" in w.reason and "按花名册归入「生产部」" in w.reason


def test_a_person_created_as_historical_is_a_warning_and_counted_from_what_was_inserted(roster_db, tmp_path) -> None:
    rows = [["00901", "离职甲", "生产部", "2024Q1", 70], ["00901", "离职甲", "生产部", "2024Q2", 72]]
    rows += [["00902", "离职乙", "生产部", "2024Q1", 200]]  # rejected: no person is created for it
    report = import_file(roster_db, write(tmp_path, rows), uploaded_by="hr")
    assert report.status == "partial", report.to_dict()
    created = roster_db.rows("SELECT employee_id, status FROM employees WHERE batch_id = ?", [report.batch_id])
    assert created == [{"employee_id": "00901", "status": "historical"}]
    historical = [w for w in report.warnings if "历史人员" in w.reason]
    assert [(w.row, w.column, w.value) for w in historical] == [(2, "工号", "00901")]
    assert "1 人不在花名册中" in "".join(report.notes)


def test_unknown_people_rejected_when_hr_chooses_so(roster_db, tmp_path) -> None:
    rows = [["00101", "测试甲", "生产部", "2024Q1", 90], ["00901", "离职甲", "生产部", "2024Q1", 70]]
    report = import_file(
        roster_db, write(tmp_path, rows), uploaded_by="hr", options=ImportOptions(unknown_people="reject")
    )
    assert report.status == "partial", report.to_dict()
    [r] = report.rejects
    assert (r.row, r.column, r.value) == (3, "工号", "00901")
    assert "不在花名册中" in r.reason and "本行未导入" in r.reason
    assert roster_db.scalar("SELECT count(*) FROM employees WHERE employee_id = '00901'") == 0
    assert [a["employee_id"] for a in roster_db.rows("SELECT employee_id FROM appraisals")] == ["00101"]
    assert not any("历史人员" in w.reason for w in report.warnings)


def test_warnings_are_kept_with_the_batch_listed_for_the_history_and_in_the_excel(roster_db, tmp_path) -> None:
    rows = [[None, "测试乙", None, "2024Q1", 88], ["00103", "测试丙", "质检部", "2024Q1", 75]]
    rows += [["00901", "离职甲", "生产部", "2024Q1", 70], ["00104", "测试丁", "生产部", "2024Q1", 999]]
    report = import_file(roster_db, write(tmp_path, rows), uploaded_by="hr")
    assert len(report.warnings) == 3 and len(report.rejects) == 1
    listed = imports.batch_warnings(roster_db, HR, report.batch_id)
    assert listed.get_column("row").to_list() == [2, 3, 4]
    assert listed.get_column("column").to_list() == ["姓名", "部门", "工号"]
    assert all(b.HAN.search(r) for r in listed.get_column("reason").to_list())
    assert imports.batch_rejects(roster_db, HR, report.batch_id).height == 1  # kept apart
    with pytest.raises(Forbidden):
        imports.batch_warnings(roster_db, User("boss", frozenset({"manager"}), "00101"), report.batch_id)
    book = openpyxl.load_workbook(io.BytesIO(report.to_excel_bytes()))
    sheet = book["请核对的行"]
    assert [c.value for c in sheet[1]] == ["工作表", "行号", "列", "值", "原因"]
    assert [sheet.cell(r, 4).value for r in range(2, 5)] == ["测试乙", "质检部", "00901"]
    assert "3 处按推断导入" in report.message


def test_warnings_of_rejected_rows_are_not_shown(roster_db, tmp_path) -> None:
    # the row found by name is rejected for its score: nothing was taken on a guess
    report = import_file(roster_db, write(tmp_path, [[None, "测试乙", "质检部", "2024Q1", 999]]), uploaded_by="hr")
    assert report.status == "rejected" and report.warnings == []
    assert roster_db.scalar("SELECT count(*) FROM import_warnings") == 0


def test_the_rater_note_counts_only_rows_that_were_written(roster_db, tmp_path) -> None:
    rows = [["工号", "姓名", "考核期间", "得分", "考核人"]]
    rows += [["00102", "测试乙", "2024Q1", 80, "无此人"], ["00103", "测试丙", "2024Q1", 999, "无此人"]]
    report = import_file(roster_db, b.write_xlsx(tmp_path / "考核人.xlsx", {"考核": rows}), uploaded_by="hr")
    assert report.rows_loaded == 1 and report.rows_rejected == 1
    assert "1 行的考核人无法对应到花名册中的员工，已按该员工的直接上级记录。" in report.notes
    assert roster_db.scalar("SELECT manager_id FROM appraisals") == "00101"


def test_the_cli_prints_the_warnings_apart_from_the_rejects(tmp_path, capsys) -> None:
    db_path = str(tmp_path / "cli.duckdb")
    assert main(["import", str(b.write_roster(tmp_path / "花名册.xlsx", PEOPLE)), "--db", db_path]) == 0
    capsys.readouterr()
    rows = [[None, "测试乙", None, "2024Q1", 88], ["00104", "测试丁", "生产部", "2024Q1", 999]]
    assert main(["import", str(write(tmp_path, rows)), "--db", db_path]) == 0
    out = capsys.readouterr().out
    assert "请核对：考核 第 2 行 姓名「测试乙」：这一行没有工号" in out
    assert "拒绝：考核 第 3 行 得分「999」" in out
