"""The demo company: a deterministic generator with the seed's shape and spread, messy files, a clean import."""

from __future__ import annotations

import ast
import datetime as dt
import hashlib
import itertools
import os
import statistics
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import fastexcel
import pytest

from core.db import open_database
from demo.build import import_demo_files
from demo.company import Company, Quarter, completed_quarters, grade_of
from demo.files import write_demo_files
from demo.generator import generate_company
from demo.workbooks import WrittenFile, score_cell
from tests.conftest import DEMO_EMPLOYEES, DEMO_TODAY, BuiltDemo

TODAY = DEMO_TODAY


@pytest.fixture(scope="module")
def company() -> Company:
    return generate_company(420, 3, 2024, today=TODAY)


@pytest.fixture(scope="module")
def totals(company: Company) -> list[tuple[str, str, str | None, float]]:
    """(employee, department, rater, total) of every appraisal."""
    return [(a.employee.employee_id, a.employee.department, a.rater_id, a.total) for a in company.all_appraisals()]


def _snapshot(c: Company) -> list[tuple]:
    people = [
        (e.employee_id, e.name, e.department, e.position.name, e.manager_id, e.hire_date, e.leave_date)
        for e in c.employees
    ]
    results = [
        (a.quarter, a.employee.employee_id, a.total, tuple((i.kpi.name, i.weight, i.score, i.actual) for i in a.items))
        for a in c.all_appraisals()
    ]
    return people + results


def test_same_seed_gives_the_same_company_and_another_seed_does_not() -> None:
    first = _snapshot(generate_company(150, 2, 11, today=TODAY))
    assert first == _snapshot(generate_company(150, 2, 11, today=TODAY))
    assert first != _snapshot(generate_company(150, 2, 12, today=TODAY))


def test_quarters_end_with_the_last_completed_one() -> None:
    assert completed_quarters(3, TODAY)[0] == Quarter(2023, 4)
    assert completed_quarters(3, TODAY)[-1] == Quarter(2026, 3)
    assert len(completed_quarters(3, TODAY)) == 12
    assert completed_quarters(1, dt.date(2026, 1, 5)) == (
        Quarter(2025, 1),
        Quarter(2025, 2),
        Quarter(2025, 3),
        Quarter(2025, 4),
    )
    assert Quarter(2024, 2).end == dt.date(2024, 6, 30) and Quarter(2024, 4).end == dt.date(2024, 12, 31)


def test_the_company_has_the_seeds_shape(company: Company) -> None:
    assert len(company.employees) == 420
    assert len({e.department for e in company.employees}) == 12
    assert len({(e.department, e.position.name) for e in company.employees}) == 47
    ids = [e.employee_id for e in company.employees]
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 6 and i.isdigit() for i in ids)
    assert any(i.startswith("000") for i in ids)
    for e in company.employees:
        assert sum(e.position.weights) == 100
        assert 3 <= len(e.position.kpis) <= 6
        assert e.leave_date is None or e.leave_date > e.hire_date
    leavers = sum(1 for e in company.employees if e.leave_date)
    assert 5 <= leavers <= 60


def test_hierarchy_is_one_tree_under_the_general_manager(company: Company) -> None:
    by_id = {e.employee_id: e for e in company.employees}
    tops = [e for e in company.employees if e.manager_id is None]
    assert [e.position.name for e in tops] == ["总经理"]
    for e in company.employees:
        seen = set()
        walk = e
        while walk.manager_id is not None:
            assert walk.manager_id in by_id, f"{walk.employee_id} reports to an unknown {walk.manager_id}"
            assert walk.employee_id not in seen, f"cycle through {walk.employee_id}"
            seen.add(walk.employee_id)
            walk = by_id[walk.manager_id]
        assert walk is tops[0]
    spans = Counter(e.manager_id for e in company.employees if e.manager_id)
    assert max(spans.values()) <= 16
    leavers_managing = [m for m in spans if by_id[m].leave_date]
    assert not leavers_managing


