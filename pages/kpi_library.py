"""指标库: browse, search and filter the KPI library; one KPI's definition, scoring formula, versions and
change history; change, retire or add a KPI through a change request; HR downloads the library workbook."""

import streamlit as st

from core import kpi, kpi_changes, org, permissions
from core.scoring import FORMULAS
from core.vocabulary import CATEGORIES, DATA_SOURCES, DIRECTIONS, METHODS
from core.vocabulary import KPI_STATUSES as STATUSES
from pipelines.kpi_library import export_library_workbook
from ui import session
from ui.i18n import t
from ui.kpi import changes_frame, code_label, kpi_frame, may_propose, run_core, versions_frame
from ui.navigation import require_app_navigation
from ui.widgets import data_table, download_excel, empty_state, plain

require_app_navigation()
user, db = session.require_screen("kpi_library")
st.title(t("kpi.title"), anchor=False)
st.caption(t("kpi.intro"))


def definition_inputs(prefix: str, current: dict | None) -> dict:
    """The definition fields of a KPI as form inputs, prefilled with ``current``."""
    current = current or {}

    def index(options: list, value: object) -> int:
        return options.index(value) if value in options else 0

    categories, directions, methods, sources = list(CATEGORIES), list(DIRECTIONS), list(METHODS), list(DATA_SOURCES)
    name = st.text_input(t("kpi.f.name"), value=current.get("name") or "", key=f"{prefix}.name", max_chars=100)
    left, right = st.columns(2)
    category = left.selectbox(
        t("kpi.f.category"), categories, index=index(categories, current.get("category")), key=f"{prefix}.category"
    )
    unit = right.text_input(t("kpi.f.unit"), value=current.get("unit") or "", key=f"{prefix}.unit")
    direction = left.selectbox(
        t("kpi.f.direction"),
        directions,
        index=index(directions, current.get("direction")),
        format_func=lambda c: code_label("kpi.direction", c),
        key=f"{prefix}.direction",
    )
    method = right.selectbox(
        t("kpi.f.method"),
        methods,
        index=index(methods, current.get("method")),
        format_func=lambda c: code_label("kpi.method", c),
        key=f"{prefix}.method",
    )
    source = left.selectbox(
        t("kpi.f.data_source"),
        sources,
        index=index(sources, current.get("data_source")),
        format_func=lambda c: code_label("kpi.source", c),
        key=f"{prefix}.data_source",
    )
    step = right.number_input(
        t("kpi.f.deduction_step"),
        min_value=0.0,
        value=float(current.get("deduction_step") or 0.0),
        step=1.0,
        key=f"{prefix}.deduction_step",
    )
    description = st.text_area(
        t("kpi.f.description"), value=current.get("description") or "", key=f"{prefix}.description"
    )
    rubric = st.text_area(
        t("kpi.f.rubric"), value="\n".join(current.get("rubric") or []), key=f"{prefix}.rubric", height=140
    )
    levels = [line.strip() for line in rubric.splitlines() if line.strip()]
    return {
        "name": name,
        "category": category,
        "unit": unit,
        "direction": direction,
        "method": method,
        "data_source": source,
        "description": description,
        "rubric": levels or None,
        "deduction_step": step if method == "deduction" else None,
    }


def proposed(change_id: str | None) -> None:
    if change_id:
        st.success(t("kpi.proposed", change_id=change_id), icon=":material/check_circle:")


def hr_route(prefix: str) -> str | None:
    """HR (who belongs to no department) picks the department that approves a library change."""
    if not permissions.allowed(user, "route_kpi_change"):
        return None
    departments = org.list_departments(db, user)
    names = dict(zip(departments["dept_id"], departments["name"], strict=True))
    return st.selectbox(t("kpi.f.dept"), list(names), format_func=names.get, key=f"{prefix}.dept")


# -- HR: the workbook -------------------------------------------------------------------------------
if permissions.allowed(user, "import"):
    export_col, import_col = st.columns([1, 2], vertical_alignment="center")
    with export_col:
        download_excel(
            t("kpi.export"),
            lambda: export_library_workbook(db),
            file_name=f"{t('kpi.export_file')}.xlsx",
            key="kpi.export",
            rows=len(kpi.list_kpis(db)),
        )
    with import_col:
        st.caption(t("kpi.import_hint"))
        st.page_link("pages/data_import.py", label=t("kpi.import_link"), icon=":material/upload_file:")
    st.page_link("pages/settings.py", label=t("kpi.bands_link"), icon=":material/tune:")

# -- browse -----------------------------------------------------------------------------------------
search_col, category_col, status_col = st.columns([3, 2, 2], vertical_alignment="bottom")
search = search_col.text_input(t("kpi.search"), placeholder=t("kpi.search_placeholder"), key="kpi.search")
category_options = [None, *CATEGORIES]
category = category_col.selectbox(
    t("kpi.category"), category_options, format_func=lambda c: t("kpi.all") if c is None else c, key="kpi.category"
)
status_options = [None, *STATUSES]
status = status_col.selectbox(
    t("kpi.status"),
    status_options,
    index=1,
    format_func=lambda c: t("kpi.all") if c is None else code_label("kpi.status", c),
    key="kpi.status",
)
everything = kpi.list_kpis(db)
rows = kpi.list_kpis(db, search=search, category=category, status=status)
if not everything:
    empty_state(t("kpi.empty"))
