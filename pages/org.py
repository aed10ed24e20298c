"""组织与人员: departments, positions and people, searchable."""

import streamlit as st

from core import org
from ui.i18n import t
from ui.navigation import require_app_navigation
from ui.resources import database
from ui.widgets import data_table, empty_state, translate_values

require_app_navigation()
st.title(t("org.title"), anchor=False)
db = database()

counts = org.org_counts(db)
if not any(counts.values()):
    empty_state(t("org.empty"))
    st.stop()

departments_metric, positions_metric, people_metric = st.columns(3)
departments_metric.metric(t("org.departments"), counts["departments"])
positions_metric.metric(t("org.positions"), counts["positions"])
people_metric.metric(t("org.active_people"), counts["employees"])

departments = org.list_departments(db)
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
    statuses = org.EMPLOYEE_STATUSES if with_former else ("active",)
    people = org.search_employees(db, text, dept_id=dept_id, statuses=statuses)
    st.caption(t("org.people_found", n=people.height))
    data_table(
        translate_values(people, "status", "employee_status"),
        key="org.people",
        file_stem=t("org.people_file"),
        scope="employee",
    )

with departments_tab:
    data_table(departments, key="org.departments", file_stem=t("org.departments_file"), scope="department")

with positions_tab:
    data_table(
        org.list_positions(db).drop("dept_id"),
        key="org.positions",
        file_stem=t("org.positions_file"),
        scope="position",
    )
