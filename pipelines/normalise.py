"""Turn the text people type into values: numbers, scores, periods, dates and employee ids.

Column-wide work is done with Polars expressions (no Python loop per cell); periods, which take few
distinct values, are parsed once per distinct value.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

import polars as pl

from core.values import MISSING_WORDS, ParsedNumber, clean_text


def as_percent_points(num: ParsedNumber, fraction_column: pl.Expr) -> pl.Expr:
    """A 0–100 value: '95%' → 95; 0.95 → 95 when ``fraction_column`` says the column holds fractions,
    or when a single value up to 1.2 has decimals in a column of larger numbers (a cell formatted as
    a percentage shows 95% but holds 0.95)."""
    v = num.value
    # a stretch result of 105 % written as 1.05 is a fraction too (1.05 points out of 100 is not a result)
    looks_fraction = (v > 0) & (v <= 1.2) & (v != v.floor())
    return pl.when(num.percent).then(v).when(fraction_column | looks_fraction).then(v * 100).otherwise(v)


# ---- periods ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A canonical appraisal period."""

    key: str  # 2024-Q1, 2024-M03, 2024-H1, 2024
    kind: str  # quarterly | monthly | half_year | annual
    start: dt.date
    end: dt.date
    label: str  # 2024年第一季度

    @property
    def year(self) -> int:
        return self.start.year


_CN_NUM = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_CN_Q = {1: "一", 2: "二", 3: "三", 4: "四"}
EXCEL_EPOCH = dt.date(1899, 12, 30)
MIN_YEAR, MAX_YEAR = 1980, 2100


def quarter(year: int, q: int) -> Period:
    start = dt.date(year, 3 * q - 2, 1)
    end_month = 3 * q
    end = dt.date(year, end_month, calendar.monthrange(year, end_month)[1])
    return Period(f"{year}-Q{q}", "quarterly", start, end, f"{year}年第{_CN_Q[q]}季度")


def month(year: int, m: int) -> Period:
    end = dt.date(year, m, calendar.monthrange(year, m)[1])
    return Period(f"{year}-M{m:02d}", "monthly", dt.date(year, m, 1), end, f"{year}年{m}月")


def half_year(year: int, h: int) -> Period:
    if h == 1:
        return Period(f"{year}-H1", "half_year", dt.date(year, 1, 1), dt.date(year, 6, 30), f"{year}年上半年")
    return Period(f"{year}-H2", "half_year", dt.date(year, 7, 1), dt.date(year, 12, 31), f"{year}年下半年")


def annual(year: int) -> Period:
    return Period(f"{year}", "annual", dt.date(year, 1, 1), dt.date(year, 12, 31), f"{year}年度")


def period_from_key(key: str) -> Period:
    """The Period for a canonical key such as 2024-Q1."""
    parsed = parse_period(key)
    if parsed is None:
        raise ValueError(f"not a period key: {key!r}")
    return parsed


_Y = r"(?P<y>(?:19|20|21)\d{2})"
_PERIOD_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"^{_Y}年?(?:第)?[qQ](?P<q>[1-4])(?:季度)?$"), "q"),
    (re.compile(rf"^{_Y}年?[-/.]?(?:第)?(?P<q>[一二三四1-4])季度?$"), "q"),
    (re.compile(rf"^{_Y}[-/.]?[qQ](?P<q>[1-4])$"), "q"),
    (re.compile(rf"^[qQ](?P<q>[1-4])[-/.]?{_Y}$"), "q"),
    (re.compile(rf"^{_Y}年?[-/.]?(?:第)?(?P<m>0?[1-9]|1[0-2])月份?$"), "m"),
    (re.compile(rf"^{_Y}[-/.](?P<m>0?[1-9]|1[0-2])$"), "m"),
    (re.compile(rf"^{_Y}-?[mM](?P<m>0[1-9]|1[0-2])$"), "m"),
    (re.compile(rf"^{_Y}(?P<m>0[1-9]|1[0-2])$"), "m"),
    (re.compile(rf"^{_Y}年?[-/.]?(?P<h>上|下)半年度?$"), "h"),
    (re.compile(rf"^{_Y}[-/.]?[hH](?P<h>[12])$"), "h"),
    (re.compile(rf"^{_Y}(?:年|年度|年终|全年)?$"), "y"),
    (
        re.compile(
            rf"^{_Y}[-/.年](?P<m>\d{{1,2}})[-/.月](?P<d>\d{{1,2}})日?(?:T?\d{{1,2}}:\d{{2}}(?::\d{{2}}(?:\.\d+)?)?)?$"
        ),
        "date",
    ),
    (re.compile(r"^(?P<serial>\d{5})(?:\.0+)?$"), "serial"),
]


