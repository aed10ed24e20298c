"""Staged roster rows → departments, positions and employees, inside the file's transaction.

A roster describes the company as it is now: new people are added, changed people are updated,
identical rows change nothing. Managers are resolved by id or by a unique name after every row is
read, so a manager listed below their reports is found too. What the roster changes on people and
departments already on file is kept before and after (import_employee_images,
import_department_images), so the batch can be undone exactly (pipelines/roster/undo.py).
"""

from __future__ import annotations

import polars as pl

from core import appraisal_edits, auth
from core.db import Cursor, query_frame, register_frame, unregister_frame
from pipelines.context import OrgContext, fold_expr, stable_id
from pipelines.normalise import IdRule, restore_ids
from pipelines.roster.parse import COLUMN_LABELS, RosterParsed
from pipelines.row_errors import bad_rids, rejects_table, row_errors
from pipelines.source import BatchWriter, Loaded, Progress

PEOPLE_COLUMNS = ["employee_id", "name", "dept_id", "position_id", "manager_id", "hire_date", "leave_date", "status"]


def load_roster(batch: BatchWriter, parsed: RosterParsed, step: Progress) -> Loaded:
    """Resolve the roster rows against the org on file and write what changed."""
    ctx = OrgContext.load(batch.db)
    notes: list[str] = []
    frame, rule, all_known = _with_roster_ids(parsed.rows, ctx)
    errors = pl.concat([parsed.errors, _duplicate_ids(frame, parsed.errors)])
    ok = frame.filter(~pl.col("_rid").is_in(bad_rids(errors)))
    ok = _managers(ok, ctx, all_known, rule, notes)
    ok, new_depts, moved_depts = _departments(ok, ctx)
    ok, new_pos = _positions(ok, ctx)
    inserts, updates, unchanged_rows = _compare_people(batch.cur, ok)
    rejects = rejects_table([frame], errors, parsed.headers, COLUMN_LABELS)
    if new_depts.height:
        notes.append(f"新建部门 {new_depts.height} 个：" + "、".join(new_depts.get_column("name").to_list()[:20]))
    if updates.height:
        notes.append(f"更新了 {updates.height} 名员工的信息（姓名、部门、岗位、上级、日期或状态有变化）。")
    step(0.8, "写入数据库")
    batch.insert("departments", new_depts.select("dept_id", "name", "parent_id", batch_id=pl.lit(batch.batch_id)))
    for dept_id, parent_id in moved_depts.select("dept_id", "parent_id").iter_rows():
        batch.cur.execute("UPDATE departments SET parent_id = ? WHERE dept_id = ?", [parent_id, dept_id])
    batch.insert(
        "positions", new_pos.select("position_id", "dept_id", "name", "is_key", batch_id=pl.lit(batch.batch_id))
    )
    batch.insert("employees", inserts.select(*PEOPLE_COLUMNS, batch_id=pl.lit(batch.batch_id)))
    _update_people(batch, updates.select(PEOPLE_COLUMNS))
    set_department_heads(batch.cur)
    _keep_department_changes(batch, ctx.departments)
    return Loaded(frame.height, rejects, errors.get_column("_rid").n_unique(), unchanged_rows, notes)


def _with_roster_ids(frame: pl.DataFrame, ctx: OrgContext) -> tuple[pl.DataFrame, IdRule, pl.Series]:
    """工号 in the spelling of the roster on file (or, for a first roster, of this file); the rule used;
    and every id known once this file is in."""
    known = ctx.employees.get_column("employee_id")
    file_ids = frame.get_column("employee_id").drop_nulls()
    rule = ctx.id_rule if known.len() else IdRule.from_ids(file_ids.to_list())
    frame = frame.with_columns(employee_id=restore_ids(frame.get_column("employee_id"), known, rule))
    all_known = pl.concat([known, frame.get_column("employee_id").drop_nulls()]).unique()
    return frame, rule, all_known


def _duplicate_ids(frame: pl.DataFrame, errors: pl.DataFrame) -> pl.DataFrame:
    """A 工号 on two rows (neither rejected already): both rejected, naming the rows."""
    bad = bad_rids(errors)
    dups = (
        frame.filter(~pl.col("_rid").is_in(bad) & pl.col("employee_id").is_not_null())
        .group_by("employee_id")
        .agg(pl.len().alias("_n"), _rows=pl.col("_row").cast(pl.String).str.join("、"))
        .filter(pl.col("_n") > 1)
    )
    return row_errors(
        frame.join(dups, on="employee_id", how="inner").filter(~pl.col("_rid").is_in(bad)),
        pl.format("工号 {} 在第 {} 行重复出现：请只保留一行", pl.col("employee_id"), pl.col("_rows")),
        "employee_id",
        pl.col("employee_id"),
    )


