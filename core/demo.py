"""The demo company: a synthetic machinery maker, and the messy legacy files its HR would keep.

Three parts, kept apart so the bench can reuse the writers:

- the generator (pure data, no I/O): departments, positions and their KPIs, people in a reporting
  hierarchy, and quarterly results with department differences, persistent individual effects and a
  few lenient and harsh raters — deterministic for a seed;
- the writers: the roster (花名册), tabular appraisal workbooks and per-person form workbooks, as
  ``.xlsx`` (xlsxwriter), ``.xls`` (xlwt) or CSV, with the mess real files have: title rows, merged
  two-row headers, totals, blank rows and notes, numbers written in many ways, ids that lost their zeros;
- the builder: writes a company out and imports every file through ``pipelines.import_file``, the same
  door HR's uploads go through; then opens this quarter's appraisal cycle as the demo HR user, records
  synthetic actuals and moves the appraisals along through ``core.cycle`` as employees and managers would
  (:func:`open_demo_cycle`).

Names are random pairs of common characters; nothing here is real or personal.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import math
import random
import shutil
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import xlsxwriter
import xlwt

COMPANY_NAME = "演示机械制造有限公司"
DEFAULT_WORKDIR = Path(__file__).resolve().parent.parent / "data" / "demo"
ID_WIDTH = 6

Progress = Callable[[float, str], None]

# ---------------------------------------------------------------------------------------------------
# The generator: what the company is and how its people scored
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Kpi:
    """One KPI of the library: higher / lower (ratio against target), count (deductions) or rubric."""

    name: str
    category: str
    unit: str
    method: str
    target: float | str


# name -> (category, unit, method, default target)
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


@dataclass(frozen=True, slots=True)
class PositionSpec:
    """A position of a department: role gm / vp / head / lead / staff, its share of the staff, its KPIs."""

    name: str
    role: str
    share: float
    kpis: tuple[str | tuple[str, float], ...]


@dataclass(frozen=True, slots=True)
class DepartmentSpec:
    """A department of the seed company: its size at 420 people, its score effect, its team-lead post."""

    name: str
    size: int
    effect: float
    lead: str | None
    positions: tuple[PositionSpec, ...]


P = PositionSpec
DEPARTMENTS: tuple[DepartmentSpec, ...] = (
    DepartmentSpec(
        "总经办",
        8,
        2.5,
        "总经理助理",
        (
            P("总经理", "gm", 0, ("年度销售收入达成率", "利润总额达成率", "重点项目完成率", "团队建设")),
            P("副总经理", "vp", 0, ("分管部门KPI达成率", "重点项目完成率", "成本费用控制率", "团队建设")),
            P("总经理助理", "lead", 0, ("督办事项按时完成率", "会议纪要及时率", "团队协作")),
            P("行政专员", "staff", 1, ("行政费用控制率", "后勤服务满意度", "文件归档及时率", "工作纪律")),
        ),
    ),
    DepartmentSpec(
        "人力资源部",
        10,
        0.0,
        None,
        (
            P(
                "人力资源经理",
                "head",
                0,
                ("关键岗位到岗率", "员工流失率", "培训计划完成率", "人工成本控制率", "团队建设"),
            ),
            P("招聘专员", "staff", 0.35, ("招聘到岗及时率", "试用期留存率", "简历筛选量", "团队协作")),
            P(
                "薪酬福利专员",
                "staff",
                0.35,
                ("工资核算差错次数", "社保公积金按时缴纳率", "员工咨询响应及时率", "工作纪律"),
            ),
            P("培训专员", "staff", 0.3, ("培训计划完成率", "培训满意度", "人均培训课时", "团队协作")),
        ),
    ),
    DepartmentSpec(
        "财务部",
        12,
        0.5,
        None,
        (
            P(
                "财务经理",
                "head",
                0,
                ("月结按时完成率", "资金计划准确率", "应收账款周转天数", "财务报表差错次数", "团队建设"),
            ),
            P("会计", "staff", 0.5, ("凭证差错次数", "月结按时完成率", "费用报销处理时效", "工作纪律")),
            P("出纳", "staff", 0.2, ("资金日报及时率", "现金差错次数", "银行对账及时率")),
            P("成本会计", "staff", 0.3, ("成本核算准确率", "成本分析报告及时率", "存货盘点差异率", "团队协作")),
        ),
    ),
    DepartmentSpec(
        "销售部",
        40,
        2.0,
        "区域销售主管",
        (
            P("销售经理", "head", 0, ("销售额达成率", "回款率", "新客户开发数", "销售费用率", "团队建设")),
            P(
                "区域销售主管",
                "lead",
                0,
                ("区域销售额", "回款率", ("新客户开发数", 6), "客户投诉处理及时率", "团队协作"),
            ),
            P(
                "销售代表",
                "staff",
                0.85,
                ("个人销售额", "回款率", ("新客户开发数", 3), "客户拜访次数", "客户满意度", "工作纪律"),
            ),
            P("销售内勤", "staff", 0.15, ("订单录入准确率", "发货单及时率", "合同归档及时率")),
        ),
    ),
    DepartmentSpec(
        "市场部",
        15,
        0.5,
        None,
        (
            P("市场经理", "head", 0, ("市场活动计划完成率", "有效线索数", "品牌曝光量", "团队建设")),
            P(
                "市场专员",
                "staff",
                0.7,
                ("市场活动计划完成率", ("有效线索数", 120), "展会组织满意度", "宣传物料按期交付率", "团队协作"),
            ),
            P("产品经理", "staff", 0.3, ("新产品上市计划达成率", "产品毛利率", "竞品分析报告", "团队协作")),
        ),
    ),
    DepartmentSpec(
        "研发部",
        45,
        1.5,
        "项目组长",
        (
            P(
                "研发经理",
                "head",
                0,
                ("研发项目按期完成率", "新产品开发数", "专利申请数", "研发费用控制率", "团队建设"),
            ),
            P("项目组长", "lead", 0, ("项目节点达成率", "设计变更次数", "图纸一次通过率", "团队协作")),
            P(
                "机械设计工程师",
                "staff",
                0.5,
                ("设计任务按期完成率", "图纸差错次数", "设计评审一次通过率", "零部件标准化率", "团队协作"),
            ),
            P("电气工程师", "staff", 0.25, ("电气设计按期完成率", "调试一次成功率", "技术文档完整率", "团队协作")),
            P("软件工程师", "staff", 0.25, ("软件版本按期交付率", "缺陷密度", "代码评审通过率", "团队协作")),
        ),
    ),
    DepartmentSpec(
        "工艺技术部",
        25,
        0.0,
        "工艺工程师",
        (
            P("技术经理", "head", 0, ("工艺文件按期完成率", "工艺改进项目数", "工艺不良率", "团队建设")),
            P(
                "工艺工程师",
                "staff",
                0.4,
                ("工艺文件按期完成率", "工时定额准确率", "工艺改善提案数", "现场问题响应及时率", "团队协作"),
            ),
            P("技术员", "staff", 0.6, ("技术支持响应及时率", "工装夹具验证完成率", "工作纪律")),
        ),
    ),
    DepartmentSpec(
        "生产一车间",
        110,
        -2.0,
        "班组长",
        (
            P(
                "车间主任",
                "head",
                0,
                ("产量计划达成率", "一次交检合格率", "制造成本控制率", "安全违规次数", "5S检查得分", "团队建设"),
            ),
            P("班组长", "lead", 0, ("班组产量达成率", "班组一次合格率", "安全违规次数", "5S检查得分", "团队协作")),
            P("装配工", "staff", 0.5, ("装配工时达成率", "装配一次合格率", "安全违规次数", "工作纪律")),
            P(
                "数控操作工",
                "staff",
                0.35,
                ("日均加工件数", "加工一次合格率", "设备点检完成率", "安全违规次数", "工作纪律"),
            ),
            P("焊工", "staff", 0.15, ("焊接一次合格率", "焊接工时达成率", "焊材损耗率", "安全违规次数", "工作纪律")),
        ),
    ),
    DepartmentSpec(
        "生产二车间",
        95,
        -1.0,
        "班组长",
        (
            P(
                "车间主任",
                "head",
                0,
                ("产量计划达成率", "一次交检合格率", "制造成本控制率", "安全违规次数", "5S检查得分", "团队建设"),
            ),
            P("班组长", "lead", 0, ("班组产量达成率", "班组一次合格率", "安全违规次数", "5S检查得分", "团队协作")),
            P("装配工", "staff", 0.55, ("装配工时达成率", "装配一次合格率", "安全违规次数", "工作纪律")),
            P("钳工", "staff", 0.3, ("钳工工时达成率", "修配一次合格率", "安全违规次数", "工作纪律")),
            P("电工", "staff", 0.15, ("设备故障停机时长", "维修响应及时率", "预防性维护完成率", "安全违规次数")),
        ),
    ),
    DepartmentSpec(
        "质量部",
        30,
        1.0,
        "质量工程师",
        (
            P("质量经理", "head", 0, ("客户投诉次数", "出厂合格率", "质量成本率", "体系审核不符合项", "团队建设")),
            P("质量工程师", "staff", 0.2, ("质量问题关闭率", "8D报告及时率", "供应商来料合格率", "团队协作")),
            P("质检员", "staff", 0.7, ("日均完成抽检", "漏检率", "检验记录完整率", "工作纪律")),
            P("计量员", "staff", 0.1, ("量具周检完成率", "量具台账准确率", "工作纪律")),
        ),
    ),
    DepartmentSpec(
        "采购部",
        14,
        -0.5,
        None,
        (
            P("采购经理", "head", 0, ("采购成本降低率", "物料准时到货率", "供应商评审完成率", "团队建设")),
            P("采购员", "staff", 0.75, ("物料准时到货率", "采购价格达成率", "订单处理及时率", "工作纪律")),
            P("供应商质量工程师", "staff", 0.25, ("供应商来料合格率", "供应商审核完成数", "质量问题关闭率")),
        ),
    ),
    DepartmentSpec(
        "仓储物流部",
        16,
        -1.5,
        "仓管员",
        (
            P("物流经理", "head", 0, ("发货及时率", "库存周转天数", "仓储费用控制率", "团队建设")),
            P("仓管员", "staff", 0.6, ("账实相符率", "收发货差错次数", "出入库及时率", "工作纪律")),
            P("叉车司机", "staff", 0.4, ("安全违规次数", "装卸效率", "设备点检完成率")),
        ),
    ),
)
del P

# Weight templates by number of KPIs: the main result KPI first, behaviour last.
WEIGHT_TEMPLATES: dict[int, tuple[tuple[int, ...], ...]] = {
    3: ((50, 30, 20), (40, 40, 20), (60, 20, 20)),
    4: ((40, 30, 20, 10), (30, 30, 20, 20), (35, 25, 25, 15)),
    5: ((30, 25, 20, 15, 10), (30, 20, 20, 20, 10)),
    6: ((25, 20, 20, 15, 10, 10), (30, 20, 15, 15, 10, 10)),
}

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜"
    "崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN_CHARS = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍建红文辉力鹏宇浩凯欣怡晨雨佳轩涵博诺嘉琪思远志国海波"
    "峰斌林燕飞云鑫婷雪梅丹倩颖慧晶欢亮成松立新春晓阳瑞彬俊"
)

COMMENTS = {
    "high": ("超额完成目标", "表现突出", "工作主动，成效显著", "可作为骨干培养"),
    "good": ("完成较好", "达到预期", "工作认真负责", "继续保持"),
    "mid": ("基本完成", "需加强沟通协调", "细节有待提升", "按计划推进"),
    "low": ("未达目标，需改进", "问题较多，需制定改进计划", "执行力不足"),
}

SPAN = 10  # the usual team size under a team lead


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


def _kpis_of(spec: PositionSpec) -> tuple[Kpi, ...]:
    found = []
    for entry in spec.kpis:
        name, target = entry if isinstance(entry, tuple) else (entry, None)
        category, unit, method, default = KPI_LIBRARY[name]
        found.append(Kpi(name, category, unit, method, default if target is None else target))
    return tuple(found)


def _synthetic_name(rng: random.Random) -> str:
    given = rng.choice(GIVEN_CHARS) + (rng.choice(GIVEN_CHARS) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def _department_sizes(employees: int) -> list[int]:
    """Each department's head count for a company of ``employees`` (largest remainder, at least 1)."""
    base = sum(d.size for d in DEPARTMENTS)
    raw = [d.size * employees / base for d in DEPARTMENTS]
    sizes = [max(1, math.floor(r)) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: raw[i] - math.floor(raw[i]), reverse=True)
    i = 0
    while sum(sizes) < employees:
        sizes[order[i % len(order)]] += 1
        i += 1
    while sum(sizes) > employees and max(sizes) > 1:
        sizes[sizes.index(max(sizes))] -= 1
    return sizes


