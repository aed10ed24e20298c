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
    words each one. pandera sees only the records one of its checks may fail (:func:`may_fail`), so a
    clean 1M-row file costs one pass of Polars expressions, not pandera's machinery per column."""
    suspect = may_fail(model, frame, columns)
    if suspect is not None:
        frame = frame.filter(suspect)
        if frame.height == 0:
            return no_errors()
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


def _check_passes(check: pa.Check, col: pl.Expr) -> pl.Expr | None:
    """The Polars expression pandera's built-in ``check`` evaluates on ``col`` (as in
    pandera/backends/polars/builtin_checks.py), or None for a check it does not know."""
    stats = check.statistics or {}
    if check.name == "greater_than":
        return col.gt(stats["min_value"])
    if check.name == "greater_than_or_equal_to":
        return col.ge(stats["min_value"])
    if check.name == "less_than":
        return col.lt(stats["max_value"])
    if check.name == "less_than_or_equal_to":
        return col.le(stats["max_value"])
    if check.name == "isin":
        return col.is_in(list(stats["allowed_values"]))
    if check.name == "str_matches":
        pattern = stats["pattern"]
        pattern = pattern.pattern if hasattr(pattern, "pattern") else str(pattern)
        return col.str.contains("^" + pattern.removeprefix("^"))
    if check.name == "str_length":
        chars = col.str.len_chars()
        if stats.get("exact_value") is not None:
            return chars.eq(stats["exact_value"])
        low, high = stats.get("min_value"), stats.get("max_value")
        if low is None and high is None:
            return None
        return chars.le(high) if low is None else chars.ge(low) if high is None else chars.is_between(low, high)
    return None


def may_fail(model: type[pa.DataFrameModel], frame: pl.DataFrame, columns: list[str]) -> pl.Expr | None:
    """True for every record of ``frame`` that could fail one of ``model``'s checks on ``columns``: a null
    where the model forbids one, or a value its built-in checks refuse (the same expressions pandera
    runs, nulls passing as pandera lets them). None when the model holds anything else (a custom or
    whole-column check, a unique column, a type the frame does not have): then pandera sees every record."""
    schema = model.to_schema()
    if schema.checks or schema.unique:
        return None
    flags: list[pl.Expr] = []
    for name in columns:
        column = schema.columns.get(name)
        if column is None:
            continue
        if column.unique or column.regex or column.coerce or name not in frame.columns:
            return None
        if column.dtype is not None and frame.schema[name] != column.dtype.type:
            return None
        col = pl.col(name)
        if not column.nullable:
            missing = col.is_null()
            flags.append(missing | col.is_nan() if frame.schema[name].is_float() else missing)
        for check in column.checks:
            passes = _check_passes(check, col)
            if passes is None or check.element_wise or check.groupby is not None:
                return None
            flags.append((~passes).fill_null(not check.ignore_na))
    return pl.any_horizontal(flags) if flags else pl.lit(False)


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
