"""pandera contracts for staged frames: what a record must satisfy before it is loaded, and the
Chinese sentence each failed check becomes in the LoadReport."""

from __future__ import annotations

import pandera.polars as pa

PERIOD_KEY = r"^(19|20|21)\d{2}(-(Q[1-4]|M(0[1-9]|1[0-2])|H[12]))?$"
EMPLOYEE_ID = r"^[0-9A-Za-z][0-9A-Za-z_\-]{0,31}$"
GRADES = ["S", "A", "B", "C", "D", "E"]


class LegacyRecord(pa.DataFrameModel):
    """One legacy appraisal record after normalisation: a person's result for a period, or one KPI
    item of it. Scores are on 100 points (a 5-point rating is converted before this check)."""

    employee_id: str = pa.Field(nullable=True, str_matches=EMPLOYEE_ID)
    period_key: str = pa.Field(nullable=True, str_matches=PERIOD_KEY)
    weight_v: float = pa.Field(nullable=True, ge=0, le=100)
    score_v: float = pa.Field(nullable=True, ge=0, le=120)
    total_v: float = pa.Field(nullable=True, ge=0, le=120)
    self_v: float = pa.Field(nullable=True, ge=0, le=120)
    # a grade must be on S–E or on the company's own scale: checked with HR's scale beside this contract
    # (pipelines/legacy/records.py validate), which a static model cannot know
    grade_v: str = pa.Field(nullable=True)

    class Config:
        strict = False


class RosterRecord(pa.DataFrameModel):
    """One roster row after normalisation."""

    employee_id: str = pa.Field(nullable=False, str_matches=EMPLOYEE_ID)
    name: str = pa.Field(nullable=False, str_length={"min_value": 1, "max_value": 40})
    department: str = pa.Field(nullable=False, str_length={"min_value": 1, "max_value": 60})

    class Config:
        strict = False


# (column, check name prefix) -> reason; {value} is the offending value
REASONS: dict[tuple[str, str], str] = {
    ("employee_id", "str_matches"): "工号格式不对（只能是字母、数字、- 或 _，最长 32 位）：请核对工号",
    ("employee_id", "not_nullable"): "缺少工号：请补上工号",
    ("period_key", "str_matches"): "考核期间无法识别：请写成 2024Q1、2024年第二季度、2024-03 或 2024 这样的形式",
    ("weight_v", "greater_than_or_equal_to"): "权重不能为负数",
    ("weight_v", "less_than_or_equal_to"): "权重超过 100%：请核对权重",
    ("score_v", "greater_than_or_equal_to"): "得分不能为负数",
    ("score_v", "less_than_or_equal_to"): "得分超过 120 分上限（或超过 5 分制的 6 分）：请核对分数",
    ("self_v", "greater_than_or_equal_to"): "自评得分不能为负数",
    ("self_v", "less_than_or_equal_to"): "自评得分超过 120 分上限（或超过 5 分制的 6 分）：请核对分数",
    ("total_v", "greater_than_or_equal_to"): "总分不能为负数",
    ("total_v", "less_than_or_equal_to"): "总分超过 120 分上限：请核对分数",
    (
        "grade_v",
        "isin",
    ): "等级无法识别：请用公司等级（默认 A/B/C，可在系统设置中修改）、S/D/E，或 优秀/良好/合格/待改进/不合格、甲/乙/丙/丁、Exceeds/Fully Meets/Needs Improvement/PIP 等写法（系统设置「等级写法」可增加）",
    ("name", "not_nullable"): "缺少姓名：请补上姓名",
    ("name", "str_length"): "姓名过长（超过 40 个字）：请核对",
    ("department", "not_nullable"): "缺少部门：请补上部门",
    ("department", "str_length"): "部门名称过长：请核对",
}


def reason_for(column: str, check: str) -> str:
    """The Chinese reason for a failed pandera check."""
    for (col, prefix), text in REASONS.items():
        if col == column and check.startswith(prefix):
            return text
    return f"{column} 不符合要求（{check}）"
