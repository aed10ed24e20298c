"""The lookups a 1M-row legacy import makes once per distinct value (pipelines/legacy/joins.py) give what
a row-by-row left join gives: every row, in its order, nulls left null."""

from __future__ import annotations

import gc

import polars as pl

from pipelines.legacy.joins import attach, derive, distinct_codes

TEXTS = ["生产部", None, "质检部", "生产部", "", "  生产部 ", None, "仓储部", "质检部", "生产部"]


def _frame() -> pl.DataFrame:
    """Ten rows in two chunks (a frame concatenated from sheets), with nulls and an empty text."""
    first = pl.DataFrame({"dept": TEXTS[:6], "n": list(range(6))})
    second = pl.DataFrame({"dept": TEXTS[6:], "n": list(range(6, 10))})
    frame = pl.concat([first, second], rechunk=False)
    assert frame.n_chunks() == 2
    return frame


def test_distinct_codes_give_back_every_row() -> None:
    frame = _frame()
    codes, values = distinct_codes(frame.get_column("dept"))
    gc.collect()  # the dictionary is read while the coded column still holds it
    assert values.len() == 5 and values.null_count() == 0  # 生产部, 质检部, '', '  生产部 ', 仓储部
    assert codes.null_count() == 2
    assert values.gather(codes).to_list() == TEXTS


def test_derive_matches_a_join_per_row() -> None:
    frame = _frame()
    got = derive(frame, "dept", dept=pl.col("_v").str.strip_chars(), _len=pl.col("_v").str.len_chars())
    assert got.columns == ["n", "dept", "_len"]
    assert got.get_column("n").to_list() == list(range(10))
    assert got.get_column("dept").to_list() == [None if t is None else t.strip() for t in TEXTS]
    assert got.get_column("_len").to_list() == [None if t is None else len(t) for t in TEXTS]
    # a column of numbers takes the join
    numbers = pl.DataFrame({"k": [3, None, 3, 1]})
    assert derive(numbers, "k", twice=pl.col("_v") * 2).get_column("twice").to_list() == [6, None, 6, 2]
    # nothing to derive from: every row null, none lost
    empty = pl.DataFrame({"dept": pl.Series([None, None], dtype=pl.String)})
    assert derive(empty, "dept", d=pl.col("_v").str.to_uppercase()).get_column("d").to_list() == [None, None]


def test_attach_matches_a_left_join_per_row() -> None:
    frame = _frame()
    table = pl.DataFrame({"name": ["生产部", "质检部", "销售部", "生产部"], "dept_id": ["D1", "D2", "D3", "D9"]})
    got = attach(frame, table, "dept", "name")
    want = frame.join(table.unique("name", keep="first", maintain_order=True), left_on="dept", right_on="name",
                      how="left", maintain_order="left")  # fmt: skip
    assert got.equals(want)
    assert got.get_column("dept_id").to_list() == ["D1", None, "D2", "D1", None, None, None, None, "D2", "D1"]
    # two keys take the join, with the same answer
    two = frame.with_columns(k=pl.col("n") % 2)
    keyed = pl.DataFrame({"dept": ["生产部", "生产部"], "k": [0, 1], "v": ["even", "odd"]})
    assert attach(two, keyed, ["dept", "k"]).get_column("v").to_list() == [
        "even", None, None, "odd", None, None, None, None, None, "odd",
    ]  # fmt: skip
