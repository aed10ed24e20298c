"""校准 (HR): per open cycle, each department's grade distribution before and after calibration against the
guideline (quotas, breaches highlighted), HR's guideline and grade scale, the people of one department in
校准 with their pre- and post-calibration grades, moving one grade with a mandatory note, and finalising a
department (confirmed first; a department that breaks the guideline needs an override reason)."""

from collections.abc import Mapping

import polars as pl
import streamlit as st

from core import appraisal, calibration, cycles, settings
from core.stages import CALIBRATION
from ui import session
from ui.appraisal import run_cycle
from ui.i18n import t
from ui.navigation import require_app_navigation
from ui.widgets import EMPTY_CELL, data_table, download_excel, empty_state, excel_table, flash, plain, show_flash

PENDING_KEY = "cal.pending"  # (cycle_id, dept_id) waiting for the finalise confirmation
CLEAR_NOTE_KEY = "cal.clear_note"  # a grade move succeeded: empty the note field on the next run
SEEN_PREFIX = "cal.seen_version."  # + appraisal_id: the row_version shown when HR picked the person
BREACH_STYLE = "background-color: #FCE4D6; color: #7A2E0B"
PERSON_COLUMNS = ("employee_id", "employee", "position", "final_score", "grade", "calibrated_grade")


def distribution_titles(frame: pl.DataFrame, scale: tuple[tuple[str, float], ...]) -> dict[str, str]:
    """Column titles of the distribution table; the grade columns are named after HR's scale."""
    top, bottom = scale[0][0], scale[-1][0]
    titles = {}
    for column in frame.columns:
        if column.startswith("pre_"):
            titles[column] = t("cal.col.pre", grade=column[4:])
        elif column.startswith("post_"):
            titles[column] = t("cal.col.post", grade=column[5:])
        elif column == "quota_top":
            titles[column] = t("cal.col.quota_top", grade=top)
        elif column == "quota_bottom":
            titles[column] = t("cal.col.quota_bottom", grade=bottom)
        else:
            titles[column] = t(f"cal.col.{column}")
    return titles


def distribution_table(frame: pl.DataFrame, scale: tuple[tuple[str, float], ...]) -> None:
    """Departments × grade counts; the rows of departments outside the guideline highlighted."""
    shown = frame.drop("dept_id")
    titles = distribution_titles(shown, scale)
    marked = shown.get_column("breaches").is_not_null().to_list()
    styled = (
        shown.rename(titles)
        .to_pandas()
        .style.format(na_rep=EMPTY_CELL, precision=1)  # a Styler writes its own cells: nan and 6 decimals else
        .apply(lambda row: [BREACH_STYLE if marked[row.name] else "" for _ in row], axis=1)
    )
    st.dataframe(styled, hide_index=True, width="stretch", placeholder=EMPTY_CELL, key="cal.distribution")
    sheet = t("cal.file")  # translated now: the file is built on the server's thread when fetched
    download_excel(
        t("table.download"),
        lambda: excel_table(shown, titles, sheet),
        file_name=f"{sheet}.xlsx",
        key="cal.distribution.download",
        rows=shown.height,
    )


def finalise(cycle_id: str, dept: Mapping, reason: str) -> None:
    moved = run_cycle(
        calibration.finalise_department, db, user, cycle_id, dept["dept_id"], override_reason=reason.strip() or None
    )
    st.session_state.pop(PENDING_KEY, None)
    if moved is not None:
        flash(t("cal.finalised", department=plain(dept["department"]), n=moved))
        st.rerun()


require_app_navigation()
user, db = session.require_screen("calibration")
st.title(t("nav.calibration"), anchor=False)
st.caption(t("cal.intro"))
show_flash()

scale = settings.grade_scale(db)
rules = settings.guideline(db)
grades = [g for g, _ in scale]
st.caption(
    t(
        "cal.guideline",
        top=plain(scale[0][0]),
        a=f"{rules['A_max']:g}",
        bottom=plain(scale[-1][0]),
        c=f"{rules['C_min']:g}",
    )
)
st.page_link("pages/settings.py", label=t("cal.settings_link"), icon=":material/tune:")

all_cycles = cycles.cycles(db, user)
open_cycles = all_cycles.filter(pl.col("status") == "open") if not all_cycles.is_empty() else all_cycles
if open_cycles.is_empty():
    empty_state(t("cal.no_cycles"))
    st.stop()
cycle_names = dict(zip(open_cycles["cycle_id"], open_cycles["name"], strict=True))
cycle_id = st.selectbox(
    t("cal.cycle"), list(cycle_names), format_func=lambda c: f"{cycle_names[c]}（{c}）", key="cal.cycle"
)

distribution = run_cycle(calibration.distribution, db, user, cycle_id)
if distribution is None:
    st.stop()
if distribution.is_empty():
    empty_state(t("cal.no_appraisals"))
    st.stop()

