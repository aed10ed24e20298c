"""Header synonyms: the many ways HR files name one column, mapped to one canonical field.

Matching is done on a folded form of the header text (NFKC, lower case, no spaces, brackets,
punctuation or unit suffixes), so '员工编号', '员工 编号', 'Emp ID', 'emp_id' and 'EMP-ID' all meet.
Add a synonym here and every pipeline understands it.
"""

from __future__ import annotations

import re
import unicodedata

# canonical field -> synonyms (as people write them; folded before comparison)
LEGACY_HEADERS: dict[str, tuple[str, ...]] = {
    "employee_id": (
        "工号",
        "员工编号",
        "员工号",
        "职工号",
        "职工编号",
        "人员编号",
        "员工工号",
        "编号",
        "员工ID",
        "Emp ID",
        "EmpID",
        "Employee ID",
        "Employee No",
        "Employee Number",
        "employee_num",
        "emp_no",
        "Staff ID",
    ),
    "name": (
        "姓名",
        "员工姓名",
        "名字",
        "被考核人",
        "被考核人姓名",
        "Name",
        "Employee Name",
        "Full Name",
        "emp_name",
        "staff_name",
    ),
    "department": (
        "部门",
        "所属部门",
        "部门名称",
        "科室",
        "车间",
        "Department",
        "Dept",
        "Org",
        "Organisation",
        "Organization",
        "depart",
        "dept_name",
        "department_name",
    ),
    "position": ("岗位", "职位", "岗位名称", "职务", "Position", "Job", "Job Title", "Title", "job_name"),
    "period": (
        "考核期间",
        "考核周期",
        "期间",
        "考核期",
        "季度",
        "考核季度",
        "月份",
        "考核月份",
        "年度",
        "考核年度",
        "年份",
        "Period",
        "Quarter",
        "Month",
        "Year",
        "Review Period",
        "Cycle",
        # a review date stands for the period it falls in (pipelines/legacy/records.py _periods)
        "最近考核日期",
        "考核日期",
        "评价时间",
        "评价日期",
        "Review Date",
        "Last Review Date",
        "Appraisal Date",
        "Evaluation Date",
    ),
    "kpi": (
        "指标",
        "考核指标",
        "指标名称",
        "考核项目",
        "考核内容",
        "考核项",
        "评价项目",
        "评估项目",
        "考核要素",
        "关键指标",
        "工作目标",
        "工作任务",
        "重点工作",
        "评价内容",
        "KPI",
        "KPI指标",
        "KPI名称",
        "Indicator",
        "Metric",
        "Item",
    ),
    # a form's item table: the category an item belongs to, and the category's share of the whole
    "category": ("考核维度", "维度", "类别", "指标类别", "考核类别", "指标类型", "指标维度", "Category"),
    "category_weight": ("类别权重", "维度权重", "类别占比", "维度占比", "Category Weight"),
    # 分值 / 标准分: the points an item is worth, its weight when the items add up to 100
    "weight": (
        "权重",
        "权重(%)",
        "比重",
        "占比",
        "目标权重",
        "指标权重",
        "分值",
        "标准分",
        "配分",
        "权重分",
        "权重分值",
        "Weight",
        "Weighting",
    ),
    # 关键结果 is what an objective (目标) is judged by in an OKR-style form: there 目标 names the item
    "target": ("目标", "目标值", "考核目标", "计划值", "目标/标准", "考核标准", "关键结果", "Target", "Goal"),
    "actual": (
        "实际",
        "实际值",
        "完成值",
        "实际完成",
        "完成情况",
        "实际达成值",
        "达成值",
        "实际完成情况",
        "完成结果",
        "完成情况描述",
        "关键结果完成情况描述",
        "Actual",
        "Result",
        "Achieved",
    ),
    "self_score": (
        "自评",
        "自评得分",
        "自评分",
        "自评分数",
        "本人自评",
        "员工自评分",
        "员工自评",
        "员工自评得分",
        "自我评分",
        "个人自评",
        "Self Score",
        "Self Rating",
        "Self Assessment",
    ),
    "score": (
        "得分",
        "分数",
        "评分",
        "考核得分",
        "绩效得分",
        "指标得分",
        "上级评分",
        "领导评分",
        "考评得分",
        "上级考评",
        "直接上级评分",
        "部门负责人评分",
        "主管评分",
        "经理评分",
        "考核人评分",
        "上级打分",
        "领导打分",
        "原始分",
        "Manager Score",
        "Supervisor Score",
        "Score",
        "Rating",
        "perf_review_score",
        "Review Score",
        "Performance Score",
        "Performance Rating",
        "Overall Rating",
        "Appraisal Score",
    ),
    "total": (
        "总分",
        "合计得分",
        "综合得分",
        "总得分",
        "最终得分",
        "考核总分",
        "绩效总分",
        "Total",
        "Total Score",
        "Final Score",
    ),
    "grade": ("等级", "绩效等级", "考核等级", "评级", "考核结果", "Grade", "Level", "Performance Grade"),
    "comment": (
        "评语",
        "备注",
        "上级评语",
        "领导评语",
        "说明",
        "评价",
        "诊断说明",
        "Comment",
        "Comments",
        "Remark",
        "Remarks",
        "Note",
    ),
    "manager": (
        "直接上级",
        "上级",
        "评分人",
        "考核人",
        "直属上级",
        "主管",
        "上级工号",
        "考核人工号",
        "Manager",
        "Rater",
        "Reviewer",
        "Supervisor",
        "Manager ID",
    ),
}

