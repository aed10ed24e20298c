"""Scoped reads in core (DESIGN.md §2 rule 2): each role gets exactly its slice, foreign ids are refused
and the refusal is audited, and reads of individual appraisals are audited."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from core import access, analytics, auth, imports, org, vocabulary
from core import appraisal as appraisals
from core.db import Database, copy_database, open_database
from core.permissions import Forbidden
from tests.conftest import LOGINS

PRODUCTION = ["00101", "00102", "00103", "00104"]
QUALITY = ["00201", "00202", "00203", "00204"]


@pytest.fixture
def db(company_db: Path):
    database = open_database(company_db)
    yield database
    database.close()


def as_user(db: Database, username: str | None) -> auth.User | None:
    return auth.get_user(db, username) if username else None


def audit_rows(db: Database, action: str, entity_id: str) -> int:
    return db.scalar("SELECT count(*) FROM audit_log WHERE action = ? AND entity_id = ?", [action, entity_id])


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("hr", None),
        ("admin", []),  # IT: accounts, not people
        ("exec", None),
        ("head", PRODUCTION),
        ("worker", ["00102"]),
        ("bp", QUALITY),
        ("analyst", []),
        (None, []),
    ],
)
def test_people_each_role_may_list(db: Database, username: str | None, expected: list[str] | None) -> None:
    user = as_user(db, username)
    found = org.search_employees(db, user, statuses=vocabulary.EMPLOYEE_STATUSES)["employee_id"].to_list()
    assert found == (
        expected if expected is not None else sorted(PRODUCTION + QUALITY + [f"0030{i}" for i in range(1, 5)])
    )
    departments = org.list_departments(db, user)["name"].to_list()
    counts = org.org_counts(db, user)
    assert counts["employees"] == len(found)
    if expected is None:
        assert sorted(departments) == ["生产部", "质检部", "销售部"] and counts["positions"] == 6
    elif expected == []:
        assert departments == [] and counts == {"departments": 0, "positions": 0, "employees": 0}
        assert org.list_positions(db, user).is_empty()
    else:
        assert len(departments) == 1 and counts["departments"] == 1
        assert set(org.list_positions(db, user)["department"]) == set(departments)


def test_profile_of_a_report_is_audited_and_says_who_may_edit(db: Database) -> None:
    head = as_user(db, "head")
    profile = org.employee_profile(db, head, "00102")
    assert profile["name"] == "员工102" and profile["department"] == "生产部" and profile["relation"] == "manager"
    assert org.employee_profile(db, head, "00101")["relation"] == "self"  # nobody rates themself
    assert audit_rows(db, "read_employee", "00102") == 1
    executive = as_user(db, "exec")
    assert org.employee_profile(db, executive, "00203")["relation"] == "reader"  # executives read only
    assert org.employee_profile(db, executive, "00302")["relation"] == "manager"  # except their own reports
    assert org.employee_profile(db, as_user(db, "hr"), "00203")["relation"] == "hr"


@pytest.mark.parametrize(
    ("username", "foreign"),
    [("head", "00201"), ("worker", "00103"), ("bp", "00101"), ("analyst", "00102"), ("head", "99999"), (None, "00102")],
)
def test_foreign_ids_are_refused_in_core_and_the_refusal_is_audited(
    db: Database, username: str | None, foreign: str
) -> None:
    user = as_user(db, username)
    for read in (org.employee_profile, appraisals.history_of):
        with pytest.raises(Forbidden, match="没有权限"):
            read(db, user, foreign)
    assert audit_rows(db, "access_denied", foreign) == 2
    assert audit_rows(db, "read_employee", foreign) == 0 and audit_rows(db, "read_appraisal", foreign) == 0


def test_hr_asking_for_an_unknown_id_gets_nothing(db: Database) -> None:
    assert org.employee_profile(db, as_user(db, "hr"), "99999") is None


def test_history_and_items_of_an_appraisal(db: Database) -> None:
    worker = as_user(db, "worker")
    history = appraisals.history_of(db, worker, "00102")
    assert history["period"].to_list() == ["2023-Q4", "2023-Q3", "2023-Q2", "2023-Q1"]  # newest first
    assert set(history["department"]) == {"生产部"} and history["score"].null_count() == 0
    assert set(history["grade"]) <= {"A", "B", "C"}
    assert audit_rows(db, "read_appraisal", "00102") == 1
    appraisal_id = history["appraisal_id"][0]
    with db.transaction() as cur:
        cur.execute(
            "INSERT INTO appraisal_items (appraisal_id, kpi_id, weight, item_score, manager_comment) VALUES (?, 'K1', 60, 88.5, '稳定')",
            [appraisal_id],
        )
    items = appraisals.items_of(db, worker, appraisal_id)
    assert items.select("kpi", "weight", "item_score", "manager_comment").rows() == [("K1", 60.0, 88.5, "稳定")]
    assert audit_rows(db, "read_appraisal", appraisal_id) == 1
    # the worker's colleague's appraisal, by its id: refused
    other = db.scalar("SELECT appraisal_id FROM appraisals WHERE employee_id = '00103' LIMIT 1")
    with pytest.raises(Forbidden):
        appraisals.items_of(db, worker, other)
    with pytest.raises(Forbidden):
        appraisals.items_of(db, as_user(db, "analyst"), appraisal_id)
    assert appraisals.items_of(db, as_user(db, "head"), appraisal_id).height == 1  # the worker's manager


@pytest.mark.parametrize(
    ("username", "departments", "hidden"),
    [("hr", 3, 0), ("exec", 3, 0), ("analyst", 3, 0), ("head", 1, 0), ("bp", 1, 0), ("worker", 1, 4)],
)
def test_heatmap_over_what_each_role_may_see(db: Database, username: str, departments: int, hidden: int) -> None:
    user = as_user(db, username)
    cells = analytics.department_period_scores(db, user, "quarterly")
    assert cells["dept_id"].n_unique() == departments and cells.height == 4 * departments
    assert cells["hidden"].sum() == hidden  # the worker's own cells hold one person: hidden
    assert cells.filter(cells["hidden"])["mean_score"].null_count() == hidden
    assert analytics.people_in_closed_cycles(db, user, "quarterly") == {3: 12, 1: 4}[departments] - (3 if hidden else 0)


def test_hr_sees_cells_of_fewer_than_three_and_others_do_not(db: Database) -> None:
    # Move two of 销售部's four people out of its Q1 cell: two left there.
    db.cursor().execute(
        "UPDATE appraisals SET dept_id = (SELECT dept_id FROM departments WHERE name = '生产部')"
        " WHERE employee_id IN ('00303', '00304') AND cycle_id = (SELECT cycle_id FROM cycles WHERE period = '2023-Q1')"
    )
    small = {"department": "销售部", "period": "2023-Q1"}
    for username, hidden in (("hr", False), ("admin", True), ("exec", True), ("analyst", True)):
        cells = analytics.department_period_scores(db, as_user(db, username), "quarterly")
        cell = cells.filter(**small).row(0, named=True)
        assert cell["people"] == 2 and cell["hidden"] is hidden, username
        assert (cell["mean_score"] is None) is hidden


def test_import_history_is_for_hr(db: Database) -> None:
    assert imports.list_batches(db, as_user(db, "hr")).height == 2
    for username in ("head", "exec", "analyst", "bp", "worker", "admin"):  # rejected rows hold personal data
        with pytest.raises(Forbidden):
            imports.list_batches(db, as_user(db, username))
        with pytest.raises(Forbidden):
            imports.batch_rejects(db, as_user(db, username), "any")


def test_accounts_and_audit_trail_are_for_hr(db: Database) -> None:
    hr = as_user(db, "hr")
    accounts = access.list_accounts(db, hr)
    assert sorted(accounts["username"]) == sorted(LOGINS)
    bp = accounts.row(by_predicate=pl.col("username") == "bp", named=True)
    assert bp["roles"] == ["hrbp"] and bp["hrbp_departments"] == ["质检部"] and bp["disabled"] is False
    assert access.people_without_account(db, hr)["employee_id"].to_list() == [
        e
        for e in sorted(PRODUCTION + QUALITY + [f"0030{i}" for i in range(1, 5)])
        if e not in ("00101", "00102", "00301")
    ]
    for username in ("head", "exec", "analyst", "bp", "worker"):
        user = as_user(db, username)
        for call in (
            lambda u: access.list_accounts(db, u),
            lambda u: access.create_account(db, u, "x1", "Passw0rd-x", ["analyst"]),
            lambda u: access.reset_password(db, u, "worker", "Passw0rd-x"),
            lambda u: access.set_disabled(db, u, "worker", True),
            lambda u: access.set_roles(db, u, "worker", ["hr"]),
            lambda u: access.audit_trail(db, u),
            lambda u: access.verify_audit_chain(db, u),
        ):
            with pytest.raises(Forbidden):
                call(user)
    with pytest.raises(auth.UserError, match="不能去掉自己"):
        access.set_roles(db, hr, "hr", ["employee"])
    access.set_roles(db, hr, "worker", ["employee", "analyst"])
    assert auth.get_user(db, "worker").roles == {"employee", "analyst"}
    assert access.audit_trail(db, hr, action="user_update", entity_id="worker").height == 1


def test_only_an_admin_makes_or_touches_admins(tmp_path: Path, company_db: Path) -> None:
    copy = tmp_path / "copy.duckdb"
    copy_database(company_db, copy)
    with open_database(copy) as db:
        hr, admin = as_user(db, "hr"), as_user(db, "admin")
        with pytest.raises(auth.UserError, match="只有系统管理员"):
            access.create_account(db, hr, "boss2", "Passw0rd-x", ["admin"])
        with pytest.raises(auth.UserError, match="只有系统管理员"):
            access.set_roles(db, hr, "hr", ["hr", "admin"])  # no lifting one's own rights
        with pytest.raises(auth.UserError, match="只有系统管理员"):
            access.reset_password(db, hr, "admin", "Passw0rd-x")
        with pytest.raises(auth.UserError, match="只有系统管理员"):
            access.set_disabled(db, hr, "admin", True)
        assert db.scalar("SELECT count(*) FROM user_roles WHERE role = 'admin'") == 1
        access.create_account(db, admin, "boss2", "Passw0rd-x", ["admin"])
        access.reset_password(db, hr, "worker", "Passw0rd-y")  # HR still manages everyone else
        assert auth.authenticate(db, "worker", "Passw0rd-y").username == "worker"


def test_a_read_is_audited_once_per_login_session_and_again_in_the_next(db: Database) -> None:
    worker = as_user(db, "worker")
    first = auth.resume_session(db, auth.start_session(db, worker))
    assert first is not None and first.session
    for _ in range(3):  # a screen reruns on every click
        appraisals.history_of(db, first, "00102")
        org.employee_profile(db, as_user(db, "hr"), "00102")  # no session (the command line): every read
    assert audit_rows(db, "read_appraisal", "00102") == 1
    assert audit_rows(db, "read_employee", "00102") == 3
    second = auth.resume_session(db, auth.start_session(db, worker))
    appraisals.history_of(db, second, "00102")
    assert audit_rows(db, "read_appraisal", "00102") == 2
