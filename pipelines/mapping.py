"""A Mapping says how a file is read, sheet by sheet: its layout, its header row(s), which column letter
holds which field, the label cells of a per-person form, and the rows to skip. Detection produces one
(from the tables and forms pipelines/layout.py finds) and HR can write one on the upload screen; the
legacy and roster sources plan their sheets from a Mapping in both cases, so the two run through the
same code. A saved mapping (core/import_mappings.py) is found again by the file's shape: its sheet
names and header cells."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import polars as pl

from core import import_mappings
from core.db import Database
from pipelines.form_labels import is_label_text
from pipelines.layout import FORM_SCAN_ROWS, Column, Form, Table, find_table, read_form
from pipelines.options import ImportOptions
from pipelines.sniff import FileRefused
from pipelines.workbook import Grid, column_index, column_letter
from schemas.headers import FORM_INDEX, match_header

# the fields HR can point at, in the order the wizard shows them
FIELDS = (
    "employee_id", "name", "department", "period", "kpi", "weight", "target", "actual", "self_score",
    "manager_score", "score", "grade", "comment",
)  # fmt: skip
# a roster's fields, when HR maps a roster
ROSTER_FIELDS = ("employee_id", "name", "department", "position", "manager", "hire_date", "leave_date", "status")
FIELD_LABELS = {
    "employee_id": "工号", "name": "姓名", "department": "部门", "period": "期间", "kpi": "指标", "weight": "权重",
    "target": "目标", "actual": "实际", "self_score": "自评", "manager_score": "上级评分", "score": "得分",
    "grade": "等级", "comment": "评语", "position": "岗位", "manager": "直接上级", "hire_date": "入职日期",
    "leave_date": "离职日期", "status": "状态",
}  # fmt: skip
SOURCES = ("legacy", "roster")
LAYOUTS = ("table", "form", "summary", "roster", "skip")
READ = ("table", "form")  # layouts whose rows are imported
EVERY_SHEET = "*"  # a sheet mapping for every sheet of its header (one form per person), not named apart
MAX_SHEETS = 200
_CELL = re.compile(r"^([A-Z]{1,3})([1-9]\d{0,6})$")
_LABEL = re.compile(r"^\s*([^:：]{1,10}?)\s*[:：]\s*(.*?)\s*$")
_FIELD_NAME = re.compile(r"^[a-z_]{1,30}$")


class MappingInvalid(FileRefused):
    """A mapping that cannot be read (a saved one damaged, or one naming cells that cannot exist)."""


@dataclass
class SheetMapping:
    """How one sheet is read. Rows are Excel rows (1-based); ``header_row`` is the lowest header row."""

    sheet: str
    layout: str = "table"
    header_row: int = 1
    header_rows: int = 1
    columns: list[Column] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)  # field -> the cell holding its value ("B3")
    label_text: dict[str, str] = field(default_factory=dict)  # field -> the label's text (姓名 …)
    skip_rows: list[int] = field(default_factory=list)
    note: str = ""
    # the label values detection read (also those no single cell holds: a combined 部门-姓名, a sheet
    # name); never saved — a saved mapping names cells
    found: dict[str, tuple[str, int, str]] | None = field(default=None, compare=False, repr=False)

    def letter(self, name: str) -> str | None:
        """The column holding ``name`` (not a period-wide one)."""
        return next((c.letter for c in self.columns if c.field == name and c.period is None), None)


@dataclass
class Mapping:
    """How a whole file is read: its source (legacy or roster) and its sheets; ``name`` once saved."""

    source: str = "legacy"
    sheets: list[SheetMapping] = field(default_factory=list)
    name: str = ""

    def sheet(self, name: str) -> SheetMapping | None:
        return next((s for s in self.sheets if s.sheet == name), None)

    def sheet_for(self, grid: Grid) -> SheetMapping | None:
        """How ``grid`` is read: the sheet mapping of its name, else the one for every sheet when the
        grid's header cells are the ones it names."""
        named = self.sheet(grid.name)
        if named is not None:
            return named
        every = self.sheet(EVERY_SHEET)
        return every if every is not None and grid.visible and fits(grid, every) else None

    def to_json(self) -> str:
        """The mapping as JSON (what core/import_mappings.py stores)."""
        raw = asdict(self)
        for sheet in raw["sheets"]:
            sheet.pop("found", None)
        return json.dumps(raw, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Mapping:
        """A mapping from its JSON; MappingInvalid (a Chinese sentence) when it is not one."""
        try:
            raw = json.loads(text)
            mapping = cls(
                source=str(raw["source"]),
                name=str(raw.get("name") or ""),
                sheets=[_sheet_from_dict(s) for s in raw["sheets"]],
            )
        except (ValueError, KeyError, TypeError, AttributeError) as err:
            raise MappingInvalid("保存的列对应关系已损坏，无法使用：请在导入页面重新指定列。") from err
        check(mapping)
        return mapping


def _sheet_from_dict(raw: dict[str, Any]) -> SheetMapping:
    return SheetMapping(
        sheet=str(raw["sheet"]),
        layout=str(raw.get("layout", "table")),
        header_row=int(raw.get("header_row", 1)),
        header_rows=int(raw.get("header_rows", 1)),
        columns=[_column_from_dict(c) for c in raw.get("columns", [])],
        labels={str(k): str(v) for k, v in (raw.get("labels") or {}).items()},
        label_text={str(k): str(v) for k, v in (raw.get("label_text") or {}).items()},
        skip_rows=sorted({int(r) for r in raw.get("skip_rows") or []}),
        note=str(raw.get("note") or ""),
    )


def _column_from_dict(raw: dict[str, Any]) -> Column:
    period = raw.get("period")
    return Column(
        str(raw["letter"]), str(raw["field"]), str(raw.get("header") or ""), None if period is None else str(period)
    )


def check(mapping: Mapping) -> None:
    """MappingInvalid when the mapping names a source, layout, column or cell that cannot be, or maps
    one column to two fields."""
    if mapping.source not in SOURCES:
        raise MappingInvalid(f"列对应关系的文件类型「{mapping.source}」无法识别：只能是历史考核表或花名册。")
    if not mapping.sheets or len(mapping.sheets) > MAX_SHEETS:
        raise MappingInvalid("列对应关系里没有工作表（或工作表过多）：请重新指定列。")
    for s in mapping.sheets:
        where = f"工作表「{s.sheet}」"
        if s.layout not in LAYOUTS:
            raise MappingInvalid(f"{where}的读取方式「{s.layout}」无法识别：请重新指定列。")
        if not (1 <= s.header_row <= 100_000 and s.header_rows in (1, 2) and s.header_row >= s.header_rows):
            raise MappingInvalid(f"{where}的表头行号 {s.header_row} 不对：请选择表头所在的行。")
        letters = [c.letter for c in s.columns if c.period is None]
        if len(set(letters)) != len(letters):
            raise MappingInvalid(f"{where}里有一列被指定给了两个字段：每列只能对应一个字段。")
        for c in s.columns:
            if not re.fullmatch(r"[A-Z]{1,3}", c.letter) or not _FIELD_NAME.match(c.field):
                raise MappingInvalid(f"{where}的列「{c.letter}」或字段「{c.field}」无法识别：请重新指定列。")
        for f, cell in s.labels.items():
            if not _CELL.match(cell) or not _FIELD_NAME.match(f):
                raise MappingInvalid(f"{where}的单元格「{cell}」无法识别：请写成 B3 这样的单元格地址。")
        if s.layout == "form" and not any(c.field == "kpi" for c in s.columns):
            raise MappingInvalid(f"{where}是个人考核表，需要指定「指标」列：每个考核项是指标列里的一行。")
        if s.layout in READ and not (
            {"employee_id", "name"} & ({c.field for c in s.columns} | set(s.labels))
        ):  # fmt: skip
            raise MappingInvalid(f"{where}没有指定「工号」或「姓名」：至少要指定其中一个，才能知道每行是谁。")


# ---- detection → Mapping → plans ----------------------------------------------------------------


@dataclass
class PlannedSheet:
    """What a Mapping says about one sheet, ready for a source's plan: the grid to read (rows to skip
    blanked), its layout, its header (``table``) or form, and a note for people."""

    grid: Grid
    layout: str
    table: Table | None = None
    note: str = ""
    form: Form | None = None

    @property
    def headers(self) -> dict[str, str]:
        """field -> header text of every column of the table (a form's item table), for reject columns."""
        return {c.field: c.header for c in self.table.columns} if self.table is not None else {}


def mapping_of_plans(plans: list[Any], source: str = "legacy") -> Mapping:
    """The Mapping detection produced: one sheet per plan (objects with grid, layout, table, note, form)."""
    sheets = []
    for p in plans:
        sm = SheetMapping(p.grid.name, p.layout, note=p.note)
        if p.layout == "form" and p.form is not None and p.form.table is not None:
            _form_into(sm, p.grid, p.form)
        elif p.table is not None:
            sm.header_row, sm.header_rows = p.table.header_row + 1, p.table.header_rows
            sm.columns = list(p.table.columns)
        sheets.append(sm)
    return Mapping(source, sheets)


def _form_into(sm: SheetMapping, grid: Grid, form: Form) -> None:
    table = form.table
    assert table is not None
    sm.header_row = table.header_row + 1
    sm.columns = list(table.columns)
    rows = _rows(grid, FORM_SCAN_ROWS + 200)
    sm.found = dict(form.labels)
    for f, (value, r, label) in form.labels.items():
        cell = _value_cell(rows, r, f, value)
        if cell is not None:
            sm.labels[f] = cell
            sm.label_text[f] = label


def _value_cell(rows: list[list[str | None]], r: int, f: str, value: str) -> str | None:
    """Where a form's label value sits: on the label's row (beside it, or after the colon in the label's
    own cell) or just below it."""
    for rr in (r, r + 1):
        if rr >= len(rows):
            continue
        for c, text in enumerate(rows[rr]):
            if text is None:
                continue
            if text == value:
                return f"{column_letter(c)}{rr + 1}"
            m = _LABEL.match(text)
            if m and m.group(2) == value and match_header(m.group(1), FORM_INDEX) == f:
                return f"{column_letter(c)}{rr + 1}"
    return None


def planned_sheets(grids: list[Grid], mapping: Mapping) -> list[PlannedSheet]:
    """Each sheet of ``grids`` as ``mapping`` says to read it, in the file's order. A sheet the mapping
    does not name is skipped with a note (an empty one silently)."""
    out: list[PlannedSheet] = []
    for g in grids:
        sm = mapping.sheet_for(g)
        if sm is None:
            if g.frame.height and not g.error:
                out.append(PlannedSheet(g, "skip", note=f"工作表「{g.name}」不在列对应关系里，已跳过。"))
            continue
        if g.error and sm.layout in READ:
            out.append(PlannedSheet(g, "skip", note=f"工作表「{g.name}」无法读取，已跳过：{g.error}"))
            continue
        out.append(planned_sheet(g, sm))
    return out


def read_columns(sm: SheetMapping) -> list[Column]:
    """The columns as the sources read them: a legacy record's item score is the supervisor's, so 上级评分
    is read as 得分 when no 得分 column is mapped beside it."""
    if sm.letter("score") is not None:
        return [replace(c) for c in sm.columns]
    return [replace(c, field="score") if c.field == "manager_score" else replace(c) for c in sm.columns]


def planned_sheet(grid: Grid, sm: SheetMapping) -> PlannedSheet:
    """One sheet read as ``sm`` says."""
    if sm.layout == "skip":
        return PlannedSheet(grid, "skip", note=sm.note)
    grid = _without_rows(grid, sm.skip_rows)
    if sm.layout == "form":
        above = _rows(grid, sm.header_row - 1)
        title = " ".join(v for row in above for v in row if v and not is_label_text(v))  # as layout.py titles forms
        table = Table(sm.header_row - 1, 1, read_columns(sm), title)
        return PlannedSheet(grid, "form", table, sm.note, form=_form_of(grid, sm, table))
    top = _rows(grid, sm.header_row)
    first_header = sm.header_row - sm.header_rows
    title = " ".join(v for row in top[:first_header] for v in row if v)
    columns = [
        replace(c, header=c.header or _header_text(top, sm, c.letter) or FIELD_LABELS.get(c.field, c.field))
        for c in read_columns(sm)
    ]
    return PlannedSheet(grid, sm.layout, Table(sm.header_row - 1, sm.header_rows, columns, title), sm.note)


def fits(grid: Grid, sm: SheetMapping) -> bool:
    """Whether ``grid`` holds, on ``sm``'s header row, the header text of each column ``sm`` maps."""
    if grid.error or grid.frame.height < sm.header_row:
        return False
    top = _rows(grid, sm.header_row)
    named = [c for c in sm.columns if c.period is None and c.header]
    return bool(named) and all(_fold(_header_text(top, sm, c.letter)) == _fold(c.header) for c in named)


def _fold(text: str | None) -> str:
    return re.sub(r"\s+", "", text or "")


def _header_text(top: list[list[str | None]], sm: SheetMapping, letter: str) -> str | None:
    i = column_index(letter)
    rows = top[sm.header_row - sm.header_rows : sm.header_row]
    texts = [row[i] for row in rows if i < len(row) and row[i]]
    return " ".join(texts) if texts else None


def _form_of(grid: Grid, sm: SheetMapping, table: Table) -> Form:
    """The form as the mapping says: its label values (those detection read, else the mapping's label
    cells), read through pipelines.layout.read_form as detection reads forms."""
    labels = sm.found
    if labels is None:
        rows = _rows(grid, FORM_SCAN_ROWS + 200)
        labels = {}
        for f, cell in sm.labels.items():
            r, value = label_value(rows, cell, f)
            if value:
                labels[f] = (value, r, sm.label_text.get(f) or FIELD_LABELS.get(f, f))
    return read_form(grid, table, labels)


def label_value(rows: list[list[str | None]], cell: str, f: str) -> tuple[int, str | None]:
    """(grid row, value) of a label cell: its text, or what follows the colon when the cell holds the
    label too (「姓名：张三」)."""
    m = _CELL.match(cell)
    if m is None:
        return 0, None
    c, r = column_index(m.group(1)), int(m.group(2)) - 1
    text = rows[r][c] if r < len(rows) and c < len(rows[r]) else None
    if text is None:
        return r, None
    lm = _LABEL.match(text)
    if lm and match_header(lm.group(1), FORM_INDEX) == f:
        return r, lm.group(2) or None
    return r, text


def _rows(grid: Grid, n: int) -> list[list[str | None]]:
    return [[_text(v) for v in row] for row in grid.frame.head(n).rows()]


def _text(v: object) -> str | None:
    if v is None:
        return None
    s = str(v).strip()
    return s or None


def _without_rows(grid: Grid, rows: list[int]) -> Grid:
    """The grid with the Excel ``rows`` blanked, so staging drops them as it drops blank rows."""
    if not rows:
        return grid

    def blank(frame: pl.DataFrame) -> pl.DataFrame:
        if frame.width == 0:
            return frame
        hit = pl.int_range(pl.len()).is_in([r - 1 for r in rows])
        return frame.with_columns(pl.when(hit).then(None).otherwise(pl.col(c)).alias(c) for c in frame.columns)

    loader = grid.loader
    return replace(grid, frame=blank(grid.frame), loader=(lambda: blank(loader())) if loader else None)


def roster_sheet(grid: Grid, mapping: Mapping | None) -> tuple[Grid, Table | None]:
    """The roster header of a sheet: from ``mapping`` when given, else detection's, converted to a
    Mapping and back (the same code either way). The grid comes back with rows to skip blanked."""
    if mapping is None:
        table = find_table(grid)
        if table is None:
            return grid, None
        sm = SheetMapping(grid.name, "roster", table.header_row + 1, table.header_rows, list(table.columns))
        planned = planned_sheet(grid, sm)
        return planned.grid, planned.table
    sm = mapping.sheet_for(grid)
    if sm is None or sm.layout not in (*READ, "roster"):
        return grid, None
    planned = planned_sheet(grid, replace(sm, layout="roster"))
    return planned.grid, planned.table


# ---- shape key and saved mappings ---------------------------------------------------------------


def shape_key(grids: list[Grid], mapping: Mapping) -> str | None:
    """A stable hash of the file's shape as ``mapping`` reads it: the names of the sheets it reads and
    their header cells (whitespace folded). None when the file lacks one of those sheets."""
    by_name = {g.name: g for g in grids}
    parts: list[list[Any]] = []
    for sm in mapping.sheets:
        if sm.layout not in READ:
            continue
        if sm.sheet == EVERY_SHEET:  # the header every such sheet holds, whatever the sheets are called
            if not any(fits(g, sm) for g in grids):
                return None
            parts.append([EVERY_SHEET, sm.header_row, [[c.letter, _fold(c.header)] for c in sm.columns]])
            continue
        g = by_name.get(sm.sheet)
        if g is None:
            return None
        rows = _rows(g, sm.header_row)[sm.header_row - sm.header_rows : sm.header_row]
        cells = []
        for row in rows:
            texts = [re.sub(r"\s+", "", v) if v else "" for v in row]
            while texts and not texts[-1]:
                texts.pop()
            cells.append(texts)
        parts.append([sm.sheet, cells])
    if not parts:
        return None
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode("utf-8")).hexdigest()[:32]


