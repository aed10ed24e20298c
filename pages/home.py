"""The app's root URL for a signed-in user: open the screen they land on (their own record when they have one)."""

import streamlit as st

from ui import session
from ui.i18n import LANG_KEY
from ui.navigation import default_screen, require_app_navigation
from ui.resources import database

require_app_navigation()
user = session.signed_in_user(database())
landing = default_screen(user) if user else None
if landing is None:
    session.require_screen("no_access")  # signed out, or a role without screens: core refuses
else:
    # Keep the URL's other parameters; the language switch keeps its own (bound) one.
    kept = {k: v for k, v in st.query_params.to_dict().items() if k != LANG_KEY}
    st.switch_page(landing.path, query_params=kept)
