"""Target ranges from history: synthetic histories with a known answer."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from core.db import insert_frame
from core.targets import check_target, no_range_reason, target_range, target_ranges
from pipelines.normalise import quarter


def _load_history(db, position_id: str, kpi_id: str, per_quarter: list[list[object]], *, start_year: int = 2022,
                  status: str = "closed") -> None:  # fmt: skip
    """One closed quarterly cycle per entry; one appraisal (one person) per value, with that actual."""
    cycles, apps, items = [], [], []
    known = {r["cycle_id"] for r in db.rows("SELECT cycle_id FROM cycles")}
    for i, actuals in enumerate(per_quarter):
        p = quarter(start_year + i // 4, i % 4 + 1)
        cid = f"C-{p.key}"
        if cid not in known:
            cycles.append({"cycle_id": cid, "name": p.label, "kind": p.kind, "period": p.key,
                           "period_start": p.start, "period_end": p.end, "status": status})  # fmt: skip
        for j, actual in enumerate(actuals):
            aid = f"A-{p.key}-{position_id}-{kpi_id}-{j}"
            apps.append({"appraisal_id": aid, "cycle_id": cid, "employee_id": f"E{position_id}{kpi_id}{j:03d}",
                         "position_id": position_id, "stage": "closed"})  # fmt: skip
            items.append(
                {"appraisal_id": aid, "kpi_id": kpi_id, "actual_as_written": None if actual is None else str(actual)}
            )
    with db.transaction() as cur:
        if cycles:
            insert_frame(cur, "cycles", pl.DataFrame(cycles))
        insert_frame(cur, "appraisals", pl.DataFrame(apps))
        insert_frame(cur, "appraisal_items", pl.DataFrame(items, schema={"appraisal_id": pl.String,
                                                                         "kpi_id": pl.String, "actual_as_written": pl.String}))  # fmt: skip


SPREAD = [150, 160, 170, 180, 190]


def test_flat_history_recommends_the_interquartile_range(fresh_db):
    _load_history(fresh_db, "P1", "K1", [SPREAD] * 6)
    rng = target_range(fresh_db, "P1", "K1")
    assert rng is not None
    pooled = np.array(SPREAD * 6, dtype=float)
    assert rng.low == pytest.approx(np.percentile(pooled, 25))
    assert rng.high == pytest.approx(np.percentile(pooled, 75))
    assert rng.slope == pytest.approx(0.0)
    assert (rng.n_periods, rng.n_values, rng.period_kind) == (6, 30, "quarterly")
    assert rng.label == "160–180（基于 6 个季度、30 个数据）"


def test_rising_history_is_shifted_up_by_the_trend(fresh_db):
    step = 10.0
    history = [[v + step * i for v in SPREAD] for i in range(6)]
    _load_history(fresh_db, "P1", "K1", history)
    rng = target_range(fresh_db, "P1", "K1")
    assert rng is not None
    pooled = np.array([v for q in history for v in q], dtype=float)
    assert rng.slope == pytest.approx(step)
    shift = step * (6 + 1) / 2  # from the window's middle (x̄ = 2.5) to the next period (x = 6)
    assert rng.shift == pytest.approx(shift)
    assert rng.low == pytest.approx(np.percentile(pooled, 25) + shift)
    assert rng.high == pytest.approx(np.percentile(pooled, 75) + shift)
    assert rng.low > np.percentile(pooled, 25)


def test_only_the_last_periods_count(fresh_db):
    old = [[1000, 1000]] * 4
    recent = [SPREAD] * 4
    _load_history(fresh_db, "P1", "K1", old + recent)
    rng = target_range(fresh_db, "P1", "K1", periods=4)
    assert rng is not None
    assert (rng.n_periods, rng.n_values) == (4, 20)
    assert rng.first_period == "2023-Q1" and rng.last_period == "2023-Q4"
    assert rng.high == pytest.approx(180)


def test_too_few_periods_gives_none_with_a_reason(fresh_db):
    _load_history(fresh_db, "P1", "K1", [SPREAD] * 2)
    assert target_range(fresh_db, "P1", "K1") is None
    reason = no_range_reason(fresh_db, "P1", "K1")
    assert reason is not None and "2 个考核期" in reason and "至少需要 3 个" in reason
    assert "没有可用的历史" in no_range_reason(fresh_db, "P1", "K9")
    assert no_range_reason(fresh_db, "P9", "K1") is not None


def test_text_actuals_are_read_like_the_importer_reads_them(fresh_db):
    written = ["95%", "９５", "95分", "1,000", "-", "缺考", "abc", None, " 97 "]
    _load_history(fresh_db, "P1", "K1", [written] * 3)
    rng = target_range(fresh_db, "P1", "K1")
    assert rng is not None
    assert rng.n_values == 3 * 5  # 95, 95, 95, 1000, 97 per period; '-', 缺考, abc and blank left out
    assert rng.median == pytest.approx(95)


def test_open_cycles_are_not_history(fresh_db):
    _load_history(fresh_db, "P1", "K1", [SPREAD] * 4, status="open")
    assert target_range(fresh_db, "P1", "K1") is None


def test_check_target_flags_targets_outside_the_range(fresh_db):
    _load_history(fresh_db, "P1", "K1", [SPREAD] * 6)
    rng = target_range(fresh_db, "P1", "K1")
    assert check_target(rng, 170) is None
    assert check_target(rng, 200) == "目标 200 高于历史推荐区间 160–180（基于 6 个季度、30 个数据）"
    assert check_target(rng, 100.5).startswith("目标 100.5 低于历史推荐区间 160–180")
    assert check_target(None, 200) is None
    assert check_target(rng, None) is None


def test_all_pairs_in_one_frame(fresh_db):
    _load_history(fresh_db, "P1", "K1", [SPREAD] * 4)
    _load_history(fresh_db, "P1", "K2", [[0.4, 0.5, 0.6]] * 2)
    _load_history(fresh_db, "P2", "K1", [[10, 20]] * 5)
    frame = target_ranges(fresh_db)
    assert frame.select("position_id", "kpi_id").rows() == [("P1", "K1"), ("P1", "K2"), ("P2", "K1")]
    by = {(r["position_id"], r["kpi_id"]): r for r in frame.iter_rows(named=True)}
    assert by[("P1", "K2")]["low"] is None and "2 个考核期" in by[("P1", "K2")]["reason"]
    assert by[("P2", "K1")]["n_periods"] == 5 and by[("P2", "K1")]["reason"] is None
    assert by[("P1", "K1")]["high"] == pytest.approx(target_range(fresh_db, "P1", "K1").high)
    only = target_ranges(fresh_db, ["P2"])
    assert only.get_column("position_id").to_list() == ["P2"]
    assert target_ranges(fresh_db, ["nobody"]).height == 0
