"""Checked library and template rows → the KPI library and position templates, inside the file's
transaction. A changed KPI is updated and gets a new row in ``kpi_versions``; a changed template becomes
a new version in ``template_versions`` / ``position_kpis`` valid from its 生效日期 (or the first day of
the current quarter); identical ones are left alone. Both carry the batch id, so the batch can be undone.

**An import is an HR bulk load.** It writes the library directly, without the three-step approval
(department head → HRBP → VP) that governs individual changes (core.kpi_changes): uploading is an HR
admin's act, recorded in the audit log with every KPI and template it added or changed.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from core import kpi as kpi_rules
from core.db import Database
from pipelines.kpi_library.parse import LibraryParsed
from pipelines.kpi_library.resolve import definition, existing_kpis, resolve_library, resolve_templates
from pipelines.normalise import quarter
from pipelines.row_errors import ERR_SCHEMA, no_errors, rejects_table
from pipelines.source import BatchWriter, Loaded, Progress
from schemas.headers import LIBRARY_TITLES, TEMPLATE_TITLES

TITLES = {**TEMPLATE_TITLES, **LIBRARY_TITLES, "position": "岗位", "kpi": "指标", "weight": "权重"}


def load_library(batch: BatchWriter, parsed: LibraryParsed, step: Progress) -> Loaded:
    """Write the changed KPIs first (the file's templates are checked against them), then each changed
    template as a new version."""
    db, cur, now = batch.db, batch.cur, dt.datetime.now()
    kpis, lib_errors = resolve_library(parsed.library, parsed.library_errors, existing_kpis(db))
    inserts = kpis.filter(~pl.col("_exists"))
    updates = kpis.filter(pl.col("_exists") & ~pl.col("_same"))
    changed = pl.concat([inserts, updates])
    for row in changed.iter_rows(named=True):
        version = kpi_rules.write_kpi_version(cur, row["kpi_id"], definition(row), row["status"], at=now)
        cur.execute(
            "UPDATE kpi_versions SET batch_id = ? WHERE kpi_id = ? AND version = ?",
            [batch.batch_id, row["kpi_id"], version],
        )
    tpl_ok, tpl_errors = resolve_templates(
        db, parsed.templates, parsed.template_errors, db.frame("SELECT kpi_id, name FROM kpis")
    )
    today = dt.date.today()
    new, tpl_unchanged, plan_errors = _plan_templates(db, tpl_ok, quarter(today.year, (today.month - 1) // 3 + 1).start)
    errors = pl.concat([lib_errors, tpl_errors, plan_errors])
    notes = []
    if changed.height:
        notes.append(f"指标库：新增 {inserts.height} 项指标，修改 {updates.height} 项。")
    if new:
        notes.append(f"岗位模板：{len(new)} 个岗位生成了新版本。")
    step(0.8, "写入数据库")
    written = []
    for position_id, valid_from, template in new:
        version = kpi_rules.write_template_version(
            cur, position_id, valid_from, template, batch.uploaded_by, note=f"Excel 批量导入（批次 {batch.batch_id}）"
        )
        cur.execute(
            "UPDATE template_versions SET batch_id = ? WHERE position_id = ? AND version = ?",
            [batch.batch_id, position_id, version],
        )
        written.append(f"{position_id}:v{version}")
    audits = []
    if changed.height or written:
        audits.append(
            (
                "kpi_library",
                {
                    "kpis_added": inserts.get_column("kpi_id").to_list(),
                    "kpis_changed": updates.get_column("kpi_id").to_list(),
                    "template_versions": written,
                    "approval": "HR 批量导入，不经三级审批",
                },
            )
        )
    return Loaded(
        parsed.library.height + parsed.templates.height,
        rejects_table([parsed.library, parsed.templates], errors, parsed.headers, TITLES),
        errors.get_column("_rid").n_unique(),
        kpis.filter(pl.col("_same")).height + tpl_unchanged,
        notes,
        audits,
    )


def _item_key(rows) -> set:
    return {
        (r["kpi_id"], *(None if r[c] is None else round(float(r[c]), 6) for c in ("weight", "target", "floor", "stretch")))
        for r in rows
    }  # fmt: skip


def _group_errors(group: pl.DataFrame, column: str, value: str, reason: str) -> pl.DataFrame:
    return group.select("_rid", column=pl.lit(column), value=pl.lit(value), reason=pl.lit(reason)).cast(ERR_SCHEMA)  # type: ignore[arg-type]


def _plan_templates(db: Database, ok: pl.DataFrame, default_from: dt.date):
    """Per accepted template: unchanged (its items equal the version in force on its date), a new
    version, or rejected (dated before the position's latest version, or failing core.kpi's template
    check: KPIs in use, category bands). Returns (new templates, unchanged row count, errors)."""
    versions = db.frame("SELECT position_id, version, valid_from FROM template_versions")
    items = db.frame("SELECT position_id, version, kpi_id, weight, target, floor, stretch FROM position_kpis")
    new, unchanged, errors = [], 0, []
    for (position_id,), group in ok.group_by(["position_id"], maintain_order=True):
        vf = group.get_column("valid_from").drop_nulls()
        valid_from = vf[0] if vf.len() else default_from
        mine = versions.filter(pl.col("position_id") == position_id)
        in_force = mine.filter(pl.col("valid_from") <= valid_from).sort("valid_from", "version").tail(1)
        if in_force.height:
            version = in_force.get_column("version")[0]
            old = items.filter((pl.col("position_id") == position_id) & (pl.col("version") == version))
            if _item_key(old.iter_rows(named=True)) == _item_key(group.iter_rows(named=True)):
                unchanged += group.height
                continue
        if mine.height and valid_from < mine.get_column("valid_from").max():
            latest = mine.sort("valid_from", "version").row(-1, named=True)
            reason = (
                f"生效日期 {valid_from} 早于该岗位现有版本 v{latest['version']} 的生效日期 {latest['valid_from']}："
                "只能新增更晚生效的版本"
            )
            errors.append(_group_errors(group, "valid_from", str(valid_from), reason))
            continue
        template = group.select("kpi_id", "weight", "target", "floor", "stretch").to_dicts()
        problems = kpi_rules.validate_template(db, template)
        if problems:
            errors.append(_group_errors(group, "weight", "", "".join(problems)))
            continue
        new.append((position_id, valid_from, template))
    return new, unchanged, pl.concat(errors) if errors else no_errors()
