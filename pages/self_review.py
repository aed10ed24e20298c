"""自评: the signed-in person's own appraisal in 期末自评 — per item the KPI, their own rating (a rubric
item on its 1–5 levels, like the manager rates it, any other item a score 0–120) and comment first, then
the scale that applies, weight, target, the actual so far and where it came from; below, how each item is
scored. Save a draft (optimistic row_version, the input survives a refused save) or submit (confirmed
first; core refuses while an item has no self rating)."""

import polars as pl
import streamlit as st

from core import appraisal, appraisal_edits
from core.stages import SELF_ASSESSMENT
from ui import session
from ui.appraisal import appraisal_card, pick_appraisal, run_cycle, show_item_guide, source_label, stage_label
from ui.i18n import t
from ui.navigation import require_app_navigation
from ui.rating import (
    Draft,
    editor_frame,
    one_decimal,
    save_draft,
    self_scale,
    stale_notice,
    submit_draft,
)
from ui.widgets import EMPTY_CELL, ask_first, confirm_first, data_table, empty_state, plain, show_flash

# the columns to fill in first, right after the KPI; the widths (px) keep the grid inside a 1366 px laptop
COLUMNS = ("kpi", "self_input", "self_comment", "scale", "weight", "target", "unit", "actual", "source", "as_of")

require_app_navigation()
user, db = session.require_screen("self_review")
st.title(t("nav.self_review"), anchor=False)
st.caption(t("self.intro"))
show_flash()

if user.employee_id is None:
    empty_state(t("self.no_employee"))
    st.stop()

mine = appraisal.my_appraisals(db, user)
current = mine.filter(pl.col("stage") == SELF_ASSESSMENT) if not mine.is_empty() else mine
if current.is_empty():
    empty_state(t("self.none_open"))
    if not mine.is_empty():
        st.markdown(f"**{t('self.my_open')}**")
        view = mine.select("cycle", "period", pl.col("stage").map_elements(stage_label, return_dtype=pl.String))
        data_table(view, key="self.mine", file_stem=None, scope="self")
    st.stop()

appraisal_id = pick_appraisal(current.with_columns(employee=pl.lit(user.label)), key="self.pick", label=t("self.pick"))
assert appraisal_id is not None
detail = appraisal.appraisal(db, user, appraisal_id)
appraisal_card(detail)
items = detail["items"]

# returned by the manager: their reason, as plain text
events = detail["events"]
if not events.is_empty():
    last = events.row(events.height - 1, named=True)
    if last["action"] == "return" and last["to_stage"] == SELF_ASSESSMENT:
        when = last["at"].strftime("%Y-%m-%d %H:%M") if last["at"] else ""
        st.warning(t("self.returned", at=when), icon=":material/undo:")
        st.text(last["comment"] or "")


def build() -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "kpi_id": r["kpi_id"],
                "kpi": r["kpi_name"] or r["kpi_id"],
                "self_input": r["self_input"],
                "self_comment": r["self_comment"],
                "scale": self_scale(r["method"], r["rubric"]),
                "weight": r["weight"],
                "target": r["target_value"],
                "unit": r["unit"],
                "actual": r["actual_value"],
                "source": source_label(r["actual_source"]),
                "as_of": r["actual_as_of"],
            }
            for r in items.iter_rows(named=True)
        ],
        schema={
            "kpi_id": pl.String, "kpi": pl.String, "self_input": pl.Float64, "self_comment": pl.String,
            "scale": pl.String, "weight": pl.Float64, "target": pl.Float64, "unit": pl.String, "actual": pl.Float64,
            "source": pl.String, "as_of": pl.Date,
        },
        orient="row",
    )  # fmt: skip


draft = Draft("self", appraisal_id)
base_version, base = draft.base(detail["row_version"], build)
stale_notice(draft, base_version, detail["row_version"], detail.get("updated_by"))

st.subheader(t("self.items"), anchor=False)
st.caption(t("self.editor_help"))
column = st.column_config
edited = st.data_editor(
    base,
    key=draft.editor_key,
    hide_index=True,
    width="stretch",
    num_rows="fixed",
    placeholder=EMPTY_CELL,
    column_order=COLUMNS,
    disabled=["kpi_id", "kpi", "scale", "weight", "target", "unit", "actual", "source", "as_of"],
    column_config={
        "kpi": column.TextColumn(t("col.self.kpi"), width=115),
        "self_input": column.NumberColumn(
            t("col.self.self_score"),
            width=80,
            min_value=0.0,
            max_value=120.0,
            step=0.1,
            format="%g",
            help=t("self.score_help"),
        ),
        "self_comment": column.TextColumn(t("col.self.self_comment"), width=160, max_chars=2000),
        "scale": column.TextColumn(t("col.self.scale"), width=150, help=t("self.scale_help")),
        "weight": column.NumberColumn(t("col.self.weight"), width=50, format="%g"),
        "target": column.NumberColumn(t("col.self.target"), width=60, format="%g"),
        "unit": column.TextColumn(t("col.self.unit"), width=45),
        "actual": column.NumberColumn(t("col.self.actual"), width=65, format="%g", help=t("self.actual_help")),
        "source": column.TextColumn(t("col.self.source"), width=75),
        "as_of": column.DateColumn(t("col.self.as_of"), width=95, format="YYYY-MM-DD"),
    },
)
frame = editor_frame(edited)
show_item_guide(items, expanded=True)

total_col, score_col = st.columns(2)
total_col.metric(t("self.self_total"), one_decimal(detail.get("self_score")))
score_col.metric(t("self.score_now"), one_decimal(detail.get("final_score")))
st.caption(t("self.total_help"))


def edits() -> dict[str, dict[str, object]]:
    return {
        r["kpi_id"]: {"self_input": r["self_input"], "self_comment": r["self_comment"]}
        for r in frame.iter_rows(named=True)
    }


def save() -> int | None:
    """Save the editor's content on the version it was based on; the new row_version, or None if refused."""
    return run_cycle(appraisal_edits.save_self, db, user, appraisal_id, edits(), version=base_version)


def submit() -> None:
    submit_draft(
        draft, base_version, save,
        lambda version: run_cycle(appraisal_edits.act, db, user, appraisal_id, "submit_self", version=version),
        t("self.submitted", cycle=plain(detail["cycle"])),
    )  # fmt: skip


save_col, submit_col = st.columns(2)  # side by side on a laptop, stacked full width on a phone
if save_col.button(t("self.save"), key="self.save", icon=":material/save:", width="stretch"):
    save_draft(draft, save, "self.saved")
submit_col.button(
    t("self.submit"), key="self.submit", type="primary", icon=":material/send:", width="stretch",
    on_click=ask_first, args=("submit_self", appraisal_id),
)  # fmt: skip
confirm_first("submit_self", appraisal_id, t("self.confirm_submit"), submit, key_prefix="rating.")
