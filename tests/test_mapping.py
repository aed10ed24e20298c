"""The Mapping every legacy and roster sheet is read through: its JSON, the file's shape key, detection
→ Mapping → plan equal to detection's own plan, a file of a shape detection cannot read imported with
HR's mapping, and the next file of that shape imported with it without asking."""

from __future__ import annotations

from pathlib import Path

import pytest

from core import import_mappings
from core.db import Database
from core.errors import CoreError
from core.permissions import Forbidden
from pipelines import import_file
from pipelines.layout import Column
from pipelines.legacy.sheets import detect_sheets, plan_sheets
from pipelines.mapping import Mapping, MappingInvalid, SheetMapping, mapping_of_plans, shape_key
from pipelines.mapping_preview import manual_mapping, parse_skip_rows, preview_file, save_for_file, unread_fields
from pipelines.options import ImportOptions
from pipelines.roster.parse import stage
from pipelines.sniff import FileRefused, inspect_file
from pipelines.workbook import read_grids
from tests.builders import (
    FORM_ITEMS,
    sample_people,
    simple_legacy_rows,
    write_form_workbook,
    write_messy_legacy,
    write_roster,
    write_wide_legacy,
    write_xlsx,
)
from tests.conftest import ensure_login

PEOPLE = sample_people(4)
# a sheet whose headers no synonym table knows: detection finds no header in it
UNKNOWN_HEADER = ["甲列", "乙列", "丙列", "丁列", "戊列"]


def unknown_shape(path: Path, scores: list[float], period: str = "2024Q1") -> Path:
    """A title row, the unknown header on Excel row 2, a note row (row 3) to skip, then one row per person:
    工号, 姓名, 部门, 期间, 得分 in columns A–E."""
    rows = [["某公司 考核结果（内部）"], UNKNOWN_HEADER, ["以下为本季度结果，仅供参考", None, None, None, 999]]
    rows += [[p.employee_id, p.name, p.department, period, s] for p, s in zip(PEOPLE, scores, strict=True)]
    return write_xlsx(path, {"结果": rows})


def grids_of(path: Path):
    return read_grids(path, inspect_file(path))


UNKNOWN_COLUMNS = {"employee_id": "A", "name": "B", "department": "C", "period": "D", "score": "E"}


def hr_mapping(path: Path) -> Mapping:
    (sheet,) = preview_file(path).sheets
    return manual_mapping(sheet, source="legacy", layout="table", header_row=2, columns=UNKNOWN_COLUMNS, skip_rows=[3])


# ---- the Mapping itself -------------------------------------------------------------------------


def test_a_mapping_survives_its_json_round_trip() -> None:
    mapping = Mapping(
        "legacy",
        [
            SheetMapping("结果", "table", 3, 2, [Column("A", "employee_id", "工号"), Column("D", "score", "2024Q1 得分", "2024Q1")],
                         skip_rows=[5, 9]),
            SheetMapping("张三", "form", 6, 1, [Column("A", "kpi", "指标")], labels={"name": "B2"}, label_text={"name": "姓名"}),
        ],
        name="季度表",
    )  # fmt: skip
    again = Mapping.from_json(mapping.to_json())
    assert again == mapping
    assert again.to_json() == mapping.to_json()


@pytest.mark.parametrize(
    "text",
    ["not json", '{"source": "legacy"}', '{"source": "sales", "sheets": [{"sheet": "a", "columns": []}]}'],
)
def test_a_damaged_mapping_is_refused_in_chinese(text: str) -> None:
    with pytest.raises(MappingInvalid) as err:
        Mapping.from_json(text)
    assert "对应关系" in err.value.reason or "文件类型" in err.value.reason


def test_a_mapping_without_who_or_with_one_column_twice_is_refused(tmp_path: Path) -> None:
    (sheet,) = preview_file(unknown_shape(tmp_path / "a.xlsx", [90, 80, 70, 60])).sheets
    with pytest.raises(MappingInvalid, match="工号」或「姓名"):
        manual_mapping(sheet, source="legacy", layout="table", header_row=2, columns={"score": "E"})
    with pytest.raises(MappingInvalid, match="两个字段"):
        manual_mapping(sheet, source="legacy", layout="table", header_row=2, columns={"name": "B", "score": "B"})


