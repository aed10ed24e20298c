"""Every string the UI shows, in one catalog: Simplified Chinese (default) and English.

``t(key, **fmt)`` looks a key up in the language of this session (``st.session_state["ui.lang"]``, set by
the sidebar switch) and fills ``{placeholders}``. A key missing from the catalog is a bug and raises.
Texts are Markdown as Streamlit renders labels: user text passed in must go through ``ui.widgets.plain``.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import MappingProxyType

import streamlit as st

LANG_KEY = "ui.lang"
DEFAULT_LANG = "zh-CN"
LANGUAGES = MappingProxyType({"zh-CN": "中文", "en": "English"})

# key -> (zh-CN, en)
CATALOG: MappingProxyType[str, tuple[str, str]] = MappingProxyType(
    {
        # app shell and navigation
        "app.title": ("JiXiao 绩效", "JiXiao performance"),
        "app.language": ("语言 / Language", "Language / 语言"),
        "nav.section.mine": ("我的", "Mine"),
        "nav.section.team": ("团队", "Team"),
        "nav.section.hr": ("人力资源", "HR"),
        "nav.section.management": ("管理层", "Management"),
        "nav.section.analysis": ("分析", "Analysis"),
        "nav.data_import": ("数据导入", "Data import"),
        "nav.org": ("组织与人员", "Organisation and people"),
        "nav.overview": ("绩效总览", "Performance overview"),
        "db.busy": ("数据库暂时无法打开：{detail}", "The database cannot be opened right now: {detail}"),
        "db.error": ("数据库无法打开：{detail}", "The database cannot be opened: {detail}"),
        "table.download": ("下载 Excel", "Download Excel"),
        # statuses, sources, kinds, measures
        "status.loaded": ("已全部导入", "Fully imported"),
        "status.partial": ("部分导入（有被拒绝的行）", "Partly imported (some rows rejected)"),
        "status.rejected": ("所有数据行都被拒绝，未导入任何数据", "Every data row was rejected: nothing imported"),
        "status.refused": ("文件被拒收", "File refused"),
        "status.unchanged": ("重复文件，未做任何更改", "Same file as before: nothing changed"),
        "status.failed": ("导入失败，未写入任何数据", "Import failed: nothing was written"),
        "source.auto": ("自动识别", "Detect automatically"),
        "source.legacy": ("历史考核表", "Legacy appraisal workbook"),
        "source.roster": ("花名册", "Employee roster"),
        "employee_status.active": ("在职", "Active"),
        "employee_status.left": ("离职", "Left"),
        "employee_status.historical": ("仅见于历史考核", "Only in past appraisals"),
        "kind.quarterly": ("季度", "Quarterly"),
        "kind.annual": ("年度", "Annual"),
        "kind.half_year": ("半年度", "Half-yearly"),
        "kind.monthly": ("月度", "Monthly"),
        "measure.mean_score": ("平均分", "Mean score"),
        "measure.share_a": ("A 等占比", "Share of A grades"),
        "measure.share_c": ("C 等占比", "Share of C grades"),
        # 数据导入
        "import.title": ("数据导入", "Data import"),
        "import.intro": (
            "上传历史考核表（.xlsx / .xls / .csv）或花名册。每个文件要么整体导入、要么一行不写；"
            "被拒绝的行逐行列出原因，可下载为 Excel。同一个文件重复上传不会重复导入。",
            "Upload legacy appraisal workbooks (.xlsx / .xls / .csv) or rosters. Each file is imported whole "
            "or not at all; every rejected row is listed with its reason and can be downloaded as Excel. "
            "Uploading the same file again changes nothing.",
        ),
        "import.files": ("选择文件（可多选）", "Choose files (several at once if you like)"),
        "import.source": ("文件类型", "File type"),
        "import.start": ("开始导入", "Start import"),
        "import.no_files": ("请先选择要导入的文件。", "Choose at least one file to import first."),
        "import.queued": ("{name}：等待导入", "{name}: waiting"),
        "import.step": ("{name}：{step}", "{name}: {step}"),
        "import.finished": ("{name}：{status}", "{name}: {status}"),
        "import.rows_read": ("读取行数", "Rows read"),
        "import.rows_loaded": ("导入行数", "Rows imported"),
        "import.rows_rejected": ("拒绝行数", "Rows rejected"),
        "import.rows_unchanged": ("未变化行数", "Rows already there"),
        "import.rejects_heading": ("**被拒绝的行（{n}）**", "**Rejected rows ({n})**"),
        "import.download_report": ("下载导入结果（Excel）", "Download the import report (Excel)"),
        "import.report_file": ("{stem}-导入结果.xlsx", "{stem}-import-report.xlsx"),
        "import.history": ("导入记录", "Import history"),
        "import.history_empty": (
            "还没有导入记录 — 在上方上传历史考核表或花名册。",
            "Nothing imported yet — upload a legacy appraisal workbook or a roster above.",
        ),
        "import.history_file": ("导入记录", "import-history"),
        "import.history_no_rejects": ("所有导入记录都没有被拒绝的行。", "No import so far has rejected rows."),
        "import.choose_batch": ("查看某次导入被拒绝的行", "Show the rejected rows of an import"),
        "import.batch_label": ("{at} · {name}（{n} 行被拒绝）", "{at} · {name} ({n} rows rejected)"),
        "import.rejects_file": ("被拒绝的行-{batch}", "rejected-rows-{batch}"),
        # 组织与人员
        "org.title": ("组织与人员", "Organisation and people"),
        "org.empty": (
            "还没有组织数据 — 在「数据导入」里上传花名册。",
            "No organisation data yet — upload a roster under “Data import”.",
        ),
        "org.departments": ("部门", "Departments"),
        "org.positions": ("岗位", "Positions"),
        "org.active_people": ("在职人数", "Active employees"),
        "org.tab.people": ("人员", "People"),
        "org.tab.departments": ("部门", "Departments"),
        "org.tab.positions": ("岗位", "Positions"),
        "org.search": ("搜索工号或姓名", "Search by employee ID or name"),
        "org.search_placeholder": ("例如 000123 或 张", "e.g. 000123 or Zhang"),
        "org.department_filter": ("部门", "Department"),
        "org.all_departments": ("全部部门", "All departments"),
        "org.include_former": ("含离职与历史人员", "Include former staff"),
        "org.people_found": ("找到 {n} 人", "{n} people found"),
        "org.people_file": ("人员名单", "people"),
        "org.departments_file": ("部门", "departments"),
        "org.positions_file": ("岗位", "positions"),
        # 绩效总览
        "overview.title": ("绩效总览", "Performance overview"),
        "overview.empty": (
            "还没有考核数据 — 在「数据导入」里上传历史考核表。",
            "No appraisal results yet — upload legacy appraisal workbooks under “Data import”.",
        ),
        "overview.kind": ("考核周期类型", "Cycle type"),
        "overview.measure": ("显示", "Show"),
        "overview.heatmap_title": ("各部门各期{measure}", "{measure} by department and period"),
        "overview.no_department": ("（未记录部门）", "(no department recorded)"),
        "overview.table": ("查看数据表", "Show the numbers as a table"),
        "overview.cells_file": ("部门绩效热力图数据", "department-heatmap"),
        "chart.department": ("部门", "Department"),
        "chart.period": ("考核期", "Period"),
        "chart.people": ("考核人数", "People appraised"),
        "chart.scored": ("有得分人数", "People with a score"),
        "chart.graded": ("有等级人数", "People with a grade"),
        "chart.heatmap_caption": (
            "图中为已关闭的{kind}考核周期中各部门的{measure}（{first} 至 {last}，{periods} 期，{departments} 个部门，"
            "共 {people} 人）。等级以校准后的为准；部门为当期所在部门。悬停格子可查看人数。",
            "{measure} per department in closed cycles ({kind}, {first} to {last}: {periods} periods, "
            "{departments} departments, {people} people). Grades are calibrated grades where calibration "
            "changed them; departments are as they were in each period. Hover a cell for the number of people.",
        ),
        # column titles: col.<name>, or col.<scope>.<name> where one name means different things
        "col.employee_id": ("工号", "Employee ID"),
        "col.name": ("名称", "Name"),
        "col.department": ("部门", "Department"),
        "col.position": ("岗位", "Position"),
        "col.status": ("状态", "Status"),
        "col.headcount": ("在职人数", "Active headcount"),
        "col.employee.name": ("姓名", "Name"),
        "col.employee.manager_id": ("直接上级工号", "Manager ID"),
        "col.employee.manager_name": ("直接上级", "Manager"),
        "col.employee.hire_date": ("入职日期", "Hire date"),
        "col.employee.leave_date": ("离职日期", "Leave date"),
        "col.department.dept_id": ("部门编号", "Department ID"),
        "col.department.name": ("部门", "Department"),
        "col.department.parent_name": ("上级部门", "Parent department"),
        "col.department.head_id": ("负责人工号", "Head's employee ID"),
        "col.department.head_name": ("负责人", "Head"),
        "col.position.position_id": ("岗位编号", "Position ID"),
        "col.position.name": ("岗位", "Position"),
        "col.position.is_key": ("关键岗位", "Key position"),
        "col.batch.imported_at": ("导入时间", "Imported at"),
        "col.batch.file_name": ("文件", "File"),
        "col.batch.source": ("文件类型", "File type"),
        "col.batch.status": ("结果", "Result"),
        "col.batch.rows_read": ("读取", "Read"),
        "col.batch.rows_loaded": ("导入", "Imported"),
        "col.batch.rows_rejected": ("拒绝", "Rejected"),
        "col.batch.uploaded_by": ("上传人", "Uploaded by"),
        "col.batch.message": ("说明", "Message"),
        "col.batch.batch_id": ("批次号", "Batch ID"),
        "col.reject.sheet": ("工作表", "Sheet"),
        "col.reject.row": ("行号", "Row"),
        "col.reject.column": ("列", "Column"),
        "col.reject.value": ("值", "Value"),
        "col.reject.reason": ("原因", "Reason"),
        "col.cell.period": ("考核期", "Period"),
        "col.cell.period_start": ("开始日期", "Period start"),
        "col.cell.people": ("考核人数", "People appraised"),
        "col.cell.scored": ("有得分人数", "With a score"),
        "col.cell.mean_score": ("平均分", "Mean score"),
        "col.cell.graded": ("有等级人数", "With a grade"),
        "col.cell.share_a": ("A 等占比", "Share of A"),
        "col.cell.share_c": ("C 等占比", "Share of C"),
    }
)


def current_language() -> str:
    """This session's language code (``zh-CN`` unless switched)."""
    lang = st.session_state.get(LANG_KEY, DEFAULT_LANG)
    return lang if lang in LANGUAGES else DEFAULT_LANG


def has_text(key: str) -> bool:
    """Whether the catalog holds ``key``."""
    return key in CATALOG


def t(key: str, **fmt: object) -> str:
    """The text for ``key`` in this session's language, with ``{placeholders}`` filled from ``fmt``."""
    zh, en = CATALOG[key]
    text = en if current_language() == "en" else zh
    return text.format(**fmt) if fmt else text


def option_labels(prefix: str, codes: Iterable[str]) -> dict[str, str]:
    """``{code: t(f"{prefix}.{code}")}`` for a widget's options. Pass ``labels.get`` as ``format_func``:
    the labels are looked up now, while the session's language is known (a format function may be
    called where it is not)."""
    return {code: t(f"{prefix}.{code}") for code in codes}


def language_switch() -> str:
    """The sidebar's language switch; returns the chosen language code.

    Bound to the URL (``?ui.lang=en``) so that a reload or a shared link keeps the language.
    """
    return st.sidebar.radio(
        t("app.language"),
        list(LANGUAGES),
        format_func=LANGUAGES.get,
        horizontal=True,
        key=LANG_KEY,
        bind="query-params",
    )
