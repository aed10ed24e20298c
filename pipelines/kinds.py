"""What a file is before it is read as anything: attendance, leave records, sales exports, work logs,
departmental KPI tracking, KPI standards in a shape of their own, output statistics, pay sheets and
statistics tables are recognised first, so that none of them is ever loaded as an appraisal or a roster.

Until the data-feed work imports them, such a file is refused with a sentence that says what it looks
like, the evidence (which headers or cells), and where it will go. The evidence is of two sorts:

- words in the short cells of each visible sheet's first rows, in its name and in the file's name
  (考勤, 打卡, 请假 …);
- shapes: a row of day numbers 1…31 or of dates across the columns (a column per day), clock times in
  the cells, a punch log's rows (an id and a time), a column of 目标/实际/差异 beside a row of months,
  pairs of 权重/目标值 across the columns, grade-level columns (甲级 … 丁级) beside 计算公式, a header of
  nothing but counts (篇数, 次数 …), a header of 工号/姓名/金额, a header of English variable names
  without anyone's 工号 or 姓名.

A sheet that speaks of appraisal (绩效, 考核, 得分, 权重 …) as much as of attendance is left to the
appraisal and roster readers: an appraisal form may well hold an item called 出勤率. The shapes are looked
for only when no sheet's words decided, and each also asks that the sheet holds no appraisal result.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from pipelines.workbook import Grid
from schemas.headers import LEGACY_INDEX, ROSTER_INDEX, fold_header, match_header

HEAD_ROWS = 12  # rows of a sheet looked at for its words and its day row
TIME_ROWS = 40  # rows looked at for clock times, punch rows and 目标/实际 columns
SHORT_CELL = 30  # longer cells are prose (rubric wording, instructions), not headers

WORDS: dict[str, tuple[str, ...]] = {
    "attendance": ("考勤", "打卡", "签到", "签退", "出勤", "迟到", "早退", "缺卡", "旷工", "上班", "下班", "刷卡",
                   "clock in", "clock out", "check in", "check out", "attendance", "punch"),
    "leave": ("请假", "假期类型", "请假类型", "休假", "调休", "销假", "假别"),
    "sales": ("销售额", "销售金额", "订单号", "订单", "asin", "成交", "回款", "客户名称", "业务员"),
    "work_log": ("工作日志", "今日工作", "明日计划", "工作内容", "周工作", "工作汇总", "工作简述", "周报",
                 "weekly report"),
}  # fmt: skip
APPRAISAL_WORDS = ("绩效", "考核", "kpi", "得分", "评分", "权重", "自评", "等级", "指标", "总分")

NAMES = {
    "attendance": "考勤记录",
    "leave": "请假记录",
    "sales": "销售数据",
    "work_log": "工作日志（周报、日报）",
    "org_kpi": "部门/组织KPI跟踪表（各指标的目标与实际值，不是个人考核结果）",
    "kpi_standard": "KPI指标标准（指标的算法与评级标准，格式不是系统的指标库）",
    "output": "产出统计表（每人的产出数量，没有得分或等级）",
    "pay": "绩效工资（金额）表",
    "statistics": "数据分析用的数据表（列名是英文变量名，没有考核表或花名册需要的列）",
}
WHERE = {
    "attendance": "考勤数据将通过「数据接入」的考勤来源导入，用于考核中的出勤类指标",
    "leave": "请假记录将通过「数据接入」的考勤来源导入",
    "sales": "销售数据将通过「数据接入」的 CRM/销售来源导入，用于考核中的销售类指标",
    "work_log": "工作日志不是考核数据，将来可作为考核的附件参考",
    "org_kpi": "部门和组织指标的目标与实际值将通过「数据接入」的组织指标来源导入，用于看板上的组织指标",
    "kpi_standard": (
        "指标请用系统的指标库模板导入：在「指标库」页面点「下载指标库工作簿」，把这些指标填进「指标名称」「类别」"
        "「计分方法」等列（评级标准填在等级描述列，各岗位的权重和目标值填在「岗位模板」里），再上传"
    ),
    "output": "产出数量将来可通过「数据接入」导入为考核指标的实际值；它本身不是考核结果",
    "pay": "本系统不导入工资或奖金金额：考核结果可在系统里导出，交给薪资系统计算绩效工资",
    "statistics": (
        "考核表需要每行有工号或姓名、考核期间和得分或等级，花名册需要工号、姓名和部门：如果这些数据来自公司的"
        "人事系统，请导出带工号和姓名的版本再上传"
    ),
}
# the kinds whose file may yet be an appraisal a person mis-shaped: the refusal says how to force it
FORCEABLE = ("attendance", "leave", "sales", "work_log", "org_kpi", "output")

_TIME = re.compile(r"^(?:1899-12-3[01] |1900-01-0[01] )?([01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]([01]\d|2[0-3]):[0-5]\d(?::[0-5]\d)?$")
_MIDNIGHT = re.compile(r"[ T]00:00(?::00)?$")
_DATE = re.compile(r"^(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/]\d{1,2})(?: 00:00:00)?$|^\d{1,2}月\d{1,2}日$")
_SERIALS = range(36526, 55154)  # Excel date serials of 2000–2050: a header of them is a column per day
_PUNCH_ID = re.compile(r"^[A-Za-z0-9_-]{1,20}$")
_ASIN = re.compile(r"^B0[0-9A-Z]{8}$")
_MONTH = re.compile(r"^(1[0-2]|[1-9])\s*月份?$")
_TRACK_WORDS = ("目标", "实际", "差异", "差额", "目标值", "实际值", "目标金额", "实际金额", "完成率", "达成率")
_LEVEL = re.compile(r"^(?:[甲乙丙丁戊][级等]|[A-E]级|[一二三四五]级|[SABCD]档)$")
_STANDARD_HEADERS = ("计算公式", "计算方法", "数据来源", "目标值", "权重", "评分标准", "考核标准")
_LIBRARY_OWN = ("计分方法", "计分方式", "评分方法", "类别", "指标类别")  # the system's own 指标库 template
_COUNT = re.compile(r"(篇数|件数|个数|次数|人次|数量|點讚|点赞|产量|產量|达标数|采用数|阅读量|數量|時數|件數|次數)")
_MONEY = ("金额", "绩效工资", "绩效奖金", "奖金", "工资", "薪资", "应发", "实发", "提成")
_VARIABLE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
RESULTS = ("score", "total", "grade")
ALL_INDEX = {**ROSTER_INDEX, **LEGACY_INDEX}


@dataclass(frozen=True)
class Verdict:
    """A file recognised as ``kind`` (a key of :data:`NAMES`) on ``evidence`` (short phrases)."""

    kind: str
    evidence: tuple[str, ...]

    @property
    def message(self) -> str:
        """The refusal, in Chinese: what it looks like, why, where it will go, and that nothing was written."""
        shown = "；".join(self.evidence[:4])
        forced = (
            "如果它其实是考核表，请在上传时把文件类型选为「历史考核表」（命令行：--source legacy）再导入。"
            if self.kind in FORCEABLE
            else ""
        )
        return (
            f"这是一份{NAMES[self.kind]}（依据：{shown}），不是考核表或花名册，因此没有导入，也没有写入任何数据。"
            f"{WHERE[self.kind]}。{forced}"
        )


@dataclass
class _Sheet:
    """One read of a sheet's first rows: the cells with their column positions, and the short texts."""

    grid: Grid
    rows: list[list[tuple[int, str]]]  # per row: (column index, text) of the non-empty cells

    @property
    def head(self) -> list[list[str]]:
        return [[t for _, t in row] for row in self.rows[:HEAD_ROWS]]

    @property
    def short(self) -> list[str]:
        return [c for row in self.head for c in row if len(c) <= SHORT_CELL]


