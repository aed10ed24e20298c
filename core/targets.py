"""Target recommendation: a range for each position × KPI from its own history, and a flag when a set
target falls outside it (DESIGN.md §4 *Target recommendation*).

The history of a pair is every numeric actual of an appraisal item of that KPI, in an appraisal of that
position (the position the person held in that cycle), in a closed cycle: the number recorded, or for
history imported before numbers were parsed on import, the text as people wrote it, read with
:func:`core.values.parse_number` ('95%', '９５', '1,234', '95分'); blanks, '-', absences and unreadable
cells are left out.

The method, for the last ``periods`` periods (cycles, ordered by start) that hold at least one value:

* pooled percentiles: ``P25`` and ``P75`` (linear interpolation) of all values of those periods;
* trend: ``slope`` = least-squares slope of the per-period medians ``m_i`` against the period index
  ``x_i = 0 … k-1`` (``Σ(x-x̄)(m-m̄) / Σ(x-x̄)²``);
* the pooled percentiles describe the middle of the window (``x̄ = (k-1)/2``); the recommendation is
  for the next period ``x = k``, so both ends move by ``shift = slope × (k - x̄) = slope × (k+1)/2``:
  ``low = P25 + shift``, ``high = P75 + shift``.

A flat history therefore recommends exactly its interquartile range; a history rising by ``s`` per
period is moved up by ``s × (k+1)/2``. Fewer than :data:`MIN_PERIODS` periods give no range, and the
reason says so. Every pair is computed in one query and one Polars pass (:func:`target_ranges`).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from core.db import Database
from core.values import parse_number

MIN_PERIODS = 3
DEFAULT_PERIODS = 8
LOW_Q = 0.25
HIGH_Q = 0.75
PERIOD_WORDS = {"quarterly": "个季度", "monthly": "个月", "half_year": "个半年", "annual": "个年度"}

RANGE_SCHEMA = {
    "position_id": pl.String,
    "kpi_id": pl.String,
    "low": pl.Float64,
    "high": pl.Float64,
    "p25": pl.Float64,
    "p75": pl.Float64,
    "median": pl.Float64,
    "slope": pl.Float64,
    "shift": pl.Float64,
    "n_periods": pl.UInt32,
    "n_values": pl.UInt32,
    "period_kind": pl.String,
    "first_period": pl.String,
    "last_period": pl.String,
    "reason": pl.String,
}


@dataclass(frozen=True)
class TargetRange:
    """A recommended target range for one position × KPI and what it rests on."""

    position_id: str
    kpi_id: str
    low: float
    high: float
    p25: float
    p75: float
    median: float
    slope: float  # change of the per-period median per period
    shift: float  # what the trend adds to both ends
    n_periods: int
    n_values: int
    period_kind: str  # quarterly | monthly | half_year | annual (the most common among the periods)
    first_period: str
    last_period: str

    @property
    def basis(self) -> str:
        """'基于 6 个季度、240 个数据'."""
        return f"基于 {self.n_periods} {PERIOD_WORDS.get(self.period_kind, '个考核期')}、{self.n_values} 个数据"

    @property
    def label(self) -> str:
        """'150–180（基于 6 个季度、240 个数据）' — shown next to the target field."""
        return f"{fmt_number(self.low)}–{fmt_number(self.high)}（{self.basis}）"


def fmt_number(value: float) -> str:
    """A number as people write it: at most two decimals, no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _history(db: Database, position_ids: list[str] | None, kpi_ids: list[str] | None) -> pl.DataFrame:
    where = ["c.status = 'closed'", "a.position_id IS NOT NULL",
             "(i.actual_value IS NOT NULL OR i.actual_as_written IS NOT NULL)"]  # fmt: skip
    params: list[object] = []
    if position_ids is not None:
        where.append("list_contains(?, a.position_id)")
        params.append(list(position_ids))
    if kpi_ids is not None:
        where.append("list_contains(?, i.kpi_id)")
        params.append(list(kpi_ids))
    sql = (
        "SELECT a.position_id, i.kpi_id, c.period, c.kind, c.period_start, i.actual_value, i.actual_as_written "
        "FROM appraisal_items i JOIN appraisals a USING (appraisal_id) JOIN cycles c ON c.cycle_id = a.cycle_id "
        "WHERE " + " AND ".join(where)
    )
    return db.frame(sql, params)


