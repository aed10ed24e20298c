"""Legacy appraisal workbooks → closed historical cycles, appraisals and appraisal items.

read (workbook.py) → find layout (layout.py) → stage text rows (staging.py) → normalise values
(normalise.py) → validate (schemas/staged.py, pandera) → resolve people, departments, KPIs against
the roster (context.py) → assemble one appraisal per person and period → frames ready to load.
Every record that is not taken becomes a reject with its sheet, Excel row, column, value and reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandera.polars as pa
import polars as pl

from core.values import ParsedNumber, clean_text, parse_number, trim_text
from pipelines.context import OrgContext, fold_expr, stable_id
from pipelines.layout import Table, find_form, find_table
from pipelines.normalise import (
    GRADE_WORDS,
    as_percent_points,
    clean_employee_id,
    find_period_in_text,
    grade_from_score,
    parse_period,
    restore_ids,
)
from pipelines.staging import Staged, stage_form, stage_table
from pipelines.workbook import Grid
from schemas.staged import LegacyRecord, reason_for

FIELDS = (
    "employee_id", "name", "department", "position", "period", "kpi", "weight", "target", "actual",
    "score", "total", "grade", "comment", "manager",
)  # fmt: skip

ERR_SCHEMA = {"_rid": pl.UInt32, "column": pl.String, "value": pl.String, "reason": pl.String}
# A file where most rows fail is the wrong file: stop before validating it row by row.
GIVE_UP_ROWS, GIVE_UP_SHARE = 2000, 0.8


@dataclass
class SheetPlan:
    """How one sheet is read."""

    grid: Grid
    layout: str  # table | form | summary | roster | skip
    table: Table | None = None
    note: str = ""
    headers: dict[str, str] = field(default_factory=dict)  # field -> header text


@dataclass
class LegacyResult:
    """Frames to load plus every reject and note."""

    records: int = 0
    rows_read: int = 0
    rejects: pl.DataFrame = field(default_factory=lambda: pl.DataFrame())
    unchanged_rows: int = 0
    loaded_rows: int = 0
    notes: list[str] = field(default_factory=list)
    cycles: pl.DataFrame = field(default_factory=pl.DataFrame)
    departments: pl.DataFrame = field(default_factory=pl.DataFrame)
    positions: pl.DataFrame = field(default_factory=pl.DataFrame)
    employees: pl.DataFrame = field(default_factory=pl.DataFrame)
    kpis: pl.DataFrame = field(default_factory=pl.DataFrame)
    appraisals: pl.DataFrame = field(default_factory=pl.DataFrame)
    items: pl.DataFrame = field(default_factory=pl.DataFrame)


class TooManyErrors(Exception):
    """Most rows of the file fail: it is the wrong file or the wrong kind."""


def plan_sheets(grids: list[Grid]) -> list[SheetPlan]:
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
            plan = SheetPlan(g, "form", form.table)
            plan.form = form  # type: ignore[attr-defined]
            plans.append(plan)
            continue
        table = find_table(g)
        if table is None or table.kind is None:
            plans.append(
                SheetPlan(
                    g, "skip", note=f"工作表「{g.name}」里没有找到考核表的表头（工号/姓名 + 得分/总分/等级），已跳过。"
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


def stage_sheet(plan: SheetPlan, file_period) -> tuple[pl.DataFrame, list[str], dict[tuple[str, str], str]]:
    """One sheet's staged records with ``_sheet``, ``_row``, ``_period_hint``, ``_layout``; notes on
    what was skipped; the header text of every (sheet, field). Reads the whole sheet and lets it go."""
    notes: list[str] = []
    headers: dict[tuple[str, str], str] = {}
    g = plan.grid.full()
    if plan.layout == "form":
        form = plan.form  # type: ignore[attr-defined]
        staged: Staged = stage_form(g, form, FIELDS)
        for f, (_, _, label) in form.labels.items():
            headers[(g.name, f)] = label
    else:
        assert plan.table is not None
        staged = stage_table(g, plan.table, FIELDS)
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
    title = plan.table.title if plan.table is not None and plan.layout == "table" else ""
    hint = find_period_in_text(title) or find_period_in_text(g.name) or file_period
    frame = staged.frame.with_columns(
        _period_hint=pl.lit(hint.key if hint else None, dtype=pl.String),
        _sheet_name=pl.lit(g.name),
        _layout=pl.lit(plan.layout),
    )
    return frame, notes, headers


def read_records(
    plans: list[SheetPlan], file_name: str
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
        return pl.DataFrame(), pl.DataFrame(schema=ERR_SCHEMA), notes, headers
    # one contiguous frame: later steps add columns, and adding a column to a frame of several
    # chunks would copy all of it
    # (passed on without keeping a name for it here, so normalise can let the raw text go column by column)
    records, errors = normalise(_take_all(frames))
    return records, errors, notes, headers


def _take_all(frames: list[pl.DataFrame]) -> pl.DataFrame:
    staged = pl.concat(frames, how="vertical_relaxed", rechunk=True).with_row_index("_rid")
    frames.clear()
    return staged


def normalise(staged: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Parse every text column into values. Returns (records, parse errors)."""
    frame = staged.with_columns(period=pl.coalesce(pl.col("period"), pl.col("_period_hint")))
    del staged  # each raw column is freed as soon as its parsed form replaces it
    x = pl.col("_v")
    frame = _derive(frame, "employee_id", employee_id=clean_employee_id(x))
    frame = _derive(frame, "manager", manager=clean_employee_id(x))
    frame = _derive(frame, "name", name=fold_expr(x))
    # names of things and free text are kept as written (trimmed); comparisons fold them separately
    for col in ("department", "position", "kpi", "target", "actual", "comment"):
        frame = _derive(frame, col, **{col: trim_text(x)})
    frame = _derive(frame, "grade", grade_raw=clean_text(x))
    frame = _derive(frame, "period", period_text=clean_text(x))
    for col, prefix in (("score", "_score"), ("total", "_total"), ("weight", "_weight")):
        num = parse_number(x)
        frame = _derive(
            frame,
            col,
            **{
                f"{col}_raw": clean_text(x),
                f"{prefix}_n": num.value,
                f"{prefix}_pct": num.percent,
                f"{prefix}_err": num.error,
                f"{prefix}_absent": num.absent,
            },
        )
    frame = frame.with_columns(
        pl.col("_score_pct", "_total_pct", "_weight_pct", "_score_absent", "_total_absent").fill_null(False)
    ).with_columns(_absent=pl.col("_score_absent") | pl.col("_total_absent"))
    # per sheet: a weight column written as fractions (0.3) and 5-point ratings
    sheet_stats = frame.group_by("_sheet").agg(
        _w_frac=(pl.col("_weight_n").max() <= 1.0) & pl.col("_weight_n").is_not_null().any(),
        _s_frac=(pl.col("_score_n").max() <= 1.0) & pl.col("_score_n").is_not_null().any(),
        _t_frac=(pl.col("_total_n").max() <= 1.0) & pl.col("_total_n").is_not_null().any(),
        _scale5=(pl.max_horizontal(pl.col("_score_n").max(), pl.col("_total_n").max()) <= 5.0)
        & ~(pl.col("_score_pct") | pl.col("_total_pct")).any(),
    )
    frame = _attach(frame, sheet_stats, "_sheet")
    weight_pp = as_percent_points(_parsed("_weight"), pl.col("_w_frac"))
    score_pp = as_percent_points(_parsed("_score"), pl.col("_s_frac") & ~pl.col("_scale5"))
    total_pp = as_percent_points(_parsed("_total"), pl.col("_t_frac") & ~pl.col("_scale5"))
    frame = frame.with_columns(
        weight_v=weight_pp,
        _scale=pl.when(pl.col("_scale5")).then(pl.lit(5)).otherwise(pl.lit(100)),
        score_src=score_pp,
        total_src=total_pp,
    ).with_columns(
        score_v=pl.when(pl.col("_scale") == 5).then(pl.col("score_src") * 20).otherwise(pl.col("score_src")),
        total_v=pl.when(pl.col("_scale") == 5).then(pl.col("total_src") * 20).otherwise(pl.col("total_src")),
    )
    # items scored in weighted points (得分 27 of 权重 30, summing to the total): per sheet
    points = (
        frame.lazy()
        .filter(pl.col("kpi").is_not_null() & pl.col("score_v").is_not_null() & pl.col("weight_v").is_not_null())
        .group_by("_sheet")
        .agg(_points=(pl.col("score_v") <= pl.col("weight_v") + 1e-9).all() & (pl.len() >= 2))
        .collect()
    )
    frame = _attach(frame, points, "_sheet").with_columns(pl.col("_points").fill_null(False))

    grade_map = pl.DataFrame({"_g": list(GRADE_WORDS), "_gv": list(GRADE_WORDS.values())})
    frame = _attach(
        frame.with_columns(_g=pl.col("grade_raw").str.to_uppercase().str.replace_all(r"\s", "")), grade_map, "_g"
    )
    frame = frame.with_columns(grade_v=pl.coalesce(pl.col("_gv"), pl.col("grade_raw"))).drop("_g", "_gv")

    periods = {t: parse_period(t) for t in frame.get_column("period_text").drop_nulls().unique().to_list()}
    keymap = pl.DataFrame(
        {"period_text": list(periods), "period_key": [p.key if p else t for t, p in periods.items()]},
        schema={"period_text": pl.String, "period_key": pl.String},
    )
    frame = _attach(frame, keymap, "period_text")

    errors = pl.concat(
        [
            _errors(frame, pl.col("_score_err"), "score", pl.col("score_raw")),
            _errors(frame, pl.col("_total_err"), "total", pl.col("total_raw")),
            _errors(frame, pl.col("_weight_err"), "weight", pl.col("weight_raw")),
            _errors(
                frame,
                pl.when(pl.col("period_text").is_null()).then(
                    pl.lit("缺少考核期间（表内、标题、工作表名和文件名里都没有找到）：请加一列「考核期间」，如 2024Q1")
                ),
                "period",
                pl.lit(None, dtype=pl.String),
            ),
            _errors(
                frame,
                pl.when(pl.col("employee_id").is_null() & pl.col("name").is_null()).then(
                    pl.lit("缺少工号和姓名：无法确定是谁的成绩")
                ),
                "employee_id",
                pl.lit(None, dtype=pl.String),
            ),
            _errors(
                frame,
                pl.when(pl.col("_absent")).then(pl.lit("标记为缺考/未考核，这一期没有成绩，未导入")),
                "score",
                pl.coalesce(pl.col("score_raw"), pl.col("total_raw")),
            ),
            _errors(
                frame,
                pl.when(
                    ~pl.col("_absent")
                    & pl.col("score_v").is_null()
                    & pl.col("total_v").is_null()
                    & pl.col("grade_v").is_null()
                    & pl.col("_score_err").is_null()
                    & pl.col("_total_err").is_null()
                ).then(
                    pl.when(pl.coalesce("score_raw", "total_raw").is_not_null())
                    .then(
                        pl.format(
                            "分数写的是「{}」（空缺），这一行没有分数，未导入：如有成绩请补上",
                            pl.coalesce("score_raw", "total_raw"),
                        )
                    )
                    .otherwise(pl.lit("这一行没有分数或等级：请补上得分，或删除这一行"))
                ),
                "score",
                pl.coalesce("score_raw", "total_raw", "grade_raw"),
            ),
        ]
    )
    return frame.select(RECORD_COLUMNS), errors


