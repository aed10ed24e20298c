"""Running uploads through the pipelines with a progress bar per file, showing LoadReports, and what
undoing an import batch removes (pipelines.undo)."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import polars as pl
import streamlit as st

from core.db import Database
from pipelines import LoadReport, import_file
from pipelines.options import ImportOptions
from pipelines.report import REJECT_COLUMNS
from pipelines.undo import UndoPlan
from ui.i18n import t
from ui.widgets import data_table, download_excel, plain

# How each status is announced: loaded → green, partial → amber, rejected/refused/failed → red, unchanged → blue.
_STATUS_BOX = {
    "loaded": st.success,
    "partial": st.warning,
    "rejected": st.error,
    "refused": st.error,
    "failed": st.error,
}
_STATUS_ICON = {
    "loaded": ":material/check_circle:",
    "partial": ":material/warning:",
    "rejected": ":material/block:",
    "refused": ":material/block:",
    "failed": ":material/error:",
    "unchanged": ":material/info:",
}


class UploadedFile(Protocol):
    """What the import needs of an ``st.file_uploader`` file."""

    name: str

    def getvalue(self) -> bytes: ...


def import_uploads(
    db: Database, files: Sequence[UploadedFile], source: str, uploaded_by: str, options: ImportOptions | None = None
) -> list[LoadReport]:
    """Import each uploaded file in turn, each with its own progress bar, with what HR gave for the files
    (``options``: period, year, department, unknown people); returns their reports.

    The bytes are written to a temporary file under the original name (the pipeline sniffs content,
    and reports and history carry the original file name).
    """
    bars = [st.progress(0.0, text=t("import.queued", name=plain(f.name))) for f in files]
    reports = []
    with tempfile.TemporaryDirectory(prefix="jixiao-upload-") as tmp:
        for i, (upload, bar) in enumerate(zip(files, bars, strict=True)):
            folder = Path(tmp) / str(i)  # one folder per file: two uploads may share a name
            folder.mkdir()
            path = folder / (Path(upload.name).name or "upload")
            path.write_bytes(upload.getvalue())

            def progress(fraction: float, step: str, bar=bar, name=upload.name) -> None:
                bar.progress(min(max(fraction, 0.0), 1.0), text=t("import.step", name=plain(name), step=plain(step)))

            report = import_file(
                db, path, source=source, uploaded_by=uploaded_by, file_name=upload.name, progress=progress,
                options=options,
            )  # fmt: skip
            bar.progress(1.0, text=t("import.finished", name=plain(upload.name), status=t(f"status.{report.status}")))
            reports.append(report)
    return reports


def rejects_frame(report: LoadReport) -> pl.DataFrame:
    """The report's rejected rows with snake_case columns (sheet, row, column, value, reason)."""
    return report.rejects_frame().rename({title: name for name, title in REJECT_COLUMNS.items()})


def warnings_frame(report: LoadReport) -> pl.DataFrame:
    """The report's rows taken on a guess, with the columns of :func:`rejects_frame`."""
    return report.warnings_frame().rename({title: name for name, title in REJECT_COLUMNS.items()})


def show_load_report(report: LoadReport, key: str) -> None:
    """One file's LoadReport: status and message, rows read / loaded / already there / rejected, notes,
    the rejected rows and, apart from them, the rows taken on a guess (each table downloadable), and the
    whole report as an Excel download."""
    with st.container(border=True):
        st.subheader(plain(report.file_name), anchor=False)
        box = _STATUS_BOX.get(report.status, st.info)
        headline = t(f"status.{report.status}")
        box(
            f"**{headline}**" + (f" — {plain(report.message)}" if report.message else ""),
            icon=_STATUS_ICON.get(report.status),
        )
        counts = {
            "import.rows_read": report.rows_read,
            "import.rows_loaded": report.rows_loaded,
            "import.rows_unchanged": report.rows_unchanged,
            "import.rows_rejected": report.rows_rejected,
        }
        if not report.rows_unchanged:
            del counts["import.rows_unchanged"]
        for column, (label, value) in zip(st.columns(len(counts)), counts.items(), strict=True):
            column.metric(t(label), value)
        for note in report.notes:
            st.caption(plain(note))
        stem = Path(report.file_name).stem
        rows_table(rejects_frame(report), t("import.rejects_heading", n=report.rows_rejected),
                   key=f"{key}.rejects", file_stem=t("import.rejects_download", stem=stem))  # fmt: skip
        rows_table(warnings_frame(report), t("import.warnings_heading", n=len(report.warnings)),
                   key=f"{key}.warnings", file_stem=t("import.warnings_download", stem=stem))  # fmt: skip
        download_excel(
            t("import.download_report"),
            report.to_excel_bytes,
            file_name=t("import.report_file", stem=stem),
            key=f"{key}.download",
            rows=len(report.rejects) + len(report.warnings),
        )


def undo_rows(plan: UndoPlan) -> pl.DataFrame:
    """What an undo removes and restores, one row per table: what (translated), removed, restored."""
    tables = list(dict.fromkeys([*plan.removed, *plan.restored]))
    return pl.DataFrame(
        {
            "what": [t(f"undo_table.{name}") for name in tables],
            "removed": [plan.removed.get(name, 0) for name in tables],
            "restored": [plan.restored.get(name, 0) for name in tables],
        },
        schema={"what": pl.String, "removed": pl.Int64, "restored": pl.Int64},
    )


def undo_summary(plan: UndoPlan) -> str:
    """What an undo removes and restores, in the chosen language ("删除：考核 48；恢复为导入前：员工 2")."""
    parts = []
    for key, counts in (("import.undo_removes", plan.removed), ("import.undo_restores", plan.restored)):
        if counts:
            parts.append(
                t(key, items=t("import.undo_sep").join(f"{t(f'undo_table.{name}')} {n}" for name, n in counts.items()))
            )
    return t("import.undo_and").join(parts) or t("import.undo_nothing")


def show_undo_plan(plan: UndoPlan, key: str) -> None:
    """The rows an undo would remove and restore, and, when it may not happen, why (in red)."""
    if plan.removed or plan.restored:
        data_table(undo_rows(plan), key=key, file_stem=None, scope="undo")
    else:
        st.caption(t("import.undo_nothing"))
    if not plan.possible:
        st.error(plain(plan.reason), icon=":material/block:")


def rows_table(frame: pl.DataFrame, heading: str, *, key: str, file_stem: str) -> None:
    """Rejected rows or rows to check under their heading, downloadable; nothing when there are none."""
    if frame.is_empty():
        return
    st.markdown(heading)
    data_table(frame, key=key, file_stem=file_stem, scope="reject")
