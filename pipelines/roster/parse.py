"""A roster (花名册) file → staged roster rows: ids, names, dates and statuses parsed, the roster
contract checked. Needs no database; pipelines/roster/load.py resolves the rows against it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from core.values import clean_text
from pipelines.layout import find_form, find_table
from pipelines.mapping import Mapping, roster_sheet
from pipelines.normalise import clean_employee_id, parse_date
from pipelines.options import DEFAULT, ImportOptions
from pipelines.roster.shape import is_instructions, people_list
from pipelines.row_errors import pandera_errors, row_errors
from pipelines.sniff import FileRefused
from pipelines.staging import stage_table
from pipelines.workbook import Grid, sheets_to_read
from schemas.headers import header_label
from schemas.staged import RosterRecord, reason_for

FIELDS = (
    "employee_id", "name", "first_name", "last_name", "department", "parent_department", "position", "manager",
    "hire_date", "leave_date", "status", "is_key",
)  # fmt: skip
ACTIVE_WORDS = ("在职", "正式", "试用", "试用期", "在岗", "active", "employed", "current", "实习")
LEFT_WORDS = ("离职", "已离职", "辞职", "退休", "left", "terminated", "inactive", "resigned", "retired")
TRUE_WORDS = ("是", "y", "yes", "true", "1", "关键", "√", "✓")
COLUMN_LABELS = {
    "employee_id": "工号", "name": "姓名", "department": "部门", "position": "岗位", "manager": "直接上级",
    "hire_date": "入职日期", "leave_date": "离职日期", "status": "状态",
}  # fmt: skip


@dataclass
class RosterParsed:
    """The roster rows of a file (``_rid``, ``_sheet``, ``_row`` and the parsed fields), the errors found
    so far, and the header text of every (sheet, field)."""

    rows: pl.DataFrame
    errors: pl.DataFrame
    headers: dict[tuple[str, str], str]


def count_roster_sheets(grids: list[Grid]) -> int:
    """The visible sheets holding a roster header (a per-person appraisal form is not one), or a list of
    people without 工号 (pipelines/roster/shape.py: parse refuses it, saying what to add)."""
    n = 0
    for g in sheets_to_read(grids):
        if find_form(g) is not None:
            continue
        table = find_table(g)
        if table is not None:
            n += table.kind == "roster" and "period" not in table.fields  # a roster names no period
        else:
            n += people_list(g) is not None
    return n


def parse_roster(grids: list[Grid], file_name: str, notes: list[str], options: ImportOptions = DEFAULT) -> RosterParsed:
    """Stage, normalise and check the roster sheets of a file (a roster names no period: ``file_name``
    is not read)."""
    staged, headers = stage(grids, notes, options.mapping)
    rows, errors = normalise(staged)
    return RosterParsed(rows, pl.concat([errors, validate(rows)]), headers)


def stage(
    grids: list[Grid], notes: list[str], mapping: Mapping | None = None
) -> tuple[pl.DataFrame, dict[tuple[str, str], str]]:
    """Staged roster rows of every roster-shaped sheet (or every sheet ``mapping`` reads); a note for
    each sheet skipped."""
    frames, headers, lists = [], {}, []
    for sheet in sheets_to_read(grids, notes):
        g, table = roster_sheet(sheet, mapping)
        if table is None or (mapping is None and (table.kind != "roster" or "period" in table.fields)):
            if table is not None and (table.kind == "legacy" or "period" in table.fields):
                notes.append(f"工作表「{g.name}」看起来是考核表，不是花名册，已跳过（请作为历史考核表单独导入）。")
            elif is_instructions(g):
                notes.append(f"工作表「{g.name}」是填写说明，不是数据，已跳过。")
            elif table is None and (found := people_list(g)) is not None:
                lists.append(found)
                notes.append(
                    f"工作表「{g.name}」列出了 {found.people} 人，但没有工号列，已跳过。"
                    if found.people
                    else f"工作表「{g.name}」是空白的名单模板（没有人员），已跳过。"
                )
            else:
                notes.append(f"工作表「{g.name}」里没有找到花名册表头（工号、姓名、部门），已跳过。")
            continue
        for c in table.columns:
            headers[(g.name, c.field)] = header_label(c.header)
        staged = stage_table(g.full(), table, FIELDS)
        frames.append(staged.frame)
    if not frames:
        if lists:  # people without 工号, or a blank list template: say what the sheet holds and what to add
            raise FileRefused(max(lists, key=lambda p: p.people).refusal())
        raise FileRefused(
            "没有找到花名册的表头：花名册需要「工号」「姓名」「部门」列（可另有 岗位、直接上级、入职日期）。"
        )
    return pl.concat(frames, how="vertical_relaxed").with_row_index("_rid"), headers


def normalise(staged: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Parse ids, names, dates and statuses. Returns (rows, errors)."""
    hire, hire_err = parse_date(pl.col("hire_date"))
    leave, leave_err = parse_date(pl.col("leave_date"))
    first, last = clean_text(pl.col("first_name")), clean_text(pl.col("last_name"))
    cjk = last.str.contains(r"[\u4e00-\u9fff]").fill_null(False)
    joined = pl.when(cjk).then(pl.concat_str([last, first])).otherwise(pl.concat_str([first, last], separator=" "))
    status_raw = clean_text(pl.col("status"))
    status_l = status_raw.str.to_lowercase()
    frame = staged.with_columns(
        _hire_raw=clean_text(pl.col("hire_date")),
        _leave_raw=clean_text(pl.col("leave_date")),
        employee_id=clean_employee_id(pl.col("employee_id")),
        name=pl.coalesce(clean_text(pl.col("name")), joined),
        department=clean_text(pl.col("department")),
        parent_department=clean_text(pl.col("parent_department")),
        position=clean_text(pl.col("position")),
        manager=clean_employee_id(pl.col("manager")),
        hire_date=hire,
        leave_date=leave,
        status_raw=status_raw,
        is_key=clean_text(pl.col("is_key")).str.to_lowercase().is_in(list(TRUE_WORDS)).fill_null(False),
        _hire_err=hire_err,
        _leave_err=leave_err,
    ).with_columns(
        status=pl.when(status_l.is_in([w.lower() for w in LEFT_WORDS]))
        .then(pl.lit("left"))
        .when(status_l.is_in([w.lower() for w in ACTIVE_WORDS]))
        .then(pl.lit("active"))
        .when(status_raw.is_null() & pl.col("leave_date").is_not_null() & (pl.col("leave_date") <= dt.date.today()))
        .then(pl.lit("left"))
        .when(status_raw.is_null())
        .then(pl.lit("active"))
        .otherwise(None),
    )
    errors = pl.concat(
        [
            row_errors(frame, pl.col("_hire_err") + "：请写成 2024-03-01 这样的日期", "hire_date", pl.col("_hire_raw")),
            row_errors(
                frame, pl.col("_leave_err") + "：请写成 2024-03-01 这样的日期", "leave_date", pl.col("_leave_raw")
            ),
            row_errors(
                frame,
                pl.when(pl.col("status").is_null()).then(pl.lit("状态无法识别：请写「在职」或「离职」")),
                "status",
                pl.col("status_raw"),
            ),
        ]
    )
    return frame, errors


def validate(frame: pl.DataFrame) -> pl.DataFrame:
    """pandera checks of the roster contract."""
    return pandera_errors(RosterRecord, frame, ["employee_id", "name", "department"], reason_for)
