"""The server's own routes beside Streamlit's: the session cookie, set by the server, and downloads that
only the session which asked for them can fetch.

``serve.py`` mounts :func:`routes` on Streamlit's server (``st.App``); the pages hand the browser one-time
tickets of :mod:`core.tickets` and these routes redeem them:

- ``POST /_jixiao/session`` with the header ``X-JiXiao-Grant: <grant>`` answers ``204`` with
  ``Set-Cookie: jixiao_session=<token>; HttpOnly; SameSite=Strict; Path=/`` (plus ``Secure`` over HTTPS),
  or the cookie cleared at logout. The page's script sees the grant only, never the token.
- ``GET /_jixiao/download/<ticket>`` answers the file as an attachment when the request carries the live
  session cookie of the session that asked for it, from the same browser; else a plain 403 or 404.

Every answer says ``Cache-Control: no-store``. HTTPS is what the server saw: a TLS connection, or
``X-Forwarded-Proto: https`` from a proxy uvicorn trusts (``FORWARDED_ALLOW_IPS``, loopback by default).
"""

from __future__ import annotations

import logging
import re
from pathlib import PurePosixPath
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from streamlit import config

from core import tickets
from ui.i18n import CATALOG

COOKIE_NAME = "jixiao_session"
GRANT_HEADER = "X-JiXiao-Grant"
SESSION_PATH = "_jixiao/session"
DOWNLOAD_PATH = "_jixiao/download"
NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")  # secrets.token_urlsafe: a session token or a ticket
_ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]  # answered here, with no-store
_FALLBACK_NAME = re.compile(r"[^A-Za-z0-9._-]")
log = logging.getLogger(__name__)
_mounted = False
_warned = False


def base_path() -> str:
    """Streamlit's ``server.baseUrlPath`` as a URL prefix ("" or "/base")."""
    base = (config.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}" if base else ""


def session_url() -> str:
    """Where a page sends a cookie grant."""
    return f"{base_path()}/{SESSION_PATH}"


def download_url(ticket: str) -> str:
    """The link of a download ticket: the ticket is its only variable part."""
    return f"{base_path()}/{DOWNLOAD_PATH}/{ticket}"


def routes() -> list[Route]:
    """The routes ``serve.py`` mounts on Streamlit's server."""
    global _mounted
    _mounted = True
    return [
        Route(f"{base_path()}/{SESSION_PATH}", session_endpoint, methods=_ALL_METHODS),
        Route(f"{base_path()}/{DOWNLOAD_PATH}/{{ticket}}", download_endpoint, methods=_ALL_METHODS),
    ]


def warn_if_unmounted() -> None:
    """Say once in the server log when this process does not serve the routes (``streamlit run app.py``):
    cookies and downloads need ``serve.py``."""
    global _warned
    if not _mounted and not _warned:
        log.warning("JiXiao's routes are not mounted: start the app with `streamlit run serve.py` (make run)")
        _warned = True


async def session_endpoint(request: Request) -> Response:
    """Exchange a one-time grant for the session cookie (or its clearing)."""
    if request.method != "POST":
        return refusal(405, allow="POST")
    grant = request.headers.get(GRANT_HEADER, "")
    if not TOKEN.match(grant) or request.headers.get("Sec-Fetch-Site", "same-origin") != "same-origin":
        return refusal(403)
    change = await run_in_threadpool(tickets.redeem_cookie_grant, grant, request.headers.get("User-Agent"))
    if change is None:
        return refusal(403)
    response = Response(status_code=204, headers=NO_STORE)
    response.headers.append("Set-Cookie", session_cookie(change.token, secure=request.url.scheme == "https"))
    return response


def session_cookie(token: str | None, *, secure: bool) -> str:
    """The ``Set-Cookie`` value that keeps ``token`` until the browser closes, or clears it (None)."""
    if token is not None and not TOKEN.match(token):
        raise ValueError("not a session token")
    value = f"{COOKIE_NAME}={token}" if token else f"{COOKIE_NAME}=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT"
    return f"{value}; HttpOnly; SameSite=Strict; Path=/" + ("; Secure" if secure else "")


async def download_endpoint(request: Request) -> Response:
    """Serve a download ticket's file to the session that asked for it."""
    if request.method != "GET":
        return refusal(405, allow="GET")
    ticket = request.path_params["ticket"]
    if not TOKEN.match(ticket):
        return refusal(404)
    cookie = request.cookies.get(COOKIE_NAME, "")
    token = cookie if TOKEN.match(cookie) else None
    served = await run_in_threadpool(tickets.serve_download, ticket, token, request.headers.get("User-Agent"))
    if served == "gone":
        return refusal(404)
    if served == "not_yours":
        return refusal(403)
    assert isinstance(served, tickets.Download)
    headers = {**NO_STORE, "Content-Disposition": content_disposition(served.file_name)}
    return Response(served.data, media_type=served.mime, headers=headers)


def content_disposition(file_name: str) -> str:
    """``attachment`` with the name as ASCII (``filename=``) and as UTF-8 (RFC 5987 ``filename*=``)."""
    name = "".join(ch if ch.isprintable() and ch not in '/\\"' else "_" for ch in file_name).strip() or "download"
    path = PurePosixPath(name)
    stem = _FALLBACK_NAME.sub("_", path.stem)
    ascii_name = (stem if stem.strip("_") else "download") + _FALLBACK_NAME.sub("_", path.suffix)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


_REFUSALS = {403: "web.refused", 404: "web.gone", 405: "web.method"}


def refusal(status: int, *, allow: str | None = None) -> Response:
    """A plain page in both languages saying why, with nothing of the request in it."""
    zh, en = CATALOG[_REFUSALS[status]]
    headers = {**NO_STORE, **({"Allow": allow} if allow else {})}
    return Response(f"{zh}\n{en}\n", status_code=status, media_type="text/plain; charset=utf-8", headers=headers)
