"""Sheets that look like a roster but cannot be one: a list of people with 姓名 and personal columns
(性别, 身份证号, 所属战队 …) but no 工号, or a blank list template whose numbered rows name nobody.

The product keys every person by 工号 (DESIGN.md §3: employees.employee_id; appraisals, managers and
history hang on it) and never invents one, so such a sheet is refused with a sentence that says what
it holds and what to add. Instruction sheets (导入规则, 填写说明) are recognised so that the note for a
skipped sheet says what it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.workbook import Grid
from schemas.headers import ROSTER_INDEX, fold_header, header_label, match_header

SCAN_ROWS = 30
# header cells of a list of people beside their name; the sales team's 业务员 is a name column too
PERSON_HEADERS = (
    "性别", "年龄", "住址", "地址", "家庭住址", "户籍", "户籍地", "籍贯", "民族", "出生日期", "身份证号", "身份证号码",
    "身份证", "电话", "电话号码", "手机", "手机号", "手机号码", "学历", "失业保险编号", "社保编号", "所属战队", "战队",
    "团队", "小组", "大区", "区域",
)  # fmt: skip
NAME_HEADERS = ("业务员", "销售员", "销售人员")
INSTRUCTION_WORDS = ("说明", "规则", "必读", "须知", "注意事项", "填写指南")
_PERSON = {fold_header(w) for w in PERSON_HEADERS}
_NAMES = {fold_header(w) for w in NAME_HEADERS}


@dataclass(frozen=True)
class PeopleList:
    """A sheet listing people without 工号: its header (grid row, texts), the people named under it,
    and the departments (from a 部门 column, or a column without a header merged down)."""

    sheet: str
    header_row: int
    headers: tuple[str, ...]
    people: int
    numbered_rows: int
    departments: tuple[str, ...]
    blank_column: str | None
    title: str

    def refusal(self) -> str:
        """Why the file is not imported and what to add, in Chinese."""
        shown = "」「".join(self.headers[:6])
        where = f"「{self.sheet}」第 {self.header_row + 1} 行的表头是「{shown}」"
        if self.people == 0:
            titled = f"标题「{self.title}」，" if self.title else ""
            rows = f"{self.numbered_rows} 个编号行" if self.numbered_rows else "表头下面"
            return (
                f"这是一份空白的名单模板（{titled}{where}，{rows}都没有填姓名），没有任何人员，因此没有导入，"
                "也没有写入任何数据。员工花名册需要「工号」「姓名」「部门」列，每行一个人：请填好后再上传。"
            )
        depts = ""
        if self.departments:
            names = "、".join(self.departments[:4]) + ("等" if len(self.departments) > 4 else "")
            depts = f"，部门有 {names}"
            if self.blank_column:
                depts += f"（在没有表头的 {self.blank_column} 列，向下合并）"
        fix = f"，并给 {self.blank_column} 列加上表头「部门」" if self.blank_column else ""
        return (
            f"这份表像一份花名册（{where}，共 {self.people} 人{depts}），但没有「工号」列。系统按工号识别每一个人"
            "（考核、上级和历史记录都挂在工号上），不会替人编造工号，因此没有导入，也没有写入任何数据："
            f"请在表里加一列「工号」（每人一个、不重复）{fix}，再上传。"
        )


def is_instructions(grid: Grid) -> bool:
    """A sheet of instructions: named so (导入规则(必读), 填写说明), or nothing but a few long prose cells."""
    if any(w in grid.name for w in INSTRUCTION_WORDS):
        return True
    cells = [str(v) for row in grid.frame.head(SCAN_ROWS).rows() for v in row if v is not None and str(v).strip()]
    return 0 < len(cells) <= 3 and all(len(c) > 80 for c in cells)


def people_list(grid: Grid) -> PeopleList | None:
    """The sheet's list of people without 工号, or None when it holds none (or has a 工号 column)."""
    rows = [list(row) for row in grid.frame.head(SCAN_ROWS).rows()]
    for r, row in enumerate(rows):
        texts = [None if v is None or not str(v).strip() else str(v).strip() for v in row]
        folded = [fold_header(t) for t in texts]
        fields = [match_header(t, ROSTER_INDEX) if t else None for t in texts]
        if "employee_id" in fields:
            return None
        name_at = next(
            (i for i, (f, k) in enumerate(zip(fields, folded, strict=True)) if f == "name" or k in _NAMES), None
        )
        others = [i for i, k in enumerate(folded) if k in _PERSON or fields[i] == "department"]
        if name_at is None or not others:
            continue
        return _describe(grid, rows, r, texts, name_at, fields)
    return None


def _describe(grid: Grid, rows: list[list], r: int, texts: list[str | None], name_at: int, fields: list) -> PeopleList:
    below = [list(row) for row in grid.full().frame.slice(r + 1).rows()]
    people = sum(1 for row in below if name_at < len(row) and row[name_at] is not None and str(row[name_at]).strip())
    numbered = sum(1 for row in below if row and row[0] is not None and str(row[0]).strip().isdigit())
    dept_at = next((i for i, f in enumerate(fields) if f == "department"), None)
    blank = None
    if dept_at is None:  # a column without a header holding text beside the names: departments merged down
        for i, t in enumerate(texts[:name_at]):
            values = [row[i] for row in below if i < len(row) and row[i] is not None and str(row[i]).strip()]
            if t is None and values and not all(str(v).strip().isdigit() for v in values):
                dept_at, blank = i, grid.letters[i]
                break
    depts: tuple[str, ...] = ()
    if dept_at is not None:
        values = (str(row[dept_at]).strip() for row in below if dept_at < len(row) and row[dept_at] is not None)
        depts = tuple(dict.fromkeys(v for v in values if v))
    title = next((str(v).strip() for row in rows[:r] for v in row if v is not None and str(v).strip()), "")
    return PeopleList(
        grid.name, r, tuple(header_label(t) for t in texts if t), people, numbered, depts, blank, title[:40]
    )