ROSTER_HEADERS: dict[str, tuple[str, ...]] = {
    "employee_id": LEGACY_HEADERS["employee_id"],
    "name": ("姓名", "员工姓名", "名字", "Name", "Employee Name", "Full Name", "emp_name", "staff_name"),
    "first_name": ("名", "First Name", "first_name", "Given Name"),
    "last_name": ("姓", "Last Name", "last_name", "Surname", "Family Name"),
    "department": (*LEGACY_HEADERS["department"], "所在部门", "部门全称"),
    "parent_department": ("上级部门", "所属上级部门", "Parent Department", "Parent Org"),
    "position": LEGACY_HEADERS["position"],
    "manager": (
        "直接上级",
        "上级",
        "直属上级",
        "汇报对象",
        "上级工号",
        "直接上级工号",
        "Manager",
        "Manager ID",
        "Supervisor",
        "Reports To",
        "manager_id",
    ),
    "hire_date": ("入职日期", "入职时间", "到岗日期", "Hire Date", "Start Date", "Date of Joining", "hire_date"),
    "leave_date": ("离职日期", "离职时间", "Leave Date", "Termination Date", "End Date", "leave_date"),
    "status": ("状态", "在职状态", "员工状态", "Status", "Employment Status"),
    "is_key": ("关键岗位", "是否关键岗位", "Key Position"),
}

# Label cells of the per-person form layout ("姓名：张三" or "姓名：" beside/above "张三").
FORM_LABELS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "员工姓名", "被考核人", "被考核人姓名", "被评估人", "考核对象", "员工"),
    "employee_id": ("工号", "员工编号", "员工号", "职工号", "员工工号"),
    "department": ("部门", "所属部门", "所在部门", "部门名称", "车间", "小组", "班组"),
    "position": ("岗位", "职位", "岗位名称", "职务"),
    "period": (
        "月份",
        "考核月份",
        "评估月份",
        "考核期间",
        "考核周期",
        "评估周期",
        "评价周期",
        "季度",
        "考核季度",
        "期间",
        "评价时间",
        "考核时间",
        "考核时段",
        "考核区间",
    ),
    # a year label beside a month label (年度：2026 月份：1) names the month of that year
    "year": ("年度", "年份", "考核年度"),
    "manager": ("直接上级", "考核人", "评分人", "评估人", "考评人", "直接主管", "上级"),
    "total": ("总分", "合计得分", "综合得分", "最终得分", "考核总分", "绩效总分"),
    "grade": ("等级", "绩效等级", "考核等级", "评定等级", "考核结果"),
}

# First-column words that mark a totals / summary row, not a person.
TOTAL_ROW_WORDS = ("合计", "总计", "小计", "平均", "平均分", "汇总", "total", "subtotal", "average", "sum")

_FOLD_DROP = re.compile(r"[\s_\-·.:：()（）\[\]【】/\\%％*#]+")
# a filling rule written into an import template's header cell: 「*员工姓名（必填；不允许超过16个字）」
_RULE_NOTE = re.compile(
    r"[(（【\[][^()（）【】\[\]]*(?:必填|选填|非必填|不允许|只能|只允许|请填|例如|格式|支持|不超过)[^()（）【】\[\]]*[)）】\]]"
)


def fold_header(text: object) -> str:
    """The comparison form of a header cell: NFKC, lower case, a bracketed filling rule (必填；…) dropped,
    punctuation and spaces removed."""
    if text is None:
        return ""
    s = unicodedata.normalize("NFKC", str(text)).strip().lower()
    s = s.replace("\x00", "")
    s = _RULE_NOTE.sub("", s)
    return _FOLD_DROP.sub("", s)


