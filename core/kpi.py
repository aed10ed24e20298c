"""The KPI library and position templates (DESIGN.md §3 KPI library, §4 categories and methods).

- Library: one row per KPI in ``kpis`` (the definition in force) and one row per approved version in
  ``kpi_versions``. :func:`validate_kpi` is the one check of a definition, used by change requests and
  by import. KPIs that appear only in imported history carry status ``legacy``.
- Templates: a position's KPIs with weight, target, floor and stretch. Each change is a new version in
  ``template_versions`` / ``position_kpis`` valid from a quarter's first day; past versions stay, and the
  version in force on a day is the latest one with ``valid_from <= day``.
- Category bands: HR sets, per category, the share of a template's weight it must hold
  (:func:`core.settings.category_bands`); :func:`validate_template` checks the weight sum and the bands.

Writes to the library and templates happen only through approved changes (``core.kpi_changes``) or an
import, which use the cursor-level writers :func:`write_kpi_version` and :func:`write_template_version`
inside their own transaction.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
from typing import Any

from core import clock, settings
from core.db import Cursor, Database
from core.errors import KpiError
from core.vocabulary import CATEGORIES, DATA_SOURCES, DIRECTIONS, KPI_STATUSES, METHODS, RUBRIC_LEVELS

DEFINITION_FIELDS = (
    "name", "category", "unit", "direction", "method", "data_source", "description", "rubric", "deduction_step",
)  # fmt: skip

WEIGHT_TOLERANCE = 0.01


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _number(value: Any) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


# -- library ---------------------------------------------------------------------------------------


def normalise_kpi(definition: dict[str, Any]) -> dict[str, Any]:
    """The definition's fields, trimmed; the rubric as a list of level texts; deduction_step as a number."""
    out: dict[str, Any] = {
        f: _text(definition.get(f)) for f in DEFINITION_FIELDS if f not in ("rubric", "deduction_step")
    }
    rubric = definition.get("rubric")
    if isinstance(rubric, str) and rubric.strip():
        try:
            rubric = json.loads(rubric)
        except json.JSONDecodeError:
            rubric = [rubric]
    if isinstance(rubric, list | tuple):
        out["rubric"] = ["" if level is None else str(level).strip() for level in rubric]
    else:
        out["rubric"] = None
    step = definition.get("deduction_step")
    number = _number(step)
    blank = (
        step is None or (isinstance(step, float) and math.isnan(step)) or (isinstance(step, str) and not step.strip())
    )
    out["deduction_step"] = (
        number if number is not None or blank else step
    )  # a bad value is kept, so validation names it
    if definition.get("kpi_id") is not None:
        out["kpi_id"] = _text(definition.get("kpi_id"))
    return out


def validate_kpi(definition: dict[str, Any]) -> list[str]:
    """Every problem of a KPI definition as a Chinese sentence (empty list: the definition is fine).
    The one check used by change requests and by import."""
    d = normalise_kpi(definition)
    problems: list[str] = []
    if not d["name"]:
        problems.append("指标名称为空：请填写指标名称。")
    elif len(d["name"]) > 100:
        problems.append("指标名称超过 100 个字：请缩短名称，详细说明写在“说明”里。")
    if d["category"] not in CATEGORIES:
        problems.append(f"指标类别“{d['category'] or '（空）'}”无效：请选择 {' / '.join(CATEGORIES)} 之一。")
    if d["direction"] not in DIRECTIONS:
        problems.append(f"指标方向“{d['direction'] or '（空）'}”无效：请选择 higher（越高越好）或 lower（越低越好）。")
    if d["method"] not in METHODS:
        problems.append(f"评分方法“{d['method'] or '（空）'}”无效：请选择 {', '.join(METHODS)} 之一。")
    if d["data_source"] not in DATA_SOURCES:
        problems.append(f"数据来源“{d['data_source'] or '（空）'}”无效：请选择 {', '.join(DATA_SOURCES)} 之一。")
    if d["method"] == "lower_better" and d["direction"] == "higher":
        problems.append("评分方法为 lower_better（越低越好）但方向为 higher：请把方向改为 lower，或换一种评分方法。")
    if d["method"] == "rubric":
        levels = d["rubric"] or []
        if len(levels) != RUBRIC_LEVELS or not all(levels):
            problems.append(
                f"行为锚定评分需要 1–5 级共 {RUBRIC_LEVELS} 条等级描述（现有 {sum(1 for x in levels if x)} 条）："
                "请为每一级写一句可观察的行为描述。"
            )
    if d["method"] == "deduction":
        step = d["deduction_step"]
        if not isinstance(step, float) or step <= 0 or step > 100:
            problems.append("扣分制需要每次扣分（0–100 之间的正数）：请填写每发生一次扣多少分。")
    return problems


