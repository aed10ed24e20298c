"""结果确认 (employee and manager): what waits for my confirmation — my own result and my direct reports' —
then the chosen result as both parties confirm it (items with weight, target, actual and source, scores,
comments, grade before and after calibration with the note, how the total was computed, the confirmations
and the objection trail), and my part: confirm with my password, or (the employee) object with a reason.
Once both have confirmed, the signed PDF downloads here; earlier ones are in 电子档案."""

import streamlit as st

from core import signoff
from ui import session
from ui.i18n import t
from ui.navigation import require_app_navigation
from ui.signoff import pick_waiting, result_page
from ui.widgets import empty_state, show_flash

require_app_navigation()
user, db = session.require_screen("signoff")
st.title(t("nav.signoff"), anchor=False)
st.caption(t("so.intro"))
show_flash()

waiting = signoff.waiting(db, user)
overdue = 0 if waiting.is_empty() else waiting.filter(waiting["days_overdue"].fill_null(0) > 0).height
if overdue:
    st.warning(t("so.overdue_warning", n=overdue), icon=":material/warning:")
appraisal_id = pick_waiting(waiting, key="so.pick")
if appraisal_id is None:
    empty_state(t("so.empty"))
else:
    result_page(db, user, appraisal_id, key=f"so.{appraisal_id}")
st.page_link("pages/archive.py", label=t("so.archive_link"), icon=":material/folder_managed:")
