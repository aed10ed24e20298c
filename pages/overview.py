"""绩效总览: the department × period heatmap of closed cycles (mean score, share of A, share of C) over
the people the signed-in user may see in aggregate; cells of fewer than 3 people stay blank for anyone
but HR."""

import streamlit as st

from core import analytics, permissions
from ui import session
from ui.charts import HEATMAP_MEASURES, department_heatmap, heatmap_caption
from ui.i18n import option_labels, t
from ui.navigation import require_app_navigation
from ui.widgets import data_table, empty_state

require_app_navigation()
user, db = session.require_screen("overview")
st.title(t("overview.title"), anchor=False)

kinds = analytics.closed_cycle_kinds(db)
if not kinds:
    empty_state(t("overview.empty"))
    st.stop()

kind_col, measure_col = st.columns([1, 2])
kind_labels = option_labels("kind", kinds)
kind = kind_col.selectbox(t("overview.kind"), kinds, format_func=kind_labels.get, key="overview.kind")
measure_labels = option_labels("measure", HEATMAP_MEASURES)
measure = measure_col.segmented_control(
    t("overview.measure"),
    list(HEATMAP_MEASURES),
    default="mean_score",
    required=True,
    format_func=measure_labels.get,
    key="overview.measure",
)

cells = analytics.department_period_scores(db, user, kind)
if cells.is_empty():
    empty_state(t("overview.empty_scope"))
    st.stop()
people = analytics.people_in_closed_cycles(db, user, kind)
st.subheader(t("overview.heatmap_title", measure=measure_labels[measure]), anchor=False)
st.altair_chart(department_heatmap(cells, measure), width="stretch")
st.caption(heatmap_caption(cells, measure, kind, people))
hidden = cells.filter(cells["hidden"]).height
if hidden:
    st.caption(t("overview.hidden_cells", n=hidden, min=permissions.smallest_shown_cell(user)))

with st.expander(t("overview.table")):
    data_table(
        cells.drop("dept_id", "hidden"),
        key="overview.cells",
        file_stem=t("overview.cells_file"),
        scope="cell",
    )
