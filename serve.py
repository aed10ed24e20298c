"""JiXiao's server: Streamlit serving app.py, plus JiXiao's own routes (ui/web.py) that set the HttpOnly
session cookie and serve downloads to the session that asked for them.

Start it with ``streamlit run serve.py [--server.port 8501 ...]`` (``make run`` does): Streamlit finds the
``st.App`` below and serves it with every ``--server.*`` option and ``.streamlit/config.toml`` as for
``streamlit run app.py``.
"""

import streamlit as st

from ui.web import routes

app = st.App("app.py", routes=routes())
