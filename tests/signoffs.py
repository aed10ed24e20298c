"""Drivers for sign-off tests on the fixture company's 生产部 (00102–00104, managed by ``head`` 00101):
a Q4 cycle taken to 签字确认 (:func:`to_signoff`), logins for the people who have none in
:data:`tests.conftest.LOGINS` (:func:`login_for`), and a company whose appraisals have signed, archived PDFs
(issued with core.archive.issue directly), built once per module and copied whole (database, key, heads, CA
and archive) into each test's folder (:func:`build_signed_company`, :func:`copy_company`)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from core import archive, auth, calibration, cycles, signoff_ledger
from core.auth import User
from core.db import Database, copy_database, open_database
from tests.conftest import PASSWORD
from tests.cycles import install_templates
from tests.test_cycle import Q4, WORKER, dept, to_calibration, users

DB_NAME = "company.duckdb"
PEOPLE = ("00102", "00103", "00104")  # 生产部, reporting to 00101 (the login "head")


@dataclass(frozen=True)
class SignoffCycle:
    cycle_id: str
    ids: dict[str, str]  # 工号 -> appraisal id
    u: dict[str, User]  # hr, head, worker, bp, exec

    @property
    def worker(self) -> str:
        return self.ids[WORKER]


def login_for(db: Database, employee_id: str, *roles: str) -> User:
    """An account ``u<工号>`` for a person of the fixture company (password :data:`PASSWORD`)."""
    name = f"u{employee_id}"
    return auth.get_user(db, name) or auth.create_user(db, "fixture", name, PASSWORD, list(roles or ["employee"]),
                                                       employee_id=employee_id)  # fmt: skip


def to_signoff(db: Database, *, finalise: bool = True) -> SignoffCycle:
    """Open Q4 for 生产部, rate all three to B (inside the guideline) and finalise the department."""
    u = users(db)
    report = cycles.open_cycle(db, u["hr"], **Q4, dept_ids=[dept(db, "生产部")])
    ids = {e: f"{report.cycle_id}:{e}" for e in PEOPLE}
    for appraisal_id in ids.values():
        to_calibration(db, u, appraisal_id, manual=10, output=80)
    if finalise:
        calibration.finalise_department(db, u["hr"], report.cycle_id, dept(db, "生产部"))
    return SignoffCycle(report.cycle_id, ids, u)


def build_signed_company(folder: Path, access_company: Path) -> Path:
    """The fixture company in ``folder`` with a Q4 cycle for 生产部 whose three appraisals are in 签字确认,
    each confirmed by both parties in the ledger and issued (signed PDF archived). Returns the database."""
    path = copy_database(access_company, folder / DB_NAME)
    with open_database(path) as db:
        install_templates(db)
        u = users(db)
        report = cycles.open_cycle(db, u["hr"], **Q4, dept_ids=[dept(db, "生产部")])
        for employee in PEOPLE:
            to_calibration(db, u, f"{report.cycle_id}:{employee}", manual=10, output=80)
        calibration.finalise_department(db, u["hr"], report.cycle_id, dept(db, "生产部"))
        with db.transaction() as cur:
            for employee in PEOPLE:
                issue_confirmed(cur, f"{report.cycle_id}:{employee}")
    return path


def issue_confirmed(cur, appraisal_id: str) -> archive.Issued:
    """Both parties' confirmations in the ledger, then the PDF issued (inside the caller's transaction)."""
    cycle_id = appraisal_id.split(":")[0]
    for party, actor in (("employee", "worker"), ("manager", "head")):
        signoff_ledger.append(cur, actor=actor, role=party, action="confirmation", appraisal_id=appraisal_id,
                              cycle_id=cycle_id, detail={"party": party})  # fmt: skip
    return archive.issue(cur, appraisal_id, "hr")


def copy_company(source: Path, folder: Path) -> Path:
    """A private copy of a built company's whole folder; returns its database path."""
    target = folder / "signed"
    shutil.copytree(source.parent, target)
    return target / DB_NAME


def cycle_of(db: Database) -> str:
    return db.scalar("SELECT cycle_id FROM cycles WHERE origin = 'app'")


def appraisal_ids(db: Database) -> list[str]:
    return [r["appraisal_id"] for r in db.rows("SELECT appraisal_id FROM signoff_documents ORDER BY appraisal_id")]
