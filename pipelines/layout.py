"""Find the shape of a sheet: where the header is, which column holds what, or the labels of a
per-person form. Works on the first rows only, so its cost does not grow with the file."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipelines.form_labels import LabelCells, is_label_text, name_from_sheet, period_with_year, read_labels
from pipelines.normalise import find_period_in_text, parse_period
from pipelines.workbook import Grid
from schemas.headers import (
    LEGACY_INDEX,
    ROSTER_INDEX,
    TOTAL_ROW_WORDS,
    fold_header,
    match_header,
)

HEADER_SCAN_ROWS = 30
FORM_SCAN_ROWS = 60
IDENTITY = ("employee_id", "name")
NAME_PARTS = ("first_name", "last_name")  # a name in two columns (姓 / 名, First / Last name) names a person too
RESULT_FIELDS = ("score", "total", "grade")
ROSTER_ONLY = ("hire_date", "leave_date", "status", "parent_department", "first_name", "last_name", "is_key")
ALL_INDEX = {**ROSTER_INDEX, **LEGACY_INDEX}
TOTAL_WORDS = {fold_header(w) for w in TOTAL_ROW_WORDS}


@dataclass
class Column:
    """A data column: its Excel letter, the canonical field it holds, its header text, and for a
    period-wide layout the period its group header names."""

    letter: str
    field: str
    header: str
    period: str | None = None


@dataclass
class Table:
    """A header found in a sheet. Data starts on grid row ``header_row + 1``."""

    header_row: int
    header_rows: int
    columns: list[Column]
    title: str = ""

    @property
    def fields(self) -> set[str]:
        return {c.field for c in self.columns if c.period is None}

    @property
    def wide(self) -> list[Column]:
        return [c for c in self.columns if c.period is not None]

    def letter(self, name: str) -> str | None:
        for c in self.columns:
            if c.field == name and c.period is None:
                return c.letter
        return None

    def header_of(self, name: str) -> str:
        for c in self.columns:
            if c.field == name:
                return c.header
        return name

    @property
    def kind(self) -> str | None:
        """'legacy', 'roster' or None, from the fields the header names."""
        f = self.fields
        if not f & {*IDENTITY, *NAME_PARTS}:
            return None
        if f & set(RESULT_FIELDS) or self.wide:
            return "legacy"
        if f & set(ROSTER_ONLY) or {"department", "position", "manager"} & f:
            return "roster"
        return None


def _cell_text(v: object) -> str | None:
    if v is None:
        return None
    s = str(v).strip()
    return s or None


_HAS_YEAR = re.compile(r"(19|20|21)\d{2}")
# a header cell holding only a number (an Excel date serial such as 45383, a count) names no column;
# a year (2024) heads a period-wide group
_BARE_NUMBER = re.compile(r"^\s*(?!(19|20|21)\d{2}(\.0+)?\s*$)[+-]?\d+(\.\d+)?\s*$")


def _wide_field(text: str) -> tuple[str, str] | None:
    """'2024Q1' → ('score', '2024Q1'); '2024Q1得分' / '2024年第一季度 等级' → (field, period text)."""
    if not _HAS_YEAR.search(text) or len(text) > 40:
        return None
    if parse_period(text) is not None:
        return "score", text
    period = find_period_in_text(text)
    if period is None:
        return None
    rest = re.sub(
        r"(19|20|21)\d{2}\s*年?\s*(第)?\s*([qQ][1-4]|[一二三四1-4]\s*季度|(上|下)\s*半年|\d{1,2}\s*月份?|度)?", "", text
    )
    field_name = match_header(rest, LEGACY_INDEX) if fold_header(rest) else "score"
    if field_name in RESULT_FIELDS:
        return field_name, text
    return None


# a label cell (「员工姓名：」, 「小组：一组」): a form's label, never a column header
_LABEL_CELL = re.compile(r"^[^:：]{1,12}[:：]")


def _label_row(row: list[str | None]) -> bool:
    """A row of label cells (小组：/员工姓名：/评价时间：): never taken for a table header."""
    texts = [v for v in row if v is not None]
    labels = sum(bool(_LABEL_CELL.match(v)) for v in texts)
    return labels >= 2 and labels * 2 >= len(texts)


def _header_candidate(upper: list[str | None] | None, lower: list[str | None], letters: list[str]) -> list[Column]:
    """Columns named by one header row, or by two (upper row holding merged group cells)."""
    cols: list[Column] = []
    seen: set[str] = set()
    group: str | None = None
    for i, letter in enumerate(letters):
        low = lower[i] if i < len(lower) else None
        up = upper[i] if upper is not None and i < len(upper) else None
        if upper is not None:
            group = up if up is not None else group  # merged group cells hold their text top-left only
        text = low if low is not None else up
        if text is None or _BARE_NUMBER.match(text) or _LABEL_CELL.match(text):
            continue
        f = match_header(text, ALL_INDEX)
        if f is not None and low is not None and upper is not None and group is not None:
            # a bare number over the group (45383, a date serial in a General cell) names no period
            gp = None if _BARE_NUMBER.match(group) else parse_period(group) or find_period_in_text(group)
            if gp is not None and f in RESULT_FIELDS:
                cols.append(Column(letter, f, f"{group} {low}", group))
                continue
        if f is not None:
            if f not in seen:
                seen.add(f)
                cols.append(Column(letter, f, text))
            continue
        wide = _wide_field(text)
        if wide is not None:
            cols.append(Column(letter, wide[0], text, wide[1]))
    return cols


def _score(cols: list[Column]) -> int:
    fields = {c.field for c in cols if c.period is None}
    if not fields & {*IDENTITY, *NAME_PARTS}:
        return 0
    wide = {(c.period, c.field) for c in cols if c.period is not None}
    return len(fields) + min(len(wide), 8)


def find_table(grid: Grid, scan_rows: int = HEADER_SCAN_ROWS, *, start: int = 0) -> Table | None:
    """The best header in the first ``scan_rows`` rows (from ``start``): one row, or two rows with merged
    group cells above. None when no row names an identity column (工号 or 姓名) and one more field.
    Remembered on the grid: detection and planning ask the same question."""
    key = ("table", scan_rows, start)
    if key not in grid.found:
        grid.found[key] = _find_table(grid, scan_rows, start)
    return grid.found[key]  # type: ignore[return-value]


def _find_table(grid: Grid, scan_rows: int, start: int) -> Table | None:
    if grid.frame.height == 0:
        return None
    top = [[_cell_text(v) for v in row] for row in grid.frame.slice(start, scan_rows).rows()]
    letters = grid.letters
    best: tuple[int, int, int, list[Column]] | None = None  # (score, -rows, -r, cols)
    for r, row in enumerate(top):
        if sum(v is not None for v in row) < 2 or _label_row(row):
            continue
        for upper in [None] if r == 0 else [None, top[r - 1]]:
            cols = _header_candidate(upper, row, letters)
            sc = _score(cols)
            if sc < 2:
                continue
            rows = 1 if upper is None else 2
            cand = (sc, -rows, -r, cols)
            if best is None or cand[:3] > best[:3]:
                best = cand
    if best is None:
        return None
    sc, neg_rows, neg_r, cols = best
    r = -neg_r
    rows = -neg_rows
    title_rows = top[: r - rows + 1]
    title = " ".join(v for row in title_rows for v in row if v)
    return Table(start + r, rows, cols, title)


# ---- per-person forms ---------------------------------------------------------------------------

_BRACKETED = re.compile(r"[（(【\[][^）)】\]]*[）)】\]]")
# the row under the items that sums them (合计, 目标权重之和, 月度综合绩效得分 …)
_FORM_TOTAL = re.compile(
    r"(合计|总计|小计|之和|总和|总分|汇总)$|^(合计|总计)|综合.{0,6}(得分|评分)$|^最终(得分|评分|成绩)$"
)
_NUMBERISH = re.compile(r"^[\d.,\s%+-]+$")


@dataclass
class Form:
    """A per-person form sheet: label values (姓名, 工号, 月份 …) and its item table."""

    labels: dict[str, tuple[str, int, str]] = field(default_factory=dict)  # field -> (value, grid row, label)
    table: Table | None = None
    items_end: int = 0  # grid row after the last item row
    total: tuple[str, int] | None = None  # value and grid row of the 合计 row's score
    grade: tuple[str, int] | None = None  # the grade the 合计 row states, and its grid row
    self_total: tuple[str, int] | None = None  # the 合计 row's self-assessed total


def _form_field(text: str) -> str | None:
    """The item-table field a header cell names, also when it carries a remark in brackets
    (「目标（最多写5个）」)."""
    f = match_header(text, LEGACY_INDEX)
    if f is None and _BRACKETED.search(text):
        f = match_header(_BRACKETED.sub("", text), LEGACY_INDEX)
    return f


def _form_columns(row: list[str | None], letters: list[str]) -> list[Column]:
    """The columns an item-table header row names. Label cells and numbers are never column names;
    in an OKR-style form (目标 + 关键结果, no 指标) the objective is the item; a grade column in the item
    table grades the item, not the appraisal."""
    found: list[Column] = []
    for letter, text in zip(letters, row, strict=False):
        if text is None or is_label_text(text) or _NUMBERISH.match(text):
            continue
        f = _form_field(text)
        if f is not None:
            found.append(Column(letter, f, text))
    fields = [c.field for c in found]
    if "kpi" not in fields and fields.count("target") >= 2:
        first = next(c for c in found if c.field == "target")
        first.field = "kpi"
    if fields.count("kpi") >= 2 and "category" not in fields:
        # 考核项目 (工作业绩, merged over its rows) then 考核内容 (the item): the first groups the second
        first = next(c for c in found if c.field == "kpi")
        first.field = "category"
    cols: list[Column] = []
    seen: set[str] = set()
    for c in found:
        if c.field == "grade":
            c.field = "item_grade"
        if c.field not in seen:
            seen.add(c.field)
            cols.append(c)
    return cols


def _item_table(grid: Grid) -> Table | None:
    top = [[_cell_text(v) for v in row] for row in grid.frame.head(FORM_SCAN_ROWS).rows()]
    for r, row in enumerate(top):
        if sum(is_label_text(v) for v in row if v is not None) >= 2:
            continue  # a row of labels (小组：/员工姓名：/评价时间：) is never the header
        cols = _form_columns(row, grid.letters)
        fields = {c.field for c in cols}
        if "kpi" in fields and fields & {"score", "actual", "self_score"} and not fields & set(IDENTITY):
            title = " ".join(v for above in top[:r] for v in above if v and not is_label_text(v))
            return Table(r, 1, cols, title)
    return None


def find_form(grid: Grid) -> Form | None:
    """A per-person form: label cells naming the person (or a sheet named after them) above an item
    table (指标 + 得分/实际/自评 columns, no 工号/姓名 column). None when the sheet is not one.
    Remembered on the grid."""
    if "form" not in grid.found:
        grid.found["form"] = _find_form(grid)
    return grid.found["form"]  # type: ignore[return-value]


def _find_form(grid: Grid) -> Form | None:
    if grid.frame.height == 0:
        return None
    table = _item_table(grid)
    if table is None:
        return None
    form = read_form(grid, table)
    return form if {"name", "employee_id"} & form.labels.keys() else None


def read_form(grid: Grid, table: Table, labels: dict[str, tuple[str, int, str]] | None = None) -> Form:
    """A form sheet read with the item table ``table``: its labels (``labels`` when a mapping names them,
    else those found in the label cells), completed from the sheet name and 年度+月份, and its items up
    to the 合计 row with what that row states. Detection and a mapping (pipelines/mapping.py) both read
    forms through this."""
    rows = [[_cell_text(v) for v in row] for row in grid.frame.head(FORM_SCAN_ROWS + 200).rows()]
    form = Form(table=table)
    if labels is None:
        read_labels(form.labels, LabelCells(grid, rows), table.header_row)
    else:
        form.labels.update(labels)
    name_from_sheet(form.labels, grid.name)
    period_with_year(form.labels)
    _read_items(form, rows, grid.letters)
    return form


def is_form_total(text: str | None) -> bool:
    """The row summing a form's items: 合计, 目标权重之和, 月度综合绩效得分 …"""
    return text is not None and (fold_header(text) in TOTAL_WORDS or bool(_FORM_TOTAL.search(fold_header(text))))


