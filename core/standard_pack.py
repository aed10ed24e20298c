"""The standard KPI pack: a quantified library of the KPIs a machinery maker uses, and the rule that
turns a position's KPIs and weights into its weighted template (DESIGN.md §4, issue 4 part 5).

Product content, importable on its own: the library is :data:`KPI_LIBRARY` below, and the templates are
built for any company that lists its positions (:class:`PackCompany`; the demo company is one). A quality
inspector's 日均完成抽检 (higher is better, target 200 件) and 漏检率 (lower is better, target 0.5 %), a
sales rep's 回款率, production's 一次交检合格率, and behavioural rubrics with five anchored levels.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import polars as pl

from core.export import excel_bytes
from schemas.headers import LIBRARY_FIELDS, LIBRARY_TITLES, TEMPLATE_FIELDS, TEMPLATE_TITLES

# name -> (category, unit, kind, default target); kind: higher / lower (against the target), count
# (deductions per event) or rubric (anchored levels)
KPI_LIBRARY: dict[str, tuple[str, str, str, float | str]] = {
    "年度销售收入达成率": ("业绩类", "%", "higher", 100),
    "利润总额达成率": ("业绩类", "%", "higher", 100),
    "重点项目完成率": ("业绩类", "%", "higher", 95),
    "分管部门KPI达成率": ("业绩类", "%", "higher", 100),
    "成本费用控制率": ("业绩类", "%", "lower", 100),
    "督办事项按时完成率": ("职能类", "%", "higher", 95),
    "会议纪要及时率": ("职能类", "%", "higher", 98),
    "行政费用控制率": ("业绩类", "%", "lower", 100),
    "后勤服务满意度": ("职能类", "分", "higher", 90),
    "文件归档及时率": ("职能类", "%", "higher", 98),
    "关键岗位到岗率": ("业绩类", "%", "higher", 95),
    "员工流失率": ("业绩类", "%", "lower", 8),
    "培训计划完成率": ("职能类", "%", "higher", 95),
    "人工成本控制率": ("业绩类", "%", "lower", 100),
    "招聘到岗及时率": ("业绩类", "%", "higher", 90),
    "试用期留存率": ("业绩类", "%", "higher", 85),
    "简历筛选量": ("职能类", "份", "higher", 300),
    "工资核算差错次数": ("职能类", "次", "count", 0),
    "社保公积金按时缴纳率": ("职能类", "%", "higher", 100),
    "员工咨询响应及时率": ("职能类", "%", "higher", 95),
    "培训满意度": ("职能类", "分", "higher", 90),
    "人均培训课时": ("业绩类", "小时", "higher", 16),
    "月结按时完成率": ("业绩类", "%", "higher", 100),
    "资金计划准确率": ("业绩类", "%", "higher", 95),
    "应收账款周转天数": ("业绩类", "天", "lower", 60),
    "财务报表差错次数": ("职能类", "次", "count", 0),
    "凭证差错次数": ("职能类", "次", "count", 0),
    "费用报销处理时效": ("职能类", "天", "lower", 3),
    "资金日报及时率": ("职能类", "%", "higher", 100),
    "现金差错次数": ("职能类", "次", "count", 0),
    "银行对账及时率": ("职能类", "%", "higher", 100),
    "成本核算准确率": ("业绩类", "%", "higher", 98),
    "成本分析报告及时率": ("职能类", "%", "higher", 100),
    "存货盘点差异率": ("业绩类", "%", "lower", 0.5),
    "销售额达成率": ("业绩类", "%", "higher", 100),
    "回款率": ("业绩类", "%", "higher", 95),
    "新客户开发数": ("业绩类", "家", "higher", 12),
    "销售费用率": ("业绩类", "%", "lower", 5),
    "区域销售额": ("业绩类", "万元", "higher", 800),
    "客户投诉处理及时率": ("职能类", "%", "higher", 95),
    "个人销售额": ("业绩类", "万元", "higher", 150),
    "客户拜访次数": ("职能类", "次", "higher", 60),
    "客户满意度": ("职能类", "分", "higher", 90),
    "订单录入准确率": ("业绩类", "%", "higher", 99.5),
    "发货单及时率": ("职能类", "%", "higher", 98),
    "合同归档及时率": ("职能类", "%", "higher", 100),
    "市场活动计划完成率": ("业绩类", "%", "higher", 95),
    "有效线索数": ("业绩类", "条", "higher", 400),
    "品牌曝光量": ("业绩类", "万次", "higher", 50),
    "展会组织满意度": ("职能类", "分", "higher", 90),
    "宣传物料按期交付率": ("职能类", "%", "higher", 95),
    "新产品上市计划达成率": ("业绩类", "%", "higher", 90),
    "产品毛利率": ("业绩类", "%", "higher", 28),
    "竞品分析报告": ("职能类", "份", "higher", 4),
    "研发项目按期完成率": ("业绩类", "%", "higher", 90),
    "新产品开发数": ("业绩类", "个", "higher", 3),
    "专利申请数": ("业绩类", "件", "higher", 4),
    "研发费用控制率": ("业绩类", "%", "lower", 100),
    "项目节点达成率": ("业绩类", "%", "higher", 90),
    "设计变更次数": ("职能类", "次", "count", 0),
    "图纸一次通过率": ("业绩类", "%", "higher", 95),
    "设计任务按期完成率": ("业绩类", "%", "higher", 90),
    "图纸差错次数": ("职能类", "次", "count", 0),
    "设计评审一次通过率": ("业绩类", "%", "higher", 90),
    "零部件标准化率": ("职能类", "%", "higher", 80),
    "电气设计按期完成率": ("业绩类", "%", "higher", 90),
    "调试一次成功率": ("业绩类", "%", "higher", 92),
    "技术文档完整率": ("职能类", "%", "higher", 95),
    "软件版本按期交付率": ("业绩类", "%", "higher", 90),
    "缺陷密度": ("业绩类", "个/千行", "lower", 2),
    "代码评审通过率": ("职能类", "%", "higher", 95),
    "工艺文件按期完成率": ("业绩类", "%", "higher", 95),
    "工艺改进项目数": ("业绩类", "项", "higher", 4),
    "工艺不良率": ("业绩类", "%", "lower", 1),
    "工时定额准确率": ("业绩类", "%", "higher", 95),
    "工艺改善提案数": ("职能类", "项", "higher", 3),
    "现场问题响应及时率": ("职能类", "%", "higher", 95),
    "技术支持响应及时率": ("职能类", "%", "higher", 95),
    "工装夹具验证完成率": ("业绩类", "%", "higher", 95),
    "产量计划达成率": ("业绩类", "%", "higher", 100),
    "一次交检合格率": ("业绩类", "%", "higher", 98),
    "制造成本控制率": ("业绩类", "%", "lower", 100),
    "安全违规次数": ("职能类", "次", "count", 0),
    "5S检查得分": ("职能类", "分", "higher", 90),
    "班组产量达成率": ("业绩类", "%", "higher", 100),
    "班组一次合格率": ("业绩类", "%", "higher", 98),
    "装配工时达成率": ("业绩类", "%", "higher", 100),
    "装配一次合格率": ("业绩类", "%", "higher", 98),
    "日均加工件数": ("业绩类", "件", "higher", 120),
    "加工一次合格率": ("业绩类", "%", "higher", 98.5),
    "设备点检完成率": ("职能类", "%", "higher", 100),
    "焊接一次合格率": ("业绩类", "%", "higher", 97),
    "焊接工时达成率": ("业绩类", "%", "higher", 100),
    "焊材损耗率": ("业绩类", "%", "lower", 3),
    "钳工工时达成率": ("业绩类", "%", "higher", 100),
    "修配一次合格率": ("业绩类", "%", "higher", 98),
    "设备故障停机时长": ("业绩类", "小时", "lower", 8),
    "维修响应及时率": ("业绩类", "%", "higher", 95),
    "预防性维护完成率": ("职能类", "%", "higher", 100),
    "客户投诉次数": ("业绩类", "次", "lower", 3),
    "出厂合格率": ("业绩类", "%", "higher", 99.5),
    "质量成本率": ("业绩类", "%", "lower", 2),
    "体系审核不符合项": ("职能类", "项", "count", 0),
    "质量问题关闭率": ("业绩类", "%", "higher", 95),
    "8D报告及时率": ("职能类", "%", "higher", 95),
    "供应商来料合格率": ("业绩类", "%", "higher", 98),
    "日均完成抽检": ("业绩类", "件", "higher", 200),
    "漏检率": ("业绩类", "%", "lower", 0.5),
    "检验记录完整率": ("职能类", "%", "higher", 100),
    "量具周检完成率": ("业绩类", "%", "higher", 100),
    "量具台账准确率": ("职能类", "%", "higher", 99),
    "采购成本降低率": ("业绩类", "%", "higher", 3),
    "物料准时到货率": ("业绩类", "%", "higher", 95),
    "供应商评审完成率": ("职能类", "%", "higher", 100),
    "采购价格达成率": ("业绩类", "%", "lower", 100),
    "订单处理及时率": ("职能类", "%", "higher", 98),
    "供应商审核完成数": ("业绩类", "家", "higher", 6),
    "发货及时率": ("业绩类", "%", "higher", 98),
    "库存周转天数": ("业绩类", "天", "lower", 45),
    "仓储费用控制率": ("业绩类", "%", "lower", 100),
    "账实相符率": ("业绩类", "%", "higher", 99.5),
    "收发货差错次数": ("职能类", "次", "count", 0),
    "出入库及时率": ("职能类", "%", "higher", 98),
    "装卸效率": ("业绩类", "托/日", "higher", 80),
    "团队建设": ("行为类", "级", "rubric", "良好"),
    "团队协作": ("行为类", "级", "rubric", "良好"),
    "工作纪律": ("行为类", "级", "rubric", "良好"),
}


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
    """Every KPI of the pack, in :data:`KPI_LIBRARY`'s order."""
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


