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
        "nav.login": ("登录", "Log in"),
        "nav.my_record": ("我的绩效", "My performance"),
        "nav.data_import": ("数据导入", "Data import"),
        "nav.org": ("组织与人员", "Organisation and people"),
        "nav.overview": ("绩效总览", "Performance overview"),
        "nav.users": ("用户与权限", "Users and permissions"),
        "nav.audit": ("审计日志", "Audit trail"),
        "nav.no_access": ("无权访问", "No access"),
        # login, session and roles
        "login.title": ("登录 JiXiao 绩效", "Log in to JiXiao"),
        "login.username": ("用户名", "Username"),
        "login.password": ("密码", "Password"),
        "login.submit": ("登录", "Log in"),
        "login.missing": ("请输入用户名和密码。", "Enter your username and password."),
        "login.help": (
            "忘记密码或账户被锁定时，请联系人力资源部重置。连续输错 5 次密码，账户将锁定 15 分钟。",
            "Forgot your password or locked out? Ask HR to reset it. Five wrong passwords in a row lock "
            "the account for 15 minutes.",
        ),
        "auth.session_ended": (
            "登录已失效（长时间未操作、已在别处退出，或账户已被停用），请重新登录。",
            "Your session has ended (idle for too long, logged out elsewhere, or the account was disabled). "
            "Please log in again.",
        ),
        "auth.logged_out": ("已退出登录。", "You have logged out."),
        "auth.signed_in": ("当前用户：{username}", "Signed in as {username}"),
        "auth.signed_in_as": ("当前用户：{name}（{username}）", "Signed in as {name} ({username})"),
        "auth.roles": ("角色：{roles}", "Roles: {roles}"),
        "auth.logout": ("退出登录", "Log out"),
        "auth.no_access": (
            "你没有权限打开这个页面。如需访问，请联系人力资源部开通权限。",
            "You may not open this page. Ask HR if you need access.",
        ),
        "role.employee": ("员工", "Employee"),
        "role.manager": ("主管", "Manager"),
        "role.hrbp": ("HRBP", "HRBP"),
        "role.hr": ("人力资源管理员", "HR admin"),
        "role.executive": ("分管副总/高管", "Executive"),
        "role.analyst": ("数据分析师", "Analyst"),
        "role.admin": ("系统管理员", "System administrator"),
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
        # 我的绩效 and one person's record
        "my_record.title": ("我的绩效", "My performance"),
        "my_record.who": ("{name} · 工号 {employee_id}", "{name} · employee ID {employee_id}"),
        "my_record.no_employee": (
            "这个账户没有关联花名册中的员工，因此没有个人考核记录。如需关联，请联系人力资源部。",
            "This account is not linked to a person in the roster, so it has no appraisals. Ask HR to link it.",
        ),
        "my_record.empty": (
            "还没有你的考核记录 — 考核周期结束、结果导入后会显示在这里。",
            "No appraisals of yours yet — they appear here once a cycle is closed or its results are imported.",
        ),
        "profile.employee_id": ("工号", "Employee ID"),
        "profile.department": ("部门", "Department"),
        "profile.position": ("岗位", "Position"),
        "profile.manager_name": ("直接上级", "Manager"),
        "profile.hire_date": ("入职日期", "Hire date"),
        "profile.leave_date": ("离职日期", "Leave date"),
        "profile.status": ("状态", "Status"),
        "record.history": ("历次考核", "Appraisals"),
        "record.history_file": ("考核记录-{employee_id}", "appraisals-{employee_id}"),
        "record.appraisal_label": ("{period} · {cycle}", "{period} · {cycle}"),
        "record.choose": ("查看某次考核的指标明细", "Show the KPI items of one appraisal"),
        "record.no_items": (
            "这次考核没有指标明细（历史汇总表只记录了总分和等级）。",
            "This appraisal has no KPI items (the legacy summary recorded only the total and the grade).",
        ),
        "record.items_file": ("考核明细-{employee_id}-{period}", "appraisal-items-{employee_id}-{period}"),
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
        "org.back": ("返回人员列表", "Back to the list"),
        "org.person_title": ("{name}", "{name}"),
        "org.no_such_person": (
            "花名册中没有工号 {employee_id}。",
            "There is no employee ID {employee_id} in the roster.",
        ),
        "org.editable": (
            "你是此人的直接上级：可以评定其考核。",
            "You are this person's manager: you can rate their appraisals.",
        ),
        "org.read_only": (
            "只读：你可以查看，但不能修改此人的考核。",
            "Read-only: you can see but not change this person's appraisals.",
        ),
        "org.person_no_appraisals": ("此人还没有考核记录。", "This person has no appraisals yet."),
        "org.pick_hint": (
            "点击表格中的一行可查看此人的档案与考核。",
            "Click a row to open that person's record and appraisals.",
        ),
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
        "overview.empty_scope": (
            "你可查看的范围内还没有已关闭周期的考核结果。",
            "There are no results of closed cycles within what you may see yet.",
        ),
        "overview.hidden_cells": (
            "有 {n} 个格子不足 {min} 人，为保护个人信息不显示其分数（格子留空）。",
            "{n} cells have fewer than {min} people: their scores are hidden to protect individuals (left blank).",
        ),
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
        # 用户与权限
        "users.title": ("用户与权限", "Users and permissions"),
        "users.intro": (
            "每位员工、主管和 HRBP 的账户都关联花名册中的工号；人力资源、系统管理员和数据分析师账户可以不关联。"
            "所有修改都记入审计日志。",
            "Employee, manager and HRBP accounts are linked to a person in the roster; HR, administrator and "
            "analyst accounts need not be. Every change is recorded in the audit trail.",
        ),
        "users.empty": ("还没有任何账户 — 在下方新建一个。", "No accounts yet — create one below."),
        "users.file": ("用户与权限", "users"),
        "users.account_label": ("{username}（{name}）", "{username} ({name})"),
        "users.tab.create": ("新建账户", "New account"),
        "users.tab.roles": ("修改角色", "Change roles"),
        "users.tab.password": ("重置密码", "Reset password"),
        "users.tab.status": ("停用与启用", "Disable or enable"),
        "users.kind": ("账户类型", "Kind of account"),
        "users.kind.roster": ("花名册中的员工", "A person in the roster"),
        "users.kind.standalone": ("不关联员工（人力资源、管理员、分析师）", "Not linked (HR, administrator, analyst)"),
        "users.person_label": ("{employee_id} {name}（{department}）", "{employee_id} {name} ({department})"),
        "users.employee": ("员工", "Person"),
        "users.employee_placeholder": ("选择一位还没有账户的员工", "Choose a person who has no account yet"),
        "users.display_name": ("显示名称", "Display name"),
        "users.username": ("用户名", "Username"),
        "users.username_help": (
            "2–40 位字母、数字、点、下划线或连字符，例如 zhangsan。",
            "2–40 letters, digits, dots, underscores or hyphens, e.g. zhangsan.",
        ),
        "users.roles": ("角色", "Roles"),
        "users.hrbp_departments": ("HRBP 负责的部门", "Departments the HRBP follows"),
        "users.hrbp_help": (
            "只在选了 HRBP 角色时使用；下级部门自动包含在内。",
            "Used only with the HRBP role; sub-departments are included.",
        ),
        "users.password": ("初始密码", "Initial password"),
        "users.new_password": ("新密码", "New password"),
        "users.password_help": ("至少 8 位，同时包含字母和数字。", "At least 8 characters with letters and digits."),
        "users.password_again": ("再次输入密码", "Password again"),
        "users.create": ("创建账户", "Create account"),
        "users.pick_employee": ("请先选择要开通账户的员工。", "Choose the person the account is for."),
        "users.password_mismatch": (
            "两次输入的密码不一致：请重新输入。",
            "The two passwords differ: enter them again.",
        ),
        "users.created": ("已创建账户 {username}。", "Account {username} created."),
        "users.account": ("账户", "Account"),
        "users.save_roles": ("保存角色", "Save roles"),
        "users.roles_saved": ("已更新 {username} 的角色。", "Roles of {username} updated."),
        "users.confirm_reset": (
            "我确认要重置 {username} 的密码：旧密码立即失效，账户锁定同时解除。",
            "I want to reset the password of {username}: the old one stops working and any lockout ends.",
        ),
        "users.reset": ("重置密码", "Reset password"),
        "users.confirm_first": ("请先勾选确认。", "Tick the confirmation first."),
        "users.password_reset": ("已重置 {username} 的密码。", "Password of {username} reset."),
        "users.state": ("当前状态：{state}", "Status: {state}"),
        "users.state.active": ("正常", "active"),
        "users.state.locked": ("因多次输错密码暂时锁定", "locked after wrong passwords"),
        "users.state.disabled": ("已停用", "disabled"),
        "users.enable": ("启用账户", "Enable account"),
        "users.enabled": ("已启用账户 {username}。", "Account {username} enabled."),
        "users.disable": ("停用账户", "Disable account"),
        "users.confirm_disable": (
            "确定要停用账户 {username} 吗？它正在使用的登录会立即结束，之后无法再登录，直到重新启用。",
            "Disable account {username}? Its open sessions end at once and it cannot log in until enabled again.",
        ),
        "users.disable_confirmed": ("确认停用", "Yes, disable"),
        "users.cancel": ("取消", "Cancel"),
        "users.disabled": ("已停用账户 {username}。", "Account {username} disabled."),
        # 审计日志
        "audit.title": ("审计日志", "Audit trail"),
        "audit.intro": (
            "所有修改、导出、个人考核的查看以及登录都记录在这里。每一行都带有上一行的哈希，任何事后改动都能被发现。",
            "Every change, export, read of an individual appraisal and login is recorded here. Each row "
            "carries the hash of the one before, so any later change can be detected.",
        ),
        "audit.verify": ("校验哈希链", "Verify the hash chain"),
        "audit.actor": ("操作人", "Who"),
        "audit.actor_placeholder": ("用户名", "username"),
        "audit.action": ("操作", "Action"),
        "audit.all_actions": ("全部操作", "All actions"),
        "audit.dates": ("日期范围", "Dates"),
        "audit.entity_id": ("对象编号", "Record ID"),
        "audit.entity_placeholder": ("工号、用户名或文件名", "employee ID, username or file"),
        "audit.empty": ("没有符合条件的记录 — 放宽筛选条件试试。", "Nothing matches — try wider filters."),
        "audit.shown": ("显示 {n} 条（最多显示最近 {limit} 条）。", "{n} rows shown (at most the latest {limit})."),
        "audit.file": ("审计日志", "audit-trail"),
        "audit.action.login": ("登录成功", "Logged in"),
        "audit.action.login_failed": ("登录失败", "Login failed"),
        "audit.action.lockout": ("账户锁定", "Account locked"),
        "audit.action.logout": ("退出登录", "Logged out"),
        "audit.action.session_expired": ("会话超时", "Session expired"),
        "audit.action.import": ("导入文件", "Imported a file"),
        "audit.action.export": ("导出数据", "Exported data"),
        "audit.action.read_appraisal": ("查看个人考核", "Read an appraisal"),
        "audit.action.read_employee": ("查看员工档案", "Read an employee record"),
        "audit.action.access_denied": ("越权访问被拒绝", "Access refused"),
        "audit.action.user_create": ("创建用户", "Created a user"),
        "audit.action.user_update": ("修改用户", "Changed a user"),
        "audit.action.password_reset": ("重置密码", "Reset a password"),
        "audit.action.user_disable": ("停用用户", "Disabled a user"),
        "audit.action.user_enable": ("启用用户", "Enabled a user"),
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
        "col.appraisal.period": ("考核期", "Period"),
        "col.appraisal.cycle": ("考核周期", "Cycle"),
        "col.appraisal.kind": ("周期类型", "Cycle type"),
        "col.appraisal.score": ("总分", "Score"),
        "col.appraisal.grade": ("等级", "Grade"),
        "col.item.kpi": ("考核指标", "KPI"),
        "col.item.category": ("指标类别", "Category"),
        "col.item.weight": ("权重", "Weight"),
        "col.item.target": ("目标值", "Target"),
        "col.item.actual": ("实际值", "Actual"),
        "col.item.self_score": ("自评分", "Self score"),
        "col.item.manager_score": ("上级评分", "Manager's score"),
        "col.item.item_score": ("得分", "Score"),
        "col.item.self_comment": ("自评说明", "Self comment"),
        "col.item.manager_comment": ("上级评语", "Manager's comment"),
        "col.account.username": ("用户名", "Username"),
        "col.account.display_name": ("姓名/名称", "Name"),
        "col.account.roles": ("角色", "Roles"),
        "col.account.hrbp_departments": ("HRBP 负责部门", "HRBP departments"),
        "col.account.disabled": ("已停用", "Disabled"),
        "col.account.locked": ("锁定中", "Locked"),
        "col.account.created_at": ("创建时间", "Created"),
        "col.audit.seq": ("序号", "Seq"),
        "col.audit.ts": ("时间", "Time"),
        "col.audit.actor": ("操作人", "Who"),
        "col.audit.action": ("操作", "Action"),
        "col.audit.entity": ("对象类型", "Record type"),
        "col.audit.entity_id": ("对象编号", "Record ID"),
        "col.audit.detail": ("详情", "Details"),
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
