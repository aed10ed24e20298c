"""JiXiao entry point: page config, language switch, login gate, navigation built from the user's roles."""

import streamlit as st

from ui import session
from ui.i18n import language_switch, t
from ui.navigation import build_navigation, only_opens_the_landing_screen
from ui.resources import database, start_jobs

st.set_page_config(page_title=t("app.title"), page_icon=":material/insights:", layout="wide")
language_switch()
start_jobs()  # the server process holds the only write connection: scheduled work runs here
# Every rerun resumes the session in core: an idle or disabled session ends at the next click.
user = session.current_user(database())
# A user whose password someone else set gets 修改密码 at every URL and nothing else until it is changed.
page = st.navigation(build_navigation(user), expanded=True)  # HR has more than twelve screens
if user is not None:
    session.account_sidebar(user)
if not only_opens_the_landing_screen(page, user):  # the screen it switches to sets the cookie
    session.sync_cookie()
page.run()
