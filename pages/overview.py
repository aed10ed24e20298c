"""绩效总览: the department × period heatmap of closed cycles (mean score, share of A, share of C)."""

import streamlit as st

from core import analytics
from ui.charts import HEATMAP_MEASURES, department_heatmap, heatmap_caption
from ui.i18n import option_labels, t
from ui.navigation import require_app_navigation
from ui.resources import database
from ui.widgets import data_table, empty_state

require_app_navigation()
st.title(t("overview.title"), anchor=False)
db = database()

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

cells = analytics.department_period_scores(db, kind)
people = analytics.people_in_closed_cycles(db, kind)
st.subheader(t("overview.heatmap_title", measure=measure_labels[measure]), anchor=False)
st.altair_chart(department_heatmap(cells, measure), width="stretch")
st.caption(heatmap_caption(cells, measure, kind, people))

with st.expander(t("overview.table")):
    data_table(
        cells.drop("dept_id", "hidden"),
        key="overview.cells",
        file_stem=t("overview.cells_file"),
        scope="cell",
    )
