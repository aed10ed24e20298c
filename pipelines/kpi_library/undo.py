"""Undo a KPI-library batch, inside the undo's transaction.

What it does: every position template version the batch wrote (template_versions and its
position_kpis rows, marked with the batch id) is removed, so the version before it is in force again;
every KPI version the batch wrote (kpi_versions, marked) is removed: a KPI the batch added is removed,
a KPI it changed gets back the definition of its previous version (kept in kpi_versions, so nothing
needs an image of its own).

It is refused, naming what, when:
- a template version of the batch was used to open a cycle (appraisals copied its items), or the
  position has a later version (a later batch or an approved change), or a template change request
  for that position is pending (it was written against the batch's version);
- a KPI of the batch has a later version, or a pending change request, or (a changed KPI) was copied
  into a cycle opened after the batch;
- a KPI the batch added is still used: by appraisal items, another template version, recorded
  actuals or a change request.
"""

from __future__ import annotations

from core.db import Cursor
from pipelines.dependents import keys_named, named, remove_batch_rows, still_used
from pipelines.source import Undone

KPI_COLUMNS = (
    "name", "category", "unit", "direction", "method", "data_source", "description", "rubric", "deduction_step",
    "status", "version",
)  # fmt: skip


def undo_library(cur: Cursor, batch_id: str) -> Undone:
    """Remove the template and KPI versions the batch wrote; say what depends on them."""
    undone = Undone(blockers=[*_template_blockers(cur, batch_id), *_kpi_blockers(cur, batch_id)])
    undone.removed["position_kpis"] = cur.execute(
        "SELECT count(*) FROM position_kpis pk JOIN template_versions tv USING (position_id, version)"
        " WHERE tv.batch_id = ?",
        [batch_id],
    ).fetchall()[0][0]
    cur.execute(
        "DELETE FROM position_kpis pk USING template_versions tv"
        " WHERE tv.batch_id = ? AND pk.position_id = tv.position_id AND pk.version = tv.version",
        [batch_id],
    )
    undone.removed["template_versions"] = remove_batch_rows(cur, "template_versions", batch_id)
    added = _added_kpis(cur, batch_id)
    names = keys_named(cur, "kpis", added)
    undone.restored["kpis"] = _restore_changed_kpis(cur, batch_id, added)
    if added:
        cur.execute("DELETE FROM kpis WHERE list_contains(?::VARCHAR[], kpi_id)", [added])
    undone.removed["kpis"] = len(added)
    undone.removed["kpi_versions"] = remove_batch_rows(cur, "kpi_versions", batch_id)
    undone.blockers += still_used(cur, {"kpis": names})
    undone.removed = {table: n for table, n in undone.removed.items() if n}
    undone.restored = {table: n for table, n in undone.restored.items() if n}
    return undone


def _template_blockers(cur: Cursor, batch_id: str) -> list[str]:
    """Template versions of the batch that were used, superseded or are the base of a pending change."""
    out = []
    for cycle, n in cur.execute(
        "SELECT c.name, count(*) FROM template_versions tv JOIN appraisals a"
        " ON a.position_id = tv.position_id AND a.template_version = tv.version JOIN cycles c ON c.cycle_id = a.cycle_id"
        " WHERE tv.batch_id = ? GROUP BY c.name ORDER BY c.name",
        [batch_id],
    ).fetchall():
        out.append(f"本批次的岗位模板已用于开启考核周期「{cycle}」（{n} 份考核）：撤销会让这些考核失去模板来源")
    later = _names(
        cur,
        "SELECT DISTINCT coalesce(p.name, tv.position_id) FROM template_versions tv"
        " JOIN template_versions v2 ON v2.position_id = tv.position_id AND v2.version > tv.version"
        " LEFT JOIN positions p ON p.position_id = tv.position_id WHERE tv.batch_id = ? ORDER BY 1",
        batch_id,
    )
    if later:
        out.append(f"岗位{named(later)}的模板在本批次之后又有了新版本：请先处理那些版本")
    pending = _names(
        cur,
        "SELECT DISTINCT k.change_id FROM template_versions tv JOIN kpi_changes k ON k.subject_id = tv.position_id"
        " WHERE tv.batch_id = ? AND k.kind = 'template' AND k.status = 'pending' ORDER BY 1",
        batch_id,
    )
    if pending:
        out.append(f"有以本批次的模板为基础、尚在审批中的模板变更申请{named(pending)}：请先审批或撤回")
    return out


