"""Per-person appraisal forms written by other people (issue 11 point 4): where the labels are, who the
person is, the items with their category, weights, self and supervisor scores, bonus and deduction rows,
the summary sheet's cross-check, a grade only where the file states one — and the layout traps (label
rows, date serials in a header, rubric wording).

Synthetic workbooks (tests/builders.py, made-up people 测试甲 …) for every shape, then the four real
forms of ../shared/corpus/zh_hr/appraisal, read in place; their expected numbers were read from the
files with openpyxl, not from the importer.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import polars as pl
import pytest

from core.db import Database, open_database
from pipelines import import_file
from pipelines.layout import find_form, find_table
from pipelines.legacy.appraisals import build_appraisals
from pipelines.legacy.parse import parse_legacy
from pipelines.legacy.sheets import plan_sheets
from pipelines.options import ImportOptions
from pipelines.sniff import FileRefused, inspect_file
from pipelines.workbook import read_grids
from tests import builders as b
from tests.builders import CORPUS_DIR
from tests.test_zh_corpus import import_after_department_question

PEOPLE = b.sample_people(6)
JIA, YI, BING = PEOPLE[0], PEOPLE[1], PEOPLE[2]  # 测试甲 00101 (heads 生产部), 测试乙 00102, 测试丙 00103
APPRAISAL = CORPUS_DIR / "zh_hr" / "appraisal"
ITEMS_HEADER = ["指标", "权重", "目标", "实际", "自评得分", "上级评分", "评语"]
ITEMS = [
    ["产量达成率", "40%", "100%", "98%", 90, 95, "良好"],
    ["质量合格率", "30%", "99%", "99.5%", 100, 100, None],
    ["安全事故", "20%", "0", "0", 100, 100, None],
    ["5S执行", "10%", "检查合格", "两次整改", 90, 80, "需加强"],
]
# 95×0.4 + 100×0.3 + 100×0.2 + 80×0.1 = 96; the self scores give 90×0.4 + 30 + 20 + 9 = 95
MANAGER_TOTAL, SELF_TOTAL = 96.0, 95.0


@pytest.fixture
def db(tmp_path: Path):
    with open_database(tmp_path / "forms.duckdb") as database:
        report = import_file(database, b.write_roster(tmp_path / "花名册.xlsx", PEOPLE))
        assert report.status == "loaded", report.message
        yield database


def _grids(path: Path):
    return read_grids(path, inspect_file(path))


def _form(path: Path, sheet: int = 0):
    form = find_form(_grids(path)[sheet])
    assert form is not None, "the sheet is a form"
    return form


def _apps(db: Database) -> dict[str, dict]:
    return {r["employee_id"]: r for r in db.rows("SELECT * FROM appraisals ORDER BY employee_id")}


def _items(db: Database, appraisal_id: str) -> dict[str, dict]:
    return {
        r["name"]: r
        for r in db.rows(
            "SELECT k.name, i.* FROM appraisal_items i JOIN kpis k USING (kpi_id) WHERE appraisal_id = ?",
            [appraisal_id],
        )
    }


# ---- where the labels are ----------------------------------------------------------------------


def _sheet_with(labels: list[list], items=ITEMS, header=ITEMS_HEADER) -> list[list]:
    return [["员工月度绩效考核表"], *labels, [], header, *items]


def test_labels_with_and_without_colon_beside_their_values(tmp_path: Path) -> None:
    path = b.write_xlsx(
        tmp_path / "f.xlsx",
        {
            "考核": _sheet_with(
                [["姓名", JIA.name, None, "工号", JIA.employee_id], ["部门：", "生产部", None, "月份：2024-03"]]
            )
        },
    )
    form = _form(path)
    got = {f: v for f, (v, _, _) in form.labels.items()}
    assert got == {"name": JIA.name, "employee_id": JIA.employee_id, "department": "生产部", "period": "2024-03"}


def test_values_below_their_labels(tmp_path: Path) -> None:
    path = b.write_xlsx(
        tmp_path / "f.xlsx",
        {"考核": _sheet_with([["姓名", "工号", "部门", "考核月份"], [YI.name, YI.employee_id, "生产部", "2024年3月"]])},
    )
    got = {f: v for f, (v, _, _) in _form(path).labels.items()}
    assert got == {"name": YI.name, "employee_id": YI.employee_id, "department": "生产部", "period": "2024年3月"}


def test_merged_label_and_merged_value(tmp_path: Path) -> None:
    # 「姓名：」 merged over A2:B2 with its value in C2; 「工号」 in D2 with its value merged over E2:F2
    rows = _sheet_with([[None, None, JIA.name, "工号", None, None], ["月份：2024-03"]])
    path = b.write_xlsx(
        tmp_path / "f.xlsx",
        {"考核": rows},
        merges={"考核": [(1, 0, 1, 1, "姓名："), (1, 4, 1, 5, JIA.employee_id)]},
    )
    got = {f: v for f, (v, _, _) in _form(path).labels.items()}
    assert got["name"] == JIA.name and got["employee_id"] == JIA.employee_id


@pytest.mark.parametrize("label", ["部门-姓名", "部门/姓名", "部门－姓名："])
def test_a_combined_label_splits_its_value(tmp_path: Path, label: str) -> None:
    path = b.write_xlsx(tmp_path / "f.xlsx", {"考核": _sheet_with([[label, f"装配部-{JIA.name}"], ["月份：2024-03"]])})
    got = {f: v for f, (v, _, _) in _form(path).labels.items()}
    assert (got["department"], got["name"]) == ("装配部", JIA.name)


def test_several_labels_in_one_cell(tmp_path: Path) -> None:
    cell = f"员工姓名：{JIA.name}    工号：{JIA.employee_id}    评估月份：2026年01月"
    path = b.write_xlsx(tmp_path / "f.xlsx", {"报告": _sheet_with([[cell]])})
    got = {f: v for f, (v, _, _) in _form(path).labels.items()}
    assert got == {"name": JIA.name, "employee_id": JIA.employee_id, "period": "2026年01月"}


@pytest.mark.parametrize(
    ("sheet", "name", "dept"),
    [
        ("装配-测试乙", "测试乙", "装配"),
        ("测试乙", "测试乙", None),
        ("一车间-测试乙", "测试乙", "一车间"),
        ("测试乙绩效考核表", "测试乙", None),
        ("2024年3月-测试乙", "测试乙", None),
    ],
)
def test_the_person_only_in_the_sheet_name(tmp_path: Path, sheet: str, name: str, dept: str | None) -> None:
    path = b.write_xlsx(tmp_path / "f.xlsx", {sheet: _sheet_with([["考核月份：2024-03"]])})
    got = {f: v for f, (v, _, _) in _form(path).labels.items()}
    assert got["name"] == name and got.get("department") == dept


@pytest.mark.parametrize("sheet", ["绩效考核表", "生产部", "质检科", "一车间", "Sheet1", "汇总"])
def test_a_sheet_named_like_a_table_or_a_department_names_nobody(tmp_path: Path, sheet: str) -> None:
    path = b.write_xlsx(tmp_path / "f.xlsx", {sheet: _sheet_with([["考核月份：2024-03"]])})
    assert find_form(_grids(path)[0]) is None


def test_year_and_month_labels_name_one_month(db: Database, tmp_path: Path) -> None:
    labels = [["员工编号：", JIA.employee_id, "员工姓名：", JIA.name, "年度：", 2024, "月份：", 3]]
    path = b.write_xlsx(tmp_path / "f.xlsx", {"考核": _sheet_with(labels)})
    report = import_file(db, path)
    assert report.status == "loaded", report.rejects
    assert db.scalar("SELECT cycle_id FROM appraisals") == "H-2024-M03"


def test_the_period_from_the_title_row(db: Database, tmp_path: Path) -> None:
    rows = [["2019年Q2绩效考核表"], ["姓名：", JIA.name, "工号：", JIA.employee_id], [], ITEMS_HEADER, *ITEMS]
    report = import_file(db, b.write_xlsx(tmp_path / "f.xlsx", {"考核": rows}))
    assert report.status == "loaded", report.rejects
    assert db.scalar("SELECT cycle_id FROM appraisals") == "H-2019-Q2"


def test_a_month_without_year_takes_the_year_of_the_file_name(db: Database, tmp_path: Path) -> None:
    labels = [["姓名：", JIA.name, "工号：", JIA.employee_id], ["评估周期： 3月   "]]
    report = import_file(db, b.write_xlsx(tmp_path / "2023年绩效考核.xlsx", {"考核": _sheet_with(labels)}))
    assert report.status == "loaded", report.rejects
    assert db.scalar("SELECT cycle_id FROM appraisals") == "H-2023-M03"


# ---- the items -----------------------------------------------------------------------------------


def test_self_and_supervisor_scores_comments_and_no_invented_grade(db: Database, tmp_path: Path) -> None:
    labels = [["姓名：", JIA.name, "工号：", JIA.employee_id], ["月份：2024-03"]]
    report = import_file(db, b.write_xlsx(tmp_path / "f.xlsx", {"考核": _sheet_with(labels)}))
    assert report.status == "loaded", report.rejects
    app = _apps(db)[JIA.employee_id]
    assert app["final_score"] == pytest.approx(MANAGER_TOTAL)  # supervisor's scores count, the self scores do not
    assert app["grade"] is None and app["grade_computed"] == "A"  # the file states no grade
    assert app["self_score"] == pytest.approx(SELF_TOTAL)  # the self scores weighted, kept apart
    items = _items(db, app["appraisal_id"])
    assert {k: (v["weight"], v["self_score"], v["manager_score"]) for k, v in items.items()} == {
        "产量达成率": (40, 90, 95), "质量合格率": (30, 100, 100), "安全事故": (20, 100, 100), "5S执行": (10, 90, 80),
    }  # fmt: skip
    assert items["5S执行"]["manager_comment"] == "需加强" and items["5S执行"]["item_kind"] == "item"
    assert sum(v["self_score"] * v["weight"] for v in items.values()) / 100 == pytest.approx(SELF_TOTAL)


def test_headers_with_remarks_in_brackets(db: Database, tmp_path: Path) -> None:
    header = ["考核要素", "权重分", "实际完成情况", "自评（20%）", "上级评分（80%）"]
    items = [["产量", 60, "超额完成", 90, 85], ["质量", 40, "达标", 80, 75]]
    rows = _sheet_with([["姓名：", JIA.name, "工号：", JIA.employee_id], ["月份：2024-03"]], items, header)
    report = import_file(db, b.write_xlsx(tmp_path / "f.xlsx", {"考核": rows}))
    assert report.status == "loaded", report.rejects
    app = _apps(db)[JIA.employee_id]
    assert (app["final_score"], app["self_score"]) == (81, 86)  # 85×.6 + 75×.4; 90×.6 + 80×.4
    items_got = _items(db, app["appraisal_id"])
    assert items_got["产量"]["actual_as_written"] == "超额完成" and items_got["质量"]["self_score"] == 80


def test_a_self_score_out_of_range_is_rejected_in_chinese(db: Database, tmp_path: Path) -> None:
    items = [["产量", 60, None, None, 150, 85, None], ["质量", 40, None, None, 80, 75, None]]
    rows = _sheet_with([["姓名：", JIA.name, "工号：", JIA.employee_id], ["月份：2024-03"]], items)
    report = import_file(db, b.write_xlsx(tmp_path / "f.xlsx", {"考核": rows}))
    assert report.rows_loaded == 0
    bad = [r for r in report.rejects if "自评得分超过" in r.reason]
    assert len(bad) == 1 and bad[0].column == "自评得分" and bad[0].row == 6, report.rejects


def test_a_grade_the_form_states_is_kept(db: Database, tmp_path: Path) -> None:
    labels = [["姓名：", JIA.name, "工号：", JIA.employee_id], ["月份：2024-03"]]
    rows = [*_sheet_with(labels), ["合计", "100%", None, None, None, 96], ["等级：", "B"]]
    report = import_file(db, b.write_xlsx(tmp_path / "f.xlsx", {"考核": rows}))
    assert report.status == "loaded", report.rejects
    app = _apps(db)[JIA.employee_id]
    assert (app["final_score"], app["grade"], app["grade_computed"]) == (96, "B", "A")


def test_a_category_merged_down_over_its_items(db: Database, tmp_path: Path) -> None:
    header = ["考核维度", *ITEMS_HEADER]
    items = [[None, *it] for it in ITEMS]
    rows = _sheet_with([["姓名：", JIA.name, "工号：", JIA.employee_id], ["月份：2024-03"]], items, header)
    first = len(rows) - len(items)
    merges = [(first, 0, first + 1, 0, "业绩"), (first + 2, 0, first + 3, 0, "行为")]
    report = import_file(db, b.write_xlsx(tmp_path / "f.xlsx", {"考核": rows}, merges={"考核": merges}))
    assert report.status == "loaded", report.rejects
    items_got = _items(db, _apps(db)[JIA.employee_id]["appraisal_id"])
    assert {k: v["category"] for k, v in items_got.items()} == {
        "产量达成率": "业绩", "质量合格率": "业绩", "安全事故": "行为", "5S执行": "行为",
    }  # fmt: skip


def test_a_category_merged_down_in_a_column_without_header(db: Database, tmp_path: Path) -> None:
    items = [[None, *it] for it in ITEMS]
    rows = _sheet_with(
        [["姓名：", JIA.name, "工号：", JIA.employee_id], ["月份：2024-03"]], items, [None, *ITEMS_HEADER]
    )
    first = len(rows) - len(items)
    merges = [(first, 0, first + 2, 0, "业绩")]  # the fourth item sits under no category
    report = import_file(db, b.write_xlsx(tmp_path / "f.xlsx", {"考核": rows}, merges={"考核": merges}))
    assert report.status == "loaded", report.rejects
    got = {k: v["category"] for k, v in _items(db, _apps(db)[JIA.employee_id]["appraisal_id"]).items()}
    assert got == {"产量达成率": "业绩", "质量合格率": "业绩", "安全事故": "业绩", "5S执行": None}


def test_bonus_and_deduction_sections_under_their_heading_rows(db: Database, tmp_path: Path) -> None:
    items = [
        *ITEMS,
        ["加分项（最高 5 分）", None, None, None, None, None, None],
        ["技术革新", None, None, None, None, 3, None],
        ["扣分项", None, None, None, None, None, None],
        ["迟到两次", None, None, None, None, 2, None],
        ["工伤事故", None, None, None, None, 1, None],
    ]
    rows = _sheet_with([["姓名：", JIA.name, "工号：", JIA.employee_id], ["月份：2024-03"]], items)
    report = import_file(db, b.write_xlsx(tmp_path / "f.xlsx", {"考核": rows}))
    assert (report.status, report.rows_read) == ("loaded", 7), report.rejects  # the two heading rows are no items
    app = _apps(db)[JIA.employee_id]
    assert app["final_score"] == pytest.approx(MANAGER_TOTAL + 3 - 2 - 1)
    kinds = {k: v["item_kind"] for k, v in _items(db, app["appraisal_id"]).items()}
    assert (kinds["技术革新"], kinds["迟到两次"], kinds["工伤事故"], kinds["安全事故"]) == (
        "bonus", "deduction", "deduction", "item",
    )  # fmt: skip


def test_a_merged_assessment_area_over_its_items_scored_in_points(db: Database, tmp_path: Path) -> None:
    """考核项目 (merged over its rows) then 考核内容, 分值 the points each item is worth, 自评 and 上级评分
    in points out of 分值, and the 合计 row."""
    header = ["考核项目", "考核内容", "分值", "自评", "上级评分"]
    items = [
        [None, "产量完成", 40, 38, 36], [None, "质量达标", 30, 30, 27], [None, "服从安排", 30, 25, 24],
        ["合计", None, 100, 93, 87],
    ]  # fmt: skip
    rows = _sheet_with([["被考核人：", JIA.name, "工号：", JIA.employee_id], ["考核月份：2024-03"]], items, header)
    first = len(rows) - len(items)
    rows[first + 2][0] = "工作态度"  # one item: no merge
    merges = [(first, 0, first + 1, 0, "工作业绩")]
    report = import_file(db, b.write_xlsx(tmp_path / "f.xlsx", {"考核": rows}, merges={"考核": merges}))
    assert report.status == "loaded", report.rejects
    app = _apps(db)[JIA.employee_id]
    assert (app["final_score"], app["self_score"]) == (87, 93)
    got = {
        k: (v["category"], v["weight"], v["item_score"], round(v["self_score"], 2))
        for k, v in _items(db, app["appraisal_id"]).items()
    }
    assert got == {
        "产量完成": ("工作业绩", 40, 90, 95), "质量达标": ("工作业绩", 30, 90, 100), "服从安排": ("工作态度", 30, 80, 83.33),
    }  # fmt: skip


def test_nested_category_weights_resolve_to_one_scale(db: Database, tmp_path: Path) -> None:
    header = ["类别", "类别权重", "指标", "权重", "上级评分"]
    items = [
        [None, None, "产量", 0.4, 90], [None, None, "质量", 0.2, 80], [None, None, "成本", 0.2, 70],
        [None, None, "交期", 0.2, 100], [None, None, "协作", 0.5, 80], [None, None, "出勤", 0.5, 100],
    ]  # fmt: skip
    rows = _sheet_with([["姓名：", JIA.name, "工号：", JIA.employee_id], ["月份：2024-03"]], items, header)
    first = len(rows) - len(items)
    merges = [
        (first, 0, first + 3, 0, "业绩"), (first, 1, first + 3, 1, "70%"),
        (first + 4, 0, first + 5, 0, "行为"), (first + 4, 1, first + 5, 1, "30%"),
    ]  # fmt: skip
    report = import_file(db, b.write_xlsx(tmp_path / "f.xlsx", {"考核": rows}, merges={"考核": merges}))
    assert report.status == "loaded", report.rejects
    app = _apps(db)[JIA.employee_id]
    got = {k: v["weight"] for k, v in _items(db, app["appraisal_id"]).items()}
    assert got == pytest.approx({"产量": 28, "质量": 14, "成本": 14, "交期": 14, "协作": 15, "出勤": 15})
    # 90×.28 + 80×.14 + 70×.14 + 100×.14 + 80×.15 + 100×.15 = 87.2
    assert app["final_score"] == pytest.approx(87.2)


def test_bonus_and_deduction_rows_add_to_and_take_from_the_total(db: Database, tmp_path: Path) -> None:
    items = [
        *ITEMS,
        ["加分项：技术革新", None, None, None, None, 3, None],
        ["扣分项：迟到两次", None, None, None, None, 2, None],
    ]
    rows = _sheet_with([["姓名：", JIA.name, "工号：", JIA.employee_id], ["月份：2024-03"]], items)
    report = import_file(db, b.write_xlsx(tmp_path / "f.xlsx", {"考核": rows}))
    assert report.status == "loaded", report.rejects
    app = _apps(db)[JIA.employee_id]
    assert app["final_score"] == pytest.approx(MANAGER_TOTAL + 3 - 2)
    kinds = {k: (v["item_kind"], v["weight"], v["item_score"]) for k, v in _items(db, app["appraisal_id"]).items()}
    assert kinds["加分项：技术革新"] == ("bonus", None, 3) and kinds["扣分项：迟到两次"] == ("deduction", None, 2)
    assert kinds["产量达成率"][0] == "item"
    # the record shows each row's kind (core.appraisal.items_of, read as HR)
    from core import appraisal
    from core.auth import User

    shown = appraisal.items_of(db, User("hr", frozenset({"hr"})), app["appraisal_id"])
    by_kpi = dict(zip(shown["kpi"], shown["item_kind"], strict=True))
    assert (by_kpi["加分项：技术革新"], by_kpi["扣分项：迟到两次"], by_kpi["产量达成率"]) == (
        "bonus",
        "deduction",
        "item",
    )


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ((0.9, 0.8, 1.0), 89.0),  # fractions of 100: 90×.5 + 80×.3 + 100×.2
        ((4, 5, 3), 82.0),  # a 5-point rating: 80×.5 + 100×.3 + 60×.2
    ],
)
def test_small_scores_without_a_total_are_not_taken_for_weighted_points(
    db: Database, tmp_path: Path, scores: tuple, expected: float
) -> None:
    items = [
        [k, w, None, None, None, s, None]
        for k, w, s in zip(("产量", "质量", "安全"), (50, 30, 20), scores, strict=True)
    ]
    rows = _sheet_with([["姓名：", JIA.name, "工号：", JIA.employee_id], ["月份：2024-03"]], items)
    report = import_file(db, b.write_xlsx(tmp_path / "f.xlsx", {"考核": rows}))
    assert report.status == "loaded", report.rejects
    assert _apps(db)[JIA.employee_id]["final_score"] == pytest.approx(expected)


def test_inconsistent_weights_are_reported_not_rescaled(db: Database, tmp_path: Path) -> None:
    items = [["产量", "50%", None, None, None, 90, None], ["质量", "30%", None, None, None, 80, None]]
    rows = _sheet_with([["姓名：", JIA.name, "工号：", JIA.employee_id], ["月份：2024-03"]], items)
    report = import_file(db, b.write_xlsx(tmp_path / "f.xlsx", {"考核": rows}))
    assert report.rows_loaded == 0
    assert any("80%" in r.reason and "不是 100%" in r.reason for r in report.rejects), report.rejects


# ---- layout traps --------------------------------------------------------------------------------


def test_a_row_of_labels_is_never_the_table_header(tmp_path: Path) -> None:
    # the label row names as many fields as the header below it (姓名, 工号, 得分) and comes first
    rows = [
        ["小组：", "一组", "员工姓名：", None, "员工编号：", None, "考核得分："],
        ["工号", "姓名", "得分"],
        [JIA.employee_id, JIA.name, 90],
    ]
    table = find_table(_grids(b.write_xlsx(tmp_path / "t.xlsx", {"考核": rows}))[0])
    assert table is not None and table.header_row == 1


def test_a_date_serial_in_the_header_row_is_no_column(db: Database, tmp_path: Path) -> None:
    rows = [["工号", "姓名", 45383, "考核期间", "得分"], [JIA.employee_id, JIA.name, 7, "2024Q1", 88]]
    path = b.write_xlsx(tmp_path / "t.xlsx", {"考核": rows})
    table = find_table(_grids(path)[0])
    assert table is not None and not table.wide and table.letter("score") == "E"
    assert import_file(db, path).status == "loaded"
    assert db.scalar("SELECT final_score FROM appraisals") == 88


def test_rubric_wording_rows_are_not_people(db: Database, tmp_path: Path) -> None:
    rows = [
        ["工号", "姓名", "考核期间", "得分"],
        [JIA.employee_id, JIA.name, "2024Q1", 90],
        [YI.employee_id, YI.name, "2024Q1", 80],
        [None, "优秀：完成率达到120%以上，无质量事故", None, None],
        ["评分标准"],
        ["A", "超出目标，表现突出", None, "90-100"],
        ["B", "完成目标", None, "70-89"],
    ]
    report = import_file(db, b.write_xlsx(tmp_path / "t.xlsx", {"考核": rows}))
    assert (report.status, report.rows_read, report.rows_loaded) == ("loaded", 2, 2), report.rejects
    assert set(_apps(db)) == {JIA.employee_id, YI.employee_id}


# ---- the summary sheet -----------------------------------------------------------------------------


def test_the_summary_sheet_cross_checks_each_total(db: Database, tmp_path: Path) -> None:
    """A summary as HR writes it: a title row, 序号, period and grade columns, a person by name only,
    and an average row; 测试乙's 90 there disagrees with the 96 their form adds up to."""
    summary = [
        ["2024年3月绩效考核汇总"],
        ["序号", "工号", "姓名", "部门", "考核期间", "总分", "等级"],
        [1, JIA.employee_id, JIA.name, "生产部", "2024-03", 96, "A"],
        [2, None, YI.name, "生产部", "2024-03", 90, "A"],
        ["平均", None, None, None, None, 93, None],
    ]
    sheets = {"汇总": summary}
    for p in (JIA, YI):
        sheets[p.name] = _sheet_with([["姓名：", p.name, "工号：", p.employee_id], ["月份：2024-03"]])
    path = b.write_xlsx(tmp_path / "f.xlsx", sheets)
    assert [p.layout for p in plan_sheets(_grids(path))] == ["summary", "form", "form"]
    report = import_file(db, path)
    assert report.status == "loaded", report.rejects
    notes = [n for n in report.notes if "不一致" in n]
    assert len(notes) == 1, report.notes
    assert all(s in notes[0] for s in ("汇总", "第 4 行", YI.name, "90", "96")), notes
    assert {k: v["final_score"] for k, v in _apps(db).items()} == {JIA.employee_id: 96, YI.employee_id: 96}


