"""Small synthetic workbooks for tests: a roster, a legacy appraisal history and a workbook with bad rows.

Everything here is made up (people are 员工001 …); nothing personal or real.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import xlsxwriter

DEPARTMENTS = ("生产部", "质检部", "销售部")
POSITIONS = {"生产部": "装配工", "质检部": "质检员", "销售部": "销售代表"}
QUARTERS = ("2023年Q1", "2023年Q2", "2023年Q3", "2023年Q4")
PERIOD_KEYS = ("2023-Q1", "2023-Q2", "2023-Q3", "2023-Q4")


@dataclass(frozen=True)
class Person:
    employee_id: str
    name: str
    department: str
    position: str
    manager_id: str | None
    hire_date: dt.date


def fixture_people() -> list[Person]:
    """Twelve people, four per department; the first of each department heads it. 工号 keep leading zeros."""
    people = []
    for d, dept in enumerate(DEPARTMENTS):
        head = f"00{d + 1}01"
        for i in range(4):
            emp = f"00{d + 1}{i + 1:02d}"
            people.append(
                Person(
                    employee_id=emp,
                    name=f"员工{d + 1}{i + 1:02d}",
                    department=dept,
                    position="部门经理" if i == 0 else POSITIONS[dept],
                    manager_id=None if i == 0 else head,
                    hire_date=dt.date(2018 + i, 3, 1 + d),
                )
            )
    return people


def grade_of(score: float) -> str:
    """The default A/B/C scale: A ≥ 90, B ≥ 70, C below."""
    return "A" if score >= 90 else "B" if score >= 70 else "C"


def fixture_score(person_index: int, quarter_index: int) -> float:
    """A deterministic spread of scores from 62 to 97 with department differences."""
    return float(62 + (person_index * 7 + quarter_index * 5) % 36)


def write_roster(path: Path, people: list[Person]) -> Path:
    """A 花名册 with a title row above the header."""
    with xlsxwriter.Workbook(path) as wb:
        ws = wb.add_worksheet("花名册")
        date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
        ws.write_row(0, 0, ["示例制造有限公司 员工花名册"])
        ws.write_row(1, 0, ["工号", "姓名", "部门", "岗位", "直接上级", "入职日期"])
        for r, p in enumerate(people, start=2):
            ws.write_string(r, 0, p.employee_id)
            ws.write_string(r, 1, p.name)
            ws.write_string(r, 2, p.department)
            ws.write_string(r, 3, p.position)
            if p.manager_id:
                ws.write_string(r, 4, p.manager_id)
            ws.write_datetime(r, 5, dt.datetime.combine(p.hire_date, dt.time()), date_fmt)
    return path


def write_legacy_history(path: Path, people: list[Person]) -> Path:
    """A tabular legacy appraisal workbook: one sheet per quarter, a title row, one row per person."""
    with xlsxwriter.Workbook(path) as wb:
        for q, quarter in enumerate(QUARTERS):
            ws = wb.add_worksheet(quarter)
            ws.write_row(0, 0, [f"{quarter} 绩效考核结果"])
            ws.write_row(1, 0, ["工号", "姓名", "部门", "岗位", "考核期间", "总分", "等级"])
            for r, p in enumerate(people, start=2):
                score = fixture_score(r - 2, q)
                ws.write_string(r, 0, p.employee_id)
                ws.write_row(r, 1, [p.name, p.department, p.position, quarter])
                ws.write_number(r, 5, score)
                ws.write_string(r, 6, grade_of(score))
    return path


@dataclass(frozen=True)
class BadRow:
    """A row of :func:`write_workbook_with_bad_rows` that must be rejected: its Excel row and what is wrong."""

    excel_row: int
    column: str
    value: str


def write_workbook_with_bad_rows(path: Path) -> tuple[Path, int, list[BadRow]]:
    """A legacy workbook of six rows, two of them bad: a score that is not a number and an unknown period.

    Returns the path, the number of good rows and the bad rows (Excel row numbers are 1-based).
    """
    rows = [
        ("00901", "员工901", "生产部", "装配工", "2022年Q1", "88", "B"),
        ("00902", "员工902", "生产部", "装配工", "2022年Q1", "优秀", "A"),
        ("00903", "员工903", "质检部", "质检员", "2022年Q1", "91", "A"),
        ("00904", "员工904", "质检部", "质检员", "第五季度", "75", "B"),
        ("00905", "员工905", "销售部", "销售代表", "2022年Q1", "67", "C"),
        ("00906", "员工906", "销售部", "销售代表", "2022年Q1", "79", "B"),
    ]
    with xlsxwriter.Workbook(path) as wb:
        ws = wb.add_worksheet("2022年Q1")
        ws.write_row(0, 0, ["工号", "姓名", "部门", "岗位", "考核期间", "总分", "等级"])
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row):
                if c == 5 and value.isdigit():
                    ws.write_number(r, c, float(value))
                else:
                    ws.write_string(r, c, value)
    bad = [BadRow(3, "总分", "优秀"), BadRow(5, "考核期间", "第五季度")]
    return path, len(rows) - len(bad), bad
