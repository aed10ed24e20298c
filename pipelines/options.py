"""What HR tells the importer once for a whole file, on the upload screen or on the command line:
the period, year or department the file leaves out, whether unknown people are created or rejected,
and a saved column mapping to read it with. Every source's parse step is handed these; the load step
finds them on its batch. The importer adds the grade words HR keeps (core/grade_words.py), so parse
reads them without a database."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipelines.normalise import MAX_YEAR, MIN_YEAR, parse_period

UNKNOWN_PEOPLE = ("create", "reject")  # a 工号 the roster does not know: filed as 历史人员, or rejected
MAX_DEPT = 60  # characters of a department's name


@dataclass(frozen=True)
class ImportOptions:
    """Answers HR gives once for a file (None: not given)."""

    period: str | None = None  # e.g. 2023-09, 2024Q1: for a file that names no period anywhere
    year: int | None = None  # for periods written as a month without a year (「三月…汇总.xlsx」)
    dept: str | None = None  # the department of every row that names none
    unknown_people: str = "create"
    # a saved mapping's name, or a mapping object (pipelines/mapping.py), to read the file with
    mapping: Any = None
    # (word folded upper-case without spaces, grade) pairs HR keeps; None: the defaults of normalise.GRADE_WORDS
    grade_words: tuple[tuple[str, str], ...] | None = None
    # the company's grade names (系统设置), best first; None: S–E only
    grades: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.unknown_people not in UNKNOWN_PEOPLE:
            raise ValueError(f"unknown_people must be one of {UNKNOWN_PEOPLE}, not {self.unknown_people!r}")

    @property
    def period_key(self) -> str | None:
        """The canonical key of :attr:`period` (2023-09 → 2023-M09), None when not given or not a period."""
        found = parse_period(self.period) if self.period else None
        return found.key if found else None

    @property
    def year_for_months(self) -> int | None:
        """The year a month or quarter written without one belongs to: the given year, else the year of
        the given period."""
        if self.year is not None:
            return self.year
        found = parse_period(self.period) if self.period else None
        return found.year if found else None


def option_problems(options: ImportOptions) -> list[str]:
    """Each answer that cannot be used, as a Chinese sentence saying how to write it (empty: all good)."""
    problems = []
    if options.period is not None and parse_period(options.period) is None:
        problems.append(
            f"填写的考核期间「{options.period}」无法识别：请写成 2023-09（月）、2024Q1（季度）、2024H1（半年）或 2024（年度）。"
        )
    if options.year is not None and not MIN_YEAR <= options.year <= MAX_YEAR:
        problems.append(f"填写的年份「{options.year}」不对：请写四位年份，如 2024。")
    if options.dept is not None and (not options.dept.strip() or len(options.dept.strip()) > MAX_DEPT):
        problems.append(f"填写的部门名称为空或超过 {MAX_DEPT} 个字：请填写部门名称，如 装配部。")
    return problems


DEFAULT = ImportOptions()
