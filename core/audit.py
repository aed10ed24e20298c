"""The audit trail: append-only, hash-chained, written inside the transaction of what it records.

Each row's hash is SHA-256 over the previous row's hash and the row's own canonical content, so any
later UPDATE, DELETE or insertion in the middle breaks the chain at that row. ``verify_chain`` walks
it and names the first row that no longer matches.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import polars as pl

from core import chain
from core.db import Cursor, Database
from core.errors import Text

# action → label shown on the 审计日志 screen
ACTIONS = {
    "login": "登录成功",
    "login_failed": "登录失败",
    "lockout": "账户锁定",
    "logout": "退出登录",
    "session_expired": "会话超时",
    "sessions_housekeeping": "清理闲置会话",
    "session_refused": "会话被拒绝（换了浏览器）",
    "appraisal_reassign": "考核随新上级转移",
    "import": "导入文件",
    "export": "导出数据",
    "read_appraisal": "查看个人考核",
    "read_employee": "查看员工档案",
    "access_denied": "越权访问被拒绝",
    "user_create": "创建用户",
    "user_update": "修改用户",
    "password_reset": "重置密码",
    "user_disable": "停用用户",
    "user_enable": "启用用户",
    "login_throttled": "登录尝试过于频繁",
    "password_change": "修改自己的密码",
    "account_request": "提交账户变更申请",
    "account_request_confirm": "确认账户变更申请",
    "account_request_reject": "驳回账户变更申请",
    "account_request_withdraw": "撤回账户变更申请",
    "kpi_change_propose": "提交指标变更申请",
    "kpi_change_approve": "审批通过指标变更",
    "kpi_change_reject": "驳回指标变更",
    "kpi_change_withdraw": "撤回指标变更申请",
    "kpi_bands_update": "修改指标类别权重区间",
    "cycle_open": "开启考核周期",
    "cycle_close": "关闭考核周期",
    "stage_propose_goals": "提出目标",
    "stage_adjust_goals": "调整目标",
    "stage_approve_goals": "批准目标",
    "stage_checkin": "进度沟通",
    "stage_finish_midterm": "结束中期回顾",
    "stage_submit_self": "提交自评",
    "stage_submit_rating": "提交上级评定",
    "stage_return": "退回上一阶段",
    "stage_finalise_calibration": "完成校准",
    "actual_record": "录入指标实际值",
    "calibrate": "校准调整等级",
    "calibration_finalise": "部门校准完成",
    "grade_scale_update": "修改等级标准",
    "guideline_update": "修改等级分布指引",
}


def row_hash(prev_hash: str, seq: int, ts: dt.datetime, actor: str, action: str, entity: str | None,
             entity_id: str | None, detail: str | None) -> str:  # fmt: skip
    """The chain hash of one audit row."""
    return chain.link(prev_hash, chain.canonical([seq, ts, actor, action, entity, entity_id, detail]))


def record(cur: Cursor, actor: str, action: str, entity: str | None = None, entity_id: str | None = None,
           detail: dict[str, Any] | str | None = None) -> int:  # fmt: skip
    """Append one audit row on ``cur`` — call it inside the transaction of the change it records,
    so both commit or neither does. Returns the row's sequence number."""
    text = (
        detail
        if isinstance(detail, str) or detail is None
        else json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str)
    )
    last = cur.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev = (last[0] + 1, last[1]) if last else (1, chain.GENESIS)
    ts = dt.datetime.now().replace(tzinfo=None)
    digest = row_hash(prev, seq, ts, actor, action, entity, entity_id, text)
    cur.execute(
        "INSERT INTO audit_log (seq, ts, actor, action, entity, entity_id, detail, prev_hash, hash) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [seq, ts, actor, action, entity, entity_id, text, prev, digest],
    )
    return seq


def log(db: Database, actor: str, action: str, entity: str | None = None, entity_id: str | None = None,
        detail: dict[str, Any] | str | None = None) -> int:  # fmt: skip
    """Record an event that has no other write (a login, a read, an export) in its own transaction."""
    with db.transaction() as cur:
        return record(cur, actor, action, entity, entity_id, detail)


def log_read(db: Database, actor: str, session: str | None, action: str, entity: str, entity_id: str,
             detail: dict[str, Any] | None = None) -> bool:  # fmt: skip
    """Record the read of one person's record or appraisal: once per login ``session`` (the session's
    token hash) and entity, so a screen's reruns do not fill the trail; every time without a session (the
    command line). Returns whether a row was written."""
    key = [session, action, entity, entity_id]
    seen = "SELECT count(*) FROM session_reads WHERE token_sha256 = ? AND action = ? AND entity = ? AND entity_id = ?"
    if session is not None and db.scalar(seen, key):
        return False
    with db.transaction() as cur:
        if session is not None:
            if cur.execute(seen, key).fetchone()[0]:
                return False  # another run of the same session got here first
            cur.execute(
                "INSERT INTO session_reads VALUES (?, ?, ?, ?, ?)", [*key, dt.datetime.now().replace(microsecond=0)]
            )
        record(cur, actor, action, entity, entity_id, detail)
    return True


@dataclass(frozen=True)
class ChainCheck:
    """The outcome of walking the chain."""

    ok: bool
    rows: int
    first_broken_seq: int | None = None
    problem: Text | str = ""

    @property
    def message(self) -> Text:
        """The outcome as a sentence (``audit.*``; its ``str`` is the Chinese)."""
        if self.ok:
            return Text("audit.chain_intact", rows=self.rows)
        return Text("audit.chain_broken", seq=self.first_broken_seq, problem=self.problem)


def verify_chain(db: Database, batch: int = 50_000) -> ChainCheck:
    """Walk the whole chain in order; the first row whose hash or link does not match is named."""
    cur = db.cursor()
    last_seq, rows, prev = 0, 0, chain.GENESIS
    problems = {"missing": "audit.row_missing", "relinked": "audit.row_relinked", "altered": "audit.row_altered"}
    while True:
        chunk = cur.execute(
            "SELECT seq, ts, actor, action, entity, entity_id, detail, prev_hash, hash FROM audit_log "
            "WHERE seq > ? ORDER BY seq LIMIT ?",
            [last_seq, batch],
        ).fetchall()
        if not chunk:
            return ChainCheck(True, rows)
        entries = ((r[0], r[7], r[8], chain.canonical(r[:7])) for r in chunk)
        broken, matched, prev = chain.first_break(entries, start_seq=last_seq + 1, start_hash=prev)
        rows += matched
        if broken is not None:
            return ChainCheck(False, rows, broken.seq, Text(problems[broken.kind], found=broken.found_seq))
        last_seq = chunk[-1][0]


def entries(db: Database, *, actor: str | None = None, action: str | None = None, entity_id: str | None = None,
            since: dt.date | None = None, until: dt.date | None = None, limit: int = 500) -> pl.DataFrame:  # fmt: skip
    """Audit rows, newest first, filtered. Callers check that the acting user may read the trail."""
    where, params = [], []
    for column, value in (("actor", actor), ("action", action), ("entity_id", entity_id)):
        if value:
            where.append(f"{column} = ?")
            params.append(value)
    if since:
        where.append("ts >= ?")
        params.append(dt.datetime.combine(since, dt.time.min))
    if until:
        where.append("ts < ?")
        params.append(dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min))
    sql = "SELECT seq, ts, actor, action, entity, entity_id, detail FROM audit_log"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += f" ORDER BY seq DESC LIMIT {int(limit)}"
    return db.frame(sql, params)