def test_hierarchy_stays_realistic_at_ten_times_the_size() -> None:
    big = generate_company(5000, 1, 3, today=TODAY)
    spans = Counter(e.manager_id for e in big.employees if e.manager_id)
    assert len(big.employees) == 5000
    assert sum(1 for e in big.employees if e.manager_id is None) == 1
    assert max(spans.values()) <= 16
    for a in big.all_appraisals():
        assert 40 <= sum(i.score * i.weight for i in a.items) / 100 <= 110


def test_scores_have_a_realistic_spread(company: Company, totals: list) -> None:
    scores = [t for *_, t in totals]
    assert 4000 <= len(scores) <= 5040
    assert 77 <= statistics.mean(scores) <= 83
    assert 6.5 <= statistics.pstdev(scores) <= 9.5
    assert min(scores) >= 40 and max(scores) <= 110
    grades = Counter(grade_of(s) for s in scores)
    assert grades["A"] and grades["B"] and grades["C"]
    by_dept = defaultdict(list)
    for _, dept, _, t in totals:
        by_dept[dept].append(t)
    means = [statistics.mean(v) for v in by_dept.values()]
    assert max(means) - min(means) >= 3


def test_lenient_raters_score_above_harsh_ones(company: Company, totals: list) -> None:
    assert len(company.lenient) >= 2 and len(company.harsh) >= 2
    lenient = [t for _, _, rater, t in totals if rater in company.lenient]
    harsh = [t for _, _, rater, t in totals if rater in company.harsh]
    assert statistics.mean(lenient) > statistics.mean(harsh) + 6


