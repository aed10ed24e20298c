"""The demo's legacy workbooks as HR keeps them: the roster (花名册) and tabular appraisal workbooks
(one row per person × KPI, or per person × quarter for totals only), as .xlsx, .xls or CSV, with the
mess real files have: title rows, merged two-row headers, totals, blank rows and notes, numbers written
in many ways, ids that lost their zeros, and a few genuinely bad rows the importer must reject.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from demo.books import FIXED_CREATED, XlsxBook, open_book
from demo.company import COMMENTS, COMPANY_NAME, ID_WIDTH, Appraisal, Company, Kpi, Quarter

_FULL_WIDTH = str.maketrans("0123456789.", "０１２３４５６７８９．")
CN_QUARTER = {1: "一", 2: "二", 3: "三", 4: "四"}

PERIOD_FORMS: tuple[Callable[[Quarter], str], ...] = (
    lambda q: f"{q.year}年Q{q.q}",
    lambda q: f"{q.year}Q{q.q}",
    lambda q: f"{q.year}年第{CN_QUARTER[q.q]}季度",
)
SHEET_NAME_FORMS: tuple[Callable[[Quarter], str], ...] = (
    lambda q: f"Q{q.q}",
    lambda q: f"{CN_QUARTER[q.q]}季度",
    lambda q: f"{q.year}Q{q.q}",
    lambda q: f"第{q.q}季度",
)

# Header words per field, all known to schemas/headers.py; the first is the common one.
HEADER_WORDS: dict[str, tuple[str, ...]] = {
    "employee_id": ("工号", "员工编号", "职工号", "Emp ID"),
    "name": ("姓名", "员工姓名", "被考核人", "Name"),
    "department": ("部门", "所属部门", "Department"),
    "position": ("岗位", "职位", "岗位名称", "Position"),
    "period": ("考核期间", "考核周期", "季度", "Period"),
    "kpi": ("指标", "考核指标", "考核项目", "KPI"),
    "weight": ("权重", "权重(%)", "Weight"),
    "target": ("目标", "目标值", "Target"),
    "actual": ("实际", "实际完成", "完成值", "Actual"),
    "score": ("得分", "考核得分", "指标得分", "Score"),
    "comment": ("评语", "备注", "上级评语", "Comment"),
    "manager": ("考核人", "考核人工号", "评分人", "Rater"),
    "total": ("总分", "综合得分", "考核总分", "Total Score"),
    "grade": ("等级", "绩效等级", "考核等级", "Grade"),
}
ITEM_FIELDS = (
    "employee_id",
    "name",
    "department",
    "position",
    "period",
    "kpi",
    "weight",
    "target",
    "actual",
    "score",
    "comment",
    "manager",
)
TOTAL_FIELDS = ("employee_id", "name", "department", "position", "period", "total", "grade", "comment", "manager")
# Group cells of a two-row header and the fields under them (fields in no group stand alone).
HEADER_GROUPS = (
    ("基本信息", ("employee_id", "name", "department", "position")),
    ("考核内容", ("kpi", "weight", "target", "actual")),
    ("考核结果", ("score", "comment", "total", "grade")),
)


@dataclass
class TabularStyle:
    """How one tabular workbook is laid out and how messy it is."""

    fmt: str = "xlsx"  # xlsx | xls | csv (GBK)
    layout: str = "items"  # items: one row per person × KPI; totals: one row per person × period
    title_rows: int = 1
    header: str = "flat"  # flat | grouped (group cells above) | grouped_tall (standalone headers merged down)
    words: dict[str, str] = field(default_factory=lambda: {f: w[0] for f, w in HEADER_WORDS.items()})
    numeric_ids: bool = False  # ids (and rater ids) as number cells: leading zeros lost
    id_format: bool = False  # ...shown as 000123 by a number format
    weight_form: str = "number"  # number (30) | text ('30%') | fraction (0.3 formatted as %)
    value_mix: float = 0.25  # share of score cells written as '95', '95%', 0.95, '９５', '95分'
    blank_rows: float = 0.03  # chance of a blank row after a person
    totals: bool = True
    notes: bool = True
    merged_ids: bool = False  # person cells merged down over that person's KPI rows
    no_score: float = 0.0  # share of totals written as '缺考' / '-' / blank (totals layout)
    bad_rows: int = 0  # genuinely bad rows to slip in (unknown id, unreadable score, duplicate)

    @property
    def fields(self) -> tuple[str, ...]:
        return ITEM_FIELDS if self.layout == "items" else TOTAL_FIELDS

    @property
    def constant_memory(self) -> bool:
        # constant_memory writes row by row: a merge reaching down would lose the rest of its row
        return self.header != "grouped_tall" and not self.merged_ids


@dataclass
class SheetPlan:
    """One sheet of a tabular workbook: its name, title, period label and the appraisals on it."""

    name: str
    title: str
    period: str
    appraisals: Iterable[Appraisal]


@dataclass
class WrittenFile:
    """A file written for import, with what it holds and the bad rows slipped in on purpose."""

    path: Path
    kind: str  # roster | tabular | form
    data_rows: int = 0
    appraisals: int = 0
    # (sheet, Excel row, kind, employee id of the appraisal it spoils or None)
    bad_rows: list[tuple[str, int, str, str | None]] = field(default_factory=list)
    blank_totals: list[tuple[str, str]] = field(default_factory=list)  # (sheet, employee id) written without a score


def _number_text(value: float) -> str:
    return f"{value:g}"


def score_cell(rng: random.Random, score: float, mix: float) -> float | str:
    """A 0–100 score as HR types it: mostly a number, sometimes '95', '95%', 0.95, '９５' or '95分'."""
    if rng.random() >= mix:
        return score
    form = rng.randrange(5)
    if form == 0:
        return _number_text(score)
    if form == 1:
        return f"{_number_text(score)}%"
    if form == 2 and 30 <= score < 100:
        return round(score / 100, 4)
    if form == 3:
        return _number_text(score).translate(_FULL_WIDTH)
    return f"{_number_text(score)}分"


def target_cell(kpi: Kpi, value: float | str) -> float | str:
    if isinstance(value, str):
        return value
    if kpi.unit == "%":
        return f"{_number_text(value)}%"
    return value


def _id_cell(employee_id: str | None, style: TabularStyle) -> tuple[Any, str]:
    if employee_id is None:
        return None, ""
    if style.numeric_ids:
        return int(employee_id), "id" if style.id_format else ""
    return employee_id, ""


def _weight_cell(weight: int, style: TabularStyle) -> tuple[Any, str]:
    if style.weight_form == "text":
        return f"{weight}%", ""
    if style.weight_form == "fraction":
        return weight / 100, "pct"
    return weight, ""


def _header_rows(ws: Any, r: int, style: TabularStyle) -> int:
    """Write the header (one row, or two with merged group cells); return the next free row."""
    fields = style.fields
    if style.header == "flat":
        for c, f in enumerate(fields):
            ws.cell(r, c, style.words[f], "head")
        return r + 1
    grouped: dict[str, str] = {}
    for group, members in HEADER_GROUPS:
        for f in members:
            grouped[f] = group
    c = 0
    while c < len(fields):
        f = fields[c]
        group = grouped.get(f)
        if group is None:
            if style.header == "grouped_tall":
                ws.merge(r, c, r + 1, c, style.words[f])
            c += 1
            continue
        end = c
        while end + 1 < len(fields) and grouped.get(fields[end + 1]) == group:
            end += 1
        if end > c:
            ws.merge(r, c, r, end, group)
        else:
            ws.cell(r, c, group, "head")
        c = end + 1
    # the lower row after the upper one (constant_memory writes row by row)
    for c, f in enumerate(fields):
        if f in grouped or style.header == "grouped":
            ws.cell(r + 1, c, style.words[f], "head")
    return r + 2


def _write_tabular_sheet(ws: Any, plan: SheetPlan, style: TabularStyle, rng: random.Random, out: WrittenFile) -> None:
    fields = style.fields
    col = {f: i for i, f in enumerate(fields)}
    r = _sheet_top(ws, plan, style, col)
    people = list(plan.appraisals)
    remaining = style.bad_rows - len(out.bad_rows)
    wanted = min(remaining, max(1, style.bad_rows // 4)) if remaining > 0 and rng.random() < 0.6 else 0
    bad_at = set(rng.sample(range(len(people)), min(wanted, len(people))))
    scores: list[float] = []
    last_row: list[Any] | None = None
    for k, a in enumerate(people):
        e = a.employee
        eid, eid_kind = _id_cell(e.employee_id, style)
        rater, rater_kind = _id_cell(a.rater_id, style)
        name = e.name + " " if rng.random() < 0.01 else e.name
        person = {
            "employee_id": (eid, eid_kind),
            "name": (name, ""),
            "department": (e.department, ""),
            "position": (e.position.name, ""),
            "period": (plan.period, ""),
            "manager": (rater, rater_kind),
        }
        out.appraisals += 1
        write = _totals_row if style.layout == "totals" else _item_rows
        r, row, scored = write(ws, r, a, person, plan, style, rng, out, col)
        last_row = row if row is not None else last_row
        if scored:
            scores.append(a.total)
        if k in bad_at and last_row is not None:
            r = _write_bad_row(ws, r, rng, fields, last_row, style, plan, out)
        if rng.random() < style.blank_rows:
            r += 1
    _sheet_bottom(ws, r, style, rng, col, scores, len(people))


def _sheet_top(ws: Any, plan: SheetPlan, style: TabularStyle, col: dict[str, int]) -> int:
    """Column widths, the title rows and the header; returns the first data row."""
    widths = {"employee_id": 9, "name": 8, "department": 11, "position": 13, "period": 14, "kpi": 20, "comment": 22}
    for f, c in col.items():
        ws.width(c, widths.get(f, 9))
    r = 0
    if style.title_rows:
        ws.merge(r, 0, r, len(col) - 1, plan.title, "title")
        r += 1
    if style.title_rows > 1:
        ws.cell(r, 0, f"制表部门：人力资源部    单位：分    制表日期：{FIXED_CREATED:%Y年%m月%d日}")
        r += 1
    return _header_rows(ws, r, style)


Cells = dict[str, tuple[Any, str]]


def _totals_row(
    ws: Any, r: int, a: Appraisal, person: Cells, plan: SheetPlan, style: TabularStyle, rng: random.Random,
    out: WrittenFile, col: dict[str, int],
) -> tuple[int, list[Any], bool]:  # fmt: skip
    """One person's total on one row (some written as 缺考 / - / blank); (next row, the row, scored)."""
    total: Any = score_cell(rng, a.total, style.value_mix)
    scored = True
    if style.no_score and rng.random() < style.no_score:
        total = rng.choice(("缺考", "-", ""))
        out.blank_totals.append((plan.name, a.employee.employee_id))
        scored = False
    values = {
        **person,
        "total": (total, ""),
        "grade": (a.grade if total not in ("缺考", "-", "") else "", ""),
        "comment": (_overall_comment(rng, a.total), ""),
    }
    for f, (v, kind) in values.items():
        ws.cell(r, col[f], v, kind)
    out.data_rows += 1
    return r + 1, [values.get(f, (None, ""))[0] for f in style.fields], scored


