"""Real files from ../shared/corpus, read in place (never copied into the repository).

- every file under excel_edge/ is loaded or refused with a Chinese reason, within a time bound, never
  'failed', never half-loaded — whatever source the user picked;
- hr_en/hrsample: a roster built from its desk and hierarchy tables, then 21,466 yearly reviews on a
  1–5 scale imported as legacy history: every review loaded or reported, 19 closed annual cycles.
"""

from __future__ import annotations

import faulthandler
import re
import threading
from pathlib import Path

import polars as pl
import pytest

from core.db import Database, open_database
from pipelines import LoadReport, import_file
from tests import builders as b
from tests.builders import CORPUS_DIR

EDGE = CORPUS_DIR / "excel_edge"
HRSAMPLE = CORPUS_DIR / "hr_en" / "hrsample"
HAN = b.HAN
TABLES = (*b.DATA_TABLES, "import_batches")
IMPORT_SECONDS = 60
# a reader's or parser's own words (calamine, xlrd, polars): never in what a person reads
RAW_ERROR = re.compile(
    r"[A-Z][A-Za-z]+(Error|Exception)\b|calamine|xlrd|Traceback|malformed|row_offset|Xml error|Context:|"
    r"Cannot detect|could not|not a valid|unrecognized|invalid",
    re.I,
)


def _edge_files() -> list:
    if not EDGE.is_dir():
        return [pytest.param(None, id="corpus-absent")]
    files = sorted(p.relative_to(EDGE).as_posix() for p in EDGE.rglob("*") if p.is_file())
    return [pytest.param(f, id=f) for f in files]


def _need_corpus(path: Path) -> None:
    if not path.exists():
        pytest.skip(f"the shared corpus is not present at {path} (see DESIGN.md §7)")


def counts(db: Database) -> dict[str, int]:
    return b.table_counts(db, TABLES)


def import_with_deadline(db: Database, path: Path, seconds: float = IMPORT_SECONDS, **kwargs) -> LoadReport:
    """Run the import on a worker thread; a hang fails the test instead of blocking the suite.

    A watchdog (faulthandler, outside the GIL) dumps the stacks and ends the run if even the join
    cannot return, e.g. when native code spins while holding the GIL."""
    outcome: dict[str, object] = {}

    def work() -> None:
        try:
            outcome["report"] = import_file(db, path, **kwargs)
        except BaseException as err:  # import_file must not raise; keep it to report it
            outcome["error"] = err

    worker = threading.Thread(target=work, name=f"import {path.name}", daemon=True)
    faulthandler.dump_traceback_later(seconds * 3, exit=True)
    try:
        worker.start()
        worker.join(seconds)
    finally:
        faulthandler.cancel_dump_traceback_later()
    assert not worker.is_alive(), f"importing {path.name} took longer than {seconds} s"
    assert "error" not in outcome, f"import_file raised instead of reporting: {outcome.get('error')!r}"
    report = outcome["report"]
    assert isinstance(report, LoadReport)
    return report


# ---- excel_edge ------------------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["auto", "legacy", "roster"])
@pytest.mark.parametrize("name", _edge_files())
def test_edge_file_is_loaded_or_refused_with_a_reason(tmp_path: Path, name: str | None, source: str) -> None:
    _need_corpus(EDGE)
    assert name is not None
    path = EDGE / name
    with open_database(tmp_path / "edge.duckdb") as db:
        report = import_with_deadline(db, path, source=source, uploaded_by="corpus")
        after = counts(db)
        batches = db.rows("SELECT status, rows_loaded FROM import_batches")

    assert report.status != "failed", report.to_dict()
    assert report.status in ("loaded", "partial", "rejected", "refused"), report.to_dict()
    assert report.message.strip() and HAN.search(report.message), report.message
    for text in (report.message, *report.notes, *(r.reason for r in report.rejects)):
        assert not RAW_ERROR.search(text), text
    if report.status != "refused":
        assert report.rows_loaded + report.rows_rejected + report.rows_unchanged == report.rows_read
    for reject in report.rejects:
        assert reject.reason and HAN.search(reject.reason), reject
    if report.status in ("refused", "rejected"):
        # nothing of the file is in the data tables; one history line says what happened
        assert after["appraisals"] == after["appraisal_items"] == after["employees"] == 0, after
        assert after["departments"] == after["positions"] == after["cycles"] == after["kpis"] == 0, after
        assert [b["status"] for b in batches] == [report.status], batches
    if report.status == "refused":
        assert report.rows_loaded == 0 and report.rejects == [], report.to_dict()
        assert after["import_rejects"] == 0
    else:
        assert len(batches) == 1 and batches[0]["rows_loaded"] == report.rows_loaded
        assert after["import_rejects"] == len(report.rejects)