# What later steps read of a normalised record; everything else is dropped to keep a 1M-row import small.
RECORD_COLUMNS = [
    "_rid", "_row", "_sheet", "_layout", "employee_id", "name", "department", "position", "kpi", "target",
    "actual", "comment", "manager", "period_key", "weight_v", "score_v", "total_v", "grade_v", "score_raw",
    "total_raw", "weight_raw", "grade_raw", "_scale", "score_src", "total_src", "_points",
]  # fmt: skip
RESOLVED_COLUMNS = [*RECORD_COLUMNS, "dept_id", "position_id", "kpi_id", "manager_id"]


def _attach(
    frame: pl.DataFrame, table: pl.DataFrame, left_on: str | list[str], right_on: str | list[str] | None = None
) -> pl.DataFrame:
    """Left-join ``table`` onto ``frame`` moving only the key columns through the join, then attach the
    looked-up columns without copying the rest (a 1M-row import stays small). ``table`` must hold each
    key once; a repeated key would multiply rows and is refused by the height check of ``hstack``."""
    lk = [left_on] if isinstance(left_on, str) else list(left_on)
    rk = lk if right_on is None else ([right_on] if isinstance(right_on, str) else list(right_on))
    tmp = [f"_key{i}" for i in range(len(lk))]
    right = table.rename(dict(zip(rk, tmp, strict=True))).unique(tmp, keep="first", maintain_order=True)
    looked = (
        frame.select([pl.col(c).alias(t) for c, t in zip(lk, tmp, strict=True)])
        .join(right, on=tmp, how="left", maintain_order="left")
        .drop(tmp)
    )
    return frame.drop([c for c in looked.columns if c in frame.columns]).hstack(looked.get_columns())


