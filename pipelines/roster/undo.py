"""Undo a roster batch, inside the undo's transaction.

What it does: the people the batch changed and the departments whose parent or head it changed are
put back as they were before the batch (from import_employee_images / import_department_images); the
departments, positions and people the batch added are removed.

Why a before-image and not a refusal: a roster re-states the whole company, so nearly every roster
batch updates somebody; refusing those would leave undo useless for the mistake it exists for (the
wrong month's roster). The image is exact because the batch wrote it in its own transaction, and it
is safe because the undo first compares every changed row with what the batch wrote ('after').

It is refused, naming what, when:
- a person or department the batch changed has changed again since (a later roster batch): undo that
  batch first, else its change would be overwritten;
- a person the batch added now has appraisals (an app cycle or a later legacy file), a login account,
  recorded actuals, people reporting to them, a department they head, or later roster changes;
- a department the batch added still holds people, positions, sub-departments or appraisals, or is
  named by an HRBP's scope, a pilot cycle, a KPI change request or a calibration;
- a position the batch added still has people, appraisals, template versions or change requests.
"""

from __future__ import annotations

from core.db import Cursor
from pipelines.dependents import batch_keys, named, remove_batch_rows, still_used
from pipelines.roster.load import PEOPLE_COLUMNS
from pipelines.source import Undone

ADDED = ("employees", "positions", "departments")  # removed in this order


def undo_roster(cur: Cursor, batch_id: str) -> Undone:
    """Put back what the roster batch changed and remove what it added; say what depends on it."""
    undone = Undone(blockers=_changed_since(cur, batch_id))
    undone.restored = _restore(cur, batch_id)
    removed = {table: batch_keys(cur, table, batch_id) for table in ADDED}
    undone.removed = {table: remove_batch_rows(cur, table, batch_id) for table in ADDED}
    undone.blockers += still_used(cur, removed)
    return undone


def _changed_since(cur: Cursor, batch_id: str) -> list[str]:
    """People and departments whose row is no longer what the batch wrote."""
    differs = " OR ".join(f"e.{c} IS DISTINCT FROM i.{c}" for c in PEOPLE_COLUMNS[1:])
    people = [
        r[0]
        for r in cur.execute(
            "SELECT coalesce(e.name || '（' || e.employee_id || '）', i.employee_id)"
            " FROM import_employee_images i LEFT JOIN employees e USING (employee_id)"
            f" WHERE i.batch_id = ? AND i.side = 'after' AND (e.employee_id IS NULL OR {differs}) ORDER BY 1",
            [batch_id],
        ).fetchall()
    ]
    departments = [
        r[0]
        for r in cur.execute(
            "SELECT coalesce(d.name, i.dept_id) FROM import_department_images i LEFT JOIN departments d USING (dept_id)"
            " WHERE i.batch_id = ? AND i.side = 'after' AND (d.dept_id IS NULL OR d.parent_id IS DISTINCT FROM i.parent_id"
            " OR d.head_id IS DISTINCT FROM i.head_id) ORDER BY 1",
            [batch_id],
        ).fetchall()
    ]
    out = []
    if people:
        out.append(f"本批次修改过的员工{named(people)}之后又有改动（例如之后导入的花名册）：请先撤销之后的批次")
    if departments:
        out.append(f"本批次修改过上级部门或负责人的部门{named(departments)}之后又有改动：请先撤销之后的批次")
    return out


def _restore(cur: Cursor, batch_id: str) -> dict[str, int]:
    """Put the changed people and departments back as they were; drop the images. Returns counts."""
    people = cur.execute(
        "SELECT count(*) FROM import_employee_images WHERE batch_id = ? AND side = 'before'", [batch_id]
    ).fetchall()[0][0]
    departments = cur.execute(
        "SELECT count(*) FROM import_department_images WHERE batch_id = ? AND side = 'before'", [batch_id]
    ).fetchall()[0][0]
    if people:
        columns = ", ".join(f"{c} = i.{c}" for c in PEOPLE_COLUMNS[1:])
        cur.execute(
            f"UPDATE employees e SET {columns} FROM import_employee_images i"
            " WHERE i.batch_id = ? AND i.side = 'before' AND e.employee_id = i.employee_id",
            [batch_id],
        )
    if departments:
        cur.execute(
            "UPDATE departments d SET parent_id = i.parent_id, head_id = i.head_id FROM import_department_images i"
            " WHERE i.batch_id = ? AND i.side = 'before' AND d.dept_id = i.dept_id",
            [batch_id],
        )
    cur.execute("DELETE FROM import_employee_images WHERE batch_id = ?", [batch_id])
    cur.execute("DELETE FROM import_department_images WHERE batch_id = ?", [batch_id])
    return {table: n for table, n in (("employees", people), ("departments", departments)) if n}
