"""Recorded KPI actuals (``kpi_actuals``) and the one rule that picks the value an appraisal item uses.

Actuals are appended, never overwritten: a feed's number, a correction, a manager's entry each stay as
a row with who recorded it and when. An item of an open appraisal uses, among the actuals of its person
and KPI dated inside its cycle's period, a **feed's value before a person's entry** (sources
:data:`core.vocabulary.MANUAL_SOURCES`), **then the latest** (by date, then by recording time). A person
cannot type an actual for an item a feed supplies: that would either be ignored or hide the feed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from core import clock
from core.db import Cursor
from core.errors import CycleError
from core.vocabulary import MANUAL_SOURCES, OPEN_STAGES

# the order of the rule above, as SQL over kpi_actuals rows aliased ``ka``
CHOICE_ORDER = "(ka.source IN ('manual', 'hr')) ASC, ka.as_of DESC, ka.recorded_at DESC, ka.actual_id DESC"


def appraisal_filter(cycle_id: str | None, appraisal_ids: Sequence[str] | None) -> tuple[str, list[Any]]:
    """A predicate on ``a`` (appraisals): the given appraisals, else those of a cycle, else all."""
    if appraisal_ids is not None:
        return "list_contains(?::VARCHAR[], a.appraisal_id)", [list(appraisal_ids)]
    if cycle_id is not None:
        return "a.cycle_id = ?", [cycle_id]
    return "true", []


def refresh_items(cur: Cursor, *, cycle_id: str | None = None, appraisal_ids: Sequence[str] | None = None) -> None:
    """Set each item of the open app appraisals (of a cycle, or the given ones) to the actual the rule
    picks from those dated inside its cycle's period."""
    where, params = appraisal_filter(cycle_id, appraisal_ids)
    cur.execute(
        f"""
        UPDATE appraisal_items SET actual_value = x.value, actual_source = x.source, actual_as_of = x.as_of,
            actual_batch_id = x.batch_id
        FROM (
            SELECT a.appraisal_id, ka.kpi_id, ka.value, ka.source, ka.as_of, ka.batch_id,
                   row_number() OVER (PARTITION BY a.appraisal_id, ka.kpi_id ORDER BY {CHOICE_ORDER}) AS rn
            FROM appraisals a JOIN cycles c ON c.cycle_id = a.cycle_id
            JOIN kpi_actuals ka ON ka.employee_id = a.employee_id
                 AND ka.as_of BETWEEN c.period_start AND c.period_end
            WHERE c.origin = 'app' AND c.status = 'open' AND list_contains(?::VARCHAR[], a.stage) AND {where}
        ) x
        WHERE x.rn = 1 AND appraisal_items.appraisal_id = x.appraisal_id AND appraisal_items.kpi_id = x.kpi_id
        """,
        [list(OPEN_STAGES), *params],
    )


def open_appraisals_on(cur: Cursor, employee_id: str, day: dt.date) -> list[str]:
    """The person's app appraisals whose period holds ``day``; CycleError when every one of them is in a
    closed cycle (a closed cycle is read-only: an actual for it changes nothing)."""
    rows = cur.execute(
        "SELECT a.appraisal_id, c.status, c.name FROM appraisals a JOIN cycles c USING (cycle_id) WHERE a.employee_id = ?"
        " AND c.origin = 'app' AND ? BETWEEN c.period_start AND c.period_end ORDER BY a.appraisal_id",
        [employee_id, day],
    ).fetchall()
    if rows and all(status != "open" for _, status, _ in rows):
        raise CycleError("appraisal.cycle_closed", cycle=rows[0][2])
    return [r[0] for r in rows if r[1] == "open"]


def feed_supplies(cur: Cursor, employee_id: str, kpi_id: str, day: dt.date) -> str | None:
    """The feed source that supplies this person's KPI in the period of an app cycle holding ``day``, or None."""
    rows = cur.execute(
        "SELECT ka.source FROM kpi_actuals ka JOIN appraisals a ON a.employee_id = ka.employee_id"
        " JOIN cycles c ON c.cycle_id = a.cycle_id"
        " WHERE ka.employee_id = ? AND ka.kpi_id = ? AND NOT list_contains(?::VARCHAR[], ka.source)"
        " AND c.origin = 'app' AND ? BETWEEN c.period_start AND c.period_end"
        " AND ka.as_of BETWEEN c.period_start AND c.period_end LIMIT 1",
        [employee_id, kpi_id, list(MANUAL_SOURCES), day],
    ).fetchall()
    return rows[0][0] if rows else None


def append(cur: Cursor, employee_id: str, kpi_id: str, day: dt.date, value: float, source: str, actor: str,
           note: str | None = None, *, refuse_over_feed: bool = True) -> None:  # fmt: skip
    """Append one actual inside the caller's transaction. A person's entry (a manual source) on an item a
    feed supplies is refused with CycleError."""
    if refuse_over_feed and source in MANUAL_SOURCES:
        feed = feed_supplies(cur, employee_id, kpi_id, day)
        if feed is not None:
            raise CycleError("actuals.fed", source=feed)
    cur.execute(
        "INSERT INTO kpi_actuals (employee_id, kpi_id, as_of, value, source, note, recorded_by, recorded_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [employee_id, kpi_id, day, value, source, note, actor, clock.now()],
    )