def _managers(ok: pl.DataFrame, ctx: OrgContext, all_known: pl.Series, rule: IdRule, notes: list[str]) -> pl.DataFrame:
    """``manager_id``: an id (of this file or on file), else a unique name; a note on those not found."""
    ok = ok.with_columns(_mgr=restore_ids(ok.get_column("manager"), all_known, rule))
    names = pl.concat(
        [
            ok.select("employee_id", _fold=fold_expr(pl.col("name"))),
            ctx.employees.select("employee_id", pl.col("_name_fold").alias("_fold")),
        ]
    ).unique()
    unique_names = names.group_by("_fold").agg(
        pl.col("employee_id").first().alias("_mgr_by_name"), pl.len().alias("_k")
    )
    unique_names = unique_names.filter(pl.col("_k") == 1).drop("_k")
    ok = ok.join(unique_names, left_on="_mgr", right_on="_fold", how="left", maintain_order="left").with_columns(
        manager_id=pl.when(pl.col("_mgr").is_in(all_known.implode()))
        .then(pl.col("_mgr"))
        .otherwise(pl.col("_mgr_by_name"))
    )
    ok = ok.with_columns(
        manager_id=pl.when(pl.col("manager_id") == pl.col("employee_id")).then(None).otherwise(pl.col("manager_id"))
    )
    lost = ok.filter(pl.col("_mgr").is_not_null() & pl.col("manager_id").is_null())
    if lost.height:
        notes.append(
            f"{lost.height} 人的直接上级无法对应到员工（例如第 {lost.get_column('_row')[0]} 行的「{lost.get_column('manager')[0]}」），已留空。"
        )
    return ok


def _departments(ok: pl.DataFrame, ctx: OrgContext) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Departments (and their parents) by name: the rows with ``dept_id``, the new departments, and the
    departments on file whose parent the roster moves."""
    dept_names = pl.concat([ok.get_column("department"), ok.get_column("parent_department")]).drop_nulls()
    depts = pl.DataFrame({"name": dept_names}).unique(maintain_order=True).with_columns(_fold=fold_expr(pl.col("name")))
    depts = depts.unique("_fold", maintain_order=True).join(
        ctx.departments.select("_fold", pl.col("dept_id").alias("_known"), pl.col("parent_id").alias("_old_parent")),
        on="_fold",
        how="left",
    )
    depts = depts.with_columns(
        dept_id=pl.coalesce("_known", pl.col("_fold").map_elements(lambda n: stable_id("D", n), return_dtype=pl.String))
    )
    dept_of = depts.select("_fold", "dept_id")
    parents = (
        ok.filter(pl.col("parent_department").is_not_null())
        .select(_fold=fold_expr(pl.col("department")), _pfold=fold_expr(pl.col("parent_department")))
        .unique("_fold")
        .join(dept_of.rename({"_fold": "_pfold", "dept_id": "parent_id"}), on="_pfold", how="left")
    )
    depts = depts.join(parents.select("_fold", "parent_id"), on="_fold", how="left")
    new_depts = depts.filter(pl.col("_known").is_null())
    moved_depts = depts.filter(
        pl.col("_known").is_not_null()
        & pl.col("parent_id").is_not_null()
        & (pl.col("parent_id") != pl.col("_old_parent")).fill_null(True)
    )
    ok = ok.with_columns(_dfold=fold_expr(pl.col("department"))).join(
        dept_of.rename({"_fold": "_dfold"}), on="_dfold", how="left", maintain_order="left"
    )
    return ok, new_depts, moved_depts


def _positions(ok: pl.DataFrame, ctx: OrgContext) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Positions within their department: the rows with ``position_id`` and the new positions."""
    ok = ok.with_columns(_pfold=fold_expr(pl.col("position")))
    pos_known = ctx.positions.select("dept_id", pl.col("_fold").alias("_pfold"), pl.col("position_id").alias("_pknown"))
    ok = ok.join(pos_known, on=["dept_id", "_pfold"], how="left", maintain_order="left").with_columns(
        position_id=pl.when(pl.col("_pfold").is_null())
        .then(None)
        .otherwise(
            pl.coalesce(
                "_pknown",
                pl.struct("dept_id", "_pfold").map_elements(
                    # polars evaluates this for every row, also those the when() above leaves out
                    lambda s: stable_id("P", s["dept_id"], s["_pfold"]) if s["dept_id"] and s["_pfold"] else None,
                    return_dtype=pl.String,
                ),
            )
        )
    )
    new_pos = (
        ok.filter(pl.col("_pfold").is_not_null() & pl.col("_pknown").is_null())
        .group_by("position_id")
        .agg(pl.col("dept_id").first(), pl.col("position").first().alias("name"), pl.col("is_key").any())
    )
    return ok, new_pos


