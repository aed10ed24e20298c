"""Legacy records → the people, departments, positions, KPIs and raters they name, resolved against
the roster on file (pipelines/context.py). What the roster does not know is created for the history
(departments, positions, KPIs of status legacy, people of status historical, unless HR chose to reject
unknown people), or rejected with a reason. What is taken on a guess — a person found by name, a
department the roster gives otherwise — is a warning for HR to check, never a silent decision."""

from __future__ import annotations

import polars as pl

from pipelines.context import OrgContext, fold_expr, stable_id
from pipelines.legacy.joins import attach, derive, restore_column
from pipelines.legacy.records import RECORD_COLUMNS
from pipelines.options import DEFAULT, ImportOptions
from pipelines.row_errors import no_errors, row_errors

RESOLVED_COLUMNS = [
    *RECORD_COLUMNS, "dept_id", "position_id", "kpi_id", "manager_id", "_dept_option", "_rater_fallback",
]  # fmt: skip
KNOWN = pl.col("_known")


def resolve(
    frame: pl.DataFrame, ctx: OrgContext, options: ImportOptions = DEFAULT
) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, pl.DataFrame], list[str], pl.DataFrame]:
    """Attach employee, department, position, KPI and rater ids. Returns (records, errors, new org
    rows, notes, warnings); warnings are shaped like errors (_rid, column, value, reason)."""
    notes: list[str] = []
    by_name = ctx.employees.group_by("_name_fold").agg(
        pl.col("employee_id").first().alias("_by_name"), pl.len().alias("_name_n")
    )
    frame = _people(frame, ctx, by_name)
    errors = _identity_errors(frame, ctx)
    if options.unknown_people == "reject":
        errors.append(
            row_errors(
                frame,
                pl.when(pl.col("employee_id").is_not_null() & ~KNOWN & pl.col("name").is_not_null()).then(
                    pl.format(
                        "工号 {} 不在花名册中：上传时选择了不为不认识的人建档，本行未导入；请先导入花名册，或核对工号",
                        pl.col("employee_id"),
                    )
                ),
                "employee_id",
                pl.col("employee_id"),
            )
        )
    warnings = [_name_match_warnings(frame, ctx)]
    # people seen only in history: id and name given, not in the roster
    newcomers = frame.lazy().filter(pl.col("employee_id").is_not_null() & ~KNOWN & pl.col("name").is_not_null())
    name_clash = (
        newcomers.group_by("employee_id").agg(pl.col("name").n_unique().alias("_n")).filter(pl.col("_n") > 1).collect()
    )
    errors.append(
        row_errors(
            frame.lazy().join(name_clash.lazy(), on="employee_id", how="left"),
            pl.when(pl.col("_n") > 1).then(
                pl.format("工号 {} 在本文件中对应了不同的姓名：请核对", pl.col("employee_id"))
            ),
            "employee_id",
            pl.col("employee_id"),
        )
    )
    mgr_known = pl.concat(
        [ctx.employees.get_column("employee_id"), newcomers.select("employee_id").collect().to_series()]
    )
    frame, new_depts = _departments(frame, ctx, options)
    warnings.append(_department_warnings(frame, ctx))
    frame, new_pos = _positions(frame, ctx)
    frame, new_kpis = _kpis(frame, ctx)
    frame = _raters(frame, ctx, by_name, mgr_known.unique())
    new = {
        "departments": new_depts.select("dept_id", pl.col("department").alias("name")),
        "positions": new_pos.select("position_id", "dept_id", pl.col("position").alias("name")),
        "kpis": new_kpis.select("kpi_id", "name"),
        "employees": pl.DataFrame()
        if options.unknown_people == "reject"
        else _historical_people(frame, name_clash, notes),
    }
    return frame.select(RESOLVED_COLUMNS), pl.concat(errors), new, notes, pl.concat(warnings)


