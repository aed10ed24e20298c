"""A file that leaves out something every row needs (its period, the year of a month written alone, the
department of people the roster does not know) is refused with ONE question saying how to give it, and
nothing is written; HR answers once (ImportOptions, the upload screen, `python -m pipelines import
--period/--year/--dept`), every row lacking it takes the answer, and the report's one line about it
counts what was inserted. Review-date and first/last-name columns are read as the period and the name."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.db import open_database
from pipelines import import_file
from pipelines.__main__ import main
from pipelines.normalise import find_period_without_year, period_without_year
from pipelines.options import ImportOptions, option_problems
from tests import builders as b

ROOT = Path(__file__).resolve().parents[1]
HEADER = ["工号", "姓名", "部门", "得分"]


def no_period_rows(n: int = 6, first: int = 301) -> list[list[object]]:
    return [HEADER, *[[f"00{first + i}", f"员工{first + i}", "装配部", 70 + i] for i in range(n)]]


def appraisals(db) -> dict[str, str]:
    return {r["employee_id"]: r["cycle_id"] for r in db.rows("SELECT employee_id, cycle_id FROM appraisals")}


def data_counts(db) -> dict[str, int]:
    return b.table_counts(db, b.DATA_TABLES)


# -- one question instead of a reject per row --------------------------------------------------------


def test_a_file_without_any_period_is_refused_with_one_question_and_nothing_written(fresh_db, tmp_path) -> None:
    before = data_counts(fresh_db)
    report = import_file(
        fresh_db, b.write_xlsx(tmp_path / "绩效汇总.xlsx", {"考核": no_period_rows()}), uploaded_by="hr"
    )
    assert report.status == "refused"
    assert report.rejects == [] and report.rows_loaded == 0  # one sentence, not six rejects
    assert "没有考核期间" in report.message and "--period 2023-09" in report.message and "上传页" in report.message
    assert "没有写入任何数据" in report.message and "\n" not in report.message
    assert data_counts(fresh_db) == before
    history = fresh_db.one("SELECT status, rows_loaded FROM import_batches")
    assert history == {"status": "refused", "rows_loaded": 0}


@pytest.mark.parametrize(
    ("file_name", "sheet", "period_cell", "words"),
    [
        ("三月绩效汇总.xlsx", "考核", None, "三月"),  # the month only in the file name
        ("绩效汇总.xlsx", "3月", None, "3月"),  # ... only in the sheet name
        ("绩效汇总.xlsx", "考核", "3月", "3月"),  # ... in a 月份 column without the year
    ],
)
def test_a_month_without_a_year_asks_for_the_year_once(
    fresh_db, tmp_path, file_name, sheet, period_cell, words
) -> None:
    rows = [[*HEADER, "月份"], *[[*r, period_cell] for r in no_period_rows()[1:]]]
    report = import_file(fresh_db, b.write_xlsx(tmp_path / file_name, {sheet: rows}), uploaded_by="hr")
    assert report.status == "refused" and report.rejects == []
    assert f"只写了「{words}」，没有年份" in report.message and "--year 2024" in report.message
    assert fresh_db.scalar("SELECT count(*) FROM appraisals") == 0

    answered = import_file(fresh_db, tmp_path / file_name, uploaded_by="hr", options=ImportOptions(year=2024))
    assert answered.status == "loaded", answered.to_dict()
    assert set(appraisals(fresh_db).values()) == {"H-2024-M03"}
    assert "按上传时填写的年份 2024 记录（6 行，6 份考核）" in "".join(answered.notes)


def test_the_given_period_fills_rows_without_one_and_the_note_counts_what_was_inserted(fresh_db, tmp_path) -> None:
    path = b.write_xlsx(tmp_path / "绩效汇总.xlsx", {"考核": no_period_rows(5)})
    report = import_file(fresh_db, path, uploaded_by="hr", options=ImportOptions(period="2023-09"))
    assert report.status == "loaded" and report.rows_loaded == 5, report.to_dict()
    assert set(appraisals(fresh_db).values()) == {"H-2023-M09"}
    inserted = fresh_db.scalar("SELECT count(*) FROM appraisals WHERE batch_id = ?", [report.batch_id])
    assert inserted == 5
    assert [n for n in report.notes if "考核期间" in n] == ["考核期间按上传时填写的 2023-09 记录（5 行，5 份考核）。"]


def test_item_rows_and_appraisals_are_counted_apart_and_match_the_database(fresh_db, tmp_path) -> None:
    rows = [["工号", "姓名", "部门", "指标", "权重", "得分"]]
    for emp in ("00451", "00452"):
        rows += [[emp, f"员工{emp}", "装配部", "产量", 60, 90], [emp, f"员工{emp}", "装配部", "质量", 40, 80]]
    path = b.write_xlsx(tmp_path / "指标.xlsx", {"考核": rows})
    report = import_file(fresh_db, path, uploaded_by="hr", options=ImportOptions(period="2024Q1"))
    assert report.status == "loaded", report.to_dict()
    apps = fresh_db.scalar(
        "SELECT count(*) FROM appraisals WHERE batch_id = ? AND cycle_id = 'H-2024-Q1'", [report.batch_id]
    )
    items = fresh_db.scalar("SELECT count(*) FROM appraisal_items WHERE batch_id = ?", [report.batch_id])
    assert (apps, items) == (2, 4)
    assert "考核期间按上传时填写的 2024Q1 记录（4 行，2 份考核）。" in report.notes


def test_a_period_in_the_file_wins_over_the_given_one_and_the_note_says_both(fresh_db, tmp_path) -> None:
    rows = [[*HEADER, "考核期间"]]
    rows += [["00401", "员工401", "装配部", 80, "2024Q1"], ["00402", "员工402", "装配部", 81, "2024年Q1"]]
    rows += [["00403", "员工403", "装配部", 82, None]]
    path = b.write_xlsx(tmp_path / "部分有期间.xlsx", {"考核": rows})
    report = import_file(fresh_db, path, uploaded_by="hr", options=ImportOptions(period="2023Q4"))
    assert report.status == "loaded", report.to_dict()
    assert appraisals(fresh_db) == {"00401": "H-2024-Q1", "00402": "H-2024-Q1", "00403": "H-2023-Q4"}
    note = next(n for n in report.notes if "上传时填写" in n)
    assert "2023Q4 记录（1 行，1 份考核）" in note and "另有 2 行（2 份考核）按文件里写的期间记录" in note


def test_notes_count_only_what_was_inserted_not_rows_already_on_file(fresh_db, tmp_path) -> None:
    first = b.write_xlsx(tmp_path / "a.xlsx", {"考核": no_period_rows(3)})
    import_file(fresh_db, first, uploaded_by="hr", options=ImportOptions(period="2023-09"))
    # the same three people again plus one more, in a file of different bytes: only the new one is written
    again = b.write_xlsx(tmp_path / "b.xlsx", {"考核": [*no_period_rows(3), ["00399", "员工399", "装配部", 90]]})
    report = import_file(fresh_db, again, uploaded_by="hr", options=ImportOptions(period="2023-09"))
    assert report.rows_unchanged == 3 and report.rows_loaded == 1, report.to_dict()
    assert "考核期间按上传时填写的 2023-09 记录（1 行，1 份考核）。" in report.notes


def test_a_file_naming_no_department_for_people_the_roster_lacks_asks_for_it(fresh_db, tmp_path) -> None:
    rows = [["工号", "姓名", "考核期间", "得分"], *[[f"00{500 + i}", f"员工{500 + i}", "2024Q1", 80] for i in range(4)]]
    path = b.write_xlsx(tmp_path / "无部门.xlsx", {"考核": rows})
    before = data_counts(fresh_db)
    report = import_file(fresh_db, path, uploaded_by="hr")
    assert report.status == "refused" and report.rejects == []
    assert "没有写部门" in report.message and "--dept 装配部" in report.message and "没有写入任何数据" in report.message
    assert data_counts(fresh_db) == before

    answered = import_file(fresh_db, path, uploaded_by="hr", options=ImportOptions(dept="装配部"))
    assert answered.status == "loaded", answered.to_dict()
    depts = {r["name"] for r in fresh_db.rows("SELECT d.name FROM employees e JOIN departments d USING (dept_id)")}
    assert depts == {"装配部"}
    assert "表中没有部门的 4 名历史人员按上传时填写的部门「装配部」建档。" in answered.notes


def test_a_bad_answer_is_refused_in_chinese_before_anything_is_read(fresh_db, tmp_path) -> None:
    path = b.write_xlsx(tmp_path / "绩效汇总.xlsx", {"考核": no_period_rows()})
    report = import_file(fresh_db, path, uploaded_by="hr", options=ImportOptions(period="2023-13"))
    assert report.status == "refused" and "「2023-13」无法识别" in report.message
    assert option_problems(ImportOptions(year=24)) and option_problems(ImportOptions(dept="部" * 61))
    assert option_problems(ImportOptions(period="2024Q1", year=2024, dept="装配部")) == []


def test_a_month_column_without_the_year_takes_the_year_of_the_given_period(fresh_db, tmp_path) -> None:
    rows = [[*HEADER, "月份"], ["00461", "员工461", "装配部", 80, "3月"], ["00462", "员工462", "装配部", 81, None]]
    path = b.write_xlsx(tmp_path / "月份.xlsx", {"考核": rows})
    report = import_file(fresh_db, path, uploaded_by="hr", options=ImportOptions(period="2023-09"))
    assert appraisals(fresh_db) == {"00461": "H-2023-M03", "00462": "H-2023-M09"}
    assert "按上传时填写的考核期间 2023-09 所在的年份 2023 记录（1 行，1 份考核）" in "".join(report.notes)


def test_a_quarter_without_a_year_takes_the_given_year(fresh_db, tmp_path) -> None:
    path = b.write_xlsx(tmp_path / "第二季度绩效.xlsx", {"考核": no_period_rows(2)})
    refused = import_file(fresh_db, path, uploaded_by="hr")
    assert refused.status == "refused" and "只写了「第二季度」，没有年份" in refused.message
    report = import_file(fresh_db, path, uploaded_by="hr", options=ImportOptions(year=2023))
    assert report.status == "loaded" and set(appraisals(fresh_db).values()) == {"H-2023-Q2"}


# -- review dates and names in two columns -------------------------------------------------------------


def test_a_review_date_column_is_the_period_and_names_in_two_columns_are_joined(fresh_db, tmp_path) -> None:
    rows = [["工号", "姓", "名", "部门", "最近考核日期", "得分"]]
    rows += [
        ["00601", "张", "三", "装配部", dt.date(2024, 3, 5), 80],
        ["00602", "欧阳", "娜娜", "装配部", dt.date(2024, 4, 20), 85],
    ]
    report = import_file(fresh_db, b.write_xlsx(tmp_path / "日期.xlsx", {"考核": rows}), uploaded_by="hr")
    assert report.status == "loaded", report.to_dict()
    assert appraisals(fresh_db) == {"00601": "H-2024-M03", "00602": "H-2024-M04"}
    names = {r["employee_id"]: r["name"] for r in fresh_db.rows("SELECT employee_id, name FROM employees")}
    assert names == {"00601": "张三", "00602": "欧阳娜娜"}


def test_a_review_date_takes_the_quarter_when_the_other_periods_are_quarters(fresh_db, tmp_path) -> None:
    rows = [["Employee ID", "First Name", "Last Name", "Department", "Last Review Date", "Grade"]]
    rows += [["E1", "Ann", "Lee", "Ops", dt.date(2024, 3, 5), "Exceeds"], ["E2", "Bo", "Wu", "Ops", "2024Q2", "PIP"]]
    report = import_file(fresh_db, b.write_xlsx(tmp_path / "review.xlsx", {"s": rows}), uploaded_by="hr")
    assert report.status == "loaded", report.to_dict()
    assert appraisals(fresh_db) == {"E1": "H-2024-Q1", "E2": "H-2024-Q2"}
    grades = {r["employee_id"]: r["grade"] for r in fresh_db.rows("SELECT employee_id, grade FROM appraisals")}
    assert grades == {"E1": "A", "E2": "C"}
    stored = {r["employee_id"]: r["name"] for r in fresh_db.rows("SELECT employee_id, name FROM employees")}
    assert stored == {"E1": "Ann Lee", "E2": "Bo Wu"}  # Latin: first name first, one space


# -- rejected values as written in the cell ---------------------------------------------------------------


def test_a_rejected_value_is_shown_as_written_in_the_cell(fresh_db, tmp_path) -> None:
    rows = [["工号", "姓名", "部门", "考核期间", "得分"]]
    rows += [["00701", "员工701", "装配部", "2024Q1", 150], ["00702", "员工702", "装配部", "2024Q1", "１５０"]]
    rows += [["00703", "员工703", "装配部", "2024Q1", -5], ["00704", "员工704", "装配部", "2024Q1", "85.50分x"]]
    report = import_file(fresh_db, b.write_xlsx(tmp_path / "值.xlsx", {"考核": rows}), uploaded_by="hr")
    assert report.status == "rejected" and "没有写入任何数据" in report.message
    assert [r.value for r in report.rejects] == ["150", "１５０", "-5", "85.50分x"]
    stored = [r["value"] for r in fresh_db.rows("SELECT value FROM import_rejects ORDER BY seq")]
    assert stored == ["150", "１５０", "-5", "85.50分x"]


# -- the command line ------------------------------------------------------------------------------------


def test_cli_flags_reach_the_import_end_to_end(tmp_path, capsys) -> None:
    db_path = tmp_path / "cli.duckdb"
    path = b.write_xlsx(tmp_path / "三月绩效汇总.xlsx", {"考核": [["工号", "姓名", "得分"], ["00801", "员工801", 80]]})
    assert main(["import", str(path), "--db", str(db_path), "--json"]) == 2  # refused: asks for the year
    refused = json.loads(capsys.readouterr().out)
    assert refused["status"] == "refused" and "--year 2024" in refused["message"]
    code = main(["import", str(path), "--db", str(db_path), "--year", "2024", "--dept", "装配部", "--json"])
    loaded = json.loads(capsys.readouterr().out)
    assert code == 0 and loaded["status"] == "loaded", loaded
    with open_database(db_path) as db:
        row = db.one("SELECT a.cycle_id, d.name FROM appraisals a JOIN departments d USING (dept_id)")
    assert row == {"cycle_id": "H-2024-M03", "name": "装配部"}


def test_cli_unknown_people_reject_and_mapping_name(tmp_path, capsys, monkeypatch) -> None:
    seen = []
    monkeypatch.setattr("pipelines.__main__.import_file", lambda db, f, **kw: seen.append(kw["options"]) or _ok(f))
    db_path = tmp_path / "cli.duckdb"
    assert main(["import", "x.xlsx", "--db", str(db_path), "--unknown-people", "reject", "--mapping", "装配月报",
                 "--period", "2024Q1"]) == 0  # fmt: skip
    assert seen == [ImportOptions(period="2024Q1", unknown_people="reject", mapping="装配月报")]


def _ok(path):
    from pipelines.report import LoadReport

    return LoadReport(str(path), status="loaded")


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--period", "2023-13"], "「2023-13」无法识别"),
        (["--year", "abc"], "「abc」不是年份"),
        (["--unknown-people", "maybe"], "--unknown-people 的取值不在可选范围内"),
    ],
)
def test_cli_bad_values_are_refused_in_chinese(tmp_path, args, said) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pipelines", "import", "x.xlsx", "--db", str(tmp_path / "c.duckdb"), *args],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2
    assert said in done.stderr and "参数有误" in done.stderr
    assert "invalid" not in done.stderr and "error:" not in done.stderr
    assert "usage:" not in done.stderr  # argparse's own heading too: 用法：
    assert not (tmp_path / "c.duckdb").exists()  # refused before the database is opened


def test_cli_help_is_chinese_and_names_every_answer() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pipelines", "import", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    for flag in ("--period", "--year", "--dept", "--unknown-people", "--mapping"):
        assert flag in done.stdout
    assert "2023-09" in done.stdout and "显示这段帮助" in done.stdout and "show this help" not in done.stdout
    assert done.stdout.startswith("用法：") and "usage:" not in done.stdout


def test_a_name_is_stored_as_written_but_tidy(fresh_db, tmp_path) -> None:
    rows = [["工号", "姓名", "部门", "考核期间", "得分"]]
    rows += [["00611", " Mary   Jane Smith ", "装配部", "2024Q1", 80], ["00612", "王 五", "装配部", "2024Q1", 81]]
    report = import_file(fresh_db, b.write_xlsx(tmp_path / "名字.xlsx", {"考核": rows}), uploaded_by="hr")
    assert report.status == "loaded", report.to_dict()
    names = {r["employee_id"]: r["name"] for r in fresh_db.rows("SELECT employee_id, name FROM employees")}
    assert names == {"00611": "Mary Jane Smith", "00612": "王五"}


def test_a_sheet_without_any_period_is_one_reject_line_not_one_per_row(fresh_db, tmp_path) -> None:
    sheets = {
        "考核": [["工号", "姓名", "部门", "考核期间", "得分"], *[[f"00{620 + i}", f"员工{i}", "装配部", "2024Q1", 80] for i in range(3)]],
        "排名": [["工号", "姓名", "部门", "得分"], *[[f"00{620 + i}", f"员工{i}", "装配部", 80] for i in range(3)]],
    }  # fmt: skip
    report = import_file(fresh_db, b.write_xlsx(tmp_path / "两张表.xlsx", sheets), uploaded_by="hr")
    assert report.status == "partial" and report.rows_loaded == 3 and report.rows_rejected == 3
    [line] = report.rejects
    assert (line.sheet, line.row, line.value) == ("排名", None, None)
    assert "工作表「排名」的 3 行都没有考核期间" in line.reason and "--period" in line.reason


@pytest.mark.parametrize(
    ("text", "found"),
    [("三月绩效汇总.xlsx", "三月"), ("十二月考核", "十二月"), ("3月份汇总", "3月"), ("Q2绩效", "Q2"), ("第三季度", "第三季度"),
     ("2024年3月考核", None), ("2019年Q2绩效考核表", None), ("13月", None), ("SQ1", None), ("考核表", None)],
)  # fmt: skip
def test_a_period_without_its_year_is_found_in_free_text(text, found) -> None:
    assert find_period_without_year(text) == found


@pytest.mark.parametrize(
    ("text", "read"),
    [("3月", ("m", 3)), ("三月", ("m", 3)), ("十一月", ("m", 11)), ("03月份", ("m", 3)), ("第二季度", ("q", 2)),
     ("Q4", ("q", 4)), ("2024年3月", None), ("13月", None)],
)  # fmt: skip
def test_a_month_or_quarter_written_alone_is_read(text, read) -> None:
    assert period_without_year(text) == read


def test_every_refusal_says_that_nothing_was_written(fresh_db, tmp_path) -> None:
    no_header = b.write_xlsx(tmp_path / "随便.xlsx", {"Sheet1": [["甲", "乙"], ["1", "2"]]})
    report = import_file(fresh_db, no_header, uploaded_by="hr")
    assert report.status == "refused" and report.message.endswith("没有写入任何数据。")
    assert report.message.count("没有写入任何数据") == 1


def test_an_answer_the_file_did_not_need_is_said_to_be_unused(fresh_db, tmp_path) -> None:
    rows = [["工号", "姓名", "部门", "考核期间", "得分"], ["00631", "员工631", "装配部", "2024Q1", 80]]
    path = b.write_xlsx(tmp_path / "齐全.xlsx", {"考核": rows})
    report = import_file(fresh_db, path, uploaded_by="hr", options=ImportOptions(period="2023-09", dept="质检部"))
    assert appraisals(fresh_db) == {"00631": "H-2024-Q1"}
    assert "上传时填写的考核期间 2023-09 没有用到：写入的每一行都有自己的考核期间。" in report.notes
    assert any(n.startswith("上传时填写的部门「质检部」没有用到") for n in report.notes)
    assert fresh_db.scalar("SELECT count(*) FROM departments WHERE name = '质检部'") == 0
