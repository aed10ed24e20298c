"""Shared pieces of the cycle screens (我的待办, 目标制定, 中期回顾, 自评, 团队评分, 考核周期, 校准).

core.cycle does every check and every read scoping; this module lays things out and turns core's
Chinese refusals into messages. Names, notes and comments are user text: they go into tables,
``st.text`` or through ``ui.widgets.plain``, never into HTML.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import polars as pl
import streamlit as st

from core.cycle import Conflict, CycleError, StageError
from core.permissions import Forbidden
from ui.i18n import has_text, t

T = TypeVar("T")


def stage_label(stage: str | None) -> str:
    """A stage code in the UI language (目标制定 … 已关闭)."""
    return t(f"stage.{stage}") if stage and has_text(f"stage.{stage}") else (stage or "—")


def action_label(action: str) -> str:
    return t(f"action.{action}") if has_text(f"action.{action}") else action


def run_cycle(action: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """Call a core.cycle function; show its Chinese refusal (illegal move, missing input, stale version,
    no permission) as an error and return None instead. A :class:`Conflict` is shown with its own title
    so the user knows their input is still in the form."""
    try:
        return action(*args, **kwargs)
    except Conflict as err:
        st.error(f"**{t('cycle.conflict')}** — {err}", icon=":material/sync_problem:")
        return None
    except (CycleError, StageError, Forbidden) as err:
        st.error(str(err), icon=":material/error:")
        return None


def pick_appraisal(frame: pl.DataFrame, *, key: str, label: str) -> str | None:
    """A select box over appraisals (``appraisal_id``, ``employee``, ``cycle``, ``stage`` columns);
    returns the chosen appraisal_id. A ``?appraisal=`` query parameter preselects one (from 我的待办)."""
    if frame.is_empty():
        return None
    ids = frame.get_column("appraisal_id").to_list()
    labels = {
        r["appraisal_id"]: f"{r.get('employee') or ''} · {r.get('cycle') or ''} · {stage_label(r.get('stage'))}"
        for r in frame.iter_rows(named=True)
    }
    wanted = st.query_params.get("appraisal")
    index = ids.index(wanted) if wanted in ids else 0
    return st.selectbox(label, ids, index=index, format_func=labels.get, key=key)


def appraisal_card(detail: dict[str, Any]) -> None:
    """Who, which cycle, stage, due date and the scores so far (all as plain text)."""
    with st.container(border=True):
        a, b, c, d = st.columns(4)
        a.caption(t("appraisal.employee"))
        a.text(f"{detail.get('employee') or ''}（{detail.get('employee_id')}）")
        b.caption(t("appraisal.cycle"))
        b.text(detail.get("cycle") or "")
        c.caption(t("appraisal.stage"))
        c.text(stage_label(detail.get("stage")))
        d.caption(t("appraisal.due"))
        due = detail.get("due")
        d.text(due.isoformat() if due else "—")
        e, f, g, h = st.columns(4)
        e.caption(t("appraisal.position"))
        e.text(f"{detail.get('department') or ''} · {detail.get('position') or ''}")
        f.caption(t("appraisal.manager"))
        f.text(detail.get("manager") or "—")
        g.caption(t("appraisal.score"))
        score = detail.get("final_score")
        g.text(f"{score:.1f}" if score is not None else "—")
        h.caption(t("appraisal.grade"))
        h.text(detail.get("calibrated_grade") or detail.get("grade") or "—")