def _derive(frame: pl.DataFrame, col: str, **exprs: pl.Expr) -> pl.DataFrame:
    """Compute ``exprs`` (written over ``pl.col("_v")``) once per distinct value of ``col`` and join the
    results back: text columns repeat a lot (departments, periods, scores), so this is many times
    cheaper than parsing every cell. Only the key column takes part in the join and the results are
    attached without copying the other columns (a 1M-row import stays small). A derived column named
    like ``col`` replaces it."""
    table = frame.select(pl.col(col).unique().alias("_v")).filter(pl.col("_v").is_not_null())
    table = table.with_columns(**exprs)
    derived = (
        frame.select(pl.col(col).alias("_v"))
        .join(table, on="_v", how="left", maintain_order="left", nulls_equal=False)
        .drop("_v")
    )
    return frame.drop([c for c in derived.columns if c in frame.columns]).hstack(derived.get_columns())


def _restore(frame: pl.DataFrame, col: str, out: str, known: pl.Series, ctx: OrgContext) -> pl.DataFrame:
    """``out`` = the roster's spelling of the ids in ``col``, worked out once per distinct id."""
    distinct = frame.get_column(col).drop_nulls().unique()
    table = pl.DataFrame(
        {"_v": distinct, out if out != col else "_restored": restore_ids(distinct, known, ctx.id_rule)}
    )
    if out == col:
        return _attach(frame, table, col, "_v").with_columns(pl.col("_restored").alias(col)).drop("_restored")
    return _attach(frame, table, col, "_v")