def test_the_shape_key_is_stable_and_follows_sheet_names_and_header_cells(tmp_path: Path) -> None:
    first = unknown_shape(tmp_path / "一月.xlsx", [90, 80, 70, 60], "2024-01")
    second = unknown_shape(tmp_path / "二月.xlsx", [55, 66, 77, 88], "2024-02")
    mapping = hr_mapping(first)
    key = shape_key(grids_of(first), mapping)
    assert key is not None and len(key) == 32
    assert shape_key(grids_of(first), mapping) == key  # the same file, read again
    assert shape_key(grids_of(second), Mapping.from_json(mapping.to_json())) == key  # other data, same shape
    other_header = write_xlsx(tmp_path / "c.xlsx", {"结果": [["标题"], ["甲列", "乙列", "丙列", "丁列", "己列"]]})
    assert shape_key(grids_of(other_header), mapping) != key
    renamed = write_xlsx(tmp_path / "d.xlsx", {"Sheet1": [["标题"], UNKNOWN_HEADER]})
    assert shape_key(grids_of(renamed), mapping) is None


def test_rows_to_skip_are_read_from_hr_text() -> None:
    assert parse_skip_rows("3, 5-7，9") == [3, 5, 6, 7, 9]
    assert parse_skip_rows("  ") == []
    with pytest.raises(ValueError, match="看不懂"):
        parse_skip_rows("第三行")


# ---- detection → Mapping → plan -----------------------------------------------------------------


def _workbooks(tmp_path: Path) -> list[Path]:
    people = sample_people(6)
    messy, _ = write_messy_legacy(tmp_path / "messy.xlsx")
    messy_xls, _ = write_messy_legacy(tmp_path / "messy.xls", xls=True)
    scores = {(p.employee_id, q): 80 + i for i, p in enumerate(people) for q in ("2024Q1", "2024Q2")}
    return [
        messy,
        messy_xls,
        write_wide_legacy(tmp_path / "wide.xlsx", people, ["2024Q1", "2024Q2"], scores),
        write_form_workbook(tmp_path / "forms.xlsx", people[:3]),
        write_xlsx(tmp_path / "simple.xlsx", {"2024Q1": simple_legacy_rows({"00101": 91, "00102": 72})}),
        write_roster(tmp_path / "roster.xlsx", people),
        unknown_shape(tmp_path / "unknown.xlsx", [90, 80, 70, 60]),
    ]


def test_detection_through_a_mapping_plans_every_sheet_as_detection_did(tmp_path: Path) -> None:
    for path in _workbooks(tmp_path):
        grids = grids_of(path)
        detected = detect_sheets(grids)
        planned = plan_sheets(grids)
        assert [plan_parts(p) for p in planned] == [plan_parts(p) for p in detected], path.name
        assert all(p.grid is d.grid for p, d in zip(planned, detected, strict=True))
        mapping = mapping_of_plans(detected)
        if any(s.layout in ("table", "form") for s in mapping.sheets):  # and the Mapping survives JSON
            assert Mapping.from_json(mapping.to_json()) == mapping


def plan_parts(plan) -> tuple:
    """A sheet plan without its grid (a frame has no truth value to compare)."""
    return (plan.grid.name, plan.layout, plan.table, plan.note, plan.headers, plan.form)


def test_the_form_workbook_keeps_its_labels_items_and_total_through_the_mapping(tmp_path: Path) -> None:
    path = write_form_workbook(tmp_path / "forms.xlsx", sample_people(2))
    forms = [p for p in plan_sheets(grids_of(path)) if p.layout == "form"]
    assert [p.grid.name for p in forms] == ["测试甲", "测试乙"]
    form = forms[0].form
    values = {f: v for f, (v, _, _) in form.labels.items()}
    assert {f: values.get(f) for f in ("name", "employee_id", "period")} == {
        "name": "测试甲", "employee_id": "00101", "period": "2024-03"
    }  # fmt: skip
    assert (form.table.header_row, form.items_end) == (5, 10)  # Excel rows 7–10 hold the four items
    assert form.total == ("96", 10)  # the 合计 row: (40×95 + 30×100 + 20×100 + 10×80) / 100


