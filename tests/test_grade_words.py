"""Grades written as words — 甲/乙/丙/丁 and the usual English review words — land on the company's scale
instead of being rejected."""

from __future__ import annotations

from pathlib import Path

from pipelines import import_file
from tests import builders as b

WORDS = {
    "甲": "A", "乙": "B", "丙": "C", "丁": "D", "Exceeds": "A", "Fully Meets": "B",
    "needs improvement": "C", "PIP": "C",
}  # fmt: skip


def test_grades_as_words_are_mapped_onto_the_scale(fresh_db, tmp_path: Path) -> None:
    rows = [["工号", "姓名", "部门", "考核期间", "等级"]]
    rows += [[f"0080{i}", f"员工{i}", "装配部", "2024年Q1", word] for i, word in enumerate(WORDS)]
    report = import_file(fresh_db, b.write_xlsx(tmp_path / "等级.xlsx", {"考核": rows}), uploaded_by="hr")
    assert report.rows_loaded == len(WORDS) and report.rows_rejected == 0, report.rejects
    stored = {r["employee_id"]: r["grade"] for r in fresh_db.rows("SELECT employee_id, grade FROM appraisals")}
    assert stored == {f"0080{i}": grade for i, grade in enumerate(WORDS.values())}


def test_an_unknown_grade_word_is_still_rejected_as_written(fresh_db, tmp_path: Path) -> None:
    rows = [["工号", "姓名", "部门", "考核期间", "等级"], ["00901", "员工甲", "装配部", "2024年Q1", "戊等"]]
    report = import_file(fresh_db, b.write_xlsx(tmp_path / "等级.xlsx", {"考核": rows}), uploaded_by="hr")
    assert report.rows_loaded == 0 and report.rows_rejected == 1
    assert "戊等" in str(report.rejects)