def header_label(text: object) -> str:
    """A header cell as people should see it named: without a template's filling rule or its 「*」 mark
    (「*员工姓名（必填；…）」 → 「员工姓名」)."""
    s = " ".join(_RULE_NOTE.sub("", str(text or "")).split())
    return s.lstrip("*＊ ").strip() or str(text or "").strip()


def _index(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for field, words in table.items():
        for w in (field, *words):
            out.setdefault(fold_header(w), field)
    return out


LEGACY_INDEX = _index(LEGACY_HEADERS)
ROSTER_INDEX = _index(ROSTER_HEADERS)
FORM_INDEX = _index(FORM_LABELS)


def match_header(text: object, index: dict[str, str]) -> str | None:
    """The canonical field a header cell names, or None."""
    return index.get(fold_header(text))


# The KPI library workbook (pipelines.kpi_library): the 指标库 sheet …
def _level_words(n: int) -> tuple[str, ...]:
    cn = "一二三四五"[n - 1]
    return (f"等级{n}描述", f"{n}级描述", f"等级{n}", f"{n}级", f"{cn}级", f"{cn}级描述", f"Level {n}", f"Rubric {n}")


LIBRARY_HEADERS: dict[str, tuple[str, ...]] = {
    "kpi_id": ("指标编号", "指标代码", "指标ID", "编号", "KPI ID", "KPI Code", "Code", "ID"),
    "name": ("指标名称", "指标", "名称", "考核指标", "KPI", "KPI名称", "KPI Name", "Name", "Indicator", "Metric"),
    "category": ("类别", "指标类别", "指标类型", "分类", "类型", "Category", "Type"),
    "unit": ("单位", "计量单位", "Unit"),
    "direction": ("方向", "指标方向", "考核方向", "极性", "Direction", "Polarity"),
    "method": ("计分方法", "评分方法", "计分方式", "评分方式", "方法", "Method", "Scoring Method", "Scoring"),
    "data_source": ("数据来源", "来源", "数据源", "Data Source", "Source"),
    "description": ("说明", "描述", "指标说明", "指标定义", "定义", "Description", "Definition"),
    **{f"level{n}": _level_words(n) for n in range(1, 6)},
    "deduction_step": (
        "扣分步长",
        "每次扣分",
        "单次扣分",
        "扣分标准",
        "Deduction Step",
        "Points per Event",
        "Deduction",
    ),
    "status": ("状态", "指标状态", "Status"),
}

# … and the 岗位模板 sheet (one row per position × KPI of the template in force).
TEMPLATE_HEADERS: dict[str, tuple[str, ...]] = {
    "department": LEGACY_HEADERS["department"],
    "position": LEGACY_HEADERS["position"],
    "version": ("版本", "版本号", "模板版本", "Version"),
    "valid_from": (
        "生效日期",
        "生效季度",
        "生效期间",
        "生效时间",
        "季度",
        "Valid From",
        "Effective From",
        "Effective Date",
    ),
    "kpi_id": ("指标编号", "指标代码", "指标ID", "KPI ID", "KPI Code"),
    "kpi": ("指标", "指标名称", "考核指标", "KPI", "KPI名称", "KPI Name", "Indicator", "Metric"),
    "weight": ("权重", "权重(%)", "比重", "占比", "Weight", "Weighting"),
    "target": ("目标", "目标值", "Target", "Goal"),
    "floor": ("保底值", "保底", "门槛值", "底线", "最低值", "Floor", "Threshold", "Minimum"),
    "stretch": ("挑战值", "挑战", "挑战目标", "卓越值", "Stretch", "Stretch Target"),
}

LIBRARY_INDEX = _index(LIBRARY_HEADERS)
TEMPLATE_INDEX = _index(TEMPLATE_HEADERS)

# The library workbook's columns in order, and their titles (the first synonym of each field): the
# import reads them, and the export and the standard pack write them.
LIBRARY_LEVELS = tuple(f"level{n}" for n in range(1, 6))
LIBRARY_FIELDS = (
    "kpi_id", "name", "category", "unit", "direction", "method", "data_source", "description", *LIBRARY_LEVELS,
    "deduction_step", "status",
)  # fmt: skip
TEMPLATE_FIELDS = (
    "department", "position", "version", "valid_from", "kpi_id", "kpi", "weight", "target", "floor", "stretch",
)  # fmt: skip
LIBRARY_TITLES = {f: LIBRARY_HEADERS[f][0] for f in LIBRARY_FIELDS}
TEMPLATE_TITLES = {f: TEMPLATE_HEADERS[f][0] for f in TEMPLATE_FIELDS}
