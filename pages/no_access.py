"""The page behind the URL of every screen the signed-in user may not open: core's refusal, nothing else."""

from urllib.parse import urlparse

import streamlit as st

from ui import session
from ui.i18n import t
from ui.navigation import require_app_navigation

require_app_navigation()
st.title(t("nav.no_access"), anchor=False)
# The URL names the screen asked for; core refuses it (and would let the guard through if it did not).
screen_id = urlparse(st.context.url or "").path.rstrip("/").rsplit("/", 1)[-1] or "no_access"
session.require_screen(screen_id)
st.error(t("auth.no_access"), icon=":material/block:")
