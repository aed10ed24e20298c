"""The audit trail: append-only, hash-chained under a key, checkpointed outside the database, and written
inside the transaction of what it records.

**The chain.** Each row's hash is an HMAC-SHA-256, under the database's audit key, over the previous
row's hash and the row's own canonical content: a later UPDATE, DELETE or insertion breaks the chain at
that row, and someone holding only the database file cannot recompute it (a chain recomputed with plain
SHA-256 or another key fails at its first row).

**The key** is 32 random bytes (hex) in a file outside the database: beside it by default
(``data/jixiao.key``), or ``JIXIAO_KEY_FILE`` (:func:`core.db.audit_files`). It is created 0600 at the
first audited write of a trail that was never keyed (the first start), never overwritten, never in the
database or in git. While a keyed trail has no key, every audited write is refused (``audit.key_missing``):
rows that nobody could verify are not written.

**The head checkpoint** (the last sequence number and hash, sealed with the key) is written beside the
key after every committed audited write (an after-commit hook of :mod:`core.db`, so a rolled-back row is
never checkpointed). Verification fails when the chain is shorter than the head (its tail was cut), empty
while a head exists (everything deleted), holds another hash at the head's row (rewritten), when the head
is missing or its seal is not the key's. A head may lag behind the chain (a crash between the commit and
the head's write): the rows after it are checked under the key alone. A writer that finds the head
disagreeing with the trail leaves it as it is — it is the evidence — and says so in the log.

**An unkeyed trail moves to the key** (a database written before the key existed): at its first audited
write the old plain chain is verified in full and, if intact, every row is re-linked under the new key
in that write's transaction and an ``audit_keyed`` row says how many. Re-linking keeps one rule for every
row (a plain hash anywhere is a forgery) and leaves no switch point to move. A broken old chain is not
re-linked: writes are refused (``audit.legacy_broken``) until an operator accepts it with :func:`rekey`.

**When the key is lost, or the trail does not verify**, ``python -m core.admin rekey-audit
--i-understand`` (:func:`rekey`) writes an ``audit_rekeyed`` row that starts a new segment: linked, under
the key (a new one when it was lost), from the stored hash of the last row, naming what verification
found, and checkpointed. Verification then walks the chain from the last segment start and says that the
rows before it were not verified, since when and by whom that was accepted. No old row is rewritten: they
stay as the evidence.

**Backups** copy the database, then :func:`write_checkpoint` beside the copy (the head at that moment,
sealed) and keep :attr:`~core.db.Database.key_file` apart: a backup that carries its own key proves
nothing to whoever holds it.

**Who acted from a command line**: :func:`os_actor` (``os:<account>``, from the process's user id, not
the ``USER`` variable anyone can set) is the actor; :func:`annotated` adds what the command was told
(``claimed_user``) or who ran it (``os_user``, for the demo's own actors) to every row's detail.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import os
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import polars as pl

from core import chain
from core.chain import GENESIS, Head
from core.db import Cursor, Database, Transaction, register_frame, transaction_of, unregister_frame
from core.errors import CoreError, Text

try:
    import pwd
except ImportError:  # not a POSIX system: the login name is the best there is
    pwd = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)
COLUMNS = "seq, ts, actor, action, entity, entity_id, detail, prev_hash, hash"
SEGMENT = "audit_rekeyed"  # the action that starts a new keyed segment

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
    "audit_keyed": "审计日志启用密钥",
    "audit_rekeyed": "审计日志开始新的密钥链段",
    # sign-off (issue 12: core.signoff, core.closing, core.settings)
    "stage_sign": "签字确认结果",
    "stage_uphold_objection": "维持原结果（异议）",
    "stage_return_objection": "退回主管重新评定（异议）",
    "stage_complete_signoff": "完成签字确认",
    "signoff_confirmation": "确认考核结果",
    "signoff_deemed_confirmation": "逾期视为确认",
    "signoff_objection": "对考核结果提出异议",
    "signoff_resolution": "处理异议",
    "signoff_deadline_update": "修改结果确认期限",
    "company_name_update": "修改公司名称",
    # sign-off archive and evidence (issue 12: core.archive)
    "signoff_pdf_issued": "出具签字确认 PDF",
    "download_signoff_pdf": "下载签字确认 PDF",
    "read_signoff_archive": "查看电子档案",
    "export_signoff_evidence": "导出审计证据包",
    "signing_ca_created": "生成签章 CA",
}


def row_hash(prev_hash: str, seq: int, ts: dt.datetime, actor: str, action: str, entity: str | None,
             entity_id: str | None, detail: str | None, key: bytes | None = None) -> str:  # fmt: skip
    """The chain hash of one audit row (an HMAC under ``key``; plain SHA-256 for an unkeyed trail)."""
    return chain.link(prev_hash, chain.canonical([seq, ts, actor, action, entity, entity_id, detail]), key)


# -- who acted from a command line ---------------------------------------------------------------------
_NOTES: contextvars.ContextVar[tuple[tuple[str, str], ...]] = contextvars.ContextVar("audit_notes", default=())


def os_user() -> str:
    """The operating-system account running this process, from its user id (``$USER`` can say anything)."""
    if pwd is not None:
        try:
            return pwd.getpwuid(os.getuid()).pw_name
        except KeyError:  # a user id without a passwd entry (a container): the number is the name
            return str(os.getuid())
    return os.environ.get("USERNAME", "?")  # pragma: no cover - not POSIX


def os_actor() -> str:
    """The actor of a command-line action: ``os:<account>``."""
    return f"os:{os_user()}"


@contextmanager
def annotated(**fields: str | None) -> Iterator[None]:
    """Every row recorded inside carries ``fields`` in its detail (those that are None are left out): a
    command line's ``claimed_user`` (its ``--user``), or the ``os_user`` who built the demo."""
    token = _NOTES.set(_NOTES.get() + tuple((k, v) for k, v in fields.items() if v is not None))
    try:
        yield
    finally:
        _NOTES.reset(token)


