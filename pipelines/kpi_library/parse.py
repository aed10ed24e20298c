"""A KPI library workbook → normalised 指标库 rows and 岗位模板 rows with their errors, without a
database: find each sheet's header by synonyms (Chinese or English, title rows above it, columns in any
order), stage the rows, parse the vocabulary words, numbers and dates, check the contracts."""

from __future__ import annotations

from dataclasses import dataclass

import pandera.polars as pa
import polars as pl

from core.values import clean_text, parse_number, trim_text
from pipelines.context import fold_expr
from pipelines.kpi_library.columns import HELP_SHEET, REASONS, SYNONYMS, VOCAB, VOCAB_NAMES, LibraryRecord
from pipelines.layout import HEADER_SCAN_ROWS, Column, Table, find_form
from pipelines.normalise import parse_date, parse_period
from pipelines.options import DEFAULT, ImportOptions
from pipelines.row_errors import pandera_errors, row_errors
from pipelines.sniff import FileRefused
from pipelines.staging import stage_table
from pipelines.workbook import Grid, sheets_to_read
from schemas.headers import (
    LEGACY_INDEX,
    LIBRARY_FIELDS,
    LIBRARY_INDEX,
    TEMPLATE_FIELDS,
    TEMPLATE_INDEX,
    fold_header,
    match_header,
)
from schemas.headers import LIBRARY_LEVELS as LEVELS


@dataclass
class LibraryParsed:
    """The 指标库 rows and the 岗位模板 rows (``_rid`` numbers both, templates after the library), the
    errors of each found so far, and the header text of every (sheet, field)."""

    library: pl.DataFrame
    library_errors: pl.DataFrame
    templates: pl.DataFrame
    template_errors: pl.DataFrame
    headers: dict[tuple[str, str], str]


def parse_library(
    grids: list[Grid], file_name: str, notes: list[str], options: ImportOptions = DEFAULT
) -> LibraryParsed:
    """Stage, normalise and check the library and template sheets of a file (``file_name`` is not read)."""
    lib_staged, tpl_staged, headers = stage(grids, notes)
    if lib_staged.height + tpl_staged.height == 0:
        raise FileRefused("文件里找到了指标库或岗位模板的表头，但表头下面没有数据行：请检查是否选错了文件。")
    lib_staged = lib_staged.with_row_index("_rid")
    tpl_staged = tpl_staged.with_row_index("_rid", offset=lib_staged.height)
    library, lib_errors = _normalise_library(lib_staged)
    lib_errors = pl.concat(
        [
            lib_errors,
            contract_errors(
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
        notes.append(f"{partial.height} 项非等级评分的指标只填了部分等级描述，这些描述未保存。")
    return LibraryParsed(library, lib_errors, templates, tpl_errors, headers)


def contract_errors(model: type[pa.DataFrameModel], frame: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """The failures of a library or template contract, worded from :data:`REASONS`."""
    return pandera_errors(model, frame, columns, _reason)


def _reason(column: str, check: str) -> str:
    found = next((t for (c, p), t in REASONS.items() if c == column and check.startswith(p)), None)
    return found or f"{column} 不符合要求（{check}）"


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
    lib = _find_header(grid, LIBRARY_INDEX, ({"name"}, {"category", "method"}))
    if lib is not None:
        # a 姓名 or 工号 column (not the one the library reads as the KPI's name) names people
        own = {c.letter for c in lib.columns if c.field in ("name", "kpi_id")}
        people = any(
            match_header(cell, LEGACY_INDEX) in ("employee_id", "name")
            for letter, cell in zip(grid.letters, grid.frame.row(lib.header_row), strict=False)
            if cell is not None and letter not in own
        )
        # items under a category with a person's labels above them are an appraisal form (类别/指标/权重/得分)
        if people or find_form(grid) is not None:
            return None, None
    return None, lib


def stage(grids: list[Grid], notes: list[str]) -> tuple[pl.DataFrame, pl.DataFrame, dict[tuple[str, str], str]]:
    """Staged 指标库 rows and 岗位模板 rows of every sheet that holds either, and each column's header."""
    library, templates, headers = [], [], {}
    for g in sheets_to_read(grids, notes):
        tpl, lib = _library_tables(g)
        table, fields, into = (tpl, TEMPLATE_FIELDS, templates) if tpl is not None else (lib, LIBRARY_FIELDS, library)
        if table is None:
            if g.name != HELP_SHEET:
                notes.append(f"工作表「{g.name}」里没有找到指标库或岗位模板的表头，已跳过。")
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
        row_errors(
            frame,
            pl.when(pl.col(f"_{f}_raw").is_not_null() & pl.col(f).is_null()).then(
                pl.lit(f"{VOCAB_NAMES[f]}无法识别：请填写 " + "、".join(VOCAB[f].values()))
            ),
            f,
            pl.col(f"_{f}_raw"),
        )
        for f in VOCAB
    ]
    errors.append(row_errors(frame, pl.col("_step_err"), "deduction_step", pl.col("_step_raw")))
    errors.append(
        row_errors(
            frame,
            pl.when((pl.col("method") == "rubric") & (pl.col("_n_levels") < 5)).then(
                pl.format("计分方法为等级评分时，1–5 级五个等级描述都要填写（现在只有 {} 级）", pl.col("_n_levels"))
            ),
            "level1",
            pl.col("_n_levels"),
        )
    )
    errors.append(
        row_errors(
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
    errors = [row_errors(frame, pl.col(f"_{f}_err"), f, pl.col(f"_{f}_raw")) for f in nums]
    errors.append(
        row_errors(
            frame,
            pl.when(pl.col("_vf_raw").is_not_null() & pl.col("valid_from").is_null()).then(
                pl.lit("生效日期无法识别：请写成 2025-04-01 这样的日期或 2025Q2 这样的季度")
            ),
            "valid_from",
            pl.col("_vf_raw"),
        )
    )
    return frame, pl.concat(errors)


def is_library_workbook(grids: list[Grid]) -> bool:
    """True when a visible sheet holds a 指标库 or 岗位模板 header (for the importer's auto-detection)."""
    return any(any(t is not None for t in _library_tables(g)) for g in sheets_to_read(grids))
