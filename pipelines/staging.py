"""Cut the data rows out of a sheet into a staged frame of text columns named by canonical field,
with the sheet name and the Excel row of every record. Blank rows, repeated headers, totals and
notes are dropped here (and counted), never guessed into data."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from core.values import MISSING_WORDS, clean_text
from pipelines.layout import IDENTITY, TOTAL_WORDS, Form, Table
from pipelines.workbook import Grid, column_index

NOTE_STARTS = ("注", "说明", "备注", "制表", "审核", "签字", "签名", "填表", "打印", "note", "*")
# a heading over the rubric (each level described in words): every row from it on is wording, not people
RUBRIC_STARTS = ("评分标准", "评分说明", "评分细则", "考核标准", "评价标准", "等级说明", "等级标准", "计分规则")
# a 姓名 cell holding a sentence (rubric wording, a remark) is not a person
SENTENCE = r"[，。；：;:、%！？]|[\u4e00-\u9fff]{9,}"


@dataclass
class Staged:
    """Staged records of one sheet (text columns) and what was skipped."""

    frame: pl.DataFrame
    skipped_totals: int = 0
    skipped_notes: int = 0
    skipped_headers: int = 0
    notes: list[str] = field(default_factory=list)


def fill_merged(grid: Grid, first_row: int, only: set[str] | None = None) -> pl.DataFrame:
    """The grid with every merged range below ``first_row`` filled with its top-left value
    (a 工号 merged over one person's five KPI rows belongs to all five); ``only`` limits it to
    those columns."""
    frame = grid.frame
    if not grid.merged or frame.height == 0:
        return frame
    letters = frame.columns
    first_col = column_index(letters[0])
    by_col: dict[int, np.ndarray] = {}
    for r0, c0, r1, c1 in grid.merged:
        if r1 < first_row or r1 == r0:
            continue
        for c in range(c0, c1 + 1):
            ci = c - first_col
            if not 0 <= ci < len(letters) or (only is not None and letters[ci] not in only):
                continue
            idx = by_col.get(ci)
            if idx is None:
                idx = by_col[ci] = np.arange(frame.height)
            idx[max(r0 + 1, first_row) : min(r1, frame.height - 1) + 1] = r0
    if not by_col:
        return frame
    return frame.with_columns(
        frame.get_column(letters[ci]).gather(idx).alias(letters[ci]) for ci, idx in by_col.items()
    )


def _row_kinds(
    frame: pl.DataFrame, id_cols: list[str], header_of: dict[str, str], name_col: str | None = None,
    id_col: str | None = None, rubric_block: bool = False,
) -> pl.DataFrame:  # fmt: skip
    """Mark blank, totals, repeated-header and note rows. Cheap on purpose: it runs over every row of
    every sheet, so cells are only tested for content (a whitespace-only cell counts as content; the
    row then fails validation visibly instead of vanishing) and only the first cell is trimmed."""
    filled = {c: (pl.col(c).str.len_bytes() > 0).fill_null(False) for c in frame.columns}
    n_filled = pl.sum_horizontal([f.cast(pl.Int32) for f in filled.values()])
    first = pl.coalesce([pl.when(filled[c]).then(pl.col(c)) for c in frame.columns]).str.strip_chars()
    header_hits = pl.sum_horizontal(
        [(pl.col(c) == text).fill_null(False).cast(pl.Int32) for c, text in header_of.items() if c in filled]
        or [pl.lit(0)]
    )
    ids_empty = pl.all_horizontal([~filled[c] for c in id_cols]) if id_cols else pl.lit(True)
    # materialise the first cell (and its lower case) once: expressions reused below would otherwise be
    # recomputed per use
    sentence = (
        pl.col(name_col).str.contains(SENTENCE).fill_null(False) & (~filled[id_col] if id_col else pl.lit(True))
        if name_col
        else pl.lit(False)
    )
    base = frame.select(
        _n=n_filled, _first=first, _hits=header_hits, _ids_empty=ids_empty, _sentence=sentence
    ).with_columns(_first_l=pl.col("_first").str.to_lowercase())
    first_l = pl.col("_first_l")
    rubric = starts_with_any(first_l, RUBRIC_STARTS).fill_null(False) if rubric_block else pl.lit(False)
    return base.select(
        _blank=pl.col("_n") == 0,
        _total=first_l.str.replace_all(r"[\s:：()（）]", "").is_in(list(TOTAL_WORDS)).fill_null(False),
        _header=pl.col("_hits") >= 2,
        _note=starts_with_any(first_l, NOTE_STARTS).fill_null(False)
        | pl.col("_sentence")
        | rubric.cast(pl.Int8).cum_max().cast(pl.Boolean)
        | (
            (pl.col("_n") == 1)
            & pl.col("_first").cast(pl.Float64, strict=False).is_null()
            & (pl.col("_ids_empty") | (pl.col("_first").str.len_chars() > 15))
        ),
    )


def starts_with_any(text: pl.Expr, prefixes: tuple[str, ...]) -> pl.Expr:
    """``text`` starts with one of ``prefixes``: one anchored pass instead of one per prefix."""
    return text.str.contains("^(?:" + "|".join(re.escape(p) for p in prefixes) + ")")


def stage_table(grid: Grid, table: Table, fields: tuple[str, ...], *, people: bool = False) -> Staged:
    """The data rows under ``table``'s header as canonical text columns, ``_sheet`` and ``_row``.
    A period-wide layout (one column group per period) becomes one record per person and period.
    ``people``: the rows are people's results, so a 姓名 cell holding a sentence, and every row from a
    rubric heading (评分标准 …) on, is wording, not a person."""
    first = table.header_row + 1
    frame = fill_merged(grid, first).with_row_index("_i").slice(first)
    frame = frame.with_columns(_row=(pl.col("_i") + 1).cast(pl.Int64)).drop("_i")
    id_cols = [c for c in (table.letter(f) for f in IDENTITY) if c]
    header_of = {c.letter: c.header.split(" ")[-1] for c in table.columns}
    data_cols = [c for c in frame.columns if c != "_row"]
    name_col, id_col = (table.letter("name"), table.letter("employee_id")) if people else (None, None)
    kinds = _row_kinds(frame.select(data_cols), id_cols, header_of, name_col, id_col, people)
    frame = pl.concat([frame, kinds], how="horizontal")
    staged = Staged(pl.DataFrame())
    staged.skipped_totals = int(frame.get_column("_total").sum())
    staged.skipped_headers = int((frame.get_column("_header") & ~frame.get_column("_total")).sum())
    keep = ~pl.col("_blank") & ~pl.col("_total") & ~pl.col("_header")
    staged.skipped_notes = int(frame.filter(keep & pl.col("_note")).height)
    frame = frame.filter(keep & ~pl.col("_note"))

    base = [pl.col(c.letter).alias(c.field) for c in table.columns if c.period is None and c.field in fields]
    if table.wide:
        parts = []
        periods = list(dict.fromkeys(c.period for c in table.wide))
        for p in periods:
            cols = [pl.col(c.letter).alias(c.field) for c in table.wide if c.period == p]
            wide_fields = {c.field for c in table.wide if c.period == p}
            part = frame.select(
                pl.col("_row"), *[e for e in base if e.meta.output_name() not in wide_fields], *cols
            ).with_columns(period=pl.lit(p))
            # a period left blank or marked '-' in the wide layout simply has no result
            part = part.filter(
                pl.any_horizontal(
                    [(~clean_text(pl.col(f)).is_in(list(MISSING_WORDS))).fill_null(False) for f in wide_fields]
                )
            )
            parts.append(part)
        out = pl.concat(parts, how="diagonal_relaxed") if parts else pl.DataFrame()
    else:
        out = frame.select(pl.col("_row"), *base)
    staged.frame = _with_all_fields(out, fields).with_columns(_sheet=pl.lit(grid.name))
    return staged


def stage_form(grid: Grid, form: Form, fields: tuple[str, ...]) -> Staged:
    """A per-person form as item records carrying the person's labels (姓名, 工号, 月份 …), the
    category merged down over its items, and what the form's 合计 row states (total, grade)."""
    table = form.table
    assert table is not None
    first = table.header_row + 1
    merged_down = {c.letter for c in table.columns if c.field in ("category", "category_weight")}
    if "category" not in table.fields and (unheaded := _unheaded_category(grid, table, form.items_end)):
        merged_down.add(unheaded)
    frame = fill_merged(grid, first, merged_down).with_row_index("_i").slice(first, max(form.items_end - first, 0))
    frame = frame.with_columns(_row=(pl.col("_i") + 1).cast(pl.Int64))
    kpi = table.letter("kpi")
    frame = frame.filter(clean_text(pl.col(kpi)).is_not_null()) if kpi else frame.clear()
    cols = [pl.col(c.letter).alias(c.field) for c in table.columns if c.period is None and c.field in fields]
    unheaded = None if "category" in table.fields else _unheaded_category(grid, table, form.items_end)
    if unheaded is not None and "category" in fields:
        cols.append(pl.col(unheaded).alias("category"))
    out = _sections(frame.select(pl.col("_row"), *cols))
    label_values = {f: v for f, (v, _, _) in form.labels.items() if f in fields}
    if form.total is not None and "total" in fields:
        label_values["total"] = form.total[0]
    if form.grade is not None and "grade" in fields:
        label_values["grade"] = form.grade[0]
    if form.self_total is not None and "self_total" in fields:
        label_values["self_total"] = form.self_total[0]
    out = out.with_columns(pl.lit(v, dtype=pl.String).alias(f) for f, v in label_values.items() if f not in out.columns)
    staged = Staged(_with_all_fields(out, fields).with_columns(_sheet=pl.lit(grid.name)))
    return staged


# a row that only names a section of bonus or deduction items below it (加分项, 扣分项（最多 10 分）)
SECTION = r"^\s*(加分|奖励|奖分|扣分|减分|扣罚)(项目?|部分|类)?\s*([（(].*[)）])?\s*[:：]?\s*$"


def _unheaded_category(grid: Grid, table: Table, end: int) -> str | None:
    """A column left of the items with no header whose cells are merged down over the items: the
    category each item belongs to (业绩 merged over three rows, 行为 over two)."""
    kpi = table.letter("kpi")
    if kpi is None or not grid.merged:
        return None
    first_col = column_index(grid.letters[0])
    header = grid.frame.row(table.header_row) if table.header_row < grid.frame.height else ()
    named = {c.letter for c in table.columns}
    for r0, c0, r1, _ in grid.merged:
        ci = c0 - first_col
        if r1 > r0 and r0 > table.header_row and r0 < end and 0 <= ci < column_index(kpi) - first_col:
            letter = grid.letters[ci]
            if letter not in named and (ci >= len(header) or header[ci] is None):
                return letter
    return None


def _sections(items: pl.DataFrame) -> pl.DataFrame:
    """Rows that only head a section (加分项 / 扣分项) give the rows under them their category and are
    dropped themselves: they are no item."""
    values = [c for c in items.columns if c not in ("_row", "kpi", "category")]
    is_section = clean_text(pl.col("kpi")).str.contains(SECTION).fill_null(False) & pl.all_horizontal(
        [clean_text(pl.col(c)).is_null() for c in values] or [pl.lit(True)]
    )
    marked = items.with_columns(_section=pl.when(is_section).then(pl.col("kpi")).forward_fill(), _is_section=is_section)
    if "category" in marked.columns:
        marked = marked.with_columns(category=pl.coalesce("category", "_section"))
    else:
        marked = marked.with_columns(category=pl.col("_section"))
    return marked.filter(~pl.col("_is_section")).drop("_section", "_is_section")


def _with_all_fields(frame: pl.DataFrame, fields: tuple[str, ...]) -> pl.DataFrame:
    missing = [pl.lit(None, dtype=pl.String).alias(f) for f in fields if f not in frame.columns]
    frame = frame.with_columns(missing) if missing else frame
    return frame.select(pl.col("_row"), *[pl.col(f).cast(pl.String) for f in fields])
