"""The demo builder: generate the company, write it out as HR's legacy files and import every one through
``pipelines.import_file`` (the door HR's uploads go through), load the standard KPI pack through the
library import, create the demo logins and open this quarter's cycle with work under way.

The build acts through core as the demo's own people (``demo`` uploads, ``hr`` opens the cycle …); every
audit row it writes also names the operating-system account that ran it (``os_user`` in the detail)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core import audit, kpi
from core.db import Database
from core.standard_pack import write_pack_workbook
from demo.company import Company
from demo.cycle import DemoCycle, open_demo_cycle
from demo.files import write_demo_files
from demo.generator import generate_company
from demo.logins import create_demo_users
from demo.signoff import ClosedQuarter, close_previous_quarter
from demo.workbooks import WrittenFile
from pipelines import LoadReport, import_file

DEFAULT_WORKDIR = Path(__file__).resolve().parent.parent / "data" / "demo"
PACK_FILE = "指标库与岗位模板.xlsx"

Progress = Callable[[float, str], None]


@dataclass
class DemoSummary:
    """What building the demo produced and what the import made of it."""

    employees: int
    departments: int
    positions: int
    quarters: int
    appraisals: int
    files: int
    rows_written: int
    bad_rows_planted: int
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    seconds_writing: float = 0.0
    seconds_importing: float = 0.0
    workdir: str = ""
    reports: list[dict[str, Any]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    cycle: DemoCycle | None = None  # this quarter's open cycle (None when not opened)
    seconds_cycle: float = 0.0
    closed: ClosedQuarter | None = None  # last quarter, run in the app and closed (None when not built)

    @property
    def loaded_share(self) -> float:
        return self.rows_loaded / self.rows_read if self.rows_read else 0.0


def import_demo_files(db: Database, files: list[WrittenFile], progress: Progress | None = None) -> list[LoadReport]:
    """Import the written files through ``pipelines.import_file``, roster first; return the LoadReports."""
    ordered = sorted(files, key=lambda f: f.kind != "roster")
    reports = []
    for k, f in enumerate(ordered):
        label = f"正在导入 {f.path.name}（{k + 1}/{len(ordered)}）"

        def step(fraction: float, message: str, k: int = k, label: str = label) -> None:
            if progress:
                progress((k + fraction) / len(ordered), f"{label}：{message}")

        if progress:
            progress(k / len(ordered), label)
        reports.append(import_file(db, f.path, source="auto", uploaded_by="demo", file_name=f.path.name, progress=step))
    if progress:
        progress(1.0, f"已导入 {len(ordered)} 个文件")
    return reports


def _part(progress: Progress | None, start: float, span: float) -> Progress | None:
    """``progress`` for one part of the build, which covers ``start`` to ``start + span`` of the whole."""
    if progress is None:
        return None
    return lambda fraction, message: progress(start + span * fraction, message)


def build_demo(
    db: Database,
    *,
    employees: int = 420,
    years: int = 3,
    seed: int = 2024,
    workdir: Path | str = DEFAULT_WORKDIR,
    today: dt.date | None = None,
    progress: Progress | None = None,
    current_cycle: bool = True,
) -> DemoSummary:
    """Generate the demo company, write it out as HR's legacy files and import them all into ``db``;
    then create the demo logins and (``current_cycle``) open this quarter's cycle with work under way.
    Every audit row it writes carries the ``os_user`` who ran it."""
    with audit.annotated(os_user=audit.os_user()):
        return _build(db, employees, years, seed, Path(workdir), today or dt.date.today(), progress, current_cycle)


def _build(db: Database, employees: int, years: int, seed: int, workdir: Path, day: dt.date,
           progress: Progress | None, current_cycle: bool) -> DemoSummary:  # fmt: skip
    t0 = time.perf_counter()
    company = generate_company(employees, years, seed, today=day)
    # with the current cycle, last quarter is run in the app and closed (signed PDFs); the files hold the rest
    history = company.quarters[:-1] if current_cycle and len(company.quarters) > 1 else company.quarters
    files = write_demo_files(company, workdir, _part(progress, 0.0, 0.3), quarters=history)
    t1 = time.perf_counter()
    reports = import_demo_files(db, files, _part(progress, 0.3, 0.7))
    reports.append(import_standard_pack(db, company, workdir, day))
    t2 = time.perf_counter()
    summary = _summary(company, files, reports, workdir=str(workdir), writing=t1 - t0, importing=t2 - t1)
    summary.quarters = len(history)
    summary.logins = [login.username for login in create_demo_users(db)]  # one login per role, listed in README
    if current_cycle:  # this quarter's cycle, open and under way, so every login finds work on 我的待办
        if history != company.quarters:
            if progress:
                progress(1.0, "正在完成上季度考核并签发电子档案")
            summary.closed = close_previous_quarter(db, today=day, seed=seed, progress=progress)
        if progress:
            progress(1.0, "正在开启本季度考核周期")
        summary.cycle = open_demo_cycle(db, today=day, seed=seed)
        summary.seconds_cycle = summary.cycle.seconds if summary.cycle else 0.0
    return summary


def import_standard_pack(db: Database, company: Company, workdir: Path, today: dt.date) -> LoadReport:
    """The standard KPI pack for the company's staffed positions, in force from this quarter, written as
    the library workbook and imported through the library import HR uses."""
    staffed = {(e.department, e.position.name) for e in company.employees}
    pack = write_pack_workbook(workdir / PACK_FILE, company, kpi.quarter_start(today), staffed=staffed)
    return import_file(db, pack, uploaded_by="demo")


def _summary(
    company: Company, files: list[WrittenFile], reports: list[LoadReport], *, workdir: str, writing: float,
    importing: float,
) -> DemoSummary:  # fmt: skip
    summary = DemoSummary(
        employees=len(company.employees),
        departments=len(company.departments),
        positions=len({(p.department, p.name) for p in (e.position for e in company.employees)}),
        quarters=len(company.quarters),
        appraisals=sum(f.appraisals for f in files),
        files=len(files),
        rows_written=sum(f.data_rows for f in files),
        bad_rows_planted=sum(len(f.bad_rows) for f in files),
        seconds_writing=writing,
        seconds_importing=importing,
        workdir=workdir,
    )
    for r in reports:
        summary.rows_read += r.rows_read
        summary.rows_loaded += r.rows_loaded
        summary.rows_rejected += r.rows_rejected
        summary.reports.append(
            {
                "file": r.file_name,
                "status": r.status,
                "rows_read": r.rows_read,
                "rows_loaded": r.rows_loaded,
                "rows_rejected": r.rows_rejected,
            }
        )
    return summary
