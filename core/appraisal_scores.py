"""The scores stored on open appraisals: each item's score, the weighted total, the self total beside
it, the annual mix and the grade on HR's scale (DESIGN.md §4). Every save that changes an input calls
:func:`rescore` inside its transaction; the formulas themselves are :mod:`core.scoring`'s.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from core import actuals, scoring, settings
from core.db import Cursor, Database, query_frame, register_frame, unregister_frame
from core.vocabulary import JUDGED_METHODS, OPEN_STAGES


def rescore(cur: Cursor, *, cycle_id: str | None = None, appraisal_ids: Sequence[str] | None = None) -> int:
    """Take the latest chosen actuals and recompute every score of the open app appraisals of a cycle (or
    the given ones), inside the caller's transaction. Returns how many appraisals were scored."""
    actuals.refresh_items(cur, cycle_id=cycle_id, appraisal_ids=appraisal_ids)
    return recompute_scores(cur, cycle_id=cycle_id, appraisal_ids=appraisal_ids)


def recompute(db: Database, *, cycle_id: str | None = None, appraisal_ids: Sequence[str] | None = None) -> int:
    """:func:`rescore` in a transaction of its own."""
    with db.transaction() as cur:
        return rescore(cur, cycle_id=cycle_id, appraisal_ids=appraisal_ids)


def recompute_scores(cur: Cursor, *, cycle_id: str | None = None, appraisal_ids: Sequence[str] | None = None) -> int:
    """Recompute item scores, totals, self totals and grades of open app-cycle appraisals from their
    current inputs (actuals as they stand); a closed cycle's stay as they were. Returns how many appraisals."""
    where, params = actuals.appraisal_filter(cycle_id, appraisal_ids)
    items = query_frame(
        cur,
        f"""
        SELECT i.appraisal_id, i.kpi_id, i.method, i.direction, i.weight, i.target_value, i.floor, i.stretch,
               i.actual_value, i.deduction_step, i.manager_input, i.self_input
        FROM appraisal_items i JOIN appraisals a ON a.appraisal_id = i.appraisal_id
        JOIN cycles c ON c.cycle_id = a.cycle_id
        WHERE c.origin = 'app' AND c.status = 'open' AND list_contains(?::VARCHAR[], a.stage) AND {where}
        """,
        [list(OPEN_STAGES), *params],
    )
    if items.is_empty():
        return 0
    rows = list(items.iter_rows(named=True))
    items = items.with_columns(
        item_score=pl.Series([scoring.score_of(r) for r in rows], dtype=pl.Float64),
        self_score=pl.Series([scoring.self_score_of(r) for r in rows], dtype=pl.Float64),
    )
    totals = []
    for (appraisal_id,), group in items.group_by("appraisal_id"):
        weights = group.get_column("weight").to_list()
        total = scoring.weighted_total(zip(weights, group.get_column("item_score").to_list(), strict=True))
        self_total = scoring.weighted_total(zip(weights, group.get_column("self_score").to_list(), strict=True))
        totals.append((appraisal_id, total, self_total))
    frame = pl.DataFrame(
        totals, schema={"appraisal_id": pl.String, "total": pl.Float64, "self_total": pl.Float64}, orient="row"
    )
    frame = _annual(cur, frame)
    scale = settings.grade_scale(cur)
    frame = frame.with_columns(
        grade=pl.Series([scoring.grade(x, scale) for x in frame.get_column("final").to_list()], dtype=pl.String)
    )
    register_frame(cur, "scored_items", items.select("appraisal_id", "kpi_id", "item_score", "self_score"))
    register_frame(cur, "scored_totals", frame)
    try:
        cur.execute(
            "UPDATE appraisal_items SET item_score = s.item_score, self_score = s.self_score,"
            " manager_score = CASE WHEN list_contains(?::VARCHAR[], appraisal_items.method)"
            " OR appraisal_items.method IS NULL THEN s.item_score ELSE NULL END"
            " FROM scored_items s WHERE appraisal_items.appraisal_id = s.appraisal_id AND appraisal_items.kpi_id = s.kpi_id",
            [list(JUDGED_METHODS)],
        )
        cur.execute(
            "UPDATE appraisals SET manager_score = t.total, self_score = t.self_total, final_score = t.final,"
            " review_score = t.review, score_basis = t.basis, grade = t.grade"
            " FROM scored_totals t WHERE appraisals.appraisal_id = t.appraisal_id"
        )
    finally:
        unregister_frame(cur, "scored_items")
        unregister_frame(cur, "scored_totals")
    return frame.height


def _annual(cur: Cursor, frame: pl.DataFrame) -> pl.DataFrame:
    """Final scores: an item total as it is, or for annual cycles with weights, the mix of the year's
    settled quarterly finals (calibrated, or of a closed cycle) and the annual review
    (:func:`core.scoring.annual_mix`)."""
    frame = frame.with_columns(final=pl.col("total"), review=pl.lit(None, pl.Float64), basis=pl.lit(None, pl.String))
    ids = frame.get_column("appraisal_id").to_list()
    annual = cur.execute(
        "SELECT a.appraisal_id, a.employee_id, c.period, c.annual_weights FROM appraisals a JOIN cycles c USING (cycle_id)"
        " WHERE c.kind = 'annual' AND c.annual_weights IS NOT NULL AND list_contains(?::VARCHAR[], a.appraisal_id)",
        [ids],
    ).fetchall()
    if not annual:
        return frame
    quarterly = {
        (r[0], r[1]): r[2]
        for r in cur.execute(
            "SELECT a.employee_id, c.period, max(a.final_score) FROM appraisals a JOIN cycles c USING (cycle_id)"
            " WHERE c.kind = 'quarterly' AND a.final_score IS NOT NULL AND list_contains(?::VARCHAR[], c.period)"
            # a quarter counts once it is settled: calibrated (in sign-off or closed) or in a closed cycle
            " AND (c.status = 'closed' OR a.stage IN ('signoff', 'closed'))"
            " GROUP BY ALL",
            [[f"{r[2]}-Q{q}" for r in annual for q in range(1, 5)]],
        ).fetchall()
    }
    totals = dict(zip(ids, frame.get_column("total").to_list(), strict=True))
    finals: dict[str, tuple[float | None, float | None, str]] = {}
    for appraisal_id, employee_id, year, raw in annual:
        weights = json.loads(raw)
        scores = {f"Q{q}": quarterly.get((employee_id, f"{year}-Q{q}")) for q in range(1, 5)}
        review = totals.get(appraisal_id)
        final, basis = scoring.annual_mix(weights["quarters"], weights["review"], scores, review)
        finals[appraisal_id] = (final, review, json.dumps(basis, ensure_ascii=False))
    return frame.with_columns(
        final=pl.Series([finals[i][0] if i in finals else totals[i] for i in ids], dtype=pl.Float64),
        review=pl.Series([finals.get(i, (None, None, None))[1] for i in ids], dtype=pl.Float64),
        basis=pl.Series([finals.get(i, (None, None, None))[2] for i in ids], dtype=pl.String),
    )


def preview(db: Database, items: pl.DataFrame, edits: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """What the items (rows of :data:`core.appraisal.ITEM_COLUMNS`) would score with a rater's unsaved
    ``edits`` on HR's grade scale — writes nothing (:func:`core.scoring.preview`)."""
    return scoring.preview(items.iter_rows(named=True), edits, settings.grade_scale(db))
