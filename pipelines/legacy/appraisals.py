"""Resolved legacy records → one appraisal per person and period with its items: the checks that only
show across rows (duplicates, disagreeing totals or grades, weights without a total), the whole-or-
nothing rule for an appraisal's rows, and the totals, grades and item scores of what is taken."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from core.values import parse_number
from core.vocabulary import DEFAULT_SCALE
from pipelines.normalise import grade_from_score
from pipelines.row_errors import bad_rids, row_errors

KEY = ["_cycle", "employee_id"]
WRITTEN_TOTAL = (
    pl.when(pl.col("kpi").is_not_null()).then(pl.col("total_v")).otherwise(pl.coalesce("total_v", "score_v"))
)


def usable(frame: pl.DataFrame, errors: pl.DataFrame) -> pl.LazyFrame:
    """The records without errors, as a lazy query: each use reads only the columns it needs, so
    no full copy of a 1M-row frame is made."""
    ok = frame.lazy().filter(
        ~pl.col("_rid").is_in(bad_rids(errors))
        & pl.col("employee_id").is_not_null()
        & pl.col("period_key").is_not_null()
    )
    return ok.with_columns(_cycle=pl.lit("H-") + pl.col("period_key"), _is_item=pl.col("kpi").is_not_null())


def check_appraisals(frame: pl.DataFrame, errors: pl.DataFrame) -> pl.DataFrame:
    """Errors that only show across rows: the same key twice in the file (reported, never silently
    deduplicated), and totals or grades of one appraisal that disagree."""
    ok = usable(frame, errors)
    more = [*_duplicates(ok), _disagreeing_totals(ok)]
    more.append(_weights_without_total(frame, ok, pl.concat([errors, *more])))
    more.append(_disagreeing_grades(ok))
    return pl.concat(more)


def _duplicated(rows: pl.LazyFrame, by: list[str]) -> pl.DataFrame:
    """The keys ``by`` found on more than one row, each with the rows that hold it."""
    # count first, describe only the (few) duplicated keys
    dup = rows.group_by(by).agg(_n=pl.len()).filter(pl.col("_n") > 1).drop("_n").collect()
    return (
        rows.join(dup.lazy(), on=by, how="semi")
        .group_by(by)
        .agg(
            _first=pl.format(
                "第 {} 行（工作表「{}」）", pl.col("_row").cast(pl.String).str.join("、"), pl.col("_sheet").first()
            )
        )
        .collect()
    )


def _duplicates(ok: pl.LazyFrame) -> list[pl.DataFrame]:
    """A result twice for one person and period, an item twice for one person, period and KPI."""
    dup_results = _duplicated(ok.filter(~pl.col("_is_item")), KEY)
    dup_items = _duplicated(ok.filter(pl.col("_is_item")), [*KEY, "kpi_id"])
    return [
        row_errors(
            ok.join(dup_results.lazy(), on=KEY, how="inner").filter(~pl.col("_is_item")),
            pl.format("{}是同一工号、同一考核期间，重复出现：请删掉多余的行", pl.col("_first")),
            "employee_id",
            pl.col("employee_id"),
        ),
        row_errors(
            ok.join(dup_items.lazy(), on=[*KEY, "kpi_id"], how="inner"),
            pl.format("{}是同一人同一期的同一指标，重复出现：请删掉多余的行", pl.col("_first")),
            "kpi",
            pl.col("kpi"),
        ),
    ]


def _disagreeing_totals(ok: pl.LazyFrame) -> pl.DataFrame:
    """Totals written on several rows of one appraisal must agree."""
    totals = (
        ok.with_columns(_wt=WRITTEN_TOTAL)
        .group_by(KEY)
        .agg(_tmin=pl.col("_wt").min(), _tmax=pl.col("_wt").max())
        .filter((pl.col("_tmax") - pl.col("_tmin")) > 0.05)
        .collect()
    )
    return row_errors(
        ok.join(totals.lazy(), on=KEY, how="inner"),
        pl.lit("同一人同一期的几行写了不同的总分：请统一后再导入"),
        "total",
        pl.col("total_raw"),
    )


def _weights_without_total(frame: pl.DataFrame, ok: pl.LazyFrame, so_far: pl.DataFrame) -> pl.DataFrame:
    """Weights that do not add up to 100 leave no way to compute a total the file does not write
    (judged only on appraisals whose rows are all readable: a missing row would skew the sum)."""
    broken = (
        frame.lazy()
        .filter(pl.col("_rid").is_in(bad_rids(so_far)))
        .select(_cycle=pl.lit("H-") + pl.col("period_key"), employee_id="employee_id")
        .drop_nulls()
        .unique()
        .collect()
    )
    weights = (
        ok.join(broken.lazy(), on=KEY, how="anti")
        .filter(pl.col("_is_item") & (pl.col("item_kind") == "item"))
        .group_by(KEY)
        .agg(
            _wsum=pl.col("weight_v").sum(),
            _all=pl.col("weight_v").is_not_null().all(),
            _written=pl.col("total_v").drop_nulls().first(),
            _points=pl.col("_points").first(),
            _problem=pl.col("_weights_problem").cast(pl.String).drop_nulls().first(),
        )
        .filter(
            pl.col("_all") & ((pl.col("_wsum") - 100).abs() > 0.5) & pl.col("_written").is_null() & ~pl.col("_points")
        )
        .collect()
    )
    return row_errors(
        ok.join(weights.lazy(), on=KEY, how="inner"),
        pl.coalesce(
            pl.format(
                "这份考核的权重有误（{}），表中也没有总分，无法算出总分：请核对权重或补上总分", pl.col("_problem")
            ),
            pl.format(
                "这份考核各项权重合计为 {}%，不是 100%，表中也没有总分，无法算出总分：请核对权重或补上总分",
                pl.col("_wsum").round(1),
            ),
        ),
        "weight",
        pl.col("weight_raw"),
    )


def _disagreeing_grades(ok: pl.LazyFrame) -> pl.DataFrame:
    """Grades written on several rows of one appraisal must agree."""
    grades = (
        ok.filter(pl.col("grade_v").is_not_null())
        .group_by(KEY)
        .agg(_ng=pl.col("grade_v").n_unique())
        .filter(pl.col("_ng") > 1)
        .collect()
    )
    return row_errors(
        ok.join(grades.lazy(), on=KEY, how="inner"),
        pl.lit("同一人同一期的几行写了不同的等级：请统一后再导入"),
        "grade",
        pl.col("grade_raw"),
    )


def build_appraisals(
    frame: pl.DataFrame, errors: pl.DataFrame, scale: Sequence[tuple[str, float]] = DEFAULT_SCALE
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """One appraisal per (period, person) from the records without errors, with its items; ``scale``
    is the company's grade scale (best first) that ``grade_computed`` is read on.
    Returns (appraisals, items, errors of appraisals whose computed total is impossible)."""
    ok = usable(frame, errors)
    # lazy until the end: the per-appraisal sums read only the columns they need, and the item rows
    # are materialised once, in their final shape
    # items scored in weighted points (得分 27 of 权重 30) are stored as 0–100 item scores, self scores alike
    in_points = pl.col("_points") & (pl.col("weight_v") > 0) & (pl.col("item_kind") == "item")
    items = ok.filter(pl.col("_is_item")).with_columns(
        item_score=pl.when(in_points).then(pl.col("score_v") / pl.col("weight_v") * 100).otherwise(pl.col("score_v")),
        self_item=pl.when(in_points).then(pl.col("self_v") / pl.col("weight_v") * 100).otherwise(pl.col("self_v")),
    )
    apps = _scored(_written_results(ok).join(_item_sums(items), on=KEY, how="left"), scale)
    over = apps.filter(pl.col("final_score") > 120)
    over_keys = over.select(pl.col("cycle_id").alias("_cycle"), "employee_id").lazy()
    more_errors = row_errors(
        ok.join(over_keys, on=KEY, how="inner"),
        pl.lit("算出的总分超过 120 分：请核对各项得分和权重"),
        "score",
        pl.col("score_raw"),
    )
    if over.height:
        apps = apps.filter(pl.col("final_score") <= 120)
        items = items.join(over_keys, on=KEY, how="anti")
    items = (
        _with_number(_with_number(items, "target", frame), "actual", frame)
        .select(
            appraisal_id=pl.col("_cycle") + ":" + pl.col("employee_id"),
            kpi_id="kpi_id",
            weight="weight_v",
            target_as_written="target",
            target_value="_target_n",
            actual_as_written="actual",
            actual_value="_actual_n",
            self_score="self_item",
            manager_score="item_score",
            item_score="item_score",
            manager_comment="comment",
            category="category",  # dictionaries (records.SMALL): DuckDB takes them as text
            item_kind="item_kind",
            _rid="_rid",
        )
        .collect()
    )
    return apps, items, more_errors


def _with_number(items: pl.LazyFrame, column: str, frame: pl.DataFrame) -> pl.LazyFrame:
    """``_{column}_n``: the number a text column of the items reads as, parsed once per distinct text
    (targets and actuals repeat: 95%, 良好) and joined back in the items' order."""
    values = frame.select(pl.col(column).unique().alias(column)).drop_nulls()
    numbers = values.with_columns(parse_number(pl.col(column)).value.alias(f"_{column}_n"))
    return items.join(numbers.lazy(), on=column, how="left", maintain_order="left")