def _compute(history: pl.DataFrame, periods: int) -> pl.DataFrame:
    """Every pair's range (or reason) from the raw history rows."""
    if history.height == 0:
        return pl.DataFrame(schema=RANGE_SCHEMA)
    keys = ["position_id", "kpi_id"]
    values = (
        history.with_columns(value=pl.coalesce("actual_value", parse_number(pl.col("actual_as_written")).value))
        .filter(pl.col("value").is_not_null() & pl.col("value").is_finite())
        .drop("actual_value", "actual_as_written")
    )
    # the last N periods with values, per pair; x is the period's index in that window (0 … k-1)
    per_period = (
        values.group_by(*keys, "period", "kind", "period_start")
        .agg(m=pl.col("value").median())
        .with_columns(_back=pl.col("period_start").rank("dense", descending=True).over(keys))
        .filter(pl.col("_back") <= periods)
        .with_columns(x=(pl.col("_back").max().over(keys) - pl.col("_back")).cast(pl.Float64))
    )
    window = values.join(per_period.select(*keys, "period"), on=[*keys, "period"], how="inner")
    pooled = window.group_by(keys).agg(
        p25=pl.col("value").quantile(LOW_Q, "linear"),
        p75=pl.col("value").quantile(HIGH_Q, "linear"),
        median=pl.col("value").median(),
        n_values=pl.len().cast(pl.UInt32),
    )
    dx = pl.col("x") - pl.col("x").mean()
    dm = pl.col("m") - pl.col("m").mean()
    trend = per_period.group_by(keys).agg(
        n_periods=pl.len().cast(pl.UInt32),
        slope=pl.when(pl.len() >= 2).then((dx * dm).sum() / (dx * dx).sum()).otherwise(0.0),
        period_kind=pl.col("kind").mode().sort().first(),
        first_period=pl.col("period").sort_by("period_start").first(),
        last_period=pl.col("period").sort_by("period_start").last(),
    )
    out = trend.join(pooled, on=keys, how="inner").with_columns(
        shift=pl.col("slope") * (pl.col("n_periods").cast(pl.Float64) + 1) / 2
    )
    enough = pl.col("n_periods") >= MIN_PERIODS
    out = out.with_columns(
        low=pl.when(enough).then(pl.col("p25") + pl.col("shift")),
        high=pl.when(enough).then(pl.col("p75") + pl.col("shift")),
        reason=pl.when(~enough).then(
            pl.format(
                "历史数据只有 {} 个考核期（至少需要 {} 个），暂不推荐目标区间",
                pl.col("n_periods"),
                pl.lit(MIN_PERIODS),
            )
        ),
    )
    return out.select(list(RANGE_SCHEMA)).cast(RANGE_SCHEMA).sort(keys)  # type: ignore[arg-type]


def target_ranges(
    db: Database, position_ids: list[str] | None = None, *, periods: int = DEFAULT_PERIODS
) -> pl.DataFrame:
    """The range of every position × KPI with any numeric history (of ``position_ids`` when given), in
    one query: one row per pair with low/high (null when too little history, then ``reason`` says why),
    the percentiles, slope and shift, and n_periods / n_values it rests on."""
    return _compute(_history(db, position_ids, None), periods)


def _one(db: Database, position_id: str, kpi_id: str, periods: int) -> dict | None:
    frame = _compute(_history(db, [position_id], [kpi_id]), periods)
    return frame.row(0, named=True) if frame.height else None


def target_range(db: Database, position_id: str, kpi_id: str, *, periods: int = DEFAULT_PERIODS) -> TargetRange | None:
    """The recommended range for one position × KPI, or None when there is too little history
    (:func:`no_range_reason` says why)."""
    row = _one(db, position_id, kpi_id, periods)
    if row is None or row["low"] is None:
        return None
    return TargetRange(**{k: v for k, v in row.items() if k != "reason"})


def no_range_reason(db: Database, position_id: str, kpi_id: str, *, periods: int = DEFAULT_PERIODS) -> str | None:
    """Why there is no range for this pair (in Chinese), or None when there is one."""
    row = _one(db, position_id, kpi_id, periods)
    if row is None:
        return "这个岗位的这项指标还没有可用的历史实际值，暂不推荐目标区间"
    return row["reason"]


def check_target(rng: TargetRange | None, target: float | None) -> str | None:
    """A Chinese flag when ``target`` lies outside the range, else None (also when either is missing)."""
    if rng is None or target is None:
        return None
    if target > rng.high:
        side = "高于"
    elif target < rng.low:
        side = "低于"
    else:
        return None
    return f"目标 {fmt_number(target)} {side}历史推荐区间 {rng.label}"
