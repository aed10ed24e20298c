"""Recorded actuals (core/actuals.py): appended, never overwritten; an item takes a feed's value before a
person's entry, then the latest; a person cannot type over an item a feed supplies."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from core import appraisal_edits, cycles, errors
from core.auth import get_user
from core.db import Database, open_database
from tests.cycles import install_templates, own_rating

WORKER = "00102"


@pytest.fixture
def db(company_db: Path) -> Iterator[Database]:
    with open_database(company_db) as database:
        install_templates(database)
        cycles.open_cycle(database, get_user(database, "hr"), kind="quarterly", year=2026, part=4)
        yield database


def item(db: Database, kpi_id: str) -> dict:
    return db.one(
        "SELECT actual_value, actual_source, actual_as_of FROM appraisal_items WHERE appraisal_id = ? AND kpi_id = ?",
        [f"C-2026-Q4:{WORKER}", kpi_id],
    )


def recorded(db: Database, kpi_id: str) -> list[tuple[float, str]]:
    rows = db.rows(
        "SELECT value, source FROM kpi_actuals WHERE employee_id = ? AND kpi_id = ? ORDER BY recorded_at, as_of",
        [WORKER, kpi_id],
    )
    return [(r["value"], r["source"]) for r in rows]


def test_a_feed_wins_over_a_persons_entry_and_history_is_kept(db: Database) -> None:
    head, hr = get_user(db, "head"), get_user(db, "hr")
    appraisal_edits.record_actual(db, head, WORKER, "T-OUT", 80, as_of=dt.date(2026, 11, 20))
    assert item(db, "T-OUT")["actual_source"] == "manual"
    # an earlier-dated finance figure still wins: a feed before a person's entry, then the latest
    appraisal_edits.record_actual(db, hr, WORKER, "T-OUT", 100, as_of=dt.date(2026, 10, 20), source="finance")
    assert item(db, "T-OUT") == {
        "actual_value": 100.0,
        "actual_source": "finance",
        "actual_as_of": dt.date(2026, 10, 20),
    }
    appraisal_edits.record_actual(db, hr, WORKER, "T-OUT", 104, as_of=dt.date(2026, 11, 25), source="finance")
    assert item(db, "T-OUT")["actual_value"] == 104.0  # the latest feed
    assert sorted(recorded(db, "T-OUT")) == [(80.0, "manual"), (100.0, "finance"), (104.0, "finance")]  # all kept


def test_nobody_types_over_a_fed_item(db: Database) -> None:
    head, hr = get_user(db, "head"), get_user(db, "hr")
    appraisal_edits.record_actual(db, hr, WORKER, "T-PAY", 95, as_of=dt.date(2026, 10, 31), source="finance")
    for who in (head, hr):  # neither the manager nor HR by hand
        with pytest.raises(errors.CycleError, match="由「财务」数据提供，不能手工录入"):
            appraisal_edits.record_actual(db, who, WORKER, "T-PAY", 99, as_of=dt.date(2026, 11, 5))
    assert recorded(db, "T-PAY") == [(95.0, "finance")]
    # outside any open cycle's period nothing is fed: a person's entry is fine there
    appraisal_edits.record_actual(db, head, WORKER, "T-PAY", 99, as_of=dt.date(2027, 1, 5))
    assert sorted(recorded(db, "T-PAY")) == [(95.0, "finance"), (99.0, "manual")]
    assert item(db, "T-PAY")["actual_value"] == 95.0


def test_the_rating_form_cannot_change_a_fed_actual(db: Database) -> None:
    head, hr, worker = (get_user(db, n) for n in ("head", "hr", "worker"))
    a = f"C-2026-Q4:{WORKER}"

    def version() -> int:
        return db.scalar("SELECT row_version FROM appraisals WHERE appraisal_id = ?", [a])

    appraisal_edits.act(db, head, a, "approve_goals", version=version())
    appraisal_edits.add_checkin(db, worker, a, "进展")
    appraisal_edits.add_checkin(db, head, a, "继续")
    appraisal_edits.act(db, head, a, "finish_midterm", version=version())
    items = [r["kpi_id"] for r in db.rows("SELECT kpi_id FROM appraisal_items WHERE appraisal_id = ?", [a])]
    appraisal_edits.save_self(db, worker, a, own_rating(items, 90), version=version())
    appraisal_edits.act(db, worker, a, "submit_self", version=version())
    appraisal_edits.record_actual(db, hr, WORKER, "T-PAY", 95, as_of=dt.date(2026, 10, 31), source="finance")
    before = version()
    with pytest.raises(errors.CycleError, match="「回款率」的实际值由「财务」提供，不能在评分时改动"):
        appraisal_edits.save_rating(db, head, a, {"T-PAY": {"actual_value": 120}}, version=before)
    assert version() == before and recorded(db, "T-PAY") == [(95.0, "finance")]  # nothing written
    # the fed value sent back unchanged, with a comment, saves; a feedless item takes the manager's number
    appraisal_edits.save_rating(
        db, head, a, {"T-PAY": {"actual_value": 95, "manager_comment": "按财务数据"}, "T-DEF": {"actual_value": 0.9}},
        version=before,
    )  # fmt: skip
    rated_on = min(dt.date.today(), dt.date(2026, 12, 31))  # entered while rating: dated today, inside the quarter
    assert item(db, "T-DEF") == {"actual_value": 0.9, "actual_source": "manual", "actual_as_of": rated_on}
    assert db.scalar("SELECT rater_id FROM appraisals WHERE appraisal_id = ?", [a]) == "00101"
