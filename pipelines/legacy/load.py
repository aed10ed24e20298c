"""Checked legacy records → closed historical cycles, appraisals and items, inside the file's
transaction: resolve them against the roster on file, assemble one appraisal per person and period,
compare with what is already on file (identical: unchanged; different: rejected, never overwritten),
and write what is taken with the org rows and legacy KPIs it needs."""

from __future__ import annotations

import polars as pl

from core import settings
from core.db import Cursor, query_frame, register_frame, unregister_frame
from pipelines.context import OrgContext
from pipelines.legacy.appraisals import build_appraisals, check_appraisals, propagate
from pipelines.legacy.parse import LegacyParsed
from pipelines.legacy.records import MISSING_PERIOD
from pipelines.legacy.resolve import resolve
from pipelines.legacy.sheets import summary_mismatches
from pipelines.normalise import period_from_key
from pipelines.options import ImportOptions
from pipelines.row_errors import REJECT_SCHEMA, bad_rids, no_errors, row_errors
from pipelines.sniff import FileRefused
from pipelines.source import BatchWriter, Loaded, Progress


def load_legacy(batch: BatchWriter, parsed: LegacyParsed, step: Progress) -> Loaded:
    """Resolve, assemble and compare the records, then write the appraisals taken. Rows taken on a
    guess (a person found by name, a department the roster gives otherwise, a person filed as
    历史人员) come back as warnings; notes on HR's answers count what was inserted."""
    frame, errors, notes = parsed.take_records(), parsed.errors, []
    frame, resolve_errors, new, resolve_notes, guesses = resolve(frame, OrgContext.load(batch.db), batch.options)
    _ask_for_department(frame, new, batch.options)
    notes.extend(resolve_notes)
    errors = pl.concat([errors, resolve_errors])
    errors = pl.concat([errors, check_appraisals(frame, errors)])
    errors = propagate(frame, errors)
    apps, items, over = build_appraisals(frame, errors, settings.grade_scale(batch.cur))
    errors = pl.concat([errors, over])
    notes.extend(summary_mismatches(parsed.plans, frame, apps))
    apps, items, conflicts, unchanged_keys = _compare_existing(batch.cur, frame, apps, items)
    errors = pl.concat([errors, conflicts])
    off = apps.filter(pl.col("weights_off")).height  # of the appraisals written, not those already on file
    if off:
        notes.append(f"{off} 份考核的各项权重合计不是 100%，已按表中写的总分导入：请核对这些考核的权重。")
    taken = _accepted(frame, errors, apps)
    if fallback := int(taken.get_column("_rater_fallback").sum()):
        notes.append(f"{fallback} 行的考核人无法对应到花名册中的员工，已按该员工的直接上级记录。")
    answered = _answered(taken)
    warnings = _warnings(taken, apps, guesses, new["employees"])
    del taken
    loaded = Loaded(
        frame.height,
        _rejects_frame(frame, errors, parsed.headers),
        errors.get_column("_rid").n_unique(),
        frame.with_columns(_aid=pl.lit("H-") + pl.col("period_key") + ":" + pl.col("employee_id"))
        .filter(pl.col("_aid").is_in(unchanged_keys.implode()))
        .height,
        notes,
        warnings=_rejects_frame(frame, warnings, parsed.headers),
    )
    del frame, errors  # the records are summed up: free them before DuckDB takes the rows
    step(0.8, "写入数据库")
    notes.extend(_write(batch, apps, items, new))
    notes.extend(_answer_notes(batch, answered))
    return loaded


def _ask_for_department(frame: pl.DataFrame, new: dict[str, pl.DataFrame], options: ImportOptions) -> None:
    """A file naming no department anywhere whose people the roster does not know cannot file them
    anywhere: refused with one question (inside the transaction: nothing is written)."""
    people = new["employees"]
    if options.dept or people.height == 0 or frame.get_column("department").is_not_null().any():
        return
    raise FileRefused(
        f"文件里没有写部门，其中 {people.height} 人不在花名册中，无法归入任何部门，没有写入任何数据："
        "请先导入花名册，或在上传页的「部门」中填写（命令行加 --dept 装配部），然后重新导入。"
    )


def _accepted(frame: pl.DataFrame, errors: pl.DataFrame, apps: pl.DataFrame) -> pl.DataFrame:
    """What is needed of the records written with this batch (not rejected, of an appraisal that is
    inserted): ``_rid``, ``_aid`` (the appraisal), ``employee_id``, where period and department came
    from, and whether the rater was guessed."""
    return (
        frame.lazy()
        .select(
            "_rid",
            "employee_id",
            "_period_from",
            "_dept_option",
            "_rater_fallback",
            _aid=pl.lit("H-") + pl.col("period_key") + ":" + pl.col("employee_id"),
        )
        .filter(
            ~pl.col("_rid").is_in(bad_rids(errors)) & pl.col("_aid").is_in(apps.get_column("appraisal_id").implode())
        )
        .collect()
    )


