"""Cycle bench: opening, scoring and the calibration view of a whole company's appraisal cycle.

    .venv/bin/python bench/cycle.py [--employees 5000] [--items 10] [--sample 200] [--keep FILE]

Builds a synthetic company in a temporary DuckDB file: departments, positions and ``--employees``
people in a reporting tree (every one with a direct manager), a KPI library with every scoring method,
and one template of ``--items`` items per position (KPIs and templates through ``core.kpi``'s writers,
in one transaction). Then times:

(a) ``core.cycle.open_cycle`` for everyone (employees × items appraisal items);
(b) recording an actual for every objective item (one ``insert_frame`` of ``kpi_actuals`` in a
    transaction) plus ``core.cycle.recompute`` of every score;
(c) ``core.cycle.distribution`` (the calibration view) once every appraisal is in 校准.

The baseline, measured in the same run: a naive per-appraisal loop that opens the same cycle one
appraisal at a time with parameterised INSERTs (read the person's template, insert the appraisal,
insert each item), for ``--sample`` people, extrapolated to everyone. The last line is
``ratio_vs_naive=…`` (naive extrapolated time / time of (a)). A bench, never a test: the numbers
depend on the machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core import appraisal_scores, calibration, cycles, periods, settings, vocabulary  # noqa: E402
from core.auth import User  # noqa: E402
from core.db import Database, insert_frame, open_database  # noqa: E402
from core.kpi import write_kpi_version, write_template_version  # noqa: E402

YEAR, PART = 2026, 4  # the cycle opened: 2026-Q4
SPAN = 8  # direct reports per manager
POSITIONS_PER_DEPT = 4
# item i of a template uses METHOD_CYCLE[i % 7]: four objective methods, three judged ones
METHOD_CYCLE = ("linear", "ratio", "lower_better", "deduction", "rubric", "pass_fail", "manual")
RUBRIC = ["远未达到", "未达到", "达到", "良好", "卓越"]
HR_USER = User("bench-hr", frozenset({"hr"}))


def _peak_mb() -> float:
    """This process's peak resident memory in MB (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _kpi_id(method: str, j: int) -> str:
    return f"B-{method}-{j:02d}"


def _kpi(method: str, j: int) -> dict:
    category = (
        "行为类" if method in ("rubric", "manual") else "职能类" if method in ("pass_fail", "deduction") else "业绩类"
    )
    return {
        "name": f"{method} 指标 {j}",
        "category": category,
        "unit": "%" if method in ("ratio", "lower_better") else None,
        "direction": "lower" if method in ("lower_better", "deduction") else "higher",
        "method": method,
        "data_source": "manual",
        "description": None,
        "rubric": RUBRIC if method == "rubric" else None,
        "deduction_step": 10 if method == "deduction" else None,
    }


# (target, floor, stretch) per method; None where the method takes none
ANCHORS: dict[str, tuple[float | None, float | None, float | None]] = {
    "linear": (100.0, 80.0, 120.0),
    "ratio": (95.0, None, None),
    "lower_better": (2.0, 4.0, 1.0),
}


def _weights(n: int) -> list[float]:
    """``n`` weights summing to exactly 100 (whole numbers, the first ones one larger)."""
    base, extra = divmod(100, n)
    return [float(base + (i < extra)) for i in range(n)]


