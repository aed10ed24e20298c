"""Writers of small, deterministic, *messy* files for pipeline tests — synthetic data only.

People are 测试甲, 测试乙 …; departments and KPIs are made up. Every writer takes the target path
(normally under ``tmp_path``) and returns it. The messy writers also return what the importer must
make of each row, so a test can compare the database with the expectation row by row.

- :func:`write_xlsx` / :func:`write_xls`: any sheets of cells (str stays text, int/float are number
  cells, dates are date-formatted number cells, None is an empty cell), with merged ranges.
- :func:`write_roster` / :func:`write_roster_csv`: a 花名册.
- :func:`write_messy_legacy`: a tabular legacy sheet with a title, a two-row merged header, totals,
  blank and note rows, and every value form HR types (:func:`messy_cases`).
- :func:`write_wide_legacy`: one column group per period under merged period headers.
- :func:`write_form_workbook`: the per-person form layout (one sheet per person plus 汇总).
- :func:`write_legacy_csv`: a plain legacy CSV in any encoding (GBK, UTF-8 with BOM, UTF-16).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import xlsxwriter
import xlwt

Value = str | int | float | dt.date | dt.datetime | None
Rows = Sequence[Sequence[Value]]
# (first_row, first_col, last_row, last_col, value), 0-based like xlsxwriter
Merge = tuple[int, int, int, int, Value]

CORPUS_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"

# ---- generic writers -------------------------------------------------------------------------------


def write_xlsx(
    path: Path,
    sheets: dict[str, Rows],
    *,
    merges: dict[str, Sequence[Merge]] | None = None,
    hidden: Iterable[str] = (),
) -> Path:
    """An .xlsx with the given sheets. str cells are text (so '00101' keeps its zeros), numbers are
    number cells, dates are number cells formatted as dates (what Excel stores: a serial)."""
    hidden = set(hidden)
    with xlsxwriter.Workbook(path) as wb:
        date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
        merge_fmt = wb.add_format({"align": "center", "valign": "vcenter"})
        for name, rows in sheets.items():
            ws = wb.add_worksheet(name)
            sheet_merges = (merges or {}).get(name, ())
            covered = {
                (r, c) for r0, c0, r1, c1, _ in sheet_merges for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)
            }
            for r, row in enumerate(rows):
                for c, value in enumerate(row):
                    if (r, c) not in covered:
                        _xlsx_cell(ws, r, c, value, date_fmt)
            for r0, c0, r1, c1, value in sheet_merges:
                ws.merge_range(r0, c0, r1, c1, "" if value is None else value, merge_fmt)
            if name in hidden:
                ws.hide()
    return path


def _xlsx_cell(ws, r: int, c: int, value: Value, date_fmt) -> None:
    if value is None:
        return
    if isinstance(value, bool):
        ws.write_boolean(r, c, value)
    elif isinstance(value, int | float):
        ws.write_number(r, c, value)
    elif isinstance(value, dt.datetime):
        ws.write_datetime(r, c, value, date_fmt)
    elif isinstance(value, dt.date):
        ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_fmt)
    else:
        ws.write_string(r, c, str(value))


def write_xls(path: Path, sheets: dict[str, Rows], *, merges: dict[str, Sequence[Merge]] | None = None) -> Path:
    """A BIFF8 .xls written with xlwt (text is stored as Unicode, so Chinese comes back as written)."""
    wb = xlwt.Workbook(encoding="utf-8")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for name, rows in sheets.items():
        ws = wb.add_sheet(name)
        merged_cells = set()
        for r0, c0, r1, c1, value in (merges or {}).get(name, ()):
            ws.write_merge(r0, r1, c0, c1, "" if value is None else value)
            merged_cells |= {(r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)}
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is None or (r, c) in merged_cells:
                    continue
                if isinstance(value, dt.date | dt.datetime):
                    ws.write(r, c, value, date_style)
                else:
                    ws.write(r, c, value)
    wb.save(str(path))
    return path


# ---- rosters -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    employee_id: str
    name: str
    department: str
    position: str
    manager_id: str | None
    hire_date: dt.date


_STEMS = "甲乙丙丁戊己庚辛壬癸"


def sample_people(n: int = 10) -> list[Person]:
    """``n`` made-up people with 5-digit, zero-led 工号 (00101 …) in two departments; 00101 heads
    生产部 and 00106 heads 质检部 (for n ≥ 6)."""
    people = []
    for i in range(n):
        dept, head = ("生产部", "00101") if i < 5 else ("质检部", "00106")
        emp = f"{101 + i:05d}"
        people.append(
            Person(
                employee_id=emp,
                name=f"测试{_STEMS[i % 10]}{'' if i < 10 else i // 10}",
                department=dept,
                position="部门经理" if emp == head else ("装配工" if dept == "生产部" else "质检员"),
                manager_id=None if emp == head else head,
                hire_date=dt.date(2015 + i % 8, 1 + i % 12, 1 + i % 27),
            )
        )
    return people


ROSTER_HEADER = ["工号", "姓名", "部门", "岗位", "直接上级", "入职日期"]


def roster_rows(people: Sequence[Person]) -> list[list[Value]]:
    return [[p.employee_id, p.name, p.department, p.position, p.manager_id, p.hire_date] for p in people]


def write_roster(path: Path, people: Sequence[Person]) -> Path:
    """A 花名册 .xlsx: a title row, then 工号/姓名/部门/岗位/直接上级/入职日期 (工号 as text)."""
    return write_xlsx(path, {"花名册": [["测试公司 员工花名册"], ROSTER_HEADER, *roster_rows(people)]})


def write_roster_csv(path: Path, people: Sequence[Person], *, encoding: str = "utf-8") -> Path:
    """A 花名册 CSV in the given encoding (dates as 2024-03-01)."""
    rows = [[None if v is None else str(v) for v in row] for row in roster_rows(people)]
    return write_csv(path, [ROSTER_HEADER, *rows], encoding=encoding)


def write_csv(path: Path, rows: Rows, *, encoding: str = "utf-8", delimiter: str = ",") -> Path:
    """Rows as CSV text in ``encoding`` ('gbk', 'utf-8-sig', 'utf-16' …)."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


