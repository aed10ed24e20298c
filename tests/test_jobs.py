"""The in-process job runner (core/jobs.py) and its housekeeping job."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest

from core import audit, auth
from core.db import Database, open_database
from core.jobs import Job, JobRunner, history, standard_jobs
from tests.apptest import StartApp

T0 = dt.datetime(2026, 12, 1, 9, 0, 0)


def counting_job(name: str, calls: list[str], every: dt.timedelta = dt.timedelta(hours=1)) -> Job:
    def run(db: Database) -> str:
        calls.append(name)
        return f"{name} ran"

    return Job(name, every, run)


def test_due_jobs_run_once_per_interval_and_each_run_is_recorded(fresh_db: Database) -> None:
    calls: list[str] = []
    runner = JobRunner(fresh_db, [counting_job("a", calls), counting_job("b", calls, dt.timedelta(days=1))])
    assert [r.status for r in runner.run_due(T0)] == ["done", "done"]  # never ran: both due
    assert runner.run_due(T0 + dt.timedelta(minutes=59)) == []
    assert [r.job for r in runner.run_due(T0 + dt.timedelta(hours=1))] == ["a"]  # b waits a day
    assert calls == ["a", "b", "a"]
    rows = history(fresh_db)
    assert [(r["job"], r["status"], r["detail"]) for r in rows] == [
        ("a", "done", "a ran"), ("a", "done", "a ran"), ("b", "done", "b ran"),
    ]  # fmt: skip
    assert all(r["finished_at"] is not None for r in rows)


def test_a_failing_job_is_recorded_and_the_others_still_run(fresh_db: Database) -> None:
    calls: list[str] = []

    def broken(db: Database) -> str:
        raise RuntimeError("mail server down")

    runner = JobRunner(fresh_db, [Job("broken", dt.timedelta(hours=1), broken), counting_job("after", calls)])
    runs = runner.run_due(T0)
    assert [(r.job, r.status) for r in runs] == [("broken", "failed"), ("after", "done")]
    assert "RuntimeError: mail server down" in runs[0].detail
    assert fresh_db.scalar("SELECT status FROM job_runs WHERE job = 'broken'") == "failed"
    assert calls == ["after"]
    assert runner.run_due(T0 + dt.timedelta(minutes=5)) == []  # retried at its next interval, not at once


def test_job_names_are_unique(fresh_db: Database) -> None:
    job = Job("x", dt.timedelta(hours=1), lambda db: "")
    with pytest.raises(ValueError, match="unique"):
        JobRunner(fresh_db, [job, job])


def test_the_thread_runs_due_jobs_until_stopped(fresh_db: Database) -> None:
    calls: list[str] = []
    runner = JobRunner(fresh_db, [counting_job("tick", calls, dt.timedelta(milliseconds=50))], tick=0.05).start()
    deadline = time.monotonic() + 10
    while len(calls) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    runner.stop()
    seen = len(calls)
    assert seen >= 2
    time.sleep(0.2)
    assert len(calls) == seen  # stopped: nothing more runs


def test_housekeeping_ends_idle_sessions_and_forgets_their_reads(fresh_db: Database) -> None:
    user = auth.create_user(fresh_db, "t", "idle1", "Passw0rd-one", ["analyst"])
    live = auth.start_session(fresh_db, user)
    idle = auth.start_session(fresh_db, user)
    live_user, idle_user = auth.resume_session(fresh_db, live), auth.resume_session(fresh_db, idle)
    assert live_user and idle_user
    for who in (live_user, idle_user):
        audit.log_read(fresh_db, who.username, who.session, "read_employee", "employee", "000001")
    fresh_db.cursor().execute(
        "UPDATE sessions SET last_seen = last_seen - INTERVAL 2 HOUR WHERE token_sha256 = ?", [idle_user.session]
    )
    assert auth.end_idle_sessions(fresh_db) == "ended 1 idle sessions, forgot 1 audited reads of ended sessions"
    assert auth.resume_session(fresh_db, idle) is None and auth.resume_session(fresh_db, live) is not None
    assert fresh_db.scalar("SELECT count(*) FROM session_reads") == 1  # the live session's read stays
    assert fresh_db.scalar("SELECT count(*) FROM audit_log WHERE action = 'sessions_housekeeping'") == 1
    assert auth.end_idle_sessions(fresh_db).startswith("ended 0 idle sessions")
    assert fresh_db.scalar("SELECT count(*) FROM audit_log WHERE action = 'sessions_housekeeping'") == 1  # no news


def test_every_server_runs_the_standard_jobs(start_app: StartApp, db_path: Path) -> None:
    start_app(db_path, login=None)
    deadline = time.monotonic() + 20
    with open_database(db_path) as db:
        while time.monotonic() < deadline:
            done = {r["job"] for r in history(db) if r["status"] == "done"}
            if {j.name for j in standard_jobs()} <= done:
                break
            time.sleep(0.1)
        assert {j.name for j in standard_jobs()} <= {r["job"] for r in history(db) if r["status"] == "done"}