def _detail_text(detail: dict[str, Any] | str | None) -> str | None:
    notes = dict(_NOTES.get())
    if notes:
        if isinstance(detail, str):
            try:
                parsed = json.loads(detail)
            except ValueError:
                parsed = None
            detail = parsed if isinstance(parsed, dict) else {"detail": detail}
        detail = {**(detail or {}), **notes}
    if isinstance(detail, str) or detail is None:
        return detail
    return json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str)


# -- writing -------------------------------------------------------------------------------------------
_KEYS: weakref.WeakKeyDictionary[Database, bytes] = weakref.WeakKeyDictionary()
_WARNED: weakref.WeakKeyDictionary[Database, str] = weakref.WeakKeyDictionary()


def record(cur: Cursor, actor: str, action: str, entity: str | None = None, entity_id: str | None = None,
           detail: dict[str, Any] | str | None = None) -> int:  # fmt: skip
    """Append one audit row on ``cur`` — call it inside the transaction of the change it records
    (``with db.transaction() as cur``), so both commit or neither does. Returns the row's sequence number.
    Raises CoreError (``audit.key_missing``, ``audit.key_unreadable``, ``audit.legacy_broken``) when the
    row cannot be linked under the key: then nothing of the transaction is written."""
    tx = transaction_of(cur)
    key = _key_for(tx, cur)
    return _append(cur, tx, key, actor, action, entity, entity_id, _detail_text(detail))


def _append(cur: Cursor, tx: Transaction, key: bytes, actor: str, action: str, entity: str | None,
            entity_id: str | None, text: str | None) -> int:  # fmt: skip
    last = cur.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    if "audit:head" not in tx.state:  # the first row of this transaction: may its commit move the head on?
        tx.state["audit:head"] = _head_agrees(tx.database, cur, key, last)
    ts = dt.datetime.now().replace(tzinfo=None)
    digest = row_hash(prev, seq, ts, actor, action, entity, entity_id, text, key)
    cur.execute(
        f"INSERT INTO audit_log ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [seq, ts, actor, action, entity, entity_id, text, prev, digest],
    )
    if tx.state["audit:head"]:
        tx.after_commit("audit:head", partial(chain.write_head, tx.database.head_file, Head(seq, digest), key))
    return seq


def _load_key(db: Database) -> bytes | None:
    try:
        return chain.read_key(db.key_file)
    except chain.KeyUnreadable as err:
        raise CoreError("audit.key_unreadable", path=db.key_file) from err


