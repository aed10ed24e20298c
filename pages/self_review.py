"""自评: the signed-in person's own appraisal in 期末自评 — per item the KPI, weight, target, the actual so
far and where it came from, the formula it is scored by, and their own score (0–120) and comment; save a
draft (optimistic row_version, the input survives a refused save) or submit (confirmed first; core refuses
while an item has no self score)."""

import polars as pl
import streamlit as st

from core import appraisal, appraisal_edits
from core.stages import SELF_ASSESSMENT
from ui import session
from ui.appraisal import (
    appraisal_card,
    method_label,
    pick_appraisal,
    run_cycle,
    show_formulas,
    source_label,
    stage_label,
)
from ui.i18n import t
from ui.navigation import require_app_navigation
from ui.rating import (
    Draft,
    editor_frame,
    one_decimal,
    save_draft,
    stale_notice,
    submit_draft,
)
from ui.widgets import ask_first, confirm_first, data_table, empty_state, plain, show_flash

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
                "category": r["category"],
                "method": method_label(r["method"]),
                "weight": r["weight"],
                "target": r["target_value"],
                "unit": r["unit"],
                "actual": r["actual_value"],
                "source": source_label(r["actual_source"]),
                "as_of": r["actual_as_of"],
                "self_input": r["self_input"],
                "self_comment": r["self_comment"],
            }
            for r in items.iter_rows(named=True)
        ],
        schema={
            "kpi_id": pl.String, "kpi": pl.String, "category": pl.String, "method": pl.String,
            "weight": pl.Float64, "target": pl.Float64, "unit": pl.String, "actual": pl.Float64,
            "source": pl.String, "as_of": pl.Date, "self_input": pl.Float64, "self_comment": pl.String,
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
    column_order=[
        "kpi",
        "category",
        "method",
        "weight",
        "target",
        "unit",
        "actual",
        "source",
        "as_of",
        "self_input",
        "self_comment",
    ],
    disabled=["kpi_id", "kpi", "category", "method", "weight", "target", "unit", "actual", "source", "as_of"],
    column_config={
        "kpi": column.TextColumn(t("col.self.kpi"), width="medium"),
        "category": column.TextColumn(t("col.self.category")),
        "method": column.TextColumn(t("col.self.method")),
        "weight": column.NumberColumn(t("col.self.weight"), format="%g"),
        "target": column.NumberColumn(t("col.self.target"), format="%g"),
        "unit": column.TextColumn(t("col.self.unit")),
        "actual": column.NumberColumn(t("col.self.actual"), format="%g", help=t("self.actual_help")),
        "source": column.TextColumn(t("col.self.source")),
        "as_of": column.DateColumn(t("col.self.as_of"), format="YYYY-MM-DD"),
        "self_input": column.NumberColumn(
            t("col.self.self_score"),
            min_value=0.0,
            max_value=120.0,
            step=0.1,
            format="%.1f",
            help=t("self.score_help"),
        ),
        "self_comment": column.TextColumn(t("col.self.self_comment"), max_chars=2000, width="large"),
    },
)
frame = editor_frame(edited)
show_formulas(items.get_column("method").to_list(), expanded=True)

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


save_col, submit_col = st.columns(2)
if save_col.button(t("self.save"), key="self.save", icon=":material/save:"):
    save_draft(draft, save, "self.saved")
submit_col.button(
    t("self.submit"), key="self.submit", type="primary", icon=":material/send:",
    on_click=ask_first, args=("submit_self", appraisal_id),
)  # fmt: skip
confirm_first("submit_self", appraisal_id, t("self.confirm_submit"), submit, key_prefix="rating.")
