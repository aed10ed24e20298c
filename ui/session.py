"""Who is signed in to this browser session: login, the session cookie, logout and the page guard.

A login starts a server-side session (:func:`core.auth.start_session`) whose random token lives in
this Streamlit session's state and in a browser cookie, so a reload (a new Streamlit session) finds it
again through ``st.context.cookies``. Every rerun resumes the session in core, which ends it when it
has been idle too long or its account was disabled: the next click then shows the login page.

The server sets and clears the cookie, never page script: the page holds a one-time grant
(:func:`core.tickets.grant_cookie`, one minute, this session and browser only) and a two-line script
posts it to ``/_jixiao/session`` (ui/web.py), which answers with ``Set-Cookie: jixiao_session=<token>;
HttpOnly; SameSite=Strict; Path=/`` (``Secure`` over HTTPS). The token never reaches the page, and the
cookie lives until the browser closes; the server keeps only the token's SHA-256.
"""

from __future__ import annotations

import streamlit as st

from core import auth, login_guard, permissions, tickets
from core.auth import User
from core.db import Database
from ui import web
from ui.i18n import error_text, t
from ui.navigation import CHANGE_PASSWORD_PAGE
from ui.resources import database

COOKIE_NAME = web.COOKIE_NAME
TOKEN_KEY = "auth.token"  # this browser session's session token
USER_KEY = "auth.user"  # the user app.py resolved for this run (None: signed out)
COOKIE_KEY = "auth.cookie"  # a cookie change the browser still has to make: "set" or "clear"
SPENT_KEY = "auth.spent_cookie"  # a cookie token already found dead: never try it again in this session
NOTICE_KEY = "auth.notice"  # why the login page is shown again


def _cookie() -> str | None:
    """The session cookie this browser sent when it connected (AppTest has no cookies: None)."""
    value = st.context.cookies.get(COOKIE_NAME)
    return value if isinstance(value, str) and web.TOKEN.match(value) else None


def _cookie_token() -> str | None:
    token = _cookie()
    return None if token == st.session_state.get(SPENT_KEY) else token


def user_agent() -> str | None:
    """The User-Agent this browser sent (None under AppTest): a session is bound to it."""
    return st.context.headers.get("User-Agent") if st.context.headers else None


def current_user(db: Database) -> User | None:
    """Resume this browser's session, if any, and remember the user for the pages of this run.

    A session that no longer resumes (idle, logged out elsewhere, account disabled) is forgotten, its
    cookie cleared, and the login page says why.
    """
    token = st.session_state.get(TOKEN_KEY) or _cookie_token()
    user = auth.resume_session(db, token, user_agent=user_agent()) if token else None
    if user is None and token:
        st.session_state.pop(TOKEN_KEY, None)
        tickets.forget_session(token)
        st.session_state[SPENT_KEY] = _cookie()
        st.session_state[COOKIE_KEY] = "clear"
        st.session_state[NOTICE_KEY] = "auth.session_ended"
    elif user is not None:
        st.session_state[TOKEN_KEY] = token
    st.session_state[USER_KEY] = user
    return user


def signed_in_user(db: Database) -> User | None:
    """The user app.py resolved for this run (resolved here when a page runs on its own)."""
    if USER_KEY in st.session_state:
        return st.session_state[USER_KEY]
    return current_user(db)


def client_address() -> str | None:
    """This browser's address, as core counts login attempts by: the connection's peer (None on
    localhost and under AppTest), or with JIXIAO_PROXY_HOPS set the address our proxy put in
    X-Forwarded-For (:func:`core.login_guard.client_source`)."""
    headers = st.context.headers
    return login_guard.client_source(st.context.ip_address, headers.get("X-Forwarded-For") if headers else None)


def log_in(db: Database, username: str, password: str) -> User:
    """Check the password, start a session and have the browser keep its token; raises
    :class:`core.auth.LoginFailed` (one generic message for every reason). A user whose password someone
    else set comes back with ``must_change_password``: the navigation then opens only 修改密码."""
    user = auth.authenticate(db, username, password, source=client_address())
    st.session_state[TOKEN_KEY] = auth.start_session(db, user, user_agent=user_agent())
    st.session_state[COOKIE_KEY] = "set"
    st.session_state.pop(NOTICE_KEY, None)
    return user


def log_out() -> None:
    """End the session in core, forget it here and clear the browser's cookie (a button callback)."""
    token = st.session_state.pop(TOKEN_KEY, None)
    auth.end_session(database(), token)
    tickets.forget_session(token)  # its download links die with it
    st.session_state[SPENT_KEY] = _cookie()
    st.session_state[COOKIE_KEY] = "clear"
    st.session_state[USER_KEY] = None
    st.session_state[NOTICE_KEY] = "auth.logged_out"


def sync_cookie() -> None:
    """Have the server set or clear the session cookie if a login or logout asked for it: the page posts
    a one-time grant, never the token."""
    action = st.session_state.pop(COOKIE_KEY, None)
    token = st.session_state.get(TOKEN_KEY)
    if action == "set" and token and web.TOKEN.match(token):
        grant = tickets.grant_cookie(database(), token, user_agent())
    elif action == "clear":
        grant = tickets.grant_cookie_clear(user_agent())
    else:
        return
    web.warn_if_unmounted()
    # Only our own words: the route's path and the grant, which secrets.token_urlsafe makes of [A-Za-z0-9_-].
    script = (
        f'<script>fetch("{web.session_url()}", {{method: "POST", credentials: "same-origin", cache: "no-store",'
        f' headers: {{"{web.GRANT_HEADER}": "{grant}"}}}});</script>'
    )
    with st.sidebar:
        st.html(script, unsafe_allow_javascript=True, width="content")


def session_token() -> str | None:
    """This browser session's session token (None: signed out): download tickets are bound to it."""
    return st.session_state.get(TOKEN_KEY)


def pop_notice() -> str | None:
    """The catalog key of why the login page is shown again, once."""
    return st.session_state.pop(NOTICE_KEY, None)


def account_sidebar(user: User) -> None:
    """Who is signed in, with which roles, and the logout button."""
    with st.sidebar:
        st.divider()
        # st.text: names and usernames are shown as typed, never as Markdown or HTML
        if user.display_name:
            st.text(t("auth.signed_in_as", name=user.display_name, username=user.username))
        else:
            st.text(t("auth.signed_in", username=user.username))
        st.text(t("auth.roles", roles=role_names(user.roles)))
        st.button(t("auth.logout"), key="auth.logout", icon=":material/logout:", on_click=log_out)


def role_names(roles: frozenset[str] | list[str]) -> str:
    """Role codes as their translated names, in the order of core.auth.ROLES."""
    return "、".join(
        t(f"role.{r}") for r in sorted(roles, key=lambda r: (auth.ROLES.index(r) if r in auth.ROLES else 99, r))
    )


def require_screen(screen_id: str) -> tuple[User, Database]:
    """The page guard, called first in every screen: the signed-in user and the database, or the
    refusal and nothing else when the user may not open ``screen_id``."""
    db = database()
    user = signed_in_user(db)
    if user is not None and user.must_change_password:  # nothing opens before the password is changed
        st.switch_page(CHANGE_PASSWORD_PAGE)
    try:
        permissions.require(db, user, f"screen:{screen_id}")
    except permissions.Forbidden as err:
        refuse(err)
    assert user is not None
    return user, db


def refuse(err: permissions.Forbidden) -> None:
    """Show core's refusal and stop the page."""
    st.error(error_text(err), icon=":material/block:")  # core's own sentence, no user text
    st.stop()
