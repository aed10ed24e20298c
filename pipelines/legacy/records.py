"""Legacy records: the staged text of every sheet parsed into values (ids, names, numbers on one
scale, grades, periods), with an error for every cell that cannot be read, and the pandera contract."""

from __future__ import annotations

import polars as pl

from core.values import ParsedNumber, clean_text, parse_number, trim_text
from pipelines.context import fold_expr
from pipelines.legacy.joins import attach, derive
from pipelines.normalise import (
    GRADE_WORDS,
    Period,
    as_kind,
    as_percent_points,
    clean_employee_id,
    display_name,
    find_period_without_year,
    is_date_text,
    joined_name,
    parse_period,
    period_without_year,
    with_year,
)
from pipelines.options import DEFAULT, ImportOptions
from pipelines.row_errors import pandera_errors, row_errors
from pipelines.weights import WeightIn, resolve_weights
from schemas.staged import GRADES, LegacyRecord, reason_for

# What later steps read of a normalised record; everything else is dropped to keep a 1M-row import small.
RECORD_COLUMNS = [
    "_rid", "_row", "_sheet", "_layout", "employee_id", "name", "department", "position", "kpi", "target",
    "actual", "comment", "manager", "period_key", "weight_v", "score_v", "total_v", "grade_v", "score_raw",
    "total_raw", "weight_raw", "grade_raw", "_scale", "score_src", "total_src", "_points", "_period_from",
    "_name_written", "self_v", "self_total_v", "category", "item_kind", "_weights_problem",
]  # fmt: skip
# an item row that adds to or takes from the total instead of being weighted (加分项：…, 扣分：迟到 2 次)
BONUS = r"^\s*(加分|奖励|奖分|附加分)"
DEDUCTION = r"^\s*(扣分|减分|扣罚|处罚|否决)"

# the period reasons a whole file may share: then it is refused with one question (file_question)
MISSING_PERIOD = (
    "缺少考核期间（表内、标题、工作表名和文件名里都没有找到）：请加一列「考核期间」，"
    "或在上传页填写「考核期间」（命令行 --period 2024-03）"
)
NO_YEAR = "考核期间只写了「{}」，没有年份：请在上传页填写「年份」（命令行 --year 2024），或写成 2024年3月"


