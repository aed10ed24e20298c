"""Private files (issue 10, point 13): the database file, its WAL, the audit key and the head checkpoint are
created readable by their owner only (0600) and the data directory 0700, even under the usual umask 022 —
by the app's own open, by the first command run against a new database, by a copy and by a backup."""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from core import audit
from core.db import audit_files, copy_database, open_database, wal_path

ROOT = Path(__file__).resolve().parent.parent


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The umask most systems start services with: files 0644 and directories 0755 unless tightened."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def test_a_new_database_its_wal_key_and_head_are_0600_in_a_0700_directory(tmp_path: Path) -> None:
    path = tmp_path / "srv" / "data" / "jixiao.duckdb"
    with open_database(path) as db:
        assert mode(path.parent) == 0o700 and mode(path) == 0o600
        audit.log(db, "hr1", "export", "report", "r1")  # the first audited write makes the key and the head
        files = audit_files(path)
        assert mode(files.key) == 0o600 and mode(files.head) == 0o600
        with db.transaction() as cur:  # DuckDB makes its WAL anew under the umask: tightened after each commit
            cur.execute("CREATE TABLE t (x INTEGER)")
            cur.execute("INSERT INTO t VALUES (1)")
        if wal_path(path).exists():
            assert mode(wal_path(path)) == 0o600
        for entry in path.parent.iterdir():
            assert mode(entry) == 0o600, entry
    assert mode(path.parent.parent) == 0o755  # only the data directory itself: its parents may be shared


def test_the_first_command_on_a_new_install_creates_private_files(tmp_path: Path) -> None:
    path = tmp_path / "data" / "jixiao.duckdb"
    env = {k: v for k, v in os.environ.items() if k not in ("JIXIAO_DB", "JIXIAO_KEY_FILE")}
    done = subprocess.run(
        [sys.executable, "-m", "core.admin", "create-user", "hr1", "--role", "hr", "--password-stdin", "--db",
         str(path)],
        cwd=ROOT, env=env, input="Quarterly-Review-2026\n", capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    files = audit_files(path)
    assert mode(path.parent) == 0o700
    names = {p.name: mode(p) for p in path.parent.iterdir()}
    assert {path.name, files.key.name, files.head.name} <= names.keys()
    assert set(names.values()) == {0o600}, names


def test_a_key_file_set_by_jixiao_key_file_is_created_0600_with_its_head_beside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "data" / "jixiao.duckdb"
    key = tmp_path / "secrets" / "jixiao.key"
    monkeypatch.setenv("JIXIAO_DB", str(path))
    monkeypatch.setenv("JIXIAO_KEY_FILE", str(key))
    with open_database() as db:
        assert db.key_file == key and db.head_file == key.with_name("jixiao.head")
        audit.log(db, "hr1", "export", "report", "r1")
        assert audit.verify_chain(db).ok
    assert mode(key) == 0o600 and mode(key.with_name("jixiao.head")) == 0o600
    assert mode(key.parent) == 0o700
    assert not (path.parent / "jixiao.key").exists()


def test_a_copy_and_a_backup_are_private_too(tmp_path: Path) -> None:
    path = tmp_path / "data" / "jixiao.duckdb"
    with open_database(path) as db:
        audit.log(db, "hr1", "export", "report", "r1")
    copy = copy_database(path, tmp_path / "copies" / "c.duckdb")
    assert mode(copy.parent) == 0o700
    assert all(mode(p) == 0o600 for p in copy.parent.iterdir())
    backup = tmp_path / "backups" / "b.duckdb"
    done = subprocess.run(
        [sys.executable, "-m", "core.admin", "backup", str(backup), "--db", str(path)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert mode(backup) == 0o600 and mode(audit_files(backup).head) == 0o600 and mode(backup.parent) == 0o700


def test_a_looser_existing_data_directory_is_left_as_it_is_and_warned_about(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    with caplog.at_level(logging.WARNING, logger="core.db"), open_database(shared / "jixiao.duckdb"):
        pass
    assert mode(shared) == 0o755 and mode(shared / "jixiao.duckdb") == 0o600
    assert any("chmod 700" in r.getMessage() for r in caplog.records)