def _item_rows(
    ws: Any, r: int, a: Appraisal, person: Cells, plan: SheetPlan, style: TabularStyle, rng: random.Random,
    out: WrittenFile, col: dict[str, int],
) -> tuple[int, list[Any] | None, bool]:  # fmt: skip
    """One row per KPI of the person (their cells merged down when the style says so); (next row, the
    last row, scored)."""
    first, last_row = r, None
    merged = style.merged_ids and len(a.items) > 1
    for it in a.items:
        w, w_kind = _weight_cell(it.weight, style)
        values = {
            **person,
            "kpi": (it.kpi.name, ""),
            "weight": (w, w_kind),
            "target": (target_cell(it.kpi, it.target), ""),
            "actual": (target_cell(it.kpi, it.actual), ""),
            "score": (score_cell(rng, it.score, style.value_mix), ""),
            "comment": (it.comment, ""),
        }
        for f in style.fields:
            if not (merged and f in person):
                v, kind = values[f]
                ws.cell(r, col[f], v, kind)
        last_row = [values[f][0] for f in style.fields]
        r += 1
        out.data_rows += 1
    if merged:
        for f, (v, _) in person.items():
            if v is not None:
                ws.merge(first, col[f], r - 1, col[f], v, "")
    return r, last_row, True


def _sheet_bottom(
    ws: Any, r: int, style: TabularStyle, rng: random.Random, col: dict[str, int], scores: list[float], people: int
) -> None:
    """The average and head-count rows and the notes under the table, as the style says."""
    if style.totals and scores:
        r += rng.random() < 0.5
        ws.cell(r, 0, "平均")
        target_col = col["score"] if "score" in col else col["total"]
        ws.cell(r, target_col, round(sum(scores) / len(scores), 2))
        r += 1
        ws.cell(r, 0, "合计")
        ws.cell(r, 1, f"{people}人")
        r += 1
    if style.notes:
        r += 1
        ws.cell(r, 0, "注：1. 得分按各指标加权计算，满分 100 分，超额完成最高 120 分。")
        ws.cell(r + 1, 0, "2. 考核人栏填写直接上级工号；等级：A ≥ 90，B ≥ 70，C < 70。")
        ws.cell(r + 2, 0, "制表：人力资源部    审核：         日期：")


