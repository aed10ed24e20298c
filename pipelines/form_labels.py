"""The label cells of a per-person form: 「姓名：张三」, 「姓名」 beside or above 「张三」, a merged label
or value, several labels in one cell, a combined 「部门-姓名」 over 「装配部-张三」, the person named only
by the sheet, and 年度 beside 月份. pipelines.layout finds the form; this reads what its labels say."""

from __future__ import annotations

import re

from pipelines.workbook import Grid, column_index
from schemas.headers import FORM_INDEX, match_header

# field -> (value, grid row, the label as written); grid row -1: taken from the sheet name
Labels = dict[str, tuple[str, int, str]]
PERSON = ("employee_id", "name")
_NUMBERISH = re.compile(r"^[\d.,\s%+-]+$")

_LABEL = re.compile(r"^\s*([^:：]{1,12}?)\s*[:：]\s*(.*?)\s*$", re.S)
# several labels in one cell: 「员工姓名：丁新松    工号：100051    评估月份：2026年01月」
_LABEL_GAP = re.compile(r"(?:\s{2,}|\u3000+)(?=[^\s:：]{1,12}\s*[:：])")
_COMBINED = re.compile(r"\s*[-－—/／、|]\s*")
# text that cannot be a person's name in a sheet name
_NOT_A_NAME = re.compile(
    r"(表|汇总|考核|绩效|统计|分析|模板|说明|sheet|目标|明细|结果|评分|评估|数据|指标|车间|中心|公司)|[部科组室处队班线]$",
    re.I,
)
# what a sheet named after a person adds to the name: the period, 绩效考核表 …
_SHEET_NAME_EXTRA = re.compile(
    r"((19|20|21)\d{2}\s*年?\s*(第?[一二三四1-4]\s*季度|[qQ][1-4]|\d{1,2}\s*月份?)?|[qQ][1-4]|\d{1,2}\s*月份?)"
    r"|的?(个人)?(月度|季度|年度|年终)?(绩效|考核|评估|评价)+(表|单)?$"
)
_PERSON_NAME = re.compile(r"^[\u4e00-\u9fff·]{2,5}$")


def is_label_text(text: str | None) -> bool:
    """A label cell rather than a header or a value: 「小组：」「员工姓名：张三」."""
    return text is not None and bool(_LABEL.match(text)) and not _NUMBERISH.match(text)


def _cell_labels(text: str) -> list[tuple[str, str]]:
    """(label, value) pairs of one cell: 「姓名：张三」, 「姓名：」 (value elsewhere), several labels in
    one cell; a cell without a colon is (text, '') — a label only if it names a field."""
    parts = _LABEL_GAP.split(text.strip()) if text.count("：") + text.count(":") > 1 else [text]
    out = []
    for part in parts:
        m = _LABEL.match(part)
        out.append((m.group(1), m.group(2)) if m else (part.strip(), ""))
    return out


def label_fields(label: str) -> list[str]:
    """The form fields a label names: one (「姓名」), or several in a combined label (「部门-姓名」,
    「部门/姓名」) whose value holds them in the same order; [] when it names none."""
    f = match_header(label, FORM_INDEX)
    if f is not None:
        return [f]
    parts = [p for p in _COMBINED.split(label.strip()) if p]
    if len(parts) < 2:
        return []
    fields = [match_header(p, FORM_INDEX) for p in parts]
    if any(x is None for x in fields) or len(set(fields)) < len(fields):
        return []
    return [x for x in fields if x is not None]


def _is_label(text: str) -> bool:
    return any(label_fields(label) for label, _ in _cell_labels(text))


class LabelCells:
    """The first rows of a sheet as text, with merged ranges, to find label values."""

    def __init__(self, grid: Grid, rows: list[list[str | None]]):
        self.rows = rows
        self.first_col = column_index(grid.letters[0]) if grid.letters else 0
        self.spans = {(r0, c0 - self.first_col): (r1, c1 - self.first_col) for r0, c0, r1, c1 in grid.merged}

    def at(self, r: int, c: int) -> str | None:
        return self.rows[r][c] if 0 <= r < len(self.rows) and 0 <= c < len(self.rows[r]) else None

    def right_of(self, r: int, c: int) -> str | None:
        """The first value right of the cell (past its own merged range), within three cells."""
        end = self.spans.get((r, c), (r, c))[1]
        return next((v for v in self.rows[r][end + 1 : end + 4] if v is not None), None)

    def below(self, r: int, c: int) -> str | None:
        """The value under the cell (past its own merged range)."""
        return self.at(self.spans.get((r, c), (r, c))[0] + 1, c)


def read_labels(labels: Labels, cells: LabelCells, header_row: int) -> None:
    """Label values above the item table (and inline 「label：value」 cells below it, such as 总分：)."""
    for r, row in enumerate(cells.rows):
        if r == header_row:
            continue
        for c, cell in enumerate(row):
            if cell is None:
                continue
            for label, value in _cell_labels(cell):
                fields = label_fields(label)
                inline = bool(value) or cell.rstrip().endswith(("：", ":"))
                if (
                    not fields
                    or (r > header_row and not inline)
                    or (len(fields) == 1 and fields[0] in PERSON and r > header_row)
                ):
                    continue
                if not value:
                    value = _label_value(cells, r, c, header_row) or ""
                if not value:
                    continue
                values = [value] if len(fields) == 1 else [p for p in _COMBINED.split(value) if p]
                if len(values) != len(fields):
                    continue
                for f, v in zip(fields, values, strict=True):
                    if f not in labels:
                        labels[f] = (v, r, label)


def _label_value(cells: LabelCells, r: int, c: int, header_row: int) -> str | None:
    """The value of a label written without its value: the cell to the right (or past a merged
    label), else the cell below — never another label, nor the item table's header."""
    right = cells.right_of(r, c)
    if right is not None and not _is_label(right):
        return right
    below_row = cells.spans.get((r, c), (r, c))[0] + 1
    below = cells.below(r, c)
    if below is not None and below_row != header_row and below_row < header_row and not _is_label(below):
        return below
    return None


def name_from_sheet(labels: Labels, sheet: str) -> None:
    """The person named only by the sheet (「装配-张三」, 「张三」) when no label names them."""
    if {"name", "employee_id"} & labels.keys():
        return
    bare = _SHEET_NAME_EXTRA.sub(" ", sheet.strip())
    parts = [p for p in re.split(r"[-－—_ ·、()（）]+", bare) if p]
    if not parts:
        return
    name = parts[-1]
    if not _PERSON_NAME.match(name) or _NOT_A_NAME.search(name):
        return
    labels["name"] = (name, -1, "工作表名")
    if len(parts) >= 2 and "department" not in labels:
        labels["department"] = (parts[0], -1, "工作表名")


def period_with_year(labels: Labels) -> None:
    """年度：2026 beside 月份：1 names 2026年1月; a year alone names the year."""
    year = labels.pop("year", None)
    if year is None:
        return
    period = labels.get("period")
    y = re.sub(r"\D", "", year[0].split(".")[0])
    if period is None:
        labels["period"] = (f"{y}年", year[1], year[2])
    elif not re.search(r"(19|20|21)\d{2}", period[0]):
        m = re.sub(r"[月份\s]", "", period[0]).split(".")[0]
        labels["period"] = (f"{y}年{m}月" if m.isdigit() else f"{y}年{period[0]}", period[1], period[2])