def _template(position: int, items: int) -> list[dict]:
    weights = _weights(items)
    out = []
    for i in range(items):
        method = METHOD_CYCLE[i % len(METHOD_CYCLE)]
        # a different KPI of the same method for each pass through the cycle, shifted per position
        j = (i // len(METHOD_CYCLE) + position) % items
        target, floor, stretch = ANCHORS.get(method, (None, None, None))
        out.append({"kpi_id": _kpi_id(method, j), "weight": weights[i], "target": target, "floor": floor,
                    "stretch": stretch})  # fmt: skip
    return out


def build_company(db: Database, employees: int, items: int) -> dict:
    """Departments, positions, people in a tree of spans of :data:`SPAN`, the KPIs and one template per
    position (valid from the period's first day). Returns the counts."""
    departments = max(1, math.ceil(employees / 100))
    positions = departments * POSITIONS_PER_DEPT
    _, start, _, _ = periods.period_of("quarterly", YEAR, PART)
    with db.transaction() as cur:
        cur.executemany(
            "INSERT INTO departments (dept_id, name) VALUES (?, ?)",
            [(f"D{d:03d}", f"部门{d:03d}") for d in range(departments)],
        )
        cur.executemany(
            "INSERT INTO positions (position_id, dept_id, name) VALUES (?, ?, ?)",
            [(f"P{p:04d}", f"D{p // POSITIONS_PER_DEPT:03d}", f"岗位{p:04d}") for p in range(positions)],
        )
        # person k reports to person (k - 1) // SPAN; the top one to a chairman outside the roster
        rows = []
        for k in range(employees):
            dept = k % departments
            position = dept * POSITIONS_PER_DEPT + (k // departments) % POSITIONS_PER_DEPT
            manager = f"E{(k - 1) // SPAN:06d}" if k else "E-BOARD"
            rows.append((f"E{k:06d}", f"员工{k:06d}", f"D{dept:03d}", f"P{position:04d}", manager, dt.date(2020, 1, 1)))
        cur.executemany(
            "INSERT INTO employees (employee_id, name, dept_id, position_id, manager_id, hire_date, status)"
            " VALUES (?, ?, ?, ?, ?, ?, 'active')",
            rows,
        )
        for method in METHOD_CYCLE:
            for j in range(items):
                write_kpi_version(cur, _kpi_id(method, j), _kpi(method, j), "active")
        for p in range(positions):
            write_template_version(cur, f"P{p:04d}", start, _template(p, items), "bench")
    return {"departments": departments, "positions": positions, "kpis": len(METHOD_CYCLE) * items}


def naive_open(db: Database, cycle_id: str, employee_ids: list[str], template_date: dt.date) -> int:
    """The baseline: one appraisal at a time, parameterised INSERTs, as a straightforward loop would.
    Returns the items written."""
    items = 0
    now = dt.datetime.now().replace(microsecond=0)
    with db.transaction() as cur:
        for employee_id in employee_ids:
            person = cur.execute(
                "SELECT manager_id, dept_id, position_id FROM employees WHERE employee_id = ?", [employee_id]
            ).fetchone()
            manager_id, dept_id, position_id = person
            version = cur.execute(
                "SELECT version FROM template_versions WHERE position_id = ? AND valid_from <= ?"
                " ORDER BY valid_from DESC, version DESC LIMIT 1",
                [position_id, template_date],
            ).fetchone()[0]
            template = cur.execute(
                "SELECT pk.kpi_id, pk.weight, pk.floor, pk.stretch, pk.target, k.name, k.category, k.unit, k.method,"
                " k.direction, k.data_source, k.rubric, k.deduction_step FROM position_kpis pk"
                " LEFT JOIN kpis k USING (kpi_id) WHERE pk.position_id = ? AND pk.version = ?"
                " ORDER BY pk.weight DESC, pk.kpi_id",
                [position_id, version],
            ).fetchall()
            appraisal_id = f"{cycle_id}:{employee_id}"
            cur.execute(
                "INSERT INTO appraisals (appraisal_id, cycle_id, employee_id, manager_id, dept_id, position_id, stage,"
                " template_version, stage_since, row_version, updated_by, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, 'goals', ?, ?, 0, 'naive', ?)",
                [appraisal_id, cycle_id, employee_id, manager_id, dept_id, position_id, version, now, now],
            )
            for seq, row in enumerate(template, start=1):
                kpi_id, weight, floor, stretch, target, *rest = row
                cur.execute(
                    "INSERT INTO appraisal_items (appraisal_id, kpi_id, seq, weight, floor, stretch, target_value,"
                    " kpi_name, category, unit, method, direction, data_source, rubric, deduction_step)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [appraisal_id, kpi_id, seq, weight, floor, stretch, target, *rest],
                )
                items += 1
    return items


def actuals_frame(db: Database, cycle_id: str, seed: int):
    """One actual per objective item of the cycle, around its target, dated inside the period."""
    import polars as pl

    objective = db.frame(
        "SELECT a.employee_id, i.kpi_id, i.method, i.target_value FROM appraisal_items i"
        " JOIN appraisals a USING (appraisal_id) WHERE a.cycle_id = ? AND list_contains(?::VARCHAR[], i.method)",
        [cycle_id, list(vocabulary.OBJECTIVE_METHODS)],
    )
    rng = random.Random(seed)
    values = []
    for method, target in zip(objective["method"].to_list(), objective["target_value"].to_list(), strict=True):
        if method == "deduction":
            values.append(float(min(5, max(0, round(rng.expovariate(1.5))))))
        else:
            centre = 1.1 if method == "lower_better" else 0.9  # a little short of target on average
            values.append(round(max(0.0, (target or 1.0) * rng.gauss(centre, 0.1)), 2))
    _, start, _, _ = periods.period_of("quarterly", YEAR, PART)
    return objective.select("employee_id", "kpi_id").with_columns(
        as_of=pl.lit(start + dt.timedelta(days=40)),
        value=pl.Series(values, dtype=pl.Float64),
        source=pl.lit("demo"),
        recorded_by=pl.lit("bench"),
        recorded_at=pl.lit(dt.datetime.now().replace(microsecond=0)),
    )


def _rate(n: int, seconds: float) -> str:
    return f"{n / seconds:,.0f} rows/s" if seconds > 0 else "n/a"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=5000, help="people in the company (default 5,000)")
    parser.add_argument("--items", type=int, default=10, help="items per template (default 10)")
    parser.add_argument("--sample", type=int, default=200, help="people the naive baseline opens (default 200)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", help="write the database to this file and keep it")
    args = parser.parse_args(argv)
    if args.employees < 1 or args.items < 1:
        parser.error("--employees and --items must be at least 1")

    folder = None
    if args.keep:
        db_path = Path(args.keep)
        db_path.unlink(missing_ok=True)
    else:
        folder = Path(tempfile.mkdtemp(prefix="jixiao-cycle-bench-"))
        db_path = folder / "cycle.duckdb"
    try:
        db = open_database(db_path)
        try:
            t0 = time.perf_counter()
            made = build_company(db, args.employees, args.items)
            print(
                f"company: {args.employees:,} people, {made['departments']} departments, {made['positions']} positions,"
                f" {made['kpis']} KPIs, templates of {args.items} items; built in {time.perf_counter() - t0:.1f} s",
                flush=True,
            )

            # (a) open the cycle for everyone
            t0 = time.perf_counter()
            report = cycles.open_cycle(db, HR_USER, kind="quarterly", year=YEAR, part=PART)
            open_s = time.perf_counter() - t0
            rows_a = report.appraisals + report.items
            print(
                f"(a) open_cycle                  {open_s:8.3f} s   appraisals={report.appraisals} items={report.items}"
                f" skipped={len(report.skipped)}   {_rate(rows_a, open_s)}",
                flush=True,
            )

            # the baseline: the same cycle opened one appraisal at a time, for a sample, extrapolated
            sample = [f"E{k:06d}" for k in range(min(args.sample, args.employees))]
            t0 = time.perf_counter()
            naive_items = naive_open(db, "NAIVE", sample, report.template_date)
            naive_s = time.perf_counter() - t0
            naive_total = naive_s * args.employees / len(sample)
            print(
                f"    naive per-appraisal loop    {naive_s:8.3f} s   for {len(sample)} people ({naive_items} items),"
                f" extrapolated to {args.employees:,}: {naive_total:.1f} s   {_rate(len(sample) + naive_items, naive_s)}",
                flush=True,
            )
            with db.transaction() as cur:
                cur.execute("DELETE FROM appraisal_items WHERE appraisal_id LIKE 'NAIVE:%'")
                cur.execute("DELETE FROM appraisals WHERE cycle_id = 'NAIVE'")

            # (b) actuals for every objective item, then every score; the managers' inputs of the judged
            # items (rubric level, pass/fail, manual score) are set beforehand, untimed, so totals exist
            with db.transaction() as cur:
                cur.execute(
                    "UPDATE appraisal_items SET manager_input = CASE method"
                    " WHEN 'rubric' THEN 2 + hash(appraisal_id || kpi_id) % 3"
                    " WHEN 'pass_fail' THEN CASE WHEN hash(appraisal_id || kpi_id) % 10 < 8 THEN 1 ELSE 0 END"
                    " ELSE 55 + hash(appraisal_id || kpi_id) % 46 END"
                    " WHERE appraisal_id LIKE ? AND list_contains(?::VARCHAR[], method)",
                    [report.cycle_id + ":%", list(vocabulary.JUDGED_METHODS)],
                )
            frame = actuals_frame(db, report.cycle_id, args.seed)
            t0 = time.perf_counter()
            with db.transaction() as cur:
                actuals = insert_frame(cur, "kpi_actuals", frame)
            insert_s = time.perf_counter() - t0
            t1 = time.perf_counter()
            rescored = appraisal_scores.recompute(db, cycle_id=report.cycle_id)
            recompute_s = time.perf_counter() - t1
            scored = db.scalar(
                "SELECT count(*) FROM appraisals WHERE cycle_id = ? AND final_score IS NOT NULL", [report.cycle_id]
            )
            print(
                f"(b) actuals + recompute         {insert_s + recompute_s:8.3f} s   actuals={actuals}"
                f" (insert {insert_s:.3f} s, {_rate(actuals, insert_s)}); recompute {recompute_s:.3f} s of"
                f" {rescored} appraisals / {report.items} items ({_rate(report.items, recompute_s)});"
                f" with_total={scored}",
                flush=True,
            )

            # (c) the calibration view, with every appraisal in 校准 (moved there directly: a bench shortcut)
            with db.transaction() as cur:
                cur.execute("UPDATE appraisals SET stage = 'calibration' WHERE cycle_id = ?", [report.cycle_id])
            t0 = time.perf_counter()
            dist = calibration.distribution(db, HR_USER, report.cycle_id)
            dist_s = time.perf_counter() - t0
            print(
                f"(c) distribution                {dist_s:8.3f} s   departments={dist.height}"
                f" people={int(dist['people'].sum()) if dist.height else 0} grades "
                + " ".join(f"{g}={int(dist[f'post_{g}'].sum())}" for g, _ in settings.grade_scale(db) if dist.height)
                + f"   {_rate(report.appraisals, dist_s)}",
                flush=True,
            )
            total = open_s + insert_s + recompute_s + dist_s
            print(f"total (a)+(b)+(c): {total:.3f} s; peak RSS {_peak_mb():.0f} MB")
            print(f"load average (1 min) at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
            print(f"ratio_vs_naive={naive_total / open_s:.1f}")
        finally:
            db.close()
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
