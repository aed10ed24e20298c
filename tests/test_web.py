"""The session cookie set by the server and downloads only for their session: the one-time grants and
download tickets of core/tickets.py (single use, expiry, wrong session, wrong browser, ended session), the
two routes of ui/web.py driven as Streamlit's server runs them (ASGI, behind uvicorn's proxy-header
middleware), and serve.py as the one way the app is started."""

from __future__ import annotations

import asyncio
import io
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import openpyxl
import pytest
from starlette.applications import Starlette
from streamlit.web.server.app_discovery import discover_asgi_app
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from core import auth, tickets
from core.db import Database, open_database
from tests.apptest import StartApp, open_page
from tests.conftest import ensure_login
from tests.test_cycle_hr_pages import production_pilot
from ui import web

ROOT = Path(__file__).resolve().parent.parent
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0 JiXiao-test"
OTHER_BROWSER = "Mozilla/5.0 (Windows NT 10.0) Firefox/140.0"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """A fresh ticket store on a hand-moved clock."""
    fake = Clock()
    monkeypatch.setattr(tickets, "STORE", tickets.TicketStore(clock=fake))
    return fake


@pytest.fixture
def db(company_db: Path) -> Iterator[Database]:
    with open_database(company_db) as database:
        yield database


def login(db: Database, username: str = "hr", user_agent: str | None = BROWSER) -> str:
    return auth.start_session(db, ensure_login(db, username), user_agent=user_agent)


def exports(db: Database) -> list[dict]:
    return db.rows("SELECT actor, entity_id, detail FROM audit_log WHERE action = 'export' ORDER BY seq")


def offer(db: Database, token: str, *, user_agent: str | None = BROWSER, renew: str | None = None) -> str:
    return tickets.offer_download(
        db, token, user_agent, file_name="人员名单.xlsx", mime="application/x-test", rows=12,
        produce=lambda: b"PK-bytes", renew=renew,
    )  # fmt: skip


# -- cookie grants ------------------------------------------------------------------------------------


def test_a_cookie_grant_is_spent_once_by_the_browser_it_was_issued_to(clock: Clock, db: Database) -> None:
    token = login(db)
    grant = tickets.grant_cookie(db, token, BROWSER)
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", grant) and grant != token
    assert tickets.redeem_cookie_grant(grant, BROWSER) == tickets.CookieChange(token)
    assert tickets.redeem_cookie_grant(grant, BROWSER) is None  # single use


def test_a_cookie_grant_from_another_browser_is_refused_and_spent(clock: Clock, db: Database) -> None:
    token = login(db)
    grant = tickets.grant_cookie(db, token, BROWSER)
    assert tickets.redeem_cookie_grant(grant, OTHER_BROWSER) is None
    assert tickets.redeem_cookie_grant(grant, BROWSER) is None  # a stolen grant is burnt, not kept for later
    assert auth.resume_session(db, token, user_agent=BROWSER) is not None  # the session itself is untouched


def test_a_cookie_grant_expires_within_a_minute(clock: Clock, db: Database) -> None:
    token = login(db)
    late, in_time = tickets.grant_cookie(db, token, BROWSER), tickets.grant_cookie(db, token, BROWSER)
    clock.now += 59
    assert tickets.redeem_cookie_grant(in_time, BROWSER) == tickets.CookieChange(token)
    clock.now += 2
    assert tickets.redeem_cookie_grant(late, BROWSER) is None


def test_a_cookie_grant_of_an_ended_session_is_refused(clock: Clock, db: Database) -> None:
    token = login(db)
    grant = tickets.grant_cookie(db, token, BROWSER)
    auth.end_session(db, token)
    assert tickets.redeem_cookie_grant(grant, BROWSER) is None


