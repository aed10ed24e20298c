"""What the import wizard shows and builds: each sheet as read (its first rows with Excel row numbers
and column letters, the header detection found, the label cells of a form), whether detection is
unsure of the file, the Mapping HR's choices make, and saving it under the file's shape."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from core import import_mappings
from core.auth import User
from core.db import Database
from pipelines.kinds import recognise_other
from pipelines.layout import Column
from pipelines.legacy.sheets import FIELDS as LEGACY_FIELDS
from pipelines.legacy.sheets import detect_sheets
from pipelines.mapping import (
    EVERY_SHEET,
    FIELD_LABELS,
    FIELDS,
    Mapping,
    MappingInvalid,
    SheetMapping,
    check,
    mapping_of_plans,
    read_columns,
    shape_key,
)
from pipelines.mapping import ROSTER_FIELDS as ROSTER_WIZARD_FIELDS
from pipelines.roster.parse import FIELDS as ROSTER_FIELDS
from pipelines.sniff import FileRefused, inspect_file
from pipelines.sources import recognise
from pipelines.workbook import Grid, read_grids, sheets_to_read

PREVIEW_ROWS = 15
MAX_SKIP_TEXT = 200  # characters of the rows-to-skip field
_RANGE = re.compile(r"^\s*(\d{1,6})\s*(?:[-–~至]\s*(\d{1,6}))?\s*$")


@dataclass
class SheetPreview:
    """One sheet as read: its first rows (column 行 = Excel row, then one column per letter), the
    header of each column letter at the suggested header row, and what detection suggests."""

    name: str
    rows: pl.DataFrame
    letters: list[str]
    suggested: SheetMapping
    detected: bool  # detection found a table or form in this sheet

    def header_of(self, letter: str, header_row: int) -> str:
        """The text of ``letter``'s cell on Excel row ``header_row`` (empty when beyond the preview)."""
        frame = self.rows.filter(pl.col("行") == header_row)
        if frame.is_empty() or letter not in frame.columns:
            return ""
        return (frame.get_column(letter)[0] or "").strip()


@dataclass
class FilePreview:
    """A file as the wizard shows it: its readable sheets, and whether detection is unsure (no sheet
    of an appraisal or roster shape found)."""

    file_name: str
    sheets: list[SheetPreview] = field(default_factory=list)
    unsure: bool = True
    refusal: str = ""  # the file cannot be read at all, or is another kind (attendance …)

    def sheet(self, name: str) -> SheetPreview | None:
        return next((s for s in self.sheets if s.name == name), None)


def preview_file(path: str | os.PathLike[str], file_name: str | None = None) -> FilePreview:
    """The first rows of every readable sheet of the file at ``path``, detection's suggestion for each,
    and whether detection is unsure."""
    name = file_name or Path(path).name
    preview = FilePreview(name)
    try:
        grids = read_grids(Path(path), inspect_file(Path(path)))
    except FileRefused as refused:
        preview.refusal = refused.reason
        return preview
    other = recognise_other(grids, name)
    if other is not None:
        preview.refusal = other.message
    preview.unsure = recognise(grids) is None
    detected = mapping_of_plans(detect_sheets(grids))
    for g in sheets_to_read(grids):
        found = detected.sheet(g.name)
        is_read = found is not None and found.layout in ("table", "form", "roster", "summary")
        suggested = found if found is not None and is_read else SheetMapping(g.name)
        preview.sheets.append(SheetPreview(g.name, _first_rows(g), g.letters, suggested, is_read))
    return preview


def _first_rows(grid: Grid) -> pl.DataFrame:
    head = grid.frame.head(PREVIEW_ROWS)
    return head.with_row_index("行", offset=1).with_columns(pl.col("行").cast(pl.Int64))