def test_individual_effects_persist(company: Company, totals: list) -> None:
    halves: dict[str, list[list[float]]] = defaultdict(lambda: [[], []])
    mid = company.quarters[len(company.quarters) // 2]
    for a in company.all_appraisals():
        halves[a.employee.employee_id][a.quarter >= mid].append(a.total)
    pairs = [(statistics.mean(a), statistics.mean(b)) for a, b in halves.values() if a and b]
    assert statistics.correlation([p[0] for p in pairs], [p[1] for p in pairs]) > 0.4


def test_items_add_up_to_the_total(company: Company) -> None:
    for a in company.all_appraisals():
        assert 40 <= a.total <= 110
        assert a.total == pytest.approx(sum(i.score * i.weight for i in a.items) / 100, abs=0.051)
        assert a.grade == grade_of(a.total)
        assert a.rater_id == a.employee.manager_id


def test_score_cells_come_in_the_forms_hr_types() -> None:
    import random

    rng = random.Random(1)
    forms = {
        type(v).__name__ + (v[-1] if isinstance(v, str) else "")
        for v in (score_cell(rng, 87.5, 1.0) for _ in range(200))
    }
    assert {"float", "str%", "str分", "str５"} <= forms
    assert score_cell(rng, 87.5, 0.0) == 87.5


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def test_files_are_messy_and_the_same_for_the_same_seed(tmp_path: Path) -> None:
    small = generate_company(60, 1, 5, today=TODAY)
    files = write_demo_files(small, tmp_path / "a")
    again = write_demo_files(generate_company(60, 1, 5, today=TODAY), tmp_path / "b")
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert len(files) == len(again)
    kinds = Counter(f.kind for f in files)
    assert kinds["roster"] == 1 and kinds["tabular"] >= 12 and kinds["form"] >= 2
    suffixes = Counter(f.path.suffix for f in files)
    assert suffixes[".xls"] >= 1 and suffixes[".csv"] == 1
    # one workbook is BIFF .xls content under an .xlsx name, as HR's renamed files are
    ole = b"\xd0\xcf\x11\xe0"
    assert any(f.path.suffix == ".xlsx" and f.path.read_bytes()[:4] == ole for f in files)
    csv_file = next(f.path for f in files if f.path.suffix == ".csv")
    assert "工号" in csv_file.read_bytes().decode("gbk") or "Emp ID" in csv_file.read_bytes().decode("gbk")
    roster = fastexcel.read_excel(next(f.path for f in files if f.kind == "roster"))
    cells = roster.load_sheet(0, header_row=None, dtypes="string").to_polars()
    assert "花名册" in cells.row(0)[0]
    assert cells.row(2)[:3] == ("序号", "工号", "姓名")
    form = next(f.path for f in files if f.kind == "form")
    assert "汇总" in fastexcel.read_excel(form).sheet_names
    # the rows written cover every appraisal of the history
    assert sum(f.appraisals for f in files if f.kind != "roster") == sum(1 for _ in small.all_appraisals())


def test_same_seed_gives_the_same_company_in_another_process() -> None:
    """Every draw comes from the seed, none from the order of a set (which changes with the process's
    hash seed): the same files come out of two processes with different hash seeds."""
    script = (
        "import datetime as dt, hashlib, pathlib, sys, tempfile\n"
        "from demo.files import write_demo_files\n"
        "from demo.generator import generate_company\n"
        "folder = pathlib.Path(tempfile.mkdtemp())\n"
        "write_demo_files(generate_company(60, 1, 5, today=dt.date(2026, 11, 27)), folder)\n"
        "print(hashlib.sha256(b''.join(p.read_bytes() for p in sorted(folder.iterdir()))).hexdigest())\n"
    )
    root = Path(__file__).resolve().parent.parent
    digests = {
        subprocess.run(
            [sys.executable, "-c", script], cwd=root, env={**os.environ, "PYTHONHASHSEED": hash_seed},
            capture_output=True, text=True, check=True, timeout=120,
        ).stdout.strip()
        for hash_seed in ("1", "2")
    }  # fmt: skip
    assert len(digests) == 1 and len(next(iter(digests))) == 64, digests


def test_the_demo_imports_through_the_pipeline(demo_company: BuiltDemo, demo_db: Path) -> None:
    summary, steps = demo_company.summary, demo_company.steps
    assert summary.employees == DEMO_EMPLOYEES and summary.departments == 12
    assert not [r for r in summary.reports if r["status"] in ("refused", "failed")], summary.reports
    assert summary.rows_read >= summary.rows_written
    assert summary.loaded_share >= 0.98, summary.reports
    assert steps and steps[-1][0] == pytest.approx(1.0)
    assert all(a[0] <= b[0] for a, b in itertools.pairwise(steps))

    with open_database(demo_db) as db:
        assert db.scalar("SELECT count(*) FROM employees") == DEMO_EMPLOYEES
        assert db.scalar("SELECT count(*) FROM departments") == 12
        heatmap = db.rows(
            "SELECT c.period, a.dept_id, count(*) AS n, avg(a.final_score) AS mean"
            " FROM appraisals a JOIN cycles c USING (cycle_id) WHERE c.origin = 'legacy' GROUP BY 1, 2"
        )
        periods = {r["period"] for r in heatmap}
        # the files hold the year up to the quarter before last: last quarter is run in the app and closed
        assert periods == {"2025-Q4", "2026-Q1", "2026-Q2"}
        assert len({r["dept_id"] for r in heatmap}) == 12
        assert len(heatmap) == 12 * 3
        assert all(r["mean"] is not None and 40 <= r["mean"] <= 110 for r in heatmap)
        assert (
            db.scalar("SELECT count(*) FROM appraisal_items WHERE appraisal_id NOT LIKE 'C-2026-Q4:%'")
            >= 0.9 * summary.rows_written - 60
        )
        # and this quarter is open in the app, beside the imported history
        assert summary.cycle is not None and summary.cycle.cycle_id == "C-2026-Q4"
        assert db.scalar("SELECT count(*) FROM cycles WHERE origin = 'app' AND status = 'open'") == 1
        # the same files again change nothing
        files = sorted(demo_company.workdir.iterdir())
        assert files
        again = import_demo_files(db, [_written(p) for p in files if p.suffix in (".xlsx", ".xls", ".csv")])
        assert {r.status for r in again} == {"unchanged"}, [r.to_dict() for r in again if r.status != "unchanged"]


def _written(path: Path) -> WrittenFile:
    return WrittenFile(path, "roster" if path.name == "花名册.xlsx" else "tabular")


def test_core_imports_nothing_from_the_demo() -> None:
    """The demo sits on top of core and pipelines; core never reaches up into it (DESIGN.md §2)."""
    root = Path(__file__).resolve().parent.parent
    found = []
    for path in sorted((root / "core").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            found += [f"{path.name}: {n}" for n in names if n == "demo" or n.startswith(("demo.", "core.demo"))]
    assert not found, found