def normalise(
    staged: pl.DataFrame, options: ImportOptions = DEFAULT, file_name: str = ""
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Parse every text column into values; ``options`` are HR's answers for the file (a period, a year,
    grade words). Returns (records, parse errors)."""
    frame = staged.with_columns(
        period=pl.coalesce(pl.col("period"), pl.col("_period_hint")),
        name=pl.coalesce(pl.col("name"), joined_name(pl.col("first_name"), pl.col("last_name"))),
    ).drop("first_name", "last_name")
    frame = derive(frame, "name", _name_written=display_name(pl.col("_v")))  # before "name" is folded
    del staged  # each raw column is freed as soon as its parsed form replaces it
    for column, parsed in _cell_parsers():
        if frame.get_column(column).null_count() == frame.height:
            # a column no sheet of the file has (self scores in a plain table): its values are all null
            types = pl.DataFrame(schema={"_v": pl.String}).select(**parsed).schema
            frame = frame.with_columns(pl.lit(None, dtype=t).alias(name) for name, t in types.items())
            continue
        frame = derive(frame, column, **parsed)
    frame = _on_one_scale(frame)
    frame = _nested_weights(_item_kinds(frame))
    frame = _periods(_grades(frame, options.grade_words), options, file_name)
    return frame.select(RECORD_COLUMNS).with_columns(SMALL), _parse_errors(frame)


# columns of few distinct values held as dictionaries: a text column costs 16 bytes a row even when
# null, and a 1M-row import carries these to the end (the load casts them back where it writes them)
SMALL = [
    pl.col("item_kind").cast(pl.Enum(["item", "bonus", "deduction"])),
    pl.col("_period_from").cast(pl.Enum(["file", "year", "option"])),
    pl.col("category", "_weights_problem", "_name_written").cast(pl.Categorical),
]


def _cell_parsers() -> list[tuple[str, dict[str, pl.Expr]]]:
    """(text column, the values parsed from it over ``pl.col("_v")``), in the order they are derived."""
    x = pl.col("_v")
    parsers = [
        ("employee_id", {"employee_id": clean_employee_id(x)}),
        ("manager", {"manager": clean_employee_id(x)}),
        ("name", {"name": fold_expr(x)}),
    ]
    # names of things and free text are kept as written (trimmed); comparisons fold them separately
    parsers += [
        (col, {col: trim_text(x)})
        for col in ("department", "position", "kpi", "target", "actual", "comment", "category", "category_weight")
    ]
    # *_raw: the cell as written (trimmed), for the reject table
    parsers += [("grade", {"grade_raw": trim_text(x)}), ("period", {"period_text": clean_text(x)})]
    numbers = (("score", "_score"), ("total", "_total"), ("weight", "_weight"), ("self_score", "_self"),
               ("self_total", "_stotal"))  # fmt: skip
    for col, prefix in numbers:
        num = parse_number(x)
        parsers.append(
            (
                col,
                {
                    f"{col}_raw": trim_text(x),
                    f"{prefix}_n": num.value,
                    f"{prefix}_pct": num.percent,
                    f"{prefix}_err": num.error,
                    f"{prefix}_absent": num.absent,
                },
            )
        )
    return parsers


def _on_one_scale(frame: pl.DataFrame) -> pl.DataFrame:
    """Weights in percent points and scores on 100 points: per sheet, a weight column written as
    fractions (0.3), items scored in weighted points (得分 27 of 权重 30), and a 5- or 10-point rating
    are recognised and converted."""
    frame = frame.with_columns(
        pl.col(
            "_score_pct", "_total_pct", "_weight_pct", "_self_pct", "_stotal_pct", "_score_absent", "_total_absent"
        ).fill_null(False)
    ).with_columns(_absent=pl.col("_score_absent") | pl.col("_total_absent"))
    sheet_stats = frame.group_by("_sheet").agg(
        _w_frac=(pl.col("_weight_n").max() <= 1.0) & pl.col("_weight_n").is_not_null().any(),
        _s_frac=(pl.col("_score_n").max() <= 1.0) & pl.col("_score_n").is_not_null().any(),
        _t_frac=(pl.col("_total_n").max() <= 1.0) & pl.col("_total_n").is_not_null().any(),
        _top=pl.max_horizontal(pl.col("_score_n").max(), pl.col("_total_n").max(), pl.col("_self_n").max()),
        _any_pct=(pl.col("_score_pct") | pl.col("_total_pct")).any(),
    )
    frame = attach(frame, sheet_stats, "_sheet")
    frame = frame.with_columns(
        weight_v=as_percent_points(_parsed("_weight"), pl.col("_w_frac")),
        # the score as a 0–100 number before its scale is known (0.95 and 95% are 95), to compare with weights
        _score_pp=as_percent_points(_parsed("_score"), pl.col("_s_frac")),
    )
    frame = _weighted_points(frame)
    scale = (
        # scores all at most 1 are fractions of 100 (0.95), not a 5-point rating
        pl.when((pl.col("_top") <= 5.0) & (pl.col("_top") > 1.0) & ~pl.col("_any_pct"))
        .then(pl.lit(5))
        .when((pl.col("_top") <= 10.0) & (pl.col("_top") > 5.0) & ~pl.col("_any_pct") & ~pl.col("_points"))
        .then(pl.lit(10))
        .otherwise(pl.lit(100))
    )
    frame = frame.with_columns(_scale=scale)
    fractions = ~pl.col("_scale").is_in([5, 10])
    frame = frame.with_columns(
        score_src=as_percent_points(_parsed("_score"), pl.col("_s_frac") & fractions),
        total_src=as_percent_points(_parsed("_total"), pl.col("_t_frac") & fractions),
        _self_src=as_percent_points(_parsed("_self"), pl.col("_s_frac") & fractions),
        _stotal_src=as_percent_points(_parsed("_stotal"), pl.col("_t_frac") & fractions),
    )
    factor = pl.when(pl.col("_scale") == 100).then(pl.lit(1.0)).otherwise(100.0 / pl.col("_scale"))
    return frame.with_columns(
        score_v=pl.col("score_src") * factor,
        total_v=pl.col("total_src") * factor,
        self_v=pl.col("_self_src") * factor,
        self_total_v=pl.col("_stotal_src") * factor,
    )


def _weighted_points(frame: pl.DataFrame) -> pl.DataFrame:
    """``_points``: per sheet, whether items are scored in weighted points (得分 27 of 权重 30): every
    item's score at most its weight, and where a total is written, the scores add up to it."""
    # a sheet of 5-point ratings is a rating scale, however small its weights
    items = frame.lazy().filter(
        pl.col("kpi").is_not_null()
        & pl.col("_score_pp").is_not_null()
        & pl.col("weight_v").is_not_null()
        & ~((pl.col("_top") <= 5.0) & (pl.col("_top") > 1.0) & ~pl.col("_any_pct")).fill_null(False)
    )
    points = (
        items.group_by("_sheet")
        .agg(_points=(pl.col("_score_pp") <= pl.col("weight_v") + 1e-9).all() & (pl.len() >= 2))
        .filter(pl.col("_points"))
        .collect()
    )
    if points.height:
        # only for the (few) sheets that look so: do each person's points add up to their written total?
        adds_up = (
            items.join(points.lazy(), on="_sheet", how="semi")
            .group_by("_sheet", "employee_id", "name", "period_text")
            .agg(_sum=pl.col("_score_pp").sum(), _tot=pl.col("_total_n").drop_nulls().first())
            .group_by("_sheet")
            .agg(_adds_up=((pl.col("_sum") - pl.col("_tot")).abs() <= 0.5).fill_null(True).all())
            .collect()
        )
        points = points.join(adds_up, on="_sheet", how="left").select(
            "_sheet", _points=pl.col("_adds_up").fill_null(True)
        )
    return attach(frame, points, "_sheet").with_columns(pl.col("_points").fill_null(False))