def test_roster_staging_reads_the_same_through_the_mapping(tmp_path: Path) -> None:
    path = write_roster(tmp_path / "roster.xlsx", sample_people(6))
    frame, headers = stage(grids_of(path), [])
    assert frame.height == 6 and frame.get_column("employee_id").to_list()[0] == "00101"
    assert headers[("花名册", "department")] == "部门"


# ---- imports with a mapping ---------------------------------------------------------------------


def test_detection_refuses_the_unknown_shape(fresh_db: Database, tmp_path: Path) -> None:
    report = import_file(fresh_db, unknown_shape(tmp_path / "a.xlsx", [90, 80, 70, 60]))
    assert report.status == "refused" and "表头" in report.message
    assert preview_file(tmp_path / "a.xlsx").unsure


def test_a_mapped_unknown_shape_imports_and_the_next_file_of_that_shape_too(fresh_db: Database, tmp_path: Path) -> None:
    hr = ensure_login(fresh_db, "hr")
    first = unknown_shape(tmp_path / "一季度.xlsx", [91, 82, 73, 64], "2024Q1")
    name = save_for_file(fresh_db, hr, " 甲乙表 ", hr_mapping(first), first)
    assert name == "甲乙表"
    saved = fresh_db.one("SELECT shape, source, created_by FROM import_mappings WHERE name = '甲乙表'")
    assert saved["source"] == "legacy" and saved["created_by"] == "hr"
    assert fresh_db.scalar("SELECT count(*) FROM audit_log WHERE action = 'import_mapping_save'") == 1

    report = import_file(fresh_db, first, options=ImportOptions(mapping="甲乙表"), uploaded_by="hr")
    assert (report.source, report.status, report.rows_loaded, report.rows_rejected) == ("legacy", "loaded", 4, 0)
    assert "按已保存的对应关系「甲乙表」读取。" in report.notes
    scores = {
        r["employee_id"]: r["final_score"] for r in fresh_db.rows("SELECT employee_id, final_score FROM appraisals")
    }
    assert scores == {"00101": 91, "00102": 82, "00103": 73, "00104": 64}  # the note row (999) was skipped
    assert fresh_db.scalar("SELECT count(*) FROM cycles WHERE period = '2024-Q1'") == 1

    # the next file of that shape: no mapping given, the saved one is found by the shape
    second = unknown_shape(tmp_path / "二季度.xlsx", [60, 70, 80, 90], "2024Q2")
    again = import_file(fresh_db, second, uploaded_by="hr")
    assert (again.source, again.status, again.rows_loaded) == ("legacy", "loaded", 4)
    assert "按已保存的对应关系「甲乙表」读取。" in again.notes
    assert fresh_db.scalar("SELECT count(*) FROM appraisals") == 8
    q2 = {r["employee_id"]: r["final_score"] for r in fresh_db.rows(
        "SELECT a.employee_id, a.final_score FROM appraisals a JOIN cycles c USING (cycle_id) WHERE c.period = '2024-Q2'"
    )}  # fmt: skip
    assert q2 == {"00101": 60, "00102": 70, "00103": 80, "00104": 90}


def test_the_cli_options_take_a_saved_mapping_by_name_and_refuse_an_unknown_name(
    fresh_db: Database, tmp_path: Path
) -> None:
    hr = ensure_login(fresh_db, "hr")
    first = unknown_shape(tmp_path / "a.xlsx", [91, 82, 73, 64])
    save_for_file(fresh_db, hr, "甲乙表", hr_mapping(first), first)
    missing = import_file(fresh_db, first, options=ImportOptions(mapping="没有这个"))
    assert missing.status == "refused" and "没有名为「没有这个」的列对应关系" in missing.message
    assert fresh_db.scalar("SELECT count(*) FROM appraisals") == 0
    other = write_xlsx(tmp_path / "b.xlsx", {"Sheet1": simple_legacy_rows({"00101": 91})})
    wrong = import_file(fresh_db, other, options=ImportOptions(mapping="甲乙表"))
    assert wrong.status == "refused" and "要读取的工作表在这个文件里没有" in wrong.message


