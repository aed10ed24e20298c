"""Undo a legacy appraisal batch, inside the undo's transaction.

What it removes: the batch's appraisals and appraisal items, the historical people, positions and
departments it created, the legacy KPIs (status legacy) no row uses any more, and the historical cycles
left without any appraisal. A legacy batch changes no row that was there before it (it only adds), so
nothing needs putting back.

It is refused, naming what, when:
- a quarterly result of the batch counts in an annual result of an app cycle (the annual mix of
  core/appraisal_scores.py reads settled quarters, and history is settled): undoing would change
  that annual result behind HR's back;
- a person the batch created now has other appraisals (an app cycle or a later legacy file), a login
  account, recorded actuals, people reporting to them, a department they head, or roster changes
  (a later roster that took the person in);
- a department or position the batch created still holds people, positions, appraisals, templates,
  change requests, an HRBP's scope, a pilot cycle or a calibration of other batches or of the app.
A legacy KPI another batch or the library still uses simply stays; it is not a reason to refuse.
"""

from __future__ import annotations

from core.db import Cursor
from pipelines.dependents import batch_keys, remove_batch_rows, still_used
from pipelines.source import Undone

ADDED = ("employees", "positions", "departments")
ROWS = ("appraisal_items", "appraisals", *ADDED)  # removed in this order


def undo_legacy(cur: Cursor, batch_id: str) -> Undone:
    """Remove what the legacy batch added; say what depends on it."""
    blockers = _counted_in_annual_results(cur, batch_id)
    cycles = [
        r[0] for r in cur.execute("SELECT DISTINCT cycle_id FROM appraisals WHERE batch_id = ?", [batch_id]).fetchall()
    ]
    kpis = [
        r[0]
        for r in cur.execute(
            "SELECT DISTINCT i.kpi_id FROM appraisal_items i JOIN kpis k USING (kpi_id)"
            " WHERE i.batch_id = ? AND k.status = 'legacy'",
            [batch_id],
        ).fetchall()
    ]
    added = {table: batch_keys(cur, table, batch_id) for table in ADDED}
    removed = {table: remove_batch_rows(cur, table, batch_id) for table in ROWS}
    removed["kpis"] = _remove_unused_legacy_kpis(cur, kpis)
    removed["cycles"] = _remove_empty_legacy_cycles(cur, cycles)
    blockers += still_used(cur, added)
    return Undone(removed={table: n for table, n in removed.items() if n}, blockers=blockers)


def _counted_in_annual_results(cur: Cursor, batch_id: str) -> list[str]:
    """The app's annual cycles whose annual mix reads quarterly results of this batch."""
    rows = cur.execute(
        "SELECT c2.name, count(DISTINCT a.appraisal_id) FROM appraisals a JOIN cycles c ON c.cycle_id = a.cycle_id"
        " JOIN appraisals a2 ON a2.employee_id = a.employee_id JOIN cycles c2 ON c2.cycle_id = a2.cycle_id"
        " WHERE a.batch_id = ? AND c.kind = 'quarterly' AND c2.origin = 'app' AND c2.kind = 'annual'"
        " AND c2.annual_weights IS NOT NULL AND c2.period = split_part(c.period, '-', 1)"
        " GROUP BY c2.name ORDER BY c2.name",
        [batch_id],
    ).fetchall()
    return [
        f"本批次的 {n} 份季度成绩已计入年度考核周期「{name}」的年度结果：撤销会改变这些年度结果，请先处理该周期"
        for name, n in rows
    ]


def _remove_unused_legacy_kpis(cur: Cursor, kpi_ids: list[str]) -> int:
    """Delete the legacy KPIs among ``kpi_ids`` that nothing uses any more; returns how many."""
    unused = [
        r[0]
        for r in cur.execute(
            "SELECT kpi_id FROM kpis k WHERE k.status = 'legacy' AND list_contains(?::VARCHAR[], k.kpi_id)"
            " AND NOT EXISTS (SELECT 1 FROM appraisal_items i WHERE i.kpi_id = k.kpi_id)"
            " AND NOT EXISTS (SELECT 1 FROM position_kpis p WHERE p.kpi_id = k.kpi_id)"
            " AND NOT EXISTS (SELECT 1 FROM kpi_actuals x WHERE x.kpi_id = k.kpi_id)"
            " AND NOT EXISTS (SELECT 1 FROM kpi_changes c WHERE c.subject_id = k.kpi_id)",
            [kpi_ids],
        ).fetchall()
    ]
    if unused:
        cur.execute("DELETE FROM kpis WHERE list_contains(?::VARCHAR[], kpi_id)", [unused])
    return len(unused)


def _remove_empty_legacy_cycles(cur: Cursor, cycle_ids: list[str]) -> int:
    """Delete the historical cycles among ``cycle_ids`` left without appraisals; returns how many."""
    empty = [
        r[0]
        for r in cur.execute(
            "SELECT cycle_id FROM cycles c WHERE c.origin = 'legacy' AND list_contains(?::VARCHAR[], c.cycle_id)"
            " AND NOT EXISTS (SELECT 1 FROM appraisals a WHERE a.cycle_id = c.cycle_id)",
            [cycle_ids],
        ).fetchall()
    ]
    if empty:
        cur.execute("DELETE FROM cycles WHERE list_contains(?::VARCHAR[], cycle_id)", [empty])
    return len(empty)
