"""Which screens exist, who may open them, and the navigation built from a user's roles."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from ui.i18n import t

ROLE_HR = "hr"
ROLE_HRBP = "hrbp"
ROLE_MANAGER = "manager"
ROLE_EXECUTIVE = "executive"
ROLE_EMPLOYEE = "employee"
ROLE_ANALYST = "analyst"
ALL_ROLES = (ROLE_HR, ROLE_HRBP, ROLE_MANAGER, ROLE_EXECUTIVE, ROLE_EMPLOYEE, ROLE_ANALYST)

# Navigation sections in the order DESIGN.md §9 gives them (我的 / 团队 / 人力资源 / 管理层 / 分析).
SECTIONS = ("nav.section.mine", "nav.section.team", "nav.section.hr", "nav.section.management", "nav.section.analysis")


@dataclass(frozen=True)
class Screen:
    """One page file, its title (catalog key), Material icon, navigation section and the roles that see it."""

    path: str
    title_key: str
    icon: str
    section_key: str
    roles: frozenset[str]


SCREENS = (
    Screen("pages/data_import.py", "nav.data_import", ":material/upload_file:", "nav.section.hr", frozenset({ROLE_HR})),
    Screen("pages/org.py", "nav.org", ":material/account_tree:", "nav.section.hr", frozenset({ROLE_HR})),
    Screen(
        "pages/overview.py",
        "nav.overview",
        ":material/grid_view:",
        "nav.section.management",
        frozenset({ROLE_HR, ROLE_EXECUTIVE}),
    ),
)


def screens_for(roles: Iterable[str]) -> list[Screen]:
    """The screens any of ``roles`` may open, in section order."""
    have = set(roles)
    visible = [s for s in SCREENS if s.roles & have]
    return sorted(visible, key=lambda s: SECTIONS.index(s.section_key))


def build_navigation(roles: Iterable[str]) -> dict[str, list[st.Page]]:
    """The ``st.navigation`` mapping (translated section title → pages) for a user holding ``roles``."""
    sections: dict[str, list[st.Page]] = {}
    for screen in screens_for(roles):
        page = st.Page(screen.path, title=t(screen.title_key), icon=screen.icon)
        sections.setdefault(t(screen.section_key), []).append(page)
    return sections


def require_app_navigation() -> None:
    """Make sure the page runs inside app.py's navigation; call first thing in every page file.

    With a ``pages/`` folder beside app.py, Streamlit serves the old folder-based navigation until some
    session has run ``st.navigation``. If the first request after a server start is a page's URL
    (a bookmark, a tab reconnecting after a restart), that page would run alone: no page config, no
    language switch, the wrong menu. Then switch to app.py's navigation and rerun the same page.
    """
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False  # what st.navigation sets, process-wide
        st.rerun()