def _item_kinds(frame: pl.DataFrame) -> pl.DataFrame:
    """``item_kind``: 'bonus' or 'deduction' for a row its category or its name marks so (加分项,
    扣分项, 奖励 …), else 'item'; a bonus or deduction carries no weight."""
    kind = (
        pl.when(pl.col("kpi").is_null())
        .then(None)
        .when(pl.col("category").str.contains(BONUS) | pl.col("kpi").str.contains(BONUS))
        .then(pl.lit("bonus"))
        .when(pl.col("category").str.contains(DEDUCTION) | pl.col("kpi").str.contains(DEDUCTION))
        .then(pl.lit("deduction"))
        .otherwise(pl.lit("item"))
    )
    frame = frame.with_columns(item_kind=kind)
    return frame.with_columns(
        weight_v=pl.when(pl.col("item_kind").is_in(["bonus", "deduction"])).then(None).otherwise(pl.col("weight_v"))
    )


def _nested_weights(frame: pl.DataFrame) -> pl.DataFrame:
    """Weights of a form, or of items under category weights, resolved by pipelines.weights per appraisal
    (one sheet, person and period): nested shares multiplied out, rounding within the tolerance fixed;
    what does not add up keeps the weights as written and says why in ``_weights_problem``."""
    frame = frame.with_columns(_weights_problem=pl.lit(None, dtype=pl.String))
    which = (pl.col("_layout") == "form") | pl.col("category_weight").is_not_null()
    which = which & (pl.col("item_kind") == "item")
    rows = frame.filter(which).select("_rid", "_sheet", "employee_id", "name", "period_text", "weight_raw",
                                      "category", "category_weight")  # fmt: skip
    if rows.height == 0:
        return frame
    out_rid: list[int] = []
    out_w: list[float | None] = []
    out_problem: list[str | None] = []
    for _, group in rows.group_by("_sheet", "employee_id", "name", "period_text", maintain_order=True):
        items = [
            WeightIn(w, c, cw) for w, c, cw in group.select("weight_raw", "category", "category_weight").iter_rows()
        ]
        if all(i.weight is None for i in items):
            continue
        got = resolve_weights(items)
        out_rid += group.get_column("_rid").to_list()
        out_w += list(got.weights)
        out_problem += [None if got.consistent else got.problem] * group.height
    resolved = pl.DataFrame(
        {"_rid": out_rid, "_w": out_w, "_p": out_problem},
        schema={"_rid": frame.schema["_rid"], "_w": pl.Float64, "_p": pl.String},
    )
    frame = attach(frame, resolved, "_rid")
    return frame.with_columns(
        weight_v=pl.when(pl.col("_rid").is_in(resolved.get_column("_rid").implode()))
        .then(pl.col("_w"))
        .otherwise(pl.col("weight_v")),
        _weights_problem=pl.col("_p"),
    ).drop("_w", "_p")


