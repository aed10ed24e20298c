"""core/org.py, core/imports.py and core/analytics.py on hand-made rows, read as HR (everyone in scope).
Scoping by role is tested in test_scoped_reads.py."""

from __future__ import annotations

import datetime as dt

import pytest

from core import analytics, imports, org, vocabulary
from core.auth import User
from core.db import Database

HR = User("hr", frozenset({"hr"}))
EXECUTIVE = User("exec", frozenset({"executive"}))


@pytest.fixture
def org_db(fresh_db: Database) -> Database:
    """Two departments (one inside the other), three positions, five people (one left, one historical)."""
    with fresh_db.transaction() as cur:
        cur.executemany(
            "INSERT INTO departments (dept_id, name, parent_id, head_id) VALUES (?, ?, ?, ?)",
            [("D1", "生产部", None, "0001"), ("D2", "质检科", "D1", "0003")],
        )
        cur.executemany(
            "INSERT INTO positions (position_id, dept_id, name, is_key) VALUES (?, ?, ?, ?)",
            [("P1", "D1", "车间主任", True), ("P2", "D1", "装配工", False), ("P3", "D2", "质检员", False)],
        )
        cur.executemany(
            "INSERT INTO employees (employee_id, name, dept_id, position_id, manager_id, hire_date, status)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                ("0001", "员工甲", "D1", "P1", None, dt.date(2015, 1, 5), "active"),
                ("0002", "员工乙", "D1", "P2", "0001", dt.date(2019, 7, 1), "active"),
                ("0003", "员工丙", "D2", "P3", "0001", dt.date(2020, 2, 3), "active"),
                ("0004", "员工丁", "D2", "P3", "0003", dt.date(2021, 4, 1), "left"),
                ("0105", "Test Person", "D2", "P3", "0003", None, "historical"),
            ],
        )
    return fresh_db


def test_departments_have_parent_head_and_active_headcount(org_db: Database) -> None:
    frame = org.list_departments(org_db, HR)
    rows = {r["dept_id"]: r for r in frame.to_dicts()}
    assert rows["D1"] == {
        "dept_id": "D1",
        "name": "生产部",
        "parent_name": None,
        "head_id": "0001",
        "head_name": "员工甲",
        "headcount": 2,
    }
    assert rows["D2"]["parent_name"] == "生产部"
    assert rows["D2"]["head_name"] == "员工丙"
    assert rows["D2"]["headcount"] == 1  # the one who left and the historical one do not count


def test_positions_of_one_department(org_db: Database) -> None:
    every = org.list_positions(org_db, HR)
    assert every.height == 3
    d1 = org.list_positions(org_db, HR, "D1")
    assert d1["name"].to_list() == ["装配工", "车间主任"]  # by name (code point order)
    assert d1.filter(d1["position_id"] == "P1")["is_key"].item() is True
    assert dict(zip(every["position_id"], every["headcount"], strict=True)) == {"P1": 1, "P2": 1, "P3": 1}


def test_search_by_id_name_department_and_status(org_db: Database) -> None:
    assert org.search_employees(org_db, HR)["employee_id"].to_list() == ["0001", "0002", "0003"]
    assert org.search_employees(org_db, HR, "乙")["employee_id"].to_list() == ["0002"]
    assert org.search_employees(org_db, HR, " 0003 ")["name"].to_list() == ["员工丙"]
    # case-insensitive, and statuses widen the search
    assert org.search_employees(org_db, HR, "test person").height == 0
    found = org.search_employees(org_db, HR, "TEST", statuses=("active", "left", "historical"))
    assert found["employee_id"].to_list() == ["0105"]
    d2 = org.search_employees(org_db, HR, dept_id="D2", statuses=vocabulary.EMPLOYEE_STATUSES)
    assert d2["employee_id"].to_list() == ["0003", "0004", "0105"]
    row = org.search_employees(org_db, HR, "0002").row(0, named=True)
    assert row["department"] == "生产部" and row["position"] == "装配工" and row["manager_name"] == "员工甲"
    assert row["hire_date"] == dt.date(2019, 7, 1)
    # LIKE wildcards in the search text are plain characters
    assert org.search_employees(org_db, HR, "%").height == 0


def test_org_counts(org_db: Database) -> None:
    assert org.org_counts(org_db, HR) == {"departments": 2, "positions": 3, "employees": 3}


def test_empty_database_gives_empty_frames(fresh_db: Database) -> None:
    assert org.list_departments(fresh_db, HR).height == 0
    assert org.search_employees(fresh_db, HR, "x").height == 0
    assert imports.list_batches(fresh_db, HR).height == 0
    assert analytics.closed_cycle_kinds(fresh_db) == []
    assert analytics.department_period_scores(fresh_db, HR).height == 0
    assert analytics.people_in_closed_cycles(fresh_db, HR) == 0