def test_a_roster_mapping_reads_a_roster_with_unknown_headers(fresh_db: Database, tmp_path: Path) -> None:
    hr = ensure_login(fresh_db, "hr")
    rows = [["编码", "人员", "所在单位"], *[[p.employee_id, p.name, p.department] for p in PEOPLE]]
    path = write_xlsx(tmp_path / "人员.xlsx", {"人员": rows})
    (sheet,) = preview_file(path).sheets
    mapping = manual_mapping(sheet, source="roster", layout="table", header_row=1,
                             columns={"employee_id": "A", "name": "B", "department": "C"})  # fmt: skip
    save_for_file(fresh_db, hr, "人员表", mapping, path)
    report = import_file(fresh_db, path, uploaded_by="hr")
    assert (report.source, report.status, report.rows_loaded) == ("roster", "loaded", 4), report.message
    assert fresh_db.scalar("SELECT count(*) FROM employees") == 4
    assert {r["name"] for r in fresh_db.rows("SELECT name FROM departments")} == {"生产部"}


def test_only_hr_saves_a_mapping_and_its_name_is_checked(fresh_db: Database, tmp_path: Path) -> None:
    path = unknown_shape(tmp_path / "a.xlsx", [91, 82, 73, 64])
    mapping = hr_mapping(path)
    analyst = ensure_login(fresh_db, "analyst")
    with pytest.raises(Forbidden):
        save_for_file(fresh_db, analyst, "甲乙表", mapping, path)
    hr = ensure_login(fresh_db, "hr")
    with pytest.raises(CoreError, match="对应关系名称"):
        save_for_file(fresh_db, hr, "  ", mapping, path)
    with pytest.raises(CoreError, match="不能超过 40 字"):
        save_for_file(fresh_db, hr, "名" * 41, mapping, path)
    with pytest.raises(CoreError, match="不能用的字符"):
        save_for_file(fresh_db, hr, "<b>表</b>", mapping, path)
    assert fresh_db.scalar("SELECT count(*) FROM import_mappings") == 0
    save_for_file(fresh_db, hr, "甲乙表", mapping, path)
    save_for_file(fresh_db, hr, "甲乙表", mapping, path)  # saving again replaces it
    assert fresh_db.scalar("SELECT count(*) FROM import_mappings") == 1
    assert list(import_mappings.list_mappings(fresh_db, hr).get_column("name")) == ["甲乙表"]


def test_detection_through_a_mapping_plans_the_real_files_as_detection_did(corpus_dir: Path) -> None:
    files = sorted(p for p in corpus_dir.rglob("*") if p.suffix.lower() in (".xlsx", ".xls", ".xlsm", ".csv"))
    assert files, f"no spreadsheet under {corpus_dir}"
    compared = 0
    for path in files:
        try:
            grids = grids_of(path)
        except FileRefused:
            continue  # a file refused before any sheet is planned has no plan to compare
        detected = detect_sheets(grids)
        planned = plan_sheets(grids)
        assert [plan_parts(p) for p in planned] == [plan_parts(p) for p in detected], path.name
        compared += 1
    assert compared >= len(files) // 2


ITEM_HEADER = ["项目", "比重", "目标值", "完成值", "分数", "备注"]


def odd_forms(path: Path, people, month: str = "2024-03") -> Path:
    """One sheet per person (named by name) whose item header says 项目/比重/完成值/分数, plus a 汇总 sheet."""
    sheets = {"汇总": [["编号", "员工", "合计分"], *[[p.employee_id, p.name, 96] for p in people]]}
    for p in people:
        rows = [["个人绩效考核表"], ["员工：", p.name, None, "编号：", p.employee_id], [None], [f"月份：{month}"], [None],
                ITEM_HEADER]  # fmt: skip
        rows += [[i.kpi, i.weight, i.target, i.actual, i.score, i.comment or None] for i in FORM_ITEMS]
        rows.append(["合计", 100, None, None, 96, None])
        sheets[p.name] = rows
    return write_xlsx(path, sheets)


