"""What the database already knows, read once per import: the roster, departments, positions, KPIs.
Pipelines resolve names and ids against it; nothing here writes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import polars as pl

from core.db import Database
from core.values import clean_text
from pipelines.normalise import IdRule


@dataclass
class OrgContext:
    employees: pl.DataFrame  # employee_id, name, dept_id, position_id, manager_id, status, _name_fold
    departments: pl.DataFrame  # dept_id, name, parent_id, _fold
    positions: pl.DataFrame  # position_id, dept_id, name, _fold
    kpis: pl.DataFrame  # kpi_id, name, _fold
    id_rule: IdRule

    @staticmethod
    def load(db: Database) -> OrgContext:
        """Read the org tables once."""
        fold = fold_expr(pl.col("name"))
        employees = db.frame(
            "SELECT employee_id, name, dept_id, position_id, manager_id, status FROM employees"
        ).with_columns(_name_fold=fold)
        departments = db.frame("SELECT dept_id, name, parent_id, head_id FROM departments").with_columns(_fold=fold)
        positions = db.frame("SELECT position_id, dept_id, name FROM positions").with_columns(_fold=fold)
        kpis = db.frame("SELECT kpi_id, name FROM kpis").with_columns(_fold=fold)
        rule = IdRule.from_ids(employees.get_column("employee_id").to_list())
        return OrgContext(employees, departments, positions, kpis, rule)


def stable_id(prefix: str, *parts: str) -> str:
    """A short id derived from names, the same on every machine and every run."""
    digest = hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:10]
    return f"{prefix}-{digest}"


def fold_expr(expr: pl.Expr) -> pl.Expr:
    """Vectorised fold for comparison: half-width, no whitespace."""
    return clean_text(expr).str.replace_all(r"\s+", "")
