"""Shared fixtures: fresh databases, the small fixture company, and the shared corpus."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.db import Database, open_database
from tests.workbooks import fixture_people, write_legacy_history, write_roster

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


@pytest.fixture
def corpus_dir() -> Path:
    """The shared corpus of real public files (``../shared/corpus``); skips the test when it is absent."""
    if not CORPUS_DIR.is_dir():
        pytest.skip(f"the shared corpus is not present at {CORPUS_DIR} (see DESIGN.md §7)")
    return CORPUS_DIR
