"""目标制定: the employee proposes a target and a note per KPI; the direct manager reviews the proposals,
adjusts target, floor and stretch (never the weights) and approves the goals (confirmed first), which
opens the mid-term review.

The editor works on a snapshot of the items and the ``row_version`` they were read at, kept in
session_state with the editor's own edits: a save refused because someone else saved in between
(core.cycle.Conflict) loses nothing, and 载入最新版本 refreshes the snapshot while keeping the edits."""

from typing import Any

import polars as pl
import streamlit as st

from core import appraisal_edits, vocabulary
from core.stages import EMPLOYEE, GOALS, MANAGER
from ui import session
from ui.appraisal import method_label, run_cycle
from ui.goals import (
    history_section,
    relabel,
    stage_page,
)
from ui.i18n import t
from ui.navigation import require_app_navigation
from ui.widgets import EMPTY_CELL, ask_first, confirm_first, flash, plain

SNAPSHOT_KEY = "goals.snapshot.{id}"  # {"version": row_version, "items": frame} the editor was shown with
GENERATION_KEY = "goals.generation.{id}"  # bumped after a save, so the editor starts from the saved values
TEMPLATE_COLUMNS = ("kpi_name", "category", "method", "weight", "unit", "target_value", "floor", "stretch")
EDITABLE = {"employee": ("proposed_target", "goal_note"), "manager": ("target_value", "floor", "stretch")}


def editor_key(appraisal_id: str, mode: str) -> str:
    return f"goals.editor.{appraisal_id}.{mode}.{st.session_state.get(GENERATION_KEY.format(id=appraisal_id), 0)}"


def snapshot(appraisal_id: str, detail: dict[str, Any], key: str) -> dict[str, Any]:
    """The items and version the editor shows: taken afresh while the user has no edits in it, kept while
    they have (so a save names the version their edits were based on)."""
    slot = SNAPSHOT_KEY.format(id=appraisal_id)
    snap = st.session_state.get(slot)
    editing = bool((st.session_state.get(key) or {}).get("edited_rows"))
    if snap is None or (snap["version"] != detail["row_version"] and not editing):
        snap = {"version": detail["row_version"], "items": detail["items"]}
        st.session_state[slot] = snap
    return snap


def reload(appraisal_id: str) -> None:
    """Take the latest version as the editor's base; the edits in the editor stay."""
    st.session_state.pop(SNAPSHOT_KEY.format(id=appraisal_id), None)


def after_save(appraisal_id: str, message: str) -> None:
    st.session_state.pop(SNAPSHOT_KEY.format(id=appraisal_id), None)
    slot = GENERATION_KEY.format(id=appraisal_id)
    st.session_state[slot] = st.session_state.get(slot, 0) + 1
    flash(message)
    st.rerun()


def goal_editor(items: pl.DataFrame, mode: str, key: str) -> pl.DataFrame:
    frame = items.select(
        "kpi_id",
        "kpi_name",
        "category",
        relabel(items, "method", method_label),
        "weight",
        "unit",
        *(pl.col(c).cast(pl.Float64) for c in ("target_value", "floor", "stretch", "proposed_target")),
        pl.col("goal_note").cast(pl.String),
    )
    column = st.column_config
    config: dict[str, Any] = {
        "kpi_name": column.TextColumn(t("col.goals.kpi_name"), width=110),
        **{c: column.NumberColumn(t(f"col.goals.{c}"), width=80, format="%g") for c in TEMPLATE_COLUMNS[5:]},
        "proposed_target": column.NumberColumn(t("col.goals.proposed_target"), width=90, format="%g"),
        "goal_note": column.TextColumn(t("col.goals.goal_note"), width=165, max_chars=vocabulary.MAX_TEXT),
        "unit": column.TextColumn(t("col.goals.unit"), width=45),
        "weight": column.NumberColumn(t("col.goals.weight"), width=50, format="%g"),
        "category": column.TextColumn(t("col.goals.category"), width=60),
        "method": column.TextColumn(t("col.goals.method"), width=135),
    }
    editable = EDITABLE.get(mode, ())
    disabled = [c for c in frame.columns if c not in editable]
    # what this user fills in right after the KPI, the template's settings after it: the grid fits 1366 px
    order = ["kpi_name", *dict.fromkeys([*editable, *EDITABLE["manager"], *EDITABLE["employee"]]),
             "unit", "weight", "category", "method"]  # fmt: skip
    edited = st.data_editor(
        frame,
        key=key,
        hide_index=True,
        width="stretch",
        num_rows="fixed",
        placeholder=EMPTY_CELL,
        disabled=disabled,
        column_order=order,
        column_config=config,
    )
    return edited if isinstance(edited, pl.DataFrame) else pl.from_pandas(edited)