# ---- the real forms ------------------------------------------------------------------------------


def _corpus(name: str) -> Path:
    path = APPRAISAL / name
    if not path.exists():
        pytest.skip(f"the shared corpus is not present at {path} (see DESIGN.md §7)")
    return path


def test_corpus_team_goal_form_self_and_leader_scores(tmp_path: Path) -> None:
    """MIssxixi 绩效.xlsx: one person's OKR-style form (考核维度 merged over the items, 目标 as the item,
    目标权重 0.15/0.4/0.4/0.05, 员工自评得分 87/87/85, 领导评分 87/85/85, the fourth item unscored,
    目标权重之和 row with 评分总和 81.85 self / 81.05 leader). Its period is 「1月」 without a year: the
    file is read completely, the year is the question HR answers (here: taken as given)."""
    path = _corpus("MIssxixi_backup_绩效.xlsx")
    person = openpyxl.load_workbook(path, read_only=True).active["G3"].value.split("：")[1]
    with pytest.raises(FileRefused, match="只写了「1月」，没有年份"):  # the one question, asked once
        parse_legacy(_grids(path), path.name, [])
    parsed = parse_legacy(_grids(path), path.name, [], ImportOptions(year=2024))
    assert [p.layout for p in parsed.plans] == ["form"]
    rec = parsed.records.sort("_row")
    assert rec.get_column("name").unique().to_list() == [person]
    assert rec.get_column("_row").to_list() == [6, 7, 8, 10]
    assert rec.get_column("weight_v").to_list() == pytest.approx([15, 40, 40, 5])
    assert rec.get_column("self_v").to_list() == [87, 87, 85, None]
    assert rec.get_column("score_v").to_list() == [87, 85, 85, None]
    assert rec.get_column("category").unique().to_list() == ["团队目标"]
    assert rec.get_column("total_v").unique().to_list() == [81.05]
    # HR answers the one question (the year): the appraisal is the leader's 81.05, with no grade stated
    # (as the load would after resolving the person and the KPIs)
    answered = rec.with_columns(
        period_key=pl.lit("2024-M01"),
        employee_id=pl.lit("X1"),
        kpi_id=pl.col("kpi"),
        dept_id=pl.lit(None, pl.String),
        position_id=pl.lit(None, pl.String),
        manager_id=pl.lit(None, pl.String),
    )
    apps, items, _ = build_appraisals(answered, parsed.errors.clear())
    assert apps.get_column("final_score").to_list() == [81.05]
    assert apps.get_column("self_score").to_list() == [81.85]  # 评分总和 under 员工自评得分
    assert apps.get_column("grade").to_list() == [None] and apps.get_column("grade_computed").to_list() == ["B"]
    assert items.height == 4


