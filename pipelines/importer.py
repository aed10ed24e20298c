"""One file in, one LoadReport out: sniff, read, recognise the kind, run its pipeline, and load
everything it accepted in one transaction (all accepted rows or none)."""

from __future__ import annotations

import datetime as dt
import logging
import os
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path

import polars as pl

from core import audit
from core.db import Database, insert_frame, query_frame, register_frame, unregister_frame
from pipelines import kpi_library, legacy, roster
from pipelines.context import OrgContext
from pipelines.layout import find_form, find_table
from pipelines.normalise import period_from_key
from pipelines.report import LoadReport
from pipelines.sniff import FileRefused, inspect_file
from pipelines.workbook import Grid, read_grids, sheets_to_read

log = logging.getLogger(__name__)
Progress = Callable[[float, str], None]
SOURCES = ("auto", "legacy", "roster", "kpi_library")
SOURCE_LABELS = {"legacy": "历史考核表", "roster": "花名册", "kpi_library": "指标库与岗位模板"}


def _noop(_: float, __: str) -> None:
    return None


def import_files(db: Database, paths: Iterable[str | os.PathLike[str]], **kwargs) -> list[LoadReport]:
    """Import several files one after another (each its own transaction)."""
    return [import_file(db, p, **kwargs) for p in paths]


def import_file(
    db: Database,
    path: str | os.PathLike[str],
    *,
    source: str = "auto",
    uploaded_by: str = "system",
    file_name: str | None = None,
    progress: Progress | None = None,
) -> LoadReport:
    """Import one file. ``source`` is 'auto', 'legacy' or 'roster'. Never raises for bad input:
    a refused or failed file comes back as a report with that status and a Chinese message."""
    path = Path(path)
    step = progress or _noop
    report = LoadReport(file_name or path.name, source=source)
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}")
    try:
        step(0.02, "检查文件")
        info = inspect_file(path)
        report.sha256 = info.sha256
        prior = db.one(
            "SELECT batch_id, file_name, imported_at FROM import_batches WHERE sha256 = ? "
            "AND status IN ('loaded', 'partial', 'rejected') ORDER BY imported_at LIMIT 1",
            [info.sha256],
        )
        if prior is not None:
            report.status = "unchanged"
            report.batch_id = prior["batch_id"]
            report.message = (
                f"这个文件（内容完全相同）已于 {prior['imported_at']:%Y-%m-%d %H:%M} 导入过（批次 {prior['batch_id']}，"
                f"文件名「{prior['file_name']}」），本次没有做任何更改。"
            )
            step(1.0, "完成")
            return report
        step(0.1, "读取工作表")
        grids = read_grids(path, info)
        if source == "auto" and kpi_library.is_library_workbook(grids):
            kind = "kpi_library"
        else:
            kind = detect_kind(grids) if source == "auto" else source
        if kind is None:
            raise FileRefused(no_header_message(grids))
        report.source = kind
        step(0.3, f"识别为{SOURCE_LABELS[kind]}，正在整理和校验")
        if kind == "legacy":
            _run_legacy(db, grids, report, uploaded_by, step)
        elif kind == "kpi_library":
            kpi_library.run(db, grids, report, uploaded_by, step, new_batch_id(info.sha256))
        else:
            roster.run(db, grids, report, uploaded_by, step, new_batch_id(info.sha256))
        step(1.0, "完成")
    except FileRefused as refused:
        report.sha256 = report.sha256 or refused.sha256
        report.status = "refused"
        report.message = refused.reason
        _record_refusal(db, report, uploaded_by)
        step(1.0, "文件被拒收")
    except legacy.TooManyErrors as too_many:
        report.status = "refused"
        report.message = str(too_many)
        report.rejects.clear()
        _record_refusal(db, report, uploaded_by)
        step(1.0, "文件被拒收")
    except Exception as err:  # anything unexpected: nothing was written (the transaction rolled back)
        log.exception("import of %s failed", report.file_name)
        report.status = "failed"
        report.rows_loaded = 0
        report.message = f"导入时发生意外错误，没有写入任何数据：{type(err).__name__}: {str(err)[:200]}。请把文件和这条信息发给系统管理员。"
    return report


def new_batch_id(sha256: str) -> str:
    """A batch id that sorts by time: B20261127-101500-ab12cd34-xxxx."""
    return f"B{dt.datetime.now():%Y%m%d-%H%M%S}-{sha256[:8]}-{uuid.uuid4().hex[:4]}"


def detect_kind(grids: list[Grid]) -> str | None:
    """'legacy' or 'roster' by the headers found in the visible sheets; None when neither."""
    votes = {"legacy": 0, "roster": 0}
    for g in sheets_to_read(grids):
        if find_form(g) is not None:
            votes["legacy"] += 1
            continue
        table = find_table(g)
        if table is not None and table.kind:
            votes[table.kind] += 1
    if not any(votes.values()):
        return None
    return "legacy" if votes["legacy"] >= votes["roster"] else "roster"