def _grades(frame: pl.DataFrame, grade_words: tuple[tuple[str, str], ...] | None = None) -> pl.DataFrame:
    """``grade_v``: a grade word (优秀, Exceeds, 甲, A, …) on the company's scale through HR's grade words
    (folded upper-case without spaces → grade; the defaults when none are given), else the grade as written."""
    pairs = list(grade_words) if grade_words is not None else list(GRADE_WORDS.items())
    grade_map = pl.DataFrame(
        {"_g": [w for w, _ in pairs], "_gv": [g for _, g in pairs]}, schema={"_g": pl.String, "_gv": pl.String}
    ).unique("_g", keep="first")
    frame = attach(
        frame.with_columns(_g=clean_text(pl.col("grade_raw")).str.to_uppercase().str.replace_all(r"\s", "")),
        grade_map,
        "_g",
    )
    frame = frame.with_columns(grade_v=pl.coalesce(pl.col("_gv"), pl.col("grade_raw"))).drop("_g", "_gv")
    return frame


def _periods(frame: pl.DataFrame, options: ImportOptions = DEFAULT, file_name: str = "") -> pl.DataFrame:
    """``period_key``, and ``_period_from`` saying where it came from: 'file' (the row, its title, sheet
    or file name), 'year' (a month or quarter written without a year, dated by HR's year) or 'option'
    (HR's period, for a row that names none). A review date becomes its month, or its quarter, half
    year or year when the file's other periods are of that kind. ``_no_year``: the month written
    without a year when HR gave none. Each distinct text is parsed once; a text that is no period
    stays as written and fails the contract."""
    year = options.year_for_months
    texts = frame.get_column("period_text").drop_nulls().unique().to_list()
    parsed: dict[str, Period | None] = {t: parse_period(t) for t in texts}
    others = {p.kind for t, p in parsed.items() if p is not None and not is_date_text(t)}
    date_kind = next(iter(others)) if len(others) == 1 else "monthly"
    keys: dict[str, tuple[str, str | None, str | None]] = {}  # text -> (key, from, words without a year)
    for t, p in parsed.items():
        if p is not None:
            keys[t] = ((as_kind(p, date_kind) if is_date_text(t) else p).key, "file", None)
        elif (no_year := period_without_year(t)) is not None:
            keys[t] = (with_year(*no_year, year).key, "year", None) if year else (None, None, t)  # type: ignore[assignment]
        else:
            keys[t] = (t, "file", None)
    keymap = pl.DataFrame(
        {"period_text": list(keys), "period_key": [k[0] for k in keys.values()],
         "_period_from": [k[1] for k in keys.values()], "_no_year": [k[2] for k in keys.values()]},
        schema={"period_text": pl.String, "period_key": pl.String, "_period_from": pl.String, "_no_year": pl.String},
    )  # fmt: skip
    frame = attach(frame, keymap, "period_text")
    # a row naming no period: a month in its sheet's or the file's name (dated by HR's year), else HR's period
    sheets = frame.get_column("_sheet").unique().to_list()
    fallback = []
    for sheet in sheets:
        no_year_words = find_period_without_year(sheet) or find_period_without_year(file_name)
        no_year = period_without_year(no_year_words) if no_year_words else None
        if no_year and year:
            fallback.append((sheet, with_year(*no_year, year).key, "year", None))
        elif options.period_key:
            fallback.append((sheet, options.period_key, "option", None))
        elif no_year_words:
            fallback.append((sheet, None, None, no_year_words))
    if not fallback:
        return frame
    fill = pl.DataFrame(
        fallback, schema={"_sheet": pl.String, "_fk": pl.String, "_ff": pl.String, "_fn": pl.String}, orient="row"
    )
    lacking = pl.col("period_text").is_null()
    return (
        attach(frame, fill, "_sheet")
        .with_columns(
            period_key=pl.when(lacking).then(pl.col("_fk")).otherwise(pl.col("period_key")),
            _period_from=pl.when(lacking).then(pl.col("_ff")).otherwise(pl.col("_period_from")),
            _no_year=pl.when(lacking).then(pl.col("_fn")).otherwise(pl.col("_no_year")),
        )
        .drop("_fk", "_ff", "_fn")
    )


