"""One file in, one LoadReport out: sniff, read, recognise the kind (pipelines/sources.py), run its
parse step, then its load step and the batch's own rows in one transaction (all accepted rows or none).

This module is the one place that writes import batches: the batch row, its rejects and warnings, its audit row,
the LoadReport's counts and status, a refused file's line in the history, and the mark of an undone
batch. It knows no source: everything particular to a kind of file is in that source's module.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import polars as pl

from core import audit
from core.db import Cursor, Database, insert_frame
from core.grade_words import lookup_pairs
from core.settings import grade_scale
from pipelines.kinds import recognise_other
from pipelines.mapping import mapping_for_file
from pipelines.options import DEFAULT, ImportOptions, option_problems
from pipelines.report import LoadReport, Reject
from pipelines.sniff import FileRefused, inspect_file
from pipelines.source import Loaded, NoHeaderFound, Progress, Source
from pipelines.sources import CHOICES, no_header_message, recognise, source_named
from pipelines.workbook import Grid, read_grids

log = logging.getLogger(__name__)
# a file with the same content in one of these batches is not imported again
IMPORTED = ("loaded", "partial", "rejected")


def _noop(_: float, __: str) -> None:
    return None


@dataclass
class Batch:
    """The batch a load step writes (pipelines.source.BatchWriter): every frame it inserts goes through
    :meth:`insert`, which refuses a table its source does not list in the registry."""

    batch_id: str
    uploaded_by: str
    cur: Cursor
    db: Database
    source: Source
    options: ImportOptions = DEFAULT

    def insert(self, table: str, frame: pl.DataFrame) -> int:
        """Append ``frame`` to ``table`` inside the transaction."""
        if table not in self.source.tables:
            raise ValueError(f"source {self.source.name!r} does not load table {table!r}")
        return insert_frame(self.cur, table, frame)


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
    options: ImportOptions | None = None,
) -> LoadReport:
    """Import one file. ``source`` is 'auto' or a registered source's name. Never raises for bad input:
    a refused or failed file comes back as a report with that status and a Chinese message. ``options``
    are what HR told the importer for the whole file (pipelines/options.py)."""
    path = Path(path)
    options = options or DEFAULT
    step = progress or _noop
    report = LoadReport(file_name or path.name, source=source)
    if source not in CHOICES:
        raise ValueError(f"unknown source {source!r}")
    try:
        if problems := option_problems(options):
            raise FileRefused("".join(problems) + "文件没有导入，没有写入任何数据。")
        step(0.02, "检查文件")
        info = inspect_file(path)
        report.sha256 = info.sha256
        if _already_imported(db, report):
            step(1.0, "完成")
            return report
        step(0.1, "读取工作表")
        grids = read_grids(path, info)
        options, source = mapping_for_file(db, grids, options, source, report.notes)
        if source == "auto" and (other := recognise_other(grids, report.file_name)) is not None:
            report.notes.append(f"识别依据：{'；'.join(other.evidence)}")
            raise FileRefused(other.message)
        kind = recognise(grids) if source == "auto" else source_named(source)
        if kind is None:
            raise FileRefused(no_header_message(grids))
        report.source = kind.name
        step(0.3, f"识别为{kind.label}，正在整理和校验")
        run_source(db, kind, grids, report, uploaded_by, step, new_batch_id(info.sha256), with_hr_grades(db, options))
        step(1.0, "完成")
    except FileRefused as refused:
        report.sha256 = report.sha256 or refused.sha256
        report.status = "refused"
        report.message = _nothing_written(refused.reason)
        report.rejects.clear()
        report.warnings.clear()
        _record_refusal(db, report, uploaded_by)
        step(1.0, "文件被拒收")
    except Exception as err:  # anything unexpected: nothing was written (the transaction rolled back)
        log.exception("import of %s failed", report.file_name)
        report.status = "failed"
        report.rows_loaded = 0
        report.message = f"导入时发生意外错误，没有写入任何数据：{type(err).__name__}: {str(err)[:200]}。请把文件和这条信息发给系统管理员。"
    return report


def run_source(
    db: Database,
    source: Source,
    grids: list[Grid],
    report: LoadReport,
    uploaded_by: str,
    step: Progress,
    batch_id: str,
    options: ImportOptions = DEFAULT,
) -> None:
    """Parse the sheets as ``source``, then load them and write the batch in one transaction."""
    try:
        parsed = source.parse(grids, report.file_name, report.notes, options)
    except NoHeaderFound as none:
        raise FileRefused(no_header_message(grids)) from none
    step(0.5, source.checking)
    report.batch_id = batch_id
    with db.transaction() as cur:
        loaded = source.load(Batch(batch_id, uploaded_by, cur, db, source, options), parsed, step)
        report.notes.extend(loaded.notes)
        finish_report(report, loaded)
        write_batch(cur, report, uploaded_by, loaded.audits)


def with_hr_grades(db: Database, options: ImportOptions) -> ImportOptions:
    """``options`` with HR's grade words and the company's grade names, read once per file from the
    database (where not given), so parse stays free of it."""
    if options.grade_words is None:
        options = replace(options, grade_words=lookup_pairs(db))
    if options.grades is None:  # a stated grade may use the company's own grade names
        options = replace(options, grades=tuple(g for g, _ in grade_scale(db)))
    return options


def _nothing_written(reason: str) -> str:
    """A refusal's sentence, saying that nothing was written when it does not already."""
    if any(w in reason for w in ("没有写入", "未写入", "没有导入", "未导入")):
        return reason
    return reason.rstrip() + ("" if reason.rstrip().endswith("。") else "。") + "没有写入任何数据。"


