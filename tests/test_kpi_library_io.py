"""The KPI library workbook: export, import back through the pipeline machinery, round trip."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import fastexcel
import polars as pl
import pytest

from core import kpi as kpi_rules
from core.db import insert_frame
from pipelines import import_library_workbook, kpi_library
from pipelines.kpi_library import LIBRARY_SHEET, TEMPLATE_SHEET, export_library_workbook
from pipelines.sniff import inspect_file
from pipelines.workbook import read_grids
from tests.builders import HAN, write_xlsx

LIB_HEAD = ["指标编号", "指标名称", "类别", "单位", "方向", "计分方法", "数据来源", "说明",
            "等级1描述", "等级2描述", "等级3描述", "等级4描述", "等级5描述", "扣分步长", "状态"]  # fmt: skip
TPL_HEAD = ["部门", "岗位", "版本", "生效日期", "指标编号", "指标", "权重", "目标", "保底值", "挑战值"]
LEVELS = ["从不配合", "偶尔配合", "能够配合", "主动配合", "带动他人配合"]
NONE5: list[object] = [None] * 5


def _lib_rows() -> list[list[object]]:
    return [
        ["K-Q1", "日均完成抽检", "业绩类", "件", "越高越好", "线性", "人工录入", "每日抽检件数的平均", *NONE5, None, "在用"],
        ["K-Q2", "漏检率", "业绩类", "%", "越低越好", "反向线性", "人工录入", "漏检件数 / 抽检件数", *NONE5, None, "在用"],
        ["K-F1", "质检报告及时率", "职能类", "%", "越高越好", "完成率", "人工录入", None, *NONE5, None, "在用"],
        ["K-B1", "团队协作", "行为类", None, "越高越好", "等级评分", "跨部门互评", None, *LEVELS, None, "在用"],
        ["K-D1", "安全违规", "职能类", "次", "越低越好", "扣分制", "人工录入", "每次违规扣分", *NONE5, 5, "在用"],
    ]  # fmt: skip


def _tpl_rows() -> list[list[object]]:
    return [
        ["质量部", "质检员", None, "2025-01-01", "K-Q1", "日均完成抽检", 35, 200, 150, 240],
        ["质量部", "质检员", None, "2025-01-01", "K-Q2", "漏检率", 25, 0.5, 1, 0.2],
        ["质量部", "质检员", None, "2025-01-01", "K-F1", "质检报告及时率", 15, 95, 80, 100],
        ["质量部", "质检员", None, "2025-01-01", "K-D1", "安全违规", 10, None, None, None],
        ["质量部", "质检员", None, "2025-01-01", "K-B1", "团队协作", 15, None, None, None],
        ["销售部", "销售代表", None, "2025Q1", None, "日均完成抽检", 60, 100, 60, 120],
        ["销售部", "销售代表", None, "2025Q1", None, "质检报告及时率", 25, None, None, None],
        ["销售部", "销售代表", None, "2025Q1", None, "团队协作", 15, None, None, None],
    ]


def _workbook(path: Path, lib: list[list[object]] | None = None, tpl: list[list[object]] | None = None,
              lib_head: list[str] = LIB_HEAD, tpl_head: list[str] = TPL_HEAD) -> Path:  # fmt: skip
    sheets: dict[str, list[list[object]]] = {}
    if lib is not None:
        sheets["指标库"] = [["2025 年指标库（人力资源部）"], [], lib_head, *lib]
    if tpl is not None:
        sheets["岗位模板"] = [tpl_head, *tpl]
    return write_xlsx(path, sheets)  # type: ignore[arg-type]


@pytest.fixture
def org_db(fresh_db):
    """Two departments with one position each."""
    with fresh_db.transaction() as cur:
        insert_frame(cur, "departments", pl.DataFrame({"dept_id": ["D1", "D2"], "name": ["质量部", "销售部"]}))
        insert_frame(
            cur,
            "positions",
            pl.DataFrame({"position_id": ["P1", "P2"], "dept_id": ["D1", "D2"], "name": ["质检员", "销售代表"]}),
        )
    return fresh_db


LIBRARY_TABLES = ("kpis", "kpi_versions", "template_versions", "position_kpis")


def _snapshot(db) -> dict[str, list[tuple]]:
    order = {
        "kpis": "kpi_id",
        "kpi_versions": "kpi_id, version",
        "template_versions": "position_id, version",
        "position_kpis": "position_id, version, kpi_id",
    }
    drop = {"kpi_versions": ["valid_from"], "template_versions": ["created_at"]}
    out = {}
    for t in LIBRARY_TABLES:
        frame = db.frame(f"SELECT * FROM {t} ORDER BY {order[t]}")
        out[t] = frame.drop(drop.get(t, [])).rows()
    return out


def _counts(db, tables=(*LIBRARY_TABLES, "import_batches", "import_rejects", "audit_log")) -> dict[str, int]:
    return {t: db.scalar(f"SELECT count(*) FROM {t}") for t in tables}


def test_import_loads_library_and_templates(org_db, tmp_path):
    report = import_library_workbook(
        org_db, _workbook(tmp_path / "lib.xlsx", _lib_rows(), _tpl_rows()), uploaded_by="hr"
    )
    assert report.status == "loaded", report.to_dict()
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (13, 13, 0)
    k = {r["kpi_id"]: r for r in kpi_rules.list_kpis(org_db)}
    assert set(k) == {"K-Q1", "K-Q2", "K-F1", "K-B1", "K-D1"}
    assert k["K-Q1"]["category"] == "业绩类" and k["K-Q1"]["method"] == "linear" and k["K-Q1"]["direction"] == "higher"
    assert k["K-Q2"]["method"] == "lower_better" and k["K-Q2"]["direction"] == "lower"
    assert k["K-B1"]["rubric"] == LEVELS and k["K-B1"]["data_source"] == "peer"
    assert k["K-D1"]["deduction_step"] == 5
    assert org_db.scalar("SELECT count(*) FROM kpi_versions") == 5
    p1 = kpi_rules.template_in_force(org_db, "P1", dt.date(2025, 3, 1))
    assert p1 is not None and p1["version"] == 1 and p1["valid_from"] == dt.date(2025, 1, 1)
    assert {(i["kpi_id"], i["weight"], i["target"]) for i in p1["items"]} >= {("K-Q1", 35, 200), ("K-Q2", 25, 0.5)}
    p2 = kpi_rules.template_in_force(org_db, "P2", dt.date(2025, 1, 1))
    assert p2 is not None and {i["kpi_id"] for i in p2["items"]} == {"K-Q1", "K-F1", "K-B1"}  # resolved by name
    batch = org_db.one("SELECT source, status, uploaded_by FROM import_batches")
    assert batch == {"source": "kpi_library", "status": "loaded", "uploaded_by": "hr"}
    detail = org_db.scalar("SELECT detail FROM audit_log WHERE entity = 'kpi_library'")
    assert "K-Q1" in detail and "P1:v1" in detail and "不经三级审批" in detail


def test_export_then_reimport_changes_nothing(org_db, tmp_path):
    first = import_library_workbook(
        org_db, _workbook(tmp_path / "lib.xlsx", _lib_rows(), _tpl_rows()), uploaded_by="hr"
    )
    assert first.status == "loaded"
    before = _snapshot(org_db)
    exported = tmp_path / "导出.xlsx"
    exported.write_bytes(export_library_workbook(org_db))
    report = import_library_workbook(org_db, exported, uploaded_by="hr")
    assert report.status == "unchanged", report.to_dict()
    assert report.rows_unchanged == report.rows_read == 13 and report.rows_loaded == 0
    assert _snapshot(org_db) == before
    # and the export of the unchanged library is the same workbook content
    again = tmp_path / "再次导出.xlsx"
    again.write_bytes(export_library_workbook(org_db))
    for sheet in (LIBRARY_SHEET, TEMPLATE_SHEET):
        a = fastexcel.read_excel(exported.read_bytes()).load_sheet(sheet, dtypes="string").to_polars()
        b = fastexcel.read_excel(again.read_bytes()).load_sheet(sheet, dtypes="string").to_polars()
        assert a.equals(b)
    # the very same file a second time: recognised by its content
    assert import_library_workbook(org_db, exported, uploaded_by="hr").status == "unchanged"


def test_export_layout(org_db, tmp_path):
    import_library_workbook(org_db, _workbook(tmp_path / "lib.xlsx", _lib_rows(), _tpl_rows()), uploaded_by="hr")
    data = export_library_workbook(org_db)
    reader = fastexcel.read_excel(data)
    assert reader.sheet_names[:2] == [LIBRARY_SHEET, TEMPLATE_SHEET]
    lib = reader.load_sheet(LIBRARY_SHEET, dtypes="string").to_polars()
    assert lib.columns == LIB_HEAD
    row = lib.filter(pl.col("指标编号") == "K-B1").row(0, named=True)
    assert (row["类别"], row["方向"], row["计分方法"], row["等级5描述"]) == (
        "行为类",
        "越高越好",
        "等级评分",
        LEVELS[4],
    )
    tpl = reader.load_sheet(TEMPLATE_SHEET, dtypes="string").to_polars()
    assert tpl.columns == TPL_HEAD and tpl.height == 8
    assert set(tpl.get_column("生效日期").to_list()) == {"2025-01-01"}


def test_formula_text_is_neutralised_in_the_export_and_kept_on_reimport(org_db, tmp_path):
    lib = _lib_rows()
    lib[0][7] = "=1+1"
    lib[1][1] = "@SUM(A1)漏检率"
    import_library_workbook(org_db, _workbook(tmp_path / "lib.xlsx", lib, None), uploaded_by="hr")
    assert org_db.scalar("SELECT description FROM kpis WHERE kpi_id = 'K-Q1'") == "=1+1"
    data = export_library_workbook(org_db)
    sheet = fastexcel.read_excel(data).load_sheet(LIBRARY_SHEET, dtypes="string").to_polars()
    assert sheet.filter(pl.col("指标编号") == "K-Q1").get_column("说明")[0] == "'=1+1"
    assert sheet.filter(pl.col("指标编号") == "K-Q2").get_column("指标名称")[0] == "'@SUM(A1)漏检率"
    assert b"<f>" not in _sheet_xml(data)
    path = tmp_path / "导出.xlsx"
    path.write_bytes(data)
    assert import_library_workbook(org_db, path, uploaded_by="hr").status == "unchanged"
    assert org_db.scalar("SELECT description FROM kpis WHERE kpi_id = 'K-Q1'") == "=1+1"


def _sheet_xml(data: bytes) -> bytes:
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return b"".join(z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/"))


def test_bad_rows_are_rejected_with_reasons_and_good_rows_loaded(org_db, tmp_path):
    lib = _lib_rows()
    lib.append(["K-X1", "客户满意度", "财务类", "分", "越高越好", "线性", "人工录入", None, *NONE5, None, "在用"])
    lib.append(["K-X2", "沟通能力", "行为类", None, "越高越好", "等级评分", "人工录入", None, "差", "中", "好", None, None, None, "在用"])  # fmt: skip
    lib.append(["K-X3", "迟到", "职能类", "次", "越低越好", "扣分制", "考勤", None, *NONE5, None, "在用"])
    lib.append(["K-X4", "产量", "业绩类", "件", "向上", "线性", "人工录入", None, *NONE5, None, "在用"])
    lib.append(["K-X5", "良品率", "业绩类", "%", "越高越好", "随便算", "人工录入", None, *NONE5, None, "在用"])
    tpl = _tpl_rows()
    tpl[5][6] = 50  # 销售代表: 50 + 25 + 15 = 90
    tpl.append(["仓储部", "仓管员", None, None, "K-Q1", None, 100, None, None, None])
    tpl += [
        ["质量部", "质检组长", None, None, None, "不存在的指标", 100, None, None, None],
    ]
    report = import_library_workbook(org_db, _workbook(tmp_path / "bad.xlsx", lib, tpl), uploaded_by="hr")
    assert report.status == "partial", report.to_dict()
    reasons = {(r.sheet, r.row, r.column): r.reason for r in report.rejects}
    assert all(HAN.search(r.reason) for r in report.rejects)
    # 指标库: title row, blank row, header on Excel row 3, data from row 4
    assert "类别无法识别" in reasons[("指标库", 9, "类别")]
    assert "五个等级描述" in reasons[("指标库", 10, "等级1描述")] and "3 级" in reasons[("指标库", 10, "等级1描述")]
    assert "扣分步长" in reasons[("指标库", 11, "扣分步长")]
    assert "方向无法识别" in reasons[("指标库", 12, "方向")]
    assert "计分方法无法识别" in reasons[("指标库", 13, "计分方法")]
    assert "权重合计为 90" in reasons[("岗位模板", 7, "权重")]
    assert all(("岗位模板", r, "权重") in reasons for r in (7, 8, 9))
    assert "岗位「仓管员」" in reasons[("岗位模板", 10, "岗位")]
    assert "不在指标库中" in reasons[("岗位模板", 11, "指标")]
    assert report.rows_rejected == 5 + 3 + 2
    assert report.rows_loaded == 5 + 5
    assert set(org_db.frame("SELECT kpi_id FROM kpis").get_column("kpi_id")) == {"K-Q1", "K-Q2", "K-F1", "K-B1", "K-D1"}
    assert org_db.scalar("SELECT count(*) FROM template_versions") == 1  # 质检员 only
    stored = org_db.rows('SELECT sheet, "row", reason FROM import_rejects ORDER BY seq')
    assert len(stored) == len(report.rejects)


def test_a_changed_template_is_a_new_version_and_a_changed_kpi_a_new_kpi_version(org_db, tmp_path):
    import_library_workbook(org_db, _workbook(tmp_path / "v1.xlsx", _lib_rows(), _tpl_rows()), uploaded_by="hr")
    lib = _lib_rows()
    lib[0][7] = "每日抽检件数的平均（不含复检）"
    tpl = [r for r in _tpl_rows() if r[1] == "质检员"]
    for r in tpl:
        r[3] = "2025年第二季度"
    tpl[0][6], tpl[2][6] = 30, 20  # K-Q1 35 → 30, K-F1 15 → 20
    report = import_library_workbook(org_db, _workbook(tmp_path / "v2.xlsx", lib, tpl), uploaded_by="hr")
    assert report.status == "loaded", report.to_dict()
    assert report.rows_unchanged == 4 and report.rows_loaded == 1 + 5
    k = kpi_rules.get_kpi(org_db, "K-Q1")
    assert k["version"] == 2 and [v["version"] for v in k["versions"]] == [1, 2]
    assert k["versions"][0]["description"] == "每日抽检件数的平均"
    versions = kpi_rules.template_versions(org_db, "P1")
    assert [(v["version"], v["valid_from"]) for v in versions] == [(1, dt.date(2025, 1, 1)), (2, dt.date(2025, 4, 1))]
    assert kpi_rules.template_in_force(org_db, "P1", dt.date(2025, 2, 1))["version"] == 1
    v2 = {i["kpi_id"]: i["weight"] for i in kpi_rules.template_in_force(org_db, "P1", dt.date(2025, 5, 1))["items"]}
    assert v2["K-Q1"] == 30 and v2["K-F1"] == 20
    assert kpi_rules.template_versions(org_db, "P2")[0]["version"] == 1  # not in this file: untouched
    # an older 生效日期 than the latest version cannot be added
    for r in tpl:
        r[3] = "2024-10-01"
    tpl[0][6], tpl[2][6] = 25, 25
    late = import_library_workbook(org_db, _workbook(tmp_path / "v3.xlsx", None, tpl), uploaded_by="hr")
    assert late.status == "rejected" and "早于该岗位现有版本 v2" in late.rejects[0].reason


def test_category_bands_are_checked_on_import(org_db, tmp_path):
    import_library_workbook(org_db, _workbook(tmp_path / "v1.xlsx", _lib_rows(), None), uploaded_by="hr")
    tpl = [
        ["销售部", "销售代表", None, None, "K-Q1", None, 90, None, None, None],
        ["销售部", "销售代表", None, None, "K-F1", None, 5, None, None, None],
        ["销售部", "销售代表", None, None, "K-B1", None, 5, None, None, None],
    ]
    report = import_library_workbook(org_db, _workbook(tmp_path / "t.xlsx", None, tpl), uploaded_by="hr")
    assert report.status == "rejected"
    assert "业绩类指标权重合计 90%" in report.rejects[0].reason
    assert org_db.scalar("SELECT count(*) FROM template_versions") == 0


def test_english_headers(org_db, tmp_path):
    lib_head = ["KPI ID", "Name", "Category", "Unit", "Direction", "Method", "Data Source", "Description",
                "Level 1", "Level 2", "Level 3", "Level 4", "Level 5", "Deduction Step", "Status"]  # fmt: skip
    tpl_head = ["Department", "Position", "Version", "Effective From", "KPI ID", "KPI", "Weight", "Target", "Floor", "Stretch"]  # fmt: skip
    lib = _lib_rows()
    lib[0][2], lib[0][4], lib[0][5], lib[0][6], lib[0][14] = "performance", "higher", "linear", "manual", "active"
    report = import_library_workbook(
        org_db, _workbook(tmp_path / "en.xlsx", lib, _tpl_rows(), lib_head, tpl_head), uploaded_by="hr"
    )
    assert report.status == "loaded", report.to_dict()
    assert org_db.scalar("SELECT category FROM kpis WHERE kpi_id = 'K-Q1'") == "业绩类"
    assert org_db.scalar("SELECT count(*) FROM template_versions") == 2


def test_nothing_is_half_written_on_a_forced_failure(org_db, tmp_path, monkeypatch):
    path = _workbook(tmp_path / "lib.xlsx", _lib_rows(), _tpl_rows())
    before = _counts(org_db)
    calls = {"n": 0}
    real = kpi_rules.write_template_version

    def fail_on_second(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(kpi_rules, "write_template_version", fail_on_second)
    report = import_library_workbook(org_db, path, uploaded_by="hr")
    assert report.status == "failed" and "没有写入任何数据" in report.message
    assert _counts(org_db) == before
    monkeypatch.undo()
    assert import_library_workbook(org_db, path, uploaded_by="hr").status == "loaded"


def test_a_file_without_library_headers_is_refused(org_db, tmp_path):
    path = write_xlsx(tmp_path / "x.xlsx", {"Sheet1": [["甲", "乙"], [1, 2]]})
    report = import_library_workbook(org_db, path, uploaded_by="hr")
    assert report.status == "refused" and "指标库" in report.message
    assert org_db.scalar("SELECT status FROM import_batches") == "refused"


def test_library_workbooks_are_told_apart_from_appraisal_sheets(org_db, tmp_path):
    lib = _workbook(tmp_path / "lib.xlsx", _lib_rows(), _tpl_rows())
    appraisal = write_xlsx(
        tmp_path / "a.xlsx",
        {"考核": [["工号", "姓名", "岗位", "指标", "权重", "得分"], ["001", "张三", "质检员", "漏检率", 100, 90]]},
    )
    assert kpi_library.is_library_workbook(read_grids(lib, inspect_file(lib)))
    assert not kpi_library.is_library_workbook(read_grids(appraisal, inspect_file(appraisal)))


def test_rows_sharing_a_name(org_db, tmp_path):
    lib = _lib_rows()
    lib.append(["K-Q9", "日均完成抽检", "业绩类", "件", "越高越好", "线性", "人工录入", "另一个部门的同名指标", *NONE5, None, "在用"])  # fmt: skip
    lib.append([None, "漏检率", "业绩类", "%", "越低越好", "反向线性", "人工录入", None, *NONE5, None, "在用"])
    report = import_library_workbook(org_db, _workbook(tmp_path / "lib.xlsx", lib, None), uploaded_by="hr")
    assert report.status == "partial", report.to_dict()
    assert [(r.row, r.column) for r in report.rejects] == [(10, "指标名称")]
    assert "第 5 行" in report.rejects[0].reason
    assert org_db.scalar("SELECT count(*) FROM kpis WHERE name = '日均完成抽检'") == 2


def test_the_standard_pack_loads_through_the_workbook_and_round_trips(fresh_db, tmp_path):
    from core.standard_pack import library, templates
    from demo.generator import generate_company

    company = generate_company(420, 3, 2024, today=dt.date(2026, 11, 27))
    depts = sorted({p.department for p in company.positions})
    dept_id = {d: f"D{i:02d}" for i, d in enumerate(depts)}
    with fresh_db.transaction() as cur:
        insert_frame(cur, "departments", pl.DataFrame({"dept_id": list(dept_id.values()), "name": depts}))
        insert_frame(
            cur,
            "positions",
            pl.DataFrame(
                {
                    "position_id": [f"P{i:02d}" for i in range(len(company.positions))],
                    "dept_id": [dept_id[p.department] for p in company.positions],
                    "name": [p.name for p in company.positions],
                }
            ),
        )
    lib = [
        [None, k.name, k.category, k.unit, k.direction, k.method, k.data_source, k.description,
         *(k.rubric or NONE5), k.deduction_step, "active"]
        for k in library()
    ]  # fmt: skip
    items = templates(company)
    tpl = [
        [i.department, i.position, None, "2025Q1", None, i.kpi, i.weight, i.target, i.floor, i.stretch] for i in items
    ]
    report = import_library_workbook(fresh_db, _workbook(tmp_path / "pack.xlsx", lib, tpl), uploaded_by="hr")
    assert report.status == "loaded", report.to_dict()["rejects"][:5]
    assert fresh_db.scalar("SELECT count(*) FROM template_versions") == 47
    assert fresh_db.scalar("SELECT count(*) FROM kpis") == len(library())
    before = _snapshot(fresh_db)
    path = tmp_path / "导出.xlsx"
    path.write_bytes(export_library_workbook(fresh_db))
    again = import_library_workbook(fresh_db, path, uploaded_by="hr")
    assert again.status == "unchanged", again.to_dict()
    assert again.rows_unchanged == len(library()) + len(items)
    assert _snapshot(fresh_db) == before


def test_run_takes_the_importers_calling_convention(org_db, tmp_path):
    from pipelines.importer import new_batch_id, run_source
    from pipelines.report import LoadReport
    from pipelines.sources import source_named

    path = _workbook(tmp_path / "lib.xlsx", _lib_rows(), _tpl_rows())
    info = inspect_file(path)
    report = LoadReport(path.name, source=kpi_library.SOURCE, sha256=info.sha256)
    steps = []
    run_source(
        org_db, source_named(kpi_library.SOURCE), read_grids(path, info), report, "hr",
        lambda f, t: steps.append(t), new_batch_id(info.sha256),
    )  # fmt: skip
    assert report.status == "loaded" and steps
    assert org_db.scalar("SELECT count(*) FROM import_batches WHERE source = 'kpi_library'") == 1