def _compact(text: object) -> str:
    """The text in NFKC (full-width digits as ASCII) without any whitespace."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text)))


def _period_words(text: object) -> str:
    """A period cell as the period patterns read it: compact, without a trailing 考核 or 绩效."""
    return _compact(text).removesuffix("考核").removesuffix("绩效")


def parse_period(text: object) -> Period | None:
    """'2024年Q1', '2024Q1', '2024年第二季度', 'Q3 2024', '2024-03', '2024年3月', '202403', '2024上半年',
    '2024', '2024年度', a date ('2024-03-31', Excel serial 45382) → a Period; else None.
    A date names the month it falls in."""
    if text is None:
        return None
    s = _period_words(text)
    for pattern, kind in _PERIOD_PATTERNS:
        m = pattern.match(s)
        if not m:
            continue
        g = m.groupdict()
        if kind == "serial":
            serial = int(g["serial"])
            if not 20000 <= serial <= 80000:
                return None
            d = EXCEL_EPOCH + dt.timedelta(days=serial)
            return month(d.year, d.month)
        year = int(g["y"])
        if not MIN_YEAR <= year <= MAX_YEAR:
            return None
        if kind == "q":
            return quarter(year, _CN_NUM[g["q"]])
        if kind == "m":
            return month(year, int(g["m"]))
        if kind == "h":
            return half_year(year, 1 if g["h"] in ("上", "1") else 2)
        if kind == "y":
            return annual(year)
        if kind == "date":
            mm, dd = int(g["m"]), int(g["d"])
            try:
                dt.date(year, mm, dd)
            except ValueError:
                return None
            return month(year, mm)
    return None


_PERIOD_IN_TEXT = [
    re.compile(rf"{_Y}\s*年?\s*(?:第)?\s*[qQ]\s*[1-4]"),
    re.compile(rf"{_Y}\s*年\s*(?:第)?\s*[一二三四1-4]\s*季度"),
    re.compile(rf"[qQ][1-4][-/.\s]?{_Y}"),
    re.compile(rf"{_Y}\s*年\s*(?:上|下)\s*半年"),
    re.compile(rf"{_Y}\s*年\s*(?:0?[1-9]|1[0-2])\s*月"),
    re.compile(rf"{_Y}[-/.](?:0[1-9]|1[0-2])(?![\d])"),
    re.compile(rf"{_Y}\s*年度?"),
]


def find_period_in_text(text: str | None) -> Period | None:
    """A period named somewhere inside free text such as a title ('2024年第一季度 一车间绩效考核表'),
    a sheet name or a file name; the most specific pattern wins."""
    if not text:
        return None
    s = unicodedata.normalize("NFKC", str(text))
    for pattern in _PERIOD_IN_TEXT:
        m = pattern.search(s)
        if m:
            found = parse_period(m.group(0))
            if found:
                return found
    return None


_CN_MONTH = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10,
             "十一": 11, "十二": 12}  # fmt: skip
_NO_YEAR = [
    (re.compile(r"^(?:第)?(?P<m>0?[1-9]|1[0-2]|十[一二]|[一二三四五六七八九十])月份?$"), "m"),
    (re.compile(r"^(?:第)?(?P<q>[一二三四1-4])季度$|^[qQ](?P<q2>[1-4])$"), "q"),
]
# a month or quarter inside free text with no year before it: 「三月绩效汇总」, 「3月考核」, 「第二季度」, 「Q2绩效」
# (not 「2024年3月」, not 「13月」)
_NO_YEAR_IN_TEXT = re.compile(
    r"(?<![\d年一二三四五六七八九十])(?:1[0-2]|0?[1-9]|十[一二]|[一二三四五六七八九十])月(?!份?\d)"
    r"|(?<![\d年])第?[一二三四1-4]季度|(?<![A-Za-z\d])[qQ][1-4](?!\d)"
)
_DATE_TEXT = re.compile(r"^(?:19|20|21)\d{2}[-/.年]\d{1,2}[-/.月]\d{1,2}|^\d{5}(?:\.0+)?$")


def _month_number(text: str) -> int:
    return int(text) if text.isdigit() else _CN_MONTH[text]


def period_without_year(text: object) -> tuple[str, int] | None:
    """A month or quarter written without its year ('3月', '三月', '第二季度', 'Q2') → ('m', 3) or
    ('q', 2); else None."""
    if text is None:
        return None
    s = _period_words(text)
    for pattern, kind in _NO_YEAR:
        m = pattern.match(s)
        if m:
            if kind == "m":
                return "m", _month_number(m.group("m"))
            return "q", _CN_NUM[m.group("q") or m.group("q2")]
    return None


def find_period_without_year(text: str | None) -> str | None:
    """The words of a month or quarter named inside free text without a year (a file name
    「三月绩效汇总.xlsx」 → 「三月」, a sheet 「Q2」); None when the text names a year, or no month or quarter.
    :func:`period_without_year` reads the words."""
    if not text:
        return None
    s = unicodedata.normalize("NFKC", str(text))
    if find_period_in_text(s) is not None or re.search(r"(19|20|21)\d{2}", s):
        return None
    m = _NO_YEAR_IN_TEXT.search(s)
    return m.group(0) if m else None


def with_year(kind: str, number: int, year: int) -> Period:
    """The month or quarter ``number`` of ``year``."""
    return month(year, number) if kind == "m" else quarter(year, number)


def is_date_text(text: object) -> bool:
    """A date (2024-03-15, 2024/3/15 10:00, Excel serial 45382) rather than a period written as one."""
    return text is not None and bool(_DATE_TEXT.match(_compact(text)))


def as_kind(period: Period, kind: str) -> Period:
    """The period of ``kind`` (quarterly, half_year, annual) a month falls in; unchanged otherwise."""
    y, m = period.start.year, period.start.month
    if kind == "quarterly":
        return quarter(y, (m - 1) // 3 + 1)
    if kind == "half_year":
        return half_year(y, 1 if m <= 6 else 2)
    if kind == "annual":
        return annual(y)
    return period


# ---- names --------------------------------------------------------------------------------------


def joined_name(first: pl.Expr, last: pl.Expr) -> pl.Expr:
    """A name written in two columns: Chinese 姓 + 名 without a space (张 + 三 → 张三), Latin "First Last"."""
    first, last = clean_text(first), clean_text(last)
    cjk = pl.concat_str([last, first], ignore_nulls=True).str.contains(r"[\u4e00-\u9fff]").fill_null(False)
    joined = pl.when(cjk).then(pl.concat_str([last, first], ignore_nulls=True))
    joined = joined.otherwise(pl.concat_str([first, last], separator=" ", ignore_nulls=True))
    return pl.when(first.is_null() & last.is_null()).then(None).otherwise(joined)


def display_name(expr: pl.Expr) -> pl.Expr:
    """A person's name to store, as written but tidy: half-width, trimmed, spaces run together; a name
    without Latin letters (张 三) loses its spaces (张三), a Latin one keeps one between its parts."""
    t = clean_text(expr).str.replace_all(r"\s+", " ")
    return pl.when(t.str.contains(r"[A-Za-z]")).then(t).otherwise(t.str.replace_all(" ", "", literal=True))


# ---- dates --------------------------------------------------------------------------------------


def parse_date(expr: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(date, error) from '2024-03-01', '2024-03-01 00:00:00', '2024/3/1', '2024年3月1日', '2024.3.1' or an
    Excel serial number. Blank is null without error."""
    t = clean_text(expr)
    s = (
        t.str.replace(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$", "")
        .str.replace_all(r"[年月/.]", "-")
        .str.replace(r"日$", "")
    )
    parsed = s.str.to_date("%Y-%m-%d", strict=False)
    serial = t.cast(pl.Float64, strict=False)
    from_serial = (
        pl.when(serial.is_between(1, 80000))
        .then(pl.lit(EXCEL_EPOCH) + pl.duration(days=serial.floor().cast(pl.Int64)))
        .otherwise(None)
        .cast(pl.Date)
    )
    value = pl.coalesce(parsed, from_serial)
    error = pl.when(t.is_not_null() & ~t.is_in(list(MISSING_WORDS)) & value.is_null()).then(pl.lit("不是可识别的日期"))
    return value, error


# ---- employee ids -------------------------------------------------------------------------------


def clean_employee_id(expr: pl.Expr) -> pl.Expr:
    """Trimmed, half-width, upper-case id; a number read from Excel loses its '.0'."""
    t = clean_text(expr).str.replace(r"^(\d+)\.0+$", "${1}").str.to_uppercase()
    return pl.when(t.is_in(list(MISSING_WORDS))).then(None).otherwise(t)


@dataclass(frozen=True)
class IdRule:
    """How the roster writes ids: all-digit ids of one width keep their leading zeros."""

    width: int | None

    @staticmethod
    def from_ids(ids: list[str]) -> IdRule:
        """The width most digit ids share (at least 80 % of them, some with a leading zero)."""
        digits = [i for i in ids if i and i.isdigit()]
        if not digits:
            return IdRule(None)
        width, count = Counter(len(i) for i in digits).most_common(1)[0]
        zero_led = any(i.startswith("0") and len(i) == width for i in digits)
        return IdRule(width if zero_led and count >= 0.8 * len(digits) else None)


def restore_ids(raw: pl.Series, known: pl.Series, rule: IdRule) -> pl.Series:
    """Map cleaned ids onto the roster's spelling: exact match first, then the same number
    (123 → '000123'), then zero-padding to the roster's width; otherwise unchanged."""
    known = known.drop_nulls().unique()
    digits_known = known.filter(known.str.contains(r"^\d+$"))
    by_number = pl.DataFrame({"_n": digits_known.cast(pl.Int64, strict=False), "_canon": digits_known}).filter(
        pl.col("_n").is_not_null()
    )
    # two roster ids with the same number ('0123' and '123') are different people: no guessing
    by_number = by_number.filter(pl.col("_n").is_unique())
    frame = pl.DataFrame({"_raw": raw}).with_row_index("_i")
    frame = frame.with_columns(
        _exact=pl.col("_raw").is_in(known.implode()),
        _n=pl.when(pl.col("_raw").str.contains(r"^\d+$")).then(pl.col("_raw").cast(pl.Int64, strict=False)),
    ).join(by_number, on="_n", how="left", maintain_order="left")
    padded = pl.col("_raw").str.zfill(rule.width) if rule.width else pl.col("_raw")
    out = frame.select(
        pl.when(pl.col("_exact"))
        .then(pl.col("_raw"))
        .when(pl.col("_canon").is_not_null())
        .then(pl.col("_canon"))
        .when(pl.col("_raw").str.contains(r"^\d+$"))
        .then(padded)
        .otherwise(pl.col("_raw"))
        .alias(raw.name)
    )
    return out.to_series()


# ---- grades -------------------------------------------------------------------------------------

GRADE_WORDS = {
    "S": "S", "A": "A", "B": "B", "C": "C", "D": "D", "E": "E",
    "A+": "A", "A-": "A", "B+": "B", "B-": "B", "C+": "C", "C-": "C",
    "优秀": "A", "卓越": "S", "良好": "B", "合格": "B", "称职": "B", "达标": "B", "基本合格": "C",
    "基本称职": "C", "待改进": "C", "需改进": "C", "不合格": "C", "不称职": "C", "不达标": "C",
    # 甲乙丙丁 (a four-level scale in many factories) and the usual English review words; keys are
    # upper-cased with spaces removed, as the cell is before it is looked up
    "甲": "A", "乙": "B", "丙": "C", "丁": "D", "甲级": "A", "乙级": "B", "丙级": "C", "丁级": "D",
    "甲等": "A", "乙等": "B", "丙等": "C", "丁等": "D",
    "EXCEEDS": "A", "EXCEEDSEXPECTATIONS": "A", "OUTSTANDING": "S", "FULLYMEETS": "B",
    "MEETS": "B", "MEETSEXPECTATIONS": "B", "FULLYMEETSEXPECTATIONS": "B", "NEEDSIMPROVEMENT": "C",
    "BELOWEXPECTATIONS": "C", "UNSATISFACTORY": "C", "PIP": "C",
}  # fmt: skip


def grade_from_score(score: pl.Expr, scale: pl.Expr) -> pl.Expr:
    """The default A/B/C scale: on 100 points A ≥ 90, B ≥ 70, C below; on a 5-point rating
    5 → A, 3–4 → B, 1–2 → C."""
    return (
        pl.when(score.is_null())
        .then(None)
        .when(scale == 5)
        .then(pl.when(score >= 4.5).then(pl.lit("A")).when(score >= 2.5).then(pl.lit("B")).otherwise(pl.lit("C")))
        .when(score >= 90)
        .then(pl.lit("A"))
        .when(score >= 70)
        .then(pl.lit("B"))
        .otherwise(pl.lit("C"))
    )