def new_batch_id(sha256: str) -> str:
    """A batch id that sorts by time: B20261127-101500-ab12cd34-xxxx."""
    return f"B{dt.datetime.now():%Y%m%d-%H%M%S}-{sha256[:8]}-{uuid.uuid4().hex[:4]}"


def _already_imported(db: Database, report: LoadReport) -> bool:
    """A file with the same content already imported (and not undone): the report says so, unchanged."""
    prior = db.one(
        "SELECT batch_id, file_name, imported_at FROM import_batches WHERE sha256 = ? "
        "AND list_contains(?::VARCHAR[], status) ORDER BY imported_at LIMIT 1",
        [report.sha256, list(IMPORTED)],
    )
    if prior is None:
        return False
    report.status = "unchanged"
    report.batch_id = prior["batch_id"]
    report.message = (
        f"这个文件（内容完全相同）已于 {prior['imported_at']:%Y-%m-%d %H:%M} 导入过（批次 {prior['batch_id']}，"
        f"文件名「{prior['file_name']}」），本次没有做任何更改。"
    )
    return True


def _record_refusal(db: Database, report: LoadReport, uploaded_by: str) -> None:
    """A refused file leaves one line in the import history (no data)."""
    report.batch_id = new_batch_id(report.sha256 or "0" * 8)
    try:
        with db.transaction() as cur:
            write_batch(cur, report, uploaded_by)
    except Exception:
        log.exception("could not record the refusal of %s", report.file_name)


def finish_report(report: LoadReport, loaded: Loaded) -> None:
    """Fill counts, rejects and the status from the outcome. Counts are of records: one per row,
    except in a period-wide sheet, where a row holds one record per period."""
    for rows, add in ((loaded.rejects, report.reject), (loaded.warnings, report.warn)):
        if rows is not None:
            for sheet, row, column, value, reason in rows.select(
                "sheet", "row", "column", "value", "reason"
            ).iter_rows():
                add(sheet, row, column, value, reason)
    rows_read, unchanged_rows = loaded.rows_read, loaded.unchanged
    report.rows_read = rows_read
    report.rows_unchanged = unchanged_rows
    report.rows_rejected = loaded.rejected
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
    if report.warnings:
        parts.append(f"{len(report.warnings)} 处按推断导入，请核对（见「请核对的行」）")
    report.message = "，".join(parts) + "。"
    if report.status == "rejected":
        report.message += "所有数据行都被拒绝，没有写入任何数据。"


def write_batch(
    cur: Cursor, report: LoadReport, uploaded_by: str, audits: list[tuple[str, dict[str, Any]]] | None = None
) -> None:
    """The batch row, its audit row (and the source's own audit rows), and its rejects, inside the
    load's transaction (or, for a refused file, a transaction of their own)."""
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
    for entity, detail in audits or ():
        audit.record(cur, uploaded_by, "import", entity, report.batch_id, detail)
    for table, rows in (("import_rejects", report.rejects), ("import_warnings", report.warnings)):
        if rows:
            insert_frame(cur, table, _rows_frame(report.batch_id, rows))


def _rows_frame(batch_id: str | None, rows: list[Reject]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "batch_id": [batch_id] * len(rows),
            "seq": list(range(1, len(rows) + 1)),
            "sheet": [r.sheet for r in rows],
            "row": [r.row for r in rows],
            "column": [r.column for r in rows],
            "value": [r.value for r in rows],
            "reason": [r.reason for r in rows],
        },
        schema={"batch_id": pl.String, "seq": pl.Int32, "sheet": pl.String, "row": pl.Int32,
                "column": pl.String, "value": pl.String, "reason": pl.String},
    )  # fmt: skip


def mark_undone(cur: Cursor, batch_id: str, actor: str, detail: dict[str, Any]) -> None:
    """An undone batch stays in the history, marked undone with when and by whom, and audited
    (``import_undo``, with what was removed and put back) — inside the undo's transaction."""
    cur.execute(
        "UPDATE import_batches SET status = 'undone', undone_at = ?, undone_by = ? WHERE batch_id = ?",
        [dt.datetime.now(), actor, batch_id],
    )
    audit.record(cur, actor, "import_undo", "import_batch", batch_id, detail)
