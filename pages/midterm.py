"""中期回顾: the goals' progress so far and the check-in history; the employee and the manager each record a
check-in (a note, optionally a progress percent and a KPI). The manager may record an actual for an
objective KPI, finish the review (confirmed first; core refuses until both have checked in) or return
the appraisal to goal setting with a comment (confirmed first)."""

import polars as pl
import streamlit as st

from core import appraisal_edits, clock, vocabulary
from core.stages import EMPLOYEE, MANAGER, MIDTERM
from ui import session
from ui.appraisal import run_cycle
from ui.goals import (
    checkins_frame,
    history_section,
    progress_section,
    stage_page,
)
from ui.i18n import t
from ui.navigation import require_app_navigation
from ui.widgets import ask_first, confirm_first, data_table, empty_state, flash, plain

FORM_KEY = "midterm.form_generation"  # bumped after a saved check-in or actual, so the forms start empty


def generation() -> int:
    return st.session_state.get(FORM_KEY, 0)


def saved(message: str) -> None:
    st.session_state[FORM_KEY] = generation() + 1
    flash(message)
    st.rerun()


def kpi_options(items: pl.DataFrame, *, objective_only: bool = False) -> dict[str, str]:
    """kpi_id -> its name, in the appraisal's order."""
    rows = items.iter_rows(named=True)
    return {
        r["kpi_id"]: r["kpi_name"] or r["kpi_id"]
        for r in rows
        if not objective_only or r["method"] in vocabulary.OBJECTIVE_METHODS
    }


def checkin_form(appraisal_id: str, items: pl.DataFrame) -> None:
    options = kpi_options(items)
    with st.form(f"midterm.checkin.{appraisal_id}.{generation()}", border=True):
        st.markdown(f"**{t('midterm.add')}**")
        note = st.text_area(t("midterm.note"), max_chars=vocabulary.MAX_TEXT, key=f"midterm.note.{generation()}")
        left, right = st.columns(2)
        pct = left.number_input(
            t("midterm.progress_pct"), min_value=0.0, max_value=200.0, value=None, step=5.0, format="%g",
            key=f"midterm.pct.{generation()}",
        )  # fmt: skip
        kpi_id = right.selectbox(
            t("midterm.item"), [None, *options], format_func=lambda k: t("midterm.whole") if k is None else options[k],
            key=f"midterm.item.{generation()}",
        )  # fmt: skip
        if st.form_submit_button(t("midterm.submit"), type="primary", icon=":material/send:"):
            if not (note or "").strip():
                st.error(t("midterm.note_required"), icon=":material/error:")
            elif (
                run_cycle(
                    lambda: (
                        appraisal_edits.add_checkin(db, user, appraisal_id, note, progress=pct, kpi_id=kpi_id) or True
                    )
                )
                is not None
            ):
                saved(t("midterm.added"))


def actual_form(detail: dict) -> None:
    options = kpi_options(detail["items"], objective_only=True)
    st.markdown(f"**{t('midterm.actual')}**")
    st.caption(t("midterm.actual_help"))
    if not options:
        st.caption(t("midterm.no_objective"))
        return
    start, end = detail["period_start"], detail["period_end"]
    default = min(max(clock.today(), start), end)  # the date picker's bounds are the period
    with st.form(f"midterm.actual.{detail['appraisal_id']}.{generation()}", border=False):
        left, mid, right = st.columns([2, 1, 1])
        kpi_id = left.selectbox(t("midterm.actual_item"), list(options), format_func=options.get)
        value = mid.number_input(t("midterm.actual_value"), value=None, format="%g")
        as_of = right.date_input(t("midterm.actual_as_of"), value=default, min_value=start, max_value=end)
        note = st.text_input(t("midterm.actual_note"), max_chars=vocabulary.MAX_TEXT)
        if st.form_submit_button(t("midterm.actual_submit"), icon=":material/save:"):
            if value is None:
                st.error(t("midterm.actual_required"), icon=":material/error:")
            elif (
                run_cycle(
                    appraisal_edits.record_actual,
                    db,
                    user,
                    detail["employee_id"],
                    kpi_id,
                    value,
                    as_of=as_of,
                    note=note or None,
                )
                is not None
            ):
                saved(t("midterm.actual_saved"))


def manager_actions(detail: dict) -> None:
    appraisal_id, version = detail["appraisal_id"], detail["row_version"]
    employee = plain(detail["employee"] or "")
    finish_col, return_col = st.columns(2)
    finish_col.button(
        t("midterm.finish"), key=f"midterm.finish.{appraisal_id}", type="primary", icon=":material/task_alt:",
        on_click=ask_first, args=("finish", appraisal_id, version),
    )  # fmt: skip
    with return_col:
        comment = st.text_area(
            t("midterm.return_comment"), max_chars=vocabulary.MAX_TEXT, key=f"midterm.return_comment.{appraisal_id}"
        )
        if st.button(t("midterm.return"), key=f"midterm.return.{appraisal_id}", icon=":material/undo:"):
            if (comment or "").strip():
                ask_first("return", appraisal_id, version, comment.strip())
            else:
                st.error(t("midterm.return_required"), icon=":material/error:")

    def finish(version: int) -> None:
        if run_cycle(appraisal_edits.act, db, user, appraisal_id, "finish_midterm", version=version) is not None:
            saved(t("midterm.finished"))

    def send_back(version: int, comment: str | None) -> None:
        if (
            run_cycle(appraisal_edits.act, db, user, appraisal_id, "return", version=version, comment=comment)
            is not None
        ):
            saved(t("midterm.returned"))

    confirm_first("finish", appraisal_id, t("midterm.confirm_finish", employee=employee), finish)
    confirm_first("return", appraisal_id, t("midterm.confirm_return", employee=employee), send_back)


require_app_navigation()
user, db = session.require_screen("midterm")
st.title(t("nav.midterm"), anchor=False)
detail = stage_page(db, user, MIDTERM, "midterm")
appraisal_id = detail["appraisal_id"]
in_stage = detail["stage"] == MIDTERM

st.subheader(t("midterm.progress"), anchor=False)
progress_section(db, user, appraisal_id, key=f"midterm.progress.{appraisal_id}")

st.subheader(t("midterm.checkins"), anchor=False)
checkins: pl.DataFrame = detail["checkins"]
who = set(checkins.get_column("role").to_list()) if not checkins.is_empty() else set()
st.caption(
    t(
        "midterm.status",
        employee=t("midterm.done" if EMPLOYEE in who else "midterm.missing"),
        manager=t("midterm.done" if MANAGER in who else "midterm.missing"),
    )
)
if checkins.is_empty():
    empty_state(t("midterm.no_checkins"))
else:
    data_table(checkins_frame(checkins), key=f"midterm.checkins.{appraisal_id}", file_stem=None, scope="checkins")

roles = detail["roles"]
if in_stage and (EMPLOYEE in roles or MANAGER in roles):
    checkin_form(appraisal_id, detail["items"])
if in_stage and MANAGER in roles:
    st.subheader(t("midterm.manager_tools"), anchor=False)
    with st.container(border=True):
        actual_form(detail)
    manager_actions(detail)

history_section(detail, key="midterm.history")