def _split_counts(total: int, shares: list[float]) -> list[int]:
    """``total`` people over positions by share, each position held at least once when possible."""
    n = len(shares)
    if total <= 0:
        return [0] * n
    if total < n:
        return [1] * total + [0] * (n - total)
    counts = [1] * n
    rest = total - n
    raw = [rest * s / sum(shares) for s in shares]
    counts = [c + math.floor(r) for c, r in zip(counts, raw, strict=True)]
    order = sorted(range(n), key=lambda i: raw[i] - math.floor(raw[i]), reverse=True)
    for k in range(total - sum(counts)):
        counts[order[k % n]] += 1
    return counts


@dataclass(slots=True, eq=False)
class _Draft:
    """A person before ids are handed out (ids follow hire order)."""

    department: str
    position: Position
    role: str
    manager: _Draft | None = None
    hire_date: dt.date = dt.date(2000, 1, 1)
    leave_date: dt.date | None = None
    employee_id: str = ""


def _chunks(items: list[Any], parts: int) -> list[list[Any]]:
    size, extra = divmod(len(items), parts)
    out, at = [], 0
    for k in range(parts):
        n = size + (k < extra)
        out.append(items[at : at + n])
        at += n
    return out


def _attach(boss: _Draft, leads: list[_Draft], staff: list[_Draft]) -> None:
    """Staff in teams under the leads; when the leads are too many for one boss, senior leads in between."""
    if not leads:
        for s in staff:
            s.manager = boss
        return
    layers = [leads]
    while len(layers[-1]) > SPAN + 2:
        n_up = math.ceil(len(layers[-1]) / (SPAN + 1))
        upper, layers[-1] = layers[-1][:n_up], layers[-1][n_up:]
        layers.append(upper)
    for lead, team in zip(layers[0], _chunks(staff, len(layers[0])), strict=True):
        for s in team:
            s.manager = lead
    for lower, upper in itertools.pairwise(layers):
        for senior, group in zip(upper, _chunks(lower, len(upper)), strict=True):
            for d in group:
                d.manager = senior
    for d in layers[-1]:
        d.manager = boss


