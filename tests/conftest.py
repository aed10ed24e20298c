"""Shared fixtures: fresh databases, the small fixture company with one login per role, the demo company
built once per session, and the shared corpus."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from core import auth
from core.db import Database, copy_database, open_database
from tests.apptest import StartApp
from tests.workbooks import fixture_people, write_legacy_history, write_roster

if TYPE_CHECKING:
    from demo.build import DemoSummary

ROOT = Path(__file__).resolve().parent.parent
CORPUS_DIR = ROOT.parent / "shared" / "corpus"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """The path of a database file that does not exist yet."""
    return tmp_path / "jixiao.duckdb"


@pytest.fixture
def fresh_db(db_path: Path) -> Iterator[Database]:
    """A new, migrated, empty database in a temporary directory."""
    db = open_database(db_path)
    yield db
    db.close()


@pytest.fixture(scope="session")
def fixture_company_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The fixture company's roster and legacy history as workbooks (12 people, 3 departments, 2023 Q1–Q4)."""
    folder = tmp_path_factory.mktemp("company_files")
    people = fixture_people()
    return {
        "roster": write_roster(folder / "花名册.xlsx", people),
        "legacy": write_legacy_history(folder / "2023年绩效考核.xlsx", people),
    }


@pytest.fixture(scope="session")
def fixture_company(tmp_path_factory: pytest.TempPathFactory, fixture_company_files: dict[str, Path]) -> Path:
    """A database file holding the fixture company, imported through ``pipelines.import_file``.

    Built once per session; the connection is closed afterwards, so tests (and the app under test)
    open it themselves. Tests must not write to it: take ``fresh_db`` for that.
    """
    from pipelines import import_file  # the pipeline is imported lazily so core tests run without it

    path = tmp_path_factory.mktemp("company_db") / "company.duckdb"
    with open_database(path) as db:
        for source in ("roster", "legacy"):
            report = import_file(db, fixture_company_files[source], source=source, uploaded_by="fixture")
            assert report.status == "loaded", (source, report.to_dict())
    return path


# The demo company the tests share: small enough to build in seconds, with this quarter (2026 Q4) open.
DEMO_EMPLOYEES, DEMO_YEARS, DEMO_SEED = 120, 1, 7
DEMO_TODAY = dt.date(2026, 11, 27)


@dataclass(frozen=True)
class BuiltDemo:
    """The session's demo company: its database file (never opened for writing: take ``demo_db``), what
    ``build_demo`` reported, every progress step it gave, and the folder of the workbooks it imported."""

    path: Path
    summary: DemoSummary
    steps: list[tuple[float, str]]
    workdir: Path


@pytest.fixture(scope="session")
def demo_company(tmp_path_factory: pytest.TempPathFactory) -> BuiltDemo:
    """The demo company (:data:`DEMO_EMPLOYEES` people, :data:`DEMO_YEARS` year of history, seed
    :data:`DEMO_SEED`, built as on :data:`DEMO_TODAY`) with its logins and current cycle, built once per
    session through ``demo.build.build_demo``. Read it with ``open_database(path, read_only=True)``."""
    from demo.build import build_demo  # imported lazily, as the pipeline above, so core tests run without it

    folder = tmp_path_factory.mktemp("demo_company")
    steps: list[tuple[float, str]] = []
    with open_database(folder / "demo.duckdb") as db:
        summary = build_demo(
            db,
            employees=DEMO_EMPLOYEES,
            years=DEMO_YEARS,
            seed=DEMO_SEED,
            workdir=folder / "files",
            today=DEMO_TODAY,
            progress=lambda fraction, message: steps.append((fraction, message)),
        )
    return BuiltDemo(folder / "demo.duckdb", summary, steps, folder / "files")


@pytest.fixture
def demo_db(tmp_path: Path, demo_company: BuiltDemo) -> Path:
    """A private copy of the demo company's database: tests may log in, write and tamper."""
    path = tmp_path / "demo.duckdb"
    copy_database(demo_company.path, path)
    return path