def _parsed(prefix: str) -> ParsedNumber:
    return ParsedNumber(
        pl.col(f"{prefix}_n"), pl.col(f"{prefix}_pct"), pl.lit(False), pl.lit(False), pl.col(f"{prefix}_err")
    )


def _errors(frame: pl.DataFrame | pl.LazyFrame, reason: pl.Expr, column: str, value: pl.Expr) -> pl.DataFrame:
    return (
        frame.lazy()
        .select(pl.col("_rid"), column=pl.lit(column), value=value.cast(pl.String), reason=reason)
        .filter(pl.col("reason").is_not_null())
        .cast(ERR_SCHEMA)  # type: ignore[arg-type]
        .collect()
    )


def validate(frame: pl.DataFrame) -> pl.DataFrame:
    """pandera checks on the normalised records; failures become errors keyed by record."""
    cols = ["employee_id", "period_key", "weight_v", "score_v", "total_v", "grade_v"]
    subset = frame.select(cols)
    try:
        LegacyRecord.validate(subset, lazy=True)
    except pa.errors.SchemaErrors as err:
        fc = err.failure_cases.filter(pl.col("index").is_not_null())
        rids = frame.get_column("_rid")
        rows = []
        for column, check, value, index in fc.select("column", "check", "failure_case", "index").iter_rows():
            rows.append((rids[int(index)], column, value, reason_for(column, str(check))))
        return pl.DataFrame(rows, schema=ERR_SCHEMA, orient="row")
    return pl.DataFrame(schema=ERR_SCHEMA)