def generate_company(
    employees: int = 420, years: int = 3, seed: int = 2024, *, today: dt.date | None = None
) -> Company:
    """A synthetic machinery maker of about ``employees`` people with ``years`` years of quarterly history.

    Same arguments, same company: every random draw comes from ``seed``.
    """
    if employees < len(DEPARTMENTS):
        raise ValueError(f"至少需要 {len(DEPARTMENTS)} 名员工（每个部门一人）。")
    if years < 1:
        raise ValueError("历史年数至少为 1。")
    rng = random.Random(seed)
    quarters = completed_quarters(years, today or dt.date.today())
    window_start, last_start = quarters[0].start, quarters[-1].start

    positions: list[Position] = []
    drafts: list[_Draft] = []
    heads: dict[str, _Draft] = {}
    gm: _Draft | None = None
    vps: list[_Draft] = []
    for spec, size in zip(DEPARTMENTS, _department_sizes(employees), strict=True):
        by_name = {}
        for p in spec.positions:
            kpis = _kpis_of(p)
            pos = Position(spec.name, p.name, p.role, kpis, rng.choice(WEIGHT_TEMPLATES[len(kpis)]))
            positions.append(pos)
            by_name[p.name] = pos
        head_spec = next(p for p in spec.positions if p.role in ("gm", "head"))
        head = _Draft(spec.name, by_name[head_spec.name], head_spec.role)
        dept_people = [head]
        rest = size - 1
        if head.role == "gm":
            gm = head
            n_vp = min(rest, 2 + (employees >= 1500) + (employees >= 4000))
            vps = [_Draft(spec.name, by_name["副总经理"], "vp", manager=head) for _ in range(n_vp)]
            dept_people += vps
            rest -= n_vp
        staff_specs = [p for p in spec.positions if p.role == "staff"]
        lead_only = next((p for p in spec.positions if p.role == "lead"), None)
        lead_name = lead_only.name if lead_only else spec.lead
        if lead_only and rest >= 2:
            n_leads = max(1, round((rest - 1) / (SPAN + 1)))
        elif rest > SPAN + 4:
            n_leads = round(rest / (SPAN + 1))
            lead_name = lead_name or staff_specs[0].name
        else:
            n_leads = 0
        leads = [_Draft(spec.name, by_name[lead_name], "lead") for _ in range(n_leads)] if lead_name else []
        counts = _split_counts(rest - len(leads), [p.share for p in staff_specs])
        staff = [
            _Draft(spec.name, by_name[p.name], "staff")
            for p, n in zip(staff_specs, counts, strict=True)
            for _ in range(n)
        ]
        rng.shuffle(staff)
        _attach(head, leads, staff)
        dept_people += leads + staff
        heads[spec.name] = head
        drafts += dept_people
    assert gm is not None
    # Department heads report to a vice president (分管副总); HR and finance report to the GM.
    oversee = vps or [gm]
    others = [d for d in DEPARTMENTS if d.name != "总经办"]
    for k, spec in enumerate(others):
        heads[spec.name].manager = gm if spec.name in ("人力资源部", "财务部") else oversee[k % len(oversee)]

    def days_before(anchor: dt.date, lo_years: float, hi_years: float) -> dt.date:
        return anchor - dt.timedelta(days=round(rng.uniform(lo_years, hi_years) * 365))

    for d in drafts:
        if d.role == "gm":
            d.hire_date = days_before(window_start, 12, 18)
        elif d.role in ("vp", "head"):
            d.hire_date = days_before(window_start, 3, 15)
        elif d.role == "lead":
            d.hire_date = days_before(window_start, 1, 12)
        elif rng.random() < 0.85:
            d.hire_date = days_before(window_start, 0.2, 12)
        else:
            span = max(1, (last_start - window_start).days - 60)
            d.hire_date = window_start + dt.timedelta(days=rng.randrange(span))
        if d.role == "staff" and rng.random() < 0.07:
            lo = max(d.hire_date + dt.timedelta(days=150), window_start + dt.timedelta(days=30))
            hi = quarters[-1].end - dt.timedelta(days=1)
            if lo < hi:
                d.leave_date = lo + dt.timedelta(days=rng.randrange((hi - lo).days))
    # 工号 follow hire order with small gaps, six digits with leading zeros.
    number = rng.randint(1, 20)
    for d in sorted(drafts, key=lambda d: (d.hire_date, d.department)):
        d.employee_id = str(number).zfill(ID_WIDTH)
        number += rng.choice((1, 1, 1, 2, 3))

    people = [
        Employee(
            employee_id=d.employee_id,
            name=_synthetic_name(rng),
            department=d.department,
            position=d.position,
            manager_id=d.manager.employee_id if d.manager else None,
            hire_date=d.hire_date,
            leave_date=d.leave_date,
            effect=rng.gauss(0, 5.5),
            slope=rng.gauss(0, 0.8),
        )
        for d in drafts
    ]
    people.sort(key=lambda e: e.employee_id)

    reports: dict[str, int] = defaultdict(int)
    for e in people:
        if e.manager_id:
            reports[e.manager_id] += 1
    raters = sorted(
        e.employee_id for e in people if reports[e.employee_id] >= 3 and e.position.role in ("head", "lead")
    )
    n_odd = max(2, round(0.06 * len(raters))) if len(raters) >= 6 else len(raters) // 3
    picked = rng.sample(raters, 2 * n_odd) if n_odd else []
    lenient, harsh = frozenset(picked[:n_odd]), frozenset(picked[n_odd:])
    bias = {r: rng.gauss(0, 1.2) for r in raters}
    for r in lenient:
        bias[r] = rng.uniform(5, 8)
    for r in harsh:
        bias[r] = -rng.uniform(5, 8)
    effects = {d.name: d.effect + rng.gauss(0, 0.5) for d in DEPARTMENTS}
    return Company(
        seed=seed,
        departments=tuple(d.name for d in DEPARTMENTS),
        positions=tuple(positions),
        employees=people,
        quarters=quarters,
        department_effect=effects,
        rater_bias=bias,
        lenient=lenient,
        harsh=harsh,
    )


# ---------------------------------------------------------------------------------------------------
# The writers: how HR's files look
# ---------------------------------------------------------------------------------------------------

_FIXED_CREATED = dt.datetime(2026, 1, 5, 9, 0, 0)  # fixed document time: same seed, same bytes
_FULL_WIDTH = str.maketrans("0123456789.", "０１２３４５６７８９．")
_CN_QUARTER = {1: "一", 2: "二", 3: "三", 4: "四"}

PERIOD_FORMS: tuple[Callable[[Quarter], str], ...] = (
    lambda q: f"{q.year}年Q{q.q}",
    lambda q: f"{q.year}Q{q.q}",
    lambda q: f"{q.year}年第{_CN_QUARTER[q.q]}季度",
)
SHEET_NAME_FORMS: tuple[Callable[[Quarter], str], ...] = (
    lambda q: f"Q{q.q}",
    lambda q: f"{_CN_QUARTER[q.q]}季度",
    lambda q: f"{q.year}Q{q.q}",
    lambda q: f"第{q.q}季度",
)

# Header words per field, all known to schemas/headers.py; the first is the common one.
HEADER_WORDS: dict[str, tuple[str, ...]] = {
    "employee_id": ("工号", "员工编号", "职工号", "Emp ID"),
    "name": ("姓名", "员工姓名", "被考核人", "Name"),
    "department": ("部门", "所属部门", "Department"),
    "position": ("岗位", "职位", "岗位名称", "Position"),
    "period": ("考核期间", "考核周期", "季度", "Period"),
    "kpi": ("指标", "考核指标", "考核项目", "KPI"),
    "weight": ("权重", "权重(%)", "Weight"),
    "target": ("目标", "目标值", "Target"),
    "actual": ("实际", "实际完成", "完成值", "Actual"),
    "score": ("得分", "考核得分", "指标得分", "Score"),
    "comment": ("评语", "备注", "上级评语", "Comment"),
    "manager": ("考核人", "考核人工号", "评分人", "Rater"),
    "total": ("总分", "综合得分", "考核总分", "Total Score"),
    "grade": ("等级", "绩效等级", "考核等级", "Grade"),
}
ITEM_FIELDS = (
    "employee_id",
    "name",
    "department",
    "position",
    "period",
    "kpi",
    "weight",
    "target",
    "actual",
    "score",
    "comment",
    "manager",
)
TOTAL_FIELDS = ("employee_id", "name", "department", "position", "period", "total", "grade", "comment", "manager")
# Group cells of a two-row header and the fields under them (fields in no group stand alone).
HEADER_GROUPS = (
    ("基本信息", ("employee_id", "name", "department", "position")),
    ("考核内容", ("kpi", "weight", "target", "actual")),
    ("考核结果", ("score", "comment", "total", "grade")),
)


@dataclass
class TabularStyle:
    """How one tabular workbook is laid out and how messy it is."""

    fmt: str = "xlsx"  # xlsx | xls | csv (GBK)
    layout: str = "items"  # items: one row per person × KPI; totals: one row per person × period
    title_rows: int = 1
    header: str = "flat"  # flat | grouped (group cells above) | grouped_tall (standalone headers merged down)
    words: dict[str, str] = field(default_factory=lambda: {f: w[0] for f, w in HEADER_WORDS.items()})
    numeric_ids: bool = False  # ids (and rater ids) as number cells: leading zeros lost
    id_format: bool = False  # ...shown as 000123 by a number format
    weight_form: str = "number"  # number (30) | text ('30%') | fraction (0.3 formatted as %)
    value_mix: float = 0.25  # share of score cells written as '95', '95%', 0.95, '９５', '95分'
    blank_rows: float = 0.03  # chance of a blank row after a person
    totals: bool = True
    notes: bool = True
    merged_ids: bool = False  # person cells merged down over that person's KPI rows
    no_score: float = 0.0  # share of totals written as '缺考' / '-' / blank (totals layout)
    bad_rows: int = 0  # genuinely bad rows to slip in (unknown id, unreadable score, duplicate)

    @property
    def fields(self) -> tuple[str, ...]:
        return ITEM_FIELDS if self.layout == "items" else TOTAL_FIELDS

    @property
    def constant_memory(self) -> bool:
        # constant_memory writes row by row: a merge reaching down would lose the rest of its row
        return self.header != "grouped_tall" and not self.merged_ids


@dataclass
class SheetPlan:
    """One sheet of a tabular workbook: its name, title, period label and the appraisals on it."""

    name: str
    title: str
    period: str
    appraisals: Iterable[Appraisal]


@dataclass
class WrittenFile:
    """A file written for import, with what it holds and the bad rows slipped in on purpose."""

    path: Path
    kind: str  # roster | tabular | form
    data_rows: int = 0
    appraisals: int = 0
    # (sheet, Excel row, kind, employee id of the appraisal it spoils or None)
    bad_rows: list[tuple[str, int, str, str | None]] = field(default_factory=list)
    blank_totals: list[tuple[str, str]] = field(default_factory=list)  # (sheet, employee id) written without a score


class _XlsxBook:
    """An xlsxwriter workbook behind the small interface the layouts write through."""

    def __init__(self, path: Path, *, constant_memory: bool):
        options = {
            "constant_memory": constant_memory,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        }
        self._wb = xlsxwriter.Workbook(str(path), options)
        self._wb.set_properties({"created": _FIXED_CREATED, "author": "人力资源部"})
        self._formats = {
            "": None,
            "title": self._wb.add_format({"bold": True, "font_size": 14, "align": "center"}),
            "head": self._wb.add_format(
                {"bold": True, "border": 1, "align": "center", "valign": "vcenter", "bg_color": "#DDEBF7"}
            ),
            "pct": self._wb.add_format({"num_format": "0%"}),
            "date": self._wb.add_format({"num_format": "yyyy-mm-dd"}),
            "id": self._wb.add_format({"num_format": "000000"}),
            "wrap": self._wb.add_format({"text_wrap": True}),
        }

    def sheet(self, name: str) -> _XlsxSheet:
        return _XlsxSheet(self._wb.add_worksheet(name), self._formats)

    def close(self) -> None:
        self._wb.close()


