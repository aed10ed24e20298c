"""One transaction per file: all accepted rows or nothing, and importing the same data again changes nothing.

(a) an insert that fails midway leaves no trace in any table; (b) a process killed midway leaves no
trace and a database that opens; (c) the same file twice is 'unchanged'; (d) another file with the
same rows is counted unchanged, and the same keys with other scores are rejected, never overwritten.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import pipelines.importer as importer
import pipelines.importer as roster_pipeline  # every load writes through the importer's batch
from core.db import Database, open_database
from pipelines import import_file
from tests import builders as b

ROOT = Path(__file__).resolve().parents[1]
HAN = b.HAN
TABLES = (*b.DATA_TABLES, "import_batches", "audit_log")
DATA_TABLES = tuple(t for t in TABLES if t not in ("import_batches", "audit_log"))
PEOPLE = b.sample_people(10)


def counts(db: Database) -> dict[str, int]:
    return b.table_counts(db, TABLES)


def snapshot(db: Database) -> dict[str, list]:
    """Every row of every table (ordered), to prove that nothing at all changed."""
    return {t: db.rows(f"SELECT * FROM {t} ORDER BY ALL") for t in TABLES}


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A database holding the roster and one earlier legacy file (so 'unchanged' means something)."""
    path = tmp_path / "atomic.duckdb"
    with open_database(path) as db:
        assert import_file(db, b.write_roster(tmp_path / "花名册.xlsx", PEOPLE)).status == "loaded"
        earlier = b.write_xlsx(
            tmp_path / "2023年Q4.xlsx", {"2023Q4": b.simple_legacy_rows({"00101": 90, "00106": 80}, "2023Q4")}
        )
        assert import_file(db, earlier).status == "loaded"
    return path


@pytest.fixture
def db(db_path: Path) -> Iterator[Database]:
    database = open_database(db_path)
    yield database
    database.close()


def form_file(tmp_path: Path) -> Path:
    return b.write_form_workbook(tmp_path / "2024年3月个人考核.xlsx", PEOPLE[:3])


def messy_file(tmp_path: Path) -> Path:
    return b.write_messy_legacy(tmp_path / "2024年考核汇总.xlsx")[0]


# ---- (a) a failing insert ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make_file", "failing_table"),
    [
        (form_file, "appraisal_items"),  # the last data insert
        (messy_file, "appraisals"),
        (messy_file, "import_rejects"),  # the very last insert, after the batch row
    ],
    ids=["form-items", "messy-appraisals", "messy-rejects"],
)
def test_failed_insert_leaves_nothing_in_any_table(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_file, failing_table: str
) -> None:
    path = make_file(tmp_path)
    before = snapshot(db)
    real_insert = importer.insert_frame
    seen: list[str] = []

    def insert_or_fail(cur, table, frame):
        seen.append(table)
        if table == failing_table:
            raise RuntimeError(f"simulated failure inserting into {table}")
        return real_insert(cur, table, frame)

    monkeypatch.setattr(importer, "insert_frame", insert_or_fail)
    report = import_file(db, path, uploaded_by="tester")

    assert failing_table in seen and len(seen) > 1  # it failed after other inserts had run
    assert report.status == "failed", report.to_dict()
    assert HAN.search(report.message) and "没有写入任何数据" in report.message
    assert report.rows_loaded == 0
    assert snapshot(db) == before

    # the connection is usable and the file was not marked as imported: it loads once the fault is gone
    monkeypatch.setattr(importer, "insert_frame", real_insert)
    retry = import_file(db, path, uploaded_by="tester")
    assert retry.status in ("loaded", "partial"), retry.to_dict()
    assert counts(db)["appraisals"] > len(before["appraisals"])


