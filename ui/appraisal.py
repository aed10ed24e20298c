"""Shared pieces of the cycle screens (我的待办, 目标制定, 中期回顾, 自评, 团队评分, 考核周期, 校准).

core does every check and every read scoping; this module lays things out and shows core's
refusals as messages in the session's language. Names, notes and comments are user text: they go into tables,
``st.text`` or through ``ui.widgets.plain``, never into HTML.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import polars as pl
import streamlit as st

from core import scoring
from core.errors import Conflict, CoreError
from core.permissions import Forbidden
from core.vocabulary import ACTUAL_SOURCES
from ui.i18n import current_language, error_text, has_text, t
from ui.kpi import code_label
from ui.rating import levels_text, one_decimal

T = TypeVar("T")


def stage_label(stage: str | None) -> str:
    """A stage code in the UI language (目标制定 … 已关闭)."""
    return code_label("stage", stage) or "—"


def action_label(action: str) -> str:
    return code_label("action", action)


def method_label(method: str | None) -> str:
    if method and has_text(f"rating.method.{method}"):  # 上级评定 would read as the stage here
        return t(f"rating.method.{method}")
    if method and has_text(f"kpi.method.{method}"):
        return t(f"kpi.method.{method}")
    return method or "—"


def formula_text(method: str | None) -> str:
    """How an item of ``method`` is scored, as the employee reads it (core.scoring.FORMULAS in Chinese)."""
    if not method:
        return ""
    if current_language() != "en":
        return scoring.FORMULAS.get(method, "")
    return t(f"formula.{method}") if has_text(f"formula.{method}") else scoring.FORMULAS.get(method, "")


def source_label(code: str | None) -> str | None:
    """Where an actual came from (core.vocabulary.ACTUAL_SOURCES in Chinese); None when there is no actual."""
    if code is None:
        return None
    if current_language() != "en":
        return ACTUAL_SOURCES.get(code, code)
    return t(f"source.{code}") if has_text(f"source.{code}") else code


def show_formulas(methods: list[str | None], *, expanded: bool = False) -> None:
    """The formula of every method used, once each, as plain text."""
    seen = [m for m in dict.fromkeys(methods) if m]
    if not seen:
        return
    with st.expander(t("formulas.title"), expanded=expanded, icon=":material/function:"):
        for method in seen:
            st.text(f"{method_label(method)}：{formula_text(method)}")


def show_item_guide(items: pl.DataFrame, *, expanded: bool = False) -> None:
    """Per item, as plain text: its method and formula, a rubric's level texts, and where its actual came
    from and when — the long read-only text kept out of the editors so they fit a laptop screen."""
    if items.is_empty():
        return
    with st.expander(t("guide.title"), expanded=expanded, icon=":material/function:"):
        for r in items.iter_rows(named=True):
            line = t(
                "guide.line",
                kpi=r["kpi_name"] or r["kpi_id"],
                method=method_label(r["method"]),
                formula=formula_text(r["method"]),
            )
            levels = levels_text(r["rubric"]) if r["method"] == "rubric" else ""
            if levels:
                line += t("guide.levels", levels=levels)
            if r["actual_source"] is not None:
                as_of = r["actual_as_of"].isoformat() if r["actual_as_of"] else "—"
                line += t("guide.actual", source=source_label(r["actual_source"]) or "", as_of=as_of)
            st.text(line)


def run_cycle(action: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """Call a core function of the cycle; show its refusal (illegal move, missing input, stale version,
    no permission) as an error and return None instead. A :class:`Conflict` is shown with its own title
    so the user knows their input is still in the form."""
    try:
        return action(*args, **kwargs)
    except Conflict as err:
        st.error(f"**{t('cycle.conflict')}** — {error_text(err)}", icon=":material/sync_problem:")
        return None
    except (CoreError, Forbidden) as err:
        st.error(error_text(err), icon=":material/error:")
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
    """Who, which cycle, stage, due date (with core's days overdue) and the scores so far (all as plain text)."""
    with st.container(border=True):
        a, b, c, d = st.columns(4)
        a.caption(t("appraisal.employee"))
        a.text(f"{detail.get('employee') or ''}（{detail.get('employee_id')}）")
        b.caption(t("appraisal.cycle"))
        b.text(detail.get("cycle") or "")
        c.caption(t("appraisal.stage"))
        c.text(stage_label(detail.get("stage")))
        d.caption(t("appraisal.due"))
        due, late = detail.get("due"), detail.get("days_overdue") or 0  # core's count of days overdue
        d.text(
            t("appraisal.due_overdue", due=due.isoformat(), n=late) if due and late else due.isoformat() if due else "—"
        )
        e, f, g, h = st.columns(4)
        e.caption(t("appraisal.position"))
        e.text(f"{detail.get('department') or ''} · {detail.get('position') or ''}")
        f.caption(t("appraisal.manager"))
        f.text(detail.get("manager") or "—")
        g.caption(t("appraisal.score"))
        g.text(one_decimal(detail.get("final_score")))
        h.caption(t("appraisal.grade"))
        h.text(grade_text(detail.get("effective_grade"), detail.get("grade_computed")))


def grade_text(grade: str | None, computed: str | None) -> str:
    """The grade as the record states it; else, for imported history whose file states none, the grade
    its score gives, labelled as computed; else a dash."""
    if grade:
        return grade
    return t("appraisal.grade_computed", grade=computed) if computed else "—"