def test_one_form_mapping_reads_every_person_sheet_and_the_next_file_of_that_shape(
    fresh_db: Database, tmp_path: Path
) -> None:
    hr = ensure_login(fresh_db, "hr")
    first = odd_forms(tmp_path / "三月.xlsx", sample_people(2))
    preview = preview_file(first)
    sheet = preview.sheet("测试甲")
    columns = {"kpi": "A", "weight": "B", "target": "C", "actual": "D", "score": "E", "comment": "F"}
    labels = {"name": "B2", "employee_id": "e2", "period": "A4"}
    mapping = manual_mapping(sheet, source="legacy", layout="form", header_row=6, columns=columns, labels=labels,
                             every_sheet=True)  # fmt: skip
    save_for_file(fresh_db, hr, "个人表", mapping, first)
    # the forms name no department and nobody is on the roster: HR gives the department once
    report = import_file(fresh_db, first, uploaded_by="hr", options=ImportOptions(dept="装配部"))
    assert (report.status, report.rows_loaded) == ("loaded", 8), (report.message, report.rejects)
    assert "工作表「汇总」不在列对应关系里，已跳过。" in report.notes
    weights = [r["weight"] for r in fresh_db.rows(
        "SELECT i.weight FROM appraisal_items i JOIN appraisals a USING (appraisal_id)"
        " WHERE a.employee_id = '00101' ORDER BY i.weight DESC"
    )]  # fmt: skip
    assert weights == [40, 30, 20, 10]
    assert fresh_db.scalar("SELECT count(DISTINCT employee_id) FROM appraisals") == 2
    # other people, other sheet names, same shape: read with the saved mapping without asking
    people = sample_people(5)[2:]
    again = import_file(
        fresh_db,
        odd_forms(tmp_path / "四月.xlsx", people, "2024-04"),
        uploaded_by="hr",
        options=ImportOptions(dept="装配部"),
    )
    assert (again.status, again.rows_loaded) == ("loaded", 12), again.message
    assert "按已保存的对应关系「个人表」读取。" in again.notes


def test_a_form_mapping_needs_its_kpi_column(tmp_path: Path) -> None:
    sheet = preview_file(odd_forms(tmp_path / "a.xlsx", sample_people(1))).sheet("测试甲")
    with pytest.raises(MappingInvalid, match="「指标」列"):
        manual_mapping(sheet, source="legacy", layout="form", header_row=6, columns={"score": "E"},
                       labels={"name": "B2"})  # fmt: skip


def test_mapped_columns_the_source_does_not_import_yet_are_named(tmp_path: Path) -> None:
    from pipelines.legacy.sheets import FIELDS as LEGACY_FIELDS
    from pipelines.mapping_preview import unread_fields

    (sheet,) = preview_file(unknown_shape(tmp_path / "a.xlsx", [91, 82, 73, 64])).sheets
    mapping = manual_mapping(sheet, source="legacy", layout="table", header_row=2,
                             columns={"name": "B", "self_score": "D", "score": "E"})  # fmt: skip
    assert unread_fields(mapping) == [f for f in ("self_score",) if f not in LEGACY_FIELDS]
    assert unread_fields(hr_mapping(tmp_path / "a.xlsx")) == []