def test_failed_roster_update_leaves_the_org_untouched(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    changed = [*PEOPLE[:9], b.Person("00120", "测试新人", "物流部", "仓管员", "00101", PEOPLE[0].hire_date)]
    changed[3] = b.Person(changed[3].employee_id, "测试改名", "质检部", "质检员", "00106", changed[3].hire_date)
    path = b.write_roster(tmp_path / "花名册v2.xlsx", changed)
    before = snapshot(db)
    real_insert = roster_pipeline.insert_frame

    def fail_on_employees(cur, table, frame):
        if table == "employees":
            raise RuntimeError("simulated failure")
        return real_insert(cur, table, frame)

    monkeypatch.setattr(roster_pipeline, "insert_frame", fail_on_employees)
    report = import_file(db, path)
    assert report.status == "failed" and HAN.search(report.message), report.to_dict()
    assert snapshot(db) == before  # the new department (inserted first) is gone too


# ---- (b) killed in the middle -------------------------------------------------------------------

KILLED = """
import sys, time
from pathlib import Path
import pipelines.importer as importer
import pipelines.importer as roster
from core.db import open_database

db_path, file_path, ready, module_name, after_table = sys.argv[1:6]
module = importer if module_name == "importer" else roster
real_insert = module.insert_frame

def insert_then_hang(cur, table, frame):
    n = real_insert(cur, table, frame)
    if table == after_table:
        Path(ready).touch()
        time.sleep(60)
    return n

module.insert_frame = insert_then_hang
db = open_database(db_path)
importer.import_file(db, file_path, uploaded_by="killed")
print("the import finished: it should have been killed")
"""


@pytest.mark.parametrize(
    ("module_name", "after_table", "kind"),
    [("importer", "appraisals", "legacy"), ("roster", "employees", "roster")],
)
def test_process_killed_midway_leaves_nothing_and_the_database_opens(
    db_path: Path, tmp_path: Path, module_name: str, after_table: str, kind: str
) -> None:
    if kind == "legacy":
        path = form_file(tmp_path)
    else:
        movers = [b.Person(p.employee_id, p.name, "总装车间", p.position, p.manager_id, p.hire_date) for p in PEOPLE]
        path = b.write_roster(
            tmp_path / "花名册v2.xlsx",
            [*movers, b.Person("00199", "测试新人", "总装车间", "装配工", "00101", PEOPLE[0].hire_date)],
        )
    with open_database(db_path) as db:
        before = snapshot(db)
    ready = tmp_path / "ready"
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED, str(db_path), str(path), str(ready), module_name, after_table],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        while not ready.exists():
            if proc.poll() is not None:
                pytest.fail(f"the import process ended before the hook: {proc.communicate()}")
            assert time.monotonic() < deadline, "the import never reached the hook"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    with open_database(db_path) as db:  # opens (and replays its WAL) without error
        assert snapshot(db) == before
        assert db.scalar("SELECT count(*) FROM import_batches WHERE uploaded_by = 'killed'") == 0
        # and the same file imports normally afterwards
        again = import_file(db, path)
        assert again.status in ("loaded", "partial"), again.to_dict()


# ---- (c) the same file twice -------------------------------------------------------------------


def test_same_file_twice_is_unchanged_and_changes_nothing(db: Database, tmp_path: Path) -> None:
    path = messy_file(tmp_path)
    first = import_file(db, path)
    assert first.status == "partial"
    before = snapshot(db)
    second = import_file(db, path)
    assert second.status == "unchanged", second.to_dict()
    assert second.batch_id == first.batch_id and second.rows_loaded == 0
    assert first.batch_id in second.message and HAN.search(second.message)
    assert snapshot(db) == before

    renamed = tmp_path / "副本 - 2024年考核汇总.xlsx"
    renamed.write_bytes(path.read_bytes())
    third = import_file(db, renamed)
    assert third.status == "unchanged" and path.name in third.message, third.to_dict()
    assert snapshot(db) == before


# ---- (d) other files with the same keys ----------------------------------------------------------

Q1 = {"00102": 88, "00103": 91.5, "00104": 67, "00107": 79}


def test_other_file_with_the_same_rows_counts_them_unchanged(db: Database, tmp_path: Path) -> None:
    first = import_file(db, b.write_xlsx(tmp_path / "一季度.xlsx", {"2024Q1": b.simple_legacy_rows(Q1, "2024年Q1")}))
    assert first.status == "loaded", first.to_dict()
    before = snapshot(db)
    # the same people and scores, but another format, sheet name, title and period spelling
    rows = b.simple_legacy_rows(Q1, "2024Q1")
    same = b.write_xls(tmp_path / "一季度(重新导出).xls", {"汇总": [["一季度考核 重新导出"], *rows]})
    report = import_file(db, same)
    assert report.status == "unchanged", report.to_dict()
    assert (report.rows_read, report.rows_unchanged, report.rows_loaded, report.rows_rejected) == (4, 4, 0, 0)
    after = snapshot(db)
    for table in DATA_TABLES:
        assert after[table] == before[table], table
    assert len(after["import_batches"]) == len(before["import_batches"]) + 1
    assert len(after["audit_log"]) == len(before["audit_log"]) + 1  # the upload itself is audited


def test_same_keys_with_other_scores_are_rejected_and_not_overwritten(db: Database, tmp_path: Path) -> None:
    first_path = b.write_xlsx(tmp_path / "一季度.xlsx", {"2024Q1": b.simple_legacy_rows(Q1, "2024年Q1")})
    first = import_file(db, first_path)
    assert first.status == "loaded"
    stored = {r["employee_id"]: r for r in db.rows("SELECT * FROM appraisals WHERE cycle_id = 'H-2024-Q1'")}

    # 00102 and 00104 as before, 00103 and 00107 with other scores, 00108 new
    second = {"00102": 88, "00103": 75, "00104": 67, "00107": 99, "00108": 83}
    report = import_file(db, b.write_xlsx(tmp_path / "一季度更正.xlsx", {"S": b.simple_legacy_rows(second, "2024Q1")}))
    assert report.status == "partial", report.to_dict()
    assert (report.rows_read, report.rows_loaded, report.rows_unchanged, report.rows_rejected) == (5, 1, 2, 2)
    rejected = {r.value: r for r in report.rejects}
    assert set(rejected) == {"75", "99"}
    for r in report.rejects:
        assert first.batch_id in r.reason and first_path.name in r.reason and "不会覆盖" in r.reason, r
    assert sorted(r.row for r in report.rejects) == [3, 5]  # Excel rows of 00103 and 00107

    now = {r["employee_id"]: r for r in db.rows("SELECT * FROM appraisals WHERE cycle_id = 'H-2024-Q1'")}
    assert set(now) == {*stored, "00108"}
    for emp, row in stored.items():
        assert now[emp] == row, emp  # untouched, batch id included
    assert now["00108"]["final_score"] == 83 and now["00108"]["batch_id"] == report.batch_id
    assert db.scalar("SELECT count(*) FROM import_rejects WHERE batch_id = ?", [report.batch_id]) == 2


