"""Drivers for sign-off tests: the fixture company's 生产部 (00102–00104, managed by ``head`` 00101) taken
through a Q4 cycle to 签字确认, and logins for the people who have none in :data:`tests.conftest.LOGINS`."""

from __future__ import annotations

from dataclasses import dataclass

from core import auth, calibration, cycles
from core.auth import User
from core.db import Database
from tests.conftest import PASSWORD
from tests.test_cycle import Q4, WORKER, dept, to_calibration, users

PEOPLE = ("00102", "00103", "00104")


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