def file_question(errors: pl.DataFrame, records: int, file_name: str) -> str | None:
    """When every record lacks its period (or its year), the one question the file is refused with:
    what is missing and how to give it on the upload screen or the command line; else None."""
    if records == 0:
        return None
    period = errors.filter(pl.col("column") == "period")
    missing = period.filter(pl.col("reason") == MISSING_PERIOD).get_column("_rid").n_unique()
    no_year = period.filter(pl.col("reason").str.starts_with(NO_YEAR.split("{")[0]))
    if missing == records:
        return (
            f"文件「{file_name}」的表内、标题、工作表名和文件名里都没有考核期间，{records} 行都无法确定属于哪一期，"
            "没有写入任何数据：请在上传页的「考核期间」中填写（如 2023-09 或 2024Q1），"
            "或在命令行加 --period 2023-09，然后重新导入。"
        )
    if no_year.height and missing + no_year.get_column("_rid").n_unique() >= records:
        words = (
            "、".join(
                dict.fromkeys(v for v in no_year.get_column("reason").str.extract(r"只写了「(.+?)」").to_list() if v)
            )
            or "月份"
        )
        return (
            f"文件「{file_name}」的考核期间只写了「{words}」，没有年份，{records} 行都无法确定是哪一年，"
            "没有写入任何数据：请在上传页的「年份」中填写（如 2024），或在命令行加 --year 2024，然后重新导入。"
        )
    return None


def _parse_errors(frame: pl.DataFrame) -> pl.DataFrame:
    """An error for every number that cannot be read, a missing period or person, an absence and a row
    without any result."""
    return pl.concat(
        [
            row_errors(frame, pl.col("_score_err"), "score", pl.col("score_raw")),
            row_errors(frame, pl.col("_total_err"), "total", pl.col("total_raw")),
            row_errors(frame, pl.col("_weight_err"), "weight", pl.col("weight_raw")),
            row_errors(frame, pl.col("_self_err"), "self_score", pl.col("self_score_raw")),
            row_errors(frame, pl.col("_stotal_err"), "self_total", pl.col("self_total_raw")),
            row_errors(
                frame,
                pl.when(pl.col("_no_year").is_not_null())
                .then(pl.format(NO_YEAR, pl.col("_no_year")))
                .when(pl.col("period_key").is_null())
                .then(pl.lit(MISSING_PERIOD)),
                "period",
                pl.col("period_text"),
            ),
            row_errors(
                frame,
                pl.when(pl.col("employee_id").is_null() & pl.col("name").is_null()).then(
                    pl.lit("缺少工号和姓名：无法确定是谁的成绩")
                ),
                "employee_id",
                pl.lit(None, dtype=pl.String),
            ),
            row_errors(
                frame,
                pl.when(pl.col("_absent")).then(pl.lit("标记为缺考/未考核，这一期没有成绩，未导入")),
                "score",
                pl.coalesce(pl.col("score_raw"), pl.col("total_raw")),
            ),
            row_errors(
                frame,
                pl.when(
                    ~pl.col("_absent")
                    & pl.col("score_v").is_null()
                    & pl.col("total_v").is_null()
                    & pl.col("grade_v").is_null()
                    & pl.col("_score_err").is_null()
                    & pl.col("_total_err").is_null()
                ).then(
                    pl.when(pl.coalesce("score_raw", "total_raw").is_not_null())
                    .then(
                        pl.format(
                            "分数写的是「{}」（空缺），这一行没有分数，未导入：如有成绩请补上",
                            pl.coalesce("score_raw", "total_raw"),
                        )
                    )
                    .otherwise(pl.lit("这一行没有分数或等级：请补上得分，或删除这一行"))
                ),
                "score",
                pl.coalesce("score_raw", "total_raw", "grade_raw"),
            ),
        ]
    )


def _parsed(prefix: str) -> ParsedNumber:
    return ParsedNumber(
        pl.col(f"{prefix}_n"), pl.col(f"{prefix}_pct"), pl.lit(False), pl.lit(False), pl.col(f"{prefix}_err")
    )


def validate(frame: pl.DataFrame, grades: tuple[str, ...] | None = None) -> pl.DataFrame:
    """pandera checks on the normalised records, and each grade on S–E or on the company's scale
    (``grades``, HR's grade names); failures become errors keyed by record."""
    allowed = pl.Series([*GRADES, *(grades or ())], dtype=pl.String).unique().implode()
    off_scale = row_errors(
        frame,
        pl.when(pl.col("grade_v").is_not_null() & ~pl.col("grade_v").is_in(allowed)).then(
            pl.lit(reason_for("grade_v", "isin"))
        ),
        "grade_v",
        pl.col("grade_raw"),
    )
    checked = pandera_errors(
        LegacyRecord,
        frame,
        ["employee_id", "period_key", "weight_v", "score_v", "total_v", "self_v", "grade_v"],
        reason_for,
    )
    return pl.concat([checked, off_scale])