def _compare_people(cur: Cursor, ok: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """People to insert, people on file to update, and the number of rows identical to the file's."""
    people = ok.select(*PEOPLE_COLUMNS, "_sheet", "_row")
    register_frame(cur, "_roster", people.drop("_sheet", "_row"))
    try:
        existing = query_frame(
            cur,
            (
                "SELECT r.employee_id, (e.employee_id IS NOT NULL) AS _exists, "
                "(e.name IS NOT DISTINCT FROM r.name AND e.dept_id IS NOT DISTINCT FROM r.dept_id "
                " AND e.position_id IS NOT DISTINCT FROM r.position_id AND e.manager_id IS NOT DISTINCT FROM r.manager_id "
                " AND e.hire_date IS NOT DISTINCT FROM r.hire_date AND e.leave_date IS NOT DISTINCT FROM r.leave_date "
                " AND e.status IS NOT DISTINCT FROM r.status) AS _same "
                "FROM _roster r LEFT JOIN employees e USING (employee_id)"
            ),
        )
    finally:
        unregister_frame(cur, "_roster")
    people = people.join(existing, on="employee_id", how="left", maintain_order="left")
    inserts = people.filter(~pl.col("_exists"))
    updates = people.filter(pl.col("_exists") & ~pl.col("_same"))
    return inserts, updates, people.filter(pl.col("_same")).height


def _update_people(batch: BatchWriter, updates: pl.DataFrame) -> None:
    """Update people on file, keeping each one's row as it was and as written."""
    if updates.height == 0:
        return
    cur = batch.cur
    register_frame(cur, "_updates", updates)
    try:
        before = query_frame(cur, f"SELECT {', '.join(f'e.{c}' for c in PEOPLE_COLUMNS)} FROM employees e SEMI JOIN _updates u USING (employee_id)")  # fmt: skip
        cur.execute(
            "UPDATE employees e SET name = u.name, dept_id = u.dept_id, position_id = u.position_id, "
            "manager_id = u.manager_id, hire_date = u.hire_date, leave_date = u.leave_date, status = u.status "
            "FROM _updates u WHERE e.employee_id = u.employee_id"
        )
    finally:
        unregister_frame(cur, "_updates")
    for side, rows in (("before", before), ("after", updates)):
        batch.insert("import_employee_images", rows.with_columns(batch_id=pl.lit(batch.batch_id), side=pl.lit(side)))
    _follow_changes(batch, before, updates)


def _follow_changes(batch: BatchWriter, before: pl.DataFrame, after: pl.DataFrame) -> None:
    """What a changed person brings along: open appraisals follow a new manager; a person now 离职 has
    their sessions ended at once (core decides both, inside this import's transaction)."""
    was = before.select("employee_id", pl.col("manager_id").alias("_was"), pl.col("status").alias("_status_was"))
    changed = after.join(was, on="employee_id", how="inner")
    moved = changed.filter(pl.col("manager_id").ne_missing(pl.col("_was")))
    why = f"花名册批次 {batch.batch_id}"
    appraisal_edits.follow_manager_changes(
        batch.cur, moved.select("employee_id", "_was", "manager_id").rows(), batch.uploaded_by, why
    )
    left = changed.filter((pl.col("status") == "left") & pl.col("_status_was").ne_missing("left"))
    auth.end_sessions_of(batch.cur, left.get_column("employee_id").to_list(), "left", batch.uploaded_by)


def set_department_heads(cur: Cursor) -> None:
    """A department's head is its one active member whose manager sits outside it (or who has none)."""
    cur.execute(
        "UPDATE departments d SET head_id = h.employee_id FROM ("
        " SELECT e.dept_id, min(e.employee_id) AS employee_id, count(*) AS n FROM employees e"
        " LEFT JOIN employees m ON m.employee_id = e.manager_id"
        " WHERE e.status = 'active' AND e.dept_id IS NOT NULL AND (m.employee_id IS NULL OR m.dept_id IS DISTINCT FROM e.dept_id)"
        " GROUP BY e.dept_id HAVING count(*) = 1) h "
        "WHERE d.dept_id = h.dept_id AND d.head_id IS DISTINCT FROM h.employee_id"
    )


def _keep_department_changes(batch: BatchWriter, before: pl.DataFrame) -> None:
    """The parent and head of each department on file before the roster that the roster changed
    (moved under another parent, or given another head), as they were and as they are now."""
    cur = batch.cur
    register_frame(cur, "_departments_before", before.select("dept_id", "parent_id", "head_id"))
    try:
        changed = query_frame(
            cur,
            "SELECT b.dept_id, b.parent_id AS before_parent, b.head_id AS before_head, d.parent_id, d.head_id"
            " FROM _departments_before b JOIN departments d USING (dept_id)"
            " WHERE d.parent_id IS DISTINCT FROM b.parent_id OR d.head_id IS DISTINCT FROM b.head_id",
        )
    finally:
        unregister_frame(cur, "_departments_before")
    if changed.height == 0:
        return
    tag = {"batch_id": pl.lit(batch.batch_id)}
    was = changed.select("dept_id", parent_id="before_parent", head_id="before_head", side=pl.lit("before"), **tag)
    now = changed.select("dept_id", "parent_id", "head_id", side=pl.lit("after"), **tag)
    batch.insert("import_department_images", pl.concat([was, now]))