_BAD_KINDS = ("unknown_id", "unreadable_score", "duplicate")


def _write_bad_row(
    ws: Any,
    r: int,
    rng: random.Random,
    fields: tuple[str, ...],
    like: list[Any],
    style: TabularStyle,
    plan: SheetPlan,
    out: WrittenFile,
) -> int:
    """Slip in one genuinely bad row after a real one: an unknown id without a name, an unreadable score on
    an extra KPI line, or a duplicated line. The importer must reject it; for the last two it may also hold
    back the rest of the appraisal the row belongs to (``spoils`` names whose)."""
    kind = rng.choice(_BAD_KINDS)
    row = list(like)
    col = {f: i for i, f in enumerate(fields)}
    if kind == "unknown_id":
        row[col["employee_id"]] = str(990000 + rng.randrange(9999))
        row[col["name"]] = None
    elif kind == "unreadable_score":
        row[col["score" if "score" in col else "total"]] = "待定"
        if "kpi" in col:
            row[col["kpi"]] = "临时任务"
            row[col["weight"]] = 0
    for c, v in enumerate(row):
        kind_fmt = "pct" if fields[c] == "weight" and style.weight_form == "fraction" else ""
        ws.cell(r, c, v, kind_fmt)
    spoils = None if kind == "unknown_id" else str(like[col["employee_id"]]).zfill(ID_WIDTH)
    out.bad_rows.append((plan.name, r + 1, kind, spoils))
    return r + 1


