"""The KPI library and the position templates as an Excel workbook HR can edit: export, and import back.

``export_library_workbook(db)`` writes a formatted workbook: 指标库 (one row per KPI of the library,
the five rubric levels as five columns), 岗位模板 (one row per position × KPI of each position's
template in force) and 填写说明 (the values each column accepts). Every text cell is neutralised
(core.export.excel_bytes): a description written as ``=1+1`` stays text.

``import_library_workbook(db, path, uploaded_by=…)`` reads such a workbook — or one HR made, with
Chinese or English headers, title rows above them, columns in any order — through the same machinery
as the other imports: sniff the content, read every sheet as text, find the header row by synonyms
(``schemas.headers.LIBRARY_HEADERS`` / ``TEMPLATE_HEADERS``), stage the rows, normalise them, check
them (pandera contracts and the library's rules), and load everything accepted in one transaction with
its import batch, rejects and audit row. Rows are rejected one by one with a Chinese reason: an unknown
category, method, direction, data source or status; a rubric without five levels; a deduction without
a step; an unknown position or KPI; a template whose weights do not add up to 100 (the whole template
is then rejected, never half of it).

It is idempotent: a KPI whose values equal the library's is left alone; a template whose items equal
the version in force on its 生效日期 creates no version. A changed KPI is updated and gets a new row in
``kpi_versions``; a changed template becomes a new version in ``template_versions`` / ``position_kpis``,
valid from the 生效日期 column (a date or a period such as 2025Q1) or else the first day of the current
quarter; past versions stay as they were.

**An import is an HR bulk load.** It writes the library directly, without the three-step approval
(department head → HRBP → VP) that governs individual changes (core.kpi_changes): uploading is an HR
admin's act, recorded in the audit log with every KPI and template it added or changed. Screens must
offer it to HR admins only.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os

import pandera.polars as pa
import polars as pl

from core import audit, vocabulary
from core import kpi as kpi_rules
from core.db import Database
from core.export import excel_bytes
from core.values import clean_text, parse_number, trim_text
from pipelines.context import fold_expr, stable_id
from pipelines.layout import HEADER_SCAN_ROWS, Column, Table
from pipelines.normalise import parse_date, parse_period, quarter
from pipelines.report import LoadReport
from pipelines.sniff import FileRefused
from pipelines.staging import stage_table
from pipelines.workbook import Grid, sheets_to_read
from schemas.headers import (
    LEGACY_INDEX,
    LIBRARY_FIELDS,
    LIBRARY_INDEX,
    LIBRARY_TITLES,
    TEMPLATE_FIELDS,
    TEMPLATE_INDEX,
    TEMPLATE_TITLES,
    fold_header,
    match_header,
)
from schemas.headers import LIBRARY_LEVELS as LEVELS

log = logging.getLogger(__name__)

SOURCE = "kpi_library"
LIBRARY_SHEET = "指标库"
TEMPLATE_SHEET = "岗位模板"
HELP_SHEET = "填写说明"

# stored value -> label shown in the workbook (the stored values are core.kpi's); the import takes the
# stored value, the label, core.kpi's longer label or a synonym
CATEGORIES = {c: c for c in vocabulary.CATEGORIES}
DIRECTIONS = dict(vocabulary.DIRECTIONS)
METHODS = dict(vocabulary.METHODS)
DATA_SOURCES = dict(vocabulary.DATA_SOURCES)
STATUSES = {code: vocabulary.KPI_STATUSES[code] for code in ("active", "retired")}
SYNONYMS = {
    "category": {**{en: zh for zh, en in vocabulary.CATEGORIES.items()}, "业绩": "业绩类", "业绩指标": "业绩类",
                 "职能": "职能类", "职能指标": "职能类", "行为": "行为类", "行为指标": "行为类",
                 "behavioral": "行为类", "behaviour": "行为类", "behavior": "行为类"},
    "direction": {"越大越好": "higher", "正向": "higher", "高": "higher", "higher_better": "higher",
                  "higher is better": "higher", "越小越好": "lower", "反向": "lower", "低": "lower",
                  "lower_better": "lower", "lower is better": "lower"},
    "method": {**{label: code for code, label in vocabulary.METHOD_DESCRIPTIONS.items()}, "线性插值": "linear", "比率": "ratio",
               "达成率": "ratio", "通过/不通过": "pass_fail", "是否达标": "pass_fail", "pass/fail": "pass_fail",
               "等级": "rubric", "行为锚定": "rubric", "扣分": "deduction", "手工": "manual", "主观评分": "manual",
               "人工评分": "manual"},
    "data_source": {"手工录入": "manual", "手工": "manual", "人工": "manual", "销售/财务": "sales",
                    "客户系统": "crm", "同级评价": "peer", "互评": "peer"},
    "status": {"启用": "active", "在用": "active", "有效": "active", "使用中": "active", "停用": "retired",
               "停止": "retired", "废止": "retired", "inactive": "retired"},
}  # fmt: skip
VOCAB = {
    "category": CATEGORIES, "direction": DIRECTIONS, "method": METHODS, "data_source": DATA_SOURCES,
    "status": STATUSES,
}  # fmt: skip
VOCAB_NAMES = {
    "category": "类别",
    "direction": "方向",
    "method": "计分方法",
    "data_source": "数据来源",
    "status": "状态",
}

KPI_COLUMNS = (
    "name", "category", "unit", "direction", "method", "data_source", "description", "rubric", "deduction_step",
    "status",
)  # fmt: skip
WEIGHT_TOLERANCE = 0.01
ERR_SCHEMA = {"_rid": pl.UInt32, "column": pl.String, "value": pl.String, "reason": pl.String}


# ---- export ---------------------------------------------------------------------------------------


def _rubric_levels(text: str | None) -> list[str | None]:
    """The five level descriptions of a stored rubric (a JSON list of five, or an object keyed 1–5)."""
    if not text:
        return [None] * 5
    try:
        value = json.loads(text)
    except ValueError:
        return [text, None, None, None, None]
    if isinstance(value, dict):
        value = [value.get(str(n), value.get(n)) for n in range(1, 6)]  # type: ignore[call-overload]
    if not isinstance(value, list):
        return [str(value), None, None, None, None]
    out = [(v.get("text") or v.get("description")) if isinstance(v, dict) else v for v in value[:5]]
    out = [None if v is None or str(v).strip() == "" else str(v) for v in out]
    return out + [None] * (5 - len(out))


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
        levels = _rubric_levels(k["rubric"])
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


# ---- import: find and stage ---------------------------------------------------------------------


def _find_header(grid: Grid, index: dict[str, str], required: tuple[set[str], ...]) -> Table | None:
    """The row of the first ``HEADER_SCAN_ROWS`` naming the most fields of ``index`` that names at least
    one field of each set in ``required``."""
    best: tuple[int, int, list[Column]] | None = None
    letters = grid.letters
    for r, row in enumerate(grid.frame.head(HEADER_SCAN_ROWS).rows()):
        cols, seen = [], set()
        for letter, cell in zip(letters, row, strict=True):
            if cell is None or not fold_header(cell):
                continue
            f = match_header(cell, index)
            if f is not None and f not in seen:
                seen.add(f)
                cols.append(Column(letter, f, str(cell).strip()))
        if not all(seen & need for need in required):
            continue
        if best is None or len(seen) > best[0]:
            best = (len(seen), r, cols)
    if best is None:
        return None
    return Table(best[1], 1, best[2])


def _library_tables(grid: Grid) -> tuple[Table | None, Table | None]:
    """(岗位模板 header, 指标库 header) of a sheet; a sheet naming people (工号, 姓名) is an appraisal
    sheet, not a template, even when it has 岗位, 指标 and 权重 columns."""
    tpl = _find_header(grid, TEMPLATE_INDEX, ({"position"}, {"weight"}, {"kpi", "kpi_id"}))
    if tpl is not None:
        header = grid.frame.row(tpl.header_row)
        if any(match_header(cell, LEGACY_INDEX) in ("employee_id", "name") for cell in header if cell is not None):
            return None, None
        return tpl, None
    return None, _find_header(grid, LIBRARY_INDEX, ({"name"}, {"category", "method"}))


def _stage(grids: list[Grid], report: LoadReport) -> tuple[pl.DataFrame, pl.DataFrame, dict[tuple[str, str], str]]:
    """Staged 指标库 rows and 岗位模板 rows of every sheet that holds either, and each column's header."""
    library, templates, headers = [], [], {}
    for g in sheets_to_read(grids, report.notes):
        tpl, lib = _library_tables(g)
        table, fields, into = (tpl, TEMPLATE_FIELDS, templates) if tpl is not None else (lib, LIBRARY_FIELDS, library)
        if table is None:
            if g.name != HELP_SHEET:
                report.notes.append(f"工作表「{g.name}」里没有找到指标库或岗位模板的表头，已跳过。")
            continue
        for c in table.columns:
            headers[(g.name, c.field)] = c.header
        into.append(stage_table(g.full(), table, fields).frame)
    if not library and not templates:
        raise FileRefused(
            "没有找到指标库或岗位模板的表头：指标库需要「指标名称」和「类别」或「计分方法」列，"
            "岗位模板需要「岗位」「指标」「权重」列。请检查表头后再上传。"
        )

    def joined(frames: list[pl.DataFrame], fields: tuple[str, ...]) -> pl.DataFrame:
        if not frames:
            return pl.DataFrame(schema={"_row": pl.Int64, **dict.fromkeys(fields, pl.String), "_sheet": pl.String})
        return pl.concat(frames, how="vertical_relaxed")

    return joined(library, LIBRARY_FIELDS), joined(templates, TEMPLATE_FIELDS), headers


