"""Rosters (花名册) → departments, positions and employees.

A roster describes the company as it is now: new people are added, changed people are updated,
identical rows change nothing. Managers are resolved by id or by a unique name after every row is
read, so a manager listed below their reports is found too.
"""

from __future__ import annotations

import datetime as dt

import pandera.polars as pa
import polars as pl

from core.db import Database, insert_frame, query_frame, register_frame, unregister_frame
from core.values import clean_text
from pipelines.context import OrgContext, fold_expr, stable_id
from pipelines.layout import find_table
from pipelines.normalise import IdRule, clean_employee_id, parse_date, restore_ids
from pipelines.report import LoadReport
from pipelines.sniff import FileRefused
from pipelines.staging import stage_table
from pipelines.workbook import Grid, sheets_to_read
from schemas.staged import RosterRecord, reason_for

FIELDS = (
    "employee_id", "name", "first_name", "last_name", "department", "parent_department", "position", "manager",
    "hire_date", "leave_date", "status", "is_key",
)  # fmt: skip
ERR_SCHEMA = {"_rid": pl.UInt32, "column": pl.String, "value": pl.String, "reason": pl.String}
ACTIVE_WORDS = ("在职", "正式", "试用", "试用期", "在岗", "active", "employed", "current", "实习")
LEFT_WORDS = ("离职", "已离职", "辞职", "退休", "left", "terminated", "inactive", "resigned", "retired")
TRUE_WORDS = ("是", "y", "yes", "true", "1", "关键", "√", "✓")
COLUMN_LABELS = {
    "employee_id": "工号", "name": "姓名", "department": "部门", "position": "岗位", "manager": "直接上级",
    "hire_date": "入职日期", "leave_date": "离职日期", "status": "状态",
}  # fmt: skip


def _errors(frame: pl.DataFrame, reason: pl.Expr, column: str, value: pl.Expr) -> pl.DataFrame:
    return (
        frame.select(pl.col("_rid"), column=pl.lit(column), value=value.cast(pl.String), reason=reason)
        .filter(pl.col("reason").is_not_null())
        .cast(ERR_SCHEMA)  # type: ignore[arg-type]
    )


def stage(grids: list[Grid], report: LoadReport) -> tuple[pl.DataFrame, dict[tuple[str, str], str]]:
    """Staged roster rows of every roster-shaped sheet."""
    frames, headers = [], {}
    for g in sheets_to_read(grids, report.notes):
        table = find_table(g)
        if table is None or table.kind != "roster":
            if table is not None and table.kind == "legacy":
                report.notes.append(
                    f"工作表「{g.name}」看起来是考核表，不是花名册，已跳过（请作为历史考核表单独导入）。"
                )
            else:
                report.notes.append(f"工作表「{g.name}」里没有找到花名册表头（工号、姓名、部门），已跳过。")
            continue
        for c in table.columns:
            headers[(g.name, c.field)] = c.header
        staged = stage_table(g.full(), table, FIELDS)
        frames.append(staged.frame)
    if not frames:
        raise FileRefused(
            "没有找到花名册的表头：花名册需要「工号」「姓名」「部门」列（可另有 岗位、直接上级、入职日期）。"
        )
    return pl.concat(frames, how="vertical_relaxed").with_row_index("_rid"), headers