def test_mapped_self_and_supervisor_scores_land_on_the_items(fresh_db: Database, tmp_path: Path) -> None:
    """A table of items whose headers detection cannot read (子项/甲分/乙分): HR maps 自评 and 上级评分; the
    item's score is the supervisor's, the self score is kept beside it, and nothing is reported unread."""
    people = PEOPLE[:2]
    rows = [["编码", "人员", "部", "期", "子项", "比重", "甲分", "乙分"]]
    for p in people:
        rows += [[p.employee_id, p.name, p.department, "2024Q1", "产量", 60, 90, 80],
                 [p.employee_id, p.name, p.department, "2024Q1", "质量", 40, 70, 100]]  # fmt: skip
    path = write_xlsx(tmp_path / "子项.xlsx", {"结果": rows})
    (sheet,) = preview_file(path).sheets
    columns = {"employee_id": "A", "name": "B", "department": "C", "period": "D", "kpi": "E", "weight": "F",
               "self_score": "G", "manager_score": "H"}  # fmt: skip
    mapping = manual_mapping(sheet, source="legacy", layout="table", header_row=1, columns=columns)
    assert unread_fields(mapping) == []
    report = import_file(fresh_db, path, uploaded_by="hr", options=ImportOptions(mapping=mapping))
    assert (report.status, report.rows_loaded) == ("loaded", 4), report.to_dict()
    items = fresh_db.rows(
        "SELECT k.name, i.self_score, i.manager_score FROM appraisal_items i JOIN kpis k USING (kpi_id)"
        f" WHERE i.appraisal_id LIKE '%{people[0].employee_id}' ORDER BY k.name"
    )
    assert [(i["name"], i["self_score"], i["manager_score"]) for i in items] == [("产量", 90, 80), ("质量", 70, 100)]
    final = fresh_db.scalar(f"SELECT final_score FROM appraisals WHERE employee_id = '{people[0].employee_id}'")
    assert final == pytest.approx(80 * 0.6 + 100 * 0.4)


def test_the_command_line_reads_a_file_with_a_mapping_saved_by_name(db_path: Path, tmp_path: Path, capsys) -> None:
    """`python -m pipelines import FILE --mapping NAME`: a shape detection cannot read, saved once under a
    name on the screen, imported from the command line by that name."""
    import json

    from core.db import open_database
    from pipelines.__main__ import main

    first = unknown_shape(tmp_path / "一季度.xlsx", [91, 82, 73, 64], "2024Q1")
    with open_database(db_path) as db:
        save_for_file(db, ensure_login(db, "hr"), "甲乙表", hr_mapping(first), first)
    assert main(["import", str(first), "--db", str(db_path), "--mapping", "甲乙表", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert (printed["status"], printed["rows_loaded"]) == ("loaded", 4), printed
    assert "按已保存的对应关系「甲乙表」读取。" in printed["notes"]
    second = unknown_shape(tmp_path / "二季度.xlsx", [60, 70, 80, 90], "2024Q2")
    assert main(["import", str(second), "--db", str(db_path), "--mapping", "没有这个"]) == 2  # no such name: refused
    assert "没有名为「没有这个」的列对应关系" in capsys.readouterr().out
    with open_database(db_path) as db:
        assert db.scalar("SELECT count(*) FROM appraisals") == 4


def test_a_csv_mapping_finds_the_next_export_under_another_file_name(fresh_db: Database, tmp_path: Path) -> None:
    """A CSV's one sheet is named after the file: the saved mapping reads the next export, which has
    another name, by its header."""
    from tests.builders import write_csv

    def export(name: str, period: str, scores: list[int]) -> Path:
        rows = [UNKNOWN_HEADER, *[[p.employee_id, p.name, p.department, period, s]
                                   for p, s in zip(PEOPLE, scores, strict=True)]]  # fmt: skip
        return write_csv(tmp_path / name, rows)

    hr = ensure_login(fresh_db, "hr")
    first = export("导出_0331.csv", "2024Q1", [91, 82, 73, 64])
    (sheet,) = preview_file(first).sheets
    mapping = manual_mapping(sheet, source="legacy", layout="table", header_row=1, columns=UNKNOWN_COLUMNS)
    save_for_file(fresh_db, hr, "导出表", mapping, first)
    assert import_file(fresh_db, first, uploaded_by="hr", options=ImportOptions(mapping="导出表")).status == "loaded"
    again = import_file(fresh_db, export("导出_0630.csv", "2024Q2", [60, 70, 80, 90]), uploaded_by="hr")
    assert (again.status, again.rows_loaded) == ("loaded", 4), again.to_dict()
    assert "按已保存的对应关系「导出表」读取。" in again.notes