# ---- import: normalise and check ----------------------------------------------------------------


def _errors(frame: pl.DataFrame, reason: pl.Expr, column: str, value: pl.Expr) -> pl.DataFrame:
    return (
        frame.select(pl.col("_rid"), column=pl.lit(column), value=value.cast(pl.String), reason=reason)
        .filter(pl.col("reason").is_not_null())
        .cast(ERR_SCHEMA)  # type: ignore[arg-type]
    )


def _vocab_expr(field: str) -> pl.Expr:
    """The stored code of a vocabulary column (code, label or synonym, folded); null when unknown."""
    mapping: dict[str, str] = {}
    for code, label in VOCAB[field].items():
        mapping[fold_header(code)] = code
        mapping[fold_header(label)] = code
    for word, code in SYNONYMS.get(field, {}).items():
        mapping.setdefault(fold_header(word), code)
    folded = (
        clean_text(pl.col(field))
        .str.to_lowercase()
        .str.replace_all(r"[\s_\-·.:：()（）\[\]【】/\\%％*#]+", "")
        .str.replace_all("/", "")
    )
    return folded.replace_strict(mapping, default=None, return_dtype=pl.String)


class LibraryRecord(pa.DataFrameModel):
    """One 指标库 row after normalisation."""

    kpi_id: str = pa.Field(nullable=True, str_length={"min_value": 1, "max_value": 40})
    name: str = pa.Field(nullable=False, str_length={"min_value": 1, "max_value": 100})
    category: str = pa.Field(nullable=False, isin=list(CATEGORIES))
    method: str = pa.Field(nullable=False, isin=list(METHODS))
    direction: str = pa.Field(nullable=False, isin=list(DIRECTIONS))
    data_source: str = pa.Field(nullable=False, isin=list(DATA_SOURCES))
    deduction_step: float = pa.Field(nullable=True, gt=0, le=100)

    class Config:
        strict = False


