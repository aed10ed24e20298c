"""Errors found while a file is checked, one row per (record, column, reason) keyed by the record's
``_rid``, and the reject table they become in the LoadReport (sheet, Excel row, column, value, reason).
Shared by every source, so a reject reads the same whichever kind of file it came from."""

from __future__ import annotations

from collections.abc import Callable

import pandera.polars as pa
import polars as pl

ERR_SCHEMA = {"_rid": pl.UInt32, "column": pl.String, "value": pl.String, "reason": pl.String}
REJECT_SCHEMA = {"sheet": pl.String, "row": pl.Int64, "column": pl.String, "value": pl.String, "reason": pl.String}


def row_errors(frame: pl.DataFrame | pl.LazyFrame, reason: pl.Expr, column: str, value: pl.Expr) -> pl.DataFrame:
    """One error per record of ``frame`` whose ``reason`` is not null, naming ``column`` and ``value``."""
    return (
        frame.lazy()
        .select(pl.col("_rid"), column=pl.lit(column), value=value.cast(pl.String), reason=reason)
        .filter(pl.col("reason").is_not_null())
        .cast(ERR_SCHEMA)  # type: ignore[arg-type]
        .collect()
    )


def no_errors() -> pl.DataFrame:
    """An empty error frame."""
    return pl.DataFrame(schema=ERR_SCHEMA)


def bad_rids(errors: pl.DataFrame) -> pl.Series:
    """The records with at least one error, ready for ``is_in``."""
    return errors.get_column("_rid").unique().implode()


def pandera_errors(
    model: type[pa.DataFrameModel], frame: pl.DataFrame, columns: list[str], reason: Callable[[str, str], str]
) -> pl.DataFrame:
    """The failures of ``model``'s checks on ``columns`` of ``frame`` as errors; ``reason(column, check)``
    words each one."""
    try:
        model.validate(frame.select(columns), lazy=True)
    except pa.errors.SchemaErrors as err:
        fc = err.failure_cases.filter(pl.col("index").is_not_null())
        rids = frame.get_column("_rid")
        rows = [
            (rids[int(i)], col, None if val is None else str(val), reason(col, str(check)))
            for col, check, val, i in fc.select("column", "check", "failure_case", "index").iter_rows()
        ]
        return pl.DataFrame(rows, schema=ERR_SCHEMA, orient="row")
    return no_errors()


def rejects_table(
    frames: list[pl.DataFrame], errors: pl.DataFrame, headers: dict[tuple[str, str], str], titles: dict[str, str]
) -> pl.DataFrame:
    """The errors as rejects, in sheet and row order: each column named by the file's own header text
    (``headers`` per sheet and field), else by ``titles``."""
    where = pl.concat([f.select("_rid", "_sheet", "_row") for f in frames])
    out = errors.unique(["_rid", "column", "reason"], maintain_order=True).join(where, on="_rid", how="left")
    labels = [headers.get((s, c)) or titles.get(c, c) for s, c in out.select("_sheet", "column").iter_rows()]
    return (
        out.with_columns(column=pl.Series(labels, dtype=pl.String))
        .sort("_sheet", "_row")
        .select(pl.col("_sheet").alias("sheet"), pl.col("_row").alias("row"), "column", "value", "reason")
    )