def test_a_clearing_grant_needs_no_session_but_the_same_browser(clock: Clock) -> None:
    grant = tickets.grant_cookie_clear(BROWSER)
    assert tickets.redeem_cookie_grant(grant, OTHER_BROWSER) is None
    grant = tickets.grant_cookie_clear(BROWSER)
    assert tickets.redeem_cookie_grant(grant, BROWSER) == tickets.CookieChange(None)
    assert tickets.redeem_cookie_grant(grant, BROWSER) is None
    assert tickets.redeem_cookie_grant("not-a-grant-at-all-xxxxxxxxxxxxxxxx", BROWSER) is None


# -- download tickets ------------------------------------------------------------------------------


def test_a_download_is_served_to_its_session_and_audited(clock: Clock, db: Database) -> None:
    token = login(db)
    ticket = offer(db, token)
    assert exports(db) == []  # offering the link exports nothing
    served = tickets.serve_download(ticket, token, BROWSER)
    assert served == tickets.Download("人员名单.xlsx", "application/x-test", b"PK-bytes")
    assert exports(db) == [{"actor": "hr", "entity_id": "人员名单.xlsx", "detail": '{"rows": 12}'}]


def test_a_download_is_built_only_when_fetched(clock: Clock, db: Database) -> None:
    token, built = login(db), []
    ticket = tickets.offer_download(
        db, token, BROWSER, file_name="a.xlsx", mime="x", rows=1, produce=lambda: built.append(1) or b"x"
    )
    assert built == []
    tickets.serve_download(ticket, token, BROWSER)
    assert built == [1]


def test_a_download_for_another_session_or_nobody_is_refused(clock: Clock, db: Database) -> None:
    token, other = login(db, "hr"), login(db, "head")
    ticket = offer(db, token)
    assert tickets.serve_download(ticket, other, BROWSER) == "not_yours"  # another person's live session
    assert tickets.serve_download(ticket, login(db, "hr"), BROWSER) == "not_yours"  # the same person, another login
    assert tickets.serve_download(ticket, None, BROWSER) == "not_yours"
    assert exports(db) == []
    assert isinstance(tickets.serve_download(ticket, token, BROWSER), tickets.Download)  # still the owner's


def test_a_download_from_another_browser_is_refused_and_ends_the_stolen_session(clock: Clock, db: Database) -> None:
    token = login(db)
    ticket = offer(db, token)
    assert tickets.serve_download(ticket, token, OTHER_BROWSER) == "not_yours"
    assert auth.resume_session(db, token, user_agent=BROWSER) is None  # the session's own rule: copied, it ends
    assert tickets.serve_download(ticket, token, BROWSER) == "gone"  # its links went with it
    assert exports(db) == []


def test_a_ticket_bound_to_one_browser_is_refused_to_another_even_if_the_session_is_not(
    clock: Clock, db: Database
) -> None:
    token = login(db, user_agent=None)  # a session bound to no browser (issued before the binding)
    ticket = offer(db, token, user_agent=BROWSER)
    assert tickets.serve_download(ticket, token, OTHER_BROWSER) == "not_yours"
    assert isinstance(tickets.serve_download(ticket, token, BROWSER), tickets.Download)


def test_a_download_after_logout_is_refused(clock: Clock, db: Database) -> None:
    token = login(db)
    ticket = offer(db, token)
    auth.end_session(db, token)  # the session ended in core (a logout, a timeout, the account disabled)
    assert tickets.serve_download(ticket, token, BROWSER) == "not_yours"
    token = login(db)
    ticket = offer(db, token)
    tickets.forget_session(token)  # what ui.session.log_out does: the session's links go at once
    assert tickets.serve_download(ticket, token, BROWSER) == "gone"
    assert exports(db) == []


