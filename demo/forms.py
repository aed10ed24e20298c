"""Per-person appraisal forms as some departments keep them: one sheet per person (label cells, an item
table, a 合计 row and signature lines) and a 汇总 sheet of everyone's total."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from demo.books import XlsxBook
from demo.company import COMPANY_NAME, Appraisal
from demo.workbooks import WrittenFile, score_cell, target_cell


def write_form_workbook(path: Path, appraisals: list[Appraisal], period: str, seed: int = 0) -> WrittenFile:
    """Per-person forms: one sheet per person (label cells, an item table, a 合计 row) plus a 汇总 sheet."""
    rng = random.Random(seed)
    out = WrittenFile(Path(path), "form")
    book = XlsxBook(out.path, constant_memory=False)
    summary_first = rng.random() < 0.5
    if summary_first:
        _write_form_summary(book.sheet("汇总"), appraisals, period)
    used: set[str] = set()
    for a in appraisals:
        e = a.employee
        name = e.name if e.name not in used else f"{e.name}{e.employee_id[-3:]}"
        used.add(name)
        _write_form_sheet(book.sheet(name), a, period, rng)
        out.appraisals += 1
        out.data_rows += len(a.items)
    if not summary_first:
        _write_form_summary(book.sheet("汇总"), appraisals, period)
    book.close()
    return out


def _write_form_sheet(ws: Any, a: Appraisal, period: str, rng: random.Random) -> None:
    e = a.employee
    for c, w in enumerate((20, 8, 10, 10, 8, 22)):
        ws.width(c, w)
    ws.merge(0, 0, 0, 5, f"{COMPANY_NAME}员工季度绩效考核表", "title")
    eid: Any = int(e.employee_id) if rng.random() < 0.3 else e.employee_id
    labels = (
        (("姓名", e.name), ("工号", eid), ("部门", e.department)),
        (("岗位", e.position.name), (rng.choice(("考核期间", "季度")), period), ("考核人", a.rater_id or "")),
    )
    split = rng.random() < 0.5  # "姓名：" and its value in two cells, or "姓名：张三" in one
    for i, line in enumerate(labels, start=1):
        for k, (label, value) in enumerate(line):
            if split:
                ws.cell(i, 2 * k, f"{label}：")
                ws.cell(i, 2 * k + 1, value)
            else:
                ws.cell(i, 2 * k, f"{label}：{value}")
    r = 4
    for c, h in enumerate(("指标", "权重", "目标", "实际", "得分", "评语")):
        ws.cell(r, c, h, "head")
    for it in a.items:
        r += 1
        row = (
            it.kpi.name,
            it.weight,
            target_cell(it.kpi, it.target),
            target_cell(it.kpi, it.actual),
            score_cell(rng, it.score, 0.15),
            it.comment,
        )
        for c, v in enumerate(row):
            ws.cell(r, c, v)
    r += 1
    ws.cell(r, 0, "合计")
    ws.cell(r, 1, 100)
    ws.cell(r, 4, a.total)
    ws.cell(r + 1, 0, "等级：")
    ws.cell(r + 1, 1, a.grade)
    ws.cell(r + 3, 0, "被考核人签字：")
    ws.cell(r + 3, 2, "考核人签字：")
    ws.cell(r + 3, 4, "日期：")


def _write_form_summary(ws: Any, appraisals: list[Appraisal], period: str) -> None:
    header = ("序号", "工号", "姓名", "部门", "岗位", "考核期间", "总分", "等级")
    ws.merge(0, 0, 0, len(header) - 1, f"{period}绩效考核汇总", "title")
    for c, h in enumerate(header):
        ws.cell(1, c, h, "head")
    r = 2
    for n, a in enumerate(appraisals, start=1):
        e = a.employee
        for c, v in enumerate((n, e.employee_id, e.name, e.department, e.position.name, period, a.total, a.grade)):
            ws.cell(r, c, v)
        r += 1
    if appraisals:
        ws.cell(r, 0, "平均")
        ws.cell(r, 6, round(sum(a.total for a in appraisals) / len(appraisals), 2))