class TemplateRecord(pa.DataFrameModel):
    """One 岗位模板 row after normalisation (weights in percent points)."""

    weight: float = pa.Field(nullable=False, gt=0, le=100)
    target: float = pa.Field(nullable=True)
    floor: float = pa.Field(nullable=True)
    stretch: float = pa.Field(nullable=True)

    class Config:
        strict = False


REASONS: dict[tuple[str, str], str] = {
    ("kpi_id", "str_length"): "指标编号过长（最多 40 个字符）",
    ("name", "not_nullable"): "缺少指标名称：请填写",
    ("name", "str_length"): "指标名称过长（最多 100 个字）",
    ("category", "not_nullable"): "缺少类别：请填写 业绩类、职能类 或 行为类",
    ("method", "not_nullable"): "缺少计分方法：请填写 " + "、".join(METHODS.values()),
    ("direction", "not_nullable"): "缺少方向：请填写 " + "、".join(DIRECTIONS.values()),
    ("data_source", "not_nullable"): "缺少数据来源：请填写 " + "、".join(DATA_SOURCES.values()),
    ("deduction_step", "greater_than"): "扣分步长必须大于 0",
    ("deduction_step", "less_than_or_equal_to"): "扣分步长超过 100 分：请核对",
    ("weight", "not_nullable"): "缺少权重：请填写 0–100 之间的数字",
    ("weight", "greater_than"): "权重必须大于 0（不考核的指标请删去这一行）",
    ("weight", "less_than_or_equal_to"): "权重超过 100：请核对",
}