def test_same_key_twice_in_one_file_is_reported_not_deduplicated(db: Database, tmp_path: Path) -> None:
    rows = b.simple_legacy_rows({"00102": 88, "00103": 91}, "2024Q1")
    rows.append(list(rows[1]))  # 00102 again, identical
    report = import_file(db, b.write_xlsx(tmp_path / "重复.xlsx", {"S": rows}))
    assert report.status == "partial", report.to_dict()
    assert sorted(r.row for r in report.rejects) == [2, 4]
    assert all("重复" in r.reason for r in report.rejects)
    assert db.rows("SELECT employee_id FROM appraisals WHERE cycle_id = 'H-2024-Q1'") == [{"employee_id": "00103"}]


# ---- the report matches what was written ---------------------------------------------------------


@pytest.mark.parametrize("xls", [False, True], ids=["xlsx", "xls"])
def test_report_and_rows_written_match_the_messy_cases(db: Database, tmp_path: Path, xls: bool) -> None:
    """Each row of the messy workbook lands as expected (id zeros restored, period, score) or is
    rejected with its reason, and the report's counts are what was written."""
    path, layout = b.write_messy_legacy(tmp_path / ("旧表.xls" if xls else "新表.xlsx"), xls=xls)
    before = counts(db)
    report = import_file(db, path)
    after = counts(db)
    assert after["appraisals"] - before["appraisals"] == report.rows_loaded == 6
    assert after["import_rejects"] - before["import_rejects"] == len(report.rejects) == 2
    batch = db.one(
        "SELECT rows_read, rows_loaded, rows_rejected, status FROM import_batches WHERE batch_id = ?", [report.batch_id]
    )
    assert batch == {"rows_read": 8, "rows_loaded": 6, "rows_rejected": 2, "status": "partial"}
    stored = {
        (r["employee_id"], r["cycle_id"]): r["final_score"]
        for r in db.rows(
            "SELECT employee_id, cycle_id, final_score FROM appraisals WHERE batch_id = ?", [report.batch_id]
        )
    }
    rejects = {r.row: r for r in report.rejects}
    for row, case in layout.data_rows.items():
        key = (case.expect_id, f"H-{case.expect_period}")
        if case.expect_score is None:
            assert key not in stored and case.reject_hint in rejects[row].reason, (row, case)
            assert rejects[row].sheet == layout.sheet and rejects[row].column == "得分"
        else:
            assert stored[key] == pytest.approx(case.expect_score), (row, case)
    assert layout.total_row not in rejects and not set(layout.note_rows) & set(rejects)


def test_wide_layout_report_counts_match_the_appraisals_written(db: Database, tmp_path: Path) -> None:
    periods = ["2024年Q1", "2024年Q2"]
    people = PEOPLE[1:5]
    scores = {(p.employee_id, periods[i % 2]): 80 + i for i, p in enumerate(people)}
    scores[(people[0].employee_id, periods[1])] = "缺考"
    before = counts(db)
    report = import_file(db, b.write_wide_legacy(tmp_path / "季度汇总.xlsx", people, periods, scores))
    written = counts(db)["appraisals"] - before["appraisals"]
    assert written == 4
    assert report.rows_loaded == written, report.to_dict()


# ---- two uploads at once ----------------------------------------------------------------------------


def test_two_uploads_at_the_same_time_both_load(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    q1 = b.write_xlsx(tmp_path / "一季度.xlsx", {"S": b.simple_legacy_rows({"00102": 90, "00103": 80}, "2024Q1")})
    q2 = b.write_xlsx(tmp_path / "二季度.xlsx", {"S": b.simple_legacy_rows({"00104": 70, "00105": 85}, "2024Q2")})
    before = counts(db)
    both_inside = threading.Barrier(2)
    real_insert = importer.insert_frame

    def insert_and_meet(cur, table, frame):
        n = real_insert(cur, table, frame)
        if table == "appraisals":  # both transactions are open here (unless imports are serialised)
            with contextlib.suppress(threading.BrokenBarrierError):
                both_inside.wait(timeout=5)
        return n

    monkeypatch.setattr(importer, "insert_frame", insert_and_meet)
    reports: dict[str, object] = {}

    def upload(path: Path) -> None:
        reports[path.name] = import_file(db, path, uploaded_by=f"hr_{path.stem}")

    threads = [threading.Thread(target=upload, args=(p,)) for p in (q1, q2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)
    statuses = {name: (r.status, r.message) for name, r in reports.items()}  # type: ignore[attr-defined]
    assert all(s == "loaded" for s, _ in statuses.values()), statuses
    assert counts(db)["appraisals"] == before["appraisals"] + 4