def test_corpus_production_log_is_not_an_appraisal(tmp_path: Path) -> None:
    """Darrowyu kpi.xlsx: label row 員工編號：/員工姓名：/年度：/月份： over a daily production log
    (日期/設備編號/工站/生產數量/良品數量 …): no KPI, weight or score anywhere — refused, nothing written."""
    path = _corpus("Darrowyu_kpi_demo_kpi.xlsx")
    with open_database(tmp_path / "x.duckdb") as db:
        report = import_file(db, path)
        assert report.status == "refused" and report.rows_loaded == 0
        assert db.scalar("SELECT count(*) FROM appraisals") == 0


def test_corpus_monthly_kpi_report(tmp_path: Path) -> None:
    """Darrowyu KPI报告_丁新松_100051_202601: 最终绩效汇总 labels in one cell (员工姓名/工号/评估月份
    2026年01月), five items with 原始分 4/6/10/6/10 on a 10-point scale, weights 10/30/30/15/15 %, item
    grades 丁丙甲丙甲, total 7.60分 and grade 乙等; the other three sheets are calculation detail."""
    path = _corpus("Darrowyu_kpi_demo_KPI报告_丁新松_100051_202601_20260224_135538.xlsx")
    with open_database(tmp_path / "x.duckdb") as db:
        report = import_after_department_question(db, path)
        assert (report.status, report.rows_read, report.rows_loaded, report.rows_rejected) == ("loaded", 5, 5, 0)
        apps = db.rows("SELECT * FROM appraisals")
        assert len(apps) == 1
        app = apps[0]
        assert (app["employee_id"], app["cycle_id"]) == ("100051", "H-2026-M01")
        assert (app["final_score"], app["source_score"], app["source_scale"]) == (76, 7.6, 10)
        assert app["grade"] == "B"  # 乙等, as the file states
        items = _items(db, app["appraisal_id"])
        assert {k: (v["weight"], v["item_score"]) for k, v in items.items()} == {
            "工时达成率": (10, 40), "良品达成率": (30, 60), "人时产出达成率": (30, 100),
            "返工率控制": (15, 60), "报废率控制": (15, 100),
        }  # fmt: skip
        assert (
            items["工时达成率"]["target_as_written"] == "≥100%" and items["工时达成率"]["actual_as_written"] == "89.49%"
        )
        assert items["工时达成率"]["manager_comment"] == "出勤不足"


