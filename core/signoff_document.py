"""The sign-off PDF: an A4 document in Chinese (or English) of one appraisal's result (DESIGN.md §4
*Sign-off*, issue 12 point 3).

This module gathers what the document prints, from the database: the canonical record
(:mod:`core.signoff_record`: every item, score, comment and grade exactly as they are hashed, so the
PDF shows what the ledger proves), the names it does not hold (company, cycle, employee, position,
department, manager), both confirmations of the current sign-off round and every objection with its
resolution. :mod:`core.pdf_render` lays it out. Reads are unscoped: callers (the archive) decide who
may have the document.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from core import settings, signoff_record
from core.db import Cursor

HEAD_SQL = """
    SELECT c.name AS cycle, c.period, c.period_start, c.period_end, c.kind, e.name AS employee,
           d.name AS department, p.name AS position, m.name AS manager, a.signoff_since, a.updated_at
    FROM appraisals a JOIN cycles c ON c.cycle_id = a.cycle_id
    LEFT JOIN employees e ON e.employee_id = a.employee_id
    LEFT JOIN employees m ON m.employee_id = a.manager_id
    LEFT JOIN departments d ON d.dept_id = a.dept_id
    LEFT JOIN positions p ON p.position_id = a.position_id
    WHERE a.appraisal_id = ?
"""

#: a person named by their account: the employee's name when the account belongs to one
_ACCOUNT_NAME = (
    "coalesce((SELECT e.name FROM users u JOIN employees e USING (employee_id) WHERE u.username = {0}), {0})"
)


def _dicts(cur: Cursor, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    result = cur.execute(sql, params)
    names = [d[0] for d in result.description]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def document(cur: Cursor, appraisal_id: str) -> dict[str, Any] | None:
    """Everything the PDF of ``appraisal_id`` prints, as stored now (None for an unknown appraisal):
    ``record`` and its ``sha256``, ``company``, the header's names, ``items`` (the record's, with the
    library's name of a KPI the item does not name), ``confirmations`` (employee / manager of the current
    round: name, at, deemed), ``objections`` (all rounds, oldest first) and ``issued_at`` (the moment the
    result was settled: the later confirmation, else the start of sign-off; the PDF's creation date)."""
    rec = signoff_record.record(cur, appraisal_id)
    if rec is None:
        return None
    head = _dicts(cur, HEAD_SQL, [appraisal_id])[0]
    kpi_names = dict(
        cur.execute(
            "SELECT k.kpi_id, k.name FROM kpis k WHERE list_contains(?::VARCHAR[], k.kpi_id)",
            [[i["kpi_id"] for i in rec["items"] if not i["kpi_name"]]],
        ).fetchall()
    )
    items = [{**i, "kpi_name": i["kpi_name"] or kpi_names.get(i["kpi_id"]) or i["kpi_id"]} for i in rec["items"]]
    confirmations = {
        c["party"]: c
        for c in _dicts(
            cur,
            "SELECT c.party, c.employee_id, e.name, c.confirmed_at AS at, c.deemed FROM signoff_confirmations c"
            " LEFT JOIN employees e ON e.employee_id = c.employee_id WHERE c.appraisal_id = ? AND c.round = ?",
            [appraisal_id, rec["signoff_round"] or 0],
        )
    }
    objections = _dicts(
        cur,
        "SELECT o.round, o.raised_at, o.reason, o.status, o.resolved_at, o.reply, o.resolved_by, "
        + _ACCOUNT_NAME.format("o.resolved_by")
        + " AS resolver FROM signoff_objections o WHERE o.appraisal_id = ? ORDER BY o.raised_at, o.objection_id",
        [appraisal_id],
    )
    settled = [c["at"] for c in confirmations.values() if c["at"] is not None]
    issued_at: dt.datetime | None = max(settled) if settled else head["signoff_since"] or head["updated_at"]
    return {
        "record": rec,
        "sha256": signoff_record.sha256(rec),
        "company": settings.company_name(cur),
        **{k: head[k] for k in ("cycle", "period", "period_start", "period_end", "kind")},
        **{k: head[k] for k in ("employee", "department", "position", "manager")},
        "employee_id": rec["employee_id"],
        "manager_id": rec["manager_id"],
        "items": items,
        "confirmations": confirmations,
        "objections": objections,
        "issued_at": issued_at,
    }


def render_appraisal(cur: Cursor, appraisal_id: str, *, lang: str = "zh-CN") -> bytes:
    """The unsigned PDF of ``appraisal_id`` as stored now (inside the caller's transaction), in Chinese
    or, for ``lang="en"``, with English labels (the data stays as stored). KeyError for an unknown id."""
    from core import pdf_render  # fpdf2 and the font load only where a PDF is made

    found = document(cur, appraisal_id)
    if found is None:
        raise KeyError(appraisal_id)
    return pdf_render.render(found, lang=lang)