# ---- messy tabular legacy workbooks ------------------------------------------------------------


@dataclass(frozen=True)
class LegacyCase:
    """One data row of a messy legacy sheet, as written, and what the importer must make of it.

    ``expect_score`` is the stored 0–100 final score, or None when the row must be rejected with a
    reason containing ``reject_hint``."""

    employee_id: Value
    name: str
    department: str
    position: str
    period: Value
    score: Value
    expect_id: str
    expect_period: str
    expect_score: float | None
    reject_hint: str | None = None


def messy_cases(people: Sequence[Person] | None = None) -> list[LegacyCase]:
    """Eight rows covering the value forms of issue 2: '95%', '９５', '95分', 0.95, a plain number,
    '-', '缺考'; periods '2024年Q1', '2024Q1', '2024年第二季度', '2024-03' and an Excel date cell;
    工号 written as numbers that lost their leading zeros. Needs :func:`sample_people` in the roster."""
    p = list(people or sample_people(8))
    return [
        LegacyCase(p[0].employee_id, p[0].name, p[0].department, p[0].position, "2024年Q1", "95%",
                   p[0].employee_id, "2024-Q1", 95.0),
        LegacyCase(int(p[1].employee_id), p[1].name, p[1].department, p[1].position, "2024Q1", "９５",
                   p[1].employee_id, "2024-Q1", 95.0),
        LegacyCase(p[2].employee_id, p[2].name, p[2].department, p[2].position, "2024年第二季度", "95分",
                   p[2].employee_id, "2024-Q2", 95.0),
        LegacyCase(int(p[3].employee_id), p[3].name, p[3].department, p[3].position, "2024-03", 0.95,
                   p[3].employee_id, "2024-M03", 95.0),
        LegacyCase(p[4].employee_id, p[4].name, p[4].department, p[4].position, dt.date(2024, 3, 31), 88,
                   p[4].employee_id, "2024-M03", 88.0),
        LegacyCase(p[5].employee_id, p[5].name, p[5].department, p[5].position, "2024年Q1", 72.5,
                   p[5].employee_id, "2024-Q1", 72.5),
        LegacyCase(p[6].employee_id, p[6].name, p[6].department, p[6].position, "2024年Q1", "-",
                   p[6].employee_id, "2024-Q1", None, "没有分数"),
        LegacyCase(int(p[7].employee_id), p[7].name, p[7].department, p[7].position, "2024Q1", "缺考",
                   p[7].employee_id, "2024-Q1", None, "缺考"),
    ]  # fmt: skip