def _item_sums(items: pl.LazyFrame) -> pl.DataFrame:
    """Per appraisal: the weights and scores of its items, summed the ways a total can be made."""
    weighted = pl.col("item_kind") == "item"
    return (
        items.group_by(KEY)
        .agg(
            _wsum=pl.col("weight_v").filter(weighted).sum(),
            _wn=pl.col("weight_v").filter(weighted).is_not_null().sum(),
            _n=weighted.sum(),
            _scored=pl.col("item_score").filter(weighted).is_not_null().sum(),
            _weighted=(pl.col("item_score") * pl.col("weight_v")).filter(weighted).sum() / 100,
            _mean=pl.col("item_score").filter(weighted).mean(),
            _points_sum=pl.col("score_v").filter(weighted).sum(),
            _points=pl.col("_points").first(),
            # bonus and deduction rows add their points to the total or take them from it
            _self_weighted=(pl.col("self_item") * pl.col("weight_v")).filter(weighted).sum() / 100,
            _self_n=pl.col("self_item").filter(weighted).is_not_null().sum(),
            _extra=pl.col("score_v").filter(pl.col("item_kind") == "bonus").sum()
            - pl.col("score_v").filter(pl.col("item_kind") == "deduction").abs().sum(),
        )
        .collect()
    )