def resolve(
    frame: pl.DataFrame, ctx: OrgContext
) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, pl.DataFrame], list[str]]:
    """Attach employee, department, position, KPI and rater ids. Returns (records, errors,
    new org rows, notes)."""
    notes: list[str] = []
    emp = ctx.employees
    known_ids = emp.get_column("employee_id")
    frame = _restore(frame, "employee_id", "employee_id", known_ids, ctx)

    # name-only rows: a name that is unique in the roster names the person
    by_name = emp.group_by("_name_fold").agg(pl.col("employee_id").first().alias("_by_name"), pl.len().alias("_name_n"))
    frame = _attach(frame, by_name, "name", "_name_fold")
    roster = emp.select(
        pl.col("employee_id"),
        pl.lit(True).alias("_known"),
        pl.col("dept_id").alias("_roster_dept"),
        pl.col("position_id").alias("_roster_pos"),
        pl.col("manager_id").alias("_roster_mgr"),
    )
    names = emp.select(
        "employee_id", pl.col("_name_fold").alias("_roster_name"), pl.col("name").alias("_roster_name_raw")
    )
    frame = frame.with_columns(
        employee_id=pl.when(pl.col("employee_id").is_null() & (pl.col("_name_n") == 1))
        .then(pl.col("_by_name"))
        .otherwise(pl.col("employee_id"))
    )
    frame = _attach(frame, roster, "employee_id").with_columns(pl.col("_known").fill_null(False))
    known = pl.col("_known")
    # the roster's names only for the check below, through a lazy join (no extra 1M-row columns kept)
    with_names = frame.lazy().join(names.lazy(), on="employee_id", how="left")
    err_parts = [
        _errors(
            frame,
            pl.when(pl.col("employee_id").is_null() & pl.col("name").is_not_null() & (pl.col("_name_n") > 1)).then(
                pl.format("没有工号，而花名册里有 {} 人叫「{}」：请补上工号", pl.col("_name_n"), pl.col("name"))
            ),
            "employee_id",
            pl.col("name"),
        ),
        _errors(
            frame,
            pl.when(pl.col("employee_id").is_null() & pl.col("name").is_not_null() & pl.col("_name_n").is_null()).then(
                pl.format("没有工号，花名册里也找不到姓名「{}」：请补上工号", pl.col("name"))
            ),
            "employee_id",
            pl.col("name"),
        ),
        _errors(
            with_names,
            pl.when(known & pl.col("name").is_not_null() & (pl.col("name") != pl.col("_roster_name"))).then(
                pl.format(
                    "工号 {} 在花名册中是「{}」，与本行姓名「{}」不一致：请核对工号",
                    pl.col("employee_id"),
                    pl.col("_roster_name_raw"),
                    pl.col("name"),
                )
            ),
            "name",
            pl.col("name"),
        ),
        _errors(
            frame,
            pl.when(pl.col("employee_id").is_not_null() & ~known & pl.col("name").is_null()).then(
                pl.format(
                    "工号 {} 不在花名册中，本行也没有姓名：请先导入花名册，或在表中补上姓名", pl.col("employee_id")
                )
            ),
            "employee_id",
            pl.col("employee_id"),
        ),
    ]
    # people seen only in history: id and name given, not in the roster
    newcomers = frame.lazy().filter(pl.col("employee_id").is_not_null() & ~known & pl.col("name").is_not_null())
    name_clash = (
        newcomers.group_by("employee_id").agg(pl.col("name").n_unique().alias("_n")).filter(pl.col("_n") > 1).collect()
    )
    err_parts.append(
        _errors(
            frame.lazy().join(name_clash.lazy(), on="employee_id", how="left"),
            pl.when(pl.col("_n") > 1).then(
                pl.format("工号 {} 在本文件中对应了不同的姓名：请核对", pl.col("employee_id"))
            ),
            "employee_id",
            pl.col("employee_id"),
        )
    )

    # departments: the row's own, else the roster's
    frame = _derive(frame, "department", _dept_fold=fold_expr(pl.col("_v")))
    depts = ctx.departments.select(pl.col("_fold").alias("_dept_fold"), pl.col("dept_id").alias("_dept_known"))
    frame = _attach(frame, depts, "_dept_fold")
    new_depts = (
        frame.filter(pl.col("_dept_fold").is_not_null() & pl.col("_dept_known").is_null())
        .group_by("_dept_fold")
        .agg(pl.col("department").first())
        .sort("_dept_fold")
    )
    new_depts = new_depts.with_columns(
        dept_id=pl.col("_dept_fold").map_elements(lambda n: stable_id("D", n), return_dtype=pl.String)
    )
    if new_depts.height:
        notes.append("新建了花名册中没有的部门：" + "、".join(new_depts.get_column("department").to_list()[:20]))
    frame = _attach(frame, new_depts.select("_dept_fold", pl.col("dept_id").alias("_dept_new")), "_dept_fold")
    frame = frame.with_columns(dept_id=pl.coalesce("_dept_known", "_dept_new", "_roster_dept")).drop(
        "_dept_known", "_dept_new", "_dept_fold", "_by_name", "_name_n"
    )

    # positions within the department
    frame = _derive(frame, "position", _pos_fold=fold_expr(pl.col("_v")))
    pos = ctx.positions.select(
        pl.col("dept_id"), pl.col("_fold").alias("_pos_fold"), pl.col("position_id").alias("_pos_known")
    )
    frame = _attach(frame, pos, ["dept_id", "_pos_fold"])
    new_pos = (
        frame.filter(
            pl.col("_pos_fold").is_not_null() & pl.col("_pos_known").is_null() & pl.col("dept_id").is_not_null()
        )
        .group_by("dept_id", "_pos_fold")
        .agg(pl.col("position").first())
        .sort("dept_id", "_pos_fold")
    )
    new_pos = new_pos.with_columns(
        position_id=pl.struct("dept_id", "_pos_fold").map_elements(
            lambda s: stable_id("P", s["dept_id"], s["_pos_fold"]), return_dtype=pl.String
        )
    )
    frame = (
        _attach(
            frame,
            new_pos.select("dept_id", "_pos_fold", pl.col("position_id").alias("_pos_new")),
            ["dept_id", "_pos_fold"],
        )
        .with_columns(
            position_id=pl.coalesce(
                "_pos_known",
                "_pos_new",
                pl.when(pl.col("_pos_fold").is_null() & (pl.col("dept_id") == pl.col("_roster_dept"))).then(
                    pl.col("_roster_pos")
                ),
            )
        )
        .drop("_pos_known", "_pos_new", "_pos_fold", "_roster_pos", "_roster_dept")
    )

    # KPIs by name
    frame = _derive(frame, "kpi", _kpi_fold=fold_expr(pl.col("_v")))
    kpis = ctx.kpis.select(pl.col("_fold").alias("_kpi_fold"), pl.col("kpi_id").alias("_kpi_known")).unique("_kpi_fold")
    frame = _attach(frame, kpis, "_kpi_fold")
    new_kpis = (
        frame.filter(pl.col("_kpi_fold").is_not_null() & pl.col("_kpi_known").is_null())
        .group_by("_kpi_fold")
        .agg(pl.col("kpi").first().alias("name"))
        .sort("_kpi_fold")
    )
    new_kpis = new_kpis.with_columns(
        kpi_id=pl.col("_kpi_fold").map_elements(lambda n: stable_id("LK", n), return_dtype=pl.String)
    )
    frame = _attach(frame, new_kpis.select("_kpi_fold", pl.col("kpi_id").alias("_kpi_new")), "_kpi_fold")
    frame = frame.with_columns(kpi_id=pl.coalesce("_kpi_known", "_kpi_new")).drop("_kpi_known", "_kpi_new", "_kpi_fold")

    # rater: an id of the roster, else a unique name, else the employee's current manager
    mgr_known = pl.concat([known_ids, newcomers.select("employee_id").collect().to_series()]).unique()
    frame = _restore(frame, "manager", "_mgr_id", mgr_known, ctx)
    names = by_name.filter(pl.col("_name_n") == 1).select(
        pl.col("_name_fold").alias("_mgr_id"), pl.col("_by_name").alias("_mgr_by_name")
    )
    frame = _attach(frame, names, "_mgr_id").with_columns(
        manager_id=pl.when(pl.col("_mgr_id").is_in(mgr_known.implode()))
        .then(pl.col("_mgr_id"))
        .otherwise(pl.col("_mgr_by_name"))
    )
    unmatched = frame.filter(pl.col("_mgr_id").is_not_null() & pl.col("manager_id").is_null()).height
    if unmatched:
        notes.append(f"{unmatched} 行的考核人无法对应到花名册中的员工，已按该员工的直接上级记录。")
    frame = frame.with_columns(manager_id=pl.coalesce("manager_id", "_roster_mgr")).drop("_mgr_id", "_mgr_by_name")

    newcomers = frame.filter(pl.col("employee_id").is_not_null() & ~known & pl.col("name").is_not_null())
    new_emps = (
        (
            newcomers.join(name_clash, on="employee_id", how="anti")
            .group_by("employee_id")
            .agg(
                pl.col("name").first(), pl.col("dept_id").drop_nulls().last(), pl.col("position_id").drop_nulls().last()
            )
            .sort("employee_id")
        )
        if newcomers.height
        else pl.DataFrame()
    )
    if new_emps.height:
        notes.append(f"{new_emps.height} 人不在花名册中，已作为“历史人员”建档（只出现在历史考核中）。")

    new = {
        "departments": new_depts.select("dept_id", pl.col("department").alias("name")),
        "positions": new_pos.select("position_id", "dept_id", pl.col("position").alias("name")),
        "kpis": new_kpis.select("kpi_id", "name"),
        "employees": new_emps,
    }
    return frame.select(RESOLVED_COLUMNS), pl.concat(err_parts), new, notes


