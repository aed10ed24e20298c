"""The files the demo company's HR keeps: the roster, one appraisal workbook per year and department in
that file's own layout and mess (the oldest as .xls or a GBK CSV export, two departments with totals
only), and per-person forms for the two smallest departments' last two quarters."""

from __future__ import annotations

import random
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

from demo.company import COMPANY_NAME, Company, Quarter
from demo.forms import write_form_workbook
from demo.workbooks import (
    CN_QUARTER,
    HEADER_WORDS,
    PERIOD_FORMS,
    SHEET_NAME_FORMS,
    SheetPlan,
    TabularStyle,
    WrittenFile,
    write_roster,
    write_tabular_workbook,
)

Progress = Callable[[float, str], None]
MARKER = ".jixiao-demo"  # a folder holding it is the demo's own, emptied before every build


def _file_style(rng: random.Random, year_index: int, department: str) -> tuple[TabularStyle, str]:
    """The layout and mess of one (year, department) workbook, and its file extension."""
    words = {f: w[0] for f, w in HEADER_WORDS.items()}
    if rng.random() < 0.5:
        for f, choices in HEADER_WORDS.items():
            if rng.random() < 0.3:
                words[f] = rng.choice(choices[:-1])  # Chinese synonyms
    english = rng.random() < 0.15
    if english:
        for f in ("employee_id", "name", "score", "kpi"):
            words[f] = HEADER_WORDS[f][-1]
    style = TabularStyle(
        title_rows=rng.choice((1, 1, 2)),
        header=rng.choice(("flat", "flat", "grouped", "grouped_tall")),
        words=words,
        numeric_ids=rng.random() < 0.3,
        weight_form=rng.choice(("number", "number", "text", "fraction")),
        value_mix=rng.choice((0.1, 0.25, 0.4)),
        blank_rows=rng.choice((0.0, 0.02, 0.05)),
        totals=rng.random() < 0.7,
        notes=rng.random() < 0.7,
        bad_rows=rng.choice((0, 0, 1, 1, 2)),
    )
    style.id_format = style.numeric_ids and rng.random() < 0.5
    if style.weight_form == "fraction":
        style.words["weight"] = "权重"
    ext = "xlsx"
    if year_index == 0:
        # the oldest files: Excel 2003 .xls, a GBK CSV export, one .xls saved under an .xlsx name,
        # and two departments that only recorded totals
        if department in ("财务部", "人力资源部", "采购部"):
            style.fmt, ext = "xls", "xls"
        elif department == "仓储物流部":
            style.fmt, ext = "xls", "xlsx"
        elif department == "市场部":
            style.fmt, ext = "csv", "csv"
            style.title_rows, style.header, style.totals, style.notes = 0, "flat", False, False
            style.words = {
                f: w[-1] if f in ("employee_id", "name", "kpi", "score") else w[0] for f, w in HEADER_WORDS.items()
            }
        if department in ("生产二车间", "销售部"):
            style.layout, style.no_score = "totals", 0.01
    elif year_index == 1 and department == "采购部":
        style.merged_ids = True  # one person's cells merged down over their KPI rows
    return style, ext


def write_demo_files(company: Company, workdir: Path, progress: Progress | None = None, *,
                     quarters: Sequence[Quarter] | None = None) -> list[WrittenFile]:  # fmt: skip
    """Write the company's roster and legacy appraisal files into ``workdir`` (emptied first if it is ours):
    the appraisals of ``quarters`` (all the company's quarters by default)."""
    history = tuple(company.quarters if quarters is None else quarters)
    workdir = Path(workdir)
    if (workdir / MARKER).exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / MARKER).write_text("由 python -m demo 生成，可随时删除。\n", encoding="utf-8")
    rng = random.Random(company.seed)
    files = [write_roster(workdir / "花名册.xlsx", company, rng.randrange(1 << 30))]
    sizes = {d: company.size_of(d) for d in company.departments}
    form_departments = sorted(company.departments, key=lambda d: (sizes[d], d))[:2]
    form_quarters = history[-2:]
    years = sorted({q.year for q in history})
    steps = len(years) * len(company.departments)
    done = 0
    for yi, year in enumerate(years):
        for department in company.departments:
            done += 1
            quarters = [
                q for q in history if q.year == year and not (department in form_departments and q in form_quarters)
            ]
            if not quarters:
                continue
            style, ext = _file_style(rng, yi, department)
            # a few bad rows, and none in a small file: one would spoil a visible share of it
            style.bad_rows = min(style.bad_rows, sizes[department] * len(quarters) * 4 // 250)
            name_form = rng.choice(SHEET_NAME_FORMS)
            plans = []
            for q in quarters:
                period = rng.choice(PERIOD_FORMS)(q)
                plans.append(
                    SheetPlan(
                        name=name_form(q),
                        title=f"{COMPANY_NAME}{department}{period}绩效考核结果",
                        period=period,
                        appraisals=company.appraisals(q, department),
                    )
                )
            path = workdir / f"{year}年{department}绩效考核.{ext}"
            files.append(write_tabular_workbook(path, plans, style, rng.randrange(1 << 30)))
            if progress:
                progress(done / steps, f"已生成 {path.name}")
    for q in form_quarters:
        for department in form_departments:
            period = rng.choice(PERIOD_FORMS)(q)
            appraisals = list(company.appraisals(q, department))
            if appraisals:
                path = workdir / f"{q.year}年第{CN_QUARTER[q.q]}季度{department}个人考核表.xlsx"
                files.append(write_form_workbook(path, appraisals, period, rng.randrange(1 << 30)))
    return files