def _written_results(ok: pl.LazyFrame) -> pl.DataFrame:
    """Per appraisal: the total, grade and scale the file writes, and where the person was."""
    return (
        ok.with_columns(_wt=WRITTEN_TOTAL)
        .group_by(KEY, maintain_order=True)
        .agg(
            _written=pl.col("_wt").drop_nulls().first(),
            _grade=pl.col("grade_v").drop_nulls().first(),
            _self_written=pl.col("self_total_v").drop_nulls().first(),
            _scale=pl.col("_scale").max(),
            _src=pl.when(pl.col("_is_item"))
            .then(pl.col("total_src"))
            .otherwise(pl.coalesce("total_src", "score_src"))
            .drop_nulls()
            .first(),
            dept_id=pl.col("dept_id").drop_nulls().first(),
            position_id=pl.col("position_id").drop_nulls().first(),
            manager_id=pl.col("manager_id").drop_nulls().first(),
            period_key=pl.col("period_key").first(),
        )
        .collect()
    )


def _on_scale(score: pl.Expr, scale: Sequence[tuple[str, float]]) -> pl.Expr:
    """The grade of a 100-point score on the company scale: the first band whose minimum it reaches,
    the last band below all of them (as core.scoring.grade)."""
    bands = list(scale)
    expr = pl.when(score.is_null()).then(pl.lit(None, dtype=pl.String))
    for name, minimum in bands[:-1]:
        expr = expr.when(score >= minimum).then(pl.lit(name))
    return expr.otherwise(pl.lit(bands[-1][0]))


