"""Shared parts of the KPI screens (指标库, 岗位模板, 变更审批): library, template and change-request tables,
a request's detail with its field-by-field diff and steps, and core's refusals shown as errors.

Every value that came from a user or a file is shown through ``st.text``, a table cell or ``plain``; never
as HTML.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

import polars as pl
import streamlit as st

from core import kpi_changes, permissions
from core.auth import User
from core.kpi import KpiError
from core.permissions import Forbidden
from core.targets import fmt_number
from ui.i18n import error_text, has_text, t
from ui.widgets import data_table

T = TypeVar("T")

KPI_COLUMNS = ("kpi_id", "name", "category", "unit", "direction", "method", "data_source", "status", "version")
ITEM_COLUMNS = ("kpi_id", "name", "category", "weight", "target", "floor", "stretch")


def may_propose(user: User) -> bool:
    """Whether the user's roles may file change requests (core checks the department again)."""
    return permissions.allowed(user, "propose_kpi_change")


def code_label(prefix: str, code: object) -> str:
    """The translation of a code (``<prefix>.<code>``), or the code itself."""
    if code is None:
        return ""
    key = f"{prefix}.{code}"
    return t(key) if has_text(key) else str(code)


def value_text(value: object) -> str:
    """A before/after value as text: numbers as people write them, lists one item per ``；``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return fmt_number(float(value))
    if isinstance(value, list | tuple):
        return "；".join(value_text(v) for v in value)
    return str(value)


def run_core(action: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """Call a core function; show its KpiError / Forbidden message as an error (None) instead."""
    try:
        return action(*args, **kwargs)
    except (KpiError, Forbidden) as err:
        st.error(error_text(err), icon=":material/error:")  # core's own sentence; shown as text by st.error's Markdown
        return None


def kpi_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """Library rows as a table with translated direction, method, source and status."""
    schema = {c: pl.String for c in KPI_COLUMNS} | {"version": pl.Int64}
    records = [
        {
            **{c: (None if r.get(c) is None else str(r.get(c))) for c in KPI_COLUMNS if c != "version"},
            "direction": code_label("kpi.direction", r.get("direction")),
            "method": code_label("kpi.method", r.get("method")),
            "data_source": code_label("kpi.source", r.get("data_source")),
            "status": code_label("kpi.status", r.get("status")),
            "version": r.get("version"),
        }
        for r in rows
    ]
    return pl.DataFrame(records, schema=schema, orient="row") if records else pl.DataFrame(schema=schema)


def versions_frame(versions: list[dict[str, Any]]) -> pl.DataFrame:
    """A KPI's approved versions, newest first."""
    schema = {"version": pl.Int64, "name": pl.String, "category": pl.String, "unit": pl.String,
              "method": pl.String, "status": pl.String, "valid_from": pl.Datetime, "change_id": pl.String}  # fmt: skip
    records = [
        {
            "version": v.get("version"),
            "name": v.get("name"),
            "category": v.get("category"),
            "unit": v.get("unit"),
            "method": code_label("kpi.method", v.get("method")),
            "status": code_label("kpi.status", v.get("status")),
            "valid_from": v.get("valid_from"),
            "change_id": v.get("change_id"),
        }
        for v in reversed(versions)
    ]
    return pl.DataFrame(records, schema=schema, orient="row") if records else pl.DataFrame(schema=schema)


def items_frame(items: list[dict[str, Any]]) -> pl.DataFrame:
    """A template version's items."""
    schema = {"kpi_id": pl.String, "name": pl.String, "category": pl.String, "weight": pl.Float64,
              "target": pl.Float64, "floor": pl.Float64, "stretch": pl.Float64}  # fmt: skip
    records = [{c: it.get(c) for c in ITEM_COLUMNS} for it in items]
    return pl.DataFrame(records, schema=schema, orient="row") if records else pl.DataFrame(schema=schema)


def _step_text(change: dict[str, Any]) -> str:
    return code_label("chg.step", change["step"]) if change.get("status") == "pending" else t("chg.step.done")


def changes_frame(changes: list[dict[str, Any]]) -> pl.DataFrame:
    """Change requests as a table: id, kind, subject, who and when, status, current step, reason."""
    schema = {"change_id": pl.String, "kind": pl.String, "subject_id": pl.String, "requested_by": pl.String,
              "requested_at": pl.Datetime, "status": pl.String, "step": pl.String, "reason": pl.String}  # fmt: skip
    records = [
        {
            "change_id": c["change_id"],
            "kind": code_label("chg.kind", c["kind"]),
            "subject_id": c["subject_id"],
            "requested_by": c["requested_by"],
            "requested_at": c["requested_at"],
            "status": code_label("chg.status", c["status"]),
            "step": _step_text(c),
            "reason": c.get("reason"),
        }
        for c in changes
    ]
    return pl.DataFrame(records, schema=schema, orient="row") if records else pl.DataFrame(schema=schema)


def diff_frame(change: dict[str, Any]) -> pl.DataFrame:
    """What a request changes, one row per field (core.kpi_changes.change_diff)."""
    schema = {"item": pl.String, "label": pl.String, "before": pl.String, "after": pl.String}
    records = [
        {"item": d["item"], "label": d["label"], "before": value_text(d["before"]), "after": value_text(d["after"])}
        for d in kpi_changes.change_diff(change)
    ]
    return pl.DataFrame(records, schema=schema, orient="row") if records else pl.DataFrame(schema=schema)


def steps_frame(steps: list[dict[str, Any]]) -> pl.DataFrame:
    """The decided steps of a request."""
    schema = {"step": pl.String, "approver": pl.String, "decision": pl.String, "comment": pl.String,
              "decided_at": pl.Datetime}  # fmt: skip
    records = [
        {
            "step": code_label("chg.step", s["step"]),
            "approver": s["approver"],
            "decision": code_label("chg.decision", s["decision"]),
            "comment": s.get("comment"),
            "decided_at": s.get("decided_at"),
        }
        for s in steps
    ]
    return pl.DataFrame(records, schema=schema, orient="row") if records else pl.DataFrame(schema=schema)


def _when(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if isinstance(value, dt.datetime) else value_text(value)


def show_change(change: dict[str, Any], *, key: str) -> None:
    """A request's detail: kind and subject, who asked when, reason, the field-by-field diff and the steps."""
    st.subheader(change["change_id"], anchor=False)
    st.text(t("chg.summary", kind=code_label("chg.kind", change["kind"]), subject=change["subject_id"]))
    st.text(
        t(
            "chg.meta",
            who=change["requested_by"],
            when=_when(change["requested_at"]),
            status=code_label("chg.status", change["status"]),
            step=_step_text(change),
        )
    )
    st.text(t("chg.reason", reason=change.get("reason") or ""))
    st.markdown(f"**{t('chg.diff')}**")
    diff = diff_frame(change)
    if diff.height:
        data_table(diff, key=f"{key}.diff", file_stem=None, scope="diff")
    else:
        st.caption(t("chg.no_diff"))
    st.markdown(f"**{t('chg.steps')}**")
    steps = change.get("steps") or []
    if steps:
        data_table(steps_frame(steps), key=f"{key}.steps", file_stem=None, scope="steps")
    else:
        st.caption(t("chg.no_steps"))
