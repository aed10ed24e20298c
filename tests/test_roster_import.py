"""Rosters (花名册): new people added, changed people updated, identical rows untouched."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from core.db import open_database
from pipelines import import_file
from tests.test_legacy_import import write_xlsx

HEAD = ["工号", "姓名", "部门", "上级部门", "岗位", "直接上级", "入职日期", "状态"]


@pytest.fixture
def db(tmp_path: Path):
    database = open_database(tmp_path / "r.duckdb")
    yield database
    database.close()


def test_roster_builds_org_and_resolves_managers_by_id_or_name(db, tmp_path: Path) -> None:
    rows = [
        ["某某机械有限公司 员工花名册"],
        HEAD,
        [
            "000003",
            "丙二",
            "生产一车间",
            "生产中心",
            "装配工",
            "乙一",
            "2015/5/6",
            "在职",
        ],  # manager named, listed below
        ["000001", "甲总", "总经办", None, "总经理", None, 40179, "在职"],  # Excel serial date
        ["000002", "乙一", "生产一车间", "生产中心", "车间主任", "1", "2012年3月1日", "在职"],  # id lost its zeros
        ["000004", "丁三", "生产一车间", "生产中心", "装配工", "000002", "2016-07-01", "离职"],
        ["000005", "戊四", "质量部", None, "质检员", "000001", "2018-01-01", "在职"],
    ]
    report = import_file(db, write_xlsx(tmp_path / "hr.xlsx", {"花名册": rows}))
    assert (report.source, report.status, report.rows_loaded) == ("roster", "loaded", 5), report.rejects
    people = {r["employee_id"]: r for r in db.rows("SELECT * FROM employees")}
    assert people["000003"]["manager_id"] == "000002"
    assert people["000002"]["manager_id"] == "000001"
    assert people["000001"]["hire_date"] == dt.date(2010, 1, 1)
    assert people["000002"]["hire_date"] == dt.date(2012, 3, 1)
    assert people["000004"]["status"] == "left"
    depts = {d["name"]: d for d in db.rows("SELECT * FROM departments")}
    assert set(depts) == {"生产一车间", "生产中心", "总经办", "质量部"}
    assert depts["生产一车间"]["parent_id"] == depts["生产中心"]["dept_id"]
    assert depts["生产一车间"]["head_id"] == "000002"  # the one member whose manager sits outside
    assert db.scalar("SELECT count(*) FROM positions") == 4


def test_roster_reimport_updates_changes_and_leaves_the_rest(db, tmp_path: Path) -> None:
    base = [HEAD, ["000001", "甲总", "总经办", None, "总经理", None, "2010-01-01", "在职"],
            ["000002", "乙一", "生产一车间", None, "车间主任", "000001", "2012-03-01", "在职"]]  # fmt: skip
    assert import_file(db, write_xlsx(tmp_path / "v1.xlsx", {"S": base})).status == "loaded"
    changed = [*base[:2], ["000002", "乙一", "质量部", None, "质量经理", "000001", "2012-03-01", "在职"],
               ["000003", "丙二", "质量部", None, "质检员", "000002", "2020-01-01", "在职"]]  # fmt: skip
    report = import_file(db, write_xlsx(tmp_path / "v2.xlsx", {"S": changed}))
    assert (report.status, report.rows_unchanged, report.rows_loaded) == ("loaded", 1, 2)
    assert any("更新了 1 名员工" in n for n in report.notes)
    moved = db.one("SELECT d.name FROM employees e JOIN departments d USING (dept_id) WHERE employee_id = '000002'")
    assert moved == {"name": "质量部"}
    assert db.scalar("SELECT count(*) FROM employees") == 3


def test_roster_rejects_bad_rows_with_reasons(db, tmp_path: Path) -> None:
    rows = [
        HEAD,
        ["000001", "甲总", "总经办", None, "总经理", None, "2010-01-01", "在职"],
        ["000002", None, "总经办", None, "助理", "000001", "2010-01-01", "在职"],
        ["000003", "丙二", None, None, "助理", "000001", "2010-01-01", "在职"],
        ["000004", "丁三", "总经办", None, "助理", "000001", "2018-13-01", "在职"],
        ["000005", "戊四", "总经办", None, "助理", "000001", "2018-01-01", "休假中"],
        ["000006", "己五", "总经办", None, "助理", "000001", "2018-01-01", "在职"],
        ["000006", "己五", "总经办", None, "助理", "000001", "2018-01-01", "在职"],
    ]
    report = import_file(db, write_xlsx(tmp_path / "bad.xlsx", {"S": rows}))
    assert (report.status, report.rows_read, report.rows_loaded, report.rows_rejected) == ("partial", 7, 1, 6)
    reasons = {r.row: r.reason for r in report.rejects}
    assert "缺少姓名" in reasons[3] and "缺少部门" in reasons[4] and "日期" in reasons[5]
    assert "状态无法识别" in reasons[6] and "重复" in reasons[7] and "重复" in reasons[8]
    assert db.scalar("SELECT count(*) FROM employees") == 1


def test_english_roster_headers(db, tmp_path: Path) -> None:
    text = "employee_num,first_name,last_name,Department,Job Title,Manager ID,Hire Date\n7,Ada,Lee,Finance,Analyst,,2001-02-03\n8,Bo,Kim,Finance,Clerk,7,2003-04-05\n"
    path = tmp_path / "roster.csv"
    path.write_text(text, encoding="utf-8-sig")
    report = import_file(db, path)
    assert report.status == "loaded", report.rejects
    assert db.rows("SELECT employee_id, name, manager_id FROM employees ORDER BY 1") == [
        {"employee_id": "7", "name": "Ada Lee", "manager_id": None},
        {"employee_id": "8", "name": "Bo Kim", "manager_id": "7"},
    ]


def test_a_roster_without_a_position_column_loads(fresh_db, tmp_path) -> None:
    """工号/姓名/部门 only: nobody has a position, and the import neither fails nor invents one."""
    from pipelines import import_file
    from tests import builders as b

    path = b.write_xlsx(tmp_path / "花名册.xlsx", {"花名册": [["工号", "姓名", "部门"], ["T0001", "测试甲", "装配部"]]})
    report = import_file(fresh_db, path, uploaded_by="hr")
    assert (report.status, report.rows_loaded) == ("loaded", 1), report.to_dict()
    assert fresh_db.rows("SELECT employee_id, position_id FROM employees") == [
        {"employee_id": "T0001", "position_id": None}
    ]
