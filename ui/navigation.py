"""The screens' page files, titles, icons and sections, and the navigation built for the signed-in user.

Who may open which screen is :data:`core.permissions.SCREENS` alone; this module only says how each
screen looks in the menu. The navigation never holds a page its user may not open:
- signed out, the root and every screen's URL run the login page (so a bookmark or a reload after the
  session ended asks to log in, and after logging in the same URL opens the screen it names);
- signed in with a password someone else set (``must_change_password``), every URL runs 修改密码 and
  nothing else opens until the user has chosen their own;
- signed in, the screens the user may open are in the menu, every other screen's URL runs a page that
  says, in Chinese, that the user may not open it, and the root (a hidden page) opens the user's
  landing screen. No screen is the default page: Streamlit serves the default page only at ``/``, and
  every screen must answer at its own URL for every user.
A page's script hash is its URL path, so the same URL keeps meaning the same screen across logins.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from core import permissions
from core.auth import User
from ui.i18n import t

# Navigation sections in the order DESIGN.md §9 gives them (我的 / 团队 / 人力资源 / 管理层 / 分析).
SECTIONS = ("nav.section.mine", "nav.section.team", "nav.section.hr", "nav.section.management", "nav.section.analysis")


@dataclass(frozen=True)
class Screen:
    """How one screen appears: its page file, title (catalog key), Material icon and navigation section."""

    screen_id: str
    path: str
    title_key: str
    icon: str
    section_key: str

    @property
    def url_path(self) -> str:
        return self.screen_id


SCREENS = MappingProxyType(
    {
        s.screen_id: s
        for s in (
            Screen("my_tasks", "pages/my_tasks.py", "nav.my_tasks", ":material/checklist:", "nav.section.mine"),
            Screen("goals", "pages/goals.py", "nav.goals", ":material/flag:", "nav.section.mine"),
            Screen("midterm", "pages/midterm.py", "nav.midterm", ":material/forum:", "nav.section.mine"),
            Screen(
                "self_review", "pages/self_review.py", "nav.self_review", ":material/rate_review:", "nav.section.mine"
            ),
            Screen("signoff", "pages/signoff.py", "nav.signoff", ":material/approval_delegation:", "nav.section.mine"),
            Screen("my_record", "pages/my_record.py", "nav.my_record", ":material/assignment_ind:", "nav.section.mine"),
            Screen("archive", "pages/archive.py", "nav.archive", ":material/folder_managed:", "nav.section.mine"),
            Screen("team_rating", "pages/team_rating.py", "nav.team_rating", ":material/groups:", "nav.section.team"),
            Screen("org", "pages/org.py", "nav.org", ":material/account_tree:", "nav.section.team"),
            Screen(
                "kpi_library", "pages/kpi_library.py", "nav.kpi_library", ":material/menu_book:", "nav.section.team"
            ),
            Screen("templates", "pages/templates.py", "nav.templates", ":material/tune:", "nav.section.team"),
            Screen("kpi_changes", "pages/kpi_changes.py", "nav.kpi_changes", ":material/approval:", "nav.section.team"),
            Screen(
                "data_import", "pages/data_import.py", "nav.data_import", ":material/upload_file:", "nav.section.hr"
            ),
            Screen("cycles", "pages/cycles.py", "nav.cycles", ":material/event_repeat:", "nav.section.hr"),
            Screen("calibration", "pages/calibration.py", "nav.calibration", ":material/balance:", "nav.section.hr"),
            Screen("objections", "pages/objections.py", "nav.objections", ":material/gavel:", "nav.section.hr"),
            Screen("users", "pages/users.py", "nav.users", ":material/manage_accounts:", "nav.section.hr"),
            Screen("settings", "pages/settings.py", "nav.settings", ":material/settings:", "nav.section.hr"),
            Screen("audit", "pages/audit.py", "nav.audit", ":material/policy:", "nav.section.hr"),
            Screen("overview", "pages/overview.py", "nav.overview", ":material/grid_view:", "nav.section.management"),
        )
    }
)
LOGIN_PAGE = "pages/login.py"
HOME_PAGE = "pages/home.py"
NO_ACCESS_PAGE = "pages/no_access.py"
CHANGE_PASSWORD_PAGE = "pages/change_password.py"
CHANGE_PASSWORD_URL = "change_password"
# URL paths of the home page, which only opens the landing screen, for a signed-in user (修改密码's too:
# once the password is changed, its URL leads on to the landing screen)
HOME_URL_PATHS = ("home", "login", CHANGE_PASSWORD_URL)


def screens_for(user: User | None) -> list[Screen]:
    """The screens ``user`` may open (core.permissions decides), in section order."""
    allowed = set(permissions.screens_for(user))
    ordered = [s for s in SCREENS.values() if s.screen_id in allowed]
    return sorted(ordered, key=lambda s: SECTIONS.index(s.section_key))


# Screens about one's own appraisal: no landing there for an account without a person in the roster.
OWN_SCREENS = ("goals", "midterm", "self_review", "my_record")


def default_screen(user: User) -> Screen | None:
    """The screen a user lands on: 我的待办 when they may open it, else the first of their menu (never a
    screen about one's own appraisal for an account without a person)."""
    screens = screens_for(user)
    if user.employee_id is None:
        screens = [s for s in screens if s.screen_id not in OWN_SCREENS] or screens
    return screens[0] if screens else None


def build_navigation(user: User | None) -> list[st.Page] | dict[str, list[st.Page]]:
    """The ``st.navigation`` argument for ``user`` (None: signed out)."""
    if user is None:
        login = st.Page(LOGIN_PAGE, title=t("nav.login"), icon=":material/login:", url_path="login", default=True)
        aliases = [
            st.Page(LOGIN_PAGE, title=t("nav.login"), url_path=s.url_path, visibility="hidden")
            for s in SCREENS.values()
        ]
        return [login, *aliases]
    if user.must_change_password:
        return _change_password_only()
    visible = screens_for(user)
    hidden = [
        st.Page(HOME_PAGE, title=t("app.title"), url_path=HOME_URL_PATHS[0], visibility="hidden", default=True),
        *(st.Page(HOME_PAGE, title=t("app.title"), url_path=p, visibility="hidden") for p in HOME_URL_PATHS[1:]),
        *(
            st.Page(NO_ACCESS_PAGE, title=t("nav.no_access"), url_path=s.url_path, visibility="hidden")
            for s in SCREENS.values()
            if s not in visible
        ),
    ]
    if not visible:  # a role with no screen at all: every URL says so
        return hidden
    sections: dict[str, list[st.Page]] = {}
    for screen in visible:
        page = st.Page(screen.path, title=t(screen.title_key), icon=screen.icon, url_path=screen.url_path)
        sections.setdefault(t(screen.section_key), []).append(page)
    sections[next(reversed(sections))].extend(hidden)
    return sections


def _change_password_only() -> list[st.Page]:
    """修改密码 at the root and at every screen's URL: nothing else opens until the password is changed."""
    page = st.Page(CHANGE_PASSWORD_PAGE, title=t("nav.change_password"), icon=":material/password:",
                   url_path=CHANGE_PASSWORD_URL, default=True)  # fmt: skip
    paths = [s.url_path for s in SCREENS.values()] + [p for p in HOME_URL_PATHS if p != CHANGE_PASSWORD_URL]
    aliases = [
        st.Page(CHANGE_PASSWORD_PAGE, title=t("nav.change_password"), url_path=p, visibility="hidden") for p in paths
    ]
    return [page, *aliases]


def only_opens_the_landing_screen(page: st.Page, user: User | None) -> bool:
    """Whether ``page`` is the home page that at once switches to the user's landing screen (nothing it
    shows would reach the browser)."""
    return user is not None and not user.must_change_password and page.url_path in HOME_URL_PATHS


def require_app_navigation() -> None:
    """Make sure the page runs inside app.py's navigation; call first thing in every page file.

    With a ``pages/`` folder beside app.py, Streamlit serves the old folder-based navigation until some
    session has run ``st.navigation``. If the first request after a server start is a page's URL
    (a bookmark, a tab reconnecting after a restart), that page would run alone: no page config, no
    language switch, no login, the wrong menu. Then switch to app.py's navigation and rerun the same page.
    """
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False  # what st.navigation sets, process-wide
        st.rerun()
