"""Normalised library and template rows → what they mean against the database: each library row's
KPI (by its id, else by name, else new) and whether it is new, changed or the same; each template row's
position and KPI, with a template taken whole or not at all."""

from __future__ import annotations

import json

import polars as pl

from core import kpi as kpi_rules
from core.db import Database
from pipelines.context import fold_expr, stable_id
from pipelines.kpi_library.columns import KPI_COLUMNS, WEIGHT_TOLERANCE, TemplateRecord, rubric_levels
from pipelines.kpi_library.parse import contract_errors
from pipelines.row_errors import ERR_SCHEMA, bad_rids, no_errors, row_errors
from schemas.headers import LIBRARY_LEVELS as LEVELS


def _duplicates(frame: pl.DataFrame, errors: pl.DataFrame, key: list[str], column: str, what: str) -> pl.DataFrame:
    """Rows whose key appeared on an earlier accepted row: rejected, naming that row."""
    ok = frame.filter(~pl.col("_rid").is_in(bad_rids(errors)) & pl.all_horizontal(pl.col(k).is_not_null() for k in key))
    first = ok.group_by(key).agg(pl.col("_row").min().alias("_first"), pl.col("_rid").min().alias("_first_rid"))
    dup = ok.join(first, on=key, how="inner").filter(pl.col("_rid") != pl.col("_first_rid"))
    return row_errors(dup, pl.format(f"{what}与第 {{}} 行重复：请只保留一行", pl.col("_first")), column, pl.col(column))


def _stored_rubric(text: str | None) -> str | None:
    """A stored rubric in the form the import writes (a JSON list of five texts), for comparison."""
    levels = rubric_levels(text)
    return json.dumps(levels, ensure_ascii=False) if any(levels) else None


def existing_kpis(db: Database) -> pl.DataFrame:
    """Every KPI on file with its stored rubric in the form the import writes and its name folded."""
    known = db.frame(
        "SELECT kpi_id, name, category, unit, direction, method, data_source, description, rubric, deduction_step,"
        " status, version FROM kpis"
    )
    return known.with_columns(
        _fold=fold_expr(pl.col("name")),
        rubric=pl.col("rubric").map_elements(_stored_rubric, return_dtype=pl.String, skip_nulls=True),
    )


def _check_definitions(frame: pl.DataFrame, errors: pl.DataFrame) -> pl.DataFrame:
    """core.kpi's own check of each definition not already rejected (the one check shared with
    change requests: e.g. a lower_better method with direction higher)."""
    rows = []
    for row in frame.filter(~pl.col("_rid").is_in(bad_rids(errors))).iter_rows(named=True):
        problems = kpi_rules.validate_kpi(definition(row))
        if problems:
            rows.append((row["_rid"], "method", row["method"], "".join(problems)))
    return pl.DataFrame(rows, schema=ERR_SCHEMA, orient="row")


def definition(row: dict) -> dict:
    """A library row as the definition core.kpi checks and writes."""
    return {
        **{f: row[f] for f in kpi_rules.DEFINITION_FIELDS if f not in ("rubric", "deduction_step")},
        "rubric": row["rubric"],
        "deduction_step": row["deduction_step"],
    }


def _same_name_without_id(frame: pl.DataFrame, errors: pl.DataFrame) -> pl.DataFrame:
    """A row without 指标编号 is matched by name: when another row has the same name, which KPI it
    means is unclear, so it is rejected (two rows with their own ids may share a name)."""
    ok = frame.filter(~pl.col("_rid").is_in(bad_rids(errors)) & pl.col("_fold").is_not_null())
    rows = ok.group_by("_fold").agg(_rows=pl.col("_row").sort())
    unclear = ok.filter(pl.col("kpi_id").is_null()).join(rows, on="_fold", how="inner")
    unclear = unclear.with_columns(_others=pl.col("_rows").list.set_difference(pl.concat_list("_row")))
    unclear = unclear.filter(pl.col("_others").list.len() > 0)
    return row_errors(
        unclear,
        pl.format(
            "指标名称与第 {} 行相同，而这一行没有指标编号：请填写指标编号，或只保留一行",
            pl.col("_others").cast(pl.List(pl.String)).list.join("、"),
        ),
        "name",
        pl.col("name"),
    )


def resolve_library(frame: pl.DataFrame, errors: pl.DataFrame, known: pl.DataFrame):
    """Accepted library rows with their kpi_id and whether each is new, changed or the same."""
    frame = frame.with_columns(
        rubric=pl.when(pl.col("_n_levels") == len(LEVELS)).then(
            pl.concat_list(LEVELS).map_elements(
                lambda levels: json.dumps(list(levels), ensure_ascii=False), return_dtype=pl.String
            )
        )
    )
    errors = pl.concat([errors, _check_definitions(frame, errors)])
    errors = pl.concat([errors, _duplicates(frame, errors, ["kpi_id"], "kpi_id", "指标编号")])
    errors = pl.concat([errors, _same_name_without_id(frame, errors)])
    ok = frame.filter(~pl.col("_rid").is_in(bad_rids(errors)))
    by_name = known.sort("status", "kpi_id").unique("_fold", keep="first").select("_fold", _by_name="kpi_id")
    ok = ok.join(by_name, on="_fold", how="left", maintain_order="left").with_columns(
        kpi_id=pl.coalesce(
            "kpi_id",
            "_by_name",
            pl.col("_fold").map_elements(lambda n: stable_id("K", n), return_dtype=pl.String),
        )
    )
    # an id found by name may repeat an id written on another row
    errors = pl.concat([errors, _duplicates(ok, no_errors(), ["kpi_id"], "name", "指标")])
    ok = ok.filter(~pl.col("_rid").is_in(bad_rids(errors)))
    old = known.select("kpi_id", *[pl.col(c).alias(f"_old_{c}") for c in KPI_COLUMNS], "version")
    ok = ok.join(old, on="kpi_id", how="left", maintain_order="left")
    same = pl.all_horizontal(
        (pl.col("deduction_step").round(6).eq_missing(pl.col("_old_deduction_step").round(6)))
        if c == "deduction_step"
        else pl.col(c).eq_missing(pl.col(f"_old_{c}"))
        for c in KPI_COLUMNS
    )
    ok = ok.with_columns(_exists=pl.col("version").is_not_null()).with_columns(_same=pl.col("_exists") & same)
    return ok, errors