def normalise(staged: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Parse ids, names, dates and statuses. Returns (rows, errors)."""
    hire, hire_err = parse_date(pl.col("hire_date"))
    leave, leave_err = parse_date(pl.col("leave_date"))
    first, last = clean_text(pl.col("first_name")), clean_text(pl.col("last_name"))
    cjk = last.str.contains(r"[\u4e00-\u9fff]").fill_null(False)
    joined = pl.when(cjk).then(pl.concat_str([last, first])).otherwise(pl.concat_str([first, last], separator=" "))
    status_raw = clean_text(pl.col("status"))
    status_l = status_raw.str.to_lowercase()
    frame = staged.with_columns(
        _hire_raw=clean_text(pl.col("hire_date")),
        _leave_raw=clean_text(pl.col("leave_date")),
        employee_id=clean_employee_id(pl.col("employee_id")),
        name=pl.coalesce(clean_text(pl.col("name")), joined),
        department=clean_text(pl.col("department")),
        parent_department=clean_text(pl.col("parent_department")),
        position=clean_text(pl.col("position")),
        manager=clean_employee_id(pl.col("manager")),
        hire_date=hire,
        leave_date=leave,
        status_raw=status_raw,
        is_key=clean_text(pl.col("is_key")).str.to_lowercase().is_in(list(TRUE_WORDS)).fill_null(False),
        _hire_err=hire_err,
        _leave_err=leave_err,
    ).with_columns(
        status=pl.when(status_l.is_in([w.lower() for w in LEFT_WORDS]))
        .then(pl.lit("left"))
        .when(status_l.is_in([w.lower() for w in ACTIVE_WORDS]))
        .then(pl.lit("active"))
        .when(status_raw.is_null() & pl.col("leave_date").is_not_null() & (pl.col("leave_date") <= dt.date.today()))
        .then(pl.lit("left"))
        .when(status_raw.is_null())
        .then(pl.lit("active"))
        .otherwise(None),
    )
    errors = pl.concat(
        [
            _errors(frame, pl.col("_hire_err") + "：请写成 2024-03-01 这样的日期", "hire_date", pl.col("_hire_raw")),
            _errors(frame, pl.col("_leave_err") + "：请写成 2024-03-01 这样的日期", "leave_date", pl.col("_leave_raw")),
            _errors(
                frame,
                pl.when(pl.col("status").is_null()).then(pl.lit("状态无法识别：请写「在职」或「离职」")),
                "status",
                pl.col("status_raw"),
            ),
        ]
    )
    return frame, errors


def validate(frame: pl.DataFrame) -> pl.DataFrame:
    """pandera checks of the roster contract."""
    try:
        RosterRecord.validate(frame.select("employee_id", "name", "department"), lazy=True)
    except pa.errors.SchemaErrors as err:
        fc = err.failure_cases.filter(pl.col("index").is_not_null())
        rids = frame.get_column("_rid")
        rows = [
            (rids[int(i)], col, val, reason_for(col, str(check)))
            for col, check, val, i in fc.select("column", "check", "failure_case", "index").iter_rows()
        ]
        return pl.DataFrame(rows, schema=ERR_SCHEMA, orient="row")
    return pl.DataFrame(schema=ERR_SCHEMA)


def run(db: Database, grids: list[Grid], report: LoadReport, uploaded_by: str, step, batch_id: str) -> None:
    """Stage, check and load a roster file in one transaction."""
    from pipelines.importer import finish_report, write_batch

    staged, headers = stage(grids, report)
    frame, errors = normalise(staged)
    errors = pl.concat([errors, validate(frame)])
    report.batch_id = batch_id
    step(0.5, "核对工号、部门和上级")
    with db.transaction() as cur:
        ctx = OrgContext.load(db)
        known = ctx.employees.get_column("employee_id")
        file_ids = frame.get_column("employee_id").drop_nulls()
        rule = ctx.id_rule if known.len() else IdRule.from_ids(file_ids.to_list())
        frame = frame.with_columns(employee_id=restore_ids(frame.get_column("employee_id"), known, rule))
        all_known = pl.concat([known, frame.get_column("employee_id").drop_nulls()]).unique()

        bad = errors.get_column("_rid").unique().implode()
        dups = (
            frame.filter(~pl.col("_rid").is_in(bad) & pl.col("employee_id").is_not_null())
            .group_by("employee_id")
            .agg(pl.len().alias("_n"), _rows=pl.col("_row").cast(pl.String).str.join("、"))
            .filter(pl.col("_n") > 1)
        )
        errors = pl.concat(
            [
                errors,
                _errors(
                    frame.join(dups, on="employee_id", how="inner").filter(~pl.col("_rid").is_in(bad)),
                    pl.format("工号 {} 在第 {} 行重复出现：请只保留一行", pl.col("employee_id"), pl.col("_rows")),
                    "employee_id",
                    pl.col("employee_id"),
                ),
            ]
        )
        ok = frame.filter(~pl.col("_rid").is_in(errors.get_column("_rid").unique().implode()))

        # managers: an id (own file or database), else a unique name
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
            report.notes.append(
                f"{lost.height} 人的直接上级无法对应到员工（例如第 {lost.get_column('_row')[0]} 行的「{lost.get_column('manager')[0]}」），已留空。"
            )

        # departments (and their parents) by name
        dept_names = pl.concat([ok.get_column("department"), ok.get_column("parent_department")]).drop_nulls()
        depts = (
            pl.DataFrame({"name": dept_names}).unique(maintain_order=True).with_columns(_fold=fold_expr(pl.col("name")))
        )
        depts = depts.unique("_fold", maintain_order=True).join(
            ctx.departments.select(
                "_fold", pl.col("dept_id").alias("_known"), pl.col("parent_id").alias("_old_parent")
            ),
            on="_fold",
            how="left",
        )
        depts = depts.with_columns(
            dept_id=pl.coalesce(
                "_known", pl.col("_fold").map_elements(lambda n: stable_id("D", n), return_dtype=pl.String)
            )
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

        # positions within their department
        ok = ok.with_columns(_pfold=fold_expr(pl.col("position")))
        pos_known = ctx.positions.select(
            "dept_id", pl.col("_fold").alias("_pfold"), pl.col("position_id").alias("_pknown")
        )
        ok = ok.join(pos_known, on=["dept_id", "_pfold"], how="left", maintain_order="left").with_columns(
            position_id=pl.when(pl.col("_pfold").is_null())
            .then(None)
            .otherwise(
                pl.coalesce(
                    "_pknown",
                    pl.struct("dept_id", "_pfold").map_elements(
                        lambda s: stable_id("P", s["dept_id"], s["_pfold"]), return_dtype=pl.String
                    ),
                )
            )
        )
        new_pos = (
            ok.filter(pl.col("_pfold").is_not_null() & pl.col("_pknown").is_null())
            .group_by("position_id")
            .agg(pl.col("dept_id").first(), pl.col("position").first().alias("name"), pl.col("is_key").any())
        )

        # employees: insert new, update changed, leave identical ones alone
        people = ok.select(
            "employee_id",
            "name",
            "dept_id",
            "position_id",
            "manager_id",
            "hire_date",
            "leave_date",
            "status",
            "_sheet",
            "_row",
        )
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
        unchanged_rows = people.filter(pl.col("_same")).height

        rejects = _rejects(frame, errors, headers)
        finish_report(report, frame.height, rejects, errors.get_column("_rid").n_unique(), unchanged_rows)
        if new_depts.height:
            report.notes.append(
                f"新建部门 {new_depts.height} 个：" + "、".join(new_depts.get_column("name").to_list()[:20])
            )
        if updates.height:
            report.notes.append(f"更新了 {updates.height} 名员工的信息（姓名、部门、岗位、上级、日期或状态有变化）。")

        step(0.8, "写入数据库")
        insert_frame(cur, "departments", new_depts.select("dept_id", "name", "parent_id", batch_id=pl.lit(batch_id)))
        for dept_id, parent_id in moved_depts.select("dept_id", "parent_id").iter_rows():
            cur.execute("UPDATE departments SET parent_id = ? WHERE dept_id = ?", [parent_id, dept_id])
        insert_frame(
            cur, "positions", new_pos.select("position_id", "dept_id", "name", "is_key", batch_id=pl.lit(batch_id))
        )
        cols = ["employee_id", "name", "dept_id", "position_id", "manager_id", "hire_date", "leave_date", "status"]
        insert_frame(cur, "employees", inserts.select(*cols, batch_id=pl.lit(batch_id)))
        if updates.height:
            register_frame(cur, "_updates", updates.select(cols))
            try:
                cur.execute(
                    "UPDATE employees e SET name = u.name, dept_id = u.dept_id, position_id = u.position_id, "
                    "manager_id = u.manager_id, hire_date = u.hire_date, leave_date = u.leave_date, status = u.status "
                    "FROM _updates u WHERE e.employee_id = u.employee_id"
                )
            finally:
                unregister_frame(cur, "_updates")
        _set_department_heads(cur)
        write_batch(cur, report, uploaded_by)


def _set_department_heads(cur) -> None:
    """A department's head is its one active member whose manager sits outside it (or who has none)."""
    cur.execute(
        "UPDATE departments d SET head_id = h.employee_id FROM ("
        " SELECT e.dept_id, min(e.employee_id) AS employee_id, count(*) AS n FROM employees e"
        " LEFT JOIN employees m ON m.employee_id = e.manager_id"
        " WHERE e.status = 'active' AND e.dept_id IS NOT NULL AND (m.employee_id IS NULL OR m.dept_id IS DISTINCT FROM e.dept_id)"
        " GROUP BY e.dept_id HAVING count(*) = 1) h "
        "WHERE d.dept_id = h.dept_id AND d.head_id IS DISTINCT FROM h.employee_id"
    )


def _rejects(frame: pl.DataFrame, errors: pl.DataFrame, headers: dict[tuple[str, str], str]) -> pl.DataFrame:
    where = frame.select("_rid", "_sheet", "_row")
    out = errors.unique(["_rid", "column", "reason"], maintain_order=True).join(where, on="_rid", how="left")
    labels = [headers.get((s, c)) or COLUMN_LABELS.get(c, c) for s, c in out.select("_sheet", "column").iter_rows()]
    return (
        out.with_columns(column=pl.Series(labels, dtype=pl.String))
        .sort("_sheet", "_row")
        .select(pl.col("_sheet").alias("sheet"), pl.col("_row").alias("row"), "column", "value", "reason")
    )
