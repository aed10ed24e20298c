"""异议处理 (HR): employees' objections (申诉) to their confirmed-to-be result, open ones first; for the one
chosen the result it is about, the whole trail, and HR's decision: uphold the result with a reply the
employee reads, or return the appraisal to the manager's rating with a note for the manager (asked once
more first). An objection to HR's own appraisal is shown with the reason it must be resolved by another."""

import polars as pl
import streamlit as st

from core import signoff
from core.vocabulary import MAX_TEXT
from ui import session
from ui.appraisal import run_cycle
from ui.i18n import option_labels, t
from ui.navigation import require_app_navigation
from ui.signoff import confirmations, ledger_trail, objection_trail, result_header, result_items, status_label, when
from ui.widgets import ask_first, confirm_first, data_table, empty_state, flash, plain, show_flash

DECISIONS = ("uphold", "return")
TABLE_COLUMNS = ("raised_at", "employee", "department", "cycle", "status", "resolved_at")


def resolve(objection_id: str, decision: str, reply: str, employee: str) -> None:
    def decide() -> bool:
        signoff.resolve(db, user, objection_id, decision, reply)
        return True

    if run_cycle(decide):
        st.session_state.pop(f"obj.reply.{objection_id}", None)
        flash(t(f"obj.done.{decision}", employee=plain(employee)))
        st.rerun()


require_app_navigation()
user, db = session.require_screen("objections")
st.title(t("nav.objections"), anchor=False)
st.caption(t("obj.intro"))
show_flash()

found = run_cycle(signoff.objections, db, user)
if found is None or found.is_empty():
    empty_state(t("obj.empty"))
    st.stop()

open_ones = found.filter(pl.col("status") == "open").height
st.metric(t("obj.metric.open"), open_ones)
shown = found.with_columns(pl.col("status").map_elements(status_label, return_dtype=pl.String))
data_table(shown.select(TABLE_COLUMNS), key="obj.table", file_stem=t("obj.file"), scope="obj")

rows = {r["objection_id"]: r for r in found.iter_rows(named=True)}
labels = {
    o: t(
        "obj.option",
        employee=r["employee"] or "",
        cycle=r["cycle"] or "",
        status=status_label(r["status"]),
        at=when(r["raised_at"]),
    )
    + (t("obj.own_mark") if r["own"] else "")
    for o, r in rows.items()
}
objection_id = st.selectbox(t("obj.pick"), list(rows), format_func=labels.get, key="obj.pick")
row = rows[objection_id]

st.subheader(t("obj.reason_title"), anchor=False)
st.text(row["reason"] or "")
result = run_cycle(signoff.result, db, user, row["appraisal_id"])
if result is None:
    st.stop()
result_header(result)
result_items(result, key=f"obj.{objection_id}")
confirmations(result)
objection_trail(result.get("objections") or [])
ledger_trail(db, user, row["appraisal_id"], key=f"obj.{objection_id}")

if row["status"] != "open":
    st.info(t("obj.closed", status=status_label(row["status"]), at=when(row["resolved_at"])), icon=":material/info:")
    st.stop()
if row["own"]:  # core refuses it too; say why before anyone types a reply
    st.warning(t("obj.own"), icon=":material/block:")
    st.stop()

with st.container(border=True):
    st.markdown(f"**{t('obj.decide_title')}**")
    decision_labels = option_labels("obj.decision", DECISIONS)
    decision = st.radio(
        t("obj.decision"), DECISIONS, format_func=decision_labels.get, key=f"obj.decision.{objection_id}"
    )
    st.caption(t(f"obj.help.{decision}"))
    reply = st.text_area(t(f"obj.reply.{decision}"), max_chars=MAX_TEXT, key=f"obj.reply.{objection_id}")
    if st.button(t("obj.submit"), type="primary", key=f"obj.submit.{objection_id}", icon=":material/gavel:",
                 width="stretch"):  # fmt: skip
        if not reply.strip():
            st.error(t(f"obj.reply_required.{decision}"), icon=":material/error:")
        else:
            ask_first("resolve", objection_id, decision, reply)
    confirm_first(
        "resolve",
        objection_id,
        t(f"obj.confirm.{decision}", employee=plain(row["employee"])),
        lambda decided, text: resolve(objection_id, decided, text, row["employee"] or ""),
        key_prefix="obj.",
    )