def mapping_for_file(
    db: Database, grids: list[Grid], options: ImportOptions, source: str, notes: list[str]
) -> tuple[ImportOptions, str]:
    """The importer's hook: the mapping a file is read with and the source it names. A saved mapping
    named in ``options.mapping`` is loaded; with none given, a saved mapping of the file's shape is
    applied (and a note says so). Unchanged options and source when neither applies."""
    wanted = options.mapping
    if isinstance(wanted, str):
        row = import_mappings.mapping_named(db, wanted)
        if row is None:
            raise FileRefused(f"没有名为「{wanted}」的列对应关系：请检查名称，或在导入页面先指定并保存。")
        mapping = _saved(row)
        if shape_key(grids, mapping) is None:
            raise FileRefused(f"列对应关系「{mapping.name}」要读取的工作表在这个文件里没有：请确认文件，或重新指定列。")
    elif wanted is None:
        if source not in ("auto", *SOURCES):
            return options, source
        mapping = _matching(db, grids, source)
        if mapping is None:
            return options, source
    else:
        mapping = wanted
    if wanted is None or isinstance(wanted, str):
        notes.append(f"按已保存的对应关系「{mapping.name}」读取。")
    return replace(options, mapping=mapping), mapping.source


def _saved(row: dict[str, Any]) -> Mapping:
    mapping = Mapping.from_json(row["mapping"])
    mapping.name = row["name"]
    return mapping


def _matching(db: Database, grids: list[Grid], source: str) -> Mapping | None:
    for row in import_mappings.saved_mappings(db):
        if source != "auto" and row["source"] != source:
            continue
        try:
            mapping = _saved(row)
        except MappingInvalid:
            continue
        if shape_key(grids, mapping) == row["shape"]:
            return mapping
    return None
