"""Export the KPI library and the position templates in force as a formatted workbook HR can edit and
import again: 指标库 (one row per KPI, the five rubric levels as five columns), 岗位模板 (one row per
position × KPI of the version in force) and 填写说明 (the values each column accepts). Every text cell
is neutralised (core.export.excel_bytes): a description written as ``=1+1`` stays text."""

from __future__ import annotations

import datetime as dt

import polars as pl

from core.db import Database
from core.export import excel_bytes
from pipelines.kpi_library.columns import (
    HELP_SHEET,
    LIBRARY_SHEET,
    TEMPLATE_SHEET,
    VOCAB,
    VOCAB_NAMES,
    rubric_levels,
)
from schemas.headers import LIBRARY_FIELDS, LIBRARY_TITLES, TEMPLATE_FIELDS, TEMPLATE_TITLES
from schemas.headers import LIBRARY_LEVELS as LEVELS


def templates_in_force(db: Database, day: dt.date | None = None) -> pl.DataFrame:
    """Each position's template version in force on ``day`` (default today; a position whose only
    versions start later shows its first one): department, position, version, valid_from, items."""
    day = day or dt.date.today()
    return db.frame(
        "WITH v AS ("
        " SELECT position_id, version, valid_from, row_number() OVER ("
        "  PARTITION BY position_id ORDER BY (valid_from <= ?) DESC,"
        "  CASE WHEN valid_from <= ? THEN valid_from END DESC NULLS LAST, valid_from, version DESC) AS _n"
        " FROM template_versions) "
        "SELECT d.name AS department, p.name AS position, v.version, v.valid_from, k.kpi_id, k.name AS kpi,"
        " pk.weight, pk.target, pk.floor, pk.stretch "
        "FROM v JOIN position_kpis pk USING (position_id, version) JOIN positions p USING (position_id)"
        " LEFT JOIN departments d ON d.dept_id = p.dept_id LEFT JOIN kpis k ON k.kpi_id = pk.kpi_id "
        "WHERE v._n = 1 ORDER BY d.name, p.name, pk.weight DESC, k.name",
        [day, day],
    )


def export_library_workbook(db: Database) -> bytes:
    """The library (KPIs of status active or retired) and the templates in force as a formatted
    .xlsx HR can edit and import again. Text cells are neutralised against formulas."""
    kpis = db.rows(
        "SELECT kpi_id, name, category, unit, direction, method, data_source, description, rubric, deduction_step,"
        " status FROM kpis WHERE status IN ('active', 'retired') ORDER BY kpi_id"
    )
    rows = []
    for k in kpis:
        levels = rubric_levels(k["rubric"])
        row: dict[str, object] = {}
        for f in LIBRARY_FIELDS:
            if f in LEVELS:
                row[LIBRARY_TITLES[f]] = levels[LEVELS.index(f)]
            elif f in VOCAB:
                row[LIBRARY_TITLES[f]] = VOCAB[f].get(k[f], k[f]) if k[f] is not None else None
            else:
                row[LIBRARY_TITLES[f]] = k[f]
        rows.append(row)
    lib_schema = {
        LIBRARY_TITLES[f]: (pl.Float64 if f == "deduction_step" else pl.String) for f in LIBRARY_FIELDS
    }  # fmt: skip
    library = pl.DataFrame(rows, schema=lib_schema, orient="row") if rows else pl.DataFrame(schema=lib_schema)
    tpl = templates_in_force(db).with_columns(pl.col("valid_from").cast(pl.String))
    templates = tpl.select(pl.col(f).alias(TEMPLATE_TITLES[f]) for f in TEMPLATE_FIELDS)
    help_rows = [(VOCAB_NAMES[f], "、".join(v.values()), "、".join(v)) for f, v in VOCAB.items()]
    help_rows += [
        ("评分等级", "计分方法为「等级评分」时，等级1描述 至 等级5描述 五列都要填写", ""),
        ("扣分步长", "计分方法为「扣分制」时必填：每发生一次扣多少分", ""),
        ("权重", "同一岗位各指标的权重合计必须等于 100", ""),
        ("生效日期", "写日期（2025-04-01）或季度（2025Q2）；留空则为本季度第一天。模板有变化时生成新版本", ""),
        ("指标编号", "留空则按指标名称对应已有指标，找不到时新建", ""),
    ]
    helper = pl.DataFrame(
        help_rows, schema={"项目": pl.String, "可填写的值": pl.String, "代码": pl.String}, orient="row"
    )
    return excel_bytes({LIBRARY_SHEET: library, TEMPLATE_SHEET: templates, HELP_SHEET: helper})
