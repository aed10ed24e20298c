"""The demo company's standard KPI pack: every position's template is complete and quantified."""

from __future__ import annotations

import collections
import datetime as dt

from core.demo import generate_company
from core.standard_pack import library, templates


def test_library_entries_are_complete() -> None:
    entries = {k.name: k for k in library()}
    assert len(entries) == len(library())  # one entry per name
    for k in entries.values():
        assert k.category in ("业绩类", "职能类", "行为类") and k.method and k.direction in ("higher", "lower")
        assert (k.rubric is not None and len(k.rubric) == 5) == (k.method == "rubric")
        assert (k.deduction_step is not None) == (k.method == "deduction")
    assert entries["日均完成抽检"].method == "linear" and entries["漏检率"].method == "lower_better"
    assert entries["回款率"].data_source == "sales"


def test_every_position_has_a_template_summing_to_100() -> None:
    company = generate_company(420, 3, 2024, today=dt.date(2026, 11, 27))
    items = templates(company)
    weights = collections.defaultdict(float)
    for i in items:
        weights[(i.department, i.position)] += i.weight
        if i.target is not None and i.floor is not None and i.stretch is not None:
            lower = {k.name: k for k in library()}[i.kpi].direction == "lower"
            assert (i.stretch < i.target < i.floor) if lower else (i.floor < i.target <= i.stretch), i
    assert len(weights) == 47 and set(weights.values()) == {100.0}
    # every template inside HR's default category bands: 业绩类 60, 职能类 25, 行为类 15
    category = {k.name: k.category for k in library()}
    shares = collections.defaultdict(lambda: collections.defaultdict(float))
    for i in items:
        shares[(i.department, i.position)][category[i.kpi]] += i.weight
    assert {tuple(sorted(v.items())) for v in shares.values()} == {
        (("业绩类", 60.0), ("职能类", 25.0), ("行为类", 15.0))
    }
    inspector = {i.kpi: i for i in items if i.position == "质检员"}
    assert (inspector["日均完成抽检"].target, inspector["漏检率"].target) == (200.0, 0.5)


def test_the_demo_build_loads_the_pack_through_the_library_import(tmp_path) -> None:
    from core import kpi
    from core.db import open_database
    from core.demo import build_demo

    with open_database(tmp_path / "d.duckdb") as db:
        summary = build_demo(db, employees=60, years=1, seed=7, workdir=tmp_path / "files", today=dt.date(2026, 11, 27))
        pack = next(r for r in summary.reports if r["file"] == "指标库与岗位模板.xlsx")
        assert pack["status"] == "loaded" and pack["rows_rejected"] == 0
        assert db.scalar("SELECT count(*) FROM kpis WHERE status = 'active'") == len(library())
        positions = [
            r["position_id"] for r in db.rows("SELECT DISTINCT position_id FROM employees WHERE status = 'active'")
        ]
        for position_id in positions:  # every staffed position has a template in force that passes HR's checks
            template = kpi.template_in_force(db, position_id, dt.date(2026, 11, 27))
            assert template is not None, position_id
            assert kpi.validate_template(db, template["items"]) == []
            assert template["valid_from"] == dt.date(2026, 10, 1)