st.subheader(t("cal.distribution_title"), anchor=False)
distribution_table(distribution, scale)
st.caption(t("cal.distribution_caption", n=int(distribution["rated"].sum())))
for row in distribution.filter(pl.col("breaches").is_not_null()).iter_rows(named=True):
    st.warning(
        t("cal.breach", department=plain(row["department"]), breaches=plain(row["breaches"])), icon=":material/warning:"
    )

st.subheader(t("cal.department_title"), anchor=False)
departments = {r["dept_id"]: r for r in distribution.iter_rows(named=True)}
# labels made now, in the session's language (a format function may be called where it is not known)
dept_labels = {
    d: t("cal.department_option", department=r["department"] or d, n=r["in_calibration"])
    for d, r in departments.items()
}
dept_id = st.selectbox(
    t("cal.department"), list(departments), format_func=dept_labels.get, key=f"cal.department.{cycle_id}"
)
dept = departments[dept_id]
team = appraisal.team(db, user, cycle_id=cycle_id, stage=CALIBRATION)
people = team.filter(pl.col("department") == dept["department"]) if not team.is_empty() else team
if people.is_empty():
    if dept["finalised"] and not dept["in_calibration"]:
        empty_state(t("cal.dept_finalised", n=dept["finalised"]))
    else:
        empty_state(t("cal.dept_not_ready", n=dept["not_ready"]))
    st.stop()
if dept["not_ready"]:
    st.caption(t("cal.some_not_ready", n=dept["not_ready"]))
data_table(
    people.select(PERSON_COLUMNS),
    key=f"cal.people.{cycle_id}.{dept_id}",
    file_stem=t("cal.people_file", department=dept["department"] or dept_id),
    scope="cal",
)

# move one grade
with st.container(border=True):
    st.markdown(f"**{t('cal.move_title')}**")
    rows = {r["appraisal_id"]: r for r in people.iter_rows(named=True)}

    person_labels = {
        a: t(
            "cal.person_option",
            name=r["employee"],
            id=r["employee_id"],
            grade=r["effective_grade"] or "—",
        )
        for a, r in rows.items()
    }

    if st.session_state.pop(CLEAR_NOTE_KEY, False):
        st.session_state.pop("cal.note", None)
    who_col, grade_col = st.columns([2, 1])
    appraisal_id = who_col.selectbox(t("cal.person"), list(rows), format_func=person_labels.get, key="cal.person")
    new_grade = grade_col.selectbox(t("cal.new_grade"), grades, key="cal.new_grade")
    note = st.text_area(t("cal.note"), placeholder=t("cal.note_placeholder"), key="cal.note")
    # the version this person's row had when HR first saw it: a change by someone else since is a Conflict
    seen_key = f"{SEEN_PREFIX}{appraisal_id}"
    st.session_state.setdefault(seen_key, rows[appraisal_id]["row_version"])
    if st.button(t("cal.move"), key="cal.move", icon=":material/swap_vert:"):
        row = rows[appraisal_id]
        result = run_cycle(
            calibration.calibrate, db, user, appraisal_id, new_grade, note, version=st.session_state[seen_key]
        )
        # refused or not, the table above now shows the row as it is: the next try is based on that
        st.session_state[seen_key] = result if result is not None else row["row_version"]
        if result is not None:
            before = row["effective_grade"] or "—"
            flash(t("cal.moved", name=plain(row["employee"]), before=plain(before), after=plain(new_grade)))
            st.session_state[CLEAR_NOTE_KEY] = True
            st.rerun()

# finalise the department
with st.container(border=True):
    st.markdown(f"**{t('cal.finalise_title')}**")
    breach = dept["breaches"]
    reason = ""
    if breach:
        st.warning(t("cal.breach_here", breaches=plain(breach)), icon=":material/warning:")
        reason = st.text_area(t("cal.reason"), key=f"cal.reason.{cycle_id}.{dept_id}")
    else:
        st.caption(t("cal.inside_guideline"))
    if st.button(t("cal.finalise"), type="primary", key="cal.finalise", icon=":material/task_alt:"):
        if breach and not reason.strip():
            st.error(t("cal.reason_required", breaches=plain(breach)), icon=":material/error:")
            st.session_state.pop(PENDING_KEY, None)
        else:
            st.session_state[PENDING_KEY] = (cycle_id, dept_id)
    if st.session_state.get(PENDING_KEY) == (cycle_id, dept_id):
        st.warning(
            t("cal.confirm", department=plain(dept["department"]), n=dept["in_calibration"])
            + (t("cal.confirm_override") if breach else ""),
            icon=":material/help:",
        )
        yes, no = st.columns(2)
        if yes.button(t("cal.confirm_yes"), type="primary", key="cal.confirm_yes"):
            finalise(cycle_id, dept, reason)
        if no.button(t("cal.confirm_no"), key="cal.confirm_no"):
            st.session_state.pop(PENDING_KEY, None)
            st.rerun()