def _people(frame: pl.DataFrame, ctx: OrgContext, by_name: pl.DataFrame) -> pl.DataFrame:
    """工号 in the roster's spelling; a name-only row named by a name unique in the roster; the roster's
    department, position and manager of each known person (``_known``)."""
    emp = ctx.employees
    frame = restore_column(frame, "employee_id", "employee_id", emp.get_column("employee_id"), ctx)
    frame = attach(frame, by_name, "name", "_name_fold")
    roster = emp.select(
        pl.col("employee_id"),
        pl.lit(True).alias("_known"),
        pl.col("dept_id").alias("_roster_dept"),
        pl.col("position_id").alias("_roster_pos"),
        pl.col("manager_id").alias("_roster_mgr"),
    )
    named = pl.col("employee_id").is_null() & (pl.col("_name_n") == 1)
    frame = frame.with_columns(
        employee_id=pl.when(named).then(pl.col("_by_name")).otherwise(pl.col("employee_id")),
        _named=named.fill_null(False),
    )
    return attach(frame, roster, "employee_id").with_columns(pl.col("_known").fill_null(False))


def _identity_errors(frame: pl.DataFrame, ctx: OrgContext) -> list[pl.DataFrame]:
    """Rows whose person cannot be told: no id and a name shared or unknown, an id whose roster name
    differs, an unknown id without a name."""
    names = ctx.employees.select(
        "employee_id", pl.col("_name_fold").alias("_roster_name"), pl.col("name").alias("_roster_name_raw")
    )
    # the roster's names only for the check below, through a lazy join (no extra 1M-row columns kept)
    with_names = frame.lazy().join(names.lazy(), on="employee_id", how="left")
    no_id = pl.col("employee_id").is_null() & pl.col("name").is_not_null()
    return [
        row_errors(
            frame,
            pl.when(no_id & (pl.col("_name_n") > 1)).then(
                pl.format("没有工号，而花名册里有 {} 人叫「{}」：请补上工号", pl.col("_name_n"), pl.col("name"))
            ),
            "employee_id",
            pl.col("name"),
        ),
        row_errors(
            frame,
            pl.when(no_id & pl.col("_name_n").is_null()).then(
                pl.format("没有工号，花名册里也找不到姓名「{}」：请补上工号", pl.col("name"))
            ),
            "employee_id",
            pl.col("name"),
        ),
        row_errors(
            with_names,
            pl.when(KNOWN & pl.col("name").is_not_null() & (pl.col("name") != pl.col("_roster_name"))).then(
                pl.format(
                    "工号 {} 在花名册中是「{}」，与本行姓名「{}」不一致：请核对工号",
                    pl.col("employee_id"),
                    pl.col("_roster_name_raw"),
                    pl.col("name"),
                )
            ),
            "name",
            pl.col("name"),
        ),
        row_errors(
            frame,
            pl.when(pl.col("employee_id").is_not_null() & ~KNOWN & pl.col("name").is_null()).then(
                pl.format(
                    "工号 {} 不在花名册中，本行也没有姓名：请先导入花名册，或在表中补上姓名", pl.col("employee_id")
                )
            ),
            "employee_id",
            pl.col("employee_id"),
        ),
    ]


