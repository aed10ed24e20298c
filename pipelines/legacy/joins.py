"""Joins that keep a 1M-row legacy import small: look values up once per distinct key and attach the
results without copying the other columns."""

from __future__ import annotations

import polars as pl

from pipelines.context import OrgContext
from pipelines.normalise import restore_ids


def attach(
    frame: pl.DataFrame, table: pl.DataFrame, left_on: str | list[str], right_on: str | list[str] | None = None
) -> pl.DataFrame:
    """Left-join ``table`` onto ``frame`` moving only the key columns through the join, then attach the
    looked-up columns without copying the rest (a 1M-row import stays small). ``table`` must hold each
    key once; a repeated key would multiply rows and is refused by the height check of ``hstack``."""
    lk = [left_on] if isinstance(left_on, str) else list(left_on)
    rk = lk if right_on is None else ([right_on] if isinstance(right_on, str) else list(right_on))
    tmp = [f"_key{i}" for i in range(len(lk))]
    right = table.rename(dict(zip(rk, tmp, strict=True))).unique(tmp, keep="first", maintain_order=True)
    looked = (
        frame.select([pl.col(c).alias(t) for c, t in zip(lk, tmp, strict=True)])
        .join(right, on=tmp, how="left", maintain_order="left")
        .drop(tmp)
    )
    return frame.drop([c for c in looked.columns if c in frame.columns]).hstack(looked.get_columns())


def derive(frame: pl.DataFrame, col: str, **exprs: pl.Expr) -> pl.DataFrame:
    """Compute ``exprs`` (written over ``pl.col("_v")``) once per distinct value of ``col`` and join the
    results back: text columns repeat a lot (departments, periods, scores), so this is many times
    cheaper than parsing every cell. Only the key column takes part in the join and the results are
    attached without copying the other columns (a 1M-row import stays small). A derived column named
    like ``col`` replaces it."""
    table = frame.select(pl.col(col).unique().alias("_v")).filter(pl.col("_v").is_not_null())
    table = table.with_columns(**exprs)
    derived = (
        frame.select(pl.col(col).alias("_v"))
        .join(table, on="_v", how="left", maintain_order="left", nulls_equal=False)
        .drop("_v")
    )
    return frame.drop([c for c in derived.columns if c in frame.columns]).hstack(derived.get_columns())


def restore_column(frame: pl.DataFrame, col: str, out: str, known: pl.Series, ctx: OrgContext) -> pl.DataFrame:
    """``out`` = the roster's spelling of the ids in ``col``, worked out once per distinct id."""
    distinct = frame.get_column(col).drop_nulls().unique()
    table = pl.DataFrame(
        {"_v": distinct, out if out != col else "_restored": restore_ids(distinct, known, ctx.id_rule)}
    )
    if out == col:
        return attach(frame, table, col, "_v").with_columns(pl.col("_restored").alias(col)).drop("_restored")
    return attach(frame, table, col, "_v")