KEY = ["_cycle", "employee_id"]
WRITTEN_TOTAL = (
    pl.when(pl.col("kpi").is_not_null()).then(pl.col("total_v")).otherwise(pl.coalesce("total_v", "score_v"))
)


def _usable(frame: pl.DataFrame, errors: pl.DataFrame) -> pl.LazyFrame:
    """The records without errors, as a lazy query: each use reads only the columns it needs, so
    no full copy of a 1M-row frame is made."""
    bad = errors.get_column("_rid").unique().implode()
    ok = frame.lazy().filter(
        ~pl.col("_rid").is_in(bad) & pl.col("employee_id").is_not_null() & pl.col("period_key").is_not_null()
    )
    return ok.with_columns(_cycle=pl.lit("H-") + pl.col("period_key"), _is_item=pl.col("kpi").is_not_null())


def check_appraisals(frame: pl.DataFrame, errors: pl.DataFrame) -> pl.DataFrame:
    """Errors that only show across rows: the same key twice in the file (reported, never silently
    deduplicated), and totals or grades of one appraisal that disagree."""
    ok = _usable(frame, errors)
    key = KEY
    more: list[pl.DataFrame] = []

    def duplicated(rows: pl.LazyFrame, by: list[str]) -> pl.DataFrame:
        # count first, describe only the (few) duplicated keys
        dup = rows.group_by(by).agg(_n=pl.len()).filter(pl.col("_n") > 1).drop("_n").collect()
        return (
            rows.join(dup.lazy(), on=by, how="semi")
            .group_by(by)
            .agg(
                _first=pl.format(
                    "第 {} 行（工作表「{}」）", pl.col("_row").cast(pl.String).str.join("、"), pl.col("_sheet").first()
                )
            )
            .collect()
        )

    dup_results = duplicated(ok.filter(~pl.col("_is_item")), key)
    dup_items = duplicated(ok.filter(pl.col("_is_item")), [*key, "kpi_id"])
    more.append(
        _errors(
            ok.join(dup_results.lazy(), on=key, how="inner").filter(~pl.col("_is_item")),
            pl.format("{}是同一工号、同一考核期间，重复出现：请删掉多余的行", pl.col("_first")),
            "employee_id",
            pl.col("employee_id"),
        )
    )
    more.append(
        _errors(
            ok.join(dup_items.lazy(), on=[*key, "kpi_id"], how="inner"),
            pl.format("{}是同一人同一期的同一指标，重复出现：请删掉多余的行", pl.col("_first")),
            "kpi",
            pl.col("kpi"),
        )
    )
    # totals written on several rows of one appraisal must agree
    totals = (
        ok.with_columns(_wt=WRITTEN_TOTAL)
        .group_by(key)
        .agg(_tmin=pl.col("_wt").min(), _tmax=pl.col("_wt").max())
        .filter((pl.col("_tmax") - pl.col("_tmin")) > 0.05)
        .collect()
    )
    more.append(
        _errors(
            ok.join(totals.lazy(), on=key, how="inner"),
            pl.lit("同一人同一期的几行写了不同的总分：请统一后再导入"),
            "total",
            pl.col("total_raw"),
        )
    )
    # weights that do not add up to 100 leave no way to compute a total the file does not write
    # (judged only on appraisals whose rows are all readable: a missing row would skew the sum)
    so_far = pl.concat([errors, *more]).get_column("_rid").unique().implode()
    broken = (
        frame.lazy()
        .filter(pl.col("_rid").is_in(so_far))
        .select(_cycle=pl.lit("H-") + pl.col("period_key"), employee_id="employee_id")
        .drop_nulls()
        .unique()
        .collect()
    )
    weights = (
        ok.join(broken.lazy(), on=key, how="anti")
        .filter(pl.col("_is_item"))
        .group_by(key)
        .agg(
            _wsum=pl.col("weight_v").sum(),
            _all=pl.col("weight_v").is_not_null().all(),
            _written=pl.col("total_v").drop_nulls().first(),
            _points=pl.col("_points").first(),
        )
        .filter(
            pl.col("_all") & ((pl.col("_wsum") - 100).abs() > 0.5) & pl.col("_written").is_null() & ~pl.col("_points")
        )
        .collect()
    )
    more.append(
        _errors(
            ok.join(weights.lazy(), on=key, how="inner"),
            pl.format(
                "这份考核各项权重合计为 {}%，不是 100%，表中也没有总分，无法算出总分：请核对权重或补上总分",
                pl.col("_wsum").round(1),
            ),
            "weight",
            pl.col("weight_raw"),
        )
    )
    grades = (
        ok.filter(pl.col("grade_v").is_not_null())
        .group_by(key)
        .agg(_ng=pl.col("grade_v").n_unique())
        .filter(pl.col("_ng") > 1)
        .collect()
    )
    more.append(
        _errors(
            ok.join(grades.lazy(), on=key, how="inner"),
            pl.lit("同一人同一期的几行写了不同的等级：请统一后再导入"),
            "grade",
            pl.col("grade_raw"),
        )
    )
    return pl.concat(more)


