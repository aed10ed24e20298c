"""The demo company's previous quarter: run in the app to closed, every appraisal confirmed by both
parties, a signed and archived PDF for each, and the whole verifying (issue 12, point 7)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core import archive, signoff_verify
from core.db import Database, open_database
from demo.build import DemoSummary
from tests.conftest import BuiltDemo


@pytest.fixture(scope="module")
def demo(demo_company: BuiltDemo) -> Iterator[tuple[Database, DemoSummary]]:
    with open_database(demo_company.path, read_only=True) as db:
        yield db, demo_company.summary


def test_last_quarter_is_an_app_cycle_closed_with_every_appraisal_confirmed(demo) -> None:
    db, summary = demo
    assert summary.closed is not None and summary.closed.cycle_id == "C-2026-Q3"
    c = db.one("SELECT * FROM cycles WHERE cycle_id = 'C-2026-Q3'")
    assert (c["origin"], c["status"], c["close_reason"]) == ("app", "closed", None)
    assert c["closed_by"] == "hr" and c["closed_at"] is not None
    stages = db.rows("SELECT stage, count(*) AS n FROM appraisals WHERE cycle_id = 'C-2026-Q3' GROUP BY stage")
    assert stages == [{"stage": "closed", "n": summary.closed.appraisals}]
    assert summary.closed.appraisals > 100  # the 120-person demo: everyone with a manager and a template
    both = db.scalar(
        "SELECT count(*) FROM (SELECT appraisal_id FROM signoff_confirmations c JOIN appraisals a USING (appraisal_id)"
        " WHERE a.cycle_id = 'C-2026-Q3' AND NOT c.deemed GROUP BY appraisal_id HAVING count(DISTINCT party) = 2)"
    )
    assert both == summary.closed.appraisals
    # the legacy files stop before it: no imported cycle of the same period
    assert db.scalar("SELECT count(*) FROM cycles WHERE period = '2026-Q3'") == 1
    assert summary.quarters == 3


def test_every_closed_appraisal_has_a_signed_archived_pdf_and_the_evidence_verifies(demo) -> None:
    db, summary = demo
    assert summary.closed is not None
    assert summary.closed.documents == summary.closed.appraisals
    root = archive.archive_root(db)
    paths = [r["path"] for r in db.rows("SELECT path FROM signoff_documents ORDER BY path")]
    assert len(paths) == summary.closed.documents
    assert all((root / p).read_bytes().startswith(b"%PDF") for p in paths)
    report = signoff_verify.verify(db, root)
    assert report.ok, report.lines()
    assert len(report.documents) == summary.closed.documents
    actions = {r["action"]: r["n"] for r in db.rows("SELECT action, count(*) AS n FROM signoff_ledger GROUP BY ALL")}
    assert actions["pdf_issued"] == summary.closed.documents
    assert actions["confirmation"] == 2 * summary.closed.appraisals
    assert actions["cycle_closed"] == 1
