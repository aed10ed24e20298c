"""Legacy appraisal workbooks in both layouts HR uses, end to end through import_file.

Every workbook here is synthetic and written in the test; names are made up.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import xlsxwriter
import xlwt

from core.db import open_database
from pipelines import import_file
from pipelines.layout import find_form, find_table
from pipelines.sniff import inspect_file
from pipelines.workbook import read_grids

ROSTER = [
    ("000001", "甲总", "总经办", "总经理", "", "2010-01-01"),
    ("000002", "乙一", "生产一车间", "车间主任", "000001", "2012-03-01"),
    ("000003", "丙二", "生产一车间", "装配工", "000002", "2015-05-06"),
    ("000004", "丁三", "生产一车间", "装配工", "000002", "2016-07-01"),
    ("000005", "戊四", "质量部", "质检员", "000001", "2018-01-01"),
    ("000006", "己五", "质量部", "质检员", "000005", "2019-01-01"),
]


def write_xlsx(path: Path, sheets: dict[str, list[list]], merges: dict[str, list[tuple]] | None = None,
               hidden: tuple[str, ...] = ()) -> Path:  # fmt: skip
    """A workbook from rows (None = empty cell); merges as (r0, c0, r1, c1, text)."""
    with xlsxwriter.Workbook(path) as wb:
        for name, rows in sheets.items():
            ws = wb.add_worksheet(name)
            for r, row in enumerate(rows):
                for c, v in enumerate(row):
                    if v is not None:
                        ws.write(r, c, v)
            for r0, c0, r1, c1, text in (merges or {}).get(name, []):
                ws.merge_range(r0, c0, r1, c1, text)
            if name in hidden:
                ws.hide()
    return path


@pytest.fixture
def db(tmp_path: Path):
    database = open_database(tmp_path / "t.duckdb")
    roster = write_xlsx(
        tmp_path / "花名册.xlsx",
        {"花名册": [["员工花名册"], [], ["工号", "姓名", "部门", "岗位", "直接上级", "入职日期"], *map(list, ROSTER)]},
    )
    assert import_file(database, roster).status == "loaded"
    yield database
    database.close()


def counts(db) -> dict[str, int]:
    return {t: db.scalar(f"SELECT count(*) FROM {t}") for t in ("appraisals", "appraisal_items", "cycles", "employees")}


def test_tabular_with_title_two_row_header_totals_blank_and_notes(db, tmp_path: Path) -> None:
    rows = [
        ["2024年第一季度 生产一车间绩效考核表"],
        [],
        ["基本信息", None, None, "考核结果", None, None],
        ["工号", "姓名", "部门", "得分", "等级", "考核人"],
        [2, "乙一", "生产一车间", "92", "A", "000001"],  # id lost its zeros
        ["000003", "丙 二", "生产一车间", "85分", None, "乙一"],  # rater by name; name with a space
        ["4", "丁三", "生产一车间", "９０", None, None],
        [None, None, None, None, None, None],
        ["合计", None, None, "267"],
        ["注：本表由车间主任填写，经人力资源部审核。"],
    ]
    path = write_xlsx(
        tmp_path / "一车间.xlsx", {"Q1": rows}, {"Q1": [(2, 0, 2, 2, "基本信息"), (2, 3, 2, 5, "考核结果")]}
    )
    report = import_file(db, path)
    assert report.source == "legacy"
    assert (report.status, report.rows_read, report.rows_loaded, report.rows_rejected) == ("loaded", 3, 3, 0)
    assert any("合计" in n and "备注" in n for n in report.notes)
    got = {r["employee_id"]: r for r in db.rows("SELECT * FROM appraisals ORDER BY employee_id")}
    assert set(got) == {"000002", "000003", "000004"}
    assert got["000002"]["final_score"] == 92 and got["000002"]["grade"] == "A"
    # the file states no grade for 000003: none is stored, the scale's grade is kept as computed
    assert got["000003"]["final_score"] == 85 and got["000003"]["grade"] is None
    assert got["000003"]["grade_computed"] == "B"
    assert got["000003"]["manager_id"] == "000002"  # 考核人 given as a name
    assert got["000004"]["manager_id"] == "000002"  # no rater: the roster's manager
    cycle = db.one("SELECT * FROM cycles")
    assert (cycle["cycle_id"], cycle["status"], cycle["origin"], cycle["kind"]) == (
        "H-2024-Q1",
        "closed",
        "legacy",
        "quarterly",
    )
    assert cycle["period_start"] == dt.date(2024, 1, 1)


def test_item_rows_make_weighted_totals_and_keep_items(db, tmp_path: Path) -> None:
    rows = [
        ["工号", "姓名", "考核期间", "指标", "权重", "目标", "实际", "得分", "评语"],
        ["000005", "戊四", "2024年第二季度", "日均完成抽检 200 件", "60%", "200", "190", "95", "稳定"],
        ["000005", "戊四", "2024年第二季度", "漏检率低于 0.5%", "40%", "0.5%", "0.4%", "100", None],
        ["000006", "己五", "2024Q2", "日均完成抽检 200 件", 0.6, "200", "150", "75", None],
        ["000006", "己五", "2024Q2", "漏检率低于 0.5%", 0.4, "0.5%", "0.9%", "60", "需改进"],
    ]
    report = import_file(db, write_xlsx(tmp_path / "质量部.xlsx", {"明细": rows}))
    assert report.status == "loaded", report.rejects
    scores = {r["employee_id"]: r["final_score"] for r in db.rows("SELECT employee_id, final_score FROM appraisals")}
    assert scores == {"000005": pytest.approx(97.0), "000006": pytest.approx(69.0)}
    items = db.rows(
        "SELECT i.weight, i.target_as_written, i.target_value, i.actual_value, i.item_score, i.manager_comment, k.name, k.status FROM appraisal_items i "
        "JOIN kpis k USING (kpi_id) WHERE appraisal_id = 'H-2024-Q2:000005' ORDER BY i.weight DESC"
    )
    assert [(i["weight"], i["item_score"], i["name"], i["status"]) for i in items] == [
        (60.0, 95.0, "日均完成抽检 200 件", "legacy"),
        (40.0, 100.0, "漏检率低于 0.5%", "legacy"),
    ]
    assert items[0]["target_as_written"] == "200" and items[0]["target_value"] == 200.0  # as written, and as a number
    assert items[0]["manager_comment"] == "稳定"


def test_bad_rows_are_reported_and_their_appraisal_is_not_half_loaded(db, tmp_path: Path) -> None:
    rows = [
        ["工号", "姓名", "考核期间", "指标", "权重", "得分"],
        ["000003", "丙二", "2024Q3", "产量", 50, "90"],
        ["000003", "丙二", "2024Q3", "安全", 50, "九十"],  # unreadable: the whole appraisal must stay out
        ["000004", "丁三", "2024Q3", "产量", 50, "80"],
        ["000004", "丁三", "2024Q3", "安全", 50, "70"],
        ["000004", "丁三", "2024Q3", "安全", 50, "70"],  # the same key twice: reported, not deduplicated
        ["000005", "戊四", "2024Q9", "产量", 100, "80"],  # bad period
        ["000006", "己五", "2024Q3", "产量", 100, "缺考"],
        ["000099", None, "2024Q3", "产量", 100, "80"],  # unknown id, no name
        ["000002", "丙二", "2024Q3", "产量", 100, "80"],  # id and name disagree
        ["000001", "甲总", "2024Q3", "产量", 100, "150"],  # over the cap
    ]
    report = import_file(db, write_xlsx(tmp_path / "bad.xlsx", {"Q3": rows}))
    assert report.status == "rejected"
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (10, 0, 10)
    reasons = {(r.row, r.reason) for r in report.rejects}
    by_row: dict[int, list[str]] = {}
    for row, reason in reasons:
        by_row.setdefault(row, []).append(reason)
    assert any("不是可识别的数字" in x for x in by_row[3])
    assert any("为保持完整" in x for x in by_row[2])
    assert any("重复出现" in x for x in by_row[5]) and any("重复出现" in x for x in by_row[6])
    assert any("为保持完整" in x for x in by_row[4])
    assert any("考核期间无法识别" in x for x in by_row[7])
    assert any("缺考" in x for x in by_row[8])
    assert any("不在花名册中" in x for x in by_row[9])
    assert any("不一致" in x for x in by_row[10])
    assert any("120" in x for x in by_row[11])
    assert all(r.sheet == "Q3" for r in report.rejects)
    assert counts(db)["appraisals"] == 0 and counts(db)["appraisal_items"] == 0
    stored = db.scalar("SELECT count(*) FROM import_rejects WHERE batch_id = ?", [report.batch_id])
    assert stored == len(report.rejects)
    # the downloadable report holds the same rows
    frame = report.rejects_frame()
    assert frame.columns == ["工作表", "行号", "列", "值", "原因"] and frame.height == len(report.rejects)


def test_reimport_changes_nothing_and_conflicts_are_not_overwritten(db, tmp_path: Path) -> None:
    first = write_xlsx(
        tmp_path / "a.xlsx",
        {
            "S": [
                ["工号", "姓名", "考核期间", "总分"],
                ["000003", "丙二", "2023Q4", 81],
                ["000004", "丁三", "2023Q4", 77],
            ]
        },
    )
    assert import_file(db, first).status == "loaded"
    before = counts(db)
    again = import_file(db, first)
    assert again.status == "unchanged" and "导入过" in again.message
    assert counts(db) == before
    # another file with the same rows: nothing duplicated
    same_rows = write_xlsx(
        tmp_path / "b.xlsx",
        {
            "另一张": [
                ["员工编号", "员工姓名", "季度", "绩效得分"],
                ["3", "丙二", "2023年第四季度", "81"],
                ["000004", "丁三", "2023Q4", "77"],
            ]
        },
    )
    rep = import_file(db, same_rows)
    assert (rep.status, rep.rows_unchanged, rep.rows_loaded) == ("unchanged", 2, 0)
    assert counts(db) == before
    # the same key with another score: refused row by row, the stored value stays
    changed = write_xlsx(
        tmp_path / "c.xlsx", {"S": [["工号", "姓名", "考核期间", "总分"], ["000003", "丙二", "2023Q4", 60]]}
    )
    rep = import_file(db, changed)
    assert rep.status == "rejected" and "已由批次" in rep.rejects[0].reason
    assert db.scalar("SELECT final_score FROM appraisals WHERE appraisal_id = 'H-2023-Q4:000003'") == 81


def test_period_wide_layout_with_merged_period_groups(db, tmp_path: Path) -> None:
    rows = [["2023 年各季度考核结果"], ["工号", "姓名"], [None, None]]
    merges = [(1, 0, 2, 0, "工号"), (1, 1, 2, 1, "姓名")]
    for q in range(4):
        rows[1] += [f"2023年Q{q + 1}", None]
        rows[2] += ["得分", "等级"]
        merges.append((1, 2 + 2 * q, 1, 3 + 2 * q, f"2023年Q{q + 1}"))
    rows += [
        ["000003", "丙二", 80, "B", 85, "B", 91, "A", None, None],
        ["000004", "丁三", 70, "B", "-", None, 60, "C", 75, "B"],
    ]
    report = import_file(db, write_xlsx(tmp_path / "wide.xlsx", {"2023": rows}, {"2023": merges}))
    assert report.status == "loaded", report.rejects
    got = db.rows("SELECT appraisal_id, final_score, grade FROM appraisals ORDER BY 1")
    assert [(g["appraisal_id"], g["final_score"], g["grade"]) for g in got] == [
        ("H-2023-Q1:000003", 80, "B"), ("H-2023-Q1:000004", 70, "B"), ("H-2023-Q2:000003", 85, "B"),
        ("H-2023-Q3:000003", 91, "A"), ("H-2023-Q3:000004", 60, "C"), ("H-2023-Q4:000004", 75, "B"),
    ]  # fmt: skip


def test_conditional_formats_and_drop_downs_are_no_merged_cells(db, tmp_path: Path) -> None:
    """A colour rule over the scores and a drop-down over the grades name ranges too (sqref="E3:E6"):
    they are not merged cells, so each person keeps their own score and grade."""
    path = tmp_path / "2024年Q1考核.xlsx"
    with xlsxwriter.Workbook(path) as wb:
        ws = wb.add_worksheet("Q1")
        ws.merge_range(0, 0, 0, 5, "2024年第一季度考核结果")
        ws.write_row(1, 0, ["工号", "姓名", "部门", "岗位", "得分", "等级"])
        people = [("000003", "丙二", 88, "B"), ("000004", "丁三", 95, "A"), ("000005", "戊四", 61, "C")]
        for r, (eid, name, score, grade) in enumerate(people, start=2):
            ws.write_row(r, 0, [eid, name, None, None, score, grade])
        bold = wb.add_format({"bold": True})
        ws.conditional_format("E3:E6", {"type": "cell", "criteria": ">", "value": 90, "format": bold})
        ws.data_validation("F3:F6", {"validate": "list", "source": ["A", "B", "C"]})
    grid = read_grids(path, inspect_file(path))[0]
    assert grid.merged == [(0, 0, 0, 5)]
    report = import_file(db, path)
    assert report.status == "loaded", report.rejects
    got = db.rows("SELECT employee_id, final_score, grade FROM appraisals ORDER BY 1")
    assert [(g["employee_id"], g["final_score"], g["grade"]) for g in got] == [
        ("000003", 88, "B"), ("000004", 95, "A"), ("000005", 61, "C"),
    ]  # fmt: skip


def form_sheet(name: str, eid: str | None, items: list[tuple], total: str, month: str = "2024年3月") -> list[list]:
    rows = [
        ["员工月度绩效考核表"],
        ["姓名：", name, "工号：", eid, "部门：", "生产一车间"],
        ["岗位：装配工", None, f"月份：{month}", None, "考核人：", "乙一"],
        [],
        ["指标", "权重", "目标", "实际", "得分", "评语"],
        *[list(it) for it in items],
        ["合计", "100", None, None, total],
        [],
        ["员工签字：", None, "主管签字："],
    ]
    return rows


def test_per_person_forms_with_summary_sheet(db, tmp_path: Path) -> None:
    sheets = {
        "汇总": [["工号", "姓名", "总分"], ["000003", "丙二", 88], [None, "丁三", 79]],
        "丙二": form_sheet(
            "丙二",
            "000003",
            [("产量完成率", 50, 100, 98, 49, "好"), ("质量", 30, 0, 0, 30, None), ("5S", 20, None, None, 9, "一般")],
            "88",
        ),
        "丁三": form_sheet(
            "丁三",
            None,
            [("产量完成率", 50, 100, 90, 45, None), ("质量", 30, 0, 2, 20, None), ("5S", 20, None, None, 10, None)],
            "75",
        ),
    }
    path = write_xlsx(tmp_path / "forms.xlsx", sheets)
    grids = read_grids(path, inspect_file(path))
    form = find_form(grids[1])
    assert form is not None and form.labels["name"][0] == "丙二" and form.labels["period"][0] == "2024年3月"
    report = import_file(db, path)
    assert report.status == "loaded", report.rejects
    assert report.rows_read == 6 and any("汇总页，不重复导入" in n for n in report.notes)
    # the summary's 79 for 丁三 disagrees with the 75 the form adds up to: said, not silently taken
    mismatches = [n for n in report.notes if "不一致" in n]
    assert len(mismatches) == 1 and "丁三" in mismatches[0] and "79" in mismatches[0] and "75" in mismatches[0]
    got = {r["employee_id"]: r for r in db.rows("SELECT * FROM appraisals")}
    assert got["000003"]["final_score"] == 88 and got["000004"]["final_score"] == 75  # 丁三 found by name
    assert got["000003"]["cycle_id"] == "H-2024-M03" and got["000003"]["manager_id"] == "000002"
    # item 得分 written as weighted points (49 of 50) is stored as a 0–100 item score
    item = db.one(
        "SELECT item_score FROM appraisal_items i JOIN kpis k USING (kpi_id) WHERE appraisal_id = 'H-2024-M03:000003' AND k.name = '产量完成率'"
    )
    assert item["item_score"] == pytest.approx(98.0)


def test_xls_with_xlsx_name_five_point_scale_and_hidden_sheet(db, tmp_path: Path) -> None:
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("考核")
    for j, h in enumerate(["员工编号", "员工姓名", "年度", "Rating"]):
        ws.write(0, j, h)
    for i, (eid, name, score) in enumerate([(3, "丙二", 5), (4, "丁三", 3), (5, "戊四", 1)], start=1):
        ws.write(i, 0, eid)
        ws.write(i, 1, name)
        ws.write(i, 2, "2022")
        ws.write(i, 3, score)
    hidden = wb.add_sheet("隐藏")
    hidden.write(0, 0, "工号")
    hidden.write(0, 1, "总分")
    hidden.write(1, 0, "000006")
    hidden.write(1, 1, 99)
    hidden.visibility = 1
    path = tmp_path / "old.xlsx"
    wb.save(str(path))
    assert inspect_file(path).kind == "xls"
    report = import_file(db, path)
    assert report.status == "loaded", report.rejects
    assert any("隐藏" in n for n in report.notes)
    got = {
        r["employee_id"]: (r["final_score"], r["grade_computed"], r["source_score"], r["source_scale"])
        for r in db.rows("SELECT * FROM appraisals")
    }
    # no grade column: the grades are the scale's, stored as computed, none as stated
    assert got == {"000003": (100.0, "A", 5.0, 5), "000004": (60.0, "B", 3.0, 5), "000005": (20.0, "C", 1.0, 5)}
    assert db.scalar("SELECT count(*) FROM appraisals WHERE grade IS NOT NULL") == 0
    assert db.one("SELECT kind FROM cycles")["kind"] == "annual"


def test_gbk_csv_and_people_only_in_history(db, tmp_path: Path) -> None:
    text = "工号,姓名,部门,考核期间,总分\n000003,丙二,生产一车间,2021Q1,88\n000777,庚六,旧装配车间,2021Q1,71\n"
    path = tmp_path / "export.csv"
    path.write_bytes(text.encode("gbk"))
    report = import_file(db, path)
    assert report.status == "loaded", report.rejects
    person = db.one(
        "SELECT e.name, e.status, d.name AS dept FROM employees e JOIN departments d USING (dept_id) WHERE employee_id = '000777'"
    )
    assert person == {"name": "庚六", "status": "historical", "dept": "旧装配车间"}
    assert any("历史人员" in n for n in report.notes)


def test_layout_detection_finds_header_below_title_rows(tmp_path: Path) -> None:
    rows = [
        ["某某机械"],
        ["2024 年考核"],
        [],
        ["说明：本表…"],
        ["Emp ID", "Name", "Period", "Score"],
        ["1", "x", "2024Q1", "90"],
    ]
    path = write_xlsx(tmp_path / "t.xlsx", {"S": rows})
    table = find_table(read_grids(path, inspect_file(path))[0])
    assert table is not None and table.header_row == 4 and table.kind == "legacy"
    assert {c.field for c in table.columns} == {"employee_id", "name", "period", "score"}


def test_excel95_workbook_with_gbk_text(db, tmp_path: Path) -> None:
    """Old HR systems export Excel 95 (BIFF5) files whose text is GBK (code page 936)."""
    from tests.biff5 import write_biff5

    rows = [["工号", "姓名", "考核期间", "总分", "评语"], ["000003", "丙二", "2024年第一季度", 88, "表现良好"],
            ["000004", "丁三", "2024Q1", "９０分", None]]  # fmt: skip
    path = write_biff5(tmp_path / "旧系统导出.xls", {"生产一车间": rows})
    assert inspect_file(path).kind == "xls_old"
    grids = read_grids(path, inspect_file(path))
    assert grids[0].name == "生产一车间" and grids[0].frame.row(1)[1] == "丙二"
    report = import_file(db, path)
    assert report.status == "loaded", report.rejects
    assert {r["employee_id"]: r["final_score"] for r in db.rows("SELECT * FROM appraisals")} == {
        "000003": 88,
        "000004": 90,
    }


def test_weights_not_adding_to_100_and_text_kept_as_written(db, tmp_path: Path) -> None:
    rows = [
        ["工号", "姓名", "考核期间", "指标", "权重", "得分", "总分", "评语"],
        ["000003", "丙二", "2024Q4", "产量（A线）", 50, 90, None, "问题较多，需制定改进计划"],
        ["000003", "丙二", "2024Q4", "安全", 40, 80, None, None],  # 90 % in all and no total: no way to score
        ["000004", "丁三", "2024Q4", "产量（A线）", 50, 90, 86, "　好　"],
        ["000004", "丁三", "2024Q4", "安全", 40, 80, 86, None],  # 90 % but the total is written: taken, noted
        ["000005", "戊四", "2024Q4", "产量（A线）", 100, "1.05", None, None],  # 105 % written as a fraction
        ["000006", "己五", "2024Q4", "产量（A线）", 100, "-", None, None],
    ]
    report = import_file(db, write_xlsx(tmp_path / "w.xlsx", {"S": rows}))
    reasons = {(r.row, r.reason) for r in report.rejects}
    assert any(row == 2 and "权重合计为 90.0%" in reason for row, reason in reasons)
    assert any(row == 7 and "「-」" in reason for row, reason in reasons)
    assert any("权重合计不是 100%" in n for n in report.notes)
    got = {r["employee_id"]: r["final_score"] for r in db.rows("SELECT * FROM appraisals")}
    assert got == {"000004": 86.0, "000005": 105.0}
    comments = {
        r["manager_comment"] for r in db.rows("SELECT manager_comment FROM appraisal_items") if r["manager_comment"]
    }
    assert comments == {"好"}  # trimmed (ideographic spaces too), otherwise as written
    assert db.scalar("SELECT count(*) FROM kpis WHERE name = '产量（A线）'") == 1  # full-width brackets kept


def test_comments_keep_their_punctuation(db, tmp_path: Path) -> None:
    rows = [["工号", "姓名", "考核期间", "指标", "权重", "得分", "评语"],
            ["000003", "丙二", "2024Q4", "产量", 100, 90, "问题较多，需制定改进计划（下季度）"]]  # fmt: skip
    assert import_file(db, write_xlsx(tmp_path / "c.xlsx", {"S": rows})).status == "loaded"
    assert db.scalar("SELECT manager_comment FROM appraisal_items") == "问题较多，需制定改进计划（下季度）"


def test_summary_sheet_with_periods_in_a_forms_workbook_is_not_loaded_twice(db, tmp_path: Path) -> None:
    sheets = {
        "汇总": [["2024年第三季度绩效考核汇总"], ["序号", "工号", "姓名", "考核期间", "总分", "等级"],
                 [1, "000003", "丙二", "2024年第三季度", 92.5, "A"], ["平均", None, None, None, 92.5]],
        "丙二": form_sheet("丙二", "3", [("产量完成率", 50, 100, 98, 98, None), ("质量", 50, 0, 0, 77, None)], "87.5", month="2024年第三季度"),
    }  # fmt: skip
    report = import_file(db, write_xlsx(tmp_path / "f.xlsx", sheets))
    assert report.status == "loaded", report.rejects
    assert db.scalar("SELECT final_score FROM appraisals WHERE employee_id = '000003'") == 87.5
    assert any("92.5" in n and "87.5" in n for n in report.notes)
