"""The contracts' errors: pandera sees only the records that may fail, and says exactly what it says
when it sees every record."""

from __future__ import annotations

import math

import pandera.polars as pa
import polars as pl
import pytest

import pipelines.row_errors as row_errors
from pipelines.kpi_library.columns import LibraryRecord, TemplateRecord
from pipelines.row_errors import may_fail, pandera_errors
from schemas.staged import LegacyRecord, RosterRecord, reason_for

LEGACY = ["employee_id", "period_key", "weight_v", "score_v", "total_v", "self_v", "grade_v"]


def _legacy() -> pl.DataFrame:
    """Clean records with every kind of failure mixed in: bad ids and periods, negative and oversized
    numbers, NaN, nulls (allowed here), and values exactly on the bounds (which pass)."""
    ids = ["00101", "A-7", "工号1", "", " 00102", None, "x" * 33, "B_2"]
    periods = ["2024-Q1", "2024", "2024-M13", "24Q1", None, "2024-H2", "2024-M01", "1999"]
    numbers = [0.0, 100.0, -0.5, 120.0, 120.01, None, math.nan, 55.5]
    n = 64
    return pl.DataFrame(
        {
            "_rid": pl.Series(range(1000, 1000 + n), dtype=pl.UInt32),
            "employee_id": [ids[i % 8] for i in range(n)],
            "period_key": [periods[(i * 3) % 8] for i in range(n)],
            "weight_v": [numbers[(i * 5) % 8] for i in range(n)],
            "score_v": [numbers[(i * 7) % 8] for i in range(n)],
            "total_v": [numbers[(i + 3) % 8] for i in range(n)],
            "self_v": [numbers[(i * 3 + 1) % 8] for i in range(n)],
            "grade_v": ["A", None, "甲", "B"] * (n // 4),
        },
        schema_overrides={c: pl.Float64 for c in ("weight_v", "score_v", "total_v", "self_v")},
    )


def _everything(model: type[pa.DataFrameModel], frame: pl.DataFrame, columns: list[str], reason) -> pl.DataFrame:
    """The errors when pandera sees every record (the prefilter switched off)."""
    saved = row_errors.may_fail
    row_errors.may_fail = lambda *_: None
    try:
        return pandera_errors(model, frame, columns, reason)
    finally:
        row_errors.may_fail = saved


def test_legacy_contract_errors_are_the_same_as_pandera_on_every_record() -> None:
    frame = _legacy()
    quick = pandera_errors(LegacyRecord, frame, LEGACY, reason_for)
    full = _everything(LegacyRecord, frame, LEGACY, reason_for)
    assert quick.height > 20  # the frame does fail, in every column with checks
    assert set(quick.get_column("column")) == {"employee_id", "period_key", "weight_v", "score_v", "total_v", "self_v"}
    assert quick.equals(full)


def test_pandera_sees_only_the_records_that_may_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    clean = pl.DataFrame(
        {"_rid": pl.Series(range(10_000), dtype=pl.UInt32), "employee_id": ["00101"] * 10_000,
         "period_key": ["2024-Q1"] * 10_000, "weight_v": [30.0] * 10_000, "score_v": [88.0] * 10_000,
         "total_v": [None] * 10_000, "self_v": [None] * 10_000, "grade_v": ["A"] * 10_000},
        schema_overrides={"total_v": pl.Float64, "self_v": pl.Float64},
    )  # fmt: skip
    seen: list[int] = []
    validate = LegacyRecord.validate

    def counting(frame, *args, **kwargs):
        seen.append(frame.height)
        return validate(frame, *args, **kwargs)

    monkeypatch.setattr(LegacyRecord, "validate", counting)
    assert pandera_errors(LegacyRecord, clean, LEGACY, reason_for).height == 0
    assert seen == []  # a clean file never reaches pandera
    bad = clean.with_columns(score_v=pl.when(pl.col("_rid") == 77).then(150.0).otherwise(pl.col("score_v")))
    errors = pandera_errors(LegacyRecord, bad, LEGACY, reason_for)
    assert seen == [1]
    assert errors.rows() == [(77, "score_v", "150.0", reason_for("score_v", "less_than_or_equal_to"))]


def test_not_nullable_and_length_checks_of_the_roster_and_library_agree_with_pandera() -> None:
    roster = pl.DataFrame(
        {"_rid": pl.Series(range(6), dtype=pl.UInt32), "employee_id": ["001", None, "0 3", "004", "005", "006"],
         "name": ["张三", "李四", None, "", "王" * 41, "赵六"], "department": ["生产部", None, "质检部", "x" * 61, "生产部", "生产部"]},
    )  # fmt: skip
    cols = ["employee_id", "name", "department"]
    quick = pandera_errors(RosterRecord, roster, cols, reason_for)
    assert quick.equals(_everything(RosterRecord, roster, cols, reason_for))
    assert set(quick.get_column("_rid")) == {1, 2, 3, 4}
    library = pl.DataFrame(
        {"_rid": pl.Series(range(4), dtype=pl.UInt32), "kpi_id": ["K1", "", None, "K4"],
         "name": ["合格率", "产量", "x" * 101, None], "category": ["业绩类", "其他", "行为类", "业绩类"],
         "method": ["linear", "linear", "rubric", "manual"], "direction": ["higher", "up", "lower", "higher"],
         "data_source": ["manual", "manual", "peer", "crm"], "deduction_step": [None, 0.0, 5.0, 101.0]},
    )  # fmt: skip
    lib_cols = [c for c in library.columns if c != "_rid"]
    quick = pandera_errors(LibraryRecord, library, lib_cols, reason_for)
    assert quick.equals(_everything(LibraryRecord, library, lib_cols, reason_for))
    assert set(quick.get_column("_rid")) == {1, 2, 3}
    template = pl.DataFrame({"_rid": pl.Series([0, 1, 2], dtype=pl.UInt32), "weight": [30.0, None, math.nan]})
    assert pandera_errors(TemplateRecord, template, ["weight"], reason_for).equals(
        _everything(TemplateRecord, template, ["weight"], reason_for)
    )
    assert may_fail(TemplateRecord, template, ["weight"]) is not None


class _Custom(pa.DataFrameModel):
    score: float = pa.Field(nullable=True)

    @pa.check("score")
    def even(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col(data.key) % 2 == 0)


def test_a_check_the_prefilter_does_not_know_sends_every_record_to_pandera() -> None:
    frame = pl.DataFrame({"_rid": pl.Series([0, 1], dtype=pl.UInt32), "score": [2.0, 3.0]})
    assert may_fail(_Custom, frame, ["score"]) is None
    errors = pandera_errors(_Custom, frame, ["score"], lambda c, k: f"{c}:{k}")
    assert errors.get_column("_rid").to_list() == [1]
    # a column of another type than the model's: pandera says what it says, on every record
    typed = frame.with_columns(pl.col("score").cast(pl.String))
    assert may_fail(LegacyRecord, typed.rename({"score": "score_v"}), ["score_v"]) is None