def test_a_download_expires_within_minutes_of_being_shown(
    clock: Clock, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = login(db)
    ticket = offer(db, token)
    clock.now += 5 * 60 + 1
    assert tickets.serve_download(ticket, token, BROWSER) == "gone"
    monkeypatch.setenv("JIXIAO_DOWNLOAD_MINUTES", "2")
    ticket = offer(db, token)
    clock.now += 2 * 60 - 1
    assert isinstance(tickets.serve_download(ticket, token, BROWSER), tickets.Download)
    clock.now += 2
    assert tickets.serve_download(ticket, token, BROWSER) == "gone"
    assert len(exports(db)) == 1


def test_a_download_serves_a_few_times_only(clock: Clock, db: Database) -> None:
    token = login(db)
    ticket = offer(db, token)
    served = [tickets.serve_download(ticket, token, BROWSER) for _ in range(tickets.DOWNLOAD_USES + 1)]
    assert [isinstance(s, tickets.Download) for s in served] == [True] * tickets.DOWNLOAD_USES + [False]
    assert served[-1] == "gone"
    assert len(exports(db)) == tickets.DOWNLOAD_USES  # each download served is audited


def test_a_page_rerun_renews_its_live_link_but_never_a_dead_or_foreign_one(clock: Clock, db: Database) -> None:
    token = login(db)
    ticket = offer(db, token)
    clock.now += 4 * 60
    assert offer(db, token, renew=ticket) == ticket  # the same link, with a fresh lifetime
    clock.now += 4 * 60
    assert isinstance(tickets.serve_download(ticket, token, BROWSER), tickets.Download)
    other = login(db, "head")
    assert offer(db, other, renew=ticket) != ticket  # another session never takes over a link
    clock.now += 6 * 60
    assert offer(db, token, renew=ticket) != ticket  # expired: a new link, the old one stays dead
    assert tickets.serve_download(ticket, token, BROWSER) == "gone"


def test_the_store_stays_bounded(clock: Clock, db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tickets, "MAX_TICKETS", 10)
    token = login(db)
    first = offer(db, token)
    for _ in range(30):
        offer(db, token)
    assert len(tickets.STORE) <= 10
    assert tickets.serve_download(first, token, BROWSER) == "gone"  # the oldest went first


# -- the routes, as Streamlit's server (uvicorn) runs them ------------------------------------------


def request(
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
    *,
    scheme: str = "http",
    client: str = "127.0.0.1",
    trusted: str = "127.0.0.1,::1",
) -> tuple[int, list[tuple[str, str]], bytes]:
    """One request through the routes behind uvicorn's proxy-header middleware: status, headers, body."""
    app = ProxyHeadersMiddleware(Starlette(routes=web.routes()), trusted_hosts=trusted)
    raw_path, _, query = path.partition("?")
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": scheme,
        "path": unquote(raw_path), "raw_path": raw_path.encode(), "query_string": query.encode(), "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
        "client": (client, 50000), "server": ("jixiao.example", 443 if scheme == "https" else 80),
    }  # fmt: skip
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    head = [(k.decode(), v.decode()) for k, v in sent[0]["headers"]]
    return sent[0]["status"], head, b"".join(m.get("body", b"") for m in sent[1:])


def header(headers: list[tuple[str, str]], name: str) -> str | None:
    return next((v for k, v in headers if k == name.lower()), None)


def post_grant(grant: str, *, user_agent: str = BROWSER, **kwargs: str) -> tuple[int, list[tuple[str, str]], bytes]:
    return request("POST", "/_jixiao/session", {"X-JiXiao-Grant": grant, "User-Agent": user_agent}, **kwargs)


def test_the_session_route_sets_an_httponly_strict_cookie(clock: Clock, db: Database) -> None:
    token = login(db)
    status, headers, body = post_grant(tickets.grant_cookie(db, token, BROWSER))
    assert status == 204 and body == b""
    assert header(headers, "set-cookie") == f"jixiao_session={token}; HttpOnly; SameSite=Strict; Path=/"
    assert header(headers, "cache-control") == "no-store"


def test_the_session_route_clears_the_cookie(clock: Clock) -> None:
    status, headers, _ = post_grant(tickets.grant_cookie_clear(BROWSER))
    assert status == 204 and header(headers, "cache-control") == "no-store"
    assert header(headers, "set-cookie") == (
        "jixiao_session=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Strict; Path=/"
    )


