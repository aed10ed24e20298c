"""考核周期: the app's appraisal cycles (HR and executives read), HR opens a new one (kind, period, name, scope,
a due date per stage, annual weights; checked by core, confirmed first, with the report of who was left out
and why), and the progress of a chosen cycle per stage with its lead time so far."""

import datetime as dt

import polars as pl
import streamlit as st

from core import cycles, org, periods, permissions, vocabulary
from core.errors import CoreError
from ui import session
from ui.appraisal import run_cycle, stage_label
from ui.cycle_charts import progress_chart
from ui.i18n import error_text, option_labels, t
from ui.navigation import require_app_navigation
from ui.widgets import data_table, empty_state, plain, translate_values

PENDING_KEY = "cyc.pending"  # the checked input of a cycle waiting for confirmation
REPORT_KEY = "cyc.report"  # the OpenReport of the cycle just opened, shown once
QUARTERS = ("Q1", "Q2", "Q3", "Q4")
DEFAULT_WEIGHTS = {"Q1": 15.0, "Q2": 15.0, "Q3": 15.0, "Q4": 15.0, "review": 40.0}
REFERENCE = {"before": 46, "after": 19}  # the seed company's cycle lead time in days


def cycle_table(frame: pl.DataFrame) -> pl.DataFrame:
    shown = frame.select(
        "name", "kind", "period", "period_start", "period_end", "status", "scope", "departments", "appraisals",
        "opened_at", "opened_by", "cycle_id",
    )  # fmt: skip
    shown = translate_values(shown, "kind", "kind")
    shown = translate_values(shown, "status", "cyc.status")
    return translate_values(shown, "scope", "cyc.scope")


def show_report(report: cycles.OpenReport) -> None:
    st.success(
        t(
            "cyc.opened",
            name=plain(report.name),
            cycle_id=plain(report.cycle_id),
            appraisals=report.appraisals,
            items=report.items,
        ),
        icon=":material/check_circle:",
    )
    st.caption(t("cyc.template_date", day=report.template_date.isoformat()))
    a, b, c = st.columns(3)
    a.metric(t("cyc.metric.appraisals"), report.appraisals)
    b.metric(t("cyc.metric.items"), report.items)
    c.metric(t("cyc.metric.skipped"), len(report.skipped))
    if report.skipped:
        st.warning(t("cyc.skipped", n=len(report.skipped)), icon=":material/person_off:")
        skipped = pl.DataFrame(
            report.skipped, schema={"employee_id": pl.String, "name": pl.String, "reason": pl.String}
        )
        data_table(skipped, key="cyc.skipped", file_stem=t("cyc.skipped_file"), scope="cyc_skip")


