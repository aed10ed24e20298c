"""岗位模板: pick a department and a position (in the user's scope), see the template in force, its versions
and change history, and edit a coming quarter's items with a live weight sum, band check and target
ranges, submitted as a template change request. ``?position=<id>`` opens one position."""

import datetime as dt

import polars as pl
import streamlit as st

from core import kpi, kpi_changes, org, settings, targets
from ui import session
from ui.i18n import error_text, t
from ui.kpi import changes_frame, items_frame, may_propose, run_core
from ui.navigation import require_app_navigation
from ui.widgets import EMPTY_CELL, data_table, empty_state, plain

POSITION_PARAM = "position"

require_app_navigation()
user, db = session.require_screen("templates")
st.title(t("tpl.title"), anchor=False)
st.caption(t("tpl.intro"))

positions = org.list_positions(db, user)
if positions.height == 0:
    empty_state(t("tpl.no_positions"))
    st.stop()

wanted = st.query_params.get(POSITION_PARAM)
departments = dict(zip(positions["dept_id"], positions["department"], strict=False))
dept_ids = list(departments)
if wanted in positions["position_id"].to_list() and "tpl.department" not in st.session_state:
    st.session_state["tpl.department"] = positions.filter(pl.col("position_id") == wanted)["dept_id"][0]
    st.session_state["tpl.position"] = wanted
dept_col, position_col = st.columns(2)
dept_id = dept_col.selectbox(t("tpl.department"), dept_ids, format_func=departments.get, key="tpl.department")
in_dept = positions.filter(pl.col("dept_id") == dept_id)
names = dict(zip(in_dept["position_id"], in_dept["name"], strict=True))
if st.session_state.get("tpl.position") not in names:
    st.session_state.pop("tpl.position", None)
position_id = position_col.selectbox(t("tpl.position"), list(names), format_func=names.get, key="tpl.position")
if position_id is None:
    st.stop()

today = dt.date.today()
versions = kpi.template_versions(db, position_id)
in_force = kpi.template_in_force(db, position_id, today)
editable = may_propose(user)
tabs = [t("tpl.tab.current"), t("tpl.tab.versions"), t("tpl.tab.history")] + ([t("tpl.tab.edit")] if editable else [])
current_tab, versions_tab, history_tab, *edit_tab = st.tabs(tabs)

with current_tab:
    if in_force is None:
        empty_state(t("tpl.none_in_force"))
    else:
        st.caption(t("tpl.in_force", day=in_force["valid_from"].isoformat(), version=in_force["version"]))
        data_table(
            items_frame(in_force["items"]),
            key="tpl.current",
            file_stem=f"{t('tpl.file')}-{position_id}",
            scope="tpl",
        )

with versions_tab:
    if not versions:
        empty_state(t("tpl.no_versions"))
    else:
        summary = pl.DataFrame(
            [
                {
                    "version": v["version"],
                    "valid_from": v["valid_from"],
                    "items": len(v["items"]),
                    "created_by": v["created_by"],
                    "created_at": v["created_at"],
                    "change_id": v["change_id"],
                    "note": v["note"],
                }
                for v in reversed(versions)
            ],
            schema={
                "version": pl.Int64,
                "valid_from": pl.Date,
                "items": pl.Int64,
                "created_by": pl.String,
                "created_at": pl.Datetime,
                "change_id": pl.String,
                "note": pl.String,
            },
            orient="row",
        )
        data_table(summary, key="tpl.versions", file_stem=None, scope="tpl")
        labels = {
            v["version"]: t("tpl.version_label", version=v["version"], day=v["valid_from"].isoformat())
            for v in reversed(versions)
        }
        shown = st.selectbox(t("tpl.version_pick"), list(labels), format_func=labels.get, key="tpl.version_pick")
        chosen = next(v for v in versions if v["version"] == shown)
        data_table(items_frame(chosen["items"]), key="tpl.version_items", file_stem=None, scope="tpl")

with history_tab:
    history = kpi_changes.template_history(db, position_id)
    if history:
        data_table(changes_frame(list(reversed(history))), key="tpl.history", file_stem=None, scope="chg")
    else:
        empty_state(t("tpl.no_history"))