def check_kpi(definition: dict[str, Any]) -> dict[str, Any]:
    """The normalised definition, or KpiError naming every problem."""
    problems = validate_kpi(definition)
    if problems:
        raise KpiError("".join(problems))
    return normalise_kpi(definition)


def _kpi_row(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    if out.get("rubric"):
        try:
            out["rubric"] = json.loads(out["rubric"])
        except json.JSONDecodeError:
            out["rubric"] = [out["rubric"]]
    return out


_KPI_COLUMNS = (
    "kpi_id, name, category, unit, direction, method, data_source, description, rubric, deduction_step, status, version"
)


def list_kpis(db: Database, *, search: str | None = None, category: str | None = None,
              status: str | None = None) -> list[dict[str, Any]]:  # fmt: skip
    """The library, by category then name; ``search`` matches name, id or description (case-insensitive)."""
    where, params = [], []
    if search and search.strip():
        where.append("(name ILIKE ? OR kpi_id ILIKE ? OR coalesce(description, '') ILIKE ?)")
        like = f"%{search.strip()}%"
        params += [like, like, like]
    if category:
        where.append("category = ?")
        params.append(category)
    if status:
        where.append("status = ?")
        params.append(status)
    sql = f"SELECT {_KPI_COLUMNS} FROM kpis"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY category NULLS LAST, name, kpi_id"
    return [_kpi_row(r) for r in db.rows(sql, params)]


def get_kpi(db: Database, kpi_id: str) -> dict[str, Any] | None:
    """One KPI with its approved versions (oldest first) under ``versions``; None if unknown."""
    row = db.one(f"SELECT {_KPI_COLUMNS} FROM kpis WHERE kpi_id = ?", [kpi_id])
    if row is None:
        return None
    out = _kpi_row(row)
    out["versions"] = [
        _kpi_row(v)
        for v in db.rows(
            "SELECT version, name, category, unit, direction, method, data_source, description, rubric,"
            " deduction_step, status, valid_from, change_id FROM kpi_versions WHERE kpi_id = ? ORDER BY version",
            [kpi_id],
        )
    ]
    return out


def kpi_definition(row: dict[str, Any]) -> dict[str, Any]:
    """The definition fields (and id and status) of a KPI row, as stored in a change's before/after."""
    out = {f: row.get(f) for f in DEFINITION_FIELDS}
    out["kpi_id"] = row.get("kpi_id")
    out["status"] = row.get("status")
    return out


def write_kpi_version(cur: Cursor, kpi_id: str, definition: dict[str, Any], status: str,
                      change_id: str | None = None, at: dt.datetime | None = None) -> int:  # fmt: skip
    """Write ``definition`` as the KPI's new version (insert or update ``kpis``, append ``kpi_versions``)
    on ``cur``, inside the caller's transaction. Returns the new version number."""
    d = normalise_kpi(definition)
    at = at or clock.now()
    rubric = json.dumps(d["rubric"], ensure_ascii=False) if d["rubric"] else None
    step = d["deduction_step"] if isinstance(d["deduction_step"], float) else None
    existing = cur.execute("SELECT version FROM kpis WHERE kpi_id = ?", [kpi_id]).fetchone()
    versions = cur.execute("SELECT max(version) FROM kpi_versions WHERE kpi_id = ?", [kpi_id]).fetchone()[0]
    values = [d["name"], d["category"], d["unit"], d["direction"], d["method"], d["data_source"], d["description"], rubric, step, status]  # fmt: skip
    if existing is None:
        version = (versions or 0) + 1
        cur.execute(
            "INSERT INTO kpis (name, category, unit, direction, method, data_source, description, rubric,"
            " deduction_step, status, version, kpi_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [*values, version, kpi_id],
        )
    else:
        current = existing[0] or 1
        if versions is None:  # a KPI created before versions were kept: keep its definition as version `current`
            cur.execute(
                "INSERT INTO kpi_versions (kpi_id, version, name, category, unit, direction, method, data_source,"
                " description, rubric, deduction_step, status, valid_from, change_id)"
                " SELECT kpi_id, ?, name, category, unit, direction, method, data_source, description, rubric,"
                " deduction_step, status, ?, NULL FROM kpis WHERE kpi_id = ?",
                [current, at, kpi_id],
            )
            versions = current
        version = max(current, versions) + 1
        cur.execute(
            "UPDATE kpis SET name = ?, category = ?, unit = ?, direction = ?, method = ?, data_source = ?,"
            " description = ?, rubric = ?, deduction_step = ?, status = ?, version = ? WHERE kpi_id = ?",
            [*values, version, kpi_id],
        )
    cur.execute(
        "INSERT INTO kpi_versions (kpi_id, version, name, category, unit, direction, method, data_source,"
        " description, rubric, deduction_step, status, valid_from, change_id)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [kpi_id, version, *values, at, change_id],
    )
    return version


# -- templates ----------------------------------------------------------------------------------------


def quarter_start(day: dt.date) -> dt.date:
    """The first day of the quarter holding ``day``."""
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def normalise_items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Template items with numbers as floats (None when empty)."""
    return [
        {
            "kpi_id": _text(it.get("kpi_id")),
            "weight": _number(it.get("weight")),
            "target": _number(it.get("target")),
            "floor": _number(it.get("floor")),
            "stretch": _number(it.get("stretch")),
        }
        for it in items
    ]


def validate_template(db: Database, items: list[dict[str, Any]]) -> list[str]:
    """Every problem of a template's items as a Chinese sentence (empty: fine): each KPI known, in use and
    listed once; each weight positive; weights summing to 100 (±0.01); each category's share inside HR's
    band; floor, target and stretch in the KPI's direction."""
    problems: list[str] = []
    clean = normalise_items(items)
    if not clean:
        return ["模板里没有指标：请至少添加一项指标，权重合计 100。"]
    ids = [it["kpi_id"] for it in clean if it["kpi_id"]]
    known = {r["kpi_id"]: r for r in db.rows(f"SELECT {_KPI_COLUMNS} FROM kpis")} if ids else {}
    seen: set[str] = set()
    by_category: dict[str, float] = dict.fromkeys(CATEGORIES, 0.0)
    total = 0.0
    for n, it in enumerate(clean, start=1):
        kpi_id, weight = it["kpi_id"], it["weight"]
        label = f"第 {n} 项"
        if not kpi_id:
            problems.append(f"{label}没有指标编号：请从指标库中选择指标。")
            continue
        kpi = known.get(kpi_id)
        label = f"第 {n} 项（{kpi['name'] if kpi else kpi_id}）"
        if kpi is None:
            problems.append(f"{label}的指标编号 {kpi_id} 不在指标库中：请先提交新增指标申请，或选择已有指标。")
        elif kpi["status"] != "active":
            problems.append(
                f"{label}的状态是“{KPI_STATUSES.get(kpi['status'], kpi['status'])}”，不能用于模板：请换一个在用的指标。"
            )
        if kpi_id in seen:
            problems.append(f"{label}重复出现：同一指标在一个模板里只能出现一次，请合并权重。")
        seen.add(kpi_id)
        if weight is None or weight <= 0:
            problems.append(f"{label}的权重须为大于 0 的数：请填写权重（百分比）。")
            continue
        total += weight
        if kpi and kpi["category"] in by_category:
            by_category[kpi["category"]] += weight
        if kpi:
            floor, target, stretch = it["floor"], it["target"], it["stretch"]
            lower = kpi["direction"] == "lower"
            ordered = [x for x in (floor, target, stretch) if x is not None]
            if lower:
                ordered = ordered[::-1]
            if len(ordered) > 1 and any(a >= b for a, b in itertools.pairwise(ordered)):
                order = "下限 > 目标 > 挑战值" if lower else "下限 < 目标 < 挑战值"
                problems.append(
                    f"{label}的下限、目标、挑战值顺序不对：{'越低越好' if lower else '越高越好'}的指标须{order}。"
                )
    if abs(total - 100) > WEIGHT_TOLERANCE and all(it["weight"] is not None and it["weight"] > 0 for it in clean):
        problems.append(f"权重合计为 {total:g}，应为 100：请调整各项权重。")
    bands = settings.category_bands(db)
    if total > 0:
        for category, (low, high) in bands.items():
            share = by_category.get(category, 0.0) / total * 100
            if share < low - WEIGHT_TOLERANCE or share > high + WEIGHT_TOLERANCE:
                problems.append(
                    f"{category}指标权重合计 {share:g}%，不在人力资源部设定的 {low:g}%–{high:g}% 区间内：请调整该类指标的权重。"
                )
    return problems


def check_template(db: Database, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The normalised items, or KpiError naming every problem."""
    problems = validate_template(db, items)
    if problems:
        raise KpiError("".join(problems))
    return normalise_items(items)


def template_versions(db: Database, position_id: str) -> list[dict[str, Any]]:
    """Every version of a position's template, oldest first, each with its ``items``."""
    versions = db.rows(
        "SELECT position_id, version, valid_from, change_id, created_at, created_by, note FROM template_versions"
        " WHERE position_id = ? ORDER BY valid_from, version",
        [position_id],
    )
    if not versions:
        return []
    items = db.rows(
        "SELECT pk.version, pk.kpi_id, k.name, k.category, pk.weight, pk.target, pk.floor, pk.stretch"
        " FROM position_kpis pk LEFT JOIN kpis k USING (kpi_id) WHERE pk.position_id = ?"
        " ORDER BY pk.version, pk.weight DESC, pk.kpi_id",
        [position_id],
    )
    for v in versions:
        v["items"] = [{k: it[k] for k in it if k != "version"} for it in items if it["version"] == v["version"]]
    return versions


def template_in_force(db: Database, position_id: str, on: dt.date) -> dict[str, Any] | None:
    """The template version in force on ``on``: the latest with ``valid_from <= on`` (None if none)."""
    found = [v for v in template_versions(db, position_id) if v["valid_from"] <= on]
    return max(found, key=lambda v: (v["valid_from"], v["version"])) if found else None


def write_template_version(cur: Cursor, position_id: str, valid_from: dt.date, items: list[dict[str, Any]],
                           actor: str, change_id: str | None = None, note: str | None = None) -> int:  # fmt: skip
    """Write a new version of a position's template on ``cur`` (the caller's transaction, already
    validated). Earlier versions stay. Returns the version number."""
    last = cur.execute("SELECT max(version) FROM template_versions WHERE position_id = ?", [position_id]).fetchone()[0]
    version = (last or 0) + 1
    cur.execute(
        "INSERT INTO template_versions (position_id, version, valid_from, change_id, created_at, created_by, note)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [position_id, version, valid_from, change_id, clock.now(), actor, note],
    )
    for it in normalise_items(items):
        cur.execute(
            "INSERT INTO position_kpis (position_id, version, kpi_id, weight, target, floor, stretch)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [position_id, version, it["kpi_id"], it["weight"], it["target"], it["floor"], it["stretch"]],
        )
    return version
