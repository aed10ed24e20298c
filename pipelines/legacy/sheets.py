"""The sheets of a legacy appraisal workbook: how each is read (a table, per-person forms, the summary
of forms, a roster to skip), its staged records with the period it names, and the summary check."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import polars as pl

from core.values import parse_number
from pipelines.context import fold_expr
from pipelines.layout import Form, Table, find_form, find_table
from pipelines.legacy.records import normalise
from pipelines.mapping import Mapping, mapping_of_plans, planned_sheets
from pipelines.normalise import Period, as_percent_points, clean_employee_id, find_period_in_text
from pipelines.options import DEFAULT, ImportOptions
from pipelines.row_errors import no_errors
from pipelines.staging import Staged, stage_form, stage_table
from pipelines.workbook import Grid

FIELDS = (
    "employee_id", "name", "department", "position", "period", "kpi", "weight", "target", "actual",
    "score", "total", "grade", "comment", "manager", "first_name", "last_name", "self_score", "category",
    "category_weight", "self_total",
)  # fmt: skip
# an analysis of appraisals (distribution, ranking, team averages) repeats people; it holds none of its own
ANALYSIS_WORDS = re.compile(r"分析|统计|分布")
SECTION_HEADING = re.compile(r"^[一二三四五六七八九十]+[、.．]")


@dataclass
class SheetPlan:
    """How one sheet is read."""

    grid: Grid
    layout: str  # table | form | summary | roster | skip
    table: Table | None = None
    note: str = ""
    headers: dict[str, str] = field(default_factory=dict)  # field -> header text
    form: Form | None = None


def plan_sheets(grids: list[Grid], mapping: Mapping | None = None) -> list[SheetPlan]:
    """Each sheet's plan from ``mapping`` (HR's), else from what detection found, as a Mapping: both
    run through pipelines/mapping.py."""
    planned = planned_sheets(grids, mapping or mapping_of_plans(detect_sheets(grids)))
    return [SheetPlan(p.grid, p.layout, p.table, p.note, p.headers, p.form) for p in planned]


def detect_sheets(grids: list[Grid]) -> list[SheetPlan]:
    """Decide per sheet: tabular, per-person form, summary of forms, roster, or skip (with a note)."""
    plans: list[SheetPlan] = []
    for g in grids:
        if g.error:
            plans.append(SheetPlan(g, "skip", note=f"工作表「{g.name}」无法读取，已跳过：{g.error}"))
            continue
        if g.frame.height == 0:
            continue
        if not g.visible:
            plans.append(
                SheetPlan(g, "skip", note=f"隐藏的工作表「{g.name}」已跳过（如需导入，请在 Excel 中取消隐藏）。")
            )
            continue
        form = find_form(g)
        if form is not None:
            plans.append(SheetPlan(g, "form", form.table, form=form))
            continue
        table = find_table(g)
        if table is None or table.kind is None:
            plans.append(
                SheetPlan(
                    g, "skip", note=f"工作表「{g.name}」里没有找到考核表的表头（工号/姓名 + 得分/总分/等级），已跳过。"
                )
            )
            continue
        if table.kind == "legacy" and is_analysis(g, table):
            plans.append(
                SheetPlan(
                    g, "skip", note=f"工作表「{g.name}」是对考核结果的统计分析（分布、排名），不是考核记录，已跳过。"
                )
            )
            continue
        plans.append(SheetPlan(g, "table" if table.kind == "legacy" else "roster", table))
    if any(p.layout == "form" for p in plans):
        for p in plans:
            if p.layout == "table" and p.table is not None and "kpi" not in p.table.fields and not p.table.wide:
                p.layout = "summary"
                p.note = f"工作表「{p.grid.name}」是个人考核表的汇总页，不重复导入。"
    for p in plans:
        if p.layout == "roster":
            p.note = f"工作表「{p.grid.name}」看起来是花名册，不是考核表，已跳过（花名册请单独导入）。"
        if p.table is not None:
            p.headers = {c.field: c.header for c in p.table.columns}
    return plans


def is_analysis(grid: Grid, table: Table) -> bool:
    """A sheet analysing appraisals rather than holding them: named or titled as an analysis
    (分析/统计/分布) and laid out as numbered sections (一、绩效等级分布 … 四、绩效排名明细) above the table."""
    above = grid.frame.head(table.header_row).rows()
    headings = sum(1 for row in above for v in row if v is not None and SECTION_HEADING.match(str(v).strip()))
    named = bool(ANALYSIS_WORDS.search(grid.name) or ANALYSIS_WORDS.search(table.title))
    return named and headings >= 1


def stage_sheet(
    plan: SheetPlan, file_period: Period | None
) -> tuple[pl.DataFrame, list[str], dict[tuple[str, str], str]]:
    """One sheet's staged records with ``_sheet``, ``_row``, ``_period_hint``, ``_layout``; notes on
    what was skipped; the header text of every (sheet, field). Reads the whole sheet and lets it go."""
    notes: list[str] = []
    headers: dict[tuple[str, str], str] = {}
    g = plan.grid.full()
    if plan.layout == "form":
        assert plan.form is not None
        staged: Staged = stage_form(g, plan.form, FIELDS)
        for f, (_, _, label) in plan.form.labels.items():
            headers[(g.name, f)] = label
    else:
        assert plan.table is not None
        staged = stage_table(g, plan.table, FIELDS, people=True)
        skipped = []
        if staged.skipped_totals:
            skipped.append(f"{staged.skipped_totals} 行合计/平均")
        if staged.skipped_headers:
            skipped.append(f"{staged.skipped_headers} 行重复表头")
        if staged.skipped_notes:
            skipped.append(f"{staged.skipped_notes} 行备注说明")
        if skipped:
            notes.append(f"工作表「{g.name}」跳过了" + "、".join(skipped) + "（不是数据行）。")
    for f, h in plan.headers.items():
        headers[(g.name, f)] = h
    title = plan.table.title if plan.table is not None and plan.layout in ("table", "form") else ""
    hint = find_period_in_text(title) or find_period_in_text(g.name) or file_period
    if plan.layout == "form" and hint is not None:
        staged.frame = staged.frame.with_columns(period=_with_year(pl.col("period"), hint.key[:4]))
    frame = staged.frame.with_columns(
        _period_hint=pl.lit(hint.key if hint else None, dtype=pl.String),
        _sheet_name=pl.lit(g.name),
        _layout=pl.lit(plan.layout),
    )
    return frame, notes, headers


def read_records(
    plans: list[SheetPlan], file_name: str, options: ImportOptions = DEFAULT
) -> tuple[pl.DataFrame, pl.DataFrame, list[str], dict[tuple[str, str], str]]:
    """Stage the file sheet by sheet, letting each sheet's cells go once staged, then normalise all
    records at once. Returns (records, parse errors, notes, headers); ``_rid`` numbers the records."""
    frames: list[pl.DataFrame] = []
    notes: list[str] = []
    headers: dict[tuple[str, str], str] = {}
    file_period = find_period_in_text(file_name)
    for p in plans:
        if p.note:
            notes.append(p.note)
        if p.layout not in ("table", "form"):
            continue
        staged, sheet_notes, sheet_headers = stage_sheet(p, file_period)
        p.grid.frame = p.grid.frame.clear()  # staged: the sheet's cells are not needed again
        notes.extend(sheet_notes)
        headers.update(sheet_headers)
        if staged.height:
            frames.append(staged)
    if not frames:
        return pl.DataFrame(), no_errors(), notes, headers
    # one contiguous frame: later steps add columns, and adding a column to a frame of several
    # chunks would copy all of it
    # (passed on without keeping a name for it here, so normalise can let the raw text go column by column)
    records, errors = normalise(_take_all(frames), options, file_name)
    return records, errors, notes, headers


def _take_all(frames: list[pl.DataFrame]) -> pl.DataFrame:
    staged = pl.concat(frames, how="vertical_relaxed", rechunk=True).with_row_index("_rid")
    frames.clear()
    return staged


_MONTH_OR_QUARTER = r"^\s*(第?\s*[一二三四1-4]\s*季度|[qQ][1-4]|\d{1,2}\s*月份?|(上|下)半年)\s*$"


def _with_year(period: pl.Expr, year: str) -> pl.Expr:
    """A form's 「评估周期：1月」 given the year its title, sheet or file name names (2024 → 2024年1月)."""
    return (
        pl.when(period.str.contains(_MONTH_OR_QUARTER))
        .then(pl.lit(f"{year}年") + period.str.strip_chars())
        .otherwise(period)
    )


