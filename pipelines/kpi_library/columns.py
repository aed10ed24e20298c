"""The KPI library workbook's vocabulary: its sheets, the columns of each and their titles, the words
each vocabulary column accepts (stored value, label, core's longer label or a synonym), the contracts
of a row after normalisation and the Chinese reason of each failed check."""

from __future__ import annotations

import json

import pandera.polars as pa

from core import vocabulary

SOURCE = "kpi_library"
LIBRARY_SHEET = "指标库"
TEMPLATE_SHEET = "岗位模板"
HELP_SHEET = "填写说明"

# stored value -> label shown in the workbook (the stored values are core.kpi's); the import takes the
# stored value, the label, core.kpi's longer label or a synonym
CATEGORIES = {c: c for c in vocabulary.CATEGORIES}
DIRECTIONS = dict(vocabulary.DIRECTIONS)
METHODS = dict(vocabulary.METHODS)
DATA_SOURCES = dict(vocabulary.DATA_SOURCES)
STATUSES = {code: vocabulary.KPI_STATUSES[code] for code in ("active", "retired")}
SYNONYMS = {
    "category": {**{en: zh for zh, en in vocabulary.CATEGORIES.items()}, "业绩": "业绩类", "业绩指标": "业绩类",
                 "职能": "职能类", "职能指标": "职能类", "行为": "行为类", "行为指标": "行为类",
                 "behavioral": "行为类", "behaviour": "行为类", "behavior": "行为类"},
    "direction": {"越大越好": "higher", "正向": "higher", "高": "higher", "higher_better": "higher",
                  "higher is better": "higher", "越小越好": "lower", "反向": "lower", "低": "lower",
                  "lower_better": "lower", "lower is better": "lower"},
    "method": {**{label: code for code, label in vocabulary.METHOD_DESCRIPTIONS.items()}, "线性插值": "linear", "比率": "ratio",
               "达成率": "ratio", "通过/不通过": "pass_fail", "是否达标": "pass_fail", "pass/fail": "pass_fail",
               "等级": "rubric", "行为锚定": "rubric", "扣分": "deduction", "手工": "manual", "主观评分": "manual",
               "人工评分": "manual"},
    "data_source": {"手工录入": "manual", "手工": "manual", "人工": "manual", "销售/财务": "sales",
                    "客户系统": "crm", "同级评价": "peer", "互评": "peer"},
    "status": {"启用": "active", "在用": "active", "有效": "active", "使用中": "active", "停用": "retired",
               "停止": "retired", "废止": "retired", "inactive": "retired"},
}  # fmt: skip
VOCAB = {
    "category": CATEGORIES, "direction": DIRECTIONS, "method": METHODS, "data_source": DATA_SOURCES,
    "status": STATUSES,
}  # fmt: skip
VOCAB_NAMES = {
    "category": "类别",
    "direction": "方向",
    "method": "计分方法",
    "data_source": "数据来源",
    "status": "状态",
}

KPI_COLUMNS = (
    "name", "category", "unit", "direction", "method", "data_source", "description", "rubric", "deduction_step",
    "status",
)  # fmt: skip
WEIGHT_TOLERANCE = 0.01


class LibraryRecord(pa.DataFrameModel):
    """One 指标库 row after normalisation."""

    kpi_id: str = pa.Field(nullable=True, str_length={"min_value": 1, "max_value": 40})
    name: str = pa.Field(nullable=False, str_length={"min_value": 1, "max_value": 100})
    category: str = pa.Field(nullable=False, isin=list(CATEGORIES))
    method: str = pa.Field(nullable=False, isin=list(METHODS))
    direction: str = pa.Field(nullable=False, isin=list(DIRECTIONS))
    data_source: str = pa.Field(nullable=False, isin=list(DATA_SOURCES))
    deduction_step: float = pa.Field(nullable=True, gt=0, le=100)

    class Config:
        strict = False


class TemplateRecord(pa.DataFrameModel):
    """One 岗位模板 row after normalisation (weights in percent points)."""

    weight: float = pa.Field(nullable=False, gt=0, le=100)
    target: float = pa.Field(nullable=True)
    floor: float = pa.Field(nullable=True)
    stretch: float = pa.Field(nullable=True)

    class Config:
        strict = False


REASONS: dict[tuple[str, str], str] = {
    ("kpi_id", "str_length"): "指标编号过长（最多 40 个字符）",
    ("name", "not_nullable"): "缺少指标名称：请填写",
    ("name", "str_length"): "指标名称过长（最多 100 个字）",
    ("category", "not_nullable"): "缺少类别：请填写 业绩类、职能类 或 行为类",
    ("method", "not_nullable"): "缺少计分方法：请填写 " + "、".join(METHODS.values()),
    ("direction", "not_nullable"): "缺少方向：请填写 " + "、".join(DIRECTIONS.values()),
    ("data_source", "not_nullable"): "缺少数据来源：请填写 " + "、".join(DATA_SOURCES.values()),
    ("deduction_step", "greater_than"): "扣分步长必须大于 0",
    ("deduction_step", "less_than_or_equal_to"): "扣分步长超过 100 分：请核对",
    ("weight", "not_nullable"): "缺少权重：请填写 0–100 之间的数字",
    ("weight", "greater_than"): "权重必须大于 0（不考核的指标请删去这一行）",
    ("weight", "less_than_or_equal_to"): "权重超过 100：请核对",
}


def rubric_levels(text: str | None) -> list[str | None]:
    """The five level descriptions of a stored rubric (a JSON list of five, or an object keyed 1–5)."""
    if not text:
        return [None] * 5
    try:
        value = json.loads(text)
    except ValueError:
        return [text, None, None, None, None]
    if isinstance(value, dict):
        value = [value.get(str(n), value.get(n)) for n in range(1, 6)]  # type: ignore[call-overload]
    if not isinstance(value, list):
        return [str(value), None, None, None, None]
    out = [(v.get("text") or v.get("description")) if isinstance(v, dict) else v for v in value[:5]]
    out = [None if v is None or str(v).strip() == "" else str(v) for v in out]
    return out + [None] * (5 - len(out))
