"""Find the shape of a sheet: where the header is, which column holds what, or the labels of a
per-person form. Works on the first rows only, so its cost does not grow with the file."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipelines.normalise import find_period_in_text, parse_period
from pipelines.workbook import Grid
from schemas.headers import (
    FORM_INDEX,
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


_HAS_YEAR = re.compile(r"(19|20|21)\d{2}|^\d{5}(\.0+)?$")


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
        if text is None:
            continue
        f = match_header(text, ALL_INDEX)
        if f is not None and low is not None and upper is not None and group is not None:
            gp = parse_period(group) or find_period_in_text(group)
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
        if sum(v is not None for v in row) < 2:
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


def is_total_row(values: list[str | None]) -> bool:
    """A totals/average row: its first non-empty cell is 合计, 总计, 平均 …"""
    first = next((v for v in values if v is not None and str(v).strip()), None)
    return first is not None and fold_header(first) in TOTAL_WORDS


# ---- per-person forms ---------------------------------------------------------------------------

_LABEL = re.compile(r"^\s*([^:：]{1,10}?)\s*[:：]\s*(.*?)\s*$")


@dataclass
class Form:
    """A per-person form sheet: label values (姓名, 工号, 月份 …) and its item table."""

    labels: dict[str, tuple[str, int, str]] = field(default_factory=dict)  # field -> (value, grid row, label)
    table: Table | None = None
    items_end: int = 0  # grid row after the last item row
    total: tuple[str, int] | None = None  # value and grid row of the 合计 row's score


def _item_table(grid: Grid) -> Table | None:
    table = None
    top = [[_cell_text(v) for v in row] for row in grid.frame.head(FORM_SCAN_ROWS).rows()]
    for r, row in enumerate(top):
        cols = _header_candidate(None, row, grid.letters)
        fields = {c.field for c in cols}
        if "kpi" in fields and fields & {"score", "actual"} and not fields & set(IDENTITY):
            table = Table(r, 1, cols)
            break
    return table


def _is_label(text: str) -> bool:
    m = _LABEL.match(text)
    return match_header(m.group(1) if m else text, FORM_INDEX) is not None


def find_form(grid: Grid) -> Form | None:
    """A per-person form: label cells naming the person above an item table (指标 + 得分/实际
    columns, no 工号/姓名 column). None when the sheet is not one. Remembered on the grid."""
    if "form" not in grid.found:
        grid.found["form"] = _find_form(grid)
    return grid.found["form"]  # type: ignore[return-value]


def _find_form(grid: Grid) -> Form | None:
    if grid.frame.height == 0:
        return None
    table = _item_table(grid)
    if table is None:
        return None
    rows = [[_cell_text(v) for v in row] for row in grid.frame.head(FORM_SCAN_ROWS + 200).rows()]
    form = Form(table=table)
    for r, row in enumerate(rows):
        if r == table.header_row:
            continue
        for c, cell in enumerate(row):
            if cell is None:
                continue
            m = _LABEL.match(cell)
            label, value = (m.group(1), m.group(2)) if m else (cell, "")
            f = match_header(label, FORM_INDEX)
            if f is None or (not m and r > table.header_row):
                continue
            if not m and not any(v is not None for v in row[c + 1 : c + 2]):
                continue
            if not value:
                nxt = next((v for v in row[c + 1 : c + 4] if v is not None), None)
                below = (
                    rows[r + 1][c] if r + 1 < len(rows) and c < len(rows[r + 1]) and r + 1 != table.header_row else None
                )
                if nxt is not None and not _is_label(nxt):
                    value = nxt
                elif below is not None and not _is_label(below):
                    value = below
            if value and f not in form.labels:
                form.labels[f] = (value, r, label)
    if not ({"name", "employee_id"} & form.labels.keys()):
        return None
    if any(row for f, (_, row, _) in form.labels.items() if f in IDENTITY and row > table.header_row):
        return None
    kpi_letter = table.letter("kpi")
    score_letter = table.letter("score")
    letters = grid.letters
    end = table.header_row + 1
    for r in range(table.header_row + 1, len(rows)):
        row = rows[r]
        if is_total_row(row):
            if score_letter is not None:
                value = row[letters.index(score_letter)]
                if value is not None:
                    form.total = (value, r)
            break
        kpi = row[letters.index(kpi_letter)] if kpi_letter else None
        if kpi is None:
            if any(v is not None for v in row) and _LABEL.match(next(v for v in row if v is not None)):
                break
            if not any(v is not None for v in row):
                break
            continue
        end = r + 1
    form.items_end = end
    return form