@dataclass
class MessyLayout:
    """Where things landed in a messy sheet (Excel rows are 1-based)."""

    sheet: str
    header_row: int
    data_rows: dict[int, LegacyCase] = field(default_factory=dict)  # Excel row -> case
    total_row: int = 0
    note_rows: list[int] = field(default_factory=list)


LEGACY_FIELDS = ["工号", "姓名", "部门", "岗位", "考核期间", "得分"]


def messy_legacy_sheet(cases: Sequence[LegacyCase], sheet: str = "生产质检") -> tuple[Rows, list[Merge], MessyLayout]:
    """Rows and merges of a messy sheet: title, blank row, merged group header (基本信息 | 考核结果)
    over the field header, the data with a blank row in the middle, a 合计 row, a 平均 row and notes."""
    rows: list[list[Value]] = [
        ["测试公司 绩效考核结果汇总表"],
        [],
        ["基本信息", None, None, None, "考核结果", None],
        list(LEGACY_FIELDS),
    ]
    merges: list[Merge] = [
        (0, 0, 0, 5, "测试公司 绩效考核结果汇总表"),
        (2, 0, 2, 3, "基本信息"),
        (2, 4, 2, 5, "考核结果"),
    ]
    layout = MessyLayout(sheet, header_row=4)
    for i, case in enumerate(cases):
        if i == len(cases) // 2:
            rows.append([])  # a blank row inside the data
        rows.append([case.employee_id, case.name, case.department, case.position, case.period, case.score])
        layout.data_rows[len(rows)] = case
    rows.append([])
    rows.append(["合计", None, None, None, None, 999])
    layout.total_row = len(rows)
    rows.append(["平均", None, None, None, None, 83.1])
    rows.append(["注：缺考人员本期不计成绩，分数以人力资源部审核为准。"])
    layout.note_rows.append(len(rows))
    rows.append(["制表人：测试人员", None, None, "审核：测试主管"])
    layout.note_rows.append(len(rows))
    return rows, merges, layout


def write_messy_legacy(
    path: Path, cases: Sequence[LegacyCase] | None = None, *, sheet: str = "生产质检", xls: bool = False
) -> tuple[Path, MessyLayout]:
    """A messy tabular legacy workbook (.xlsx, or .xls via xlwt) of ``cases`` (default
    :func:`messy_cases`). Returns the path and where each case landed."""
    rows, merges, layout = messy_legacy_sheet(cases if cases is not None else messy_cases(), sheet)
    writer = write_xls if xls else write_xlsx
    writer(path, {sheet: rows}, merges={sheet: merges})
    return path, layout


def simple_legacy_rows(scores: dict[str, float], period: str = "2024年Q1", people: Sequence[Person] | None = None):
    """Header + one row per 工号 in ``scores`` (工号 as text, score as a number) of :func:`sample_people`."""
    by_id = {p.employee_id: p for p in (people or sample_people(10))}
    rows: list[list[Value]] = [list(LEGACY_FIELDS)]
    for emp, score in scores.items():
        p = by_id[emp]
        rows.append([p.employee_id, p.name, p.department, p.position, period, score])
    return rows


# ---- wide layout: one column group per period ----------------------------------------------------


def write_wide_legacy(
    path: Path, people: Sequence[Person], periods: Sequence[str], scores: dict[tuple[str, str], Value]
) -> Path:
    """工号/姓名/部门 merged over two header rows, then per period a merged group cell ('2024年Q1')
    over 得分 | 等级. ``scores`` maps (工号, period) to the score cell; missing keys stay empty."""
    top: list[Value] = ["工号", "姓名", "部门"]
    low: list[Value] = [None, None, None]
    merges: list[Merge] = [(1, 0, 2, 0, "工号"), (1, 1, 2, 1, "姓名"), (1, 2, 2, 2, "部门")]
    for i, period in enumerate(periods):
        c = 3 + 2 * i
        top += [period, None]
        low += ["得分", "等级"]
        merges.append((1, c, 1, c + 1, period))
    rows: list[list[Value]] = [["测试公司 季度考核汇总"], top, low]
    for p in people:
        row: list[Value] = [p.employee_id, p.name, p.department]
        for period in periods:
            value = scores.get((p.employee_id, period))
            grade = None
            if isinstance(value, int | float):
                grade = "A" if value >= 90 else "B" if value >= 70 else "C"
            row += [value, grade]
        rows.append(row)
    return write_xlsx(path, {"汇总": rows}, merges={"汇总": merges})


