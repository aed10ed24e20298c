"""Undo an import batch: HR takes back everything one file loaded, in one transaction, or is told why not.

``preview_undo`` says what an undo would remove and put back, and what stands in its way; ``undo_batch``
does it. Both run the source's undo step (pipelines/sources.py: each source's undo.py lists its rules)
inside a transaction; the preview always rolls it back, so what it shows is exactly what the undo
would do. The undo commits only when nothing depends on the batch's rows; the batch row then stays in
the history with status ``undone`` (when and by whom), and the undo is audited as ``import_undo`` with
the counts of what was removed and restored (pipelines/importer.py writes both). The same file may
then be imported again.

Refused, with a Chinese reason: a batch that does not exist, one already undone (when and by whom),
one that loaded nothing (refused, rejected), and one whose rows later work depends on (each source's
rules). Only those allowed to import (``core.permissions``, action ``import``: HR) may preview or undo.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from core import permissions
from core.auth import User
from core.db import Cursor, Database
from pipelines.importer import mark_undone
from pipelines.report import STATUS_LABELS
from pipelines.sources import source_named

UNDOABLE = ("loaded", "partial", "unchanged")  # statuses of batches that may have written rows
# table -> (what its rows are, the counter word)
TABLE_LABELS = {
    "appraisals": ("考核", "份"),
    "appraisal_items": ("考核项", "条"),
    "employees": ("员工", "人"),
    "positions": ("岗位", "个"),
    "departments": ("部门", "个"),
    "kpis": ("指标", "项"),
    "cycles": ("历史考核周期", "个"),
    "kpi_versions": ("指标版本", "个"),
    "template_versions": ("岗位模板版本", "个"),
    "position_kpis": ("岗位模板中的指标", "条"),
}


@dataclass
class UndoPlan:
    """What undoing one batch removes and restores (rows per table), and why it may not happen: a
    ``refusal`` of the batch itself, or ``blockers`` naming what depends on its rows."""

    batch_id: str
    file_name: str = ""
    source: str = ""
    status: str = ""
    imported_at: dt.datetime | None = None
    removed: dict[str, int] = field(default_factory=dict)
    restored: dict[str, int] = field(default_factory=dict)
    blockers: list[str] = field(default_factory=list)
    refusal: str | None = None

    @property
    def possible(self) -> bool:
        """Nothing stands in the undo's way."""
        return self.refusal is None and not self.blockers

    @property
    def reason(self) -> str:
        """Why the undo may not happen, as one Chinese message (empty when it may)."""
        if self.refusal:
            return self.refusal
        if self.blockers:
            return (
                f"不能撤销批次 {self.batch_id}（文件「{self.file_name}」）："
                + "；".join(self.blockers)
                + "。没有做任何更改。"
            )
        return ""

    def summary(self) -> str:
        """What the undo removes and restores, in one Chinese sentence."""
        parts = []
        if self.removed:
            parts.append("删除" + "、".join(_counted(t, n) for t, n in self.removed.items()))
        if self.restored:
            parts.append("恢复为导入前的" + "、".join(_counted(t, n) for t, n in self.restored.items()))
        return "，".join(parts) + "。" if parts else "这个批次没有留下需要删除的数据。"

    def to_dict(self) -> dict[str, Any]:
        """The plan as plain JSON-ready data (the CLI's ``--json``)."""
        return {
            "batch_id": self.batch_id,
            "file_name": self.file_name,
            "source": self.source,
            "status": self.status,
            "removed": dict(self.removed),
            "restored": dict(self.restored),
            "blockers": list(self.blockers),
            "possible": self.possible,
            "message": self.reason or self.summary(),
        }


class UndoRefused(Exception):
    """The undo did not happen; ``plan.reason`` says why in Chinese. Nothing was changed."""

    def __init__(self, plan: UndoPlan):
        super().__init__(plan.reason)
        self.plan = plan


class _Preview(Exception):
    """Raised inside the transaction to roll back what a preview (or a refused undo) did."""


def preview_undo(db: Database, user: User | None, batch_id: str) -> UndoPlan:
    """What undoing ``batch_id`` would remove and restore, and what stands in its way. Changes nothing."""
    permissions.require_action(user, "import", "perm.undo_import")
    return _run(db, batch_id, actor=None)


def undo_batch(db: Database, user: User | None, batch_id: str) -> UndoPlan:
    """Undo ``batch_id`` in one transaction, audited; raises :class:`UndoRefused` (nothing changed) when
    it may not be undone."""
    actor = permissions.require_action(user, "import", "perm.undo_import")
    plan = _run(db, batch_id, actor=actor.username)
    if not plan.possible:
        raise UndoRefused(plan)
    return plan


def _run(db: Database, batch_id: str, actor: str | None) -> UndoPlan:
    """The source's undo inside a transaction, committed (with the batch marked undone) only when an
    ``actor`` asks and nothing stands in its way; rolled back otherwise."""
    plan = UndoPlan(batch_id)
    try:
        with db.transaction() as cur:
            _describe(cur, plan)
            if plan.refusal is None:
                undone = source_named(plan.source).undo(cur, batch_id)
                plan.removed, plan.restored, plan.blockers = undone.removed, undone.restored, undone.blockers
            if actor is None or not plan.possible:
                raise _Preview
            detail = {"file": plan.file_name, "source": plan.source, "removed": plan.removed, "restored": plan.restored}
            mark_undone(cur, batch_id, actor, detail)
    except _Preview:
        pass
    return plan


def _describe(cur: Cursor, plan: UndoPlan) -> None:
    """Fill the batch's file, source, status and time, and refuse a batch that cannot be undone at all."""
    row = cur.execute(
        "SELECT file_name, source, status, imported_at, undone_at, undone_by FROM import_batches WHERE batch_id = ?",
        [plan.batch_id],
    ).fetchall()
    if not row:
        plan.refusal = f"没有找到批次 {plan.batch_id}：请在导入记录里核对批次号。"
        return
    plan.file_name, plan.source, plan.status, plan.imported_at, undone_at, undone_by = row[0]
    if plan.status == "undone":
        when = f"{undone_at:%Y-%m-%d %H:%M}" if undone_at else "之前"
        plan.refusal = (
            f"批次 {plan.batch_id}（文件「{plan.file_name}」）已于 {when} 由 {undone_by} 撤销，不能再撤销一次。"
        )
    elif plan.status not in UNDOABLE:
        label = STATUS_LABELS.get(plan.status, plan.status)
        plan.refusal = f"批次 {plan.batch_id}（文件「{plan.file_name}」）没有导入任何数据（{label}），无需撤销。"


def _counted(table: str, n: int) -> str:
    what, unit = TABLE_LABELS.get(table, (table, "行"))
    return f"{what} {n} {unit}"