def _pandera_errors(model: type[pa.DataFrameModel], frame: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    try:
        model.validate(frame.select(columns), lazy=True)
    except pa.errors.SchemaErrors as err:
        fc = err.failure_cases.filter(pl.col("index").is_not_null())
        rids = frame.get_column("_rid")
        rows = []
        for col, check, val, i in fc.select("column", "check", "failure_case", "index").iter_rows():
            reason = next((t for (c, p), t in REASONS.items() if c == col and str(check).startswith(p)), None)
            rows.append(
                (rids[int(i)], col, None if val is None else str(val), reason or f"{col} 不符合要求（{check}）")
            )
        return pl.DataFrame(rows, schema=ERR_SCHEMA, orient="row")
    return pl.DataFrame(schema=ERR_SCHEMA)


def _text(field: str) -> pl.Expr:
    """Text kept as written; the apostrophe the export puts before a formula-like text is taken off."""
    return trim_text(pl.col(field)).str.replace(r"^'([=+\-@\t\r\n])", "$1")


def _normalise_library(staged: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    step = parse_number(pl.col("deduction_step"))
    frame = staged.with_columns(
        **{f"_{f}_raw": trim_text(pl.col(f)) for f in VOCAB},
        _step_raw=clean_text(pl.col("deduction_step")),
        _step_err=step.error,
    ).with_columns(
        kpi_id=clean_text(pl.col("kpi_id")),
        name=_text("name"),
        unit=_text("unit"),
        description=_text("description"),
        **{f: _vocab_expr(f) for f in VOCAB},
        **{lv: _text(lv) for lv in LEVELS},
        deduction_step=step.value,
    )
    frame = frame.with_columns(
        status=pl.when(pl.col("_status_raw").is_null()).then(pl.lit("active")).otherwise(pl.col("status")),
        _n_levels=pl.sum_horizontal(pl.col(lv).is_not_null().cast(pl.Int32) for lv in LEVELS),
        _fold=fold_expr(pl.col("name")),
    )
    errors = [
        _errors(
            frame,
            pl.when(pl.col(f"_{f}_raw").is_not_null() & pl.col(f).is_null()).then(
                pl.lit(f"{VOCAB_NAMES[f]}无法识别：请填写 " + "、".join(VOCAB[f].values()))
            ),
            f,
            pl.col(f"_{f}_raw"),
        )
        for f in VOCAB
    ]
    errors.append(_errors(frame, pl.col("_step_err"), "deduction_step", pl.col("_step_raw")))
    errors.append(
        _errors(
            frame,
            pl.when((pl.col("method") == "rubric") & (pl.col("_n_levels") < 5)).then(
                pl.format("计分方法为等级评分时，1–5 级五个等级描述都要填写（现在只有 {} 级）", pl.col("_n_levels"))
            ),
            "level1",
            pl.col("_n_levels"),
        )
    )
    errors.append(
        _errors(
            frame,
            pl.when((pl.col("method") == "deduction") & pl.col("deduction_step").is_null()).then(
                pl.lit("计分方法为扣分制时必须填写扣分步长（每发生一次扣多少分）")
            ),
            "deduction_step",
            pl.col("_step_raw"),
        )
    )
    return frame, pl.concat(errors)


def _normalise_templates(staged: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    nums = {f: parse_number(pl.col(f)) for f in ("weight", "target", "floor", "stretch")}
    vf_date, _ = parse_date(pl.col("valid_from"))
    frame = staged.with_columns(
        **{f"_{f}_raw": clean_text(pl.col(f)) for f in nums},
        **{f"_{f}_err": n.error for f, n in nums.items()},
        _vf_raw=clean_text(pl.col("valid_from")),
        _vf_date=vf_date,
    ).with_columns(
        department=_text("department"),
        position=_text("position"),
        kpi_id=clean_text(pl.col("kpi_id")),
        kpi=_text("kpi"),
        **{f: n.value for f, n in nums.items()},
    )
    # a period ('2025Q2', '2025年第二季度') starts on its first day; parsed once per distinct value
    raw = frame.get_column("_vf_raw").drop_nulls().unique().to_list()
    starts = {t: p.start for t in raw if (p := parse_period(t)) is not None}
    frame = frame.with_columns(
        valid_from=pl.coalesce(
            pl.col("_vf_date"), pl.col("_vf_raw").replace_strict(starts, default=None, return_dtype=pl.Date)
        )
    )
    errors = [_errors(frame, pl.col(f"_{f}_err"), f, pl.col(f"_{f}_raw")) for f in nums]
    errors.append(
        _errors(
            frame,
            pl.when(pl.col("_vf_raw").is_not_null() & pl.col("valid_from").is_null()).then(
                pl.lit("生效日期无法识别：请写成 2025-04-01 这样的日期或 2025Q2 这样的季度")
            ),
            "valid_from",
            pl.col("_vf_raw"),
        )
    )
    return frame, pl.concat(errors)


def _bad(errors: pl.DataFrame) -> pl.Series:
    return errors.get_column("_rid").unique().implode()


def _duplicates(frame: pl.DataFrame, errors: pl.DataFrame, key: list[str], column: str, what: str) -> pl.DataFrame:
    """Rows whose key appeared on an earlier accepted row: rejected, naming that row."""
    ok = frame.filter(~pl.col("_rid").is_in(_bad(errors)) & pl.all_horizontal(pl.col(k).is_not_null() for k in key))
    first = ok.group_by(key).agg(pl.col("_row").min().alias("_first"), pl.col("_rid").min().alias("_first_rid"))
    dup = ok.join(first, on=key, how="inner").filter(pl.col("_rid") != pl.col("_first_rid"))
    return _errors(dup, pl.format(f"{what}与第 {{}} 行重复：请只保留一行", pl.col("_first")), column, pl.col(column))


# ---- import: resolve, compare, load -------------------------------------------------------------


def _stored_rubric(text: str | None) -> str | None:
    """A stored rubric in the form the import writes (a JSON list of five texts), for comparison."""
    levels = _rubric_levels(text)
    return json.dumps(levels, ensure_ascii=False) if any(levels) else None


def _existing_kpis(db: Database) -> pl.DataFrame:
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
    for row in frame.filter(~pl.col("_rid").is_in(_bad(errors))).iter_rows(named=True):
        problems = kpi_rules.validate_kpi(_definition(row))
        if problems:
            rows.append((row["_rid"], "method", row["method"], "".join(problems)))
    return pl.DataFrame(rows, schema=ERR_SCHEMA, orient="row")


def _definition(row: dict) -> dict:
    return {
        **{f: row[f] for f in kpi_rules.DEFINITION_FIELDS if f not in ("rubric", "deduction_step")},
        "rubric": row["rubric"],
        "deduction_step": row["deduction_step"],
    }


def _same_name_without_id(frame: pl.DataFrame, errors: pl.DataFrame) -> pl.DataFrame:
    """A row without 指标编号 is matched by name: when another row has the same name, which KPI it
    means is unclear, so it is rejected (two rows with their own ids may share a name)."""
    ok = frame.filter(~pl.col("_rid").is_in(_bad(errors)) & pl.col("_fold").is_not_null())
    rows = ok.group_by("_fold").agg(_rows=pl.col("_row").sort())
    unclear = ok.filter(pl.col("kpi_id").is_null()).join(rows, on="_fold", how="inner")
    unclear = unclear.with_columns(_others=pl.col("_rows").list.set_difference(pl.concat_list("_row")))
    unclear = unclear.filter(pl.col("_others").list.len() > 0)
    return _errors(
        unclear,
        pl.format(
            "指标名称与第 {} 行相同，而这一行没有指标编号：请填写指标编号，或只保留一行",
            pl.col("_others").cast(pl.List(pl.String)).list.join("、"),
        ),
        "name",
        pl.col("name"),
    )


def _resolve_library(frame: pl.DataFrame, errors: pl.DataFrame, known: pl.DataFrame):
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
    ok = frame.filter(~pl.col("_rid").is_in(_bad(errors)))
    by_name = known.sort("status", "kpi_id").unique("_fold", keep="first").select("_fold", _by_name="kpi_id")
    ok = ok.join(by_name, on="_fold", how="left", maintain_order="left").with_columns(
        kpi_id=pl.coalesce(
            "kpi_id",
            "_by_name",
            pl.col("_fold").map_elements(lambda n: stable_id("K", n), return_dtype=pl.String),
        )
    )
    # an id found by name may repeat an id written on another row
    errors = pl.concat([errors, _duplicates(ok, pl.DataFrame(schema=ERR_SCHEMA), ["kpi_id"], "name", "指标")])
    ok = ok.filter(~pl.col("_rid").is_in(_bad(errors)))
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


def _resolve_templates(db: Database, frame: pl.DataFrame, errors: pl.DataFrame, kpis: pl.DataFrame):
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
            _errors(
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
            _errors(
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
            _pandera_errors(TemplateRecord, frame, ["weight", "target", "floor", "stretch"]),
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
        _bad=pl.col("_rid").is_in(_bad(errors)).any(),
        _name=pl.col("position").first(),
    )
    placed = placed.join(per, on="position_id", how="left")
    errors = pl.concat(
        [
            errors,
            _errors(
                placed.filter(~pl.col("_rid").is_in(_bad(errors))),
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
    return frame.filter(~pl.col("_rid").is_in(_bad(errors))), errors


def _item_key(rows) -> set:
    return {
        (r["kpi_id"], *(None if r[c] is None else round(float(r[c]), 6) for c in ("weight", "target", "floor", "stretch")))
        for r in rows
    }  # fmt: skip


def _group_errors(group: pl.DataFrame, column: str, value: str, reason: str) -> pl.DataFrame:
    return group.select("_rid", column=pl.lit(column), value=pl.lit(value), reason=pl.lit(reason)).cast(ERR_SCHEMA)  # type: ignore[arg-type]


def _plan_templates(db: Database, ok: pl.DataFrame, default_from: dt.date):
    """Per accepted template: unchanged (its items equal the version in force on its date), a new
    version, or rejected (dated before the position's latest version, or failing core.kpi's template
    check: KPIs in use, category bands). Returns (new templates, unchanged row count, errors)."""
    versions = db.frame("SELECT position_id, version, valid_from FROM template_versions")
    items = db.frame("SELECT position_id, version, kpi_id, weight, target, floor, stretch FROM position_kpis")
    new, unchanged, errors = [], 0, []
    for (position_id,), group in ok.group_by(["position_id"], maintain_order=True):
        vf = group.get_column("valid_from").drop_nulls()
        valid_from = vf[0] if vf.len() else default_from
        mine = versions.filter(pl.col("position_id") == position_id)
        in_force = mine.filter(pl.col("valid_from") <= valid_from).sort("valid_from", "version").tail(1)
        if in_force.height:
            version = in_force.get_column("version")[0]
            old = items.filter((pl.col("position_id") == position_id) & (pl.col("version") == version))
            if _item_key(old.iter_rows(named=True)) == _item_key(group.iter_rows(named=True)):
                unchanged += group.height
                continue
        if mine.height and valid_from < mine.get_column("valid_from").max():
            latest = mine.sort("valid_from", "version").row(-1, named=True)
            reason = (
                f"生效日期 {valid_from} 早于该岗位现有版本 v{latest['version']} 的生效日期 {latest['valid_from']}："
                "只能新增更晚生效的版本"
            )
            errors.append(_group_errors(group, "valid_from", str(valid_from), reason))
            continue
        template = group.select("kpi_id", "weight", "target", "floor", "stretch").to_dicts()
        problems = kpi_rules.validate_template(db, template)
        if problems:
            errors.append(_group_errors(group, "weight", "", "".join(problems)))
            continue
        new.append((position_id, valid_from, template))
    return new, unchanged, pl.concat(errors) if errors else pl.DataFrame(schema=ERR_SCHEMA)


def _rejects(frames: list[pl.DataFrame], errors: pl.DataFrame, headers: dict[tuple[str, str], str], titles: dict[str, str]) -> pl.DataFrame:  # fmt: skip
    where = pl.concat([f.select("_rid", "_sheet", "_row") for f in frames])
    out = errors.unique(["_rid", "column", "reason"], maintain_order=True).join(where, on="_rid", how="left")
    labels = [headers.get((s, c)) or titles.get(c, c) for s, c in out.select("_sheet", "column").iter_rows()]
    return (
        out.with_columns(column=pl.Series(labels, dtype=pl.String))
        .sort("_sheet", "_row")
        .select(pl.col("_sheet").alias("sheet"), pl.col("_row").alias("row"), "column", "value", "reason")
    )


def _run(db: Database, grids: list[Grid], report: LoadReport, uploaded_by: str, batch_id: str) -> None:
    from pipelines.importer import finish_report, write_batch

    lib_staged, tpl_staged, headers = _stage(grids, report)
    if lib_staged.height + tpl_staged.height == 0:
        raise FileRefused("文件里找到了指标库或岗位模板的表头，但表头下面没有数据行：请检查是否选错了文件。")
    lib_staged = lib_staged.with_row_index("_rid")
    tpl_staged = tpl_staged.with_row_index("_rid", offset=lib_staged.height)
    library, lib_errors = _normalise_library(lib_staged)
    lib_errors = pl.concat(
        [
            lib_errors,
            _pandera_errors(
                LibraryRecord,
                library,
                ["kpi_id", "name", "category", "method", "direction", "data_source", "deduction_step"],
            ),
        ]
    )
    # a column already explained (an unknown word) is not reported again as missing
    lib_errors = lib_errors.unique(["_rid", "column"], keep="first", maintain_order=True)
    templates, tpl_errors = _normalise_templates(tpl_staged)
    partial = library.filter(
        (pl.col("_n_levels") > 0) & (pl.col("_n_levels") < len(LEVELS)) & (pl.col("method") != "rubric")
    )
    if partial.height:
        report.notes.append(f"{partial.height} 项非等级评分的指标只填了部分等级描述，这些描述未保存。")
    report.batch_id = batch_id
    with db.transaction() as cur:
        now = dt.datetime.now()
        known = _existing_kpis(db)
        kpis, lib_errors = _resolve_library(library, lib_errors, known)
        inserts = kpis.filter(~pl.col("_exists"))
        updates = kpis.filter(pl.col("_exists") & ~pl.col("_same"))
        changed = pl.concat([inserts, updates])
        # the library first: the templates of this file are checked against it
        for row in changed.iter_rows(named=True):
            kpi_rules.write_kpi_version(cur, row["kpi_id"], _definition(row), row["status"], at=now)
        usable = db.frame("SELECT kpi_id, name FROM kpis")
        tpl_ok, tpl_errors = _resolve_templates(db, templates, tpl_errors, usable)
        today = dt.date.today()
        new, tpl_unchanged, plan_errors = _plan_templates(
            db, tpl_ok, quarter(today.year, (today.month - 1) // 3 + 1).start
        )
        errors = pl.concat([lib_errors, tpl_errors, plan_errors])
        titles = {**TEMPLATE_TITLES, **LIBRARY_TITLES, "position": "岗位", "kpi": "指标", "weight": "权重"}
        rejects = _rejects([library, templates], errors, headers, titles)
        unchanged = kpis.filter(pl.col("_same")).height + tpl_unchanged
        finish_report(
            report, library.height + templates.height, rejects, errors.get_column("_rid").n_unique(), unchanged
        )
        if changed.height:
            report.notes.append(f"指标库：新增 {inserts.height} 项指标，修改 {updates.height} 项。")
        if new:
            report.notes.append(f"岗位模板：{len(new)} 个岗位生成了新版本。")
        written = []
        for position_id, valid_from, template in new:
            version = kpi_rules.write_template_version(
                cur, position_id, valid_from, template, uploaded_by, note=f"Excel 批量导入（批次 {batch_id}）"
            )
            written.append(f"{position_id}:v{version}")
        write_batch(cur, report, uploaded_by)
        if changed.height or written:
            audit.record(
                cur,
                uploaded_by,
                "import",
                "kpi_library",
                batch_id,
                {
                    "kpis_added": inserts.get_column("kpi_id").to_list(),
                    "kpis_changed": updates.get_column("kpi_id").to_list(),
                    "template_versions": written,
                    "approval": "HR 批量导入，不经三级审批",
                },
            )


def run(db: Database, grids: list[Grid], report: LoadReport, uploaded_by: str, step, batch_id: str) -> None:
    """The pipeline as ``pipelines.importer.import_file`` calls its sources (like ``roster.run``):
    stage, check and load a library workbook's sheets in one transaction."""
    step(0.5, "核对指标库和岗位模板")
    _run(db, grids, report, uploaded_by, batch_id)


def import_library_workbook(
    db: Database, path: str | os.PathLike[str], *, uploaded_by: str, file_name: str | None = None
) -> LoadReport:
    """Import a library workbook (指标库 and/or 岗位模板 sheets). Never raises for bad input: a refused
    or failed file comes back as a report with that status and a Chinese message."""

    from pipelines.importer import import_file

    return import_file(db, path, source=SOURCE, uploaded_by=uploaded_by, file_name=file_name)


def is_library_workbook(grids: list[Grid]) -> bool:
    """True when a visible sheet holds a 指标库 or 岗位模板 header (for the importer's auto-detection)."""
    return any(any(t is not None for t in _library_tables(g)) for g in sheets_to_read(grids))
