"""What a roster brings along while a cycle is open: appraisals follow a new manager (the old one keeps
reading only what they rated), and a person marked 离职 is logged out at once, cannot log in again, and
their appraisals stay read-only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
import xlsxwriter

from core import appraisal, appraisal_edits, auth, cycles, errors
from core.auth import get_user
from core.db import Database, open_database
from core.permissions import Forbidden
from pipelines import import_file
from tests.conftest import PASSWORD
from tests.cycles import install_templates, own_rating
from tests.workbooks import fixture_people

CYCLE = "C-2026-Q4"


def roster(path: Path, *, managers: dict[str, str | None] | None = None, left: tuple[str, ...] = ()) -> Path:
    """The fixture roster with some managers changed and some people marked 离职."""
    with xlsxwriter.Workbook(path) as wb:
        ws = wb.add_worksheet("花名册")
        ws.write_row(0, 0, ["工号", "姓名", "部门", "岗位", "直接上级", "入职日期", "状态"])
        for r, p in enumerate(fixture_people(), start=1):
            manager = (managers or {}).get(p.employee_id, p.manager_id)
            ws.write_row(r, 0, [p.employee_id, p.name, p.department, p.position, manager or "",
                                p.hire_date.isoformat(), "离职" if p.employee_id in left else "在职"])  # fmt: skip
    return path


def version(db: Database, appraisal_id: str) -> int:
    return db.scalar("SELECT row_version FROM appraisals WHERE appraisal_id = ?", [appraisal_id])


@pytest.fixture
def db(company_db: Path) -> Iterator[Database]:
    with open_database(company_db) as database:
        install_templates(database)
        hr = get_user(database, "hr")
        cycles.open_cycle(database, hr, kind="quarterly", year=2026, part=4, dept_ids=[
            database.scalar("SELECT dept_id FROM departments WHERE name = '生产部'")])  # fmt: skip
        auth.create_user(database, "fixture", "qhead", PASSWORD, ["manager"], employee_id="00201")
        yield database


def rate(db: Database, appraisal_id: str) -> None:
    """00101 (head) takes an appraisal through to 校准."""
    head = get_user(db, "head")
    employee_id = appraisal_id.split(":")[1]
    me = auth.User(f"u{employee_id}", frozenset({"employee"}), employee_id)
    appraisal_edits.act(db, head, appraisal_id, "approve_goals", version=version(db, appraisal_id))
    appraisal_edits.add_checkin(db, me, appraisal_id, "进展")
    appraisal_edits.add_checkin(db, head, appraisal_id, "继续")
    appraisal_edits.act(db, head, appraisal_id, "finish_midterm", version=version(db, appraisal_id))
    items = [r["kpi_id"] for r in db.rows("SELECT kpi_id FROM appraisal_items WHERE appraisal_id = ?", [appraisal_id])]
    appraisal_edits.save_self(db, me, appraisal_id, own_rating(items, 90), version=version(db, appraisal_id))
    appraisal_edits.act(db, me, appraisal_id, "submit_self", version=version(db, appraisal_id))
    for kpi_id, value in {"T-OUT": 110, "T-DEF": 0.8, "T-PAY": 90, "T-SAFE": 1}.items():
        appraisal_edits.record_actual(db, head, employee_id, kpi_id, value, as_of=dt.date(2026, 11, 1))
    ratings = {"T-5S": {"manager_input": 1}, "T-TEAM": {"manager_input": 4}, "T-ATT": {"manager_input": 85}}
    appraisal_edits.save_rating(db, head, appraisal_id, ratings, version=version(db, appraisal_id))
    appraisal_edits.act(db, head, appraisal_id, "submit_rating", version=version(db, appraisal_id))


def test_open_appraisals_follow_a_new_manager_and_the_old_one_keeps_only_what_they_rated(
    db: Database, tmp_path: Path
) -> None:
    moving, rated = f"{CYCLE}:00102", f"{CYCLE}:00104"
    rate(db, rated)
    before = version(db, moving)
    report = import_file(db, roster(tmp_path / "花名册.xlsx", managers={"00102": "00201", "00104": "00201"}),
                         source="roster", uploaded_by="hr")  # fmt: skip
    assert report.status == "loaded", report.to_dict()
    rows = {r["appraisal_id"]: r for r in db.rows("SELECT appraisal_id, manager_id, rater_id FROM appraisals")}
    assert rows[moving]["manager_id"] == "00201"  # not yet rated: follows the new manager
    assert rows[rated]["manager_id"] == "00101" and rows[rated]["rater_id"] == "00101"  # rated: stays
    assert version(db, moving) == before + 1  # an old manager's open form is now stale
    event = db.one("SELECT actor, role, action, comment FROM stage_events WHERE appraisal_id = ? ORDER BY seq DESC",
                   [moving])  # fmt: skip
    assert (event["actor"], event["role"], event["action"]) == ("hr", "system", "reassign")
    assert event["comment"].startswith("00101 → 00201")
    assert db.scalar("SELECT count(*) FROM audit_log WHERE action = 'appraisal_reassign' AND entity_id = ?",
                     [moving]) == 1  # fmt: skip
    head, lead = get_user(db, "head"), get_user(db, "qhead")
    # the new manager now does the work; the old one cannot even read the appraisal they never rated
    assert moving in appraisal.team(db, lead)["appraisal_id"].to_list()
    appraisal_edits.act(db, lead, moving, "approve_goals", version=version(db, moving))
    with pytest.raises(Forbidden):
        appraisal.appraisal(db, head, moving)
    # ... and reads what they rated, and only that, of the person who left their team
    assert appraisal.appraisal(db, head, rated)["stage"] == "calibration"
    assert appraisal.history_of(db, head, "00104")["appraisal_id"].to_list() == [rated]
    assert not appraisal.items_of(db, head, rated).is_empty()


def test_a_person_marked_as_left_is_logged_out_at_once_and_their_appraisal_stays_read_only(
    db: Database, tmp_path: Path
) -> None:
    worker = auth.authenticate(db, "worker", PASSWORD)
    token = auth.start_session(db, worker)
    import_file(db, roster(tmp_path / "花名册.xlsx", left=("00102",)), source="roster", uploaded_by="hr")
    assert db.scalar("SELECT end_reason FROM sessions WHERE username = 'worker' ORDER BY created_at DESC") == "left"
    assert auth.resume_session(db, token) is None
    with pytest.raises(auth.LoginFailed):
        auth.authenticate(db, "worker", PASSWORD)
    moving = f"{CYCLE}:00102"
    assert appraisal.appraisal(db, get_user(db, "hr"), moving)["stage"] == "goals"  # kept, readable
    with pytest.raises(errors.CycleError, match="已离职"):
        appraisal_edits.act(db, get_user(db, "head"), moving, "approve_goals", version=version(db, moving))
