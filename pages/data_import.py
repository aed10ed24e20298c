"""数据导入 (HR): upload spreadsheets, watch each file's progress, read its LoadReport, browse the history."""

import polars as pl
import streamlit as st

from core import imports
from pipelines.importer import SOURCES  # auto, legacy, roster, kpi_library
from pipelines.sniff import MAX_FILE_MB
from ui import session
from ui.i18n import option_labels, t
from ui.navigation import require_app_navigation
from ui.reports import import_uploads, show_load_report
from ui.widgets import data_table, empty_state, translate_values, upload_files

REPORTS_KEY = "data_import.reports"

require_app_navigation()
user, db = session.require_screen("data_import")
st.title(t("import.title"), anchor=False)
st.caption(t("import.intro"))

with st.form("data_import.form", clear_on_submit=True, border=True):
    files = upload_files(
        t("import.files"), types=("xlsx", "xlsm", "xls", "csv"), key="data_import.files", max_mb=MAX_FILE_MB
    )
    sources = option_labels("source", SOURCES)
    source = st.selectbox(t("import.source"), list(sources), format_func=sources.get, key="data_import.source")
    submitted = st.form_submit_button(
        t("import.start"), type="primary", icon=":material/upload:", key="data_import.start"
    )

if submitted:
    if files:
        st.session_state[REPORTS_KEY] = import_uploads(db, files, source, user.username)
    else:
        st.warning(t("import.no_files"), icon=":material/warning:")

for i, report in enumerate(st.session_state.get(REPORTS_KEY, [])):
    show_load_report(report, key=f"data_import.report.{i}")

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
    ),
    key="data_import.history",
    file_stem=t("import.history_file"),
    scope="batch",
)

with_rejects = batches.filter(pl.col("rows_rejected") > 0)
if with_rejects.is_empty():
    st.caption(t("import.history_no_rejects"))
    st.stop()
labels = {
    r["batch_id"]: t(
        "import.batch_label", at=r["imported_at"].strftime("%Y-%m-%d %H:%M"), name=r["file_name"], n=r["rows_rejected"]
    )
    for r in with_rejects.iter_rows(named=True)
}
chosen = st.selectbox(t("import.choose_batch"), list(labels), format_func=labels.get, key="data_import.batch")
data_table(
    imports.batch_rejects(db, user, chosen),
    key="data_import.batch_rejects",
    file_stem=t("import.rejects_file", batch=chosen),
    scope="reject",
)