def _kpi_blockers(cur: Cursor, batch_id: str) -> list[str]:
    """KPI versions of the batch that were superseded, are the base of a pending change, or were copied
    into a cycle opened after the batch."""
    out = []
    later = _names(
        cur,
        "SELECT k.name FROM kpi_versions v JOIN kpis k USING (kpi_id) WHERE v.batch_id = ? AND k.version > v.version"
        " ORDER BY 1",
        batch_id,
    )
    if later:
        out.append(f"指标{named(later)}在本批次之后又被修改过：请先处理之后的修改")
    pending = _names(
        cur,
        "SELECT DISTINCT c.change_id FROM kpi_versions v JOIN kpi_changes c ON c.subject_id = v.kpi_id"
        " WHERE v.batch_id = ? AND c.status = 'pending' ORDER BY 1",
        batch_id,
    )
    if pending:
        out.append(f"本批次的指标有尚在审批中的变更申请{named(pending)}：请先审批或撤回")
    for cycle, kpis in cur.execute(
        "SELECT c.name, list(DISTINCT i.kpi_name ORDER BY i.kpi_name) FROM kpi_versions v"
        " JOIN import_batches b ON b.batch_id = v.batch_id JOIN appraisal_items i ON i.kpi_id = v.kpi_id"
        " JOIN appraisals a ON a.appraisal_id = i.appraisal_id JOIN cycles c ON c.cycle_id = a.cycle_id"
        " WHERE v.batch_id = ? AND v.version > 1 AND c.origin = 'app' AND c.opened_at >= b.imported_at"
        " GROUP BY c.name ORDER BY c.name",
        [batch_id],
    ).fetchall():
        out.append(f"本批次修改后的指标{named(kpis)}已用于考核周期「{cycle}」：撤销会让周期里的指标与指标库不一致")
    return out


def _added_kpis(cur: Cursor, batch_id: str) -> list[str]:
    """The KPIs whose first version the batch wrote."""
    return [
        r[0]
        for r in cur.execute(
            "SELECT v.kpi_id FROM kpi_versions v WHERE v.batch_id = ?"
            " AND NOT EXISTS (SELECT 1 FROM kpi_versions w WHERE w.kpi_id = v.kpi_id AND w.version < v.version)"
            " ORDER BY 1",
            [batch_id],
        ).fetchall()
    ]


def _restore_changed_kpis(cur: Cursor, batch_id: str, added: list[str]) -> int:
    """Give each KPI the batch changed the definition of its version before the batch's; returns how many."""
    previous = (
        "SELECT w.kpi_id, " + ", ".join(f"w.{c}" for c in KPI_COLUMNS) + " FROM kpi_versions v JOIN kpi_versions w"
        " ON w.kpi_id = v.kpi_id AND w.version = (SELECT max(x.version) FROM kpi_versions x"
        " WHERE x.kpi_id = v.kpi_id AND x.version < v.version)"
        " WHERE v.batch_id = ? AND NOT list_contains(?::VARCHAR[], v.kpi_id)"
    )
    n = cur.execute(f"SELECT count(*) FROM ({previous})", [batch_id, added]).fetchall()[0][0]
    if n:
        columns = ", ".join(f"{c} = p.{c}" for c in KPI_COLUMNS)
        cur.execute(f"UPDATE kpis k SET {columns} FROM ({previous}) p WHERE k.kpi_id = p.kpi_id", [batch_id, added])
    return n


def _names(cur: Cursor, sql: str, batch_id: str) -> list[str]:
    return [r[0] for r in cur.execute(sql, [batch_id]).fetchall()]