def _read(grid: Grid) -> _Sheet:
    rows = []
    for row in grid.frame.head(max(HEAD_ROWS, TIME_ROWS)).rows():
        rows.append([(i, s) for i, v in enumerate(row) if v is not None for s in [str(v).strip()] if s])
    return _Sheet(grid, rows)


def _words_in(texts: list[str], words: tuple[str, ...]) -> list[str]:
    lowered = [t.lower() for t in texts]
    return [w for w in words if any(w in t for t in lowered)]


def _fields(texts: list[str]) -> set[str]:
    return {f for t in texts if (f := match_header(t, ALL_INDEX)) is not None}


# ---- attendance shapes ----------------------------------------------------------------------------


def _day_row(rows: list[list[str]]) -> str | None:
    for row in rows:
        days = {int(c) for c in row if c.isdigit() and 1 <= int(c) <= 31}
        if len(days) >= 20:
            return f"表头有 1–31 日的日期列（{len(days)} 列）"
        dates = [c for c in row if _DATE.match(c) or (c.isdigit() and int(c) in _SERIALS)]
        if len(dates) >= 7:
            return f"表头每列一个日期（{len(dates)} 列，如「{dates[0]}」）"
    return None


def _is_time(c: str) -> bool:
    return bool(_TIME.match(c) or (_DATETIME.match(c) and not _MIDNIGHT.search(c)))


def _clock_times(rows: list[list[str]]) -> str | None:
    times = [c for row in rows for c in row if _is_time(c)]
    if len(times) >= 5:
        sample = times[0].removeprefix("1899-12-31 ")
        return f"单元格里是打卡时间（{len(times)} 个，如「{sample}」）"
    return None