# ---- per-person forms --------------------------------------------------------------------------


@dataclass(frozen=True)
class FormItem:
    kpi: str
    weight: float
    target: str
    actual: str
    score: float
    comment: str = ""


FORM_ITEMS = (
    FormItem("产量达成率", 40, "100%", "98%", 95, "良好"),
    FormItem("质量合格率", 30, "99%", "99.5%", 100),
    FormItem("安全事故", 20, "0", "0", 100),
    FormItem("5S执行", 10, "检查合格", "两次整改", 80, "需加强"),
)


def form_total(items: Sequence[FormItem]) -> float:
    """The weighted total the form's 合计 row shows."""
    return round(sum(i.weight * i.score for i in items) / 100, 2)


def form_sheet(person: Person, month: str, items: Sequence[FormItem] = FORM_ITEMS) -> Rows:
    """One person's form: title, label cells (姓名：/工号：/部门：/岗位： with the value beside them,
    月份：value inline), the item table and its 合计 row, then signatures."""
    rows: list[list[Value]] = [
        ["个人绩效考核表"],
        ["姓名：", person.name, None, "工号：", person.employee_id],
        ["部门：", person.department, None, "岗位：", person.position],
        [f"月份：{month}"],
        [],
        ["指标", "权重", "目标", "实际", "得分", "评语"],
    ]
    rows += [[i.kpi, i.weight, i.target, i.actual, i.score, i.comment or None] for i in items]
    rows.append(["合计", sum(i.weight for i in items), None, None, form_total(items), None])
    rows.append([])
    rows.append(["被考核人签字：", None, None, "考核人签字："])
    return rows


def write_form_workbook(
    path: Path, people: Sequence[Person], month: str = "2024-03", items: Sequence[FormItem] = FORM_ITEMS
) -> Path:
    """The per-person form layout: one sheet per person (named by name) plus a 汇总 sheet of totals."""
    sheets: dict[str, Rows] = {"汇总": [["工号", "姓名", "部门", "总分"]]}
    for p in people:
        sheets["汇总"].append([p.employee_id, p.name, p.department, form_total(items)])  # type: ignore[attr-defined]
        sheets[p.name] = form_sheet(p, month, items)
    return write_xlsx(path, sheets)


# ---- CSV legacy ----------------------------------------------------------------------------------


def write_legacy_csv(
    path: Path,
    people: Sequence[Person],
    scores: Sequence[float],
    *,
    period: str = "2024Q1",
    encoding: str = "utf-8",
    delimiter: str = ",",
) -> Path:
    """A plain legacy export: 工号,姓名,部门,考核期间,得分 with Chinese headers and names."""
    rows: list[list[Value]] = [["工号", "姓名", "部门", "考核期间", "得分"]]
    rows += [[p.employee_id, p.name, p.department, period, s] for p, s in zip(people, scores, strict=True)]
    return write_csv(path, rows, encoding=encoding, delimiter=delimiter)


# ---- bytes of things that are not spreadsheets -------------------------------------------------

PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)
# A PDF as PDF writers emit it: the binary comment line after the header, then a compressed stream.
PDF_BYTES = (
    b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Length 12 /Filter /FlateDecode >>\nstream\n"
    b"x\x9c\x03\x00\x00\x00\x00\x01\x00\x00\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
)
# A PDF written as pure 7-bit text (some generators do this): no binary byte in it at all.
PDF_TEXT_ONLY_BYTES = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\n"
    b"endobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
)


# ---- shared by the pipeline tests ------------------------------------------------------------------

HAN = re.compile(r"[\u4e00-\u9fff]")  # a message or reason must be Chinese
DATA_TABLES = (
    "departments", "positions", "employees", "kpis", "cycles", "appraisals", "appraisal_items", "import_rejects",
)  # fmt: skip


def table_counts(db, tables: tuple[str, ...] = (*DATA_TABLES, "import_batches")) -> dict[str, int]:
    """Rows per table, to show what an import did or did not write."""
    return {t: db.scalar(f"SELECT count(*) FROM {t}") for t in tables}