def new_cycle_form() -> None:
    """HR's form: everything open_cycle needs, checked by core before the confirmation."""
    today = dt.date.today()
    kinds = list(vocabulary.CYCLE_KINDS)
    kind_labels = option_labels("kind", kinds)
    a, b, c = st.columns(3)
    kind = a.selectbox(t("cyc.kind"), kinds, format_func=kind_labels.get, key="cyc.kind")
    year = b.number_input(t("cyc.year"), min_value=2000, max_value=2100, value=today.year, step=1, key="cyc.year")
    part = None
    if kind == "quarterly":
        quarter_labels = {q: t("cyc.quarter_n", n=q) for q in range(1, 5)}
        part = c.selectbox(
            t("cyc.quarter"), list(quarter_labels), index=(today.month - 1) // 3, format_func=quarter_labels.get,
            key="cyc.quarter",
        )  # fmt: skip
    elif kind == "half_year":
        half_labels = {1: t("cyc.half_first"), 2: t("cyc.half_second")}
        part = c.selectbox(
            t("cyc.half"), list(half_labels), index=(today.month - 1) // 6, format_func=half_labels.get, key="cyc.half"
        )
    period, start, end, default_name = periods.period_of(kind, int(year), part)
    st.caption(t("cyc.period", period=period, start=start.isoformat(), end=end.isoformat()))
    name = st.text_input(t("cyc.name"), placeholder=default_name, help=t("cyc.name_help"), key="cyc.name")

    scopes = ["all", "pilot"]
    scope_labels = option_labels("cyc.scope", scopes)
    scope = st.radio(t("cyc.scope"), scopes, format_func=scope_labels.get, horizontal=True, key="cyc.scope")
    dept_ids: list[str] = []
    if scope == "pilot":
        departments = org.list_departments(db, user)
        names = dict(zip(departments["dept_id"], departments["name"], strict=True))
        dept_ids = st.multiselect(
            t("cyc.pilot"),
            list(names),
            format_func=names.get,
            help=t("cyc.pilot_help"),
            key="cyc.pilot",
            placeholder=t("widget.choose_many"),
        )

    st.markdown(f"**{t('cyc.due_title')}**")
    defaults = periods.default_due_dates(start, end)
    due: dict[str, dt.date] = {}
    stage_list = list(vocabulary.DUE_FIELDS)
    for i, stage in enumerate(stage_list):
        if i % 3 == 0:  # rows of three, in stage order
            columns = st.columns(3)
        # keyed by period: another period starts again from its own defaults
        due[stage] = columns[i % 3].date_input(
            stage_label(stage), value=defaults[stage], format="YYYY-MM-DD", key=f"cyc.due.{period}.{stage}"
        )

    weights = None
    if kind == "annual":
        st.markdown(f"**{t('cyc.weights_title')}**")
        st.caption(t("cyc.weights_help"))
        columns = st.columns(5)
        values = {}
        for i, part_name in enumerate((*QUARTERS, "review")):
            label = part_name if part_name != "review" else t("cyc.weight_review")
            values[part_name] = columns[i].number_input(
                label, min_value=0.0, max_value=100.0, value=DEFAULT_WEIGHTS[part_name], step=5.0,
                key=f"cyc.weight.{part_name}",
            )  # fmt: skip
        weights = {"quarters": {q: values[q] for q in QUARTERS}, "review": values["review"]}

    request = {
        "kind": kind, "year": int(year), "part": part, "name": name.strip() or None, "due": due,
        "dept_ids": sorted(dept_ids) if scope == "pilot" else None, "annual_weights": weights,
        "title": name.strip() or default_name, "scope": scope,
    }  # fmt: skip
    if st.session_state.get(PENDING_KEY) not in (None, request):
        st.session_state.pop(PENDING_KEY)  # the form changed after the check: check again
    if st.button(t("cyc.check"), type="primary", icon=":material/event_available:", key="cyc.check"):
        problem = t("cyc.pilot_missing") if scope == "pilot" and not dept_ids else None
        try:  # core's own checks, before asking for the confirmation
            periods.check_due_dates(due, start)
            if weights is not None:
                cycles.check_annual_weights(weights)
        except CoreError as err:
            problem = problem or error_text(err)
        if problem:
            st.error(problem, icon=":material/error:")
            st.session_state.pop(PENDING_KEY, None)
        else:
            st.session_state[PENDING_KEY] = request

    pending = st.session_state.get(PENDING_KEY)
    if not pending:
        return
    if pending["scope"] == "pilot":
        names = dict(zip(*org.list_departments(db, user).select("dept_id", "name").get_columns(), strict=True))
        where = t("cyc.confirm_pilot", departments=plain("、".join(names.get(d, d) for d in pending["dept_ids"])))
    else:
        where = t("cyc.confirm_all")
    st.warning(t("cyc.confirm", name=plain(pending["title"]), where=where), icon=":material/help:")
    yes, no = st.columns(2)
    if yes.button(t("cyc.confirm_yes"), type="primary", key="cyc.confirm_yes"):
        args = {k: pending[k] for k in ("kind", "year", "part", "name", "due", "dept_ids", "annual_weights")}
        with st.status(t("cyc.opening"), expanded=True) as status:
            st.write(t("cyc.opening_detail"))
            report = run_cycle(cycles.open_cycle, db, user, **args)
            status.update(
                label=t("cyc.opening_done") if report else t("cyc.opening_failed"),
                state="complete" if report else "error",
            )
        st.session_state.pop(PENDING_KEY, None)
        if report is not None:
            st.session_state[REPORT_KEY] = report
            st.rerun()
    if no.button(t("cyc.confirm_no"), key="cyc.confirm_no"):
        st.session_state.pop(PENDING_KEY, None)
        st.rerun()


def show_progress(frame: pl.DataFrame) -> None:
    st.subheader(t("cyc.progress_title"), anchor=False)
    labels = dict(zip(frame["cycle_id"], frame["name"], strict=True))
    cycle_id = st.selectbox(
        t("cyc.pick"), list(labels), format_func=lambda c: f"{labels[c]}（{c}）", key="cyc.progress_pick"
    )
    if cycle_id is None:
        return
    progress = run_cycle(cycles.cycle_progress, db, user, cycle_id)
    if progress is None:
        return
    stages: pl.DataFrame = progress["stages"]
    lead = progress["lead_days"]
    lead = max(lead, 0.0) if lead is not None else None  # opened today: core counts from midnight
    a, b, c = st.columns(3)
    a.metric(t("cyc.metric.appraisals"), progress["appraisals"])
    b.metric(
        t("cyc.lead_done") if progress["complete"] else t("cyc.lead_so_far"),
        t("cyc.days", n=f"{lead:.1f}") if lead is not None else "—",
        help=t("cyc.lead_help", **REFERENCE),
    )
    overdue = int(stages["overdue"].sum()) if stages.height else 0
    c.metric(t("cyc.metric.overdue"), overdue)
    if progress["appraisals"] == 0:
        empty_state(t("cyc.progress_empty"))
        return
    st.altair_chart(progress_chart(stages), width="stretch")
    st.caption(t("cyc.chart_caption", name=plain(labels[cycle_id]), n=progress["appraisals"]))
    table = translate_values(stages, "stage", "stage")
    data_table(table, key="cyc.progress", file_stem=t("cyc.progress_file"), scope="cyc_stage")


require_app_navigation()
user, db = session.require_screen("cycles")
st.title(t("nav.cycles"), anchor=False)
is_hr = permissions.allowed(user, "open_cycle")
st.caption(t("cyc.intro_hr") if is_hr else t("cyc.intro_exec"))

report = st.session_state.pop(REPORT_KEY, None)
if report is not None:
    show_report(report)

all_cycles = cycles.cycles(db, user)
if is_hr:
    with st.expander(
        t("cyc.new"), expanded=all_cycles.is_empty() or PENDING_KEY in st.session_state, icon=":material/add:"
    ):
        new_cycle_form()

st.subheader(t("cyc.list_title"), anchor=False)
if all_cycles.is_empty():
    empty_state(t("cyc.empty_hr") if is_hr else t("cyc.empty_exec"))
    st.stop()
data_table(cycle_table(all_cycles), key="cyc.list", file_stem=t("cyc.file"), scope="cyc")
show_progress(all_cycles)