class PackKpi(Protocol):
    """A KPI a position is measured on: its library name and its target there."""

    @property
    def name(self) -> str: ...

    @property
    def target(self) -> float | str: ...


class PackPosition(Protocol):
    """A position of a company as the pack reads it: where it is, its role (gm / vp / head / lead / staff)
    and its KPIs with their weights."""

    @property
    def department(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def role(self) -> str: ...

    @property
    def kpis(self) -> Sequence[PackKpi]: ...

    @property
    def weights(self) -> Sequence[int]: ...


class PackCompany(Protocol):
    """A company the pack builds templates for: anything that lists its positions."""

    @property
    def positions(self) -> Sequence[PackPosition]: ...


def templates(company: PackCompany) -> list[TemplateItem]:
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


def write_pack_workbook(
    path: Path, company: PackCompany, valid_from: dt.date, *, staffed: Collection[tuple[str, str]] | None = None
) -> Path:
    """The pack as the library workbook HR edits and imports (指标库 + 岗位模板 sheets, the column titles
    of :mod:`schemas.headers`), its templates in force from ``valid_from``; ``staffed`` (department,
    position) pairs limit the templates to the positions someone holds."""
    kpis = library()
    lib = {
        "kpi_id": [None] * len(kpis), "name": [k.name for k in kpis], "category": [k.category for k in kpis],
        "unit": [k.unit for k in kpis], "direction": [k.direction for k in kpis], "method": [k.method for k in kpis],
        "data_source": [k.data_source for k in kpis], "description": [k.description for k in kpis],
        **{f"level{n}": [k.rubric[n - 1] if k.rubric else None for k in kpis] for n in range(1, 6)},
        "deduction_step": [k.deduction_step for k in kpis], "status": ["active"] * len(kpis),
    }  # fmt: skip
    items = [i for i in templates(company) if staffed is None or (i.department, i.position) in staffed]
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
