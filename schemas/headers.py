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
    "name": ("姓名", "员工姓名", "名字", "被考核人", "被考核人姓名", "Name", "Employee Name", "Full Name"),
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
    ),
    "kpi": ("指标", "考核指标", "指标名称", "考核项目", "考核内容", "KPI", "KPI名称", "Indicator", "Metric", "Item"),
    "weight": ("权重", "权重(%)", "比重", "占比", "Weight", "Weighting"),
    "target": ("目标", "目标值", "考核目标", "计划值", "Target", "Goal"),
    "actual": ("实际", "实际值", "完成值", "实际完成", "完成情况", "Actual", "Result", "Achieved"),
    "score": (
        "得分",
        "分数",
        "评分",
        "考核得分",
        "绩效得分",
        "指标得分",
        "上级评分",
        "Score",
        "Rating",
        "perf_review_score",
        "Review Score",
        "Performance Score",
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
    "comment": ("评语", "备注", "上级评语", "说明", "评价", "Comment", "Comments", "Remark", "Remarks", "Note"),
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
    "name": ("姓名", "员工姓名", "名字", "Name", "Employee Name", "Full Name"),
    "first_name": ("名", "First Name", "first_name", "Given Name"),
    "last_name": ("姓", "Last Name", "last_name", "Surname", "Family Name"),
    "department": LEGACY_HEADERS["department"],
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
    "name": ("姓名", "员工姓名", "被考核人"),
    "employee_id": ("工号", "员工编号", "员工号", "职工号"),
    "department": ("部门", "所属部门"),
    "position": ("岗位", "职位", "岗位名称"),
    "period": ("月份", "考核月份", "考核期间", "考核周期", "季度", "考核季度", "期间", "年度"),
    "manager": ("直接上级", "考核人", "评分人", "上级"),
    "total": ("总分", "合计得分", "综合得分", "最终得分"),
    "grade": ("等级", "绩效等级", "考核等级"),
}

# First-column words that mark a totals / summary row, not a person.
TOTAL_ROW_WORDS = ("合计", "总计", "小计", "平均", "平均分", "汇总", "total", "subtotal", "average", "sum")

_FOLD_DROP = re.compile(r"[\s_\-·.:：()（）\[\]【】/\\%％*#]+")


def fold_header(text: object) -> str:
    """The comparison form of a header cell: NFKC, lower case, punctuation and spaces removed."""
    if text is None:
        return ""
    s = unicodedata.normalize("NFKC", str(text)).strip().lower()
    s = s.replace("\x00", "")
    return _FOLD_DROP.sub("", s)


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