def no_header_message(grids: list[Grid]) -> str:
    """Why a file without any recognisable header is refused, naming the sheets looked at."""
    names = [g.name for g in grids]
    shown = "、".join(f"「{n}」" for n in names[:8]) + ("等" if len(names) > 8 else "")
    looked = f"（检查了 {len(names)} 个工作表：{shown}）" if names else ""
    return (
        f"没有在文件里找到可识别的表头{looked}。历史考核表需要「工号」或「姓名」列，以及「得分」「总分」或「等级」列；"
        "花名册需要「工号」「姓名」「部门」列；指标库需要「指标名称」「类别」「计分方法」列。请检查表头后再上传。"
    )


def _record_refusal(db: Database, report: LoadReport, uploaded_by: str) -> None:
    """A refused file leaves one line in the import history (no data)."""
    report.batch_id = new_batch_id(report.sha256 or "0" * 8)
    try:
        with db.transaction() as cur:
            write_batch(cur, report, uploaded_by)
    except Exception:
        log.exception("could not record the refusal of %s", report.file_name)


def finish_report(
    report: LoadReport, rows_read: int, rejects: pl.DataFrame, rejected: int, unchanged_rows: int
) -> None:
    """Fill counts, rejects and the status from the outcome. Counts are of records: one per row,
    except in a period-wide sheet, where a row holds one record per period."""
    for sheet, row, column, value, reason in rejects.select("sheet", "row", "column", "value", "reason").iter_rows():
        report.reject(sheet, row, column, value, reason)
    report.rows_read = rows_read
    report.rows_unchanged = unchanged_rows
    report.rows_rejected = rejected
    report.rows_loaded = max(rows_read - report.rows_rejected - unchanged_rows, 0)
    if report.rows_rejected and report.rows_loaded == 0:
        report.status = "rejected"
    elif report.rows_rejected:
        report.status = "partial"
    elif report.rows_loaded == 0 and unchanged_rows:
        report.status = "unchanged"
    else:
        report.status = "loaded"
    parts = [f"读取 {rows_read} 行，导入 {report.rows_loaded} 行"]
    if unchanged_rows:
        parts.append(f"{unchanged_rows} 行与已有记录相同，未重复写入")
    if report.rows_rejected:
        parts.append(f"拒绝 {report.rows_rejected} 行（原因见下表）")
    report.message = "，".join(parts) + "。"


def write_batch(cur, report: LoadReport, uploaded_by: str) -> None:
    """The batch row, its audit row and its rejects, inside the load's transaction (or, for a refused
    file, a transaction of their own)."""
    cur.execute(
        "INSERT INTO import_batches (batch_id, source, file_name, sha256, uploaded_by, imported_at, rows_read, rows_loaded, "
        "rows_rejected, status, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            report.batch_id,
            report.source,
            report.file_name,
            report.sha256,
            uploaded_by,
            dt.datetime.now(),
            report.rows_read,
            report.rows_loaded,
            report.rows_rejected,
            report.status,
            report.message,
        ],
    )
    audit.record(
        cur,
        uploaded_by,
        "import",
        "import_batch",
        report.batch_id,
        {"file": report.file_name, "source": report.source, "status": report.status, "sha256": report.sha256,
         "rows_read": report.rows_read, "rows_loaded": report.rows_loaded, "rows_rejected": report.rows_rejected,
         "message": report.message},
    )  # fmt: skip
    if report.rejects:
        frame = pl.DataFrame(
            {
                "batch_id": [report.batch_id] * len(report.rejects),
                "seq": list(range(1, len(report.rejects) + 1)),
                "sheet": [r.sheet for r in report.rejects],
                "row": [r.row for r in report.rejects],
                "column": [r.column for r in report.rejects],
                "value": [r.value for r in report.rejects],
                "reason": [r.reason for r in report.rejects],
            },
            schema={"batch_id": pl.String, "seq": pl.Int32, "sheet": pl.String, "row": pl.Int32,
                    "column": pl.String, "value": pl.String, "reason": pl.String},
        )  # fmt: skip
        insert_frame(cur, "import_rejects", frame)


