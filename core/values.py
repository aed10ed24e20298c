"""Values people type, checked once: form input (free text with its length cap, numbers) and the text of
spreadsheet cells (``clean_text``, ``parse_number``: column-wide Polars expressions).

Both sides use these: core for what a screen sends and for history it reads back, pipelines for what a
file holds, so the domain never imports the ingestion layer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import polars as pl

from core.errors import CoreError, Text
from core.vocabulary import MAX_TEXT

MAX_SEARCH = 100  # characters of a search box


def text_input(text: object, label: Text | str, *, required: bool = False, limit: int = MAX_TEXT,
               error: type[CoreError] = CoreError) -> str | None:  # fmt: skip
    """``text`` trimmed, None when empty; ``error`` (CoreError or a subclass the caller's screen catches)
    when required and empty, or longer than ``limit``. ``label`` names the field in the message (a
    ``field.*`` text, shown in the reader's language)."""
    value = None if text is None else str(text).strip()
    if not value:
        if required:
            raise error("value.required", label=label)
        return None
    if len(value) > limit:
        raise error("value.too_long", label=label, limit=limit, length=len(value))
    return value


def search_text(text: object, limit: int = MAX_SEARCH) -> str:
    """What a search box holds, trimmed and lower-cased for a case-insensitive match, cut to ``limit``
    characters (a search never fails for its length: nothing that long matches anyway)."""
    return ("" if text is None else str(text))[: limit * 2].strip().lower()[:limit]


def number_input(value: object, label: Text | str) -> float | None:
    """``value`` as a finite float, None when empty; CoreError when it is not a number."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise CoreError("value.not_a_number", label=label, value=value) from None
    if not math.isfinite(number):
        raise CoreError("value.not_finite", label=label, value=value)
    return number


# -- cells of spreadsheets ---------------------------------------------------------------------

# Full-width ASCII (！ … ～) and the ideographic space, mapped to their half-width forms.
_FULLWIDTH = [chr(c) for c in range(0xFF01, 0xFF5F)] + ["\u3000"]
_HALFWIDTH = [chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)] + [" "]

MISSING_WORDS = ("-", "--", "—", "——", "/", "无", "空", "n/a", "N/A", "NA", "na", "null", "NULL", "#N/A", "－")
ABSENT_WORDS = ("缺考", "缺席", "未考核", "免考", "未参加", "未评")
EXCEL_ERRORS = ("#DIV/0!", "#N/A", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "#GETTING_DATA", "#SPILL!")


def clean_text(expr: pl.Expr) -> pl.Expr:
    """Half-width, trimmed text; empty becomes null."""
    s = expr.str.replace_many(_FULLWIDTH, _HALFWIDTH).str.strip_chars().str.replace_all("\x00", "", literal=True)
    return pl.when(s.str.len_chars() == 0).then(None).otherwise(s)


def trim_text(expr: pl.Expr) -> pl.Expr:
    """Text kept as written, only trimmed; empty becomes null (comments, names of things)."""
    s = expr.str.strip_chars().str.replace_all("\x00", "", literal=True)
    return pl.when(s.str.len_chars() == 0).then(None).otherwise(s)


@dataclass(frozen=True)
class ParsedNumber:
    """Expressions for a parsed number column: its value, whether it was written as a percent, and
    the reason it could not be read (null when fine or blank)."""

    value: pl.Expr
    percent: pl.Expr
    missing: pl.Expr
    absent: pl.Expr
    error: pl.Expr


def parse_number(expr: pl.Expr) -> ParsedNumber:
    """Read '95', '95.0', '95%', '９５', '95分', '1,234' as numbers. Blank, '-' … are missing;
    '缺考' … mark an absence; anything else is an error with a Chinese reason."""
    t = clean_text(expr)
    missing = t.is_null() | t.is_in(list(MISSING_WORDS))
    absent = t.is_in(list(ABSENT_WORDS)).fill_null(False)
    excel_error = t.is_in(list(EXCEL_ERRORS)).fill_null(False)
    s = t.str.replace_all(r"[分点,，\s]", "").str.replace_all("％", "%", literal=True)
    percent = s.str.ends_with("%")
    value = s.str.strip_suffix("%").cast(pl.Float64, strict=False)
    bad = ~missing & ~absent & value.is_null()
    error = (
        pl.when(excel_error)
        .then(pl.format("单元格是 Excel 错误值 {}：请在原表中修正公式后重新导入", t))
        .when(bad)
        .then(pl.lit("不是可识别的数字"))
        .otherwise(None)
    )
    value = pl.when(missing | absent | excel_error).then(None).otherwise(value)
    return ParsedNumber(value, percent.fill_null(False), missing, absent, error)
