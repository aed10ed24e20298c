"""我的绩效: the signed-in person's own appraisal history and the items of one appraisal (audited reads)."""

import streamlit as st

from ui import session
from ui.i18n import t
from ui.navigation import require_app_navigation
from ui.people import appraisal_record
from ui.widgets import empty_state

require_app_navigation()
user, db = session.require_screen("my_record")
st.title(t("my_record.title"), anchor=False)

if user.employee_id is None:
    empty_state(t("my_record.no_employee"))
    st.stop()

st.text(t("my_record.who", name=user.label, employee_id=user.employee_id))
appraisal_record(db, user, user.employee_id, key="my_record", empty_text=t("my_record.empty"))