@pytest.fixture
def held_db(tmp_path: Path) -> Iterator[Path]:
    """A database file held open by another process (as by a running app) for the test's duration."""
    path = tmp_path / "held.duckdb"
    open_database(path).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import sys
            from core.db import open_database
            db = open_database({str(path)!r})
            print("ready", flush=True)
            sys.stdin.read()
        """),
        ],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        yield path
    finally:
        holder.kill()
        holder.wait(timeout=30)


@pytest.fixture
def corpus_dir() -> Path:
    """The shared corpus of real public files (``../shared/corpus``); skips the test when it is absent."""
    if not CORPUS_DIR.is_dir():
        pytest.skip(f"the shared corpus is not present at {CORPUS_DIR} (see DESIGN.md §7)")
    return CORPUS_DIR


# The fixture company's logins: username -> (roles, 工号). 生产部 is 00101 (head) with 00102–00104 reporting
# to them; 质检部 00201–00204 and 销售部 00301–00304 likewise. The HRBP follows 质检部.
PASSWORD = "Passw0rd-test"
LOGINS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "hr": (("hr",), None),
    "admin": (("admin",), None),
    "head": (("manager",), "00101"),
    "worker": (("employee",), "00102"),
    "bp": (("hrbp",), None),
    "exec": (("executive",), "00301"),
    "analyst": (("analyst",), None),
}
HRBP_DEPARTMENT = "质检部"


def ensure_login(db: Database, username: str) -> auth.User:
    """The account ``username`` of :data:`LOGINS`, created if missing (HRBP departments looked up by name)."""
    existing = auth.get_user(db, username)
    if existing:
        return existing
    roles, employee_id = LOGINS[username]
    departments = ()
    if "hrbp" in roles:
        departments = (db.scalar("SELECT dept_id FROM departments WHERE name = ?", [HRBP_DEPARTMENT]),)
    return auth.create_user(
        db, "fixture", username, PASSWORD, list(roles), employee_id=employee_id, hrbp_departments=departments
    )


def session_token(db_path: Path, username: str) -> str:
    """A live session of ``username`` (created if missing) in the database at ``db_path``, as a login would start."""
    with open_database(db_path) as db:
        return auth.start_session(db, ensure_login(db, username))


@pytest.fixture(scope="session")
def access_company(tmp_path_factory: pytest.TempPathFactory, fixture_company: Path) -> Path:
    """The fixture company with every login of :data:`LOGINS` (password :data:`PASSWORD`). Read-only: take
    ``company_db`` for a copy a test may write to."""
    path = tmp_path_factory.mktemp("access_db") / "company.duckdb"
    copy_database(fixture_company, path)
    with open_database(path) as db:
        for username in LOGINS:
            ensure_login(db, username)
    return path


@pytest.fixture
def company_db(tmp_path: Path, access_company: Path) -> Path:
    """A private copy of the fixture company with its logins: tests may log in, write and tamper."""
    path = tmp_path / "company.duckdb"
    copy_database(access_company, path)
    return path


@pytest.fixture
def start_app(monkeypatch: pytest.MonkeyPatch) -> Iterator[StartApp]:
    """Run app.py (or, with ``page``, one page file on its own) once against a database file; returns
    the AppTest. ``login`` is the account of :data:`LOGINS` whose session this browser holds, as after
    logging in (None: not logged in); ``query`` the URL's query parameters.

    AppTest forgets on every run that st.navigation was called, and with a ``pages/`` folder next to
    app.py it then reruns a page without the entry script (no sidebar, no navigation). A real server
    remembers. The patch makes AppTest remember too, so reruns go through app.py as in production.
    """
    init = PagesManager.__init__

    def init_as_server(self: PagesManager, *args: object, **kwargs: object) -> None:
        init(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init_as_server)

    def start(
        db_path: Path,
        *,
        lang: str | None = None,
        login: str | None = "hr",
        page: str = "app.py",
        query: dict[str, str] | None = None,
    ) -> AppTest:
        monkeypatch.setenv("JIXIAO_DB", str(db_path))
        at = AppTest.from_file(str(ROOT / page), default_timeout=60)
        if lang:
            at.session_state["ui.lang"] = lang
        if login:
            at.session_state["auth.token"] = session_token(db_path, login)
        at.query_params.update(query or {})
        at.run()
        assert not at.exception, at.exception
        return at

    yield start