if edit_tab:
    with edit_tab[0]:
        this_quarter = kpi.quarter_start(today)
        quarters = []
        day = this_quarter
        for _ in range(5):
            quarters.append(day)
            day = kpi.quarter_start(day + dt.timedelta(days=100))
        latest = max((v["valid_from"] for v in versions), default=None)
        quarters = [q for q in quarters if latest is None or q >= latest] or quarters
        next_quarter = kpi.quarter_start(this_quarter + dt.timedelta(days=100))
        default = quarters.index(next_quarter) if next_quarter in quarters else 0
        valid_from = st.selectbox(
            t("tpl.valid_from"),
            quarters,
            index=default,
            format_func=dt.date.isoformat,
            key=f"tpl.valid_from.{position_id}",
        )
        library = [k for k in kpi.list_kpis(db, status="active")]
        by_id = {k["kpi_id"]: k for k in library}
        label_of = {k["kpi_id"]: f"{k['name']}（{k['kpi_id']}）" for k in library}
        id_of = {v: k for k, v in label_of.items()}
        base = max(versions, key=lambda v: (v["valid_from"], v["version"]))["items"] if versions else []
        start = pl.DataFrame(
            [
                {
                    "kpi": label_of.get(it["kpi_id"], it["kpi_id"]),
                    "weight": it["weight"],
                    "target": it["target"],
                    "floor": it["floor"],
                    "stretch": it["stretch"],
                }
                for it in base
            ],
            schema={
                "kpi": pl.String,
                "weight": pl.Float64,
                "target": pl.Float64,
                "floor": pl.Float64,
                "stretch": pl.Float64,
            },
            orient="row",
        )
        st.caption(t("tpl.editor_help"))
        edited = st.data_editor(
            start,
            key=f"tpl.editor.{position_id}",
            num_rows="dynamic",
            placeholder=EMPTY_CELL,
            hide_index=True,
            width="stretch",
            column_config={
                "kpi": st.column_config.SelectboxColumn(
                    t("col.tpl.kpi"), options=sorted(id_of), required=True, width=320
                ),
                "weight": st.column_config.NumberColumn(
                    t("col.tpl.weight"), min_value=0.0, max_value=100.0, step=1.0, format="%g", width=110
                ),
                "target": st.column_config.NumberColumn(t("col.tpl.target"), format="%g"),
                "floor": st.column_config.NumberColumn(t("col.tpl.floor"), format="%g"),
                "stretch": st.column_config.NumberColumn(t("col.tpl.stretch"), format="%g"),
            },
        )
        frame = edited if isinstance(edited, pl.DataFrame) else pl.from_pandas(edited)
        items = [
            {
                "kpi_id": id_of.get(row["kpi"], row["kpi"]),
                "weight": row["weight"],
                "target": row["target"],
                "floor": row["floor"],
                "stretch": row["stretch"],
            }
            for row in frame.iter_rows(named=True)
            if any(v is not None for v in row.values())
        ]

        # live checks: weight sum, category shares against HR's bands, every problem core finds
        total = sum(float(it["weight"] or 0) for it in items)
        bands = settings.category_bands(db)
        shares = dict.fromkeys(bands, 0.0)
        for it in items:
            category = by_id.get(it["kpi_id"] or "", {}).get("category")
            if category in shares:
                shares[category] += float(it["weight"] or 0)
        metric_cols = st.columns(1 + len(bands))
        metric_cols[0].metric(t("tpl.weight_sum"), f"{total:g}")
        for col, (category, (low, high)) in zip(metric_cols[1:], bands.items(), strict=True):
            share = shares[category] / total * 100 if total else 0.0
            col.metric(t("tpl.band", category=category, low=f"{low:g}", high=f"{high:g}"), f"{share:.1f}%")
        problems = kpi.validate_template(db, items)
        if problems:
            st.warning(
                t("tpl.checks_title") + "\n\n" + "\n".join(f"- {plain(error_text(p))}" for p in problems),
                icon=":material/warning:",
            )
        else:
            st.success(t("tpl.checks_ok"), icon=":material/check_circle:")

        # targets against the recommended range from history
        ranges = targets.target_ranges(db, [position_id])
        check_rows = []
        for it in items:
            kpi_id = it["kpi_id"]
            rng = None
            found = ranges.filter(pl.col("kpi_id") == kpi_id) if ranges.height else ranges
            if found.height and found["low"][0] is not None:
                rng = targets.TargetRange(**{k: v for k, v in found.row(0, named=True).items() if k != "reason"})
            reason = found["reason"][0] if found.height and rng is None else None
            flag = targets.check_target(rng, it["target"])
            check_rows.append(
                {
                    "kpi": label_of.get(kpi_id or "", kpi_id),
                    "target": it["target"],
                    "range": rng.label if rng else (reason or targets.no_range_reason(db, position_id, kpi_id or "")),
                    "flag": flag or (t("tpl.in_range") if rng and it["target"] is not None else ""),
                }
            )
        if check_rows:
            st.markdown(f"**{t('tpl.targets')}**")
            data_table(
                pl.DataFrame(
                    check_rows,
                    schema={"kpi": pl.String, "target": pl.Float64, "range": pl.String, "flag": pl.String},
                    orient="row",
                ),
                key="tpl.targets",
                file_stem=None,
                scope="tpl",
            )

        with st.form(f"tpl.submit.form.{position_id}", clear_on_submit=False):
            reason = st.text_area(t("tpl.reason"), key=f"tpl.reason.{position_id}")
            if st.form_submit_button(t("tpl.submit"), type="primary", icon=":material/send:"):
                if problems:
                    st.error(t("tpl.fix_first"), icon=":material/error:")
                else:
                    payload = {"position_id": position_id, "valid_from": valid_from, "items": items}
                    change_id = run_core(kpi_changes.propose_change, db, user, "template", payload, reason)
                    if change_id:
                        st.success(t("kpi.proposed", change_id=change_id), icon=":material/check_circle:")
