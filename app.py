"""JiXiao entry point: page config, language switch, navigation built from the user's roles."""

import streamlit as st

from ui.i18n import language_switch, t
from ui.navigation import ALL_ROLES, build_navigation

st.set_page_config(page_title=t("app.title"), page_icon=":material/insights:", layout="wide")
language_switch()
# Until login exists (issue 3) everyone holds every role.
st.navigation(build_navigation(ALL_ROLES)).run()