def _key_for(tx: Transaction, cur: Cursor) -> bytes:
    """The key rows of this database are linked under: loaded once, created at the first start of a
    trail that was never keyed, and moving an unkeyed trail to it (in this transaction) when needed."""
    db = tx.database
    key = tx.state.get("audit:key") or _KEYS.get(db)
    if key is not None:
        return key
    key = _load_key(db)
    if _unkeyed(cur, db):
        broken = _walk(cur, None, 1, GENESIS)[0]
        if broken is not None:
            raise CoreError("audit.legacy_broken", seq=broken.seq, problem=_problem(broken))
        key = key or chain.create_key(db.key_file)
        _move_to_key(cur, tx, key)
    elif key is None:
        if cur.execute("SELECT count(*) FROM audit_log").fetchone()[0] or db.head_file.exists():
            raise CoreError("audit.key_missing", path=db.key_file)
        key = chain.create_key(db.key_file)  # the first start of a new trail
    tx.state["audit:key"] = key
    tx.after_commit("audit:key", partial(_KEYS.__setitem__, db, key))  # remembered once it holds
    return key


def chain_key(cur: Cursor) -> bytes:
    """The key the rows of this transaction are linked under: the audit key (created at a first start, as
    for the first audited write). The sign-off ledger links under it too."""
    return _key_for(transaction_of(cur), cur)


def _unkeyed(cur: Cursor, db: Database) -> bool:
    """A trail written before the key: its first row carries a plain SHA-256, it never started a keyed
    segment, and no head was ever checkpointed for it (with a head, a plain first row is a forgery)."""
    first = cur.execute(f"SELECT {COLUMNS} FROM audit_log WHERE seq = 1").fetchone()
    if first is None or db.head_file.exists() or first[7] != GENESIS:
        return False
    if chain.link(GENESIS, chain.canonical(first[:7])) != first[8]:
        return False
    return not cur.execute("SELECT count(*) FROM audit_log WHERE action = ?", [SEGMENT]).fetchone()[0]


def _move_to_key(cur: Cursor, tx: Transaction, key: bytes, batch: int = 50_000) -> None:
    """Re-link every row of a verified unkeyed trail under ``key`` and record it (``audit_keyed``)."""
    last_seq, prev, rows = 0, GENESIS, 0
    while True:
        chunk = cur.execute(
            "SELECT seq, ts, actor, action, entity, entity_id, detail FROM audit_log WHERE seq > ? ORDER BY seq "
            "LIMIT ?",
            [last_seq, batch],
        ).fetchall()
        if not chunk:
            break
        seqs, prevs, hashes = [], [], []
        for r in chunk:
            digest = chain.link(prev, chain.canonical(r), key)
            seqs.append(r[0]), prevs.append(prev), hashes.append(digest)
            prev = digest
        register_frame(cur, "_audit_relinked", pl.DataFrame({"seq": seqs, "prev_hash": prevs, "hash": hashes}))
        try:
            cur.execute(
                "UPDATE audit_log SET prev_hash = r.prev_hash, hash = r.hash FROM _audit_relinked r "
                "WHERE audit_log.seq = r.seq"
            )
        finally:
            unregister_frame(cur, "_audit_relinked")
        last_seq, rows = chunk[-1][0], rows + len(chunk)
    tx.state["audit:head"] = True  # the head starts with the keyed trail
    _append(cur, tx, key, "system", "audit_keyed", "audit_log", None, _detail_text({"relinked": rows}))


def _head_agrees(db: Database, cur: Cursor, key: bytes, last: tuple[int, str] | None) -> bool:
    """Whether the head file agrees with the trail (so the next commit may move it on); when it does not,
    it is the evidence of what happened and stays as it is."""
    problem = _head_problem(db, cur, key, last)
    if problem is None:
        _WARNED.pop(db, None)
        return True
    if _WARNED.get(db) != problem.code:  # once per problem, not on every write
        _WARNED[db] = problem.code
        logger.error("the audit head checkpoint is left as it is: %s", problem.render("en"))
    return False