def _punch_rows(rows: list[list[str]]) -> str | None:
    """A time clock's log: short rows, each an id first and a date with a time of day."""
    filled = [row for row in rows if row]
    punches = [row for row in filled if len(row) <= 8 and _PUNCH_ID.match(row[0]) and any(_is_time(c) for c in row)]
    if len(punches) >= 5 and len(punches) * 10 >= len(filled) * 8:
        first = punches[0]
        return f"每行是一个工号和一次打卡时间（如「{first[0]}」「{next(c for c in first if _is_time(c))}」）"
    return None


# ---- the other shapes -----------------------------------------------------------------------------


def _org_kpi(sheet: _Sheet) -> list[str]:
    """目标/实际/差异 written down one column beside a row of months, or pairs of 权重/目标值 across."""
    evidence = []
    month_rows = ([c for c in row if _MONTH.match(c)] for row in sheet.head)
    months = next((m for m in month_rows if len(set(m)) >= 6), None)
    by_column: dict[int, list[str]] = {}
    for row in sheet.rows:
        for i, text in row:
            if text in _TRACK_WORDS:
                by_column.setdefault(i, []).append(text)
    track = max(by_column.items(), key=lambda kv: len(kv[1]), default=None)
    if months and track and len(track[1]) >= 4 and len(set(track[1])) >= 2:
        seen = list(dict.fromkeys(track[1]))[:3]
        letter = sheet.grid.letters[track[0]]
        evidence.append(f"「{sheet.grid.name}」的 {letter} 列逐行写着「{'」「'.join(seen)}」")
        evidence.append(f"表头有按月的列（「{months[0]}」…「{months[-1]}」，{len(set(months))} 个月）")
    for row in sheet.head:
        weights, targets = row.count("权重"), sum(c in ("目标值", "目标") for c in row)
        if min(weights, targets) >= 4:
            evidence.append(
                f"「{sheet.grid.name}」有一行成对的「权重」「目标值」（{min(weights, targets)} 对，每对一个指标）"
            )
            first = next((r[0] for r in sheet.head if r and r is not row), None)
            if first and match_header(first, ALL_INDEX) is None:
                evidence.append(f"每行一个科室或部门（表头「{first}」）")
            break
    return evidence


def _kpi_standard(sheet: _Sheet) -> list[str]:
    for r, row in enumerate(sheet.head):
        levels = [c for c in row if _LEVEL.match(c)]
        has_kpi = any(fold_header(c) in ("kpi指标", "指标", "指标名称", "考核指标", "kpi", "kpi名称") for c in row)
        others = [c for c in row if c in _STANDARD_HEADERS]
        if len(levels) >= 3 and has_kpi and others and not any(c in _LIBRARY_OWN for c in row):
            shown = "」「".join([next(c for c in row if "指标" in c or "kpi" in c.lower()), *others[:3]])
            return [f"「{sheet.grid.name}」第 {r + 1} 行的表头有「{shown}」和评级标准列「{'」「'.join(levels)}」"]
    return []


def _output(sheet: _Sheet) -> list[str]:
    counts = [c for c in dict.fromkeys(sheet.short) if _COUNT.search(c) and match_header(c, ALL_INDEX) is None]
    if len(counts) >= 6:
        return [
            f"「{sheet.grid.name}」的表头是产出数量（「{'」「'.join(counts[:3])}」等 {len(counts)} 列），没有得分、等级或权重列"
        ]
    return []


def _pay(sheet: _Sheet) -> list[str]:
    for r, row in enumerate(sheet.head):
        fields = _fields(row)
        money = [c for c in row if fold_header(c) in _MONEY]
        if money and fields & {"employee_id", "name"} and len(row) <= 8:
            evidence = [f"「{sheet.grid.name}」的表头是「{'」「'.join(row)}」"]
            if not any(sheet.rows[r + 1 :]):
                evidence.append("只有表头，没有任何人的数据")
            return evidence
    return []