class _XlsxSheet:
    def __init__(self, ws: Any, formats: dict[str, Any]):
        self._ws, self._f = ws, formats

    def cell(self, r: int, c: int, value: Any, kind: str = "") -> None:
        fmt = self._f[kind]
        if value is None or value == "":
            return
        if isinstance(value, str):
            self._ws.write_string(r, c, value, fmt)
        elif isinstance(value, dt.date):
            self._ws.write_datetime(r, c, dt.datetime(value.year, value.month, value.day), fmt or self._f["date"])
        else:
            self._ws.write_number(r, c, value, fmt)

    def merge(self, r1: int, c1: int, r2: int, c2: int, value: Any, kind: str = "head") -> None:
        self._ws.merge_range(r1, c1, r2, c2, value, self._f[kind or "head"])

    def width(self, c: int, chars: float) -> None:
        self._ws.set_column(c, c, chars)


class _XlsBook:
    """An xlwt (BIFF8 .xls) workbook behind the same interface."""

    MAX_ROWS = 65536

    def __init__(self, path: Path):
        self._path = path
        self._wb = xlwt.Workbook(encoding="utf-8")
        self._styles = {
            "": xlwt.easyxf(""),
            "title": xlwt.easyxf("font: bold on, height 280; align: horiz center"),
            "head": xlwt.easyxf(
                "font: bold on; align: horiz center, vert center; borders: left thin, right thin, top thin, bottom thin"
            ),
            "pct": xlwt.easyxf(num_format_str="0%"),
            "date": xlwt.easyxf(num_format_str="YYYY-MM-DD"),
            "id": xlwt.easyxf(num_format_str="000000"),
            "wrap": xlwt.easyxf("align: wrap on"),
        }

    def sheet(self, name: str) -> _XlsSheet:
        return _XlsSheet(self._wb.add_sheet(name, cell_overwrite_ok=True), self._styles)

    def close(self) -> None:
        self._wb.save(str(self._path))


class _XlsSheet:
    def __init__(self, ws: Any, styles: dict[str, Any]):
        self._ws, self._s = ws, styles

    def cell(self, r: int, c: int, value: Any, kind: str = "") -> None:
        if value is None or value == "":
            return
        if r >= _XlsBook.MAX_ROWS:
            raise ValueError(".xls 工作表最多 65536 行")
        if isinstance(value, dt.date):
            kind = kind or "date"
            value = dt.datetime(value.year, value.month, value.day)
        self._ws.write(r, c, value, self._s[kind])

    def merge(self, r1: int, c1: int, r2: int, c2: int, value: Any, kind: str = "head") -> None:
        self._ws.write_merge(r1, r2, c1, c2, value, self._s[kind or "head"])

    def width(self, c: int, chars: float) -> None:
        self._ws.col(c).width = int(chars * 256)


class _CsvBook:
    """A CSV export (GBK, as Chinese Excel saves it): every sheet goes into the one table."""

    def __init__(self, path: Path):
        self._path = path
        self._rows: dict[int, dict[int, Any]] = defaultdict(dict)
        self._offset = 0

    def sheet(self, name: str) -> _CsvBook:
        self._offset = max(self._rows, default=-1) + 1
        return self

    def cell(self, r: int, c: int, value: Any, kind: str = "") -> None:
        if value is None or value == "":
            return
        if kind == "pct" and isinstance(value, float):
            value = f"{value:.0%}"
        elif isinstance(value, dt.date):
            value = value.isoformat()
        elif isinstance(value, float) and value.is_integer():
            value = int(value)
        self._rows[self._offset + r][c] = value

    def merge(self, r1: int, c1: int, r2: int, c2: int, value: Any, kind: str = "head") -> None:
        self.cell(r1, c1, value)

    def width(self, c: int, chars: float) -> None:
        pass

    def close(self) -> None:
        width = max((max(cols) + 1 for cols in self._rows.values() if cols), default=0)
        with self._path.open("w", encoding="gbk", newline="") as fh:
            out = csv.writer(fh)
            for r in range(max(self._rows, default=-1) + 1):
                cols = self._rows.get(r, {})
                out.writerow(["" if cols.get(c) is None else cols[c] for c in range(width)])


def _open_book(path: Path, fmt: str, *, constant_memory: bool = True) -> Any:
    if fmt == "xls":
        return _XlsBook(path)
    if fmt == "csv":
        return _CsvBook(path)
    return _XlsxBook(path, constant_memory=constant_memory)


def _number_text(value: float) -> str:
    return f"{value:g}"


def score_cell(rng: random.Random, score: float, mix: float) -> float | str:
    """A 0–100 score as HR types it: mostly a number, sometimes '95', '95%', 0.95, '９５' or '95分'."""
    if rng.random() >= mix:
        return score
    form = rng.randrange(5)
    if form == 0:
        return _number_text(score)
    if form == 1:
        return f"{_number_text(score)}%"
    if form == 2 and 30 <= score < 100:
        return round(score / 100, 4)
    if form == 3:
        return _number_text(score).translate(_FULL_WIDTH)
    return f"{_number_text(score)}分"


def _target_cell(kpi: Kpi, value: float | str) -> float | str:
    if isinstance(value, str):
        return value
    if kpi.unit == "%":
        return f"{_number_text(value)}%"
    return value


def _id_cell(employee_id: str | None, style: TabularStyle) -> tuple[Any, str]:
    if employee_id is None:
        return None, ""
    if style.numeric_ids:
        return int(employee_id), "id" if style.id_format else ""
    return employee_id, ""


def _weight_cell(weight: int, style: TabularStyle) -> tuple[Any, str]:
    if style.weight_form == "text":
        return f"{weight}%", ""
    if style.weight_form == "fraction":
        return weight / 100, "pct"
    return weight, ""


def _header_rows(ws: Any, r: int, style: TabularStyle) -> int:
    """Write the header (one row, or two with merged group cells); return the next free row."""
    fields = style.fields
    if style.header == "flat":
        for c, f in enumerate(fields):
            ws.cell(r, c, style.words[f], "head")
        return r + 1
    grouped: dict[str, str] = {}
    for group, members in HEADER_GROUPS:
        for f in members:
            grouped[f] = group
    c = 0
    while c < len(fields):
        f = fields[c]
        group = grouped.get(f)
        if group is None:
            if style.header == "grouped_tall":
                ws.merge(r, c, r + 1, c, style.words[f])
            c += 1
            continue
        end = c
        while end + 1 < len(fields) and grouped.get(fields[end + 1]) == group:
            end += 1
        if end > c:
            ws.merge(r, c, r, end, group)
        else:
            ws.cell(r, c, group, "head")
        c = end + 1
    # the lower row after the upper one (constant_memory writes row by row)
    for c, f in enumerate(fields):
        if f in grouped or style.header == "grouped":
            ws.cell(r + 1, c, style.words[f], "head")
    return r + 2


