"""The domain's words, each defined once: scoring methods, KPI categories, directions and data sources,
where an actual came from, appraisal stages, cycle kinds, grades and roles.

Codes are what the database stores; the Chinese labels are the default wording (the UI catalog in
``ui/i18n.py`` carries the English). Everything here is data: no database, no rules.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

# -- scoring methods -------------------------------------------------------------------------------

#: method code -> its short name (the 指标库 workbook's wording)
METHODS: Final = MappingProxyType(
    {
        "linear": "线性",
        "lower_better": "反向线性",
        "ratio": "完成率",
        "pass_fail": "达标制",
        "rubric": "等级评分",
        "deduction": "扣分制",
        "manual": "上级评定",
    }
)
#: method code -> how it scores, in one phrase (the library screen and the import's synonyms)
METHOD_DESCRIPTIONS: Final = MappingProxyType(
    {
        "linear": "线性（下限 60、目标 100、挑战 120）",
        "lower_better": "越低越好（线性反向）",
        "ratio": "完成率（实际 / 目标）",
        "pass_fail": "达标 / 未达标",
        "rubric": "行为锚定评分（1–5 级）",
        "deduction": "扣分制（100 − 每次扣分 × 次数）",
        "manual": "上级评定",
    }
)
#: methods scored from a measured actual
OBJECTIVE_METHODS: Final = ("linear", "lower_better", "ratio", "deduction")
#: methods scored from the rater's judgement (a rubric level, pass 1 / fail 0, a score)
JUDGED_METHODS: Final = ("rubric", "pass_fail", "manual")
RUBRIC_LEVELS: Final = 5

# -- KPI library ----------------------------------------------------------------------------------

#: category (stored in Chinese) -> its English code
CATEGORIES: Final = MappingProxyType({"业绩类": "performance", "职能类": "functional", "行为类": "behavioural"})
DIRECTIONS: Final = MappingProxyType({"higher": "越高越好", "lower": "越低越好"})
KPI_STATUSES: Final = MappingProxyType({"active": "在用", "retired": "已停用", "legacy": "历史导入"})

# -- where numbers come from -----------------------------------------------------------------------

#: systems that feed actuals (a KPI's data source and an actual's source)
FEEDS: Final = MappingProxyType(
    {"attendance": "考勤", "finance": "财务", "sales": "销售", "crm": "CRM", "peer": "跨部门互评"}
)
#: a KPI's data source: a feed, or typed in by people
DATA_SOURCES: Final = MappingProxyType({"manual": "人工录入", **FEEDS})
#: actual sources typed in by people; every other source is a feed and wins over them
MANUAL_SOURCES: Final = ("manual", "hr")
#: where a recorded actual came from
ACTUAL_SOURCES: Final = MappingProxyType({"manual": "主管录入", "hr": "HR 录入", **FEEDS, "demo": "演示数据"})


def is_feed(source: str | None) -> bool:
    """Whether an actual of ``source`` came from a system (a feed or the demo's data), not from a person."""
    return source is not None and source not in MANUAL_SOURCES


# -- appraisal stages ------------------------------------------------------------------------------

GOALS: Final = "goals"
MIDTERM: Final = "midterm"
SELF_ASSESSMENT: Final = "self_assessment"
MANAGER_RATING: Final = "manager_rating"
CALIBRATION: Final = "calibration"
SIGNOFF: Final = "signoff"
CLOSED: Final = "closed"
STAGE_ORDER: Final = (GOALS, MIDTERM, SELF_ASSESSMENT, MANAGER_RATING, CALIBRATION, SIGNOFF, CLOSED)
STAGE_LABELS: Final = MappingProxyType(
    {
        GOALS: "目标制定",
        MIDTERM: "中期回顾",
        SELF_ASSESSMENT: "期末自评",
        MANAGER_RATING: "上级评定",
        CALIBRATION: "校准",
        SIGNOFF: "签字确认",
        CLOSED: "已关闭",
    }
)
#: stages before calibration: the appraisal's scores still move
OPEN_STAGES: Final = (GOALS, MIDTERM, SELF_ASSESSMENT, MANAGER_RATING)
#: stage -> the ``cycles`` column holding its due date
DUE_FIELDS: Final = MappingProxyType(
    {
        GOALS: "goals_due",
        MIDTERM: "midterm_due",
        SELF_ASSESSMENT: "self_due",
        MANAGER_RATING: "manager_due",
        CALIBRATION: "calibration_due",
        SIGNOFF: "signoff_due",
    }
)

# -- cycles ----------------------------------------------------------------------------------------

#: the kinds HR opens in the app -> label; ``monthly`` exists only in imported history
CYCLE_KINDS: Final = MappingProxyType({"quarterly": "季度", "half_year": "半年度", "annual": "年度"})
#: how many periods of a kind make a year
PERIODS_PER_YEAR: Final = MappingProxyType({"quarterly": 4, "half_year": 2, "annual": 1, "monthly": 12})
#: cycle kinds in the order a screen offers them (the first one present is the default)
KIND_ORDER: Final = ("quarterly", "annual", "half_year", "monthly")

# -- grades ----------------------------------------------------------------------------------------

#: (grade, minimum total), best first; the last grade also takes every total below its minimum
DEFAULT_SCALE: Final[tuple[tuple[str, float], ...]] = (("A", 90.0), ("B", 70.0), ("C", 0.0))
#: the distribution guideline per department: at most A_max % of the best grade, at least C_min % of the lowest
DEFAULT_GUIDELINE: Final = MappingProxyType({"A_max": 20.0, "C_min": 10.0})


def effective_grade_sql(alias: str = "a") -> str:
    """SQL for an appraisal's grade as it stands: the calibrated grade where HR moved it, else the grade as
    rated, trimmed and upper-cased (imported history writes 'a ', 'B' …)."""
    return f"upper(trim(coalesce({alias}.calibrated_grade, {alias}.grade)))"


# -- people ----------------------------------------------------------------------------------------

EMPLOYEE_STATUSES: Final = ("active", "left", "historical")
ROLES: Final = ("employee", "manager", "hrbp", "hr", "executive", "analyst", "admin")
ROLE_LABELS: Final = MappingProxyType(
    {
        "employee": "员工",
        "manager": "主管",
        "hrbp": "HRBP",
        "hr": "人力资源管理员",
        "executive": "分管副总/高管",
        "analyst": "数据分析师",
        "admin": "系统管理员",
    }
)
#: the limit of every free text a person types (reasons, comments, notes), in characters
MAX_TEXT: Final = 2000
