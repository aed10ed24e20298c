"""数据导入 (HR): upload spreadsheets (with what a file leaves out: period, year, department, unknown
people), map a file's columns when detection is unsure or HR asks, watch each file's progress, read the
new batch's LoadReport first, browse the history, and undo a batch (see what it would remove, confirm, undo)."""

import polars as pl
import streamlit as st

from core import imports
from pipelines.sniff import MAX_FILE_MB
from pipelines.sources import CHOICES  # auto, legacy, roster, kpi_library
from pipelines.undo import UNDOABLE, UndoRefused, preview_undo, undo_batch
from ui import session
from ui.i18n import option_labels, t
from ui.import_wizard import PENDING_KEY, Pending, pending_for, show_wizard, start_wizard, upload_options
from ui.navigation import require_app_navigation
from ui.reports import import_uploads, rows_table, show_load_report, show_undo_plan, undo_summary
from ui.widgets import (
    ask_first,
    confirm_first,
    data_table,
    empty_state,
    flash,
    plain,
    show_flash,
    translate_values,
    upload_files,
)

REPORTS_KEY = "data_import.reports"
NEWEST_KEY = "data_import.newest"  # picker key -> the batch just imported, for the history's pickers

require_app_navigation()
user, db = session.require_screen("data_import")
st.title(t("import.title"), anchor=False)
st.caption(t("import.intro"))
show_flash()

with st.form("data_import.form", clear_on_submit=True, border=True):
    files = upload_files(
        t("import.files"), types=("xlsx", "xlsm", "xls", "csv"), key="data_import.files", max_mb=MAX_FILE_MB
    )
    sources = option_labels("source", CHOICES)
    source = st.selectbox(t("import.source"), list(sources), format_func=sources.get, key="data_import.source")
    options, manual = upload_options()
    submitted = st.form_submit_button(
        t("import.start"), type="primary", icon=":material/upload:", key="data_import.start"
    )


def show_new(reports: list) -> None:
    """The new batches' reports come first; the history's pickers start on the newest of them."""
    st.session_state[REPORTS_KEY] = reports
    newest = next((r.batch_id for r in reversed(reports) if r.batch_id), None)
    st.session_state[NEWEST_KEY] = {"data_import.batch": newest, "data_import.undo_batch": newest}


def start_on_newest(key: str, options: list[str]) -> None:
    """A history picker starts on the batch just imported (once), when it lists it."""
    newest = st.session_state.get(NEWEST_KEY, {}).pop(key, None)
    if newest in options:
        st.session_state[key] = newest


if submitted and options is not None:
    st.session_state.pop(PENDING_KEY, None)  # a new upload ends the mapping step of an earlier one
    if not files:
        st.warning(t("import.no_files"), icon=":material/warning:")
    elif manual:
        st.session_state.pop(REPORTS_KEY, None)
        start_wizard(Pending(files[0].name, files[0].getvalue(), options, False))
        if len(files) > 1:
            st.warning(t("import.manual_one_file", name=plain(files[0].name)), icon=":material/warning:")
    else:
        done = import_uploads(db, files, source, user.username, options)
        show_new(done)
        waiting = pending_for(files, done, options) if source in ("auto", "legacy", "roster") else None
        if waiting is not None:
            start_wizard(waiting)

for i, report in enumerate(st.session_state.get(REPORTS_KEY, [])):
    show_load_report(report, key=f"data_import.report.{i}")

if (pending := st.session_state.get(PENDING_KEY)) is not None:
    mapped = show_wizard(db, user, pending)
    if mapped is not None:
        show_new([mapped])
        st.rerun()

st.header(t("import.history"), anchor=False)
batches = imports.list_batches(db, user)
if batches.is_empty():
    empty_state(t("import.history_empty"))
    st.stop()

history = translate_values(translate_values(batches, "status", "status"), "source", "source")
data_table(
    history.select(
        "imported_at",
        "file_name",
        "source",
        "status",
        "rows_read",
        "rows_loaded",
        "rows_rejected",
        "uploaded_by",
        "message",
        "batch_id",
        "undone_at",
        "undone_by",
    ),
    key="data_import.history",
    file_stem=t("import.history_file"),
    scope="batch",
)

with_rows = batches.filter((pl.col("rows_rejected") > 0) | (pl.col("rows_warned") > 0))
if with_rows.is_empty():
    st.caption(t("import.history_no_rejects"))
else:
    labels = {
        r["batch_id"]: t(
            "import.batch_label",
            at=r["imported_at"].strftime("%Y-%m-%d %H:%M"),
            name=r["file_name"],
            n=r["rows_rejected"],
            w=r["rows_warned"],
        )
        for r in with_rows.iter_rows(named=True)
    }
    start_on_newest("data_import.batch", list(labels))
    chosen = st.selectbox(t("import.choose_batch"), list(labels), format_func=labels.get, key="data_import.batch")
    rejects = imports.batch_rejects(db, user, chosen)
    rows_table(rejects, t("import.rejects_heading", n=rejects.height), key="data_import.batch_rejects",
               file_stem=t("import.rejects_file", batch=chosen))  # fmt: skip
    warned = imports.batch_warnings(db, user, chosen)
    rows_table(warned, t("import.warnings_heading", n=warned.height), key="data_import.batch_warnings",
               file_stem=t("import.warnings_file", batch=chosen))  # fmt: skip

st.subheader(t("import.undo_heading"), anchor=False)
st.caption(t("import.undo_intro"))
undoable = batches.filter(pl.col("status").is_in(list(UNDOABLE)))
if undoable.is_empty():
    st.caption(t("import.undo_none"))
    st.stop()
names = {r["batch_id"]: r["file_name"] for r in undoable.iter_rows(named=True)}
undo_labels = {
    r["batch_id"]: t(
        "import.undo_label",
        at=r["imported_at"].strftime("%Y-%m-%d %H:%M"),
        name=r["file_name"],
        source=t(f"source.{r['source']}"),
    )
    for r in undoable.iter_rows(named=True)
}
start_on_newest("data_import.undo_batch", list(undo_labels))
to_undo = st.selectbox(
    t("import.undo_choose"), list(undo_labels), format_func=undo_labels.get, key="data_import.undo_batch"
)
plan = preview_undo(db, user, to_undo)
show_undo_plan(plan, key="data_import.undo_plan")


def undo(batch_id: str) -> None:
    try:
        done = undo_batch(db, user, batch_id)
    except UndoRefused as refused:
        st.error(plain(refused.plan.reason), icon=":material/block:")
        return
    flash(t("import.undone", name=plain(names[batch_id]), summary=undo_summary(done)))
    st.rerun()


if plan.possible:
    st.button(
        t("import.undo_start"), key="data_import.undo", icon=":material/undo:",
        on_click=ask_first, args=("undo_batch", to_undo),
    )  # fmt: skip
    question = t("import.undo_confirm", name=plain(names[to_undo]), summary=undo_summary(plan))
    confirm_first("undo_batch", to_undo, question, lambda: undo(to_undo), key_prefix="data_import.")
