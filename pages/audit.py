"""审计日志 (HR): the audit trail filtered by who, what, when and which record — each row's record type
and detail in words (ui.audit_text), not codes and JSON; the hash-chain check; and the filtered rows as
Excel (the download itself is audited)."""

import datetime as dt

import streamlit as st

from core import access, audit
from ui import session
from ui.audit_text import readable_trail
from ui.i18n import error_text, has_text, t
from ui.navigation import require_app_navigation
from ui.widgets import data_table, empty_state, translate_values

LIMIT = 500
DEFAULT_DAYS = 30

require_app_navigation()
user, db = session.require_screen("audit")
st.title(t("audit.title"), anchor=False)
st.caption(t("audit.intro"))

if st.button(t("audit.verify"), icon=":material/verified:", key="audit.verify"):
    check = access.verify_audit_chain(db, user)
    if check.ok:
        st.success(error_text(check.message), icon=":material/verified:")  # core's sentence: counts and seq only
    else:
        st.error(error_text(check.message), icon=":material/gpp_bad:")

actions = sorted(audit.ACTIONS)
action_labels = {None: t("audit.all_actions")} | {
    a: t(f"audit.action.{a}") if has_text(f"audit.action.{a}") else a for a in actions
}
actor_col, action_col, dates_col, entity_col = st.columns([2, 2, 3, 2], vertical_alignment="bottom")
actor = actor_col.text_input(t("audit.actor"), placeholder=t("audit.actor_placeholder"), key="audit.actor")
action = action_col.selectbox(
    t("audit.action"), list(action_labels), format_func=action_labels.get, key="audit.action_filter"
)
today = dt.date.today()
dates = dates_col.date_input(
    t("audit.dates"), value=(today - dt.timedelta(days=DEFAULT_DAYS), today), format="YYYY-MM-DD", key="audit.dates"
)
entity_id = entity_col.text_input(
    t("audit.entity_id"), placeholder=t("audit.entity_placeholder"), key="audit.entity_id"
)
since, until = (*dates, None, None)[:2] if isinstance(dates, tuple | list) else (dates, dates)

trail = access.audit_trail(
    db,
    user,
    actor=actor.strip(),
    action=action,
    entity_id=entity_id.strip(),
    since=since,
    until=until or since,
    limit=LIMIT,
)
if trail.is_empty():
    empty_state(t("audit.empty"))
    st.stop()
st.caption(t("audit.shown", n=trail.height, limit=LIMIT))
data_table(
    readable_trail(translate_values(trail, "action", "audit.action")),
    key="audit.table",
    file_stem=t("audit.file"),
    scope="audit",
)