def _departments(frame: pl.DataFrame, ctx: OrgContext, options: ImportOptions) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``dept_id``: the roster's department of a known person (a row saying otherwise is warned of),
    else the row's own, else the one HR gave for the file (``_dept_option``); departments not on file
    are new."""
    if options.dept:
        fill = pl.col("department").is_null() & ~KNOWN
        frame = frame.with_columns(
            department=pl.when(fill).then(pl.lit(options.dept.strip())).otherwise(pl.col("department")),
            _dept_option=fill,
        )
    else:
        frame = frame.with_columns(_dept_option=pl.lit(False))
    frame = derive(frame, "department", _dept_fold=fold_expr(pl.col("_v")))
    depts = ctx.departments.select(pl.col("_fold").alias("_dept_fold"), pl.col("dept_id").alias("_dept_known"))
    frame = attach(frame, depts, "_dept_fold")
    new_depts = (
        frame.filter(pl.col("_dept_fold").is_not_null() & pl.col("_dept_known").is_null())
        .group_by("_dept_fold")
        .agg(pl.col("department").first())
        .sort("_dept_fold")
    )
    new_depts = new_depts.with_columns(
        dept_id=pl.col("_dept_fold").map_elements(lambda n: stable_id("D", n), return_dtype=pl.String)
    )
    frame = attach(frame, new_depts.select("_dept_fold", pl.col("dept_id").alias("_dept_new")), "_dept_fold")
    frame = frame.with_columns(
        _row_dept=pl.coalesce("_dept_known", "_dept_new"),
        dept_id=pl.coalesce("_roster_dept", "_dept_known", "_dept_new"),
    ).drop("_dept_known", "_dept_new", "_dept_fold", "_by_name", "_name_n")
    return frame, new_depts


def _name_match_warnings(frame: pl.DataFrame, ctx: OrgContext) -> pl.DataFrame:
    """A row without 工号 taken as the one person of the roster with its name: who, and where."""
    if not frame.get_column("_named").any():
        return no_errors()
    who = ctx.employees.select(
        "employee_id", pl.col("name").alias("_w_name"), pl.col("dept_id").alias("_w_dept")
    ).join(ctx.departments.select(pl.col("dept_id").alias("_w_dept"), pl.col("name").alias("_w_dept_name")),
           on="_w_dept", how="left")  # fmt: skip
    return row_errors(
        frame.lazy().filter(pl.col("_named")).join(who.lazy(), on="employee_id", how="left"),
        pl.format(
            "这一行没有工号，已按姓名对应到花名册中的 {} {}（{}）：如不是同一人，请在表中补上工号",
            pl.col("employee_id"),
            pl.col("_w_name"),
            pl.col("_w_dept_name").fill_null("未分部门"),
        ),
        "name",
        pl.col("_name_written").cast(pl.String),
    )


def _department_warnings(frame: pl.DataFrame, ctx: OrgContext) -> pl.DataFrame:
    """A row whose department is not the roster's for that person: both named, filed under the roster's."""
    differs = KNOWN & pl.col("_roster_dept").is_not_null() & pl.col("department").is_not_null()
    differs = differs & (pl.col("_row_dept") != pl.col("_roster_dept")).fill_null(True)
    names = ctx.departments.select(pl.col("dept_id").alias("_roster_dept"), pl.col("name").alias("_roster_dept_name"))
    return row_errors(
        frame.lazy().filter(differs).join(names.lazy(), on="_roster_dept", how="left"),
        pl.format(
            "花名册中工号 {} 属于「{}」，本行写的是「{}」：这份考核按花名册归入「{}」；如此人已调部门，请先更新花名册",
            pl.col("employee_id"),
            pl.col("_roster_dept_name"),
            pl.col("department"),
            pl.col("_roster_dept_name"),
        ),
        "department",
        pl.col("department"),
    )


def _positions(frame: pl.DataFrame, ctx: OrgContext) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``position_id`` within the department (the roster's when the row names none); new positions."""
    frame = derive(frame, "position", _pos_fold=fold_expr(pl.col("_v")))
    pos = ctx.positions.select(
        pl.col("dept_id"), pl.col("_fold").alias("_pos_fold"), pl.col("position_id").alias("_pos_known")
    )
    frame = attach(frame, pos, ["dept_id", "_pos_fold"])
    new_pos = (
        frame.filter(
            pl.col("_pos_fold").is_not_null() & pl.col("_pos_known").is_null() & pl.col("dept_id").is_not_null()
        )
        .group_by("dept_id", "_pos_fold")
        .agg(pl.col("position").first())
        .sort("dept_id", "_pos_fold")
    )
    new_pos = new_pos.with_columns(
        position_id=pl.struct("dept_id", "_pos_fold").map_elements(
            lambda s: stable_id("P", s["dept_id"], s["_pos_fold"]), return_dtype=pl.String
        )
    )
    frame = (
        attach(
            frame,
            new_pos.select("dept_id", "_pos_fold", pl.col("position_id").alias("_pos_new")),
            ["dept_id", "_pos_fold"],
        )
        .with_columns(
            position_id=pl.coalesce(
                "_pos_known",
                "_pos_new",
                pl.when(pl.col("_pos_fold").is_null() & (pl.col("dept_id") == pl.col("_roster_dept"))).then(
                    pl.col("_roster_pos")
                ),
            )
        )
        .drop("_pos_known", "_pos_new", "_pos_fold", "_roster_pos", "_roster_dept", "_row_dept")
    )
    return frame, new_pos