_HEAD_PROBLEMS = {"unreadable": "audit.head_unreadable", "forged": "audit.head_forged", "missing": "audit.head_missing",
                  "emptied": "audit.trail_emptied", "truncated": "audit.trail_truncated",
                  "mismatch": "audit.head_mismatch"}  # fmt: skip


def _head_problem(db: Database, cur: Cursor, key: bytes, last: tuple[int, str] | None) -> Text | None:
    """What is wrong between the head file and the trail whose last row is ``last``; None when they agree."""
    found = chain.head_problem(db.head_file, key, last, partial(_hash_at, cur))
    return None if found is None else Text(_HEAD_PROBLEMS[found.kind], **found.params)


def _hash_at(cur: Cursor, seq: int) -> str | None:
    row = cur.execute("SELECT hash FROM audit_log WHERE seq = ?", [seq]).fetchone()
    return row[0] if row else None


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


# -- verifying -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChainCheck:
    """The outcome of walking the chain: ``failure`` names a problem of the key or the head (the chain
    itself may be fine), ``first_broken_seq`` and ``problem`` the first row that does not match. An
    intact trail's ``verdict`` says how far it was checked (against the head, from a segment's start, or
    as an unkeyed trail); without one, the plain sentence of ``rows`` checked."""

    ok: bool
    rows: int
    first_broken_seq: int | None = None
    problem: Text | str = ""
    failure: Text | None = None
    verdict: Text | None = None

    @property
    def message(self) -> Text:
        """The outcome as a sentence (``audit.*``; its ``str`` is the Chinese)."""
        if self.failure is not None:
            return self.failure
        if not self.ok:
            return Text("audit.chain_broken", seq=self.first_broken_seq, problem=self.problem)
        return self.verdict or Text("audit.chain_intact", rows=self.rows)

    @property
    def code(self) -> str:
        """The code of what is wrong (``audit.key_missing``, ``audit.chain_broken`` …); "" when intact."""
        if self.failure is not None:
            return self.failure.code
        return "" if self.ok else "audit.chain_broken"


_PROBLEMS = {"missing": "audit.row_missing", "relinked": "audit.row_relinked", "altered": "audit.row_altered",
             "unkeyed": "audit.row_unkeyed"}  # fmt: skip


def _problem(broken: chain.Break) -> Text:
    return Text(_PROBLEMS[broken.kind], found=broken.found_seq)


def _walk(cur: Cursor, key: bytes | None, start_seq: int, start_hash: str,
          batch: int = 50_000) -> tuple[chain.Break | None, int]:  # fmt: skip
    """Walk the chain from ``start_seq`` (whose previous hash is ``start_hash``) to its end: the first
    break (None when intact) and how many rows matched."""
    last_seq, rows, prev = start_seq - 1, 0, start_hash
    while True:
        chunk = cur.execute(
            f"SELECT {COLUMNS} FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?", [last_seq, batch]
        ).fetchall()
        if not chunk:
            return None, rows
        entries = ((r[0], r[7], r[8], chain.canonical(r[:7])) for r in chunk)
        broken, matched, prev = chain.first_break(entries, key, start_seq=last_seq + 1, start_hash=prev)
        rows += matched
        if broken is not None:
            return broken, rows
        last_seq = chunk[-1][0]


def _segment_start(cur: Cursor, key: bytes) -> tuple[int, str, tuple | None]:
    """Where the chain to verify starts: the last ``audit_rekeyed`` row whose own hash is the key's (its
    seq, its stored previous hash and the row), else row 1 from the genesis hash."""
    rows = cur.execute(f"SELECT {COLUMNS} FROM audit_log WHERE action = ? ORDER BY seq DESC", [SEGMENT]).fetchall()
    for r in rows:
        if chain.link(r[7], chain.canonical(r[:7]), key) == r[8]:
            return r[0], r[7], r
    return 1, GENESIS, None