def test_import_history_newest_first_and_rejects_in_file_order(fresh_db: Database) -> None:
    with fresh_db.transaction() as cur:
        cur.executemany(
            "INSERT INTO import_batches (batch_id, source, file_name, sha256, uploaded_by, imported_at, rows_read,"
            " rows_loaded, rows_rejected, status) VALUES (?, ?, ?, ?, 'hr', ?, ?, ?, ?, ?)",
            [
                ("b1", "roster", "花名册.xlsx", "s1", dt.datetime(2024, 1, 2, 9, 0), 10, 10, 0, "loaded"),
                ("b2", "legacy", "2023.xlsx", "s2", dt.datetime(2024, 1, 3, 9, 0), 10, 8, 2, "partial"),
            ],
        )
        cur.executemany(
            'INSERT INTO import_rejects (batch_id, seq, sheet, "row", "column", value, reason) VALUES (?, ?, ?, ?, ?, ?, ?)',
            [
                ("b2", 2, "Q1", 9, "考核期间", "第五季度", "期间无法识别"),
                ("b2", 1, "Q1", 4, "总分", "优秀", "分数不是数字"),
            ],
        )
    batches = imports.list_batches(fresh_db, HR)
    assert batches["batch_id"].to_list() == ["b2", "b1"]
    assert batches.columns[:5] == ["batch_id", "imported_at", "file_name", "source", "status"]
    assert imports.list_batches(fresh_db, HR, limit=1).height == 1
    rejects = imports.batch_rejects(fresh_db, HR, "b2")
    assert rejects.columns == ["sheet", "row", "column", "value", "reason"]
    assert rejects["row"].to_list() == [4, 9]
    assert imports.batch_rejects(fresh_db, HR, "b1").height == 0


def _seed_appraisals(db: Database) -> None:
    """Two closed quarters and one open one; one closed annual cycle. Department D2 moves nobody."""
    with db.transaction() as cur:
        cur.executemany("INSERT INTO departments (dept_id, name) VALUES (?, ?)", [("D1", "生产部"), ("D2", "质检科")])
        cur.executemany(
            "INSERT INTO cycles (cycle_id, name, kind, period, period_start, period_end, status, origin)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, 'legacy')",
            [
                # inserted out of order on purpose: results come back in period order
                ("c2", "2024Q2", "quarterly", "2024-Q2", dt.date(2024, 4, 1), dt.date(2024, 6, 30), "closed"),
                ("c1", "2024Q1", "quarterly", "2024-Q1", dt.date(2024, 1, 1), dt.date(2024, 3, 31), "closed"),
                ("c3", "2024Q3", "quarterly", "2024-Q3", dt.date(2024, 7, 1), dt.date(2024, 9, 30), "open"),
                ("y1", "2023", "annual", "2023", dt.date(2023, 1, 1), dt.date(2023, 12, 31), "closed"),
            ],
        )
        rows = [
            # cycle, employee, dept, score, grade, calibrated grade
            ("c1", "e1", "D1", 95.0, "A", None),
            ("c1", "e2", "D1", 80.0, "B", "A"),  # calibrated up: counts as A
            ("c1", "e3", "D1", 60.0, "C", None),
            ("c1", "e4", "D1", None, None, None),  # appraised, no score and no grade yet
            ("c1", "e5", "D2", 72.0, "b", None),  # lower-case grade from an old file
            ("c2", "e1", "D1", 91.0, "A", "B"),  # calibrated down: counts as B
            ("c2", "e5", "D2", 65.0, "C", None),
            ("c3", "e1", "D1", 50.0, "C", None),  # open cycle: not counted
            ("y1", "e1", "D1", 88.0, "B", None),
        ]
        cur.executemany(
            "INSERT INTO appraisals (appraisal_id, cycle_id, employee_id, dept_id, stage, final_score, grade,"
            " calibrated_grade) VALUES (?, ?, ?, ?, 'closed', ?, ?, ?)",
            [(f"{c}-{e}", c, e, d, s, g, cg) for c, e, d, s, g, cg in rows],
        )


def test_heatmap_cells(fresh_db: Database) -> None:
    _seed_appraisals(fresh_db)
    assert analytics.closed_cycle_kinds(fresh_db) == ["quarterly", "annual"]
    frame = analytics.department_period_scores(fresh_db, HR, "quarterly")
    assert frame.select("period", "department").rows() == [
        ("2024-Q1", "生产部"),
        ("2024-Q1", "质检科"),
        ("2024-Q2", "生产部"),
        ("2024-Q2", "质检科"),
    ]
    cell = frame.row(0, named=True)
    assert cell["people"] == 4 and cell["scored"] == 3 and cell["graded"] == 3
    assert cell["mean_score"] == pytest.approx((95 + 80 + 60) / 3)
    assert cell["share_a"] == pytest.approx(2 / 3)
    assert cell["share_c"] == pytest.approx(1 / 3)
    assert cell["period_start"] == dt.date(2024, 1, 1)
    assert cell["hidden"] is False
    q2 = frame.filter(frame["period"] == "2024-Q2").row(0, named=True)
    assert q2["share_a"] == 0.0 and q2["mean_score"] == 91.0
    d2 = frame.filter(frame["department"] == "质检科")["share_c"].to_list()
    assert d2 == [0.0, 1.0]
    assert analytics.people_in_closed_cycles(fresh_db, HR, "quarterly") == 5
    annual = analytics.department_period_scores(fresh_db, HR, "annual")
    assert annual.select("period", "people", "mean_score").rows() == [("2023", 1, 88.0)]


def test_heatmap_hides_small_cells(fresh_db: Database) -> None:
    _seed_appraisals(fresh_db)
    assert not analytics.department_period_scores(fresh_db, HR, "quarterly")["hidden"].any()  # HR sees every cell
    frame = analytics.department_period_scores(fresh_db, EXECUTIVE, "quarterly")
    shown = frame.filter(~frame["hidden"])
    assert shown.select("period", "department").rows() == [("2024-Q1", "生产部")]
    small = frame.filter(frame["hidden"])
    assert small["mean_score"].null_count() == small.height == 3
    assert small["people"].to_list() == [1, 1, 1]