def _write_tabular_sheet(ws: Any, plan: SheetPlan, style: TabularStyle, rng: random.Random, out: WrittenFile) -> None:
    fields = style.fields
    col = {f: i for i, f in enumerate(fields)}
    widths = {"employee_id": 9, "name": 8, "department": 11, "position": 13, "period": 14, "kpi": 20, "comment": 22}
    for f, c in col.items():
        ws.width(c, widths.get(f, 9))
    r = 0
    if style.title_rows:
        ws.merge(r, 0, r, len(fields) - 1, plan.title, "title")
        r += 1
    if style.title_rows > 1:
        ws.cell(r, 0, f"制表部门：人力资源部    单位：分    制表日期：{_FIXED_CREATED:%Y年%m月%d日}")
        r += 1
    r = _header_rows(ws, r, style)
    people = list(plan.appraisals)
    remaining = style.bad_rows - len(out.bad_rows)
    wanted = min(remaining, max(1, style.bad_rows // 4)) if remaining > 0 and rng.random() < 0.6 else 0
    bad_at = set(rng.sample(range(len(people)), min(wanted, len(people))))
    scores: list[float] = []
    last_row: list[Any] | None = None
    for k, a in enumerate(people):
        e = a.employee
        eid, eid_kind = _id_cell(e.employee_id, style)
        rater, rater_kind = _id_cell(a.rater_id, style)
        name = e.name + " " if rng.random() < 0.01 else e.name
        person = {
            "employee_id": (eid, eid_kind),
            "name": (name, ""),
            "department": (e.department, ""),
            "position": (e.position.name, ""),
            "period": (plan.period, ""),
            "manager": (rater, rater_kind),
        }
        out.appraisals += 1
        if style.layout == "totals":
            total: Any = score_cell(rng, a.total, style.value_mix)
            if style.no_score and rng.random() < style.no_score:
                total = rng.choice(("缺考", "-", ""))
                out.blank_totals.append((plan.name, e.employee_id))
            else:
                scores.append(a.total)
            values = {
                **person,
                "total": (total, ""),
                "grade": (a.grade if total not in ("缺考", "-", "") else "", ""),
                "comment": (_overall_comment(rng, a.total), ""),
            }
            last_row = [values.get(f, (None, ""))[0] for f in fields]
            for f, (v, kind) in values.items():
                ws.cell(r, col[f], v, kind)
            r += 1
            out.data_rows += 1
        else:
            first = r
            for it in a.items:
                w, w_kind = _weight_cell(it.weight, style)
                values = {
                    **person,
                    "kpi": (it.kpi.name, ""),
                    "weight": (w, w_kind),
                    "target": (_target_cell(it.kpi, it.target), ""),
                    "actual": (_target_cell(it.kpi, it.actual), ""),
                    "score": (score_cell(rng, it.score, style.value_mix), ""),
                    "comment": (it.comment, ""),
                }
                for f in fields:
                    if style.merged_ids and f in person and len(a.items) > 1:
                        continue
                    v, kind = values[f]
                    ws.cell(r, col[f], v, kind)
                last_row = [values[f][0] for f in fields]
                r += 1
                out.data_rows += 1
            if style.merged_ids and len(a.items) > 1:
                for f in person:
                    v, kind = person[f]
                    if v is None:
                        continue
                    ws.merge(first, col[f], r - 1, col[f], v, "")
            scores.append(a.total)
        if k in bad_at and last_row is not None:
            r = _write_bad_row(ws, r, rng, fields, last_row, style, plan, out)
        if rng.random() < style.blank_rows:
            r += 1
    if style.totals and scores:
        r += rng.random() < 0.5
        ws.cell(r, 0, "平均")
        target_col = col["score"] if "score" in col else col["total"]
        ws.cell(r, target_col, round(sum(scores) / len(scores), 2))
        r += 1
        ws.cell(r, 0, "合计")
        ws.cell(r, 1, f"{len(people)}人")
        r += 1
    if style.notes:
        r += 1
        ws.cell(r, 0, "注：1. 得分按各指标加权计算，满分 100 分，超额完成最高 120 分。")
        ws.cell(r + 1, 0, "2. 考核人栏填写直接上级工号；等级：A ≥ 90，B ≥ 70，C < 70。")
        ws.cell(r + 2, 0, "制表：人力资源部    审核：         日期：")


_BAD_KINDS = ("unknown_id", "unreadable_score", "duplicate")


def _write_bad_row(
    ws: Any,
    r: int,
    rng: random.Random,
    fields: tuple[str, ...],
    like: list[Any],
    style: TabularStyle,
    plan: SheetPlan,
    out: WrittenFile,
) -> int:
    """Slip in one genuinely bad row after a real one: an unknown id without a name, an unreadable score on
    an extra KPI line, or a duplicated line. The importer must reject it; for the last two it may also hold
    back the rest of the appraisal the row belongs to (``spoils`` names whose)."""
    kind = rng.choice(_BAD_KINDS)
    row = list(like)
    col = {f: i for i, f in enumerate(fields)}
    if kind == "unknown_id":
        row[col["employee_id"]] = str(990000 + rng.randrange(9999))
        row[col["name"]] = None
    elif kind == "unreadable_score":
        row[col["score" if "score" in col else "total"]] = "待定"
        if "kpi" in col:
            row[col["kpi"]] = "临时任务"
            row[col["weight"]] = 0
    for c, v in enumerate(row):
        kind_fmt = "pct" if fields[c] == "weight" and style.weight_form == "fraction" else ""
        ws.cell(r, c, v, kind_fmt)
    spoils = None if kind == "unknown_id" else str(like[col["employee_id"]]).zfill(ID_WIDTH)
    out.bad_rows.append((plan.name, r + 1, kind, spoils))
    return r + 1


def _overall_comment(rng: random.Random, total: float) -> str:
    if rng.random() < 0.6:
        return ""
    band = "high" if total >= 95 else "good" if total >= 85 else "mid" if total >= 70 else "low"
    return rng.choice(COMMENTS[band])


def write_tabular_workbook(path: Path, sheets: Iterable[SheetPlan], style: TabularStyle, seed: int = 0) -> WrittenFile:
    """Write a tabular legacy appraisal workbook (one sheet per plan) in ``style``; CSV puts all in one table."""
    rng = random.Random(seed)
    out = WrittenFile(Path(path), "tabular")
    book = _open_book(out.path, style.fmt, constant_memory=style.constant_memory)
    try:
        for plan in sheets:
            _write_tabular_sheet(book.sheet(plan.name), plan, style, rng, out)
    finally:
        book.close()
    return out


def write_roster(path: Path, company: Company, seed: int = 0) -> WrittenFile:
    """The 花名册 as HR keeps it: a title and a date line above the header, one row per person (leavers too)."""
    rng = random.Random(seed)
    out = WrittenFile(Path(path), "roster")
    book = _XlsxBook(out.path, constant_memory=True)
    ws = book.sheet("花名册")
    header = ("序号", "工号", "姓名", "部门", "岗位", "直接上级", "入职日期", "状态", "离职日期")
    for c, w in enumerate((6, 9, 8, 12, 16, 9, 12, 6, 12)):
        ws.width(c, w)
    ws.merge(0, 0, 0, len(header) - 1, f"{COMPANY_NAME}员工花名册", "title")
    ws.cell(1, 0, f"数据截至：{company.quarters[-1].end:%Y年%m月%d日}")
    for c, h in enumerate(header):
        ws.cell(2, c, h, "head")
    order = {name: i for i, name in enumerate(company.departments)}
    people = sorted(company.employees, key=lambda e: (order[e.department], e.employee_id))
    r = 3
    for n, e in enumerate(people, start=1):
        hire: Any = e.hire_date
        if rng.random() < 0.03:  # a few typed as text
            hire = f"{hire.year}/{hire.month}/{hire.day}" if rng.random() < 0.5 else hire.isoformat()
        row = (n, e.employee_id, e.name, e.department, e.position.name, e.manager_id, hire, e.status, e.leave_date)
        for c, v in enumerate(row):
            ws.cell(r, c, v)
        r += 1
        out.data_rows += 1
    book.close()
    return out


def write_form_workbook(path: Path, appraisals: list[Appraisal], period: str, seed: int = 0) -> WrittenFile:
    """Per-person forms: one sheet per person (label cells, an item table, a 合计 row) plus a 汇总 sheet."""
    rng = random.Random(seed)
    out = WrittenFile(Path(path), "form")
    book = _XlsxBook(out.path, constant_memory=False)
    summary_first = rng.random() < 0.5
    if summary_first:
        _write_form_summary(book.sheet("汇总"), appraisals, period)
    used: set[str] = set()
    for a in appraisals:
        e = a.employee
        name = e.name if e.name not in used else f"{e.name}{e.employee_id[-3:]}"
        used.add(name)
        _write_form_sheet(book.sheet(name), a, period, rng)
        out.appraisals += 1
        out.data_rows += len(a.items)
    if not summary_first:
        _write_form_summary(book.sheet("汇总"), appraisals, period)
    book.close()
    return out


def _write_form_sheet(ws: Any, a: Appraisal, period: str, rng: random.Random) -> None:
    e = a.employee
    for c, w in enumerate((20, 8, 10, 10, 8, 22)):
        ws.width(c, w)
    ws.merge(0, 0, 0, 5, f"{COMPANY_NAME}员工季度绩效考核表", "title")
    eid: Any = int(e.employee_id) if rng.random() < 0.3 else e.employee_id
    labels = (
        (("姓名", e.name), ("工号", eid), ("部门", e.department)),
        (("岗位", e.position.name), (rng.choice(("考核期间", "季度")), period), ("考核人", a.rater_id or "")),
    )
    split = rng.random() < 0.5  # "姓名：" and its value in two cells, or "姓名：张三" in one
    for i, line in enumerate(labels, start=1):
        for k, (label, value) in enumerate(line):
            if split:
                ws.cell(i, 2 * k, f"{label}：")
                ws.cell(i, 2 * k + 1, value)
            else:
                ws.cell(i, 2 * k, f"{label}：{value}")
    r = 4
    for c, h in enumerate(("指标", "权重", "目标", "实际", "得分", "评语")):
        ws.cell(r, c, h, "head")
    for it in a.items:
        r += 1
        row = (
            it.kpi.name,
            it.weight,
            _target_cell(it.kpi, it.target),
            _target_cell(it.kpi, it.actual),
            score_cell(rng, it.score, 0.15),
            it.comment,
        )
        for c, v in enumerate(row):
            ws.cell(r, c, v)
    r += 1
    ws.cell(r, 0, "合计")
    ws.cell(r, 1, 100)
    ws.cell(r, 4, a.total)
    ws.cell(r + 1, 0, "等级：")
    ws.cell(r + 1, 1, a.grade)
    ws.cell(r + 3, 0, "被考核人签字：")
    ws.cell(r + 3, 2, "考核人签字：")
    ws.cell(r + 3, 4, "日期：")


def _write_form_summary(ws: Any, appraisals: list[Appraisal], period: str) -> None:
    header = ("序号", "工号", "姓名", "部门", "岗位", "考核期间", "总分", "等级")
    ws.merge(0, 0, 0, len(header) - 1, f"{period}绩效考核汇总", "title")
    for c, h in enumerate(header):
        ws.cell(1, c, h, "head")
    r = 2
    for n, a in enumerate(appraisals, start=1):
        e = a.employee
        for c, v in enumerate((n, e.employee_id, e.name, e.department, e.position.name, period, a.total, a.grade)):
            ws.cell(r, c, v)
        r += 1
    if appraisals:
        ws.cell(r, 0, "平均")
        ws.cell(r, 6, round(sum(a.total for a in appraisals) / len(appraisals), 2))


# ---------------------------------------------------------------------------------------------------
# The builder: write the company out as HR's files and import them
# ---------------------------------------------------------------------------------------------------

_MARKER = ".jixiao-demo"


def _file_style(rng: random.Random, year_index: int, department: str) -> tuple[TabularStyle, str]:
    """The layout and mess of one (year, department) workbook, and its file extension."""
    words = {f: w[0] for f, w in HEADER_WORDS.items()}
    if rng.random() < 0.5:
        for f, choices in HEADER_WORDS.items():
            if rng.random() < 0.3:
                words[f] = rng.choice(choices[:-1])  # Chinese synonyms
    english = rng.random() < 0.15
    if english:
        for f in ("employee_id", "name", "score", "kpi"):
            words[f] = HEADER_WORDS[f][-1]
    style = TabularStyle(
        title_rows=rng.choice((1, 1, 2)),
        header=rng.choice(("flat", "flat", "grouped", "grouped_tall")),
        words=words,
        numeric_ids=rng.random() < 0.3,
        weight_form=rng.choice(("number", "number", "text", "fraction")),
        value_mix=rng.choice((0.1, 0.25, 0.4)),
        blank_rows=rng.choice((0.0, 0.02, 0.05)),
        totals=rng.random() < 0.7,
        notes=rng.random() < 0.7,
        bad_rows=rng.choice((0, 0, 1, 1, 2)),
    )
    style.id_format = style.numeric_ids and rng.random() < 0.5
    if style.weight_form == "fraction":
        style.words["weight"] = "权重"
    ext = "xlsx"
    if year_index == 0:
        # the oldest files: Excel 2003 .xls, a GBK CSV export, one .xls saved under an .xlsx name,
        # and two departments that only recorded totals
        if department in ("财务部", "人力资源部", "采购部"):
            style.fmt, ext = "xls", "xls"
        elif department == "仓储物流部":
            style.fmt, ext = "xls", "xlsx"
        elif department == "市场部":
            style.fmt, ext = "csv", "csv"
            style.title_rows, style.header, style.totals, style.notes = 0, "flat", False, False
            style.words = {
                f: w[-1] if f in ("employee_id", "name", "kpi", "score") else w[0] for f, w in HEADER_WORDS.items()
            }
        if department in ("生产二车间", "销售部"):
            style.layout, style.no_score = "totals", 0.01
    elif year_index == 1 and department == "采购部":
        style.merged_ids = True  # one person's cells merged down over their KPI rows
    return style, ext


def write_demo_files(company: Company, workdir: Path, progress: Progress | None = None) -> list[WrittenFile]:
    """Write the company's roster and legacy appraisal files into ``workdir`` (emptied first if it is ours)."""
    workdir = Path(workdir)
    if (workdir / _MARKER).exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / _MARKER).write_text("由 python -m core.admin demo 生成，可随时删除。\n", encoding="utf-8")
    rng = random.Random(company.seed)
    files = [write_roster(workdir / "花名册.xlsx", company, rng.randrange(1 << 30))]
    sizes = {d: company.size_of(d) for d in company.departments}
    form_departments = sorted(company.departments, key=lambda d: (sizes[d], d))[:2]
    form_quarters = company.quarters[-2:]
    years = sorted({q.year for q in company.quarters})
    steps = len(years) * len(company.departments)
    done = 0
    for yi, year in enumerate(years):
        for department in company.departments:
            done += 1
            quarters = [
                q
                for q in company.quarters
                if q.year == year and not (department in form_departments and q in form_quarters)
            ]
            if not quarters:
                continue
            style, ext = _file_style(rng, yi, department)
            # a few bad rows, and none in a small file: one would spoil a visible share of it
            style.bad_rows = min(style.bad_rows, sizes[department] * len(quarters) * 4 // 250)
            name_form = rng.choice(SHEET_NAME_FORMS)
            plans = []
            for q in quarters:
                period = rng.choice(PERIOD_FORMS)(q)
                plans.append(
                    SheetPlan(
                        name=name_form(q),
                        title=f"{COMPANY_NAME}{department}{period}绩效考核结果",
                        period=period,
                        appraisals=company.appraisals(q, department),
                    )
                )
            path = workdir / f"{year}年{department}绩效考核.{ext}"
            files.append(write_tabular_workbook(path, plans, style, rng.randrange(1 << 30)))
            if progress:
                progress(done / steps, f"已生成 {path.name}")
    for q in form_quarters:
        for department in form_departments:
            period = rng.choice(PERIOD_FORMS)(q)
            appraisals = list(company.appraisals(q, department))
            if appraisals:
                path = workdir / f"{q.year}年第{_CN_QUARTER[q.q]}季度{department}个人考核表.xlsx"
                files.append(write_form_workbook(path, appraisals, period, rng.randrange(1 << 30)))
    return files


@dataclass
class DemoSummary:
    """What building the demo produced and what the import made of it."""

    employees: int
    departments: int
    positions: int
    quarters: int
    appraisals: int
    files: int
    rows_written: int
    bad_rows_planted: int
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    seconds_writing: float = 0.0
    seconds_importing: float = 0.0
    workdir: str = ""
    reports: list[dict[str, Any]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    cycle: DemoCycle | None = None  # this quarter's open cycle (None when not opened)
    seconds_cycle: float = 0.0

    @property
    def loaded_share(self) -> float:
        return self.rows_loaded / self.rows_read if self.rows_read else 0.0


def import_demo_files(db: Any, files: list[WrittenFile], progress: Progress | None = None) -> list[Any]:
    """Import the written files through ``pipelines.import_file``, roster first; return the LoadReports."""
    from pipelines import import_file  # imported here: generating and writing need no pipeline

    ordered = sorted(files, key=lambda f: f.kind != "roster")
    reports = []
    for k, f in enumerate(ordered):
        label = f"正在导入 {f.path.name}（{k + 1}/{len(ordered)}）"

        def step(fraction: float, message: str, k: int = k, label: str = label) -> None:
            if progress:
                progress((k + fraction) / len(ordered), f"{label}：{message}")

        if progress:
            progress(k / len(ordered), label)
        reports.append(import_file(db, f.path, source="auto", uploaded_by="demo", file_name=f.path.name, progress=step))
    if progress:
        progress(1.0, f"已导入 {len(ordered)} 个文件")
    return reports


def build_demo(
    db: Any,
    *,
    employees: int = 420,
    years: int = 3,
    seed: int = 2024,
    workdir: Path | str = DEFAULT_WORKDIR,
    today: dt.date | None = None,
    progress: Progress | None = None,
    current_cycle: bool = True,
) -> DemoSummary:
    """Generate the demo company, write it out as HR's legacy files and import them all into ``db``;
    then create the demo logins and (``current_cycle``) open this quarter's cycle with work under way."""
    t0 = time.perf_counter()
    company = generate_company(employees, years, seed, today=today)

    def writing(fraction: float, message: str) -> None:
        if progress:
            progress(0.3 * fraction, message)

    def importing(fraction: float, message: str) -> None:
        if progress:
            progress(0.3 + 0.7 * fraction, message)

    files = write_demo_files(company, Path(workdir), writing)
    t1 = time.perf_counter()
    reports = import_demo_files(db, files, importing)
    # the standard KPI pack, in force from this quarter, through the library import HR uses
    from core.standard_pack import write_pack_workbook
    from pipelines import import_file

    day = today or dt.date.today()
    pack = write_pack_workbook(
        Path(workdir) / "指标库与岗位模板.xlsx",
        company,
        dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1),
        staffed={(e.department, e.position.name) for e in company.employees},
    )
    reports.append(import_file(db, pack, uploaded_by="demo"))
    t2 = time.perf_counter()
    summary = DemoSummary(
        employees=len(company.employees),
        departments=len(company.departments),
        positions=len({(p.department, p.name) for p in (e.position for e in company.employees)}),
        quarters=len(company.quarters),
        appraisals=sum(f.appraisals for f in files),
        files=len(files),
        rows_written=sum(f.data_rows for f in files),
        bad_rows_planted=sum(len(f.bad_rows) for f in files),
        seconds_writing=t1 - t0,
        seconds_importing=t2 - t1,
        workdir=str(workdir),
    )
    for r in reports:
        summary.rows_read += r.rows_read
        summary.rows_loaded += r.rows_loaded
        summary.rows_rejected += r.rows_rejected
        summary.reports.append(
            {
                "file": r.file_name,
                "status": r.status,
                "rows_read": r.rows_read,
                "rows_loaded": r.rows_loaded,
                "rows_rejected": r.rows_rejected,
            }
        )
    from core.demo_users import create_demo_users  # one login per role, listed in README

    summary.logins = [login.username for login in create_demo_users(db)]
    if current_cycle:  # this quarter's cycle, open and under way, so every login finds work on 我的待办
        if progress:
            progress(1.0, "正在开启本季度考核周期")
        summary.cycle = open_demo_cycle(db, today=day, seed=seed)
        summary.seconds_cycle = summary.cycle.seconds if summary.cycle else 0.0
    return summary


# ---------------------------------------------------------------------------------------------------
# The current cycle: this quarter's appraisals, opened by HR and moved along as people would
# ---------------------------------------------------------------------------------------------------

# The stage each appraisal (other than the few the demo logins need) is left in, with its share:
# most are setting goals or in the mid-term review, a few are further along.
DEMO_STAGE_SHARES: tuple[tuple[str, float], ...] = (
    ("goals", 0.65),
    ("midterm", 0.29),
    ("self_assessment", 0.025),
    ("manager_rating", 0.02),
    ("calibration", 0.015),
)
DEMO_SOURCE = "demo"  # core.cycle.ACTUAL_SOURCES: 演示数据
_GOAL_NOTES = (
    "结合上季度实际完成情况提出",
    "考虑本季度订单增加，目标略上调",
    "新设备调试期，目标暂按模板",
    "已与主管初步沟通",
)
_EMPLOYEE_CHECKINS = (
    "本季度进展顺利，主要指标已完成过半",
    "受物料到货影响，进度略有滞后，已安排加班追赶",
    "重点任务按计划推进，需要主管协调跨部门资源",
    "已完成阶段目标，下一步重点是质量改进",
)
_MANAGER_CHECKINS = (
    "进度符合预期，继续保持",
    "请关注合格率波动，下月复盘",
    "同意调整工作重点，资源已协调",
    "整体可控，月底前补齐差距",
)


@dataclass
class DemoCycle:
    """The demo's open cycle: its id and name, what was opened, the actuals recorded and the stages."""

    cycle_id: str
    name: str
    appraisals: int
    items: int
    actuals: int
    stages: dict[str, int]
    seconds: float


def _demo_actor(users: dict[str, Any], employee_id: str, role: str) -> Any:
    """The person's own demo login when they have one, else a synthetic actor for them (their 工号)."""
    from core.auth import User

    return users.get(employee_id) or User(employee_id, frozenset({role}), employee_id)


def _demo_actuals(items: Any, start: dt.date, last: dt.date, rng: random.Random) -> Any:
    """One synthetic actual per objective item: around its target with noise (each person a little
    better or worse throughout), dated on a day inside the quarter up to ``last``."""
    import polars as pl

    effect: dict[str, float] = {}
    days = max(0, (last - start).days)
    rows = []
    for r in items.iter_rows(named=True):
        person = effect.setdefault(r["employee_id"], rng.gauss(0, 0.35))
        method, target, floor = r["method"], r["target_value"], r["floor"]
        if method == "deduction":
            value = float(rng.choices((0, 0, 0, 1, 1, 2), k=1)[0] if person > -0.3 else rng.choice((1, 2, 3)))
        elif target is None:
            continue
        else:
            gap = abs((floor if floor is not None else target * 0.8) - target) or abs(target) * 0.2 or 1.0
            swing = (person + rng.gauss(-0.3, 0.45)) * gap
            value = target - swing if method == "lower_better" or r["direction"] == "lower" else target + swing
            if r["unit"] == "%" and method != "lower_better" and target <= 100:
                value = min(value, 100.0)
            value = round(max(0.0, value), 2)
        as_of = start + dt.timedelta(days=rng.randint(0, days))
        rows.append((r["employee_id"], r["kpi_id"], as_of, value))
    now = dt.datetime.now().replace(microsecond=0)
    return pl.DataFrame(
        rows, schema={"employee_id": pl.String, "kpi_id": pl.String, "as_of": pl.Date, "value": pl.Float64},
        orient="row",
    ).with_columns(
        source=pl.lit(DEMO_SOURCE), note=pl.lit("演示数据"), recorded_by=pl.lit("demo"), recorded_at=pl.lit(now)
    )  # fmt: skip


def _planned_stages(rows: list[dict[str, Any]], logins: dict[str, str], rng: random.Random) -> dict[str, str]:
    """appraisal_id -> the stage to leave it in. The demo logins get work on 我的待办: the employee is
    still to propose goals, the team lead and the head are in the mid-term review, and each of the two
    managers has reports waiting for goal approval, a mid-term talk, a self-assessment and a rating."""
    stages, shares = zip(*DEMO_STAGE_SHARES, strict=True)
    plan = {r["appraisal_id"]: rng.choices(stages, weights=shares, k=1)[0] for r in rows}
    by_employee = {r["employee_id"]: r for r in rows}
    employee, lead, head = logins.get("employee"), logins.get("lead"), logins.get("head")
    for who, stage in ((employee, "goals"), (lead, "midterm"), (head, "midterm")):
        if who in by_employee:
            plan[by_employee[who]["appraisal_id"]] = stage
    fixed = {r["appraisal_id"] for r in rows if r["employee_id"] in (employee, lead, head)}
    for manager in (lead, head):
        if not manager:
            continue
        reports = [r for r in rows if r["manager_id"] == manager and r["appraisal_id"] not in fixed]
        for r, stage in zip(reports, ("manager_rating", "goals", "midterm", "self_assessment"), strict=False):
            plan[r["appraisal_id"]] = stage
            fixed.add(r["appraisal_id"])
    # HR has at least one department waiting for calibration, whatever the draw
    if "calibration" not in plan.values():
        free = [r["appraisal_id"] for r in rows if r["appraisal_id"] not in fixed]
        if free:
            plan[free[0]] = "calibration"
    return plan


def _backdate(db: Any, cycle_id: str, start: dt.date, today: dt.date, rng: random.Random) -> None:
    """Spread the demo cycle's history over the quarter so far, as if people had worked through it: the
    cycle opened on the quarter's second day, and each appraisal's steps fall around their stage's due
    date (some early, some late), in order and never after today. Only the demo does this; the audit
    trail keeps the real build time."""
    import polars as pl

    from core import cycles, vocabulary
    from core.db import register_frame, unregister_frame

    info = cycles.cycle(db, cycle_id)
    opened = dt.datetime.combine(start + dt.timedelta(days=1), dt.time(9, 0))
    now = max(opened, min(dt.datetime.now().replace(microsecond=0), dt.datetime.combine(today, dt.time(18, 0))))
    events = db.rows(
        "SELECT appraisal_id, seq, from_stage, to_stage FROM stage_events WHERE appraisal_id LIKE ? ORDER BY appraisal_id, seq",
        [cycle_id + ":%"],
    )
    stamps: list[tuple[str, int, dt.datetime]] = []
    since: dict[str, dt.datetime] = {}
    last: dict[str, dt.datetime] = {}
    for e in events:
        previous = last.get(e["appraisal_id"], opened)
        due = info.get(vocabulary.DUE_FIELDS.get(e["from_stage"], ""))
        if e["from_stage"] != e["to_stage"] and due:  # a stage finished around its due date
            wanted = dt.datetime.combine(due, dt.time(10, 0)) + dt.timedelta(
                days=rng.randint(-12, 4), hours=rng.randint(0, 7)
            )
        else:  # a step inside a stage: a few days after the one before
            wanted = previous + dt.timedelta(days=rng.randint(1, 6), hours=rng.randint(0, 7))
        ts = min(now, max(previous + dt.timedelta(minutes=5), wanted))
        stamps.append((e["appraisal_id"], e["seq"], ts))
        last[e["appraisal_id"]] = ts
        if e["from_stage"] != e["to_stage"]:
            since[e["appraisal_id"]] = ts
    frame = pl.DataFrame(
        stamps, schema={"appraisal_id": pl.String, "seq": pl.Int32, "ts": pl.Datetime("us")}, orient="row"
    )
    moved = pl.DataFrame(list(since.items()), schema={"appraisal_id": pl.String, "ts": pl.Datetime("us")}, orient="row")
    with db.transaction() as cur:
        cur.execute("UPDATE cycles SET opened_at = ? WHERE cycle_id = ?", [opened, cycle_id])
        cur.execute("UPDATE appraisals SET stage_since = ? WHERE cycle_id = ?", [opened, cycle_id])
        register_frame(cur, "demo_stamps", frame)
        register_frame(cur, "demo_since", moved)
        try:
            cur.execute(
                "UPDATE stage_events SET ts = d.ts FROM demo_stamps d"
                " WHERE stage_events.appraisal_id = d.appraisal_id AND stage_events.seq = d.seq"
            )
            cur.execute(
                "UPDATE appraisals SET stage_since = d.ts FROM demo_since d WHERE appraisals.appraisal_id = d.appraisal_id"
            )
            # a check-in happened when its stage event did (same appraisal, same author, in order)
            cur.execute(
                "UPDATE checkins SET ts = x.ts FROM ("
                " SELECT c.appraisal_id, c.seq, e.ts FROM"
                " (SELECT appraisal_id, seq, author, row_number() OVER (PARTITION BY appraisal_id, author ORDER BY seq) AS n"
                "  FROM checkins WHERE appraisal_id LIKE $1) c"
                " JOIN (SELECT appraisal_id, actor, ts, row_number() OVER (PARTITION BY appraisal_id, actor ORDER BY seq) AS n"
                "  FROM stage_events WHERE action = 'checkin' AND appraisal_id LIKE $1) e"
                " ON e.appraisal_id = c.appraisal_id AND e.actor = c.author AND e.n = c.n) x"
                " WHERE checkins.appraisal_id = x.appraisal_id AND checkins.seq = x.seq",
                [cycle_id + ":%"],
            )
        finally:
            unregister_frame(cur, "demo_stamps")
            unregister_frame(cur, "demo_since")


def open_demo_cycle(db: Any, *, today: dt.date, seed: int = 0) -> DemoCycle | None:
    """Open the quarter holding ``today`` for the whole company as the demo HR user (due dates from
    ``core.cycle.default_due_dates``), record synthetic actuals for the objective items (source 演示数据)
    and rescore, then move the appraisals along through ``core.cycle``'s own functions, acting as each
    employee and manager would. None when the quarter already has an app cycle (a rebuilt database)."""
    from core import appraisal_edits, appraisal_scores, auth, cycles, errors, periods, vocabulary
    from core.db import insert_frame
    from core.stages import STAGE_ORDER

    t0 = time.perf_counter()
    year, part = today.year, (today.month - 1) // 3 + 1
    period, start, end, _ = periods.period_of("quarterly", year, part)
    if db.scalar("SELECT count(*) FROM cycles WHERE origin = 'app' AND period = ?", [period]):
        return None
    hr = auth.get_user(db, "hr")
    if hr is None or not hr.has("hr", "admin"):  # an "hr" account of another kind: HR acts as the demo builder
        hr = auth.User("demo", frozenset({"hr"}))
    try:
        report = cycles.open_cycle(
            db, hr, kind="quarterly", year=year, part=part, due=periods.default_due_dates(start, end), today=today
        )
    except errors.CycleError:  # nobody to appraise (a roster without templates or managers): no cycle
        return None
    rng = random.Random(seed * 7919 + year * 10 + part)
    items = db.frame(
        "SELECT a.employee_id, i.appraisal_id, i.kpi_id, i.method, i.direction, i.unit, i.target_value, i.floor"
        " FROM appraisal_items i JOIN appraisals a USING (appraisal_id) WHERE a.cycle_id = ?"
        " AND list_contains(?::VARCHAR[], i.method) ORDER BY i.appraisal_id, i.seq",
        [report.cycle_id, list(vocabulary.OBJECTIVE_METHODS)],
    )
    actuals = _demo_actuals(items, start, min(today, end), rng)
    with db.transaction() as cur:
        insert_frame(cur, "kpi_actuals", actuals)
    appraisal_scores.recompute(db, cycle_id=report.cycle_id)

    users = {
        r["employee_id"]: auth.get_user(db, r["username"])
        for r in db.rows("SELECT username, employee_id FROM users WHERE employee_id IS NOT NULL AND NOT disabled")
    }
    logins = {
        r["username"]: r["employee_id"]
        for r in db.rows(
            "SELECT username, employee_id FROM users WHERE list_contains(['employee', 'lead', 'head'], username)"
        )
    }
    rows = db.rows(
        "SELECT appraisal_id, employee_id, manager_id FROM appraisals WHERE cycle_id = ? ORDER BY appraisal_id",
        [report.cycle_id],
    )
    plan = _planned_stages(rows, logins, rng)
    all_items = db.frame(
        "SELECT appraisal_id, kpi_id, method, target_value, item_score FROM appraisal_items"
        " WHERE appraisal_id LIKE ? ORDER BY appraisal_id, seq",
        [report.cycle_id + ":%"],
    )
    items_of: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for it in all_items.iter_rows(named=True):
        items_of[it["appraisal_id"]].append(it)

    def version(appraisal_id: str) -> int:
        return db.scalar("SELECT row_version FROM appraisals WHERE appraisal_id = ?", [appraisal_id])

    login_ids = set(logins.values())
    for r in rows:
        aid, target = r["appraisal_id"], plan[r["appraisal_id"]]
        reach = STAGE_ORDER.index(target)
        employee = _demo_actor(users, r["employee_id"], "employee")
        manager = _demo_actor(users, r["manager_id"], "manager")
        mine = items_of[aid]
        # 目标制定: some propose their own targets first (never the demo employee, who is left to do it)
        if r["employee_id"] not in login_ids and reach == 0 and rng.random() < 0.08:
            proposals = {
                it["kpi_id"]: {"proposed_target": round(it["target_value"] * rng.choice((1.05, 1.1, 0.95)), 2),
                               "goal_note": rng.choice(_GOAL_NOTES)}
                for it in mine if it["method"] in ("linear",) and it["target_value"]
            }  # fmt: skip
            if proposals:
                appraisal_edits.save_goals(
                    db, employee, aid, dict(itertools.islice(proposals.items(), 2)), version=version(aid)
                )
        if reach < 1:
            continue
        appraisal_edits.act(db, manager, aid, "approve_goals", version=version(aid))
        # 中期回顾: progress notes (the demo lead and head are left to write their own)
        talks = reach > 1 or (r["employee_id"] not in login_ids and rng.random() < 0.1)
        if talks and r["employee_id"] not in login_ids:
            appraisal_edits.add_checkin(
                db, employee, aid, rng.choice(_EMPLOYEE_CHECKINS), progress=rng.choice((40, 50, 60, 70))
            )
        if reach > 1 or (r["employee_id"] in login_ids and reach == 1):
            appraisal_edits.add_checkin(db, manager, aid, rng.choice(_MANAGER_CHECKINS))
        if reach < 2:
            continue
        appraisal_edits.act(db, manager, aid, "finish_midterm", version=version(aid))
        if reach < 3:
            continue
        own = {}
        for it in mine:
            base = it["item_score"] if it["item_score"] is not None else rng.gauss(88, 6)
            score = round(min(120.0, max(0.0, base + rng.gauss(3, 5))), 1)
            value = min(5, max(1, round(score / 20 - 1))) if it["method"] == "rubric" else score  # rubric: a level
            own[it["kpi_id"]] = {"self_input": value, "self_comment": rng.choice(COMMENTS["good"])}
        appraisal_edits.save_self(db, employee, aid, own, version=version(aid))
        appraisal_edits.act(db, employee, aid, "submit_self", version=version(aid))
        if reach < 4:
            continue
        rating = {}
        for it in mine:
            if it["method"] == "rubric":
                rating[it["kpi_id"]] = {"manager_input": rng.choice((2, 3, 3, 4, 4, 5))}
            elif it["method"] == "pass_fail":
                rating[it["kpi_id"]] = {"manager_input": 1 if rng.random() < 0.9 else 0}
            elif it["method"] == "manual":
                rating[it["kpi_id"]] = {"manager_input": round(rng.gauss(85, 8), 1)}
        appraisal_edits.save_rating(db, manager, aid, rating, version=version(aid))
        appraisal_edits.act(db, manager, aid, "submit_rating", version=version(aid))
    _backdate(db, report.cycle_id, start, today, rng)
    stages = {
        r["stage"]: r["n"]
        for r in db.rows(
            "SELECT stage, count(*) AS n FROM appraisals WHERE cycle_id = ? GROUP BY stage", [report.cycle_id]
        )
    }
    return DemoCycle(
        report.cycle_id, report.name, report.appraisals, report.items, actuals.height, stages, time.perf_counter() - t0
    )
