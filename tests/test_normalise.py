"""Value normalisation: every form of number, period, date and employee id HR files contain."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from core.values import parse_number
from pipelines.normalise import (
    IdRule,
    as_percent_points,
    clean_employee_id,
    find_period_in_text,
    parse_date,
    parse_period,
    restore_ids,
)


def _numbers(values: list[str | None]) -> pl.DataFrame:
    n = parse_number(pl.col("v"))
    return pl.DataFrame({"v": values}, schema={"v": pl.String}).select(
        value=n.value, pct=n.percent, missing=n.missing, absent=n.absent, error=n.error,
        points=as_percent_points(n, pl.lit(False)),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("text", "points"),
    [("95", 95.0), ("95.0", 95.0), ("95%", 95.0), ("９５", 95.0), ("95分", 95.0), (" 88 ", 88.0), ("0.95", 95.0),
     ("９５．５", 95.5), ("1,234", 1234.0), ("95 %", 95.0), ("100", 100.0), ("0", 0.0)],
)  # fmt: skip
def test_number_forms_read_as_points(text: str, points: float) -> None:
    row = _numbers([text]).row(0, named=True)
    assert row["error"] is None
    assert row["points"] == pytest.approx(points)


@pytest.mark.parametrize("text", ["", "-", "—", "/", None, "N/A", "无"])
def test_blank_forms_are_missing_without_error(text: str | None) -> None:
    row = _numbers([text]).row(0, named=True)
    assert row["value"] is None and row["error"] is None and row["missing"]


@pytest.mark.parametrize("text", ["缺考", "未考核", "免考"])
def test_absence_is_marked_not_an_error(text: str) -> None:
    row = _numbers([text]).row(0, named=True)
    assert row["absent"] is True and row["value"] is None and row["error"] is None


@pytest.mark.parametrize(
    ("text", "needle"), [("九十五", "不是可识别的数字"), ("abc", "不是可识别的数字"), ("#DIV/0!", "Excel 错误值")]
)
def test_unreadable_numbers_carry_a_chinese_reason(text: str, needle: str) -> None:
    row = _numbers([text]).row(0, named=True)
    assert row["value"] is None
    assert needle in row["error"]


def test_fraction_column_scales_whole_numbers_too() -> None:
    n = parse_number(pl.col("v"))
    out = pl.DataFrame({"v": ["0.3", "1", "0.25"]}).select(as_percent_points(n, pl.lit(True))).to_series()
    assert out.to_list() == [30.0, 100.0, 25.0]


def test_integer_text_round_trips() -> None:
    # Every score 0–120 in one frame: each parse is a Polars query whose fixed cost (~50 ms on a busy
    # machine) tripped hypothesis's per-example deadline; the whole domain at once is one query.
    values = range(121)
    forms = [(str(v), f"{v}分", "".join(chr(ord(c) + 0xFEE0) for c in str(v)), f"{v}%") for v in values]
    rows = _numbers([text for four in forms for text in four])
    assert rows.get_column("points").to_list() == [float(v) for v in values for _ in range(4)]
    assert rows.get_column("error").null_count() == rows.height


@pytest.mark.parametrize(
    ("text", "key", "kind"),
    [
        ("2024年Q1", "2024-Q1", "quarterly"), ("2024Q1", "2024-Q1", "quarterly"), ("2024年第二季度", "2024-Q2", "quarterly"),
        ("2024 年 第 3 季度", "2024-Q3", "quarterly"), ("Q4 2023", "2023-Q4", "quarterly"), ("2024-Q1", "2024-Q1", "quarterly"),
        ("2024-03", "2024-M03", "monthly"), ("2024年3月", "2024-M03", "monthly"), ("202403", "2024-M03", "monthly"),
        ("2024-M03", "2024-M03", "monthly"), ("2024-03-31", "2024-M03", "monthly"), ("2024-03-31 00:00:00", "2024-M03", "monthly"),
        ("45382", "2024-M03", "monthly"), ("45382.0", "2024-M03", "monthly"), ("2024上半年", "2024-H1", "half_year"),
        ("2024H2", "2024-H2", "half_year"), ("2024", "2024", "annual"), ("2024年度", "2024", "annual"), ("1999", "1999", "annual"),
        ("２０２４Ｑ１", "2024-Q1", "quarterly"),
    ],
)  # fmt: skip
def test_period_forms(text: str, key: str, kind: str) -> None:
    p = parse_period(text)
    assert p is not None, text
    assert (p.key, p.kind) == (key, kind)
    assert parse_period(p.key) == p  # canonical keys parse back to themselves


@pytest.mark.parametrize("text", ["abc", "2024年第五季度", "2024-13", "Q5 2024", "", None, "3000", "12345"])
def test_bad_periods_are_none(text: str | None) -> None:
    assert parse_period(text) is None


def test_quarter_bounds() -> None:
    p = parse_period("2024Q1")
    assert p is not None and (p.start, p.end, p.label) == (dt.date(2024, 1, 1), dt.date(2024, 3, 31), "2024年第一季度")


@pytest.mark.parametrize(
    ("text", "key"),
    [("2024年第一季度 生产一车间绩效考核表", "2024-Q1"), ("生产一车间_2023Q4.xlsx", "2023-Q4"), ("2022年度考核", "2022"),
     ("质量部 2024年3月", "2024-M03"), ("没有期间", None)],
)  # fmt: skip
def test_period_found_inside_titles_and_names(text: str, key: str | None) -> None:
    found = find_period_in_text(text)
    assert (found.key if found else None) == key


def test_dates_in_every_form() -> None:
    values = [
        "2024-03-01",
        "2024-03-01 00:00:00",
        "2024/3/1",
        "2024年3月1日",
        "2024.3.1",
        "45352",
        None,
        "x",
        "2024-02-30",
    ]
    d, err = parse_date(pl.col("v"))
    out = pl.DataFrame({"v": values}).select(d=d, e=err)
    assert out.get_column("d").to_list()[:6] == [dt.date(2024, 3, 1)] * 6
    assert out.get_column("d").to_list()[6:] == [None, None, None]
    assert out.get_column("e").to_list()[6:] == [None, "不是可识别的日期", "不是可识别的日期"]


def test_ids_keep_or_regain_leading_zeros() -> None:
    raw = pl.DataFrame({"v": ["123", "000123", "456.0", "a7", " 000789 ", "99", "０００１２３"]}).select(
        clean_employee_id(pl.col("v"))
    )
    roster = pl.Series(["000123", "000456", "A7", "000789"])
    out = restore_ids(raw.to_series(), roster, IdRule.from_ids(roster.to_list()))
    # one id is one person: every spelling of 123 lands on the roster's '000123'
    assert out.to_list() == ["000123", "000123", "000456", "A7", "000789", "000099", "000123"]


def test_id_rule_needs_a_common_zero_led_width() -> None:
    assert IdRule.from_ids(["000123", "000456", "001000"]).width == 6
    assert IdRule.from_ids(["123", "456"]).width is None  # no leading zeros: nothing to restore
    assert IdRule.from_ids(["E001", "E002"]).width is None


def test_ambiguous_numbers_are_not_guessed() -> None:
    # '0123' and '123' are different roster people: '123' must stay itself, not become '0123'
    roster = pl.Series(["0123", "123"])
    out = restore_ids(pl.Series(["123", "0123"]), roster, IdRule(None))
    assert out.to_list() == ["123", "0123"]
