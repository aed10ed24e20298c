"""组织与人员: the departments, positions and people in the signed-in user's scope, searchable, and one
person's record and appraisals at ``?emp=<工号>`` (refused by core for anyone outside the scope)."""

import streamlit as st

from core import org, permissions, vocabulary
from ui import session
from ui.i18n import t
from ui.navigation import require_app_navigation
from ui.people import appraisal_record, profile_card
from ui.widgets import data_table, empty_state, plain, translate_values

PERSON_PARAM = "emp"
TABLE_GENERATION = "org.people_generation"  # a new people table (no row selected) after closing a person


def close_person() -> None:
    st.query_params.pop(PERSON_PARAM, None)
    st.session_state[TABLE_GENERATION] = st.session_state.get(TABLE_GENERATION, 0) + 1


def show_person(employee_id: str) -> None:
    """One person's record and appraisals; core refuses an id outside the user's scope."""
    st.button(t("org.back"), icon=":material/arrow_back:", on_click=close_person, key="org.back")
    try:
        profile = org.employee_profile(db, user, employee_id)
    except permissions.Forbidden as err:
        session.refuse(err)
    if profile is None:
        empty_state(t("org.no_such_person", employee_id=plain(employee_id)))
        return
    st.title(t("org.person_title", name=plain(profile["name"])), anchor=False)
    profile_card(profile)
    st.caption(t(f"org.relation.{profile['relation']}"))
    appraisal_record(db, user, employee_id, key="org.person", empty_text=t("org.person_no_appraisals"))


require_app_navigation()
user, db = session.require_screen("org")

wanted = st.query_params.get(PERSON_PARAM)
if wanted:
    show_person(wanted.strip())
    st.stop()

st.title(t("org.title"), anchor=False)
counts = org.org_counts(db, user)
if not any(counts.values()):
    empty_state(t("org.empty"))
    st.stop()

departments_metric, positions_metric, people_metric = st.columns(3)
departments_metric.metric(t("org.departments"), counts["departments"])
positions_metric.metric(t("org.positions"), counts["positions"])
people_metric.metric(t("org.active_people"), counts["employees"])

departments = org.list_departments(db, user)
people_tab, departments_tab, positions_tab = st.tabs(
    [t("org.tab.people"), t("org.tab.departments"), t("org.tab.positions")]
)

with people_tab:
    search_col, dept_col, left_col = st.columns([3, 2, 2], vertical_alignment="bottom")
    text = search_col.text_input(t("org.search"), placeholder=t("org.search_placeholder"), key="org.search")
    dept_options = {
        None: t("org.all_departments"),
        **dict(zip(departments["dept_id"], departments["name"], strict=True)),
    }
    dept_id = dept_col.selectbox(
        t("org.department_filter"), list(dept_options), format_func=dept_options.get, key="org.department"
    )
    with_former = left_col.toggle(t("org.include_former"), key="org.include_former")
    statuses = vocabulary.EMPLOYEE_STATUSES if with_former else ("active",)
    people = org.search_employees(db, user, text, dept_id=dept_id, statuses=statuses)
    st.caption(t("org.people_found", n=people.height) + " " + t("org.pick_hint"))
    picked = data_table(
        translate_values(people, "status", "employee_status"),
        key=f"org.people.{st.session_state.get(TABLE_GENERATION, 0)}",
        file_stem=t("org.people_file"),
        scope="employee",
        select_row=True,
    )
    if picked is not None:
        st.query_params[PERSON_PARAM] = people["employee_id"][picked]
        st.rerun()

with departments_tab:
    data_table(departments, key="org.departments", file_stem=t("org.departments_file"), scope="department")

with positions_tab:
    data_table(
        org.list_positions(db, user).drop("dept_id"),
        key="org.positions",
        file_stem=t("org.positions_file"),
        scope="position",
    )
