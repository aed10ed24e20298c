"""The standard KPI pack: every library entry and every position's template is complete and quantified,
and the demo company loads it through the library import."""

from __future__ import annotations

import collections
import datetime as dt
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from core import kpi
from core.db import open_database
from core.standard_pack import library, templates
from demo.generator import generate_company
from tests.conftest import DEMO_TODAY, BuiltDemo

ROOT = Path(__file__).resolve().parent.parent


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


def test_the_demo_build_loads_the_pack_through_the_library_import(demo_company: BuiltDemo) -> None:
    summary = demo_company.summary
    with open_database(demo_company.path, read_only=True) as db:
        pack = next(r for r in summary.reports if r["file"] == "指标库与岗位模板.xlsx")
        assert pack["status"] == "loaded" and pack["rows_rejected"] == 0
        assert db.scalar("SELECT count(*) FROM kpis WHERE status = 'active'") == len(library())
        positions = [
            r["position_id"] for r in db.rows("SELECT DISTINCT position_id FROM employees WHERE status = 'active'")
        ]
        for position_id in positions:  # every staffed position has a template in force that passes HR's checks
            template = kpi.template_in_force(db, position_id, DEMO_TODAY)
            assert template is not None, position_id
            assert kpi.validate_template(db, template["items"]) == []
            assert template["valid_from"] == dt.date(2026, 10, 1)


def test_the_pack_stands_alone_without_the_demo_or_the_pipelines() -> None:
    """Product content: importing the pack loads neither the demo company (``demo``, or the old
    ``core.demo``) nor the ingestion layer."""
    script = "import sys, core.standard_pack; print('\\n'.join(sorted(sys.modules)))"
    loaded = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    ).stdout.split()
    assert "core.standard_pack" in loaded
    assert not [m for m in loaded if "demo" in m.split(".") or m.split(".")[0] == "pipelines"], loaded


@dataclass(frozen=True)
class _Kpi:
    name: str
    target: float | str


@dataclass(frozen=True)
class _Position:
    department: str
    name: str
    role: str
    kpis: tuple[_Kpi, ...]
    weights: tuple[int, ...]


@dataclass(frozen=True)
class _Company:
    positions: tuple[_Position, ...]


def test_any_company_listing_its_positions_gets_templates() -> None:
    """A company that is not the demo's: a head with one performance KPI, an inspector without a
    behavioural one (the pack adds 工作纪律) and with the 漏检率 target of their own."""
    company = _Company(
        (
            _Position("质检部", "质检经理", "head", (_Kpi("出厂合格率", 99.5), _Kpi("团队建设", "良好")), (70, 30)),
            _Position("质检部", "质检员", "staff", (_Kpi("日均完成抽检", 180), _Kpi("漏检率", 0.4)), (60, 40)),
        )
    )
    items = {(i.position, i.kpi): i for i in templates(company)}
    inspector = {kpi: i for (position, kpi), i in items.items() if position == "质检员"}
    assert set(inspector) == {"日均完成抽检", "漏检率", "督办事项按时完成率", "工作纪律"}
    assert (inspector["日均完成抽检"].target, inspector["漏检率"].target) == (180.0, 0.4)
    assert inspector["漏检率"].stretch < inspector["漏检率"].target < inspector["漏检率"].floor
    for position in ("质检经理", "质检员"):
        assert sum(i.weight for (p, _), i in items.items() if p == position) == 100.0
    assert inspector["工作纪律"].weight == 15.0 and inspector["督办事项按时完成率"].weight == 25.0