def _overall_comment(rng: random.Random, total: float) -> str:
    if rng.random() < 0.6:
        return ""
    band = "high" if total >= 95 else "good" if total >= 85 else "mid" if total >= 70 else "low"
    return rng.choice(COMMENTS[band])


def write_tabular_workbook(path: Path, sheets: Iterable[SheetPlan], style: TabularStyle, seed: int = 0) -> WrittenFile:
    """Write a tabular legacy appraisal workbook (one sheet per plan) in ``style``; CSV puts all in one table."""
    rng = random.Random(seed)
    out = WrittenFile(Path(path), "tabular")
    book = open_book(out.path, style.fmt, constant_memory=style.constant_memory)
    try:
        for plan in sheets:
            _write_tabular_sheet(book.sheet(plan.name), plan, style, rng, out)
    finally:
        book.close()
    return out


def write_roster(path: Path, company: Company, seed: int = 0) -> WrittenFile:
    """The 花名册 as HR keeps it: a title and a date line above the header, one row per person (leavers too)."""
    rng = random.Random(seed)
    out = WrittenFile(Path(path), "roster")
    book = XlsxBook(out.path, constant_memory=True)
    ws = book.sheet("花名册")
    header = ("序号", "工号", "姓名", "部门", "岗位", "直接上级", "入职日期", "状态", "离职日期")
    for c, w in enumerate((6, 9, 8, 12, 16, 9, 12, 6, 12)):
        ws.width(c, w)
    ws.merge(0, 0, 0, len(header) - 1, f"{COMPANY_NAME}员工花名册", "title")
    ws.cell(1, 0, f"数据截至：{company.quarters[-1].end:%Y年%m月%d日}")
    for c, h in enumerate(header):
        ws.cell(2, c, h, "head")
    order = {name: i for i, name in enumerate(company.departments)}
    people = sorted(company.employees, key=lambda e: (order[e.department], e.employee_id))
    r = 3
    for n, e in enumerate(people, start=1):
        hire: Any = e.hire_date
        if rng.random() < 0.03:  # a few typed as text
            hire = f"{hire.year}/{hire.month}/{hire.day}" if rng.random() < 0.5 else hire.isoformat()
        row = (n, e.employee_id, e.name, e.department, e.position.name, e.manager_id, hire, e.status, e.leave_date)
        for c, v in enumerate(row):
            ws.cell(r, c, v)
        r += 1
        out.data_rows += 1
    book.close()
    return out