def changes(edited: pl.DataFrame, mode: str) -> dict[str, dict[str, Any]]:
    """kpi_id -> the editable fields of every row (core takes the whole set)."""
    fields = EDITABLE[mode]
    return {row["kpi_id"]: {f: row[f] for f in fields} for row in edited.iter_rows(named=True)}


def dirty(key: str) -> bool:
    return bool((st.session_state.get(key) or {}).get("edited_rows"))


require_app_navigation()
user, db = session.require_screen("goals")
st.title(t("nav.goals"), anchor=False)
detail = stage_page(db, user, GOALS, "goals")
appraisal_id = detail["appraisal_id"]
if detail["stage"] != GOALS:
    history_section(detail, key="goals.history")
    st.stop()

roles = detail["roles"]
mode = "employee" if EMPLOYEE in roles else "manager" if MANAGER in roles else "view"
st.caption(t(f"goals.role.{mode}"))
if mode == "manager":
    st.caption(t("goals.weights_fixed"))
key = editor_key(appraisal_id, mode)
snap = snapshot(appraisal_id, detail, key)
edited = goal_editor(snap["items"], mode, key)

if mode in EDITABLE:
    if dirty(key):
        st.caption(t("goals.unsaved"))
    save_col, reload_col, approve_col = st.columns(3)
    if save_col.button(t("goals.save"), key=f"goals.save.{appraisal_id}", type="primary", icon=":material/save:"):
        saved = run_cycle(
            appraisal_edits.save_goals, db, user, appraisal_id, changes(edited, mode), version=snap["version"]
        )
        if saved is not None:
            after_save(appraisal_id, t("goals.saved"))
    if snap["version"] != detail["row_version"]:  # someone saved since the editor was filled
        reload_col.button(
            t("goals.reload"), key=f"goals.reload.{appraisal_id}", icon=":material/refresh:",
            on_click=reload, args=(appraisal_id,),
        )  # fmt: skip
    if mode == "manager":
        proposals = {
            r["kpi_id"]: {"target_value": r["proposed_target"]}
            for r in snap["items"].iter_rows(named=True)
            if r["proposed_target"] is not None and r["proposed_target"] != r["target_value"]
        }
        if proposals and reload_col.button(
            t("goals.adopt"), key=f"goals.adopt.{appraisal_id}", icon=":material/done_all:"
        ):
            if dirty(key):
                st.error(t("goals.save_first"), icon=":material/error:")
            elif (
                run_cycle(appraisal_edits.save_goals, db, user, appraisal_id, proposals, version=snap["version"])
                is not None
            ):
                after_save(appraisal_id, t("goals.adopted"))
        approve_col.button(
            t("goals.approve"), key=f"goals.approve.{appraisal_id}", icon=":material/task_alt:",
            on_click=ask_first, args=("approve", appraisal_id, snap["version"]),
        )  # fmt: skip

        def approve(version: int) -> None:
            if dirty(key):
                st.error(t("goals.save_first"), icon=":material/error:")
                return
            if run_cycle(appraisal_edits.act, db, user, appraisal_id, "approve_goals", version=version) is not None:
                after_save(appraisal_id, t("goals.approved"))

        confirm_first(
            "approve", appraisal_id, t("goals.confirm_approve", employee=plain(detail["employee"] or "")), approve
        )

history_section(detail, key="goals.history")