@pytest.mark.parametrize(
    ("scheme", "forwarded", "client", "secure"),
    [
        ("https", None, "127.0.0.1", True),  # TLS at Streamlit's own server (server.sslCertFile)
        ("http", None, "127.0.0.1", False),  # plain HTTP
        ("http", "https", "127.0.0.1", True),  # a reverse proxy on this host that terminated TLS
        ("http", "https", "203.0.113.7", False),  # the header from anyone else is not believed
        ("https", "http", "203.0.113.7", True),  # nor can it take Secure away from a TLS request
    ],
)
def test_the_cookie_is_secure_over_https_and_behind_a_trusted_proxy(
    clock: Clock, db: Database, scheme: str, forwarded: str | None, client: str, secure: bool
) -> None:
    token = login(db)
    headers = {"X-JiXiao-Grant": tickets.grant_cookie(db, token, BROWSER), "User-Agent": BROWSER}
    if forwarded:
        headers["X-Forwarded-Proto"] = forwarded
    status, answer, _ = request("POST", "/_jixiao/session", headers, scheme=scheme, client=client)
    assert status == 204
    assert header(answer, "set-cookie").endswith("; Secure") is secure


def test_the_session_route_refuses_spent_foreign_or_missing_grants(clock: Clock, db: Database) -> None:
    token = login(db)
    grant = tickets.grant_cookie(db, token, BROWSER)
    assert post_grant(grant, user_agent=OTHER_BROWSER)[0] == 403
    assert post_grant(grant)[0] == 403  # burnt by the first try
    for refused in (post_grant("short"), request("POST", "/_jixiao/session", {"User-Agent": BROWSER})):
        status, headers, body = refused
        assert status == 403 and header(headers, "set-cookie") is None
        assert header(headers, "cache-control") == "no-store" and "此链接只对申请它的登录有效" in body.decode()
    cross_site = {"X-JiXiao-Grant": tickets.grant_cookie(db, token, BROWSER), "Sec-Fetch-Site": "cross-site"}
    assert request("POST", "/_jixiao/session", {**cross_site, "User-Agent": BROWSER})[0] == 403
    status, headers, _ = request("GET", f"/_jixiao/session?grant={tickets.grant_cookie(db, token, BROWSER)}")
    assert status == 405 and header(headers, "cache-control") == "no-store" and header(headers, "set-cookie") is None
    assert header(headers, "allow") == "POST"


def test_the_download_route_serves_an_attachment_to_its_session(clock: Clock, db: Database) -> None:
    token = login(db)
    ticket = offer(db, token)
    cookie = {"Cookie": f"jixiao_session={token}", "User-Agent": BROWSER}
    status, headers, body = request("GET", f"/_jixiao/download/{ticket}", cookie)
    assert (status, body) == (200, b"PK-bytes")
    assert header(headers, "content-type") == "application/x-test"
    assert header(headers, "cache-control") == "no-store"
    assert header(headers, "content-disposition") == (
        "attachment; filename=\"download.xlsx\"; filename*=UTF-8''%E4%BA%BA%E5%91%98%E5%90%8D%E5%8D%95.xlsx"
    )
    assert len(exports(db)) == 1


