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
from core.errors import KpiError, Text
from core.values import search_text
from core.vocabulary import CATEGORIES, DATA_SOURCES, DIRECTIONS, MAX_TEXT, METHODS, RUBRIC_LEVELS

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


def validate_kpi(definition: dict[str, Any]) -> list[Text]:
    """Every problem of a KPI definition as a sentence (``kpi.*``; its ``str`` is the Chinese; empty list:
    the definition is fine). The one check used by change requests and by import."""
    d = normalise_kpi(definition)
    problems: list[Text] = []
    empty = Text("value.empty")
    if not d["name"]:
        problems.append(Text("kpi.name_missing"))
    elif len(d["name"]) > 100:
        problems.append(Text("kpi.name_too_long"))
    problems += _too_long(d)
    if d["category"] not in CATEGORIES:
        problems.append(Text("kpi.bad_category", value=d["category"] or empty, choices=list(CATEGORIES)))
    if d["direction"] not in DIRECTIONS:
        problems.append(Text("kpi.bad_direction", value=d["direction"] or empty))
    if d["method"] not in METHODS:
        problems.append(Text("kpi.bad_method", value=d["method"] or empty, choices=list(METHODS)))
    if d["data_source"] not in DATA_SOURCES:
        problems.append(Text("kpi.bad_data_source", value=d["data_source"] or empty, choices=list(DATA_SOURCES)))
    if d["method"] == "lower_better" and d["direction"] == "higher":
        problems.append(Text("kpi.lower_better_higher"))
    if d["method"] == "rubric":
        levels = d["rubric"] or []
        if len(levels) != RUBRIC_LEVELS or not all(levels):
            problems.append(Text("kpi.rubric_levels", levels=RUBRIC_LEVELS, written=sum(1 for x in levels if x)))
    if d["method"] == "deduction":
        step = d["deduction_step"]
        if not isinstance(step, float) or step <= 0 or step > 100:
            problems.append(Text("kpi.deduction_step"))
    return problems


# the longest text each field of a definition may hold, in characters (the name's 100 has its own sentence)
TEXT_LIMITS = {"kpi_id": 40, "unit": 30, "description": MAX_TEXT}
MAX_RUBRIC_LEVEL = 500


def _too_long(d: dict[str, Any]) -> list[Text]:
    """A problem for each text of a definition longer than its limit (so a pasted essay is refused, not kept)."""
    labels = {"kpi_id": "field.kpi_id", "unit": "field.kpi_unit", "description": "field.kpi_description"}
    found = [
        Text("value.too_long", label=Text(labels[field]), limit=limit, length=len(d[field]))
        for field, limit in TEXT_LIMITS.items()
        if isinstance(d.get(field), str) and len(d[field]) > limit
    ]
    found += [
        Text("value.too_long", label=Text("field.rubric_level", level=i), limit=MAX_RUBRIC_LEVEL, length=len(level))
        for i, level in enumerate(d.get("rubric") or [], 1)
        if len(level) > MAX_RUBRIC_LEVEL
    ]
    return found


def check_kpi(definition: dict[str, Any]) -> dict[str, Any]:
    """The normalised definition, or KpiError naming every problem."""
    problems = validate_kpi(definition)
    if problems:
        raise KpiError("kpi.problems", problems=problems)
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
    """The library, by category then name; ``search`` matches name, id or description (case-insensitive;
    every character literally: ``%`` and ``_`` are not wildcards)."""
    where, params = [], []
    needle = search_text(search)
    if needle:
        where.append(
            "(contains(lower(name), ?) OR contains(lower(kpi_id), ?) OR contains(lower(coalesce(description, '')), ?))"
        )
        params += [needle, needle, needle]
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


def validate_template(db: Database, items: list[dict[str, Any]]) -> list[Text]:
    """Every problem of a template's items as a sentence (``kpi.*``; empty: fine): each KPI known, in use and
    listed once; each weight positive; weights summing to 100 (±0.01); each category's share inside HR's
    band; floor, target and stretch in the KPI's direction."""
    problems: list[Text] = []
    clean = normalise_items(items)
    if not clean:
        return [Text("kpi.template_empty")]
    ids = [it["kpi_id"] for it in clean if it["kpi_id"]]
    known = {r["kpi_id"]: r for r in db.rows(f"SELECT {_KPI_COLUMNS} FROM kpis")} if ids else {}
    seen: set[str] = set()
    by_category: dict[str, float] = dict.fromkeys(CATEGORIES, 0.0)
    total = 0.0
    for n, it in enumerate(clean, start=1):
        kpi_id, weight = it["kpi_id"], it["weight"]
        if not kpi_id:
            problems.append(Text("kpi.item_no_id", item=Text("kpi.item", index=n)))
            continue
        kpi = known.get(kpi_id)
        label = Text("kpi.item_named", index=n, kpi=kpi["name"] if kpi else kpi_id)
        if kpi is None:
            problems.append(Text("kpi.item_unknown", item=label, kpi_id=kpi_id))
        elif kpi["status"] != "active":
            problems.append(Text("kpi.item_not_active", item=label, status=kpi["status"]))
        if kpi_id in seen:
            problems.append(Text("kpi.item_repeated", item=label))
        seen.add(kpi_id)
        if weight is None or weight <= 0:
            problems.append(Text("kpi.item_weight", item=label))
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
                problems.append(Text("kpi.item_order", item=label, direction="lower" if lower else "higher"))
    if abs(total - 100) > WEIGHT_TOLERANCE and all(it["weight"] is not None and it["weight"] > 0 for it in clean):
        problems.append(Text("kpi.weight_total", total=total))
    bands = settings.category_bands(db)
    if total > 0:
        for category, (low, high) in bands.items():
            share = by_category.get(category, 0.0) / total * 100
            if share < low - WEIGHT_TOLERANCE or share > high + WEIGHT_TOLERANCE:
                problems.append(Text("kpi.category_share", category=category, share=share, low=low, high=high))
    return problems


def check_template(db: Database, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The normalised items, or KpiError naming every problem."""
    problems = validate_template(db, items)
    if problems:
        raise KpiError("kpi.problems", problems=problems)
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