def _scored(apps: pl.DataFrame, scale: Sequence[tuple[str, float]]) -> pl.DataFrame:
    """The final score (as written, else points summed, else weighted, else the mean; bonus and
    deduction points added), the grade the file states (None when it states none), the grade the score
    gives on the company scale (``grade_computed``), the score as written on its scale, the id."""
    extra = pl.col("_extra").fill_null(0.0)
    apps = apps.with_columns(
        final_score=pl.coalesce(
            "_written",
            pl.when(pl.col("_points") & (pl.col("_scored") == pl.col("_n"))).then(pl.col("_points_sum") + extra),
            pl.when(
                (pl.col("_wn") == pl.col("_n"))
                & ((pl.col("_wsum") - 100).abs() <= 1)
                & (pl.col("_scored") == pl.col("_n"))
            ).then(pl.col("_weighted") + extra),
            pl.col("_mean") + extra,
        ).round(2)
    )
    per_point = pl.when(pl.col("_scale") == 5).then(20).when(pl.col("_scale") == 10).then(10).otherwise(1)
    return apps.with_columns(
        grade=pl.col("_grade"),
        # the self-assessed total as written, else from the self scores when every item has one
        self_score=pl.coalesce(
            "_self_written",
            pl.when(
                (pl.col("_self_n") == pl.col("_n")) & (pl.col("_n") > 0) & ((pl.col("_wsum") - 100).abs() <= 1)
            ).then(pl.col("_self_weighted")),
        ).round(2),
        # a 5-point rating keeps its own reading (5 → A, 3–4 → B, 1–2 → C); 100 and 10 points use the company scale
        grade_computed=pl.when(pl.col("_scale") == 5)
        .then(grade_from_score(pl.col("final_score") / 20, pl.lit(5)))
        .otherwise(_on_scale(pl.col("final_score"), scale)),
        source_score=pl.coalesce("_src", pl.col("final_score") / per_point),
        source_scale=pl.col("_scale").cast(pl.Int32),
        appraisal_id=pl.col("_cycle") + ":" + pl.col("employee_id"),
        weights_off=((pl.col("_wn") == pl.col("_n")) & ((pl.col("_wsum") - 100).abs() > 0.5)).fill_null(False),
    ).rename({"_cycle": "cycle_id"})


def propagate(frame: pl.DataFrame, errors: pl.DataFrame) -> pl.DataFrame:
    """An appraisal is loaded whole or not at all: when one of its rows is rejected, so are the others."""
    frame = frame.with_columns(_key=pl.col("period_key") + "|" + pl.col("employee_id"))
    bad = bad_rids(errors)
    where = (
        frame.filter(pl.col("_rid").is_in(bad) & pl.col("_key").is_not_null())
        .group_by("_key")
        .agg(_where=pl.format("第 {} 行（{}）", pl.col("_row").first(), pl.col("_sheet").first()))
    )
    extra = row_errors(
        frame.join(where, on="_key", how="inner").filter(~pl.col("_rid").is_in(bad)),
        pl.format("同一人同一期的{}有错误，为保持完整，这份考核的各行都未导入", pl.col("_where")),
        "employee_id",
        pl.col("employee_id"),
    )
    return pl.concat([errors, extra])
