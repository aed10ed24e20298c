"""我的待办 (everyone's landing page): what waits for me in every open cycle — overdue first, with the due
date and days left, and a button per task that opens the screen doing it — then 我的目标进度: for each of
my own open appraisals the KPIs' targets, actuals so far, attainment and score, and how each is scored."""

import polars as pl
import streamlit as st

from core import appraisal, tasks
from ui import session
from ui.appraisal import stage_label
from ui.goals import progress_section, relabel
from ui.i18n import has_text, t
from ui.navigation import require_app_navigation
from ui.widgets import data_table, empty_state, plain


def task_label(row: dict) -> str:
    """A task of core.tasks.my_tasks in the UI language, by its code."""
    if row["task_code"] in ("calibration", "objections"):  # one task per department or cycle: how many
        return t(f"tasks.task.{row['task_code']}", n=row["people"])
    key = f"tasks.task.{row['task_code']}"
    return t(key) if has_text(key) else row["task"]


require_app_navigation()
user, db = session.require_screen("my_tasks")
st.title(t("nav.my_tasks"), anchor=False)
st.caption(t("tasks.intro"))

todo = tasks.my_tasks(db, user)
if todo.is_empty():
    empty_state(t("tasks.empty"))
else:
    todo = todo.sort(["overdue", "due", "cycle"], descending=[True, False, False], nulls_last=True)
    labels = [task_label(r) for r in todo.iter_rows(named=True)]
    overdue = int(todo.get_column("overdue").sum())
    open_col, overdue_col, _ = st.columns([1, 1, 2])
    open_col.metric(t("tasks.metric.open"), todo.height)
    overdue_col.metric(t("tasks.metric.overdue"), overdue)
    if overdue:
        st.warning(t("tasks.overdue_warning", n=overdue), icon=":material/warning:")
    shown = todo.select(
        "cycle",
        pl.Series("task", labels, dtype=pl.String),
        "employee",
        relabel(todo, "stage", stage_label),
        "due",
        "days_left",
        pl.when(pl.col("overdue")).then(pl.lit(t("tasks.overdue_mark"))).otherwise(pl.lit("")).alias("overdue"),
    )
    data_table(shown, key="tasks.table", file_stem=t("tasks.file"), scope="tasks")

    st.subheader(t("tasks.go_title"), anchor=False)
    for index, row in enumerate(todo.iter_rows(named=True)):
        label = t("tasks.go", task=labels[index], employee=row["employee"] or "—")
        due = row["due"].isoformat() if row["due"] else "—"
        text = f"{label} · {due}" + (f" · {t('tasks.overdue_mark')}" if row["overdue"] else "")
        # full width: on a phone the whole line is the target, and a long label wraps instead of overflowing
        if st.button(plain(text), key=f"tasks.go.{index}", icon=":material/arrow_forward:", width="stretch"):
            params = {"appraisal": row["appraisal_id"]} if row["appraisal_id"] else None
            st.switch_page(f"pages/{row['screen']}.py", query_params=params)

st.header(t("tasks.progress_title"), anchor=False)
mine = appraisal.my_appraisals(db, user)
if mine.is_empty():
    empty_state(t("tasks.progress_empty"))
else:
    for row in mine.iter_rows(named=True):
        with st.container(border=True):
            st.subheader(plain(row["cycle"]), anchor=False)
            st.caption(t("tasks.progress_caption", cycle=plain(row["period"]), stage=stage_label(row["stage"])))
            progress_section(db, user, row["appraisal_id"], key=f"tasks.progress.{row['appraisal_id']}")
