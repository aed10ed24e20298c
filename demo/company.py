"""The demo company as data: its positions and people, the quarters of its history and the score
model that gives every person a result each quarter (department differences, persistent individual
effects, a drift over time and a few lenient and harsh raters). Pure: no I/O.

Names are random pairs of common characters; nothing here is real or personal.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

COMPANY_NAME = "演示机械制造有限公司"
ID_WIDTH = 6


@dataclass(frozen=True, slots=True)
class Kpi:
    """One KPI of the library: higher / lower (ratio against target), count (deductions) or rubric."""

    name: str
    category: str
    unit: str
    method: str
    target: float | str


COMMENTS = {
    "high": ("超额完成目标", "表现突出", "工作主动，成效显著", "可作为骨干培养"),
    "good": ("完成较好", "达到预期", "工作认真负责", "继续保持"),
    "mid": ("基本完成", "需加强沟通协调", "细节有待提升", "按计划推进"),
    "low": ("未达目标，需改进", "问题较多，需制定改进计划", "执行力不足"),
}


class Quarter(NamedTuple):
    """A calendar quarter."""

    year: int
    q: int

    @property
    def key(self) -> str:
        return f"{self.year}-Q{self.q}"

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, 3 * self.q - 2, 1)

    @property
    def end(self) -> dt.date:
        first_of_next = dt.date(self.year + (self.q == 4), 1 if self.q == 4 else 3 * self.q + 1, 1)
        return first_of_next - dt.timedelta(days=1)

    def previous(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.q == 1 else Quarter(self.year, self.q - 1)


def completed_quarters(years: int, today: dt.date) -> tuple[Quarter, ...]:
    """The 4 × ``years`` quarters ending with the last one completed before ``today``."""
    last = Quarter(today.year, (today.month - 1) // 3 + 1).previous()
    found = [last]
    while len(found) < 4 * years:
        found.append(found[-1].previous())
    return tuple(reversed(found))


@dataclass(frozen=True, slots=True)
class Position:
    """A position of one department and its KPIs with weights summing to 100."""

    department: str
    name: str
    role: str
    kpis: tuple[Kpi, ...]
    weights: tuple[int, ...]


@dataclass(slots=True)
class Employee:
    """A person of the demo company (and what drives their scores)."""

    employee_id: str
    name: str
    department: str
    position: Position
    manager_id: str | None
    hire_date: dt.date
    leave_date: dt.date | None
    effect: float
    slope: float

    @property
    def status(self) -> str:
        return "离职" if self.leave_date else "在职"


@dataclass(frozen=True, slots=True)
class Item:
    """One KPI line of an appraisal."""

    kpi: Kpi
    weight: int
    target: float | str
    actual: float | str
    score: float
    comment: str


@dataclass(frozen=True, slots=True)
class Appraisal:
    """One person's result for one quarter, rated by their direct manager."""

    employee: Employee
    quarter: Quarter
    rater_id: str | None
    items: tuple[Item, ...]
    total: float
    grade: str


def grade_of(total: float) -> str:
    """A ≥ 90, B ≥ 70, C below."""
    return "A" if total >= 90 else "B" if total >= 70 else "C"


@dataclass
class Company:
    """The demo company: org, hierarchy, the quarters of history and the score model's parameters."""

    seed: int
    departments: tuple[str, ...]
    positions: tuple[Position, ...]
    employees: list[Employee]
    quarters: tuple[Quarter, ...]
    department_effect: dict[str, float]
    rater_bias: dict[str, float]
    lenient: frozenset[str]
    harsh: frozenset[str]

    def size_of(self, department: str) -> int:
        return sum(1 for e in self.employees if e.department == department)

    def appraised(self, employee: Employee, quarter: Quarter) -> bool:
        """Whether the person was appraised that quarter: on board for most of it and not gone before its end."""
        if employee.hire_date > quarter.end - dt.timedelta(days=45):
            return False
        return employee.leave_date is None or employee.leave_date >= quarter.end

    def appraisals(self, quarter: Quarter, department: str | None = None) -> Iterator[Appraisal]:
        """The quarter's appraisals (of one department), in roster order; the same every call."""
        qi = self.quarters.index(quarter)
        for i, emp in enumerate(self.employees):
            if (department is None or emp.department == department) and self.appraised(emp, quarter):
                yield self._appraise(i, emp, qi)

    def all_appraisals(self) -> Iterator[Appraisal]:
        for quarter in self.quarters:
            yield from self.appraisals(quarter)

    def _appraise(self, index: int, emp: Employee, qi: int) -> Appraisal:
        # One generator per (seed, quarter, person): any subset is generated identically.
        rng = random.Random((self.seed * 1_000_003 + qi) * 10_000_019 + index)
        quarter = self.quarters[qi]
        bias = self.rater_bias.get(emp.manager_id or "", 0.0)
        level = (
            80.0 + self.department_effect[emp.department] + emp.effect + emp.slope * qi / 4 + bias + rng.gauss(0, 3.5)
        )
        pairs = list(zip(emp.position.kpis, emp.position.weights, strict=True))
        raws = [level + rng.gauss(0, 6) for _ in pairs]
        for _ in range(10):
            items = [_score_item(rng, kpi, weight, raw) for (kpi, weight), raw in zip(pairs, raws, strict=True)]
            weighted = sum(it.score * it.weight for it in items) / 100
            # totals stay within 40–110 and still add up from the items: move every item, not the total
            if 40.0 <= weighted <= 110.0:
                break
            shift = (110.0 - weighted - 0.5) if weighted > 110.0 else (40.0 - weighted + 0.5)
            raws = [r + shift for r in raws]
        total = round(weighted, 1)
        return Appraisal(emp, quarter, emp.manager_id, tuple(items), total, grade_of(total))


def _score_item(rng: random.Random, kpi: Kpi, weight: int, raw: float) -> Item:
    score = min(120.0, max(0.0, raw))
    target = kpi.target
    actual: float | str
    if kpi.method == "rubric":
        actual = "优秀" if score >= 95 else "良好" if score >= 85 else "合格" if score >= 72 else "待改进"
    elif kpi.method == "count":
        count = max(0, round((100 - score) / 10))
        score = max(0.0, 100.0 - 10 * count)
        actual = count
    elif kpi.unit == "%" and float(target) >= 80:
        # a rate near 100 %: a miss moves it a little; a higher-better rate cannot pass 100 %
        t = float(target)
        if kpi.method == "lower":
            actual = t + (100 - score) * t / 400
        elif score < 100:
            actual = t - (100 - score) * t / 400
        else:
            actual = t + (100 - t) * min(1.0, (score - 100) / 20)
        actual = _round_actual(kpi, actual)
    elif kpi.method == "lower":
        actual = _round_actual(kpi, float(target) * 100 / max(score, 30.0))
    else:
        actual = _round_actual(kpi, float(target) * score / 100)
    score = round(score, 1)
    comment = ""
    if rng.random() < 0.3:
        band = "high" if score >= 95 else "good" if score >= 85 else "mid" if score >= 70 else "low"
        comment = rng.choice(COMMENTS[band])
    return Item(kpi, weight, target, actual, score, comment)


def _round_actual(kpi: Kpi, value: float) -> float:
    if kpi.unit in ("家", "份", "件", "次", "项", "个", "条"):
        return float(round(value))
    return round(value, 2 if float(kpi.target) < 10 else 1)
