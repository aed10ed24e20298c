"""A fixture company whose 生产部 appraisals reached 签字确认 and have signed, archived PDFs (issued with
core.archive.issue directly, as the confirmation workflow will), for the evidence tests. Built once per
module and copied whole (database, key, heads, CA and archive) into each test's folder."""

from __future__ import annotations

import shutil
from pathlib import Path

from core import archive, calibration, cycles, signoff_ledger
from core.db import Database, copy_database, open_database
from tests.cycles import install_templates
from tests.test_cycle import Q4, dept, to_calibration, users

DB_NAME = "company.duckdb"
PEOPLE = ("00102", "00103", "00104")  # 生产部, reporting to 00101 (the login "head")


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
