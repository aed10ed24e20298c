"""The audit trail in words (审计日志): each row's record type and detail as plain text in the UI language,
instead of the stored codes and JSON.

A detail is core's JSON object (``core.audit.record``); each key becomes a label from the catalog
(``audit.key.<key>``, the key itself when it has none) and each value a short text: codes of stages,
roles, sources, statuses, grades and reasons by their labels, lists joined, objects as name–value pairs.
The result only ever goes into table cells, never into Markdown or HTML.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import polars as pl

from core.vocabulary import STAGE_ORDER
from ui.i18n import has_text, t

LIST_SHOWN = 10  # items of a long list (KPIs added by an import) named before "… N in all"
HASH_SHOWN = 12  # characters of a file's SHA-256 shown
# the order details read in (core stores the keys sorted by name); keys not named here come last
KEY_ORDER = (
    "why", "recent_failures", "failures", "until", "idle_since", "wanted", "role", "from", "to", "roles",
    "employee_id", "hrbp_departments", "kind", "subject_id", "step", "dept_id", "period", "scope", "file",
    "source", "status", "kpi_id", "value", "as_of", "appraisals", "items", "skipped", "template_date", "counts",
    "breaches", "override_reason", "scale", "regraded", "A_max", "C_min", "before", "after", "applied",
    "rows_read", "rows_loaded", "rows_rejected", "rows", "kpis_added", "kpis_changed", "template_versions",
    "approval", "reason", "note", "comment", "message", "sha256",
)  # fmt: skip


def _label(prefix: str, code: object) -> str:
    key = f"{prefix}.{code}"
    return t(key) if has_text(key) else str(code)


def entity_label(entity: str | None) -> str:
    """What kind of record a row is about (用户, 考核, 导入批次 …)."""
    return _label("audit.entity", entity) if entity else ""


def _code(key: str, value: str) -> str:
    """A coded value by its label: stages (a move's from/to), roles, sources, statuses, reasons, reads."""
    if key in ("from", "to") and value in STAGE_ORDER:
        return _label("stage", value)
    prefix = {
        "role": "event.role",
        "roles": "role",
        "source": "source",
        "status": "status",
        "why": "audit.why",
        "wanted": "audit.action",
        "kind": "chg.kind",
        "request_kind": "users.request_kind",
        "scope": "audit.scope",
    }.get(key)
    return _label(prefix, value) if prefix else value


def _value(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return t("audit.yes") if value else t("audit.no")
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str):
        if key == "sha256":
            return value[:HASH_SHOWN] + "…"
        return _code(key, value)
    if isinstance(value, Mapping):
        return t("audit.list").join(f"{k} {_value(key, v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        if key == "scale":  # HR's grade scale: [grade, minimum] pairs
            return t("audit.list").join(f"{pair[0]} ≥ {_value(key, pair[1])}" for pair in value)
        shown = [_value(key, v) for v in value[:LIST_SHOWN]]
        more = t("audit.more", n=len(value)) if len(value) > LIST_SHOWN else ""
        return t("audit.list").join(shown) + more
    return "" if value is None else str(value)


def detail_text(detail: str | None) -> str:
    """One row's detail as name–value text (a detail that is not a JSON object is shown as it is)."""
    if not detail:
        return ""
    try:
        parsed = json.loads(detail)
    except json.JSONDecodeError:
        return detail
    if not isinstance(parsed, Mapping):
        return _value("", parsed)
    keys = sorted(parsed, key=lambda k: KEY_ORDER.index(k) if k in KEY_ORDER else len(KEY_ORDER))
    pairs = [
        t("audit.pair", name=_label("audit.key", key), value=_value(key, parsed[key]))
        for key in keys
        if parsed[key] not in (None, "", [], {})
    ]
    return t("audit.sep").join(pairs)


def readable_trail(trail: pl.DataFrame) -> pl.DataFrame:
    """The trail with its record types and details in words (labels looked up here, in the script thread)."""
    return trail.with_columns(
        entity=pl.Series([entity_label(e) for e in trail.get_column("entity").to_list()], dtype=pl.String),
        detail=pl.Series([detail_text(d) for d in trail.get_column("detail").to_list()], dtype=pl.String),
    )
