"""A small KPI set with one item per scoring method and a template for every position, for cycle tests
(unit, AppTest and the Chromium journey). Written with core's own cursor-level writers."""

from __future__ import annotations

import datetime as dt

from core.db import Database
from core.kpi import write_kpi_version, write_template_version

# kpi_id -> definition; weights sum to 100 (业绩类 60, 职能类 20, 行为类 20)
KPIS: dict[str, dict] = {
    "T-OUT": {"name": "产量达成", "category": "业绩类", "unit": "件", "direction": "higher", "method": "linear",
              "data_source": "finance"},
    "T-DEF": {"name": "不良率", "category": "业绩类", "unit": "%", "direction": "lower", "method": "lower_better",
              "data_source": "manual"},
    "T-PAY": {"name": "回款率", "category": "业绩类", "unit": "%", "direction": "higher", "method": "ratio",
              "data_source": "finance"},
    "T-SAFE": {"name": "安全违规", "category": "职能类", "unit": "次", "direction": "lower", "method": "deduction",
               "data_source": "manual", "deduction_step": 10},
    "T-5S": {"name": "5S 检查达标", "category": "职能类", "unit": None, "direction": "higher", "method": "pass_fail",
             "data_source": "manual"},
    "T-TEAM": {"name": "团队协作", "category": "行为类", "unit": None, "direction": "higher", "method": "rubric",
               "data_source": "manual", "rubric": ["很差", "较差", "合格", "良好", "优秀"]},
    "T-ATT": {"name": "工作态度", "category": "行为类", "unit": None, "direction": "higher", "method": "manual",
              "data_source": "manual"},
}  # fmt: skip

# kpi_id -> (weight, target, floor, stretch)
ITEMS: dict[str, tuple[float, float | None, float | None, float | None]] = {
    "T-OUT": (30, 100, 80, 120),
    "T-DEF": (20, 1.0, 2.0, 0.5),
    "T-PAY": (10, 95, None, None),
    "T-SAFE": (10, None, None, None),
    "T-5S": (10, None, None, None),
    "T-TEAM": (10, None, None, None),
    "T-ATT": (10, None, None, None),
}


def template_items(**overrides: tuple[float, float | None, float | None, float | None]) -> list[dict]:
    merged = {**ITEMS, **overrides}
    return [{"kpi_id": k, "weight": w, "target": t, "floor": f, "stretch": s} for k, (w, t, f, s) in merged.items()]


def install_templates(db: Database, valid_from: dt.date = dt.date(2020, 1, 1), **overrides) -> list[str]:
    """The KPIs of :data:`KPIS` and one template version valid from ``valid_from`` for every position."""
    positions = [r["position_id"] for r in db.rows("SELECT position_id FROM positions ORDER BY position_id")]
    with db.transaction() as cur:
        for kpi_id, definition in KPIS.items():
            if not cur.execute("SELECT 1 FROM kpis WHERE kpi_id = ?", [kpi_id]).fetchone():
                write_kpi_version(cur, kpi_id, {"description": None, **definition}, "active")
        for position_id in positions:
            write_template_version(cur, position_id, valid_from, template_items(**overrides), "fixture")
    return positions


RUBRIC_KPIS = frozenset(k for k, d in KPIS.items() if d["method"] == "rubric")


def own_rating(kpi_ids, score: float, *, level: int = 4, comment: str | None = None) -> dict[str, dict]:
    """A self-assessment of every item: ``score`` (0–120), a rubric item on its levels (``level``, 1–5)."""
    return {
        k: {"self_input": level if k in RUBRIC_KPIS else score, **({"self_comment": comment} if comment else {})}
        for k in kpi_ids
    }