def _run_legacy(db: Database, grids: list[Grid], report: LoadReport, uploaded_by: str, step: Progress) -> None:
    plans = legacy.plan_sheets(grids)
    if not any(p.layout in ("table", "form") for p in plans):
        raise FileRefused(no_header_message(grids))
    frame, errors, notes, headers = legacy.read_records(plans, report.file_name)
    report.notes.extend(notes)
    if frame.height == 0:
        raise FileRefused("文件里找到了表头，但表头下面没有数据行：请检查是否选错了文件或工作表。")
    bad_rows = errors.get_column("_rid").n_unique()
    if bad_rows > legacy.GIVE_UP_ROWS and bad_rows > legacy.GIVE_UP_SHARE * frame.height:
        raise legacy.TooManyErrors(
            f"文件中 {bad_rows} / {frame.height} 行的数值无法识别，看起来不是考核表，或列的对应关系有误：请检查文件后再上传。"
        )
    errors = pl.concat([errors, legacy.validate(frame)])
    step(0.5, "核对员工、部门和指标")
    batch_id = new_batch_id(report.sha256)
    report.batch_id = batch_id
    with db.transaction() as cur:
        ctx = OrgContext.load(db)
        frame, resolve_errors, new, resolve_notes = legacy.resolve(frame, ctx)
        report.notes.extend(resolve_notes)
        errors = pl.concat([errors, resolve_errors])
        errors = pl.concat([errors, legacy.check_appraisals(frame, errors)])
        errors = legacy.propagate(frame, errors)
        apps, items, over = legacy.build_appraisals(frame, errors)
        errors = pl.concat([errors, over])
        report.notes.extend(legacy.summary_mismatches(plans, frame, apps))
        off = apps.filter(pl.col("weights_off")).height
        if off:
            report.notes.append(f"{off} 份考核的各项权重合计不是 100%，已按表中写的总分导入：请核对这些考核的权重。")
        apps, items, conflicts, unchanged_keys = _compare_existing(cur, frame, apps, items)
        errors = pl.concat([errors, conflicts])
        rejects = _rejects_frame(frame, errors, headers)
        unchanged_rows = (
            frame.with_columns(_aid=pl.lit("H-") + pl.col("period_key") + ":" + pl.col("employee_id"))
            .filter(pl.col("_aid").is_in(unchanged_keys.implode()))
            .height
        )
        finish_report(report, frame.height, rejects, errors.get_column("_rid").n_unique(), unchanged_rows)
        del frame, errors, rejects  # the records are summed up: free them before DuckDB takes the rows
        step(0.8, "写入数据库")
        _load_legacy(cur, batch_id, apps, items, new)
        write_batch(cur, report, uploaded_by)


def _compare_existing(cur, frame: pl.DataFrame, apps: pl.DataFrame, items: pl.DataFrame):
    """Appraisals already in the database: identical → unchanged (not written again); different →
    every row of it rejected, nothing overwritten."""
    empty_errors = pl.DataFrame(schema=legacy.ERR_SCHEMA)
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
        & (pl.col("grade") == pl.col("_old_grade")).fill_null(False)
    )
    same = cmp.filter(pl.col("_same")).get_column("appraisal_id")
    differ = cmp.filter(~pl.col("_same"))
    keyed = frame.with_columns(appraisal_id=pl.lit("H-") + pl.col("period_key") + ":" + pl.col("employee_id"))
    conflicts = legacy._errors(
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
        return pl.DataFrame(
            schema={"sheet": pl.String, "row": pl.Int64, "column": pl.String, "value": pl.String, "reason": pl.String}
        )
    where = frame.select("_rid", "_sheet", "_row")
    out = errors.unique(["_rid", "column", "reason"], maintain_order=True).join(where, on="_rid", how="left")
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


FIELD_LABELS = {
    "employee_id": "工号", "name": "姓名", "department": "部门", "position": "岗位", "period": "考核期间",
    "kpi": "指标", "weight": "权重", "target": "目标", "actual": "实际", "score": "得分", "total": "总分",
    "grade": "等级", "comment": "评语", "manager": "考核人", "period_key": "考核期间", "weight_v": "权重",
    "score_v": "得分", "total_v": "总分", "grade_v": "等级",
}  # fmt: skip


def _ids(*columns: pl.Series | None) -> pl.Series:
    """The distinct non-null ids of several columns, ready for ``is_in``."""
    present = [c for c in columns if c is not None]
    return pl.concat(present).drop_nulls().unique().implode() if present else pl.Series([], dtype=pl.String).implode()


def _load_legacy(cur, batch_id: str, apps: pl.DataFrame, items: pl.DataFrame, new: dict[str, pl.DataFrame]) -> None:
    """Insert what was accepted: new org rows it needs, cycles, appraisals, items."""
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

    insert_frame(cur, "departments", departments.with_columns(batch_id=pl.lit(batch_id)))
    insert_frame(cur, "positions", positions.with_columns(batch_id=pl.lit(batch_id)))
    if employees.height:
        insert_frame(cur, "employees", employees.with_columns(status=pl.lit("historical"), batch_id=pl.lit(batch_id)))
    insert_frame(cur, "kpis", kpis.with_columns(status=pl.lit("legacy")))

    keys = apps.get_column("period_key").unique().to_list()
    known = {r[0] for r in cur.execute("SELECT cycle_id FROM cycles").fetchall()}
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
        insert_frame(cur, "cycles", pl.DataFrame(cycles))
    insert_frame(
        cur,
        "appraisals",
        apps.select(
            "appraisal_id",
            "cycle_id",
            "employee_id",
            "manager_id",
            "dept_id",
            "position_id",
            pl.lit("closed").alias("stage"),
            pl.col("final_score").alias("manager_score"),
            "final_score",
            "grade",
            "source_score",
            "source_scale",
            pl.lit(batch_id).alias("batch_id"),
        ),
    )
    insert_frame(cur, "appraisal_items", items.drop("_rid").with_columns(batch_id=pl.lit(batch_id)))