def test_edge_files_are_all_covered() -> None:
    """The parametrisation above really runs over the corpus (a moved folder must not pass silently)."""
    _need_corpus(EDGE)
    names = [p.values[0] for p in _edge_files()]
    assert len(names) >= 60
    assert "calamine/pass_protected.xlsx" in names and "xlrd/corrupted_error.xls" in names


def test_the_unreadable_edge_files_say_what_is_wrong_in_chinese(tmp_path: Path) -> None:
    """xlrd's LICENSE (plain text, a stray quote) broke the CSV parser, whose English error reached the user;
    a corrupted .xls; the calamine entity file, opened: a sheet of two cells, 「&」 (written &amp;) and a line
    break (&#xA;) — sound XML, read as text, so it is refused only for having no header."""
    _need_corpus(EDGE)
    with open_database(tmp_path / "unreadable.duckdb") as db:
        text = import_with_deadline(db, EDGE / "xlrd" / "LICENSE")
        entities = import_with_deadline(db, EDGE / "calamine" / "encoded_entities.xlsx")
    assert text.status == "refused" and text.message.startswith("这个文本文件无法按 CSV 表格读取"), text.message
    assert entities.status == "refused" and "没有在文件里找到可识别的表头" in entities.message, entities.message


def test_encrypted_edge_file_gets_its_own_reason(tmp_path: Path) -> None:
    _need_corpus(EDGE)
    with open_database(tmp_path / "encrypted.duckdb") as db:
        report = import_with_deadline(db, EDGE / "calamine" / "pass_protected.xlsx")
    assert report.status == "refused" and "密码" in report.message, report.to_dict()


def test_forced_legacy_source_without_any_header_says_no_header_was_found(tmp_path: Path) -> None:
    _need_corpus(EDGE)
    with open_database(tmp_path / "h.duckdb") as db:
        report = import_with_deadline(db, EDGE / "fastexcel" / "fixture-multi-sheet.xlsx", source="legacy")
    assert report.status == "refused"
    assert "找到了表头" not in report.message, report.message
    assert "没有在文件里找到可识别的表头" in report.message
    assert "「January」" in report.message  # names the sheets it looked at


# ---- hr_en/hrsample ------------------------------------------------------------------------------

REVIEWS = 21466


def build_hrsample_roster(folder: Path) -> Path:
    """A roster CSV from the hrsample tables: department = org of the person's latest desk, position =
    that desk's job, manager = the (latest) holder of the parent desk, hire date = first desk start."""
    info = pl.read_csv(HRSAMPLE / "employeeinfo_table.csv", infer_schema=False)
    desks = pl.read_csv(HRSAMPLE / "deskhistory_table.csv", infer_schema=False).with_columns(
        pl.col("desk_id_start_date").str.to_date(), pl.col("desk_id_end_date").str.to_date()
    )
    hierarchy = pl.read_csv(HRSAMPLE / "hierarchy_table.csv", infer_schema=False)
    jobs = pl.read_csv(HRSAMPLE / "deskjob_table.csv", infer_schema=False)
    ordered = desks.sort("desk_id_start_date", "desk_id_end_date", "employee_num")
    latest = ordered.group_by("employee_num").agg(
        pl.col("desk_id").last(), pl.col("desk_id_start_date").min().alias("hire_date")
    )
    holder = ordered.group_by("desk_id").agg(pl.col("employee_num").last().alias("manager"))
    roster = (
        info.join(latest, on="employee_num", how="left")
        .join(hierarchy, on="desk_id", how="left")
        .join(jobs, on="desk_id", how="left")
        .join(holder.rename({"desk_id": "parent_id"}), on="parent_id", how="left")
        .select(
            "employee_num",
            "first_name",
            "last_name",
            pl.col("org").alias("department"),
            "job_name",
            "manager",
            "hire_date",
        )
        .sort("employee_num")
    )
    path = folder / "hrsample_roster.csv"
    roster.write_csv(path)
    return path


@pytest.fixture(scope="module")
def hrsample_db(tmp_path_factory: pytest.TempPathFactory):
    _need_corpus(HRSAMPLE)
    folder = tmp_path_factory.mktemp("hrsample")
    roster_csv = build_hrsample_roster(folder)
    db = open_database(folder / "hrsample.duckdb")
    roster = import_with_deadline(db, roster_csv, source="auto", uploaded_by="corpus")
    reviews = import_with_deadline(db, HRSAMPLE / "performancereview_table.csv", source="auto", uploaded_by="corpus")
    yield db, roster, reviews, pl.read_csv(roster_csv, infer_schema=False)
    db.close()