def resolve_templates(db: Database, frame: pl.DataFrame, errors: pl.DataFrame, kpis: pl.DataFrame):
    """Template rows with position_id and kpi_id; whole templates rejected when a row of them is."""
    positions = db.frame(
        "SELECT p.position_id, p.name, d.name AS department FROM positions p LEFT JOIN departments d USING (dept_id)"
    ).with_columns(_pfold=fold_expr(pl.col("name")), _dfold=fold_expr(pl.col("department")))
    frame = frame.with_columns(_pfold=fold_expr(pl.col("position")), _dfold=fold_expr(pl.col("department")))
    exact = positions.unique(["_dfold", "_pfold"], keep="first").select("_dfold", "_pfold", _pid="position_id")
    only = (
        positions.group_by("_pfold")
        .agg(pl.col("position_id").first().alias("_pid_only"), pl.len().alias("_k"))
        .filter(pl.col("_k") == 1)
        .drop("_k")
    )
    frame = (
        frame.join(exact, on=["_dfold", "_pfold"], how="left", maintain_order="left")
        .join(only, on="_pfold", how="left", maintain_order="left")
        .with_columns(
            position_id=pl.when(pl.col("_dfold").is_null()).then(pl.col("_pid_only")).otherwise(pl.col("_pid"))
        )
    )
    ids = kpis.select("kpi_id", _kid=pl.col("kpi_id"))
    names = (
        kpis.with_columns(_kfold=fold_expr(pl.col("name")))
        .unique("_kfold", keep="first")
        .select("_kfold", _kname="kpi_id")
    )
    frame = (
        frame.with_columns(_kfold=fold_expr(pl.col("kpi")), _kid_raw=pl.col("kpi_id"))
        .join(ids, on="kpi_id", how="left", maintain_order="left")
        .join(names, on="_kfold", how="left", maintain_order="left")
        .with_columns(kpi_id=pl.when(pl.col("kpi_id").is_not_null()).then("_kid").otherwise("_kname"))
    )
    errors = pl.concat(
        [
            errors,
            row_errors(
                frame,
                pl.when(pl.col("position").is_null())
                .then(pl.lit("缺少岗位：请填写岗位名称"))
                .when(pl.col("position_id").is_null())
                .then(
                    pl.format(
                        "岗位「{}」（部门「{}」）不存在：请先导入花名册，或核对部门和岗位名称",
                        pl.col("position"),
                        pl.col("department").fill_null("未填"),
                    )
                ),
                "position",
                pl.col("position"),
            ),
            row_errors(
                frame,
                pl.when(pl.col("kpi").is_null() & pl.col("_kid_raw").is_null())
                .then(pl.lit("缺少指标：请填写指标名称或指标编号"))
                .when(pl.col("kpi_id").is_null())
                .then(
                    pl.format(
                        "指标「{}」不在指标库中：请先在「指标库」工作表中添加，或核对名称和编号",
                        pl.coalesce("_kid_raw", "kpi"),
                    )
                ),
                "kpi",
                pl.coalesce("kpi", "_kid_raw"),
            ),
            contract_errors(TemplateRecord, frame, ["weight", "target", "floor", "stretch"]),
        ]
    )
    errors = pl.concat([errors, _duplicates(frame, errors, ["position_id", "kpi_id"], "kpi", "同一岗位的指标")])
    return _whole_templates(frame, errors)


def _whole_templates(frame: pl.DataFrame, errors: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A template is taken whole or not at all: a rejected row rejects the rest of its template; so do
    weights that do not add up to 100 and two 生效日期 for one position."""
    placed = frame.filter(pl.col("position_id").is_not_null())
    per = placed.group_by("position_id").agg(
        _sum=pl.col("weight").sum(),
        _vfs=pl.col("valid_from").drop_nulls().n_unique(),
        _bad=pl.col("_rid").is_in(bad_rids(errors)).any(),
        _name=pl.col("position").first(),
    )
    placed = placed.join(per, on="position_id", how="left")
    errors = pl.concat(
        [
            errors,
            row_errors(
                placed.filter(~pl.col("_rid").is_in(bad_rids(errors))),
                pl.when(pl.col("_bad"))
                .then(pl.lit("同一岗位模板中有被拒绝的行（见其他行），整套模板未导入"))
                .when(pl.col("_vfs") > 1)
                .then(pl.lit("同一岗位的模板行写了不同的生效日期：一个岗位一次只能导入一个版本"))
                .when((pl.col("_sum") - 100).abs() > WEIGHT_TOLERANCE)
                .then(
                    pl.format(
                        "岗位「{}」各指标权重合计为 {}，应为 100：整套模板未导入",
                        pl.col("_name"),
                        pl.col("_sum").round(2),
                    )
                ),
                "weight",
                pl.col("weight"),
            ),
        ]
    )
    return frame.filter(~pl.col("_rid").is_in(bad_rids(errors))), errors
