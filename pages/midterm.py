"""midterm: placeholder until the screen is built."""

import streamlit as st

from ui import session
from ui.i18n import t
from ui.navigation import require_app_navigation

require_app_navigation()
user, db = session.require_screen("midterm")
st.title(t("nav.midterm"), anchor=False)
