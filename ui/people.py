"""One person on screen: their record card and their appraisal history with the items of one appraisal.

The reads are core's (scoped and audited); this module only lays them out. Names, comments and cycle
names are user or file text: they go into tables, ``st.text`` or through ``plain``, never into HTML.
"""

from __future__ import annotations

from typing import Any

import polars as pl
import streamlit as st

from core import appraisal
from core.auth import User
from core.db import Database
from ui.appraisal import grade_text
from ui.i18n import t
from ui.widgets import data_table, empty_state, translate_values

# The record card's fields, in order, with their catalog keys.
PROFILE_FIELDS = ("employee_id", "department", "position", "manager_name", "hire_date", "leave_date", "status")


def profile_card(profile: dict[str, Any]) -> None:
    """A person's record as label/value pairs (values as plain text)."""
    with st.container(border=True):
        columns = st.columns(4)
        for i, field in enumerate(PROFILE_FIELDS):
            value = profile.get(field)
            if field == "status" and value:
                value = t(f"employee_status.{value}")
            elif hasattr(value, "isoformat"):
                value = value.isoformat()
            with columns[i % 4]:
                st.caption(t(f"profile.{field}"))
                st.text(value if value not in (None, "") else "—")


def appraisal_record(db: Database, user: User, employee_id: str, *, key: str, empty_text: str) -> None:
    """The person's appraisals by period, and the KPI items of the one chosen (both audited reads)."""
    history = appraisal.history_of(db, user, employee_id)
    st.subheader(t("record.history"), anchor=False)
    if history.is_empty():
        empty_state(empty_text)
        return
    shown = history.with_columns(
        grade=pl.Series(
            [grade_text(g, c) for g, c in history.select("grade", "grade_computed").iter_rows()], dtype=pl.String
        )
    )
    data_table(
        translate_values(shown, "kind", "kind").select(
            "period", "cycle", "kind", "department", "position", "score", "grade"
        ),
        key=f"{key}.history",
        file_stem=t("record.history_file", employee_id=employee_id),
        scope="appraisal",
    )
    labels = {
        r["appraisal_id"]: t("record.appraisal_label", period=r["period"], cycle=r["cycle"])
        for r in history.iter_rows(named=True)
    }
    chosen = st.selectbox(t("record.choose"), list(labels), format_func=labels.get, key=f"{key}.appraisal")
    items = appraisal.items_of(db, user, chosen)
    if items.is_empty():
        st.caption(t("record.no_items"))
        return
    data_table(
        translate_values(items, "item_kind", "item_kind"),
        key=f"{key}.items",
        file_stem=t(
            "record.items_file",
            employee_id=employee_id,
            period=history.filter(history["appraisal_id"] == chosen)["period"].item(),
        ),
        scope="item",
    )