def _kpis(frame: pl.DataFrame, ctx: OrgContext) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``kpi_id`` by name; KPIs the library does not know are new (status legacy)."""
    frame = derive(frame, "kpi", _kpi_fold=fold_expr(pl.col("_v")))
    kpis = ctx.kpis.select(pl.col("_fold").alias("_kpi_fold"), pl.col("kpi_id").alias("_kpi_known")).unique("_kpi_fold")
    frame = attach(frame, kpis, "_kpi_fold")
    new_kpis = (
        frame.filter(pl.col("_kpi_fold").is_not_null() & pl.col("_kpi_known").is_null())
        .group_by("_kpi_fold")
        .agg(pl.col("kpi").first().alias("name"))
        .sort("_kpi_fold")
    )
    new_kpis = new_kpis.with_columns(
        kpi_id=pl.col("_kpi_fold").map_elements(lambda n: stable_id("LK", n), return_dtype=pl.String)
    )
    frame = attach(frame, new_kpis.select("_kpi_fold", pl.col("kpi_id").alias("_kpi_new")), "_kpi_fold")
    frame = frame.with_columns(kpi_id=pl.coalesce("_kpi_known", "_kpi_new")).drop("_kpi_known", "_kpi_new", "_kpi_fold")
    return frame, new_kpis


def _raters(frame: pl.DataFrame, ctx: OrgContext, by_name: pl.DataFrame, mgr_known: pl.Series) -> pl.DataFrame:
    """``manager_id``, the rater: an id of the roster, else a unique name, else the employee's current manager."""
    frame = restore_column(frame, "manager", "_mgr_id", mgr_known, ctx)
    names = by_name.filter(pl.col("_name_n") == 1).select(
        pl.col("_name_fold").alias("_mgr_id"), pl.col("_by_name").alias("_mgr_by_name")
    )
    frame = attach(frame, names, "_mgr_id").with_columns(
        manager_id=pl.when(pl.col("_mgr_id").is_in(mgr_known.implode()))
        .then(pl.col("_mgr_id"))
        .otherwise(pl.col("_mgr_by_name"))
    )
    # ``_rater_fallback``: a rater named in the row but not found, so the employee's manager is taken
    return frame.with_columns(
        _rater_fallback=pl.col("_mgr_id").is_not_null() & pl.col("manager_id").is_null(),
        manager_id=pl.coalesce("manager_id", "_roster_mgr"),
    ).drop("_mgr_id", "_mgr_by_name")


def _historical_people(frame: pl.DataFrame, name_clash: pl.DataFrame, notes: list[str]) -> pl.DataFrame:
    """People not in the roster (id and one name given): filed as historical, with their last department
    and position in the file."""
    newcomers = frame.filter(pl.col("employee_id").is_not_null() & ~KNOWN & pl.col("name").is_not_null())
    if newcomers.height == 0:
        return pl.DataFrame()
    new_emps = (
        newcomers.join(name_clash, on="employee_id", how="anti")
        .group_by("employee_id")
        .agg(
            pl.col("_name_written").cast(pl.String).first().alias("name"),
            pl.col("dept_id").drop_nulls().last(),
            pl.col("position_id").drop_nulls().last(),
            pl.col("_rid").first(),
        )
        .sort("employee_id")
    )
    return new_emps
