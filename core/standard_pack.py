"""The standard KPI pack of the demo company: one quantified library entry per KPI the seed's 47
positions use, and each position's weighted template (DESIGN.md §4, issue 4 part 5).

Pure data built from ``core.demo``'s KPI list, so the templates carry exactly the KPIs and weights the
demo history was scored on: a quality inspector's 日均完成抽检 (higher is better, target 200 件)
and 漏检率 (lower is better, target 0.5 %), a sales rep's 回款率, production's 一次交检合格率, and
behavioural rubrics with five anchored levels.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from core.demo import KPI_LIBRARY, Company
from core.export import excel_bytes

CATEGORY_CODES = {"业绩类": "performance", "职能类": "functional", "行为类": "behavioural"}
DEDUCTION_STEP = 10.0  # points per counted event (差错、违规 …)

# Five anchored levels for the behavioural KPIs (1 lowest … 5 highest).
RUBRICS: dict[str, tuple[str, str, str, str, str]] = {
    "团队建设": (
        "团队目标不清，骨干流失，无培养安排",
        "目标已分解但跟进少，培养停留在口头",
        "目标清楚，按计划开展培训和辅导，团队基本稳定",
        "团队目标层层落实，骨干有梯队，成员能力明显提升",
        "打造标杆团队，培养出可接任的骨干，经验在公司推广",
    ),
    "团队协作": (
        "推诿扯皮，影响其他岗位工作",
        "被动配合，需要多次催办",
        "按要求配合，及时响应同事请求",
        "主动补位，跨岗位解决问题",
        "牵头跨部门协作，带动团队整体效率提升",
    ),
    "工作纪律": (
        "多次违反考勤或作业纪律，受到书面警告",
        "偶有迟到早退或违反作业规程",
        "遵守考勤和作业规程，无违纪记录",
        "严守纪律并提醒、带动身边同事",
        "纪律标杆，主动发现并纠正现场隐患",
    ),
}

SOURCE_WORDS = (
    ("sales", ("销售", "回款", "客户开发", "订单")),
    ("crm", ("客户满意", "客户拜访", "客户投诉", "线索")),
    ("finance", ("收入", "利润", "成本", "费用", "资金", "应收", "财务", "凭证", "存货", "工资", "毛利")),
    ("attendance", ("纪律",)),
)


@dataclass(frozen=True)
class LibraryKpi:
    """One library entry of the standard pack."""

    name: str
    category: str
    unit: str
    direction: str  # higher | lower
    method: str  # linear | lower_better | deduction | rubric
    data_source: str
    description: str
    rubric: tuple[str, ...] | None = None
    deduction_step: float | None = None


@dataclass(frozen=True)
class TemplateItem:
    """One KPI of a position's template with its weight and its floor / target / stretch."""

    department: str
    position: str
    kpi: str
    weight: float
    target: float | None
    floor: float | None
    stretch: float | None


def _data_source(name: str) -> str:
    for source, words in SOURCE_WORDS:
        if any(w in name for w in words):
            return source
    return "manual"


def library() -> list[LibraryKpi]:
    """Every KPI of the pack, in the demo list's order."""
    out = []
    for name, (category, unit, kind, target) in KPI_LIBRARY.items():
        if kind == "rubric":
            out.append(LibraryKpi(name, category, unit, "higher", "rubric", _data_source(name),
                                  f"按五级行为锚定评分：{RUBRICS[name][2]}为合格。", rubric=RUBRICS[name]))  # fmt: skip
        elif kind == "count":
            out.append(LibraryKpi(name, category, unit, "lower", "deduction", _data_source(name),
                                  f"每发生 1 次扣 {DEDUCTION_STEP:g} 分，扣完为止。", deduction_step=DEDUCTION_STEP))  # fmt: skip
        elif kind == "lower":
            out.append(LibraryKpi(name, category, unit, "lower", "lower_better", _data_source(name),
                                  f"越低越好：目标 {target:g}{unit}。"))  # fmt: skip
        else:
            out.append(LibraryKpi(name, category, unit, "higher", "linear", _data_source(name),
                                  f"越高越好：目标 {target:g}{unit}。"))  # fmt: skip
    return out


def anchors(kind: str, unit: str, target: float) -> tuple[float | None, float | None, float | None]:
    """(floor, target, stretch) for a target: a rate near 100 % moves a little, other numbers by 20 %."""
    if kind in ("count", "rubric"):
        return None, (0.0 if kind == "count" else None), None
    if unit == "%" and target >= 80:
        if kind == "lower":
            return round(target * 1.1, 2), target, round(target * 0.95, 2)
        return (
            round(max(target - 10, 0), 2),
            target,
            round(target + (110 - target if target >= 100 else min(5, 100 - target)), 2),
        )
    if kind == "lower":
        return round(target * 1.5, 2), target, round(target * 0.7, 2)
    return round(target * 0.8, 2), target, round(target * 1.2, 2)