def summary_mismatches(plans: list[SheetPlan], frame: pl.DataFrame, apps: pl.DataFrame) -> list[str]:
    """Compare the totals of a forms workbook's summary sheet (汇总) with the totals computed from
    the per-person sheets; each disagreement becomes a note (the forms are what is loaded)."""
    notes: list[str] = []
    people = frame.filter(pl.col("_layout") == "form").select("employee_id", "name").unique()
    computed = apps.join(people, on="employee_id", how="inner").select(
        "employee_id", "name", "final_score", "source_score"
    )
    for p in plans:
        if p.layout != "summary" or p.table is None:
            continue
        staged = stage_table(p.grid.full(), p.table, FIELDS, people=True).frame
        total = parse_number(pl.coalesce(pl.col("total"), pl.col("score")))
        summary = staged.select(
            pl.col("_row"),
            _id=clean_employee_id(pl.col("employee_id")),
            _name=fold_expr(pl.col("name")),
            _total=as_percent_points(total, pl.lit(False)),
        ).filter(pl.col("_total").is_not_null())
        by_id = summary.join(computed, left_on="_id", right_on="employee_id", how="inner")
        by_name = summary.filter(pl.col("_id").is_null()).join(computed, left_on="_name", right_on="name", how="inner")
        both = pl.concat([by_id.select("_row", "_total", "final_score", "name", "source_score"),
                          by_name.select("_row", "_total", "final_score", pl.col("_name").alias("name"),
                                         "source_score")])  # fmt: skip
        # a summary on the forms' own scale (7.6 of 10 points) agrees with a form's 76
        differs = ((pl.col("_total") - pl.col("final_score")).abs() > 0.05) & (
            (pl.col("_total") - pl.col("source_score")).abs() > 0.05
        ).fill_null(True)
        for row, written, score, name, _ in both.filter(differs).iter_rows():
            notes.append(
                f"汇总页「{p.grid.name}」第 {row} 行 {name} 的总分 {written:g} 与其个人考核表算出的 {score:g} 不一致，"
                "已按个人考核表导入：请核对汇总页。"
            )
    return notes