def test_hrsample_roster_builds_the_org(hrsample_db) -> None:
    db, roster, _, frame = hrsample_db
    assert roster.source == "roster" and roster.status == "loaded", roster.to_dict()
    assert roster.rows_read == roster.rows_loaded == frame.height
    assert db.scalar("SELECT count(*) FROM employees WHERE status = 'active'") == frame.height
    # names joined from first and last name; departments and managers resolved
    some = frame.row(0, named=True)
    row = db.one("SELECT name, manager_id FROM employees WHERE employee_id = ?", [some["employee_num"]])
    assert row == {"name": f"{some['first_name']} {some['last_name']}", "manager_id": some["manager"]}
    assert db.scalar("SELECT count(DISTINCT name) FROM departments") == frame.get_column("department").n_unique()
    with_manager = frame.filter(pl.col("manager").is_not_null()).height
    assert db.scalar("SELECT count(*) FROM employees WHERE manager_id IS NOT NULL") == with_manager


def test_hrsample_reviews_every_one_loaded_or_reported(hrsample_db) -> None:
    db, _, reviews, _ = hrsample_db
    assert reviews.source == "legacy", reviews.to_dict()
    assert reviews.status in ("loaded", "partial"), reviews.to_dict()
    assert reviews.rows_read == REVIEWS
    assert reviews.rows_loaded + reviews.rows_rejected == REVIEWS
    assert reviews.rows_unchanged == 0
    for reject in reviews.rejects:
        assert reject.reason and HAN.search(reject.reason), reject
        assert reject.row is not None and 2 <= reject.row <= REVIEWS + 1, reject
    # the file holds a few (employee, year) keys twice: both rows are reported, neither is kept
    assert db.scalar("SELECT count(*) FROM appraisals") == reviews.rows_loaded
    batch = db.one(
        "SELECT status, rows_read, rows_loaded, rows_rejected FROM import_batches WHERE batch_id = ?",
        [reviews.batch_id],
    )
    assert batch == {
        "status": reviews.status,
        "rows_read": REVIEWS,
        "rows_loaded": reviews.rows_loaded,
        "rows_rejected": reviews.rows_rejected,
    }
    assert db.scalar("SELECT count(*) FROM import_rejects WHERE batch_id = ?", [reviews.batch_id]) == len(
        reviews.rejects
    )


def test_hrsample_reviews_become_closed_annual_cycles_on_the_five_point_scale(hrsample_db) -> None:
    db, _, reviews, _ = hrsample_db
    cycles = db.rows("SELECT period, kind, status, origin, period_start, period_end FROM cycles ORDER BY period")
    assert [c["period"] for c in cycles] == [str(y) for y in range(1999, 2018)]
    assert all(c["kind"] == "annual" and c["status"] == "closed" and c["origin"] == "legacy" for c in cycles)
    assert all(c["period_start"].month == 1 and c["period_end"].month == 12 for c in cycles)
    scales = db.rows(
        "SELECT source_scale, count(*) AS n, min(source_score) AS lo, max(source_score) AS hi, "
        "count(*) FILTER (WHERE abs(final_score - source_score * 20) > 1e-9) AS off FROM appraisals GROUP BY ALL"
    )
    assert scales == [{"source_scale": 5, "n": reviews.rows_loaded, "lo": 1.0, "hi": 5.0, "off": 0}]
    # spot-check one review against the file: employee 6773 scored 3 in 1999 and 4 in 2000
    got = db.rows(
        "SELECT cycle_id, source_score FROM appraisals WHERE employee_id = '6773' AND cycle_id IN ('H-1999', 'H-2000') ORDER BY 1"
    )
    assert got == [{"cycle_id": "H-1999", "source_score": 3.0}, {"cycle_id": "H-2000", "source_score": 4.0}]
    # every appraisal belongs to someone of the roster, with the roster's department
    assert (
        db.scalar(
            "SELECT count(*) FROM appraisals a LEFT JOIN employees e USING (employee_id) WHERE e.employee_id IS NULL"
        )
        == 0
    )


def test_hrsample_reimport_is_unchanged_and_changes_nothing(hrsample_db) -> None:
    db, _, reviews, _ = hrsample_db
    before = counts(db)
    again = import_with_deadline(db, HRSAMPLE / "performancereview_table.csv", uploaded_by="corpus")
    assert again.status == "unchanged", again.to_dict()
    assert again.rows_loaded == 0 and again.batch_id == reviews.batch_id
    assert HAN.search(again.message)
    assert counts(db) == before