def build_appraisals(frame: pl.DataFrame, errors: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """One appraisal per (period, person) from the records without errors, with its items.
    Returns (appraisals, items, errors of appraisals whose computed total is impossible)."""
    ok = _usable(frame, errors)
    key = KEY
    written_total = WRITTEN_TOTAL
    # lazy until the end: the per-appraisal sums read only the columns they need, and the item rows
    # are materialised once, in their final shape
    items = ok.filter(pl.col("_is_item")).with_columns(
        item_score=pl.when(pl.col("_points") & (pl.col("weight_v") > 0))
        .then(pl.col("score_v") / pl.col("weight_v") * 100)
        .otherwise(pl.col("score_v"))
    )
    item_agg = (
        items.group_by(key)
        .agg(
            _wsum=pl.col("weight_v").sum(),
            _wn=pl.col("weight_v").is_not_null().sum(),
            _n=pl.len(),
            _scored=pl.col("item_score").is_not_null().sum(),
            _weighted=(pl.col("item_score") * pl.col("weight_v")).sum() / 100,
            _mean=pl.col("item_score").mean(),
            _points_sum=pl.col("score_v").sum(),
            _points=pl.col("_points").first(),
        )
        .collect()
    )
    written = (
        ok.with_columns(_wt=written_total)
        .group_by(key, maintain_order=True)
        .agg(
            _written=pl.col("_wt").drop_nulls().first(),
            _grade=pl.col("grade_v").drop_nulls().first(),
            _scale=pl.col("_scale").max(),
            _src=pl.when(pl.col("_is_item"))
            .then(pl.col("total_src"))
            .otherwise(pl.coalesce("total_src", "score_src"))
            .drop_nulls()
            .first(),
            dept_id=pl.col("dept_id").drop_nulls().first(),
            position_id=pl.col("position_id").drop_nulls().first(),
            manager_id=pl.col("manager_id").drop_nulls().first(),
            period_key=pl.col("period_key").first(),
        )
        .collect()
    )
    apps = written.join(item_agg, on=key, how="left").with_columns(
        final_score=pl.coalesce(
            "_written",
            pl.when(pl.col("_points") & (pl.col("_scored") == pl.col("_n"))).then(pl.col("_points_sum")),
            pl.when(
                (pl.col("_wn") == pl.col("_n"))
                & ((pl.col("_wsum") - 100).abs() <= 1)
                & (pl.col("_scored") == pl.col("_n"))
            ).then(pl.col("_weighted")),
            pl.col("_mean"),
        ).round(2)
    )
    apps = apps.with_columns(
        grade=pl.coalesce(
            "_grade",
            grade_from_score(
                pl.col("final_score") / pl.when(pl.col("_scale") == 5).then(20).otherwise(1), pl.col("_scale")
            ),
        ),
        source_score=pl.coalesce(
            "_src", pl.when(pl.col("_scale") == 5).then(pl.col("final_score") / 20).otherwise(pl.col("final_score"))
        ),
        source_scale=pl.col("_scale").cast(pl.Int32),
        appraisal_id=pl.col("_cycle") + ":" + pl.col("employee_id"),
        weights_off=((pl.col("_wn") == pl.col("_n")) & ((pl.col("_wsum") - 100).abs() > 0.5)).fill_null(False),
    ).rename({"_cycle": "cycle_id"})
    over = apps.filter(pl.col("final_score") > 120)
    more_errors = _errors(
        ok.join(over.select(pl.col("cycle_id").alias("_cycle"), "employee_id").lazy(), on=key, how="inner"),
        pl.lit("算出的总分超过 120 分：请核对各项得分和权重"),
        "score",
        pl.col("score_raw"),
    )
    if over.height:
        apps = apps.filter(pl.col("final_score") <= 120)
        items = items.join(over.select(pl.col("cycle_id").alias("_cycle"), "employee_id").lazy(), on=key, how="anti")
    items = items.select(
        appraisal_id=pl.col("_cycle") + ":" + pl.col("employee_id"),
        kpi_id="kpi_id",
        weight="weight_v",
        target_as_written="target",
        target_value=parse_number(pl.col("target")).value,
        actual_as_written="actual",
        actual_value=parse_number(pl.col("actual")).value,
        manager_score="item_score",
        item_score="item_score",
        manager_comment="comment",
        _rid="_rid",
    ).collect()
    return apps, items, more_errors


def propagate(frame: pl.DataFrame, errors: pl.DataFrame) -> pl.DataFrame:
    """An appraisal is loaded whole or not at all: when one of its rows is rejected, so are the others."""
    frame = frame.with_columns(_key=pl.col("period_key") + "|" + pl.col("employee_id"))
    bad_rids = errors.get_column("_rid").unique().implode()
    bad = (
        frame.filter(pl.col("_rid").is_in(bad_rids) & pl.col("_key").is_not_null())
        .group_by("_key")
        .agg(_where=pl.format("第 {} 行（{}）", pl.col("_row").first(), pl.col("_sheet").first()))
    )
    extra = _errors(
        frame.join(bad, on="_key", how="inner").filter(~pl.col("_rid").is_in(bad_rids)),
        pl.format("同一人同一期的{}有错误，为保持完整，这份考核的各行都未导入", pl.col("_where")),
        "employee_id",
        pl.col("employee_id"),
    )
    return pl.concat([errors, extra])


def summary_mismatches(plans: list[SheetPlan], frame: pl.DataFrame, apps: pl.DataFrame) -> list[str]:
    """Compare the totals of a forms workbook's summary sheet (汇总) with the totals computed from
    the per-person sheets; each disagreement becomes a note (the forms are what is loaded)."""
    notes: list[str] = []
    people = frame.filter(pl.col("_layout") == "form").select("employee_id", "name").unique()
    computed = apps.join(people, on="employee_id", how="inner").select("employee_id", "name", "final_score")
    for p in plans:
        if p.layout != "summary" or p.table is None:
            continue
        staged = stage_table(p.grid.full(), p.table, FIELDS).frame
        total = parse_number(pl.coalesce(pl.col("total"), pl.col("score")))
        summary = staged.select(
            pl.col("_row"),
            _id=clean_employee_id(pl.col("employee_id")),
            _name=fold_expr(pl.col("name")),
            _total=as_percent_points(total, pl.lit(False)),
        ).filter(pl.col("_total").is_not_null())
        by_id = summary.join(computed, left_on="_id", right_on="employee_id", how="inner")
        by_name = summary.filter(pl.col("_id").is_null()).join(computed, left_on="_name", right_on="name", how="inner")
        both = pl.concat([by_id.select("_row", "_total", "final_score", "name"),
                          by_name.select("_row", "_total", "final_score", pl.col("_name").alias("name"))])  # fmt: skip
        for row, written, score, name in both.filter(
            (pl.col("_total") - pl.col("final_score")).abs() > 0.05
        ).iter_rows():
            notes.append(
                f"汇总页「{p.grid.name}」第 {row} 行 {name} 的总分 {written:g} 与其个人考核表算出的 {score:g} 不一致，"
                "已按个人考核表导入：请核对汇总页。"
            )
    return notes
