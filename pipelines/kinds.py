"""What a file is before it is read as anything: attendance, leave records, sales exports and work logs are
recognised first, so that none of them is ever loaded as an appraisal or a roster.

Until the data-feed work imports them, such a file is refused with a sentence that says what it looks
like, the evidence (which headers or cells), and where it will go. The evidence is of two sorts:

- words in the short cells of each visible sheet's first rows and in the file's name (考勤, 打卡, 请假 …);
- the shape of attendance: a row of day numbers 1…31 or of dates across the columns (a column per day),
  or clock times in the cells (08:36, or a datetime with a time of day).

A sheet that speaks of appraisal (绩效, 考核, 得分, 权重 …) as much as of attendance is left to the
appraisal and roster readers: an appraisal form may well hold an item called 出勤率.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipelines.workbook import Grid

HEAD_ROWS = 12  # rows of a sheet looked at for its words and its day row
TIME_ROWS = 40  # rows looked at for clock times
SHORT_CELL = 30  # longer cells are prose (rubric wording, instructions), not headers

WORDS: dict[str, tuple[str, ...]] = {
    "attendance": ("考勤", "打卡", "签到", "签退", "出勤", "迟到", "早退", "缺卡", "旷工", "上班", "下班", "刷卡",
                   "clock in", "clock out", "check in", "check out", "attendance", "punch"),
    "leave": ("请假", "假期类型", "请假类型", "休假", "调休", "销假", "假别"),
    "sales": ("销售额", "销售金额", "订单号", "订单", "asin", "成交", "回款", "客户名称"),
    "work_log": ("工作日志", "今日工作", "明日计划", "工作内容"),
}  # fmt: skip
APPRAISAL_WORDS = ("绩效", "考核", "kpi", "得分", "评分", "权重", "自评", "等级", "指标", "总分")

NAMES = {"attendance": "考勤记录", "leave": "请假记录", "sales": "销售数据", "work_log": "工作日志"}
WHERE = {
    "attendance": "考勤数据将通过「数据接入」的考勤来源导入，用于考核中的出勤类指标",
    "leave": "请假记录将通过「数据接入」的考勤来源导入",
    "sales": "销售数据将通过「数据接入」的 CRM/销售来源导入，用于考核中的销售类指标",
    "work_log": "工作日志不是考核数据，将来可作为考核的附件参考",
}

_TIME = re.compile(r"^(?:1899-12-3[01] |1900-01-0[01] )?([01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]([01]\d|2[0-3]):[0-5]\d(?::[0-5]\d)?$")
_MIDNIGHT = re.compile(r"[ T]00:00(?::00)?$")
_DATE = re.compile(r"^(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/]\d{1,2})(?: 00:00:00)?$|^\d{1,2}月\d{1,2}日$")
_SERIALS = range(36526, 55154)  # Excel date serials of 2000–2050: a header of them is a column per day


@dataclass(frozen=True)
class Verdict:
    """A file recognised as ``kind`` (a key of :data:`NAMES`) on ``evidence`` (short phrases)."""

    kind: str
    evidence: tuple[str, ...]

    @property
    def message(self) -> str:
        """The refusal, in Chinese: what it looks like, why, where it will go, and that nothing was written."""
        shown = "；".join(self.evidence[:4])
        return (
            f"这是一份{NAMES[self.kind]}（依据：{shown}），不是考核表或花名册，因此没有导入，也没有写入任何数据。"
            f"{WHERE[self.kind]}。如果它其实是考核表，请在上传时把文件类型选为「历史考核表」（命令行：--source legacy）再导入。"
        )


def _cells(grid: Grid, rows: int) -> list[list[str]]:
    head = grid.frame.head(rows)
    return [[str(v).strip() for v in row if v is not None and str(v).strip()] for row in head.iter_rows()]


def _words_in(texts: list[str], words: tuple[str, ...]) -> list[str]:
    lowered = [t.lower() for t in texts]
    return [w for w in words if any(w in t for t in lowered)]


def _day_row(rows: list[list[str]]) -> str | None:
    for row in rows:
        days = {int(c) for c in row if c.isdigit() and 1 <= int(c) <= 31}
        if len(days) >= 20:
            return f"表头有 1–31 日的日期列（{len(days)} 列）"
        dates = [c for c in row if _DATE.match(c) or (c.isdigit() and int(c) in _SERIALS)]
        if len(dates) >= 7:
            return f"表头每列一个日期（{len(dates)} 列，如「{dates[0]}」）"
    return None


def _clock_times(rows: list[list[str]]) -> str | None:
    cells = [c for row in rows for c in row]
    times = [c for c in cells if _TIME.match(c) or (_DATETIME.match(c) and not _MIDNIGHT.search(c))]
    if len(times) >= 5:
        sample = times[0].removeprefix("1899-12-31 ")
        return f"单元格里是打卡时间（{len(times)} 个，如「{sample}」）"
    return None


def _sheet_verdict(grid: Grid, file_words: dict[str, list[str]], punch_log: bool) -> Verdict | None:
    read = _cells(grid, max(HEAD_ROWS, TIME_ROWS))  # one read of the sheet's first rows serves every test
    rows = read[:HEAD_ROWS]
    short = [c for row in rows for c in row if len(c) <= SHORT_CELL]
    appraisal = _words_in(short, APPRAISAL_WORDS)
    best: Verdict | None = None
    best_score = 0
    for kind, words in WORDS.items():
        found = _words_in(short, words)
        evidence = [f"「{grid.name}」的表头有「{'」「'.join(found[:4])}」"] if found else []
        score = len(found) + (1 if file_words[kind] else 0)
        if file_words[kind]:
            evidence.append(f"文件名含「{file_words[kind][0]}」")
        if kind == "attendance":
            day_row, times = _day_row(rows), _clock_times(read[:TIME_ROWS])
            if day_row:  # a column per day is attendance's own shape
                evidence.append(day_row)
                score += 2
            if times:  # clock times alone may be any timestamps: evidence beside another sign only
                evidence.append(times + ("，考勤机导出的 .dat 文件" if punch_log else ""))
                score += 1 + (1 if punch_log else 0)
        if score >= 2 and score > len(appraisal) and score > best_score:
            best, best_score = Verdict(kind, tuple(evidence)), score
    return best


def recognise_other(grids: list[Grid], file_name: str) -> Verdict | None:
    """The file's kind when it is attendance, leave records, a sales export or a work log (see the module
    docstring); None when it may be an appraisal, a roster or a KPI library — or nothing known."""
    file_words = {kind: _words_in([file_name], words) for kind, words in WORDS.items()}
    if _words_in([file_name], APPRAISAL_WORDS):
        file_words = {kind: [] for kind in WORDS}  # 「考勤考核表」: the name is no evidence either way
    punch_log = file_name.lower().endswith(".dat")  # the text export of a ZKTeco-style time clock
    verdicts = [
        v for g in grids if g.visible and g.error is None for v in [_sheet_verdict(g, file_words, punch_log)] if v
    ]
    if not verdicts:
        return None
    return max(verdicts, key=lambda v: len(v.evidence))
