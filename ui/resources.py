"""Process-wide resources: the database connection and the job runner that works on it. Nothing per-user is
cached here."""

from __future__ import annotations

import streamlit as st

from core.db import Database, DatabaseBusy, DatabaseError, default_path, open_database
from core.jobs import JobRunner, standard_jobs
from ui.i18n import error_text, t


@st.cache_resource(show_spinner=False)
def _open_database(path: str) -> Database:
    # Keyed by path so that a changed JIXIAO_DB (tests, a second instance) gets its own database.
    return open_database(path)


def database() -> Database:
    """The app's database (``JIXIAO_DB``); when it cannot be opened, say why and stop the page."""
    path = str(default_path().resolve())
    try:
        return _open_database(path)
    except DatabaseBusy as err:
        st.error(t("db.busy", detail=error_text(err)), icon=":material/lock:")
    except DatabaseError as err:
        st.error(t("db.error", detail=error_text(err)), icon=":material/error:")
    st.stop()


@st.cache_resource(show_spinner=False)
def _start_jobs(path: str) -> JobRunner:
    return JobRunner(_open_database(path), standard_jobs()).start()


def start_jobs() -> JobRunner:
    """The server's job runner on the app's database, started on the first run of any session."""
    database()  # says why and stops the page when the database cannot be opened
    return _start_jobs(str(default_path().resolve()))
