"""The in-process job runner: work that runs on a schedule inside the app's server process, which holds the
only write connection to the database file (DESIGN.md §3). Reminders, analytics snapshots and backups
register here as they arrive; today it ends idle sessions and forgets their audited reads, and applies the
sign-off deadline rule (:func:`core.closing.apply_deadlines`).

A job is a name, an interval and a function of the database that returns a one-line account of what it
did. :meth:`JobRunner.run_due` runs every job whose last run started longer ago than its interval (or that
never ran), one after another, each recorded in ``job_runs`` (running → done or failed, with its account
or its error): a failing job is logged and retried at its next interval, the others still run. The runner's
thread calls :meth:`run_due` every ``tick`` seconds until :meth:`stop`.
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from core import auth, clock, closing
from core.db import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """One scheduled job: ``run(db)`` returns what it did, in a short sentence."""

    name: str
    every: dt.timedelta
    run: Callable[[Database], str]


@dataclass(frozen=True)
class JobRun:
    """What one run of a job did."""

    job: str
    started_at: dt.datetime
    status: str  # done | failed
    detail: str


def standard_jobs() -> list[Job]:
    """The jobs every JiXiao server runs."""
    return [
        Job("sessions_housekeeping", dt.timedelta(hours=1), auth.end_idle_sessions),
        Job("signoff_deadlines", dt.timedelta(hours=1), closing.deadline_job),
    ]


class JobRunner:
    """Runs :class:`Job` s on their intervals, on one background thread of this process."""

    def __init__(self, db: Database, jobs: Sequence[Job], *, tick: float = 60.0) -> None:
        names = [j.name for j in jobs]
        if len(set(names)) != len(names):
            raise ValueError(f"job names must be unique: {names}")
        self.db = db
        self.jobs = list(jobs)
        self.tick = tick
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def last_started(self, name: str) -> dt.datetime | None:
        """When the job last started (any outcome), or None."""
        return self.db.scalar("SELECT max(started_at) FROM job_runs WHERE job = ?", [name])

    def due(self, now: dt.datetime) -> list[Job]:
        """The jobs whose interval has passed since they last started, in registration order."""
        out = []
        for job in self.jobs:
            last = self.last_started(job.name)
            if last is None or now - last >= job.every:
                out.append(job)
        return out

    def run_due(self, now: dt.datetime | None = None) -> list[JobRun]:
        """Run every due job now; returns what each run did."""
        return [self.run(job, now or clock.now()) for job in self.due(now or clock.now())]

    def run(self, job: Job, started_at: dt.datetime) -> JobRun:
        """Run one job, recording it in ``job_runs``: a failure is recorded and logged, never raised."""
        with self.db.transaction() as cur:
            cur.execute(
                "INSERT INTO job_runs (job, started_at, status) VALUES (?, ?, 'running')", [job.name, started_at]
            )
        try:
            detail, status = job.run(self.db), "done"
        except Exception as err:  # a job must not take the runner down: record it, try again next interval
            log.exception("job %s failed", job.name)
            detail, status = f"{type(err).__name__}: {err}"[:500], "failed"
        with self.db.transaction() as cur:
            cur.execute(
                "UPDATE job_runs SET status = ?, finished_at = ?, detail = ? WHERE job = ? AND started_at = ?",
                [status, clock.now(), detail, job.name, started_at],
            )
        return JobRun(job.name, started_at, status, detail)

    def start(self) -> JobRunner:
        """Start the background thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="jixiao-jobs", daemon=True)
            self._thread.start()
            atexit.register(self.stop)  # let a job in hand finish before the interpreter tears DuckDB down
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the thread to stop and wait for the job in hand to finish."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_due()
            except Exception:  # the database closed under us, or similar: say so, keep the thread alive
                log.exception("the job runner could not check its jobs")
            self._stop.wait(self.tick)


def history(db: Database, limit: int = 100) -> list[dict]:
    """The latest job runs, newest first (for the operations screens to come)."""
    return db.rows(
        "SELECT job, started_at, finished_at, status, detail FROM job_runs ORDER BY started_at DESC LIMIT ?", [limit]
    )
