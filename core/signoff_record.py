"""The canonical record of an appraisal: what both parties confirm, what the PDF prints and what the
sign-off ledger hashes (DESIGN.md §4 *Sign-off*).

**What is in it.** The appraisal's own result and every item of it, by id: scores, weights, targets,
actuals with their source, comments, grade before and after calibration and the calibration note. Names of
people, departments and positions are not in it (they are looked up for the PDF): renaming a department
is not a change of anyone's result. Confirmations and objections are not in it either: they are rows of
the ledger that carry this record's hash.

**Canonical JSON** (:func:`canonical_bytes`): UTF-8, keys sorted, no whitespace (``separators=(",", ":")``),
``ensure_ascii=False``; numbers as Python's shortest round-trip ``repr`` of the stored DOUBLE (``76.0``,
never ``76``), NULL as ``null``, dates ``YYYY-MM-DD``, timestamps ISO 8601 to the microsecond; items in
``seq`` order then ``kpi_id``. ``version`` names this layout: a future change of layout bumps it, and a
record is always re-hashed under the version it was hashed with.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from core.db import Cursor

VERSION = 1

APPRAISAL_FIELDS = (
    "appraisal_id", "cycle_id", "employee_id", "manager_id", "rater_id", "dept_id", "position_id",
    "self_score", "manager_score", "final_score", "review_score", "score_basis", "grade", "calibrated_grade",
    "calibration_note", "signoff_round",
)  # fmt: skip

ITEM_FIELDS = (
    "seq", "kpi_id", "kpi_name", "item_kind", "category", "unit", "method", "direction", "data_source", "weight",
    "target_value", "target_as_written", "floor", "stretch", "deduction_step", "actual_value",
    "actual_as_written", "actual_source", "actual_as_of", "self_input", "self_score", "self_comment",
    "manager_input", "manager_score", "item_score", "manager_comment",
)  # fmt: skip


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="microseconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def record(cur: Cursor, appraisal_id: str) -> dict[str, Any] | None:
    """The canonical record of ``appraisal_id`` as stored now (None when there is no such appraisal).
    Unscoped: callers check who reads it."""
    head = cur.execute(f"SELECT {', '.join(APPRAISAL_FIELDS)} FROM appraisals WHERE appraisal_id = ?",
                       [appraisal_id]).fetchall()  # fmt: skip
    if not head:
        return None
    rows = cur.execute(
        f"SELECT {', '.join(ITEM_FIELDS)} FROM appraisal_items WHERE appraisal_id = ? ORDER BY seq NULLS LAST, kpi_id",
        [appraisal_id],
    ).fetchall()
    out: dict[str, Any] = {"version": VERSION}
    out.update({k: _plain(v) for k, v in zip(APPRAISAL_FIELDS, head[0], strict=True)})
    out["items"] = [{k: _plain(v) for k, v in zip(ITEM_FIELDS, r, strict=True)} for r in rows]
    return out


def canonical_bytes(rec: dict[str, Any]) -> bytes:
    """The canonical JSON of a record (see the module's docstring)."""
    return json.dumps(rec, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False).encode("utf-8")


def sha256(rec: dict[str, Any]) -> str:
    """The SHA-256 (hex) of a record's canonical JSON."""
    return hashlib.sha256(canonical_bytes(rec)).hexdigest()


def differences(stored: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """The fields that differ between two records of one appraisal, named as ``final_score`` or
    ``items[KPI-007].manager_score`` (an item added or removed is named ``items[KPI-007]``)."""
    out = [k for k in sorted(set(stored) | set(now)) if k != "items" and stored.get(k) != now.get(k)]
    before = {i["kpi_id"]: i for i in stored.get("items", [])}
    after = {i["kpi_id"]: i for i in now.get("items", [])}
    for kpi in sorted(set(before) | set(after)):
        if kpi not in before or kpi not in after:
            out.append(f"items[{kpi}]")
            continue
        out += [f"items[{kpi}].{k}" for k in ITEM_FIELDS if before[kpi].get(k) != after[kpi].get(k)]
    return out
