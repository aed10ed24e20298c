"""What HR tells the importer once for a whole file, on the upload screen or on the command line:
the period, year or department the file leaves out, whether unknown people are created or rejected,
and a saved column mapping to read it with. Every source's parse step is handed these; the load step
finds them on its batch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

UNKNOWN_PEOPLE = ("create", "reject")  # a 工号 the roster does not know: filed as 历史人员, or rejected


@dataclass(frozen=True)
class ImportOptions:
    """Answers HR gives once for a file (None: not given)."""

    period: str | None = None  # e.g. 2023-09, 2024Q1: for a file that names no period anywhere
    year: int | None = None  # for periods written as a month without a year (「三月…汇总.xlsx」)
    dept: str | None = None  # the department of every row that names none
    unknown_people: str = "create"
    # a saved mapping's name, or a mapping object (pipelines/mapping.py), to read the file with
    mapping: Any = None

    def __post_init__(self) -> None:
        if self.unknown_people not in UNKNOWN_PEOPLE:
            raise ValueError(f"unknown_people must be one of {UNKNOWN_PEOPLE}, not {self.unknown_people!r}")


DEFAULT = ImportOptions()
