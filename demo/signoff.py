"""The demo's previous quarter: a cycle run in the app from goals to closed, every appraisal confirmed by
its employee and manager, with a signed, archived PDF each — so a newcomer sees 电子档案 at once and
``python -m core.admin verify-signoffs`` has work.

Everything goes through core's own functions acting as each person (as :mod:`demo.cycle` does). The one
thing only the demo does: the people confirm without re-entering a password (they are synthetic and
most have no login); :func:`core.signoff.confirm_reauthenticated` records that as ``reauth: demo``.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from core import auth, calibration, cycles, errors, periods, permissions, settings, signoff
from core.db import Database
from demo.company import COMPANY_NAME, Quarter
from demo.cycle import ACTOR, as_person, backdate, move_along, people_logins, record_demo_actuals

OVERRIDE = "演示数据：上季度按实际分布定稿"


@dataclass
class ClosedQuarter:
    """The demo's closed previous quarter: ids, counts read back after closing, and the build time."""

    cycle_id: str
    name: str
    appraisals: int
    documents: int
    seconds: float


def previous_quarter(today: dt.date) -> Quarter:
    return Quarter(today.year, (today.month - 1) // 3 + 1).previous()


def _hr(db: Database) -> auth.User:
    hr = auth.get_user(db, "hr")
    if not permissions.allowed(hr, "open_cycle"):
        hr = auth.User(ACTOR, frozenset({"hr"}))
    return hr


def close_previous_quarter(db: Database, *, today: dt.date, seed: int = 0,
                           progress: Callable[[float, str], None] | None = None) -> ClosedQuarter | None:  # fmt: skip
    """Open last quarter for the whole company, take every appraisal through the four stages and
    calibration, have both parties confirm (each PDF is issued, signed and archived), and close the cycle.
    None when that quarter already has an app cycle, or nobody can be appraised. ``progress`` hears each
    step (at 100 %: the import is done) and the confirmations every tenth of the way."""
    say = progress or (lambda fraction, message: None)
    t0 = time.perf_counter()
    q = previous_quarter(today)
    period, start, end, _ = periods.period_of("quarterly", q.year, q.q)
    if db.scalar("SELECT count(*) FROM cycles WHERE origin = 'app' AND period = ?", [period]):
        return None
    hr = _hr(db)
    with db.transaction() as cur:
        if settings.setting(cur, settings.COMPANY_KEY) is None:
            settings.put_setting(cur, settings.COMPANY_KEY, COMPANY_NAME, ACTOR)
    try:
        report = cycles.open_cycle(
            db, hr, kind="quarterly", year=q.year, part=q.q, due=periods.default_due_dates(start, end), today=today
        )
    except errors.CycleError:
        return None
    rng = random.Random(seed * 7919 + q.year * 10 + q.q + 1)
    record_demo_actuals(db, report.cycle_id, start, end, rng)
    say(1.0, f"上季度「{report.name}」：{report.appraisals} 份考核正在走完目标、中期、自评和上级评定")
    move_along(db, report.cycle_id, rng, to="calibration")
    backdate(db, report.cycle_id, start, end + dt.timedelta(days=20), rng)
    say(1.0, f"上季度「{report.name}」：正在校准各部门")
    _finalise(db, hr, report.cycle_id)
    _confirm_all(db, report.cycle_id, say)
    signoff.close_cycle(db, hr, report.cycle_id, reason=_leftover_reason(db, report.cycle_id))
    row = db.one(
        "SELECT count(*) AS n, (SELECT count(*) FROM signoff_documents d JOIN appraisals x USING (appraisal_id)"
        " WHERE x.cycle_id = ?) AS docs FROM appraisals WHERE cycle_id = ?",
        [report.cycle_id, report.cycle_id],
    )
    assert row is not None
    return ClosedQuarter(report.cycle_id, report.name, row["n"], row["docs"], time.perf_counter() - t0)


def _finalise(db: Database, hr: auth.User, cycle_id: str) -> None:
    """Finalise every department's calibration as HR (the guideline override named as the demo's)."""
    depts = [r["dept_id"] for r in db.rows(
        "SELECT DISTINCT dept_id FROM appraisals WHERE cycle_id = ? AND stage = 'calibration' ORDER BY dept_id",
        [cycle_id])]  # fmt: skip
    for dept_id in depts:
        try:
            calibration.finalise_department(db, hr, cycle_id, dept_id)
        except errors.CycleError:
            calibration.finalise_department(db, hr, cycle_id, dept_id, override_reason=OVERRIDE)
        except permissions.Forbidden:  # HR's own department: another HR finalises it
            calibration.finalise_department(db, auth.User(ACTOR, frozenset({"hr"})), cycle_id, dept_id,
                                            override_reason=OVERRIDE)  # fmt: skip


def _confirm_all(db: Database, cycle_id: str, say: Callable[[float, str], None]) -> None:
    rows = db.rows(
        "SELECT appraisal_id, employee_id, manager_id FROM appraisals WHERE cycle_id = ? AND stage = 'signoff'"
        " ORDER BY appraisal_id",
        [cycle_id],
    )
    users = people_logins(db)
    tenth = max(1, len(rows) // 10)
    for i, r in enumerate(rows):
        if i % tenth == 0:
            say(1.0, f"上季度：员工和主管确认结果、签发 PDF（{i}/{len(rows)}）")
        for who, role in ((r["employee_id"], "employee"), (r["manager_id"], "manager")):
            version = db.scalar("SELECT row_version FROM appraisals WHERE appraisal_id = ?", [r["appraisal_id"]])
            signoff.confirm_reauthenticated(
                db, as_person(users, who, role), r["appraisal_id"], version=version, how="demo"
            )


def _leftover_reason(db: Database, cycle_id: str) -> str | None:
    left = db.scalar("SELECT count(*) FROM appraisals WHERE cycle_id = ? AND stage <> 'closed'", [cycle_id])
    return f"演示数据：{left} 份未走完签字确认" if left else None