def test_the_download_route_refuses_with_a_plain_page(clock: Clock, db: Database) -> None:
    token, other = login(db), login(db, "head")
    ticket = offer(db, token)
    for cookie, status in (
        ({"Cookie": f"jixiao_session={other}", "User-Agent": BROWSER}, 403),  # another session
        ({"User-Agent": BROWSER}, 403),  # no session
        ({"Cookie": f"jixiao_session={token}", "User-Agent": OTHER_BROWSER}, 403),  # another browser
    ):
        answer, headers, body = request("GET", f"/_jixiao/download/{ticket}", cookie)
        assert answer == status and header(headers, "cache-control") == "no-store"
        assert header(headers, "content-disposition") is None and b"PK" not in body
        assert header(headers, "content-type") == "text/plain; charset=utf-8"
    unknown = request("GET", "/_jixiao/download/" + "x" * 43, {"Cookie": f"jixiao_session={other}"})
    assert unknown[0] == 404 and "此下载链接已失效" in unknown[2].decode()
    assert request("GET", "/_jixiao/download/<script>", {})[0] == 404
    status, headers, _ = request("POST", f"/_jixiao/download/{ticket}", {"Cookie": f"jixiao_session={token}"})
    assert (status, header(headers, "allow"), header(headers, "cache-control")) == (405, "GET", "no-store")
    assert exports(db) == []


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("report.xlsx", "attachment; filename=\"report.xlsx\"; filename*=UTF-8''report.xlsx"),
        ("2022年一季度考核-导入结果.xlsx", "attachment; filename=\"2022______-____.xlsx\"; filename*=UTF-8''"
         "2022%E5%B9%B4%E4%B8%80%E5%AD%A3%E5%BA%A6%E8%80%83%E6%A0%B8-%E5%AF%BC%E5%85%A5%E7%BB%93%E6%9E%9C.xlsx"),
        ('a"b\r\nSet-Cookie: x=1;.xlsx', "attachment; filename=\"a_b__Set-Cookie__x_1_.xlsx\"; "
         "filename*=UTF-8''a_b__Set-Cookie%3A%20x%3D1%3B.xlsx"),
        ("../../etc/passwd", "attachment; filename=\".._.._etc_passwd\"; filename*=UTF-8''.._.._etc_passwd"),
    ],
)  # fmt: skip
def test_content_disposition_is_an_attachment_with_a_safely_encoded_name(name: str, expected: str) -> None:
    assert web.content_disposition(name) == expected


# -- the pages' downloads --------------------------------------------------------------------------


def test_a_page_builds_its_file_when_fetched_in_the_language_it_was_shown_in(
    start_app: StartApp, company_db: Path
) -> None:
    production_pilot(company_db, calibrate=True)
    at = open_page(start_app(company_db, lang="en"), "pages/calibration.py")
    links = [b.proto.url for b in at.link_button]
    assert links and all(re.fullmatch(r"/_jixiao/download/[A-Za-z0-9_-]{43}", url) for url in links)
    served: list[object] = []
    # the route builds the file on a server thread, outside the page's run and its session state
    worker = threading.Thread(
        target=lambda: served.extend(
            tickets.serve_download(url.rsplit("/", 1)[1], at.session_state["auth.token"], None) for url in links
        )
    )
    worker.start()
    worker.join()
    by_name = {d.file_name: d for d in served if isinstance(d, tickets.Download)}
    assert len(by_name) == len(links)
    book = openpyxl.load_workbook(io.BytesIO(by_name["grade-distribution.xlsx"].data))
    assert book.sheetnames == ["grade-distribution"]
    assert [c.value for c in book.active[1]][:2] == ["Department", "Appraisals"]


# -- how the app is started -------------------------------------------------------------------------


def test_serve_py_is_streamlit_with_the_routes_and_everything_starts_it() -> None:
    found = discover_asgi_app(ROOT / "serve.py")
    assert found.is_asgi_app and found.import_string == "serve:app"
    assert 'st.App("app.py", routes=routes())' in (ROOT / "serve.py").read_text(encoding="utf-8")
    paths = {route.path for route in web.routes()}
    assert paths == {"/_jixiao/session", "/_jixiao/download/{ticket}"}
    for starter in ("Makefile", "tests/e2e/conftest.py", "README.md"):
        text = (ROOT / starter).read_text(encoding="utf-8")
        assert "streamlit run serve.py" in text or '"run", "serve.py"' in text, starter
        assert "streamlit run app.py --" not in text and '"run", "app.py"' not in text, starter