def _answered(taken: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """Per source of the period — HR's answer ('option', 'year') or, when HR gave a period, the file —
    the appraisals (``_id``) and how many rows of the file each holds (``_n``); for 'dept', the people
    whose department HR gave."""

    def ids(rows: pl.DataFrame, column: str) -> pl.DataFrame:
        return rows.group_by(pl.col(column).alias("_id")).agg(_n=pl.len())

    out = {src: ids(taken.filter(pl.col("_period_from") == src), "_aid") for src in ("option", "year")}
    out["file"] = (
        ids(taken.filter(pl.col("_period_from") == "file"), "_aid")
        if out["option"].height
        else ids(taken.clear(), "_aid")
    )
    out["dept"] = ids(taken.filter(pl.col("_dept_option")), "employee_id")
    return out


def _answer_notes(batch: BatchWriter, answered: dict[str, pl.DataFrame]) -> list[str]:
    """One line per answer HR gave for the file, counted from what this batch inserted (read back)."""
    options, notes = batch.options, []

    def inserted(table: str, column: str, ids: pl.DataFrame) -> tuple[int, int]:
        """(rows of ``table`` this batch inserted among ``ids``, rows of the file they hold)."""
        if ids.height == 0:
            return 0, 0
        register_frame(batch.cur, "_answered", ids)
        try:
            found, rows = batch.cur.execute(
                f"SELECT count(*), coalesce(sum(a._n), 0) FROM {table} t JOIN _answered a ON a._id = t.{column}"
                " WHERE t.batch_id = ?",
                [batch.batch_id],
            ).fetchall()[0]
        finally:
            unregister_frame(batch.cur, "_answered")
        return int(found), int(rows)

    written = batch.cur.execute("SELECT count(*) FROM appraisals WHERE batch_id = ?", [batch.batch_id]).fetchall()[0][0]
    by_option, option_rows = inserted("appraisals", "appraisal_id", answered["option"])
    if by_option:
        by_file, file_rows = inserted("appraisals", "appraisal_id", answered["file"])
        line = f"考核期间按上传时填写的 {options.period} 记录（{option_rows} 行，{by_option} 份考核）"
        if by_file:
            line += f"；另有 {file_rows} 行（{by_file} 份考核）按文件里写的期间记录（文件里写的期间优先）"
        notes.append(line + "。")
    elif options.period and written:
        notes.append(f"上传时填写的考核期间 {options.period} 没有用到：写入的每一行都有自己的考核期间。")
    by_year, year_rows = inserted("appraisals", "appraisal_id", answered["year"])
    if by_year:
        given = (
            f"年份 {options.year}"
            if options.year is not None
            else f"考核期间 {options.period} 所在的年份 {options.year_for_months}"
        )
        notes.append(f"只写了月份或季度的考核期间按上传时填写的{given} 记录（{year_rows} 行，{by_year} 份考核）。")
    by_dept, _ = inserted("employees", "employee_id", answered["dept"])
    if by_dept:
        notes.append(f"表中没有部门的 {by_dept} 名历史人员按上传时填写的部门「{options.dept}」建档。")
    elif options.dept and written:
        notes.append(f"上传时填写的部门「{options.dept}」没有用到：写入的人都在表中写了部门，或花名册里已有部门。")
    return notes


def _warnings(taken: pl.DataFrame, apps: pl.DataFrame, guesses: pl.DataFrame, people: pl.DataFrame) -> pl.DataFrame:
    """The guesses of rows that are written, and one line for each person filed as 历史人员 (at their
    first row), shaped like errors."""
    rids = taken.get_column("_rid").implode()
    out = [guesses.filter(pl.col("_rid").is_in(rids))]
    if people.height:
        created = people.filter(pl.col("employee_id").is_in(apps.get_column("employee_id").implode()))
        out.append(
            row_errors(
                created,
                pl.format(
                    "工号 {} {} 不在花名册中，已作为“历史人员”建档：如是在职员工，请先导入花名册，撤销本批次后重新导入",
                    pl.col("employee_id"),
                    pl.col("name"),
                ),
                "employee_id",
                pl.col("employee_id"),
            )
        )
    return pl.concat(out)


def _compare_existing(cur: Cursor, frame: pl.DataFrame, apps: pl.DataFrame, items: pl.DataFrame):
    """Appraisals already in the database: identical → unchanged (not written again); different →
    every row of it rejected, nothing overwritten."""
    empty_errors = no_errors()
    if apps.height == 0:
        return apps, items, empty_errors, pl.Series("appraisal_id", [], dtype=pl.String)
    register_frame(cur, "_incoming", apps.select("appraisal_id"))
    try:
        existing = query_frame(
            cur,
            (
                "SELECT a.appraisal_id, a.final_score AS _old_score, a.grade AS _old_grade, a.batch_id AS _old_batch, "
                "b.file_name AS _old_file FROM appraisals a JOIN _incoming USING (appraisal_id) "
                "LEFT JOIN import_batches b ON b.batch_id = a.batch_id"
            ),
        )
    finally:
        unregister_frame(cur, "_incoming")
    if existing.height == 0:
        return apps, items, empty_errors, pl.Series("appraisal_id", [], dtype=pl.String)
    cmp = apps.join(existing, on="appraisal_id", how="inner").with_columns(
        _same=((pl.col("final_score") - pl.col("_old_score")).abs() <= 0.05).fill_null(
            pl.col("final_score").is_null() & pl.col("_old_score").is_null()
        )
        & pl.col("grade").eq_missing(pl.col("_old_grade"))
    )
    same = cmp.filter(pl.col("_same")).get_column("appraisal_id")
    differ = cmp.filter(~pl.col("_same"))
    keyed = frame.with_columns(appraisal_id=pl.lit("H-") + pl.col("period_key") + ":" + pl.col("employee_id"))
    conflicts = row_errors(
        keyed.join(
            differ.select("appraisal_id", "_old_batch", "_old_file", "_old_score"), on="appraisal_id", how="inner"
        ),
        pl.format(
            "该员工这一期的成绩已由批次 {}（文件「{}」）导入，分数 {}，与本文件不同；系统不会覆盖已有记录：如需更正，请先在导入历史中撤销那个批次",
            pl.col("_old_batch"),
            pl.col("_old_file"),
            pl.col("_old_score").round(1),
        ),
        "total",
        pl.coalesce("total_raw", "score_raw"),
    )
    drop = cmp.get_column("appraisal_id").implode()
    apps = apps.filter(~pl.col("appraisal_id").is_in(drop))
    items = items.filter(~pl.col("appraisal_id").is_in(drop))
    return apps, items, conflicts, same


def _rejects_frame(frame: pl.DataFrame, errors: pl.DataFrame, headers: dict[tuple[str, str], str]) -> pl.DataFrame:
    if errors.height == 0:
        return pl.DataFrame(schema=REJECT_SCHEMA)
    where = frame.select("_rid", "_sheet", "_row", *AS_WRITTEN.values())
    out = errors.unique(["_rid", "column", "reason"], maintain_order=True).join(where, on="_rid", how="left")
    # a failed check names the parsed value (150.0): show the cell as written (150, １５０) instead
    out = out.with_columns(
        value=pl.coalesce(
            *[pl.when(pl.col("column") == field).then(pl.col(raw)) for field, raw in AS_WRITTEN.items()],
            pl.col("value"),
        )
    ).drop(*AS_WRITTEN.values())
    out = _one_line_per_sheet(out, frame)
    headers = dict(headers)
    for (sheet, field), text in list(headers.items()):
        twin = {"score": "total", "total": "score"}.get(field)
        if twin:
            headers.setdefault((sheet, twin), text)
    head = pl.DataFrame(
        {"_sheet": [k[0] for k in headers], "column": [k[1] for k in headers], "_head": list(headers.values())},
        schema={"_sheet": pl.String, "column": pl.String, "_head": pl.String},
    )
    out = out.join(head, on=["_sheet", "column"], how="left").with_columns(
        pl.coalesce("_head", pl.col("column").replace_strict(FIELD_LABELS, default=pl.col("column"))).alias("column")
    )
    sheet_order = {s: i for i, s in enumerate(frame.get_column("_sheet").unique(maintain_order=True).to_list())}
    out = out.with_columns(_so=pl.col("_sheet").replace_strict(sheet_order, default=0, return_dtype=pl.Int32))
    return out.sort("_so", "_row", "_rid").select(
        pl.col("_sheet").alias("sheet"), pl.col("_row").alias("row"), "column", "value", "reason"
    )


def _one_line_per_sheet(out: pl.DataFrame, frame: pl.DataFrame) -> pl.DataFrame:
    """A sheet none of whose rows names a period (while the file names one elsewhere) is one reject line
    saying so, not one identical line per row."""
    missing = out.filter(pl.col("reason") == MISSING_PERIOD)
    if missing.height < 2:
        return out
    sizes = frame.group_by("_sheet").agg(_size=pl.len())
    whole = (
        missing.group_by("_sheet")
        .agg(_n=pl.col("_rid").n_unique(), _rid=pl.col("_rid").min(), column=pl.col("column").first())
        .join(sizes, on="_sheet")
        .filter((pl.col("_n") == pl.col("_size")) & (pl.col("_n") > 1))
    )
    if whole.height == 0:
        return out
    lines = whole.select(
        "_rid",
        "column",
        pl.lit(None, dtype=pl.String).alias("value"),
        pl.format(
            "工作表「{}」的 {} 行都没有考核期间（表内、标题和工作表名里都没有），都未导入：请在这张表加一列「考核期间」，"
            "或把它单独存成一个文件，上传时填写「考核期间」（命令行 --period 2024-03）",
            pl.col("_sheet"),
            pl.col("_n"),
        ).alias("reason"),
        "_sheet",
        pl.lit(None, dtype=out.schema["_row"]).alias("_row"),
    )
    drop = (pl.col("reason") == MISSING_PERIOD) & pl.col("_sheet").is_in(whole.get_column("_sheet").implode())
    return pl.concat([out.filter(~drop), lines.select(out.columns).cast(out.schema)])


AS_WRITTEN = {"weight_v": "weight_raw", "score_v": "score_raw", "total_v": "total_raw", "grade_v": "grade_raw"}

FIELD_LABELS = {
    "employee_id": "工号", "name": "姓名", "department": "部门", "position": "岗位", "period": "考核期间",
    "kpi": "指标", "weight": "权重", "target": "目标", "actual": "实际", "score": "得分", "total": "总分",
    "grade": "等级", "comment": "评语", "manager": "考核人", "period_key": "考核期间", "weight_v": "权重",
    "score_v": "得分", "total_v": "总分", "grade_v": "等级", "self_score": "自评得分", "self_v": "自评得分",
    "self_total": "自评总分", "category": "类别",
}  # fmt: skip


def _ids(*columns: pl.Series | None) -> pl.Series:
    """The distinct non-null ids of several columns, ready for ``is_in``."""
    present = [c for c in columns if c is not None]
    return pl.concat(present).drop_nulls().unique().implode() if present else pl.Series([], dtype=pl.String).implode()


def _write(batch: BatchWriter, apps: pl.DataFrame, items: pl.DataFrame, new: dict[str, pl.DataFrame]) -> list[str]:
    """Insert what was accepted: new org rows it needs, cycles, appraisals, items. Returns the notes on
    the departments and people it created, from what was inserted (never from what was meant to be)."""
    batch_id = batch.batch_id
    used_emps = apps.get_column("employee_id").unique().implode()
    employees = new["employees"]
    if employees.height:
        employees = employees.filter(pl.col("employee_id").is_in(used_emps))
    used_pos = _ids(apps.get_column("position_id"), employees.get_column("position_id") if employees.height else None)
    positions = new["positions"].filter(pl.col("position_id").is_in(used_pos))
    used_depts = _ids(
        apps.get_column("dept_id"),
        positions.get_column("dept_id"),
        employees.get_column("dept_id") if employees.height else None,
    )
    departments = new["departments"].filter(pl.col("dept_id").is_in(used_depts))
    kpis = new["kpis"].filter(pl.col("kpi_id").is_in(items.get_column("kpi_id").unique().implode()))

    notes = []
    if batch.insert("departments", departments.with_columns(batch_id=pl.lit(batch_id))):
        notes.append("新建了花名册中没有的部门：" + "、".join(departments.get_column("name").to_list()[:20]))
    batch.insert("positions", positions.with_columns(batch_id=pl.lit(batch_id)))
    if employees.height:
        employees = employees.drop("_rid")
        made = batch.insert("employees", employees.with_columns(status=pl.lit("historical"), batch_id=pl.lit(batch_id)))
        notes.append(f"{made} 人不在花名册中，已作为“历史人员”建档（只出现在历史考核中）。")
    batch.insert("kpis", kpis.with_columns(status=pl.lit("legacy")))

    keys = apps.get_column("period_key").unique().to_list()
    known = {r[0] for r in batch.cur.execute("SELECT cycle_id FROM cycles").fetchall()}
    cycles = []
    for key in sorted(keys):
        cid = f"H-{key}"
        if cid in known:
            continue
        p = period_from_key(key)
        cycles.append(
            {"cycle_id": cid, "name": f"{p.label}（历史导入）", "kind": p.kind, "period": p.key,
             "period_start": p.start, "period_end": p.end, "status": "closed", "origin": "legacy"}
        )  # fmt: skip
    if cycles:
        batch.insert("cycles", pl.DataFrame(cycles))
    batch.insert(
        "appraisals",
        apps.select(
            "appraisal_id",
            "cycle_id",
            "employee_id",
            "manager_id",
            "dept_id",
            "position_id",
            pl.lit("closed").alias("stage"),
            "self_score",
            pl.col("final_score").alias("manager_score"),
            "final_score",
            "grade",
            "grade_computed",
            "source_score",
            "source_scale",
            pl.lit(batch_id).alias("batch_id"),
        ),
    )
    batch.insert("appraisal_items", items.drop("_rid").with_columns(batch_id=pl.lit(batch_id)))
    return notes
