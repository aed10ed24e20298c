"""What depends on the rows an undo removes: which tables point at employees, departments, positions
and KPIs, and the Chinese sentence naming what still does once a batch's rows are gone.

The undo of a batch removes its rows inside its transaction and then asks :func:`still_used`; any
sentence it returns refuses the undo (the transaction rolls back). Asking after the removal is what
makes the check exact: a row the undo restores or removes with the batch no longer counts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from core.db import Cursor, register_frame, unregister_frame

# what is removed -> (its key column, how a row is named to people, its name in a sentence)
TARGETS: Mapping[str, tuple[str, str, str]] = {
    "employees": ("employee_id", "name || '（' || employee_id || '）'", "员工"),
    "departments": ("dept_id", "name", "部门"),
    "positions": ("position_id", "name", "岗位"),
    "kpis": ("kpi_id", "name", "指标"),
}

# what is removed -> (table, column pointing at it, an expression identifying the row, what the row is)
REFERENCES: Mapping[str, tuple[tuple[str, str, str, str], ...]] = {
    "employees": (
        ("appraisals", "employee_id", "appraisal_id", "考核记录"),
        ("appraisals", "manager_id", "appraisal_id", "以其为考核人的考核记录"),
        ("appraisals", "rater_id", "appraisal_id", "由其评分的考核记录"),
        ("users", "employee_id", "username", "登录账户"),
        ("kpi_actuals", "employee_id", "employee_id || '/' || kpi_id", "指标实际值"),
        ("employees", "manager_id", "employee_id", "以其为直接上级的员工"),
        ("departments", "head_id", "name", "以其为负责人的部门"),
        ("import_employee_images", "employee_id", "batch_id", "之后的花名册批次对其信息的修改"),
    ),
    "departments": (
        ("employees", "dept_id", "employee_id", "员工"),
        ("positions", "dept_id", "name", "岗位"),
        ("departments", "parent_id", "name", "下级部门"),
        ("appraisals", "dept_id", "appraisal_id", "考核记录"),
        ("hrbp_scope", "dept_id", "username", "HRBP 负责范围"),
        ("cycle_departments", "dept_id", "cycle_id", "试点考核周期"),
        ("kpi_changes", "dept_id", "change_id", "指标变更申请"),
        ("calibration_finals", "dept_id", "cycle_id", "校准结果"),
        ("import_department_images", "dept_id", "batch_id", "之后的花名册批次对其上级部门或负责人的修改"),
    ),
    "positions": (
        ("employees", "position_id", "employee_id", "员工"),
        ("appraisals", "position_id", "appraisal_id", "考核记录"),
        ("template_versions", "position_id", "position_id || ':v' || version", "岗位考核模板"),
        ("kpi_changes", "subject_id", "change_id", "模板变更申请"),
    ),
    "kpis": (
        ("appraisal_items", "kpi_id", "appraisal_id", "考核项"),
        ("position_kpis", "kpi_id", "position_id || ':v' || version", "岗位考核模板"),
        ("kpi_actuals", "kpi_id", "employee_id || '/' || kpi_id", "指标实际值"),
        ("kpi_changes", "subject_id", "change_id", "指标变更申请"),
    ),
}
SHOWN = 3  # ids and example rows named in a sentence


def named(values: Sequence[object], total: int | None = None) -> str:
    """「a」「b」「c」 and, when there are more, 等 N 个."""
    total = len(values) if total is None else total
    shown = "".join(f"「{v}」" for v in values[:SHOWN])
    return shown + (f"等 {total} 个" if total > SHOWN else "")


def batch_keys(cur: Cursor, table: str, batch_id: str) -> dict[str, str]:
    """The rows of ``table`` (one of :data:`TARGETS`) that ``batch_id`` added: key -> how people name it."""
    key, label, _ = TARGETS[table]
    rows = cur.execute(f"SELECT {key}, {label} FROM {table} WHERE batch_id = ? ORDER BY 1", [batch_id]).fetchall()
    return dict(rows)


def keys_named(cur: Cursor, table: str, keys: Sequence[str]) -> dict[str, str]:
    """``keys`` of ``table`` (one of :data:`TARGETS`) -> how people name each (read before they are removed)."""
    key, label, _ = TARGETS[table]
    rows = cur.execute(f"SELECT {key}, {label} FROM {table} WHERE list_contains(?::VARCHAR[], {key})", [list(keys)])
    return dict(rows.fetchall())


def remove_batch_rows(cur: Cursor, table: str, batch_id: str) -> int:
    """Delete the rows of ``table`` that ``batch_id`` added; returns how many."""
    n = cur.execute(f"SELECT count(*) FROM {table} WHERE batch_id = ?", [batch_id]).fetchall()[0][0]
    if n:
        cur.execute(f"DELETE FROM {table} WHERE batch_id = ?", [batch_id])
    return n


def still_used(cur: Cursor, removed: Mapping[str, Mapping[str, str]]) -> list[str]:
    """For rows already removed (per table of :data:`TARGETS`: key -> name), one sentence per table that
    still points at some of them: which ones, how many rows, and examples; the last says what to do."""
    sentences: list[str] = []
    for target, keys in removed.items():
        if not keys:
            continue
        register_frame(cur, "_removed_keys", pl.DataFrame({"key": list(keys)}, schema={"key": pl.String}))
        try:
            for table, column, example, what in REFERENCES[target]:
                n, used, n_used, rows = cur.execute(
                    f"SELECT count(*), list(DISTINCT {column} ORDER BY {column}), count(DISTINCT {column}),"
                    f" list(DISTINCT {example} ORDER BY {example})"
                    f" FROM {table} WHERE {column} IN (SELECT key FROM _removed_keys)"
                ).fetchall()[0]
                if n:
                    names = [keys.get(k, k) for k in used]
                    examples = "、".join(map(str, rows[:SHOWN]))
                    sentences.append(
                        f"本批次导入的{TARGETS[target][2]}{named(names, n_used)}仍有{what} {n} 条（如 {examples}）"
                    )
        finally:
            unregister_frame(cur, "_removed_keys")
    if sentences:
        sentences[-1] += "：请先处理这些记录，或先撤销用到它们的批次"
    return sentences
