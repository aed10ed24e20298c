"""修改密码: the only screen of a user whose password someone else set (a reset by HR or the command line).
They choose their own — twice, checked by core's policy, not the one they have — and then every screen of
their roles opens again. Their other sessions end; the change is audited."""

import streamlit as st

from core import auth
from core.auth import UserError
from ui import session
from ui.i18n import error_text, t
from ui.navigation import require_app_navigation
from ui.resources import database

require_app_navigation()
db = database()
user = session.signed_in_user(db)
if user is None:  # the navigation routes only a signed-in user here
    st.stop()

_, middle, _ = st.columns([1, 2, 1])
with middle:
    st.title(t("pwd.title"), anchor=False)
    if user.must_change_password:
        st.info(t("pwd.forced"), icon=":material/lock_reset:")
    with st.form("pwd.form", border=True):
        password = st.text_input(
            t("pwd.new"), type="password", help=t("pwd.help"), key="pwd.new", autocomplete="new-password"
        )
        again = st.text_input(t("pwd.again"), type="password", key="pwd.again", autocomplete="new-password")
        submitted = st.form_submit_button(
            t("pwd.submit"), type="primary", icon=":material/save:", width="stretch", key="pwd.submit"
        )

if submitted:
    try:
        auth.change_own_password(db, user, password, again)
    except UserError as err:
        middle.error(error_text(err), icon=":material/error:")
    else:
        for key in ("pwd.new", "pwd.again"):
            st.session_state.pop(key, None)
        st.toast(t("pwd.changed"), icon=":material/check_circle:")
        st.rerun()  # the next run resumes the session with the flag cleared: the user's screens open