def _read_items(form: Form, rows: list[list[str | None]], letters: list[str]) -> None:
    """Where the items end, and what the 合计 row under them states (total, grade, self total)."""
    table = form.table
    assert table is not None
    col = {c.field: letters.index(c.letter) for c in table.columns}
    kpi = col.get("kpi")
    end = table.header_row + 1
    for r in range(table.header_row + 1, len(rows)):
        row = rows[r]
        first = next((v for v in row if v is not None), None)
        if first is None:
            break
        if is_form_total(first):
            form.total = _total_cell(row, r, col)
            if (g := col.get("item_grade")) is not None and row[g] is not None:
                form.grade = (row[g], r)
            if (s := col.get("self_score")) is not None and row[s] is not None:
                form.self_total = (row[s], r)
            break
        if kpi is None or row[kpi] is None:
            if is_label_text(first):
                break
            continue
        end = r + 1
    form.items_end = end


def _total_cell(row: list[str | None], r: int, col: dict[str, int]) -> tuple[str, int] | None:
    """The total on the 合计 row: under the score column, else the last number on the row outside
    the weight, self-score and grade columns."""
    score = col.get("score")
    if score is not None and row[score] is not None:
        return row[score], r
    skip = {col.get(f) for f in ("weight", "self_score", "item_grade", "category_weight")}
    for c in range(len(row) - 1, -1, -1):
        v = row[c]
        if c in skip or v is None:
            continue
        if re.match(r"^\s*[\d.]+\s*分?\s*$", v):
            return v, r
    return None