def verify_chain(db: Database, batch: int = 50_000) -> ChainCheck:
    """Walk the chain under the key and hold it against the head checkpoint. Names the first row that
    does not match, or what is wrong with the key or the head; an intact trail says how far it was
    checked and, after a ``rekey-audit``, which rows before its segment were not."""
    cur = db.cursor()
    try:
        key = _load_key(db)
    except CoreError as err:
        return ChainCheck(False, 0, failure=Text(err.code, **err.params))
    if _unkeyed(cur, db):  # written before the key: checked as it was written, keyed at the next write
        broken, rows = _walk(cur, None, 1, GENESIS, batch)
        if broken is not None:
            return ChainCheck(False, rows, broken.seq, _problem(broken))
        return ChainCheck(True, rows, verdict=Text("audit.chain_intact_unkeyed", rows=rows))
    last = cur.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    if key is None:
        if last is None and not db.head_file.exists():
            return ChainCheck(True, 0)
        return ChainCheck(False, 0, failure=Text("audit.key_missing", path=db.key_file))
    start, start_hash, segment = _segment_start(cur, key)
    broken, rows = _walk(cur, key, start, start_hash, batch)
    if broken is not None:
        return ChainCheck(False, rows, broken.seq, _problem(broken))
    problem = _head_problem(db, cur, key, last)
    if problem is not None:
        return ChainCheck(False, rows, failure=problem)
    head = chain.read_head(db.head_file, key)
    if head is None:  # an empty trail, never written
        return ChainCheck(True, rows)
    if segment is not None and start > 1:
        return ChainCheck(True, rows, verdict=Text(
            "audit.chain_intact_segment", rows=rows, head=head.seq, seq=start, before=start - 1, actor=segment[2],
            ts=segment[1].isoformat(sep=" ", timespec="seconds"),
        ))  # fmt: skip
    return ChainCheck(True, rows, verdict=Text("audit.chain_intact_head", rows=rows, head=head.seq))


# -- the way forward, and backups ----------------------------------------------------------------------
@dataclass(frozen=True)
class Rekeyed:
    """What :func:`rekey` did: the ``audit_rekeyed`` row, the rows before it (not verified), and
    whether a new key file was made."""

    seq: int
    before: int
    new_key: bool


def rekey(db: Database, actor: str) -> Rekeyed:
    """Start a new keyed segment of a trail that does not verify (the key lost, the tail cut, a row
    changed): an ``audit_rekeyed`` row records what verification found, linked under the key (a new key
    file when there is none), and the head is checkpointed for it. The rows before it stay as they are
    and are reported as not verified from then on. Refused (``audit.rekey_not_needed``) when the trail
    verifies; ``audit.key_unreadable`` when the key file is damaged (move it away first)."""
    check = verify_chain(db)
    if check.ok:
        raise CoreError("audit.rekey_not_needed", rows=check.rows)
    key = _load_key(db)
    new_key = key is None
    if key is None:
        key = chain.create_key(db.key_file)
    before = db.scalar("SELECT coalesce(max(seq), 0) FROM audit_log")
    detail = {"reason": check.code, "problem": str(check.message), "rows_before": before, "new_key": new_key}
    with db.transaction() as cur:
        tx = transaction_of(cur)
        tx.state.update({"audit:key": key, "audit:head": True})
        seq = _append(cur, tx, key, actor, SEGMENT, "audit_log", None, _detail_text(detail))
    _KEYS[db] = key
    return Rekeyed(seq, before, new_key)


def checkpoint(db: Database) -> Head | None:
    """The trail's head as it stands (last sequence number and hash); None for an empty trail."""
    row = db.cursor().execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    return Head(row[0], row[1]) if row else None


def write_checkpoint(db: Database, path: os.PathLike[str] | str) -> Head | None:
    """Write the trail's head, sealed with the key, to ``path`` and flush it to disk: what a backup keeps
    beside its copy of the database, so a copy cut short or rewritten later fails ``verify-audit``.
    Refused (``audit.head_disagrees``) when the trail no longer agrees with its own head file, so a
    backup never blesses a cut or rewritten trail. The key itself is backed up apart (``db.key_file``)."""
    key = _load_key(db)
    if key is None:
        raise CoreError("audit.key_missing", path=db.key_file)
    head = checkpoint(db)
    problem = _head_problem(db, db.cursor(), key, None if head is None else (head.seq, head.hash))
    if problem is not None:
        raise CoreError("audit.head_disagrees", path=db.head_file, problem=problem)
    if head is not None:
        chain.write_head(Path(path), head, key, durable=True)
    return head


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
