"""Helpers for AppTests of the app: the type of the ``start_app`` fixture (tests/conftest.py), switching
pages, and reading what a page shows."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent

StartApp = Callable[..., AppTest]


def open_page(at: AppTest, page: str) -> AppTest:
    """Switch to a page file of the navigation and run it."""
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def all_text(at: AppTest) -> str:
    """Every text the page shows outside tables and widgets: titles, Markdown, captions, plain text, alerts."""
    parts = [e.value for e in (*at.title, *at.header, *at.subheader, *at.markdown, *at.caption, *at.text)]
    parts += [e.value for e in (*at.info, *at.success, *at.warning, *at.error)]
    parts += [m.label for m in at.metric] + [str(m.value) for m in at.metric]
    return "\n".join(str(p) for p in parts)


def everything_shown(at: AppTest) -> str:
    """All text of the page plus every table cell and widget label and option: to prove a name is absent."""
    parts = [all_text(at)]
    parts += [df.value.to_csv() for df in at.dataframe]
    for kind in ("selectbox", "multiselect", "radio"):
        for widget in at.get(kind):
            parts += [widget.label, *map(str, widget.options)]
    parts += [e.value for e in at.get("html")]
    return "\n".join(parts)