# The standard split of a template's 100 points between the categories; inside HR's default bands
# (业绩类 50–70 %, 职能类 10–40 %, 行为类 10–30 %).
CATEGORY_SHARES = {"业绩类": 60, "职能类": 25, "行为类": 15}
# Every template holds all three categories. A position without a behavioural KPI gets one (heads are
# rated on team building, others on discipline), one without a functional KPI the follow-up of assigned
# tasks.
FUNCTIONAL_FILLER = "督办事项按时完成率"
BEHAVIOUR_FILLER = {"gm": "团队建设", "vp": "团队建设", "head": "团队建设", "lead": "团队协作", "staff": "工作纪律"}


def _split(total: int, parts: list[float], step: int = 5) -> list[int]:
    """``total`` split in proportion to ``parts`` in multiples of ``step`` (each at least one step),
    rounded by largest remainder so the pieces add up exactly."""
    units = total // step
    base = [1] * len(parts)
    spare = units - len(parts)
    raw = [p / sum(parts) * spare for p in parts]
    floors = [int(r) for r in raw]
    order = sorted(range(len(parts)), key=lambda i: raw[i] - floors[i], reverse=True)
    for i in order[: spare - sum(floors)]:
        floors[i] += 1
    return [(b + f) * step for b, f in zip(base, floors, strict=True)]


def templates(company: Company) -> list[TemplateItem]:
    """Each position's standard template: its KPIs (plus one of each category it had none of), the
    categories weighted 60 / 25 / 15 and each category's points split as the seed weighted them."""
    out = []
    # a position without a performance KPI takes its department head's first one
    head_performance = {
        p.department: next(k.name for k in p.kpis if KPI_LIBRARY[k.name][0] == "业绩类")
        for p in company.positions
        if p.role in ("gm", "head")
    }
    for pos in company.positions:
        chosen = [(k.name, float(w), k.target) for k, w in zip(pos.kpis, pos.weights, strict=True)]
        fillers = {
            "业绩类": head_performance[pos.department],
            "职能类": FUNCTIONAL_FILLER,
            "行为类": BEHAVIOUR_FILLER[pos.role],
        }
        for category, filler in fillers.items():
            if not any(KPI_LIBRARY[n][0] == category for n, _, _ in chosen):
                chosen.append((filler, 10.0, KPI_LIBRARY[filler][3]))
        weights: dict[str, int] = {}
        for category, share in CATEGORY_SHARES.items():
            members = [(n, w) for n, w, _ in chosen if KPI_LIBRARY[n][0] == category]
            if members:
                weights.update(zip([n for n, _ in members], _split(share, [w for _, w in members]), strict=True))
        for name, _, target in chosen:
            _, unit, kind, _ = KPI_LIBRARY[name]
            value = None if kind == "rubric" else float(target)
            floor, value, stretch = anchors(kind, unit, value) if value is not None else (None, None, None)
            out.append(TemplateItem(pos.department, pos.name, name, float(weights[name]), value, floor, stretch))
    return out


def write_pack_workbook(path: Path, company: Company, valid_from: dt.date) -> Path:
    """The pack as the library workbook HR edits and imports (指标库 + 岗位模板 sheets, the column
    titles of :mod:`pipelines.kpi_library`), its templates in force from ``valid_from``."""
    from pipelines.kpi_library import LIBRARY_FIELDS, LIBRARY_TITLES, TEMPLATE_FIELDS, TEMPLATE_TITLES

    kpis = library()
    lib = {
        "kpi_id": [None] * len(kpis), "name": [k.name for k in kpis], "category": [k.category for k in kpis],
        "unit": [k.unit for k in kpis], "direction": [k.direction for k in kpis], "method": [k.method for k in kpis],
        "data_source": [k.data_source for k in kpis], "description": [k.description for k in kpis],
        **{f"level{n}": [k.rubric[n - 1] if k.rubric else None for k in kpis] for n in range(1, 6)},
        "deduction_step": [k.deduction_step for k in kpis], "status": ["active"] * len(kpis),
    }  # fmt: skip
    staffed = {(e.department, e.position.name) for e in company.employees}  # positions the roster holds
    items = [i for i in templates(company) if (i.department, i.position) in staffed]
    tpl = {
        "department": [i.department for i in items], "position": [i.position for i in items],
        "version": [None] * len(items), "valid_from": [valid_from.isoformat()] * len(items),
        "kpi_id": [None] * len(items), "kpi": [i.kpi for i in items], "weight": [i.weight for i in items],
        "target": [i.target for i in items], "floor": [i.floor for i in items], "stretch": [i.stretch for i in items],
    }  # fmt: skip
    sheets = {
        "指标库": pl.DataFrame({LIBRARY_TITLES[f]: lib[f] for f in LIBRARY_FIELDS}, strict=False),
        "岗位模板": pl.DataFrame({TEMPLATE_TITLES[f]: tpl[f] for f in TEMPLATE_FIELDS}, strict=False),
    }
    path.write_bytes(excel_bytes(sheets))
    return path