def test_corpus_kpi_summary_report_has_no_rejects(tmp_path: Path) -> None:
    """Darrowyu KPI汇总报告: 13 workers in 2026年01月, 综合得分 9.10 … 4.90 (10 points) with 等级 甲/乙/丙;
    its 绩效排名分析 sheet analyses the same people and is skipped."""
    path = _corpus("Darrowyu_kpi_demo_KPI汇总报告_20260224_135540.xlsx")
    with open_database(tmp_path / "x.duckdb") as db:
        report = import_after_department_question(db, path)
        assert (report.status, report.rows_read, report.rows_loaded, report.rows_rejected) == ("loaded", 13, 13, 0)
        assert any("绩效排名分析" in n and "统计分析" in n for n in report.notes)
        got = {r["employee_id"]: (r["final_score"], r["grade"]) for r in db.rows("SELECT * FROM appraisals")}
        assert len(got) == 13 and db.scalar("SELECT DISTINCT cycle_id FROM appraisals") == "H-2026-M01"
        assert got["100072"] == (91, "A") and got["100051"] == (76, "B") and got["100074"] == (49, "C")


def test_the_record_shows_a_computed_grade_as_computed(db: Database, tmp_path: Path) -> None:
    from core import appraisal
    from core.auth import User
    from ui.appraisal import grade_text

    labels = [["姓名：", JIA.name, "工号：", JIA.employee_id], ["月份：2024-03"]]
    assert import_file(db, b.write_xlsx(tmp_path / "f.xlsx", {"考核": _sheet_with(labels)})).status == "loaded"
    history = appraisal.history_of(db, User("hr1", frozenset({"hr"})), JIA.employee_id)
    assert history.select("grade", "grade_computed").rows() == [(None, "A")]
    assert grade_text(None, "A") == "A（按分数计算，原表未写等级）" and grade_text("B", "A") == "B"


def test_the_computed_grade_is_read_on_the_company_scale(db: Database, tmp_path: Path) -> None:
    from core import settings

    with db.transaction() as cur:
        settings.put_setting(cur, settings.SCALE_KEY, [["优", 95], ["良", 80], ["差", 0]], "test")
    labels = [["姓名：", JIA.name, "工号：", JIA.employee_id], ["月份：2024-03"]]
    assert import_file(db, b.write_xlsx(tmp_path / "f.xlsx", {"考核": _sheet_with(labels)})).status == "loaded"
    app = _apps(db)[JIA.employee_id]
    assert (app["final_score"], app["grade"], app["grade_computed"]) == (96, None, "优")
