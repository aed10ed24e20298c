"""A cycle's period and its stage deadlines: period keys and bounds, the due dates HR starts from, and
how late a stage is — computed here once for every screen and reminder."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from core.errors import CycleError, Text
from core.vocabulary import (
    CALIBRATION,
    CYCLE_KINDS,
    DUE_FIELDS,
    GOALS,
    MANAGER_RATING,
    MIDTERM,
    PERIODS_PER_YEAR,
    SELF_ASSESSMENT,
    SIGNOFF,
)


def period_of(kind: str, year: int, part: int | None = None) -> tuple[str, dt.date, dt.date, str]:
    """(period key, first day, last day, Chinese name) of a cycle: 2026-Q4, 2026-H1, 2026."""
    if kind not in CYCLE_KINDS:
        raise CycleError(
            "cycle.unknown_kind", kind=kind, choices=[Text("cycle.kind_choice", kind=k) for k in CYCLE_KINDS]
        )
    if not 2000 <= int(year) <= 2100:
        raise CycleError("cycle.bad_year", year=year)
    year = int(year)
    if kind == "annual":
        return str(year), dt.date(year, 1, 1), dt.date(year, 12, 31), f"{year}年度考核"
    count = PERIODS_PER_YEAR[kind]
    if part is None or not 1 <= int(part) <= count:
        raise CycleError("cycle.choose_quarter" if kind == "quarterly" else "cycle.choose_half")
    part = int(part)
    months = 12 // count
    start = dt.date(year, (part - 1) * months + 1, 1)
    end_month = part * months
    end = (dt.date(year + (end_month == 12), end_month % 12 + 1, 1)) - dt.timedelta(days=1)
    if kind == "quarterly":
        return f"{year}-Q{part}", start, end, f"{year}年第{'一二三四'[part - 1]}季度考核"
    return f"{year}-H{part}", start, end, f"{year}年{'上下'[part - 1]}半年考核"


def default_due_dates(start: dt.date, end: dt.date) -> dict[str, dt.date]:
    """Due dates HR starts from: goals two weeks in, mid-term half way, then a week per stage after the end."""
    half = start + (end - start) / 2
    return {
        GOALS: start + dt.timedelta(days=14),
        MIDTERM: half,
        SELF_ASSESSMENT: end + dt.timedelta(days=7),
        MANAGER_RATING: end + dt.timedelta(days=14),
        CALIBRATION: end + dt.timedelta(days=21),
        SIGNOFF: end + dt.timedelta(days=28),
    }


def check_due_dates(due: Mapping[str, dt.date | None], start: dt.date) -> dict[str, dt.date]:
    """Every stage needs a due date, none before the period starts, each no earlier than the one before."""
    out: dict[str, dt.date] = {}
    previous: tuple[str, dt.date] | None = None
    for stage in DUE_FIELDS:
        day = due.get(stage)
        if day is None:
            raise CycleError("cycle.due_missing", stage=stage)
        if isinstance(day, dt.datetime):
            day = day.date()
        if day < start:
            raise CycleError("cycle.due_before_start", stage=stage, day=day, start=start)
        if previous and day < previous[1]:
            raise CycleError(
                "cycle.due_out_of_order", stage=stage, day=day, previous=previous[0], previous_day=previous[1]
            )
        out[stage] = day
        previous = (stage, day)
    return out


def due_of(header: Mapping[str, Any], stage: str | None = None) -> dt.date | None:
    """The due date of ``stage`` (default: the appraisal's current stage) in its cycle's row."""
    column = DUE_FIELDS.get(stage or header["stage"])
    return header.get(column) if column else None


def days_left(due: dt.date | None, today: dt.date) -> int | None:
    """Days until ``due`` (negative: that many days overdue); None without a due date."""
    return None if due is None else (due - today).days


def days_overdue(due: dt.date | None, today: dt.date) -> int:
    """How many days past ``due`` it is today (0 when not yet due or without a due date)."""
    left = days_left(due, today)
    return -left if left is not None and left < 0 else 0


# the due date of an appraisal's current stage, as SQL over ``a`` (appraisals) joined with ``c`` (cycles)
DUE_SQL = "CASE a.stage " + " ".join(f"WHEN '{s}' THEN c.{col}" for s, col in DUE_FIELDS.items()) + " END"