def parse_skip_rows(text: str | None) -> list[int]:
    """Excel rows to skip from HR's text: 「3, 5-7」 → [3, 5, 6, 7]. ValueError (a Chinese sentence) when
    the text is not such a list."""
    if not text or not text.strip():
        return []
    if len(text) > MAX_SKIP_TEXT:
        raise ValueError(f"要跳过的行写得太长（最多 {MAX_SKIP_TEXT} 个字符）：请写成「3, 5-7」这样。")
    rows: set[int] = set()
    for part in re.split(r"[,，、;；\s]+", text.strip()):
        if not part:
            continue
        m = _RANGE.match(part)
        if m is None:
            raise ValueError(f"要跳过的行「{part}」看不懂：请写行号，用逗号隔开，连续的行写成「5-7」。")
        first, last = int(m.group(1)), int(m.group(2) or m.group(1))
        if first < 1 or last < first or last - first > 10_000:
            raise ValueError(f"要跳过的行「{part}」不对：行号从 1 开始，范围写成「5-7」。")
        rows.update(range(first, last + 1))
    return sorted(rows)


def manual_mapping(
    sheet: SheetPreview,
    *,
    source: str,
    layout: str,
    header_row: int,
    columns: dict[str, str | None],
    labels: dict[str, str | None] | None = None,
    skip_rows: list[int] | None = None,
    every_sheet: bool = False,
) -> Mapping:
    """The Mapping HR's choices make for one sheet: ``columns`` field → letter (None: not in the file),
    ``labels`` field → cell of a form; with ``every_sheet`` it reads every sheet holding the same header
    (one form per person). Columns detection found for fields the wizard does not show (总分, 岗位 …) are
    kept unless HR gave their letter to another field. MappingInvalid when it cannot be."""
    chosen = {f: letter for f, letter in columns.items() if letter}
    taken = set(chosen.values())
    cols = [Column(letter, f, sheet.header_of(letter, header_row)) for f, letter in chosen.items()]
    if header_row == sheet.suggested.header_row:
        shown = ROSTER_WIZARD_FIELDS if source == "roster" else FIELDS
        cols += [c for c in sheet.suggested.columns if c.field not in shown and c.letter not in taken]
    cells = {f: cell.strip().upper() for f, cell in (labels or {}).items() if cell and cell.strip()}
    sm = SheetMapping(
        EVERY_SHEET if every_sheet else sheet.name,
        layout,
        header_row,
        1,
        cols,
        labels=cells,
        label_text={f: FIELD_LABELS.get(f, f) for f in cells},
        skip_rows=sorted(set(skip_rows or [])),
    )
    mapping = Mapping(source, [sm])
    check(mapping)
    if every_sheet and not all(c.header for c in cols):
        raise MappingInvalid("要按同一格式读取所有工作表，指定的每一列在表头行都要有文字：请检查表头所在的行。")
    return mapping


def unread_fields(mapping: Mapping) -> list[str]:
    """The fields ``mapping`` points at that its source does not import yet (shown to HR, never dropped
    in silence)."""
    reads = set(LEGACY_FIELDS if mapping.source == "legacy" else ROSTER_FIELDS)
    named = {c.field for s in mapping.sheets for c in read_columns(s)} | {f for s in mapping.sheets for f in s.labels}
    return [f for f in dict.fromkeys([*FIELDS, *ROSTER_WIZARD_FIELDS]) if f in named and f not in reads]


def save_for_file(db: Database, user: User | None, name: object, mapping: Mapping, path: str | os.PathLike[str]) -> str:
    """Save ``mapping`` under ``name`` for files shaped like the one at ``path``; returns the saved name.
    FileRefused when the file does not hold the sheets the mapping reads."""
    info = inspect_file(Path(path))
    grids = read_grids(Path(path), info)
    if info.kind == "csv":
        _for_any_name(mapping)
    shape = shape_key(grids, mapping)
    if shape is None:
        raise FileRefused("这个文件里没有对应关系要读取的工作表：请重新选择工作表。")
    clean = import_mappings.clean_name(name)
    mapping.name = clean
    return import_mappings.save_mapping(db, user, clean, shape, mapping.source, mapping.to_json())


def _for_any_name(mapping: Mapping) -> None:
    """A CSV's one sheet is named after its file: its mapping reads the sheet holding its header, so the
    next export (another file name) is found by the header, not by the name — when every mapped column
    has header text to find it by."""
    if len(mapping.sheets) == 1 and all(c.header for c in mapping.sheets[0].columns):
        mapping.sheets[0].sheet = EVERY_SHEET
