"""The catalog of what core says to people: every error, refusal and validation problem, in Simplified
Chinese (the default) and English, keyed by a code namespaced by the module that raises it.

Data only. :mod:`core.errors` renders a code with its parameters (``{field:spec}``: a label table of
:data:`LABELS`, a separator of :data:`SEPARATORS`, or a Python format spec such as ``g``). The Chinese
texts are the wording the product has always used; each English one says the same: what is wrong and
what to do. Both texts of a message use the same ``{fields}`` (a test checks it).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from core import vocabulary as v


def _pairs(chinese: Mapping[object, str], english: Mapping[object, str]) -> Mapping[object, tuple[str, str]]:
    """A label table from the Chinese labels defined in :mod:`core.vocabulary` and their English here."""
    assert chinese.keys() == english.keys(), sorted(map(str, chinese.keys() ^ english.keys()))
    return MappingProxyType({code: (zh, english[code]) for code, zh in chinese.items()})


#: how a list is joined: name -> (Chinese, English); the unnamed default is 「、」 / 「, 」
SEPARATORS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "": ("、", ", "),
        "or": ("、", " or "),
        "sentences": ("", " "),  # whole sentences, each ending in its own full stop
        "clauses": ("；", "; "),
        "codes": (", ", ", "),  # codes people type, shown as they are
        "alternatives": (" / ", " / "),
    }
)

#: vocabulary table -> code -> (Chinese label, English label)
LABELS: Mapping[str, Mapping[object, tuple[str, str]]] = MappingProxyType(
    {
        "stage": _pairs(
            v.STAGE_LABELS,
            {
                v.GOALS: "Goal setting",
                v.MIDTERM: "Mid-term review",
                v.SELF_ASSESSMENT: "Self-assessment",
                v.MANAGER_RATING: "Manager rating",
                v.CALIBRATION: "Calibration",
                v.SIGNOFF: "Sign-off",
                v.CLOSED: "Closed",
            },
        ),
        # the actions of the stage table (core.stages.TRANSITIONS)
        "action": MappingProxyType(
            {
                "propose_goals": ("提出目标", "Propose goals"),
                "adjust_goals": ("调整目标", "Adjust goals"),
                "approve_goals": ("批准目标", "Approve goals"),
                "checkin": ("进度沟通", "Check-in"),
                "finish_midterm": ("结束中期回顾", "Finish mid-term review"),
                "submit_self": ("提交自评", "Submit self-assessment"),
                "submit_rating": ("提交评定", "Submit rating"),
                "return": ("退回", "Return"),
                "finalise_calibration": ("完成校准", "Finalise calibration"),
                "sign": ("签字", "Sign"),
                "object": ("提出异议", "Object"),
                "uphold_objection": ("维持原结果", "Uphold the result"),
                "return_objection": ("退回上级评定", "Return to manager rating"),
                "complete_signoff": ("完成签字确认", "Complete sign-off"),
            }
        ),
        # the parties of the stage table (core.stages.ROLES)
        "party": MappingProxyType(
            {
                "employee": ("员工", "the employee"),
                "manager": ("直属主管", "the direct manager"),
                "hr": ("HR", "HR"),
                "system": ("系统", "the system"),
            }
        ),
        "checkin_party": MappingProxyType(
            {"employee": ("员工", "the employee"), "manager": ("直属上级", "the direct manager")}
        ),
        "source": _pairs(
            v.ACTUAL_SOURCES,
            {
                "manual": "Entered by the manager",
                "hr": "Entered by HR",
                "attendance": "Attendance",
                "finance": "Finance",
                "sales": "Sales",
                "crm": "CRM",
                "peer": "Cross-department peer rating",
                "demo": "Demo data",
            },
        ),
        "kind": _pairs(v.CYCLE_KINDS, {"quarterly": "Quarterly", "half_year": "Half-yearly", "annual": "Annual"}),
        "role": _pairs(
            v.ROLE_LABELS,
            {
                "employee": "Employee",
                "manager": "Manager",
                "hrbp": "HRBP",
                "hr": "HR admin",
                "executive": "Executive",
                "analyst": "Analyst",
                "admin": "System administrator",
            },
        ),
        "category": _pairs(
            {zh: zh for zh in v.CATEGORIES},
            {"业绩类": "Performance", "职能类": "Functional", "行为类": "Behavioural"},
        ),
        "direction": _pairs(v.DIRECTIONS, {"higher": "higher is better", "lower": "lower is better"}),
        "kpi_status": _pairs(v.KPI_STATUSES, {"active": "Active", "retired": "Retired", "legacy": "Imported history"}),
        "anchor_order": MappingProxyType(
            {
                "higher": ("下限 < 目标 < 挑战值", "floor < target < stretch"),
                "lower": ("下限 > 目标 > 挑战值", "floor > target > stretch"),
            }
        ),
        # KPI change requests (core.kpi_changes)
        "approval_step": MappingProxyType(
            {1: ("部门负责人", "department head"), 2: ("HRBP", "HRBP"), 3: ("分管副总", "VP")}
        ),
        "change_status": MappingProxyType(
            {
                "pending": ("审批中", "pending"),
                "approved": ("已生效", "in effect"),
                "rejected": ("已驳回", "rejected"),
                "withdrawn": ("已撤回", "withdrawn"),
            }
        ),
        "change_verb": MappingProxyType(
            {
                "kpi_add": ("新增", "add"),
                "kpi_modify": ("修改", "change"),
                "kpi_retire": ("停用", "retire"),
                "template": ("调整", "change"),
            }
        ),
        # scoring (core.scoring): what is being scored, and which side of the target an anchor belongs
        "scored_as": MappingProxyType(
            {"linear": ("线性", "a linear"), "lower_better": ("越低越好", "a lower-is-better")}
        ),
        "scoring": MappingProxyType(
            {
                "linear": ("线性计分", "Linear scoring"),
                "lower_better": ("越低越好计分", "Lower-is-better scoring"),
                "ratio": ("比例计分", "Ratio scoring"),
            }
        ),
        "side": MappingProxyType({"higher": ("高", "above"), "lower": ("低", "below")}),
        # what a draft of an appraisal saves (core.appraisal_edits)
        "draft": MappingProxyType({"self": ("自评", "the self-assessment"), "rating": ("评分", "the rating")}),
    }
)

# code -> (Chinese, English)
MESSAGES: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        # -- words used inside other messages ---------------------------------------------------------
        "value.empty": ("（空）", "(empty)"),
        "value.unspecified": ("（未指定）", "(not given)"),
        # -- form input (core.values) -----------------------------------------------------------------
        "value.required": ("请填写{label}", "Please fill in {label}."),
        "value.too_long": (
            "{label}不能超过 {limit} 字（现在 {length} 字），请精简后再保存",
            "{label} may hold at most {limit} characters (it has {length}): shorten it, then save again.",
        ),
        "value.not_a_number": (
            "{label}应为数字，收到的是「{value}」",
            "{label} must be a number, not “{value}”: enter a number.",
        ),
        "value.not_finite": (
            "{label}应为有限的数字，收到的是「{value}」",
            "{label} must be a finite number, not “{value}”: enter an ordinary number.",
        ),
        # -- names of fields, shown inside the messages above --------------------------------------------
        "field.cycle_name": ("周期名称", "the cycle name"),
        "field.mapping_name": ("对应关系名称", "the mapping name"),
        "field.display_name": ("姓名/名称", "the display name"),
        "field.grade_name": ("等级名称", "the grade's name"),
        "field.grade_word": ("等级写法", "the grade word"),
        "field.request_note": ("驳回理由", "the reason for rejecting"),
        "field.kpi_reason": ("申请理由", "the reason"),
        "field.kpi_id": ("指标编号", "the KPI ID"),
        "field.kpi_unit": ("单位", "the unit"),
        "field.kpi_description": ("指标说明", "the description"),
        "field.rubric_level": ("评分标准第 {level} 级", "level {level} of the rubric"),
        "field.quarter_weight": ("{quarter} 权重", "the weight of {quarter}"),
        "field.review_weight": ("年度评议权重", "the weight of the annual review"),
        "field.grade_minimum": ("等级「{grade}」的分数线", "the minimum total of grade “{grade}”"),
        "field.a_max": ("A 等比例上限", "the A-grade maximum share"),
        "field.c_min": ("C 等比例下限", "the C-grade minimum share"),
        "field.calibration_note": (
            "校准说明（每次调整等级都必须说明理由）",
            "the calibration note (every grade change needs a reason)",
        ),
        "field.override_reason": ("例外理由", "the override reason"),
        "field.checkin_note": ("沟通记录", "the check-in note"),
        "field.progress": ("进度", "the progress"),
        "field.note": ("说明", "the note"),
        "field.comment": ("意见", "the comment"),
        "field.actual": ("实际值", "the actual"),
        "field.target": ("目标值", "the target"),
        "field.floor": ("底线", "the floor"),
        "field.stretch": ("挑战值", "the stretch"),
        "field.count": ("次数", "the count"),
        "field.deduction_step": ("每次扣分", "the points per deduction"),
        "field.base": ("基础分", "the base score"),
        "field.score": ("评分", "the score"),
        "field.self_score": ("自评分", "the self-score"),
        "field.total": ("总分", "the total"),
        "field.level_points": ("等级 {level} 的分值", "the points of level {level}"),
        "field.item_weight": ("第 {index} 项的权重", "the weight of item {index}"),
        "field.item_score": ("第 {index} 项的得分", "the score of item {index}"),
        # an appraisal item's fields: {item} is the KPI's name
        "field.item_proposed_target": ("「{item}」的建议目标", "the proposed target of “{item}”"),
        "field.item_goal_note": ("「{item}」的目标说明", "the goal note of “{item}”"),
        "field.item_target": ("「{item}」的目标值", "the target of “{item}”"),
        "field.item_floor": ("「{item}」的底线值", "the floor of “{item}”"),
        "field.item_stretch": ("「{item}」的挑战值", "the stretch of “{item}”"),
        "field.item_self_level": ("「{item}」的自评等级", "the self-assessed level of “{item}”"),
        "field.item_self_score": ("「{item}」的自评分", "the self-score of “{item}”"),
        "field.item_self_comment": ("「{item}」的自评说明", "the self-assessment comment on “{item}”"),
        "field.item_manager_comment": ("「{item}」的评语", "the manager's comment on “{item}”"),
        "field.item_actual": ("「{item}」的实际值", "the actual of “{item}”"),
        "field.item_rating": ("「{item}」的评分", "the rating of “{item}”"),
        # -- the access policy (core.permissions and the checks that ask it) ------------------------------
        "perm.denied": (
            "你没有权限查看或操作这项内容。如需访问，请联系人力资源部开通权限。",
            "You may not see or do this. If you need to, ask HR to give you access.",
        ),
        "perm.login_required": ("请先登录。", "Please log in first."),
        "perm.follow_cycles": (
            "只有人力资源部、HRBP 和管理层可以查看周期进度。",
            "Only HR, HRBPs and executives can follow a cycle's progress.",
        ),
        "perm.open_cycle": ("只有人力资源部可以开启考核周期。", "Only HR can open an appraisal cycle."),
        "perm.calibrate": ("只有人力资源部可以进行校准。", "Only HR can calibrate."),
        "perm.undo_import": ("只有人力资源部可以撤销导入批次。", "Only HR can undo an import batch."),
        "perm.import_mappings": (
            "只有人力资源部可以保存和使用列对应关系。",
            "Only HR can save and use column mappings.",
        ),
        "mapping.name_chars": (
            "对应关系名称「{name}」里有不能用的字符：只用汉字、字母、数字、空格和 - _ ( )。",
            "The mapping name “{name}” holds characters that cannot be used: use letters, digits, spaces and - _ ( ) only.",
        ),
        "mapping.too_large": (
            "这个列对应关系太大（{size} 字符，最多 {limit}）：请只指定要导入的工作表。",
            "This mapping is too large ({size} characters, at most {limit}): map only the sheets to import.",
        ),
        "perm.settings": ("只有人力资源部可以修改这项设置。", "Only HR can change this setting."),
        "perm.category_bands": (
            "只有人力资源管理员可以修改指标类别的权重区间。",
            "Only an HR admin can change the weight bands of the KPI categories.",
        ),
        "perm.not_a_party": (
            "你不是这份考核的员工本人、直属上级或 HR，不能操作。",
            "You are not this appraisal's employee, their direct manager or HR, so you cannot act on it.",
        ),
        "perm.goals": (
            "只有员工本人和直属上级可以制定目标。",
            "Only the employee and their direct manager can set goals.",
        ),
        "perm.self_assessment": ("只有员工本人可以自评。", "Only the employee can fill in their self-assessment."),
        "perm.rating": ("只有直属上级可以评分。", "Only the direct manager can rate."),
        "perm.own_appraisal": (
            "这是你本人的考核，你不能{action}：请由另一位人力资源管理员（{others}）处理。",
            "This is your own appraisal, so you cannot {action}: another HR user ({others}) must do it.",
        ),
        "perm.own_appraisal_only_hr": (
            "这是你本人的考核，你不能{action}；系统中只有你一位人力资源管理员：请先在「用户与权限」中为另一位同事"
            "（如人力资源部负责人）开通人力资源管理员角色，由其处理。",
            "This is your own appraisal, so you cannot {action}; you are the only HR user: first give a colleague"
            " (the head of HR, say) the HR role in Users and permissions, and let them do it.",
        ),
        "own.record_actual": ("录入自己的实际值", "record your own actuals"),
        "own.calibrate": ("校准自己的等级", "calibrate your own grade"),
        "own.finalise": (
            "完成包含你本人考核的部门校准",
            "finalise the calibration of a department holding your own appraisal",
        ),
        "perm.record_actual": (
            "只有直属上级或人力资源部可以录入实际值。",
            "Only the direct manager or HR can record an actual.",
        ),
        "perm.propose_change": (
            "只有部门负责人、HRBP 和人力资源部可以提交指标变更申请。",
            "Only department heads, HRBPs and HR can propose a KPI change.",
        ),
        "perm.route_change": (
            "只有人力资源部可以把指标库变更指定到其他部门审批。",
            "Only HR can send a library change to another department for approval.",
        ),
        "perm.propose_for_department": (
            "你不能为部门“{department}”提交指标变更：只能为自己负责或所在的部门提交。",
            "You cannot propose a KPI change for department “{department}”: propose only for a department you "
            "head or belong to.",
        ),
        "perm.not_step_approver": (
            "你不是这项申请第 {step} 步的审批人（{step:approval_step}，部门 {dept_id}）：不能审批。",
            "You do not decide step {step} of this request ({step:approval_step}, department {dept_id}), so you "
            "cannot decide it.",
        ),
        "perm.own_request": (
            "这是你本人提交的申请，你不能审批其中任何一步：第 {step} 步请由{step:approval_step}审批。",
            "You filed this request, so you cannot decide any step of it: step {step} must be decided by the"
            " {step:approval_step}.",
        ),
        "perm.step_by_another": (
            "你已审批过这项申请的第 {earlier} 步：三级审批须由三个人分别完成，第 {step} 步请由另一位{step:approval_step}审批。",
            "You decided step {earlier} of this request already: the three steps need three different people, so "
            "step {step} must be decided by another {step:approval_step}.",
        ),
        "perm.withdraw": ("只有申请人可以撤回这项申请。", "Only the person who filed this request can withdraw it."),
        # -- accounts (core.auth, core.access, core.admin) ---------------------------------------------
        "auth.login_failed": (
            "用户名或密码不正确，或该账户暂时无法登录。连续输错 {failures} 次将锁定 {minutes} 分钟；如有疑问请联系人力资源部。",
            "The user name or password is wrong, or the account cannot log in right now. {failures} wrong tries "
            "in a row lock the account for {minutes} minutes; ask HR if in doubt.",
        ),
        "auth.weak_password": (
            "密码至少 {length} 位，并且同时包含字母和数字：请换一个密码。",
            "A password needs at least {length} characters, with both letters and digits: choose another one.",
        ),
        "auth.password_too_long": (
            "密码最多 {limit} 位：请换一个短一些的密码。",
            "A password may have at most {limit} characters: choose a shorter one.",
        ),
        "auth.common_password": (
            "这是最常见的密码之一，很容易被猜中：请换一个别人想不到的密码。",
            "That is one of the most common passwords and easy to guess: choose one nobody would think of.",
        ),
        "auth.password_has_username": (
            "密码不能包含用户名：请换一个密码。",
            "A password may not contain the user name: choose another one.",
        ),
        "auth.passwords_differ": (
            "两次输入的新密码不一致：请重新输入。",
            "The two new passwords differ: type them again.",
        ),
        "auth.password_unchanged": (
            "新密码不能与现在的密码相同：请换一个新密码。",
            "The new password must differ from the one you have now: choose a new one.",
        ),
        "auth.bad_username": (
            "用户名只能由 2–40 位字母、数字、点、下划线或连字符组成：请换一个用户名。",
            "A user name is 2–40 letters, digits, dots, underscores or hyphens: choose another one.",
        ),
        "auth.unknown_roles": (
            "角色无效：{roles:codes}。可选角色：{choices:codes}。",
            "Not a role: {roles:codes}. The roles are: {choices:codes}.",
        ),
        "auth.no_role": (
            "角色无效：未选择角色。可选角色：{choices:codes}。",
            "No role chosen: choose at least one of {choices:codes}.",
        ),
        "auth.invalid_roles": ("角色无效。可选角色：{choices:codes}。", "Invalid roles: choose from {choices:codes}."),
        "auth.employee_unknown": (
            "工号 {employee_id} 不在花名册中：请先导入花名册，或不关联员工。",
            "Employee ID {employee_id} is not in the roster: import the roster first, or leave the account "
            "without an employee.",
        ),
        "auth.employee_taken": (
            "工号 {employee_id} 已有账户 {username}：一名员工只能有一个账户。",
            "Employee {employee_id} already has the account {username}: an employee can have only one account.",
        ),
        "auth.employee_required": (
            "员工和主管账户必须关联花名册中的工号。",
            "Employee and manager accounts must be linked to an employee ID of the roster.",
        ),
        "auth.hrbp_departments": (
            "HRBP 账户需要指定负责的部门。",
            "An HRBP account needs the departments it looks after: choose them.",
        ),
        "auth.username_taken": (
            "用户名 {username} 已被使用：请换一个。",
            "The user name {username} is taken: choose another one.",
        ),
        "auth.unknown_departments": (
            "部门不存在：{departments:codes}。",
            "No such department: {departments:codes}. Choose departments of the organisation chart.",
        ),
        "auth.unknown_user": ("没有用户 {username}。", "There is no user {username}."),
        "auth.disable_self": ("不能停用自己正在使用的账户。", "You cannot disable the account you are using."),
        "access.admin_only": (
            "只有系统管理员可以授予系统管理员角色，或修改、重置、停用系统管理员的账户。",
            "Only a system administrator can grant the administrator role, or change, reset or disable an "
            "administrator's account.",
        ),
        "access.request_pending": (
            "账户 {username} 已有一项待确认的申请（{request_id}）：请先等它被确认、驳回或撤回。",
            "The account {username} already has a request waiting ({request_id}): wait until it is confirmed, "
            "rejected or withdrawn.",
        ),
        "access.confirm_own_request": (
            "这是你自己提交的申请：须由另一位人力资源管理员或系统管理员确认，你可以撤回它。",
            "You filed this request yourself: another HR or IT admin must confirm it; you may withdraw it.",
        ),
        "access.confirm_own_account": (
            "这项申请改的是你自己的账户：须由另一位人力资源管理员或系统管理员确认。",
            "This request changes your own account: another HR or IT admin must confirm it.",
        ),
        "access.reject_own_request": (
            "这是你自己提交的申请：不需要驳回，撤回即可。",
            "You filed this request yourself: withdraw it instead of rejecting it.",
        ),
        "access.withdraw_not_yours": (
            "只有申请人 {requested_by} 可以撤回这项申请；你可以确认或驳回它。",
            "Only {requested_by}, who filed this request, can withdraw it; you may confirm or reject it.",
        ),
        "access.no_pending_request": (
            "没有待确认的申请 {request_id}：它可能已被别人确认、驳回或撤回，请刷新页面。",
            "There is no waiting request {request_id}: someone may have confirmed, rejected or withdrawn it; "
            "reload the page.",
        ),
        "access.keep_user_management": (
            "不能去掉自己账户管理用户的角色：请让另一位人力资源管理员或系统管理员来改。",
            "You cannot take the user-management role away from your own account: ask another HR admin or "
            "system administrator to do it.",
        ),
        "admin.password_not_set": ("密码未设置。", "The password was not set: nothing was changed."),
        "admin.password_mismatch": (
            "两次输入的密码不一致，没有做任何更改。",
            "The two passwords differ: nothing was changed.",
        ),
        "admin.user_created": (
            "已创建用户 {username}（{roles:role}）。",
            "Created the user {username} ({roles:role}).",
        ),
        "admin.password_reset": (
            "已重置用户 {username} 的密码，锁定已解除。",
            "Reset the password of {username} and lifted any lockout.",
        ),
        "admin.user_disabled": (
            "已停用用户 {username}，其已打开的会话立即失效。",
            "Disabled the user {username}; their open sessions have ended.",
        ),
        "admin.user_enabled": ("已启用用户 {username}。", "Enabled the user {username}."),
        "admin.backup_exists": (
            "{path} 已存在：备份不会覆盖已有的文件，请换一个文件名。",
            "{path} exists already: a backup never overwrites a file; choose another name.",
        ),
        "admin.backup_done": (
            "已备份到 {path}，审计检查点（第 {seq} 行）在 {head}。审计密钥 {key} 不在备份中：请把它单独备份，"
            "不要与数据库放在一起。",
            "Backed up to {path}, with the audit checkpoint (row {seq}) in {head}. The audit key {key} is not in "
            "the backup: back it up on its own, never together with the database.",
        ),
        # -- the audit trail (core.audit) -------------------------------------------------------------
        "audit.chain_intact": (
            "审计日志完整：共 {rows} 行，哈希链逐行核对无误。",
            "The audit trail is intact: {rows} rows, every link of the hash chain checked.",
        ),
        "audit.chain_broken": (
            "审计日志被改动过：第 {seq} 行（seq={seq}）{problem}。",
            "The audit trail has been tampered with: row {seq} (seq={seq}) {problem}.",
        ),
        "audit.row_missing": (
            "缺失（下一行是 seq={found}），有行被删除",
            "is missing (the next row is seq={found}): rows were deleted",
        ),
        "audit.row_relinked": (
            "的“上一行哈希”与上一行不符，有行被删除、插入或改动",
            "does not hold the previous row's hash: rows were deleted, inserted or changed",
        ),
        "audit.row_altered": ("的内容与其哈希不符，这一行被改动过", "does not match its hash: the row was changed"),
        "audit.row_unkeyed": (
            "的哈希是不带密钥的 SHA-256：哈希链被不知道密钥的人重新计算过",
            "carries a plain SHA-256 instead of the keyed hash: the chain was recomputed by someone without the key",
        ),
        "audit.chain_intact_head": (
            "审计日志完整：共 {rows} 行，哈希链在密钥下逐行核对无误，并与检查点（第 {head} 行）一致。",
            "The audit trail is intact: {rows} rows, every link of the keyed hash chain checked, and it matches "
            "its checkpoint (row {head}).",
        ),
        "audit.chain_intact_unkeyed": (
            "审计日志完整：共 {rows} 行，由旧版本写入（哈希链不带密钥），逐行核对无误；下一次写入审计日志时，"
            "这些行将在密钥下重新链接。",
            "The audit trail is intact: {rows} rows written by an earlier version (a hash chain without a key), "
            "every link checked; the next audited write re-links them under the key.",
        ),
        "audit.chain_intact_segment": (
            "审计日志完整：从第 {seq} 行起共 {rows} 行，哈希链在密钥下逐行核对无误，并与检查点（第 {head} 行）一致。"
            "第 {seq} 行是 {actor} 于 {ts} 运行 rekey-audit 开始的新密钥链段：此前的 {before} 行当时无法核对，"
            "不在本次核对之内。",
            "The audit trail is intact from row {seq} on: {rows} rows, every link of the keyed hash chain "
            "checked, and it matches its checkpoint (row {head}). Row {seq} starts a new keyed segment, begun by "
            "{actor} at {ts} with rekey-audit: the {before} rows before it could not be verified then and are "
            "not checked.",
        ),
        "db.data_dir_open": (
            "数据目录 {path} 对其他用户开放（权限 {mode}）：请改为 0700（chmod 700 {path}），只让服务账户能读到数据库、"
            "审计密钥和检查点。",
            "the data directory {path} is open to other users (mode {mode}): make it 0700 (chmod 700 {path}) so that "
            "only the service user can reach the database, its key and its head checkpoint.",
        ),
        "audit.key_missing": (
            "审计密钥文件 {path} 不存在，审计日志既无法核对，也不能续写。请从密钥的单独备份恢复该文件"
            "（只有服务账户可读，权限 0600）；确实丢失时，运行 python -m core.admin rekey-audit --i-understand "
            "开始新的密钥链段（它会记录此前的日志无法核对）。",
            "The audit key file {path} is missing: the audit trail can be neither verified nor written. Restore "
            "the file from the key's separate backup (readable by the service user only, mode 0600); if it is "
            "lost for good, run python -m core.admin rekey-audit --i-understand to start a new keyed segment "
            "(it records that the rows before it could not be verified).",
        ),
        "audit.key_unreadable": (
            "审计密钥文件 {path} 不是有效的密钥（应为 64 位十六进制数字）：请从密钥的单独备份恢复它；确实丢失时，"
            "把这个文件移走，再运行 python -m core.admin rekey-audit --i-understand。",
            "The audit key file {path} does not hold a key (64 hexadecimal digits): restore it from the key's "
            "separate backup; if it is lost for good, move the file away and run python -m core.admin "
            "rekey-audit --i-understand.",
        ),
        "audit.head_missing": (
            "审计日志有 {rows} 行，但检查点文件 {path} 不存在：检查点被删除了，或数据库是在没有检查点的情况下"
            "复制过来的。请从备份恢复检查点文件，或运行 python -m core.admin rekey-audit --i-understand。",
            "The audit trail has {rows} rows but the checkpoint file {path} is missing: it was deleted, or the "
            "database was copied without it. Restore the checkpoint from a backup, or run python -m core.admin "
            "rekey-audit --i-understand.",
        ),
        "audit.head_unreadable": (
            "检查点文件 {path} 已损坏，读不出记录的行号和哈希：请从备份恢复它，或运行 python -m core.admin "
            "rekey-audit --i-understand。",
            "The checkpoint file {path} is damaged: its row number and hash cannot be read. Restore it from a "
            "backup, or run python -m core.admin rekey-audit --i-understand.",
        ),
        "audit.head_forged": (
            "检查点文件 {path} 的签名与审计密钥不符：它被改写过，或是用另一个密钥写的。",
            "The seal of the checkpoint file {path} does not match the audit key: it was rewritten, or written "
            "under another key.",
        ),
        "audit.trail_truncated": (
            "审计日志只到第 {last} 行，但检查点记录到第 {head} 行：末尾的 {missing} 行被删除了。",
            "The audit trail ends at row {last} but its checkpoint records row {head}: the last {missing} rows "
            "were deleted.",
        ),
        "audit.trail_emptied": (
            "审计日志是空的，但检查点记录到第 {head} 行：整个审计日志被删除了。",
            "The audit trail is empty but its checkpoint records row {head}: the whole trail was deleted.",
        ),
        "audit.head_mismatch": (
            "审计日志第 {seq} 行的哈希与检查点 {path} 记录的不符：日志被重写过（例如重新计算了全部哈希），"
            "或者这个检查点属于另一个数据库。",
            "The hash of row {seq} of the audit trail differs from the one its checkpoint {path} records: the "
            "trail was rewritten (its hashes recomputed, say), or the checkpoint belongs to another database.",
        ),
        "audit.legacy_broken": (
            "旧版本写入的审计日志（不带密钥的哈希链）已经断开：第 {seq} 行{problem}。不能把它在密钥下重新链接，"
            "审计日志暂停写入。请运行 python -m core.admin verify-audit 查看，再运行 python -m core.admin "
            "rekey-audit --i-understand 开始新的密钥链段。",
            "The audit trail written by an earlier version (a hash chain without a key) is broken: row {seq} "
            "{problem}. It cannot be re-linked under the key, so audited writes are refused. Run python -m "
            "core.admin verify-audit to see it, then python -m core.admin rekey-audit --i-understand to start a "
            "new keyed segment.",
        ),
        "audit.head_disagrees": (
            "审计日志与检查点 {path} 不一致（{problem}），不能为备份写检查点：请先运行 python -m core.admin "
            "verify-audit。",
            "The audit trail disagrees with its checkpoint {path} ({problem}): no checkpoint is written for a "
            "backup. Run python -m core.admin verify-audit first.",
        ),
        "audit.rekey_not_needed": (
            "审计日志完整（{rows} 行），不需要开始新的密钥链段；没有做任何更改。",
            "The audit trail is intact ({rows} rows): there is no need for a new keyed segment; nothing was changed.",
        ),
        "audit.rekey_confirm": (
            "审计日志现在无法核对：{problem}\nrekey-audit 会在审计日志中记下这一点，并从下一行开始新的密钥链段"
            "（密钥文件不存在时生成新的密钥）；此前的各行从此记为无法核对，这一步不能撤销。确认后加上 "
            "--i-understand 再运行一次。",
            "The audit trail cannot be verified now: {problem}\nrekey-audit records this in the trail and starts "
            "a new keyed segment with the next row (making a new key when there is no key file); the rows before "
            "it are reported as not verified from then on, and this cannot be undone. Run it again with "
            "--i-understand to go ahead.",
        ),
        "audit.rekeyed": (
            "已在第 {seq} 行开始新的密钥链段；此前的 {before} 行记为无法核对。",
            "Started a new keyed segment at row {seq}; the {before} rows before it are reported as not verified.",
        ),
        "audit.rekeyed_new_key": (
            "已生成新的审计密钥文件 {path}：请立即把它单独备份（不要与数据库放在同一个备份里）。",
            "Made a new audit key file {path}: back it up now, on its own (not in the same backup as the database).",
        ),
        # -- the database (core.db) -------------------------------------------------------------------
        "db.busy": (
            "数据库文件 {path} 正被{holder}使用（可能是正在运行的 JiXiao 应用）。"
            "DuckDB 同一时间只允许一个程序打开它：请先关闭该程序，或用 --db 指定另一个数据库文件，然后再试。",
            "The database file {path} is in use by {holder} (perhaps a running JiXiao app). DuckDB lets one "
            "program open it at a time: close that program, or name another database file with --db, and try again.",
        ),
        "db.process": ("进程 {pid}", "process {pid}"),
        "db.another_program": ("另一个程序", "another program"),
        "db.cannot_open": ("无法打开数据库文件 {path}：{error}", "Cannot open the database file {path}: {error}"),
        "db.closed": ("数据库已关闭。", "The database is closed."),
        # -- the stage machine (core.stages) -----------------------------------------------------------
        "stage.unknown_stage": ("未知阶段：{stage!r}", "Unknown stage: {stage!r}."),
        "stage.unknown_role": ("未知角色：{role!r}", "Unknown role: {role!r}."),
        "stage.unknown_action": ("未知操作：{action!r}", "Unknown action: {action!r}."),
        "stage.closed": ("考核已关闭，不能再做任何操作", "The appraisal is closed: nothing more can be done on it."),
        "stage.not_in_stage": (
            "“{stage:stage}”阶段不允许“{action:action}”",
            "“{action:action}” is not possible in the “{stage:stage}” stage.",
        ),
        "stage.not_your_action": (
            "“{stage:stage}”阶段的“{action:action}”只能由{roles:party}操作，{role:party}无权操作",
            "In the “{stage:stage}” stage only {roles:party or} may “{action:action}”, not {role:party}.",
        ),
        "stage.return_needs_comment": ("退回必须填写意见", "A return needs a comment: say what should change."),
        "stage.not_allowed": ("不允许的操作", "This action is not allowed."),
        "stage.cannot_save": (
            "现在是「{stage:stage}」阶段，不能保存{what:draft}",
            "The appraisal is in the “{stage:stage}” stage now, so {what:draft} cannot be saved.",
        ),
        # -- cycles and periods (core.cycles, core.periods) ----------------------------------------------
        "cycle.unknown_kind": (
            "未知的周期类型「{kind}」，可选：{choices}",
            "Unknown cycle kind “{kind}”: choose {choices:or}.",
        ),
        "cycle.kind_choice": ("{kind}（{kind:kind}）", "{kind} ({kind:kind})"),
        "cycle.bad_year": ("年份「{year}」不在 2000–2100 之间", "The year “{year}” is not between 2000 and 2100."),
        "cycle.choose_quarter": ("请选择季度（1–4）", "Choose the quarter (1–4)."),
        "cycle.choose_half": (
            "请选择半年（1 上半年，2 下半年）",
            "Choose the half-year (1 first half, 2 second half).",
        ),
        "cycle.due_missing": ("请填写「{stage:stage}」的截止日期", "Please fill in the due date of “{stage:stage}”."),
        "cycle.due_before_start": (
            "「{stage:stage}」的截止日期 {day} 早于考核期开始日 {start}，请调整",
            "The due date of “{stage:stage}”, {day}, is before the period starts on {start}: move it.",
        ),
        "cycle.due_out_of_order": (
            "「{stage:stage}」的截止日期 {day} 早于上一阶段「{previous:stage}」的 {previous_day}，各阶段截止日期应按顺序排列",
            "The due date of “{stage:stage}”, {day}, is before that of the stage before it, “{previous:stage}” "
            "({previous_day}): the stages' due dates must follow their order.",
        ),
        "cycle.negative_weight": (
            "年度结果的各项权重不能为负数",
            "No weight of the annual result may be negative: correct it.",
        ),
        "cycle.weights_total": (
            "年度结果的权重（四个季度与年度评议）之和应为 100，现在是 {total:g}",
            "The weights of the annual result (four quarters and the annual review) must add up to 100, not {total:g}.",
        ),
        "cycle.nobody": (
            "范围内没有可以参加考核的在职员工。请先在「岗位模板」中为岗位建立模板，或调整试点部门。",
            "Nobody in scope can be appraised. Build templates for the positions in Position templates first, "
            "or change the pilot departments.",
        ),
        "cycle.nobody_skipped": (
            "范围内没有可以参加考核的在职员工（{skipped} 人因缺少岗位模板、上级等原因未纳入，见明细）。"
            "请先在「岗位模板」中为岗位建立模板，或调整试点部门。",
            "Nobody in scope can be appraised ({skipped} people were left out for lack of a position template, "
            "a manager or the like: see the details). Build templates for the positions in Position templates "
            "first, or change the pilot departments.",
        ),
        "cycle.unknown_pilot": (
            "试点部门不存在：{departments}，请重新选择",
            "No such pilot department: {departments}. Choose again.",
        ),
        "cycle.unknown_cycle": ("考核周期「{cycle_id}」不存在", "There is no appraisal cycle “{cycle_id}”."),
        # -- changing an appraisal (core.appraisal_edits, core.actuals) ---------------------------------
        "appraisal.unknown": (
            "考核「{appraisal_id}」不存在，可能已被删除，请刷新页面",
            "There is no appraisal “{appraisal_id}”; it may have been deleted. Refresh the page.",
        ),
        "appraisal.person_left": (
            "{employee}已离职，其考核保持离职时的样子，只能查看，不能再修改。",
            "{employee} has left the company: their appraisal stays as it was and can be read, not changed.",
        ),
        "appraisal.cycle_closed": (
            "考核周期「{cycle}」已关闭，不能再修改",
            "The cycle “{cycle}” is closed: its appraisals cannot change any more.",
        ),
        "appraisal.conflict": (
            "保存未成功：这份考核已被 {who} 于 {when} 修改（你基于第 {version} 版编辑，现在是第 {current} 版）。"
            "你的输入仍保留在表单中，请刷新查看对方的改动后再保存。",
            "Not saved: {who} changed this appraisal at {when} (you edited version {version}, it is now version "
            "{current}). Your input is still in the form: refresh to see their changes, then save again.",
        ),
        "appraisal.someone": ("他人", "someone else"),
        "appraisal.unknown_items": (
            "这份考核没有指标：{kpis}，请刷新页面后再保存",
            "This appraisal has no KPI {kpis}: refresh the page, then save again.",
        ),
        "appraisal.unknown_item": ("这份考核没有指标「{kpi_id}」", "This appraisal has no KPI “{kpi_id}”."),
        "appraisal.target_needed": ("「{item}」需要目标值", "“{item}” needs a target."),
        "appraisal.item_settings": ("「{item}」：{error}", "“{item}”: {error}"),
        "appraisal.progress_range": (
            "进度应在 0–200% 之间（收到 {pct:g}）",
            "The progress must be between 0 and 200% (it was {pct:g}).",
        ),
        "appraisal.level_range": (
            "{label}应为 1–5 级（收到 {number:g}）",
            "{label} must be a level from 1 to 5 (it was {number:g}).",
        ),
        "appraisal.pass_fail_value": (
            "{label}应为 1（达标）或 0（未达标）（收到 {number:g}）",
            "{label} must be 1 (passed) or 0 (failed) (it was {number:g}).",
        ),
        "appraisal.score_range": (
            "{label}应在 0–120 之间（收到 {number:g}）",
            "{label} must be between 0 and 120 (it was {number:g}).",
        ),
        "appraisal.actual_from_feed": (
            "「{item}」的实际值由「{source:source}」提供，不能在评分时改动",
            "The actual of “{item}” comes from “{source:source}”: it cannot be changed while rating.",
        ),
        "appraisal.actual_missing": ("请填写实际值", "Please fill in the actual."),
        "appraisal.bad_source": (
            "未知或不允许的数据来源「{source}」",
            "The data source “{source}” is unknown or not allowed here.",
        ),
        "appraisal.unknown_kpi": ("指标「{kpi_id}」不在指标库中", "The KPI “{kpi_id}” is not in the library."),
        "appraisal.checkins_missing": (
            "中期回顾需要员工和上级都做过进度沟通，{parties:checkin_party}还没有沟通记录",
            "The mid-term review needs a check-in by both the employee and the direct manager; none yet by "
            "{parties:checkin_party or}.",
        ),
        "appraisal.self_missing": (
            "还有 {count} 项没有自评：{kpis}。请全部打分后再提交",
            "{count} items have no self-assessment yet: {kpis}. Score them all, then submit.",
        ),
        "appraisal.scores_missing": (
            "还有 {count} 项没有得分：{kpis}。请为评级类指标打分，为没有数据来源的量化指标录入实际值后再提交",
            "{count} items have no score yet: {kpis}. Rate the judged items and enter the actuals of measured "
            "items that no feed supplies, then submit.",
        ),
        "appraisal.calibration_by_department": (
            "校准按部门完成：请在「校准」页面选择部门后点「完成校准」",
            "Calibration is finalised per department: choose the department on Calibration and use Finalise "
            "calibration.",
        ),
        "appraisal.signoff_elsewhere": ("签字确认在「签字确认」功能中进行", "Signing happens in Sign-off."),
        "actuals.fed": (
            "这项指标的实际值由「{source:source}」数据提供，不能手工录入；如数据有误，请让数据来源方更正后重新导入",
            "The actual of this KPI comes from the “{source:source}” data and cannot be typed in; if it is wrong, "
            "have the source correct it and import it again.",
        ),
        # -- calibration (core.calibration) -----------------------------------------------------------
        "calibration.unknown_grade": (
            "等级「{grade}」不在等级标准中，可选：{grades}",
            "The grade “{grade}” is not on the grade scale: choose {grades:or}.",
        ),
        "calibration.not_in_calibration": (
            "现在是「{stage:stage}」阶段，只有「校准」阶段可以调整等级",
            "The appraisal is in the “{stage:stage}” stage: grades can be moved only in Calibration.",
        ),
        "calibration.same_grade": (
            "等级已经是 {grade}，没有变化；请选择要调整到的等级",
            "The grade is {grade} already, so nothing changes: choose the grade to move to.",
        ),
        "calibration.nothing_to_finalise": (
            "这个部门没有处于「校准」阶段的考核，无需完成校准",
            "No appraisal of this department is in Calibration: there is nothing to finalise.",
        ),
        "calibration.guideline_broken": (
            "该部门的等级分布不符合指引：{breaches:clauses}。请调整等级，或填写例外理由后再完成校准。",
            "The department's grades break the guideline: {breaches:clauses}. Move grades, or give an override "
            "reason, then finalise.",
        ),
        "calibration.over_top": (
            "{grade} 等 {count} 人，超过上限 {limit} 人",
            "{count} people at {grade}, more than the {limit} allowed",
        ),
        "calibration.under_bottom": (
            "{grade} 等 {count} 人，少于下限 {limit} 人",
            "{count} people at {grade}, fewer than the {limit} required",
        ),
        # -- settings (core.settings) -----------------------------------------------------------------
        "settings.scale_too_short": (
            "等级标准至少要有两个等级，等级名称不能为空或重复",
            "A grade scale needs at least two grades, each with its own non-empty name.",
        ),
        "settings.guideline_missing": (
            "请填写 A 等比例上限和 C 等比例下限",
            "Please fill in the A-grade maximum share and the C-grade minimum share.",
        ),
        "settings.guideline_range": (
            "比例应在 0–100 之间，且两者之和不超过 100（现在 A ≤ {a:g}%，C ≥ {c:g}%）",
            "The shares must be between 0 and 100 and add up to at most 100 (now A ≤ {a:g}%, C ≥ {c:g}%).",
        ),
        "settings.unknown_categories": (
            "未知的指标类别：{categories}。可选类别：{choices:alternatives}。",
            "Unknown KPI category: {categories}. The categories are {choices:alternatives}.",
        ),
        "settings.band_missing": (
            "缺少{category:category}的权重区间：请填写下限和上限。",
            "The {category:category} category has no weight band: fill in its lower and upper limit.",
        ),
        "settings.band_not_numbers": (
            "{category:category}的权重区间应为两个数（下限、上限）。",
            "The weight band of the {category:category} category must be two numbers (lower, upper limit).",
        ),
        "settings.band_invalid": (
            "{category:category}的权重区间 {low:g}–{high:g} 无效：下限和上限须在 0–100 之间，且下限不大于上限。",
            "The weight band {low:g}–{high:g} of the {category:category} category is not valid: both limits must "
            "be between 0 and 100, the lower not above the upper.",
        ),
        "settings.bands_unsatisfiable": (
            "各类别下限之和为 {lows:g}、上限之和为 {highs:g}：任何模板都无法同时满足（须下限之和 ≤ 100 ≤ 上限之和），请调整区间。",
            "The lower limits add up to {lows:g} and the upper limits to {highs:g}: no template could meet them "
            "all (it needs lower sum ≤ 100 ≤ upper sum). Adjust the bands.",
        ),
        # -- grade words (core.grade_words) -----------------------------------------------------------
        "grade_words.unknown_grade": (
            "等级「{grade}」不在公司的等级标准里：请从 {choices:alternatives} 中选一个（等级标准在本页上方修改）。",
            "Grade “{grade}” is not on the company's grade scale: choose one of {choices:alternatives} (the scale "
            "is edited above on this page).",
        ),
        "grade_words.too_many": (
            "等级写法已有 {limit} 个，不能再添加：请先删除不用的写法。",
            "There are already {limit} grade words: remove some you no longer use before adding more.",
        ),
        "grade_words.none_chosen": (
            "没有选择要删除的等级写法：请先选择，再点删除。",
            "No grade word is chosen: choose the words to remove, then press remove.",
        ),
        # -- the KPI library and templates (core.kpi) ---------------------------------------------------
        "kpi.problems": ("{problems:sentences}", "{problems:sentences}"),
        "kpi.name_missing": ("指标名称为空：请填写指标名称。", "The KPI has no name: give it one."),
        "kpi.name_too_long": (
            "指标名称超过 100 个字：请缩短名称，详细说明写在“说明”里。",
            "The KPI name is longer than 100 characters: shorten it and put the details in the description.",
        ),
        "kpi.bad_category": (
            "指标类别“{value}”无效：请选择 {choices:alternatives} 之一。",
            "The category “{value}” is not valid: choose one of {choices:alternatives}.",
        ),
        "kpi.bad_direction": (
            "指标方向“{value}”无效：请选择 higher（越高越好）或 lower（越低越好）。",
            "The direction “{value}” is not valid: choose higher (higher is better) or lower (lower is better).",
        ),
        "kpi.bad_method": (
            "评分方法“{value}”无效：请选择 {choices:codes} 之一。",
            "The scoring method “{value}” is not valid: choose one of {choices:codes}.",
        ),
        "kpi.bad_data_source": (
            "数据来源“{value}”无效：请选择 {choices:codes} 之一。",
            "The data source “{value}” is not valid: choose one of {choices:codes}.",
        ),
        "kpi.lower_better_higher": (
            "评分方法为 lower_better（越低越好）但方向为 higher：请把方向改为 lower，或换一种评分方法。",
            "The method is lower_better (lower is better) but the direction is higher: set the direction to "
            "lower, or choose another method.",
        ),
        "kpi.rubric_levels": (
            "行为锚定评分需要 1–5 级共 {levels} 条等级描述（现有 {written} 条）：请为每一级写一句可观察的行为描述。",
            "An anchored rubric needs {levels} level descriptions, one per level 1–5 ({written} written): write "
            "one observable behaviour for each level.",
        ),
        "kpi.deduction_step": (
            "扣分制需要每次扣分（0–100 之间的正数）：请填写每发生一次扣多少分。",
            "A deduction KPI needs its points per deduction (a positive number up to 100): enter how many points "
            "each occurrence costs.",
        ),
        "kpi.template_empty": (
            "模板里没有指标：请至少添加一项指标，权重合计 100。",
            "The template has no KPIs: add at least one, with weights adding up to 100.",
        ),
        "kpi.item": ("第 {index} 项", "item {index}"),
        "kpi.item_named": ("第 {index} 项（{kpi}）", "item {index} ({kpi})"),
        "kpi.item_no_id": (
            "{item}没有指标编号：请从指标库中选择指标。",
            "There is no KPI ID for {item}: choose a KPI from the library.",
        ),
        "kpi.item_unknown": (
            "{item}的指标编号 {kpi_id} 不在指标库中：请先提交新增指标申请，或选择已有指标。",
            "The KPI ID {kpi_id} of {item} is not in the library: propose the new KPI first, or choose an "
            "existing one.",
        ),
        "kpi.item_not_active": (
            "{item}的状态是“{status:kpi_status}”，不能用于模板：请换一个在用的指标。",
            "The KPI of {item} is “{status:kpi_status}” and cannot be used in a template: choose an active KPI.",
        ),
        "kpi.item_repeated": (
            "{item}重复出现：同一指标在一个模板里只能出现一次，请合并权重。",
            "The KPI of {item} is listed again: a KPI appears once in a template, so merge the weights.",
        ),
        "kpi.item_weight": (
            "{item}的权重须为大于 0 的数：请填写权重（百分比）。",
            "The weight of {item} must be a number above 0: enter the weight (a percentage).",
        ),
        "kpi.item_order": (
            "{item}的下限、目标、挑战值顺序不对：{direction:direction}的指标须{direction:anchor_order}。",
            "The floor, target and stretch of {item} are in the wrong order: a KPI where {direction:direction} "
            "needs {direction:anchor_order}.",
        ),
        "kpi.weight_total": (
            "权重合计为 {total:g}，应为 100：请调整各项权重。",
            "The weights add up to {total:g}, not 100: adjust them.",
        ),
        "kpi.category_share": (
            "{category:category}指标权重合计 {share:g}%，不在人力资源部设定的 {low:g}%–{high:g}% 区间内：请调整该类指标的权重。",
            "{category:category} KPIs weigh {share:g}% in total, outside HR's band of {low:g}%–{high:g}%: adjust "
            "the weights of that category.",
        ),
        # -- KPI change requests (core.kpi_changes) ----------------------------------------------------
        "kpi_change.unknown_department": (
            "部门 {dept_id} 不存在：请选择组织架构中的部门。",
            "Department {dept_id} does not exist: choose a department of the organisation chart.",
        ),
        "kpi_change.head_without_manager": (
            "你是部门“{department}”的负责人，你的申请第 1 步应由你的直属上级审批，但花名册中你没有直属上级："
            "请先在花名册中补充你的上级，或请人力资源部代为提交。",
            "You head the department \u201c{department}\u201d, so step 1 of your request goes to your own manager, but"
            " the roster names none: add your manager to the roster first, or ask HR to file the request.",
        ),
        "kpi_change.no_head": (
            "部门“{department}”没有设定负责人，第 1 步无人审批：请先在组织架构中设定部门负责人。",
            "Department “{department}” has no head, so nobody can decide step 1: set the department's head in "
            "the organisation chart first.",
        ),
        "kpi_change.unknown_position": (
            "岗位 {position_id} 不存在：请选择组织架构中的岗位。",
            "Position {position_id} does not exist: choose a position of the organisation chart.",
        ),
        "kpi_change.bad_date": (
            "生效日期“{value}”无法识别：请写成 YYYY-MM-DD，并取季度第一天（如 2025-04-01）。",
            "The start date “{value}” cannot be read: write it as YYYY-MM-DD, on the first day of a quarter "
            "(such as 2025-04-01).",
        ),
        "kpi_change.not_quarter_start": (
            "生效日期 {day} 不是季度第一天：岗位模板按季度生效，请改为 {quarter_start} 或下一季度第一天。",
            "The start date {day} is not the first day of a quarter: templates take effect by quarter, so use "
            "{quarter_start} or the first day of the next quarter.",
        ),
        "kpi_change.id_taken": (
            "指标编号 {kpi_id} 已存在：新增指标请换一个编号，修改已有指标请提交“修改指标”。",
            "The KPI ID {kpi_id} exists already: give a new KPI another ID, or file “Change a KPI” to change "
            "the existing one.",
        ),
        "kpi_change.name_taken": (
            "指标库已有同名的在用指标“{name}”（{kpi_id}）：请改名，或修改已有指标。",
            "The library already has an active KPI called “{name}” ({kpi_id}): rename this one, or change the "
            "existing KPI.",
        ),
        "kpi_change.unknown_kpi": (
            "指标 {kpi_id} 不在指标库中：请从指标库中选择要{kind:change_verb}的指标。",
            "The KPI {kpi_id} is not in the library: choose the KPI to {kind:change_verb} from the library.",
        ),
        "kpi_change.retired": (
            "指标“{name}”已停用，不能再{kind:change_verb}：如需类似指标，请提交新增指标申请。",
            "The KPI “{name}” is retired, so you cannot {kind:change_verb} it: propose a new KPI if you need a "
            "similar one.",
        ),
        "kpi_change.bad_kind": (
            "变更类型“{kind}”无效：请选择 {choices:codes} 之一。",
            "The change kind “{kind}” is not valid: choose one of {choices:codes}.",
        ),
        "kpi_change.no_reason": (
            "没有填写变更理由：请说明为什么要做这项变更，审批人会看到它。",
            "No reason given: say why this change is needed; the approvers will read it.",
        ),
        "kpi_change.no_change": (
            "这项申请与{what}完全相同，没有需要审批的改动：请修改后再提交。",
            "This request is the same as {what}, so there is nothing to approve: change something, then file it.",
        ),
        "kpi_change.current_template": (
            "{day} 起生效的现行模板",
            "the template in force since {day}",
        ),
        "kpi_change.current_definition": ("指标库中的现行定义", "the definition in the library"),
        "kpi_change.no_department": (
            "无法确定由哪个部门审批这项指标库变更：请选择审批部门。",
            "It is not clear which department approves this library change: choose the department.",
        ),
        "kpi_change.pending": (
            "{subject_id} 已有一项审批中的变更申请（{pending}）：请等它审批结束或撤回后再提交。",
            "{subject_id} has a pending change request already ({pending}): wait until it is decided or "
            "withdrawn, then file again.",
        ),
        "kpi_change.past_quarter": (
            "生效日期 {day} 属于已经过去的季度：过去的考核沿用当时的模板，不能改动；请从本季度（{this_quarter}）或以后的季度生效。",
            "The start date {day} is in a past quarter: past appraisals keep the template they used and cannot "
            "change. Start from this quarter ({this_quarter}) or a later one.",
        ),
        "kpi_change.before_latest": (
            "该岗位已有 {latest} 生效的模板版本：新版本的生效日期不能早于它，请改为 {latest} 或以后。",
            "The position has a template version in force from {latest}: a new version cannot start before it, "
            "so use {latest} or later.",
        ),
        "kpi_change.id_now_taken": ("指标编号 {kpi_id} 已被占用。", "The KPI ID {kpi_id} has been taken."),
        "kpi_change.name_now_taken": (
            "指标库已有同名的在用指标“{name}”。",
            "The library has an active KPI called “{name}” now.",
        ),
        "kpi_change.now_retired": ("指标 {kpi_id} 已停用或不存在。", "The KPI {kpi_id} is retired or gone."),
        "kpi_change.no_longer_valid": (
            "提交申请后情况有变，这项变更现在不能生效：{problems:sentences}请驳回这项申请，由申请人按现状重新提交。",
            "Things changed since this request was filed, and it cannot take effect now: {problems:sentences} "
            "Reject it, so that the requester files it again as things are.",
        ),
        "kpi_change.reject_needs_comment": (
            "驳回需要填写意见：请说明驳回原因，申请人会看到它。",
            "A rejection needs a comment: say why; the requester will read it.",
        ),
        "kpi_change.unknown_change": (
            "变更申请 {change_id} 不存在：请从审批队列中打开申请。",
            "There is no change request {change_id}: open requests from the approval queue.",
        ),
        "kpi_change.unknown": ("变更申请 {change_id} 不存在。", "There is no change request {change_id}."),
        "kpi_change.bad_step": (
            "审批步骤 {step} 无效：只有 1（部门负责人）、2（HRBP）、3（分管副总）三步。",
            "There is no approval step {step}: the steps are 1 (department head), 2 (HRBP) and 3 (VP).",
        ),
        "kpi_change.step_done": (
            "第 {step} 步（{step:approval_step}）已由 {approver} 审批过，不能重复审批。",
            "Step {step} ({step:approval_step}) was decided by {approver} already: it cannot be decided twice.",
        ),
        "kpi_change.decided": (
            "变更申请 {change_id} 已{status:change_status}，不能再审批。",
            "The change request {change_id} is {status:change_status}: it cannot be decided any more.",
        ),
        "kpi_change.out_of_turn": (
            "这项申请现在等待第 {current} 步（{current:approval_step}）审批，不能跳过或提前审批第 {step} 步。",
            "This request waits for step {current} ({current:approval_step}): step {step} cannot be decided "
            "out of turn.",
        ),
        "kpi_change.cannot_withdraw": (
            "变更申请 {change_id} 已{status:change_status}，不能撤回。",
            "The change request {change_id} is {status:change_status}: it cannot be withdrawn.",
        ),
        # -- scoring (core.scoring) -------------------------------------------------------------------
        "scoring.not_a_number": (
            "{label}必须是数字，收到的是「{value!r}」",
            "{label} must be a number, not {value!r}.",
        ),
        "scoring.not_finite": (
            "{label}必须是有限的数字，收到的是「{value!r}」",
            "{label} must be a finite number, not {value!r}.",
        ),
        "scoring.target_missing": (
            "缺少目标值，无法计算{method:scored_as}得分",
            "There is no target, so {method:scored_as} score cannot be computed: enter the target.",
        ),
        "scoring.zero_target_floor": (
            "目标值为 0 时无法推算默认底线，请填写底线",
            "With a target of 0 there is no default floor: enter the floor.",
        ),
        "scoring.target_near_zero": (
            "目标值（{target:g}）太接近 0，无法推算默认底线，请填写底线",
            "The target ({target:g}) is too close to 0 for a default floor: enter the floor.",
        ),
        "scoring.floor_is_target": (
            "目标值与底线相同，无法计算{method:scored_as}得分",
            "The target equals the floor, so {method:scored_as} score cannot be computed: move one of them.",
        ),
        "scoring.floor_side": (
            "底线（{floor:g}）应{side:side}于目标值（{target:g}）",
            "The floor ({floor:g}) must be {side:side} the target ({target:g}).",
        ),
        "scoring.stretch_is_target": (
            "挑战值与目标值相同（{target:g}），无法计算{method:scored_as}得分；不设挑战值请留空",
            "The stretch equals the target ({target:g}), so {method:scored_as} score cannot be computed; leave "
            "the stretch empty for none.",
        ),
        "scoring.stretch_side": (
            "挑战值（{stretch:g}）应{side:side}于目标值（{target:g}）",
            "The stretch ({stretch:g}) must be {side:side} the target ({target:g}).",
        ),
        "scoring.anchors_too_far": (
            "底线、目标值与挑战值相差过大，无法计算",
            "The floor, target and stretch are too far apart to compute: bring them closer.",
        ),
        "scoring.ratio_target_missing": (
            "缺少目标值，无法按比例计分",
            "There is no target, so the ratio cannot be scored: enter the target.",
        ),
        "scoring.ratio_target_positive": (
            "按比例计分的目标值必须大于 0（收到 {target:g}）；目标为 0 的指标请改用扣分或达标制",
            "A ratio's target must be above 0 (it is {target:g}); score a KPI whose target is 0 by deduction or "
            "pass / fail instead.",
        ),
        "scoring.ratio_negative_actual": (
            "越低越好的比例计分，实际值不能为负数（收到 {actual:g}）",
            "A lower-is-better ratio cannot take a negative actual (it is {actual:g}).",
        ),
        "scoring.pass_fail_value": (
            "达标制的结果必须是「达标」或「未达标」（True / False），收到的是「{value!r}」",
            "A pass / fail result must be passed or failed (True / False), not {value!r}.",
        ),
        "scoring.level_not_integer": (
            "等级必须是整数，收到的是「{value!r}」",
            "A level must be a whole number, not {value!r}.",
        ),
        "scoring.unknown_level": (
            "等级 {level} 不在可选等级（{levels}）之中",
            "Level {level} is not one of the levels ({levels}).",
        ),
        "scoring.no_levels": ("等级分值表为空", "The table of level points is empty: give each level its points."),
        "scoring.level_points_range": (
            "等级 {level} 的分值应在 0–120 之间（收到 {value!r}）",
            "The points of level {level} must be between 0 and 120 (they are {value!r}).",
        ),
        "scoring.level_points_order": (
            "等级 {level} 的分值（{points:g}）低于较低等级的分值（{previous:g}）",
            "Level {level} has fewer points ({points:g}) than the level below it ({previous:g}).",
        ),
        "scoring.step_missing": (
            "缺少每次扣分分值，无法按扣分计分",
            "There are no points per deduction, so the deduction cannot be scored: enter them.",
        ),
        "scoring.step_negative": (
            "每次扣分不能为负数（收到 {step:g}）",
            "The points per deduction cannot be negative (they are {step:g}).",
        ),
        "scoring.base_range": (
            "基础分应在 0–120 之间（收到 {value!r}）",
            "The base score must be between 0 and 120 (it is {value!r}).",
        ),
        "scoring.count_negative": (
            "次数不能为负数（收到 {count:g}）",
            "The count cannot be negative (it is {count:g}).",
        ),
        "scoring.direction": (
            "{scoring:scoring}需要方向「higher」（越高越好）或「lower」（越低越好），收到的是「{value!r}」",
            "{scoring:scoring} needs the direction “higher” (higher is better) or “lower” (lower is better), "
            "not {value!r}.",
        ),
        "scoring.lower_better_higher": (
            "计分方法为「越低越好」，但指标方向为「越高越好」，请核对指标设置",
            "The scoring method is lower-is-better but the KPI's direction is higher-is-better: check the KPI's "
            "settings.",
        ),
        "scoring.unknown_method": (
            "未知的计分方法「{method}」，可选：{choices}",
            "Unknown scoring method “{method}”: choose one of {choices}.",
        ),
        "scoring.not_a_pair": (
            "第 {index} 项应为（权重, 得分），收到的是「{value!r}」",
            "Item {index} must be a (weight, score) pair, not {value!r}.",
        ),
        "scoring.weight_negative": (
            "第 {index} 项的权重应为不小于 0 的数字（收到 {value!r}）",
            "The weight of item {index} must be a number of at least 0 (it is {value!r}).",
        ),
        "scoring.score_range": (
            "第 {index} 项的得分应在 0–120 之间（收到 {score:g}）",
            "The score of item {index} must be between 0 and 120 (it is {score:g}).",
        ),
        "scoring.weights_total": (
            "各项权重之和应为 100，实际为 {total:.2f}",
            "The weights must add up to 100, not {total:.2f}.",
        ),
        "scoring.no_scale": ("等级标准为空", "The grade scale is empty: give it its grades."),
        "scoring.grade_minimum_missing": (
            "等级「{grade}」缺少分数线",
            "Grade “{grade}” has no minimum total: enter one.",
        ),
        "scoring.scale_order": (
            "等级标准应按分数线从高到低排列，「{grade}」的分数线 {minimum:g} 不低于上一等级",
            "A grade scale runs from the highest minimum to the lowest; the minimum {minimum:g} of “{grade}” is "
            "not below the grade before it.",
        ),
        # -- sign-off workflow (issue 12: core/signoff.py, core/closing.py; core/auth.confirm_password) ----------
        "field.objection_reason": ("异议理由", "the reason for the objection"),
        "field.objection_reply": ("处理意见", "the reply"),
        "field.close_reason": ("关闭原因", "the reason for closing"),
        "field.deadline_days": ("确认期限（天）", "the confirmation deadline (days)"),
        "field.company_name": ("公司名称", "the company name"),
        "own.resolve_objection": ("处理对自己考核的异议", "resolve an objection to your own appraisal"),
        "perm.signoff_hr": (
            "只有人力资源管理员可以处理异议和关闭考核周期。",
            "Only an HR admin can resolve objections and close cycles.",
        ),
        "perm.signoff_settings": (
            "只有人力资源管理员可以设置结果确认期限。",
            "Only an HR admin can set the confirmation deadline.",
        ),
        "perm.signoff_party": (
            "只有员工本人和其直属主管可以确认这份考核结果。",
            "Only the employee and their direct manager can confirm this result.",
        ),
        "perm.signoff_object": (
            "只有员工本人可以对考核结果提出异议。",
            "Only the employee can object to their result.",
        ),
        "auth.reentry_failed": (
            "密码不正确，结果未确认。请重新输入你的登录密码；连续输错 {failures} 次，账户将被锁定 {minutes} 分钟。",
            "The password is wrong, so nothing was confirmed. Enter your login password again; {failures} wrong "
            "tries in a row lock the account for {minutes} minutes.",
        ),
        "auth.reentry_locked": (
            "因多次输错密码，账户已暂时锁定，结果未确认：请 {minutes} 分钟后再试，或联系人力资源部。",
            "After too many wrong passwords the account is locked for now and nothing was confirmed: try again "
            "in {minutes} minutes, or ask HR.",
        ),
        "auth.reentry_busy": (
            "尝试次数过多，结果未确认：请一分钟后再试。",
            "Too many attempts, so nothing was confirmed: try again in a minute.",
        ),
        "settings.deadline_days": (
            "确认期限应为 1–{limit} 之间的整数天（收到「{days}」）。",
            "The confirmation deadline must be a whole number of days from 1 to {limit} (not “{days}”).",
        ),
        "settings.deadline_rule": (
            "期限过后的处理方式应为「保持待确认并列为逾期」（overdue）或「视为已确认」（deemed），收到「{rule}」。",
            "What happens after the deadline must be “overdue” (stays open, listed as overdue) or “deemed” "
            "(deemed confirmed), not “{rule}”.",
        ),
        "signoff.not_in_signoff": (
            "这份考核目前处于「{stage:stage}」阶段，不在签字确认中：现在不能确认或提出异议。",
            "This appraisal is in “{stage:stage}”, not in sign-off: it cannot be confirmed or objected to now.",
        ),
        "signoff.already_confirmed": (
            "你已于 {at} 确认过这份结果，无需再次确认。",
            "You confirmed this result at {at}: there is nothing more to confirm.",
        ),
        "signoff.objection_pending": (
            "员工对这份结果的异议正在等待人力资源部处理：处理完成后才能确认。",
            "The employee's objection to this result is waiting for HR: it can be confirmed once HR has resolved it.",
        ),
        "signoff.objection_twice": (
            "你已提出异议，正在等待人力资源部处理，请勿重复提交。",
            "You have objected already and HR has not answered yet: there is no need to object again.",
        ),
        "signoff.object_after_confirm": (
            "你已确认这份结果，不能再提出异议；如有疑问请联系人力资源部。",
            "You have confirmed this result, so you can no longer object to it; ask HR if in doubt.",
        ),
        "signoff.unknown_objection": (
            "异议「{objection_id}」不存在，请刷新页面。",
            "There is no objection “{objection_id}”: refresh the page.",
        ),
        "signoff.objection_closed": (
            "这条异议已于 {at} 由 {by} 处理过，不能再次处理。",
            "This objection was resolved by {by} at {at}: it cannot be resolved again.",
        ),
        "signoff.bad_decision": (
            "处理方式应为「维持原结果」（uphold）或「退回上级评定」（return），收到「{decision}」。",
            "The decision must be “uphold” (the result stands) or “return” (back to manager rating), not “{decision}”.",
        ),
        "signoff.cycle_not_open": (
            "考核周期「{cycle}」已于 {at} 关闭，无需再次关闭。",
            "The cycle “{cycle}” was closed at {at}: there is nothing left to close.",
        ),
        "signoff.unknown_cycle": (
            "考核周期「{cycle_id}」不存在，请刷新页面。",
            "There is no cycle “{cycle_id}”: refresh the page.",
        ),
        "signoff.outstanding": (
            "还有 {count} 份考核尚未完成确认（{ids}）：请等待其完成，或填写关闭原因后关闭周期，"
            "未完成的考核将逐一列入关闭记录。",
            "{count} appraisals are not confirmed yet ({ids}): wait for them, or give a reason for closing; the "
            "unfinished appraisals are then listed one by one in the closing record.",
        ),
        "signoff.formula": (
            "总分 = Σ（各项得分 × 权重）÷ 100 = {terms} = {total:.1f} 分，对应等级「{grade}」（等级标准：{scale}）",
            "Total = Σ(item score × weight) ÷ 100 = {terms} = {total:.1f}, which is grade “{grade}” (scale: {scale})",
        ),
        "signoff.formula_annual": (
            "年度结果 = 各季度结果与年度评议按权重加权：{parts} = {total:.1f} 分，对应等级「{grade}」",
            "Annual result = the quarters' results and the annual review by their weights: {parts} = {total:.1f}, "
            "which is grade “{grade}”",
        ),
        "signoff.formula_unscored": (
            "尚有指标未得分，总分无法计算。",
            "Some items have no score yet, so there is no total.",
        ),
        "signoff.formula_calibrated": (
            "校准后等级为「{grade}」（校准前「{before}」）：{note}",
            "After calibration the grade is “{grade}” (before: “{before}”): {note}",
        ),
        "signoff.formula_with_calibration": ("{total}；{calibration}", "{total}; {calibration}"),
        "signoff.objection_once": (
            "人力资源部已处理你的异议并维持原结果：同一轮确认只能提出一次异议。你可以确认结果，或联系人力资源部。",
            "HR has answered your objection and upheld the result: one objection per round. You can confirm the "
            "result, or ask HR.",
        ),
        "signoff.closed_as_resolved": (
            "异议已维持原结果，员工未确认：周期关闭时归档",
            "Objection upheld, not confirmed by the employee: archived as the cycle closed",
        ),
        "signoff.pdf_failed": (
            "确认未保存：生成或签署考核「{appraisal_id}」的 PDF 时出错。请稍后再试；如仍不成功，请联系系统管理员查看日志。",
            "Nothing was saved: the PDF of appraisal “{appraisal_id}” could not be rendered or signed. Try again "
            "later; if it still fails, ask the system administrator to look at the log.",
        ),
        "signoff.missing_confirmations": ("{parties:party}未确认", "not confirmed by {parties:party or}"),
        "signoff.missing_objection": ("异议待 HR 处理", "an objection waits for HR"),
        "signoff.missing_stage": (
            "尚在「{stage:stage}」阶段",
            "still in “{stage:stage}”",
        ),
        # -- sign-off evidence: signature, ledger, verification, archive (issue 12, core.signing,
        # core.signoff_ledger, core.signoff_verify, core.archive) ---------------------------------------
        "signing.ca_exists": (
            "{path} 里已经有签章 CA：不会覆盖它（它签过的文件要用它核对）。要换证书，请配置 JIXIAO_SIGNING_P12，"
            "或用 --ca-dir 指定另一个文件夹。",
            "{path} holds a signing CA already: it is never overwritten (the documents it signed are checked "
            "against it). To change certificates, configure JIXIAO_SIGNING_P12 or name another folder with --ca-dir.",
        ),
        "signing.cannot_write": (
            "无法在 {path} 写入签章 CA：请检查这个文件夹及其上级的权限（服务账户要能写入），或用 --ca-dir 指定另一个文件夹。",
            "The signing CA cannot be written in {path}: check the permissions of that folder and its parents (the "
            "service user must be able to write there), or name another folder with --ca-dir.",
        ),
        "signing.failed": (
            "这份 PDF 无法签名（文件不是有效的 PDF）：没有出具任何文件。请把这条提示和服务器日志交给 IT。",
            "This PDF cannot be signed (it is not a valid PDF): nothing was issued. Pass this message and the "
            "server log to IT.",
        ),
        "signing.no_ca": (
            "{path} 里没有签章证书：请运行 python -m core.admin init-ca 生成本地 CA，或配置 JIXIAO_SIGNING_P12。",
            "There is no signing certificate in {path}: run python -m core.admin init-ca to make a local CA, or "
            "configure JIXIAO_SIGNING_P12.",
        ),
        "signing.unreadable": (
            "读不出签章文件 {path}：请检查它是否存在、服务账户能否读取。",
            "The signing file {path} cannot be read: check that it exists and that the service user may read it.",
        ),
        "signing.p12_unreadable": (
            "PKCS#12 文件 {path} 打不开：文件损坏，或 JIXIAO_SIGNING_P12_PASSWORD_FILE 里的口令不对。",
            "The PKCS#12 file {path} cannot be opened: it is damaged, or the passphrase in "
            "JIXIAO_SIGNING_P12_PASSWORD_FILE is wrong.",
        ),
        "signing.not_a_pdf": (
            "文件不是可读的 PDF（已损坏或被截断）",
            "the file is not a readable PDF (damaged or cut short)",
        ),
        "signing.unsigned": ("文件没有数字签名", "the file carries no digital signature"),
        "signing.damaged": ("数字签名已损坏，无法核验", "the digital signature is damaged and cannot be checked"),
        "signing.not_intact": (
            "签名后文件内容被改动过（签名覆盖的字节与签名不符）",
            "the file was changed after it was signed (the signed bytes do not match the signature)",
        ),
        "signing.invalid": (
            "数字签名无效（不是该证书签的）",
            "the digital signature is not valid (not made by its certificate)",
        ),
        "signing.not_covered": (
            "签名后文件又追加了内容（签名没有覆盖整个文件）",
            "content was added to the file after it was signed (the signature does not cover the whole file)",
        ),
        "signing.untrusted": (
            "签名证书「{signer}」不是本机构签章 CA 签发的",
            "the signing certificate “{signer}” was not issued by this organisation's signing CA",
        ),
        "signing.ca_created": (
            "已在 {path} 生成本地签章 CA（根证书：{ca}；签章证书：{signing}）。口令在 {path}/passphrase（权限 0600）："
            "请把整个文件夹单独备份。",
            "Made a local signing CA in {path} (root: {ca}; signing certificate: {signing}). Its passphrase is in "
            "{path}/passphrase (mode 0600): back the whole folder up on its own.",
        ),
        "signoff_ledger.intact": (
            "签字台账完整：共 {rows} 行，哈希链在密钥下逐行核对无误，并与检查点（第 {head} 行）一致。",
            "The sign-off ledger is intact: {rows} rows, every link of the keyed hash chain checked, and it "
            "matches its checkpoint (row {head}).",
        ),
        "signoff_ledger.broken": (
            "签字台账被改动过：第 {seq} 行（{what}）{problem}。",
            "The sign-off ledger has been tampered with: row {seq} ({what}) {problem}.",
        ),
        "signoff_ledger.head_missing": (
            "签字台账有 {rows} 行，但检查点文件 {path} 不存在：检查点被删除了，或数据库是在没有它的情况下复制过来的。",
            "The sign-off ledger has {rows} rows but its checkpoint file {path} is missing: it was deleted, or the "
            "database was copied without it.",
        ),
        "signoff_ledger.head_unreadable": (
            "签字台账的检查点文件 {path} 已损坏，读不出记录的行号和哈希：请从备份恢复它。",
            "The sign-off ledger's checkpoint file {path} is damaged: its row number and hash cannot be read. "
            "Restore it from a backup.",
        ),
        "signoff_ledger.head_forged": (
            "签字台账的检查点文件 {path} 的签名与密钥不符：它被改写过，或是用另一个密钥写的。",
            "The seal of the sign-off ledger's checkpoint file {path} does not match the key: it was rewritten, "
            "or written under another key.",
        ),
        "signoff_ledger.truncated": (
            "签字台账只到第 {last} 行，但检查点记录到第 {head} 行：末尾的 {missing} 行被删除了。",
            "The sign-off ledger ends at row {last} but its checkpoint records row {head}: the last {missing} rows "
            "were deleted.",
        ),
        "signoff_ledger.emptied": (
            "签字台账是空的，但检查点记录到第 {head} 行：整个台账被删除了。",
            "The sign-off ledger is empty but its checkpoint records row {head}: the whole ledger was deleted.",
        ),
        "signoff_ledger.head_mismatch": (
            "签字台账第 {seq} 行的哈希与检查点 {path} 记录的不符：台账被重写过，或者这个检查点属于另一个数据库。",
            "The hash of row {seq} of the sign-off ledger differs from the one its checkpoint {path} records: the "
            "ledger was rewritten, or the checkpoint belongs to another database.",
        ),
        "verify.copy_altered": (
            "考核 {appraisal}：随 PDF 存档的记录副本（signoff_documents.record_json）与其哈希不符，副本被改动过。",
            "Appraisal {appraisal}: the copy of the record kept with its PDF (signoff_documents.record_json) does "
            "not match its hash: the copy was changed.",
        ),
        "verify.appraisal_missing": (
            "考核 {appraisal} 已出具签字 PDF，但数据库里已没有这条考核：它被删除了。",
            "Appraisal {appraisal} has a signed PDF but is no longer in the database: it was deleted.",
        ),
        "verify.field_changed": (
            "考核 {appraisal}：出具 PDF 后记录被改动，字段 {field} 由 {before} 变为 {after}。",
            "Appraisal {appraisal}: the record changed after its PDF was issued: {field} went from {before} to "
            "{after}.",
        ),
        "verify.ledger_missing": (
            "考核 {appraisal} 的 PDF 在签字台账里没有「PDF 出具」记录。",
            "Appraisal {appraisal}: its PDF has no “PDF issued” row in the sign-off ledger.",
        ),
        "verify.ledger_record": (
            "考核 {appraisal}：签字台账第 {seq} 行记录的记录哈希与存档的不符。",
            "Appraisal {appraisal}: the record hash in row {seq} of the sign-off ledger differs from the archived one.",
        ),
        "verify.ledger_pdf": (
            "考核 {appraisal}：签字台账第 {seq} 行记录的 PDF 哈希与存档的不符。",
            "Appraisal {appraisal}: the PDF hash in row {seq} of the sign-off ledger differs from the archived one.",
        ),
        "verify.file_missing": (
            "考核 {appraisal} 的 PDF 文件 {path} 不在电子档案里：文件被删除或移走了。",
            "Appraisal {appraisal}: its PDF file {path} is not in the archive: it was deleted or moved.",
        ),
        "verify.file_changed": (
            "考核 {appraisal} 的 PDF 文件 {path} 与出具时的 SHA-256 不符：文件被改动或替换过。",
            "Appraisal {appraisal}: the PDF file {path} does not match the SHA-256 it was issued with: the file was "
            "changed or replaced.",
        ),
        "verify.path_outside": (
            "考核 {appraisal} 的存档记录把 PDF 指向电子档案之外的 {path}：存档记录被改写过，该文件不会被读取。",
            "Appraisal {appraisal}: its archive row points the PDF outside the archive, at {path}: the row was "
            "rewritten, and that file is not read.",
        ),
        "verify.signature": (
            "考核 {appraisal} 的 PDF 文件 {path} 的数字签名未通过核验：{problem}。",
            "Appraisal {appraisal}: the digital signature of the PDF file {path} does not verify: {problem}.",
        ),
        "verify.document_missing": (
            "签字台账第 {seq} 行记录了考核 {appraisal} 的 PDF，但存档记录（signoff_documents）里没有它：存档记录被删除了。",
            "Row {seq} of the sign-off ledger records a PDF of appraisal {appraisal}, but the archive "
            "(signoff_documents) has none: its row was deleted.",
        ),
        "verify.all_good": (
            "签字存档核对无误：台账 {rows} 行，{documents} 份 PDF 的记录、文件和签名均一致。",
            "The sign-off evidence verifies: {rows} ledger rows; the records, files and signatures of {documents} "
            "PDFs all match.",
        ),
        "verify.problems": (
            "签字存档核对发现 {count} 处不符（见上）：请把这份报告交给人力资源部和 IT 核查。",
            "The sign-off evidence check found {count} mismatches (above): pass this report to HR and IT to look into.",
        ),
        "archive.unknown_appraisal": (
            "没有考核 {appraisal}：请检查编号。",
            "There is no appraisal {appraisal}: check the id.",
        ),
        "archive.unknown_cycle": ("没有考核周期 {cycle}：请检查编号。", "There is no cycle {cycle}: check the id."),
        "archive.no_document": (
            "考核 {appraisal} 还没有签字确认 PDF：双方都确认后才会出具。",
            "Appraisal {appraisal} has no sign-off PDF yet: it is issued once both parties have confirmed.",
        ),
        "archive.file_missing": (
            "考核 {appraisal} 的 PDF 文件 {path} 不在电子档案里：请联系人力资源部（运行 verify-signoffs 核查）。",
            "Appraisal {appraisal}: its PDF file {path} is not in the archive: contact HR (run verify-signoffs).",
        ),
        "archive.report_title": (
            "签字存档核对报告 · 考核周期 {cycle}（{cycle_id}）· 生成于 {at}",
            "Sign-off evidence verification · cycle {cycle} ({cycle_id}) · made {at}",
        ),
        "archive.report_ok": ("核对无误", "verified"),
        "archive.report_bad": ("{count} 处不符", "{count} mismatches"),
        "archive.readme": (
            "JiXiao 绩效签字确认 · 审计证据包\n"
            "考核周期：{cycle}（{cycle_id}），共 {documents} 份签字 PDF。\n\n"
            "各文件：\n"
            "pdf/<工号>/<周期>.pdf  每位员工的绩效结果确认书，已由本机构的签章证书做数字签名（PAdES）。\n"
            "ledger.csv / ledger.json  签字台账中本周期的各行：确认、申诉、处理、PDF 出具、周期关闭；"
            "record_sha256 是考核记录规范 JSON 的 SHA-256，pdf_sha256 是 PDF 文件的 SHA-256，"
            "prev_hash / entry_hash 是带密钥的哈希链（HMAC-SHA-256，密钥保存在系统中，不随证据包提供）。\n"
            "verification.txt  导出时运行的核对报告：台账哈希链与检查点、每份 PDF 的记录、文件哈希和数字签名。\n"
            "signing-cert.pem  签章证书；ca-cert.pem  签发它的根证书（信任锚）。\n"
            "SHA256SUMS.txt  以上各文件的 SHA-256。\n\n"
            "如何核对：\n"
            "1. 文件完整：sha256sum -c SHA256SUMS.txt（README.txt 本身不在其中）。\n"
            "2. PDF 与台账一致：每个 PDF 的 SHA-256 应等于 ledger.csv 中该考核最后一行 pdf_issued 的 pdf_sha256。\n"
            "3. 数字签名：用任一 PAdES 验证工具（如 Adobe Acrobat、poppler 的 pdfsig、pyHanko）验证每个 PDF，"
            "并把 ca-cert.pem 设为信任的根证书；签名应覆盖整个文件。\n"
            "4. 记录未被改动、哈希链完整：在系统所在服务器上运行 python -m core.admin verify-signoffs。\n",
            "JiXiao performance sign-off · evidence package\n"
            "Cycle: {cycle} ({cycle_id}), {documents} signed PDFs.\n\n"
            "The files:\n"
            "pdf/<employee>/<cycle>.pdf  each employee's result confirmation, digitally signed (PAdES) with the "
            "organisation's signing certificate.\n"
            "ledger.csv / ledger.json  this cycle's rows of the sign-off ledger: confirmations, objections, "
            "resolutions, PDFs issued, the cycle closed; record_sha256 is the SHA-256 of the appraisal's canonical "
            "JSON record, pdf_sha256 that of the PDF file, prev_hash / entry_hash the keyed hash chain "
            "(HMAC-SHA-256; the key stays in the system and is not in this package).\n"
            "verification.txt  the verification run at export: the ledger's chain and checkpoint, and each PDF's "
            "record, file hash and signature.\n"
            "signing-cert.pem  the signing certificate; ca-cert.pem  the root that issued it (the trust anchor).\n"
            "SHA256SUMS.txt  the SHA-256 of each file above.\n\n"
            "How to check:\n"
            "1. The files are whole: sha256sum -c SHA256SUMS.txt (README.txt itself is not listed).\n"
            "2. PDFs match the ledger: each PDF's SHA-256 equals the pdf_sha256 of the appraisal's last pdf_issued "
            "row in ledger.csv.\n"
            "3. Signatures: validate each PDF with any PAdES validator (Adobe Acrobat, poppler's pdfsig, pyHanko) "
            "with ca-cert.pem as the trusted root; each signature covers the whole file.\n"
            "4. Records unchanged and the chain whole: run python -m core.admin verify-signoffs on the server.\n",
        ),
        # -- sign-off PDF (issue 12 point 3, core/pdf_render.py): the document's labels -------------------
        "pdf.title": ("绩效考核结果确认书", "Performance appraisal result"),
        "pdf.running_head": ("{company}　{title}　{person}　{cycle}", "{company} | {title} | {person} | {cycle}"),
        "pdf.cycle": ("考核周期", "Cycle"),
        "pdf.period": ("考核期间", "Period"),
        "pdf.period_range": ("{start} 至 {end}", "{start} to {end}"),
        "pdf.employee": ("员工", "Employee"),
        "pdf.person": ("{name}（工号 {id}）", "{name} (ID {id})"),
        "pdf.position": ("岗位", "Position"),
        "pdf.department": ("部门", "Department"),
        "pdf.manager": ("直属主管", "Manager"),
        "pdf.items": ("考核项目", "Appraisal items"),
        "pdf.col_no": ("序号", "No."),
        "pdf.col_kpi": ("指标", "KPI"),
        "pdf.col_category": ("类别", "Category"),
        "pdf.col_weight": ("权重", "Weight"),
        "pdf.col_target": ("目标", "Target"),
        "pdf.col_actual": ("实际值（来源）", "Actual (source)"),
        "pdf.col_self": ("自评", "Self"),
        "pdf.col_manager": ("上级评分", "Manager"),
        "pdf.col_score": ("得分", "Score"),
        "pdf.col_weighted": ("加权得分", "Weighted"),
        "pdf.self_comment": ("员工自评说明：{text}", "Employee's comment: {text}"),
        "pdf.manager_comment": ("主管评语：{text}", "Manager's comment: {text}"),
        "pdf.kind_bonus": ("加分项", "Bonus"),
        "pdf.kind_deduction": ("扣分项", "Deduction"),
        "pdf.result": ("考核结果", "Result"),
        "pdf.total": ("总分：{total}", "Total: {total}"),
        "pdf.formula": (
            "计算方法：总分 = Σ（各项得分 × 权重）÷ {weights}，即表中各项加权得分之和",
            "How it is computed: total = Σ (item score × weight) ÷ {weights}, the sum of the weighted scores above",
        ),
        "pdf.formula_extras": (
            "，再加加分项 {bonus} 分、减扣分项 {deduction} 分",
            ", plus {bonus} points of bonus items and minus {deduction} points of deduction items",
        ),
        "pdf.annual": (
            "年度结果 = 各部分得分按权重加权平均（年度评议得分 {review}）：{parts}",
            "Annual result = the weighted mean of its parts (annual review {review}): {parts}",
        ),
        "pdf.annual_part": ("{part} {score} 分 × 权重 {weight}", "{part} {score} × weight {weight}"),
        "pdf.annual_review": ("年度评议", "annual review"),
        "pdf.annual_missing": (
            "；{missing} 尚无结果，其权重由其余部分分摊",
            "; {missing} had no result, its weight was spread over the rest",
        ),
        "pdf.grade_before": ("校准前等级", "Grade before calibration"),
        "pdf.grade_after": ("校准后等级", "Grade after calibration"),
        "pdf.grade_unchanged": ("{grade}（校准未调整）", "{grade} (unchanged in calibration)"),
        "pdf.calibration_note": ("校准说明", "Calibration note"),
        "pdf.none": ("无", "None"),
        "pdf.confirmations": ("双方确认", "Confirmations"),
        "pdf.col_party": ("确认方", "Party"),
        "pdf.col_confirmed_by": ("确认人", "Confirmed by"),
        "pdf.col_confirmed_at": ("确认时间", "Confirmed at"),
        "pdf.party_employee": ("员工", "Employee"),
        "pdf.party_manager": ("直属主管", "Manager"),
        "pdf.deemed": ("逾期视为确认（{at}）", "Deemed confirmed when the deadline passed ({at})"),
        "pdf.not_confirmed": ("尚未确认", "Not confirmed yet"),
        "pdf.objections": ("异议与处理", "Objections and their resolution"),
        "pdf.no_objection": ("员工未提出异议。", "The employee raised no objection."),
        "pdf.objection_raised": ("{at} 员工提出异议：{reason}", "{at} the employee objected: {reason}"),
        "pdf.objection_raised_round": (
            "{at} 员工提出异议（第 {round} 轮确认）：{reason}",
            "{at} the employee objected (sign-off round {round}): {reason}",
        ),
        "pdf.objection_open": ("处理状态：待 HR 处理。", "Status: waiting for HR."),
        "pdf.objection_upheld": (
            "{at} HR（{by}）维持原结果，答复：{reply}",
            "{at} HR ({by}) upheld the result, replying: {reply}",
        ),
        "pdf.objection_returned": (
            "{at} HR（{by}）退回主管重新评定，说明：{reply}",
            "{at} HR ({by}) returned the appraisal to the manager's rating, noting: {reply}",
        ),
        "pdf.issued": ("出具时间：{at}", "Issued: {at}"),
        "pdf.verify_note": (
            "本文件依据系统中的考核记录生成。页脚所印为该记录规范 JSON 的 SHA-256；"
            "「python -m core.admin verify-signoffs」可核验记录与本文件是否被改动。",
            "This document is generated from the appraisal record in the system. The footer shows the SHA-256 of "
            "the record's canonical JSON; “python -m core.admin verify-signoffs” checks that neither the record "
            "nor this file has changed.",
        ),
        "pdf.sha256": ("记录 SHA-256：{sha}", "Record SHA-256: {sha}"),
        "pdf.page": ("第 {page} 页 / 共 {pages} 页", "Page {page} of {pages}"),
    }
)
