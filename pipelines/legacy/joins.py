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
    key once; a repeated key would multiply rows and is refused by the height check of ``hstack``.
    A single text key is joined once per distinct value (:func:`distinct_codes`) and gathered back."""
    lk = [left_on] if isinstance(left_on, str) else list(left_on)
    rk = lk if right_on is None else ([right_on] if isinstance(right_on, str) else list(right_on))
    tmp = [f"_key{i}" for i in range(len(lk))]
    right = table.rename(dict(zip(rk, tmp, strict=True))).unique(tmp, keep="first", maintain_order=True)
    if len(lk) == 1 and frame.schema[lk[0]] == pl.String and right.schema[tmp[0]] == pl.String:
        codes, values = distinct_codes(frame.get_column(lk[0]))
        found = values.to_frame(tmp[0]).join(right, on=tmp, how="left", maintain_order="left").drop(tmp)
        looked = found[codes]
    else:
        looked = (
            frame.select([pl.col(c).alias(t) for c, t in zip(lk, tmp, strict=True)])
            .join(right, on=tmp, how="left", maintain_order="left")
            .drop(tmp)
        )
    return frame.drop([c for c in looked.columns if c in frame.columns]).hstack(looked.get_columns())


def distinct_codes(column: pl.Series) -> tuple[pl.Series, pl.Series]:
    """(codes, values): the distinct non-null texts of ``column``, and for each row the position of its
    text among them (null for a null), in one pass (a dictionary of the column's own, not shared)."""
    categories = pl.Categories.random()
    coded = column.cast(pl.Categorical(categories))  # held while the dictionary is read: it lives as long
    values = categories.to_series()  # as a column uses it; its texts come in the order of their codes
    return coded.to_physical(), values


def derive(frame: pl.DataFrame, col: str, **exprs: pl.Expr) -> pl.DataFrame:
    """Compute ``exprs`` (written over ``pl.col("_v")``) once per distinct value of ``col`` and gather the
    results back by each row's code (:func:`distinct_codes`): text columns repeat a lot (departments,
    periods, scores), so this is many times cheaper than parsing every cell. Only the key column is
    read and the results are attached without copying the other columns (a 1M-row import stays
    small). A derived column named like ``col`` replaces it."""
    if frame.schema[col] == pl.String:
        codes, values = distinct_codes(frame.get_column(col))
        derived = values.to_frame("_v").with_columns(**exprs).drop("_v")[codes]
    else:
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
