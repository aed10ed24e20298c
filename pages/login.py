"""登录: the one page anyone signed out can reach; every screen's URL shows it until a session exists."""

import streamlit as st

from core.auth import LoginFailed
from ui import session
from ui.i18n import error_text, t
from ui.navigation import require_app_navigation
from ui.resources import database

require_app_navigation()
db = database()

_, middle, _ = st.columns([1, 2, 1])
with middle:
    st.title(t("login.title"), anchor=False)
    notice = session.pop_notice()
    if notice:
        st.info(t(notice), icon=":material/info:")
    with st.form("login.form", border=True):
        username = st.text_input(t("login.username"), key="login.username", autocomplete="username")
        password = st.text_input(
            t("login.password"), type="password", key="login.password", autocomplete="current-password"
        )
        submitted = st.form_submit_button(
            t("login.submit"), type="primary", icon=":material/login:", width="stretch", key="login.submit"
        )
    st.caption(t("login.help"))

if submitted:
    if not username.strip() or not password:
        middle.warning(t("login.missing"), icon=":material/warning:")
    else:
        try:
            session.log_in(db, username, password)
        except LoginFailed as err:
            middle.error(error_text(err), icon=":material/error:")  # core's one generic sentence
        else:
            st.rerun()  # app.py now builds this user's navigation
