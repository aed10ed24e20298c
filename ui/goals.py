"""Pieces shared by 我的待办, 目标制定 and 中期回顾: which appraisals a user may pick in a stage, one
audited read per session, the progress table with the scoring formulas, the stage history, and a
confirmation step for irreversible moves.

Everything is read through core.appraisal; names, notes and comments are user text and only ever reach the
screen in tables, ``st.text`` or through ``ui.widgets.plain``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl
import streamlit as st

from core import appraisal
from core.auth import User
from core.db import Database
from ui.appraisal import (
    action_label,
    appraisal_card,
    method_label,
    pick_appraisal,
    run_cycle,
    show_formulas,
    source_label,
    stage_label,
)
from ui.i18n import has_text, t
from ui.widgets import data_table, empty_state, show_flash

CHOICE_COLUMNS = {"appraisal_id": pl.String, "employee": pl.String, "cycle": pl.String, "stage": pl.String}


def appraisal_choices(db: Database, user: User, stage: str) -> pl.DataFrame:
    """The appraisals in ``stage`` the user may work on: their own first, then their team's (for HR every
    open appraisal in the stage, read-only unless they are its employee or manager)."""
    frames = []
    own = appraisal.my_appraisals(db, user)
    if not own.is_empty():
        own = own.filter(pl.col("stage") == stage)
        frames.append(
            own.select(
                "appraisal_id",
                pl.lit(user.display_name or t("goals.me")).alias("employee"),
                "cycle",
                "stage",
            )
        )
    team = appraisal.team(db, user, stage=stage)
    if not team.is_empty():
        frames.append(team.select("appraisal_id", "employee", "cycle", "stage"))
    if not frames:
        return pl.DataFrame(schema=CHOICE_COLUMNS)
    frame = pl.concat([f.cast(CHOICE_COLUMNS) for f in frames])  # type: ignore[arg-type]
    return frame.unique("appraisal_id", keep="first", maintain_order=True)


def stage_page(db: Database, user: User, stage: str, prefix: str) -> dict[str, Any]:
    """The common top of 目标制定 and 中期回顾 under the page title: the intro, a one-time message, the
    choice of appraisal in ``stage`` and its card, and a note when the chosen one has left ``stage``.
    Stops the page when there is nothing to choose or the user may not read the choice. Texts are the
    catalog's ``<prefix>.intro / .empty / .pick / .not_in_stage``."""
    st.caption(t(f"{prefix}.intro"))
    show_flash()
    choices = appraisal_choices(db, user, stage)
    if choices.is_empty():
        empty_state(t(f"{prefix}.empty"))
        st.stop()
    appraisal_id = pick_appraisal(choices, key=f"{prefix}.pick", label=t(f"{prefix}.pick"))
    detail = read_appraisal(db, user, appraisal_id) if appraisal_id else None
    if detail is None:
        st.stop()
    assert detail is not None
    appraisal_card(detail)
    if detail["stage"] != stage:
        st.info(t(f"{prefix}.not_in_stage", stage=stage_label(detail["stage"])), icon=":material/info:")
    return detail


def read_appraisal(db: Database, user: User, appraisal_id: str) -> dict[str, Any] | None:
    """core.appraisal.appraisal (core audits the first read of each login session); None, with core's
    refusal shown, when the user may not read it."""
    return run_cycle(appraisal.appraisal, db, user, appraisal_id)


def relabel(frame: pl.DataFrame, column: str, label: Callable[[Any], str]) -> pl.Expr:
    """``column`` with each code replaced by its label, the labels looked up here in the script thread
    (Polars may run a Python function elsewhere, where the session's language is not known)."""
    codes = [c for c in frame.get_column(column).unique().to_list() if c is not None]
    return pl.col(column).replace_strict({c: label(c) for c in codes}, default=None, return_dtype=pl.String)


def _role_label(role: str | None) -> str:
    return t(f"event.role.{role}") if role and has_text(f"event.role.{role}") else (role or "")


def progress_section(db: Database, user: User, appraisal_id: str, *, key: str) -> None:
    """KPI, weight, target, the actual so far (as of, source), attainment and the score so far, then how
    each method is scored (core's formula; English from the catalog)."""
    frame = run_cycle(appraisal.progress, db, user, appraisal_id)
    if frame is None:
        return
    if frame.is_empty():
        empty_state(t("tasks.no_items"))
        return
    shown = frame.select(
        "kpi",
        "category",
        relabel(frame, "method", method_label),
        "weight",
        "target",
        "actual",
        "unit",
        "as_of",
        relabel(frame, "source", source_label),
        "share_attained",
        "score",
    )
    data_table(shown, key=key, file_stem=t("tasks.progress_file"), scope="progress")
    show_formulas(frame.get_column("method").to_list())


def history_section(detail: dict[str, Any], *, key: str) -> None:
    """The appraisal's stage events, compactly, in an expander."""
    events: pl.DataFrame = detail["events"]
    with st.expander(t("goals.history"), icon=":material/history:"):
        if events.is_empty():
            st.caption(t("goals.no_history"))
            return
        shown = events.select(
            "at",
            "actor",
            relabel(events, "role", _role_label),
            relabel(events, "action", action_label),
            relabel(events, "from_stage", stage_label),
            relabel(events, "to_stage", stage_label),
            "comment",
        )
        data_table(shown, key=key, file_stem=None, scope="events")


def checkins_frame(checkins: pl.DataFrame) -> pl.DataFrame:
    """Check-ins for display: role translated, progress percent as a share."""
    return checkins.select(
        "at",
        "author",
        relabel(checkins, "role", _role_label),
        "kpi",
        "note",
        (pl.col("progress").cast(pl.Float64) / 100).alias("share_progress"),
    )