def _statistics(sheet: _Sheet) -> list[str]:
    """A header of English variable names (sales, new_customers, rating …) over rows nobody can be named in."""
    first = next((row for row in sheet.head if row), [])
    if len(first) < 4 or not all(_VARIABLE.match(c) for c in first) or len(sheet.rows) < 2:
        return []
    # data-science names (sales, new_customers, Happiness): not ID/TOTAL, A1/B1 or one-letter labels
    if sum(len(c) >= 3 and c != c.upper() for c in first) * 4 < len(first) * 3:
        return []
    fields = _fields(first)
    if fields & {"name", "first_name", "last_name", "department"}:
        return []
    if fields & {"employee_id"} and fields & (set(RESULTS) | {"period", "kpi"}):
        return []
    shown = "、".join(first[:6]) + ("…" if len(first) > 6 else "")
    evidence = [f"「{sheet.grid.name}」的表头是英文变量名（{shown}）"]
    rated = [c for c in first if match_header(c, ALL_INDEX) in RESULTS]
    if "employee_id" in fields:
        ids = next(c for c in first if match_header(c, ALL_INDEX) == "employee_id")
        evidence.append(f"有编号列「{ids}」，但没有姓名、部门、考核期间或考核结果列")
    elif rated:
        evidence.append(f"有评分列「{rated[0]}」，但没有工号或姓名列，无法知道每行是谁的评分")
    else:
        evidence.append("没有工号或姓名列，无法知道每行是谁")
    return evidence


SHAPES: tuple[tuple[str, Callable[[_Sheet], list[str]]], ...] = (
    ("org_kpi", _org_kpi),
    ("kpi_standard", _kpi_standard),
    ("pay", _pay),
    ("output", _output),
    ("statistics", _statistics),
)


def _holds_result(sheet: _Sheet) -> bool:
    """A header row naming an appraisal result (得分, 总分, 等级) beside a person, a weight or an item: the
    appraisal readers' file (a table or a form's item table), never one of the shapes."""
    return any(
        (f := _fields(row)) & set(RESULTS) and f & {"employee_id", "name", "weight", "kpi"} for row in sheet.head
    )


# ---- the verdict ----------------------------------------------------------------------------------


def _word_verdict(sheet: _Sheet, file_words: dict[str, list[str]], punch_log: bool) -> Verdict | None:
    grid = sheet.grid
    rows = sheet.head
    read = [[t for _, t in row] for row in sheet.rows]
    short = sheet.short
    appraisal = _words_in(short, APPRAISAL_WORDS)
    name_words = (
        {} if _words_in([grid.name], APPRAISAL_WORDS) else {k: _words_in([grid.name], w) for k, w in WORDS.items()}
    )
    best: Verdict | None = None
    best_score = 0
    for kind, words in WORDS.items():
        found = _words_in(short, words)
        evidence = [f"「{grid.name}」的表头有「{'」「'.join(found[:4])}」"] if found else []
        score = len(found) + (1 if file_words[kind] else 0)
        if file_words[kind]:
            evidence.append(f"文件名含「{file_words[kind][0]}」")
        if name_words.get(kind):
            evidence.append(f"工作表名「{grid.name}」含「{name_words[kind][0]}」")
            score += 1
        if kind == "attendance":
            day_row, times, punches = _day_row(rows), _clock_times(read[:TIME_ROWS]), _punch_rows(read[:TIME_ROWS])
            if day_row:  # a column per day is attendance's own shape
                evidence.append(day_row)
                score += 2
            if punches:  # an id and a punch time a row: a time clock's log
                evidence.append(punches + ("，考勤机导出的 .dat 文件" if punch_log else ""))
                score += 2
            elif times:  # clock times alone may be any timestamps: evidence beside another sign only
                evidence.append(times + ("，考勤机导出的 .dat 文件" if punch_log else ""))
                score += 1 + (1 if punch_log else 0)
        if kind == "sales":
            asins = [t for row in read for t in row if _ASIN.match(t)]
            if len(asins) >= 5:
                evidence.append(f"单元格里是亚马逊商品编号 ASIN（如「{asins[0]}」）")
                score += 1
        if score >= 2 and score > len(appraisal) and score > best_score:
            best, best_score = Verdict(kind, tuple(evidence)), score
    return best


def recognise_other(grids: list[Grid], file_name: str) -> Verdict | None:
    """The file's kind when it is one of :data:`NAMES` (see the module docstring); None when it may be an
    appraisal, a roster or a KPI library — or nothing known."""
    file_words = {kind: _words_in([file_name], words) for kind, words in WORDS.items()}
    if _words_in([file_name], APPRAISAL_WORDS):
        file_words = {kind: [] for kind in WORDS}  # 「考勤考核表」: the name is no evidence either way
    punch_log = file_name.lower().endswith(".dat")  # the text export of a ZKTeco-style time clock
    sheets = [_read(g) for g in grids if g.visible and g.error is None]
    verdicts = [v for s in sheets for v in [_word_verdict(s, file_words, punch_log)] if v]
    if verdicts:
        return max(verdicts, key=lambda v: len(v.evidence))
    if any(_holds_result(s) for s in sheets):
        return None
    for kind, shape in SHAPES:
        for s in sheets:
            if evidence := shape(s):
                return Verdict(kind, tuple(evidence))
    return None
