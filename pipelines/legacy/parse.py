"""A legacy appraisal workbook → normalised, checked records, without a database: plan each sheet,
stage and normalise its rows, refuse a file where most rows cannot be read, check the contract."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from pipelines.layout import find_form, find_table
from pipelines.legacy.records import file_question, validate
from pipelines.legacy.sheets import SheetPlan, plan_sheets, read_records
from pipelines.options import DEFAULT, ImportOptions
from pipelines.sniff import FileRefused
from pipelines.source import NoHeaderFound, TooManyErrors
from pipelines.workbook import Grid, sheets_to_read

# A file where most rows fail is the wrong file: stop before validating it row by row.
GIVE_UP_ROWS, GIVE_UP_SHARE = 2000, 0.8


@dataclass
class LegacyParsed:
    """The plan of every sheet, the normalised records (``_rid`` numbers them), the errors found so
    far, and the header text of every (sheet, field). The load takes the records out of it, so a
    1M-row import holds them once."""

    plans: list[SheetPlan]
    records: pl.DataFrame
    errors: pl.DataFrame
    headers: dict[tuple[str, str], str]

    def take_records(self) -> pl.DataFrame:
        """The records, no longer held here."""
        records, self.records = self.records, pl.DataFrame()
        return records


def count_legacy_sheets(grids: list[Grid]) -> int:
    """The visible sheets holding an appraisal table or a per-person appraisal form."""
    n = 0
    for g in sheets_to_read(grids):
        if find_form(g) is not None:
            n += 1
            continue
        table = find_table(g)
        n += table is not None and table.kind == "legacy"
    return n


def parse_legacy(grids: list[Grid], file_name: str, notes: list[str], options: ImportOptions = DEFAULT) -> LegacyParsed:
    """Plan, stage, normalise and check the appraisal sheets of a file (``file_name`` may name the period)."""
    plans = plan_sheets(grids, options.mapping)
    if not any(p.layout in ("table", "form") for p in plans):
        raise NoHeaderFound()
    frame, errors, sheet_notes, headers = read_records(plans, file_name, options)
    notes.extend(sheet_notes)
    if frame.height == 0:
        raise FileRefused("文件里找到了表头，但表头下面没有数据行：请检查是否选错了文件或工作表。")
    if (question := file_question(errors, frame.height, file_name)) is not None:
        raise FileRefused(question)  # one question for the whole file, not one reject per row
    bad_rows = errors.get_column("_rid").n_unique()
    if bad_rows > GIVE_UP_ROWS and bad_rows > GIVE_UP_SHARE * frame.height:
        raise TooManyErrors(
            f"文件中 {bad_rows} / {frame.height} 行的数值无法识别，看起来不是考核表，或列的对应关系有误：请检查文件后再上传。"
        )
    return LegacyParsed(plans, frame, pl.concat([errors, validate(frame, options.grades)]), headers)