elif not rows:
    empty_state(t("kpi.none_found"))
else:
    st.caption(t("kpi.found", n=len(rows)))
    data_table(kpi_frame(rows), key="kpi.table", file_stem=t("kpi.file"), scope="kpi", height=360)

    # -- one KPI ------------------------------------------------------------------------------------
    names = {r["kpi_id"]: f"{r['name']}（{r['kpi_id']}）" for r in rows}
    kpi_id = st.selectbox(t("kpi.pick"), list(names), format_func=names.get, key="kpi.pick")
    current = kpi.get_kpi(db, kpi_id) if kpi_id else None
    if current is not None:
        st.subheader(t("kpi.detail"), anchor=False)
        with st.container(border=True):
            st.text(f"{current['name']}（{current['kpi_id']}）")
            st.text(
                "；".join(
                    [
                        f"{t('kpi.f.category')}：{current['category'] or ''}",
                        f"{t('kpi.f.unit')}：{current['unit'] or ''}",
                        f"{t('kpi.f.direction')}：{code_label('kpi.direction', current['direction'])}",
                        f"{t('kpi.f.data_source')}：{code_label('kpi.source', current['data_source'])}",
                        f"{t('kpi.status')}：{code_label('kpi.status', current['status'])}",
                    ]
                )
            )
            if current.get("description"):
                st.text(f"{t('kpi.f.description')}：{current['description']}")
            st.text(f"{t('kpi.f.method')}：{code_label('kpi.method', current['method'])}")
            if current.get("method") in FORMULAS:
                st.info(f"{t('kpi.formula')}：{plain(FORMULAS[current['method']])}", icon=":material/functions:")
            if current.get("rubric"):
                st.text(t("kpi.rubric_levels"))
                st.text("\n".join(f"{n}. {level}" for n, level in enumerate(current["rubric"], start=1)))
        versions_tab, history_tab = st.tabs([t("kpi.tab.versions"), t("kpi.tab.history")])
        with versions_tab:
            data_table(versions_frame(current["versions"]), key="kpi.versions", file_stem=None, scope="kpi")
        with history_tab:
            history = kpi_changes.kpi_history(db, kpi_id)
            if history:
                data_table(changes_frame(list(reversed(history))), key="kpi.history", file_stem=None, scope="chg")
            else:
                empty_state(t("kpi.no_history"))

        if may_propose(user) and current["status"] != "retired":
            with st.expander(t("kpi.edit"), icon=":material/edit:"):
                with st.form(f"kpi.modify.form.{kpi_id}"):
                    edited = definition_inputs(f"kpi.modify.{kpi_id}", current)
                    dept = hr_route(f"kpi.modify.{kpi_id}")
                    reason = st.text_area(t("kpi.f.reason"), key=f"kpi.modify.{kpi_id}.reason")
                    if st.form_submit_button(t("kpi.submit"), type="primary"):
                        proposed(
                            run_core(
                                kpi_changes.propose_change,
                                db,
                                user,
                                "kpi_modify",
                                {**edited, "kpi_id": kpi_id},
                                reason,
                                dept,
                            )
                        )
            with st.expander(t("kpi.retire"), icon=":material/block:"):
                with st.form(f"kpi.retire.form.{kpi_id}"):
                    dept = hr_route(f"kpi.retire.{kpi_id}")
                    reason = st.text_area(t("kpi.f.reason"), key=f"kpi.retire.{kpi_id}.reason")
                    confirmed = st.checkbox(t("kpi.retire_confirm"), key=f"kpi.retire.{kpi_id}.confirm")
                    if st.form_submit_button(t("kpi.submit")):
                        if not confirmed:
                            st.warning(t("kpi.retire_unconfirmed"), icon=":material/warning:")
                        else:
                            proposed(
                                run_core(
                                    kpi_changes.propose_change, db, user, "kpi_retire", {"kpi_id": kpi_id}, reason, dept
                                )
                            )

# -- a new KPI --------------------------------------------------------------------------------------
if may_propose(user):
    with st.expander(t("kpi.add"), icon=":material/add:"):
        with st.form("kpi.add.form"):
            new_id = st.text_input(t("kpi.f.kpi_id"), key="kpi.add.kpi_id")
            definition = definition_inputs("kpi.add", None)
            dept = hr_route("kpi.add")
            reason = st.text_area(t("kpi.f.reason"), key="kpi.add.reason")
            if st.form_submit_button(t("kpi.submit"), type="primary"):
                payload = {**definition, "kpi_id": new_id.strip() or None}
                proposed(run_core(kpi_changes.propose_change, db, user, "kpi_add", payload, reason, dept))
else:
    st.caption(t("kpi.cannot_propose"))
