"""``python -m demo`` into an existing database is all or nothing (issue 10, point 14): it builds in a
temporary copy and moves it into place only when complete. Killed midway — SIGKILL while it is importing
into its copy — the old database, key and head are byte for byte what they were and nothing new stands
beside them; SIGTERM also removes its temporary directory; a finished build replaces the database,
keeps its key, and its trail still verifies."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from core import audit
from core.db import audit_files, open_database
from demo.__main__ import STAGING_PREFIX, remove_leftovers

ROOT = Path(__file__).resolve().parent.parent
ARGS = ("--employees", "40", "--years", "1")


@pytest.fixture
def existing(tmp_path: Path) -> Path:
    """A database in use: a table of its own and an audit trail, keyed and checkpointed."""
    path = tmp_path / "data" / "jixiao.duckdb"
    with open_database(path) as db:
        with db.transaction() as cur:
            cur.execute("CREATE TABLE mine (x INTEGER)")
            cur.execute("INSERT INTO mine VALUES (42)")
            audit.record(cur, "hr1", "export", "report", "before")
    return path


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _start(db: Path, tmp: Path, workdir: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("JIXIAO_DB", "JIXIAO_KEY_FILE")}
    env["TMPDIR"] = str(tmp)  # where the temporary build goes, to look into it afterwards
    return subprocess.Popen(
        [sys.executable, "-m", "demo", "--db", str(db), *ARGS, "--workdir", str(workdir)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1,
    )  # fmt: skip


def _stop_while_importing(proc: subprocess.Popen[str], signum: int) -> list[str]:
    """Wait until the build has imported its first file into its copy (the second file's progress line),
    then send ``signum``; the lines read so far."""
    watchdog = threading.Timer(300, proc.kill)  # a hung build fails the test instead of hanging it
    watchdog.start()
    seen: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            seen.append(line)
            if sum("正在导入" in s for s in seen) >= 2:
                proc.send_signal(signum)
                break
        proc.communicate(timeout=120)
    finally:
        watchdog.cancel()
    assert sum("正在导入" in s for s in seen) >= 2, "".join(seen)  # it had started writing when stopped
    return seen


@pytest.mark.slow
def test_killed_midway_leaves_the_old_database_byte_identical_and_nothing_beside_it(
    existing: Path, tmp_path: Path
) -> None:
    tmp, workdir = tmp_path / "tmp", tmp_path / "files"
    tmp.mkdir()
    before = _snapshot(existing.parent)
    proc = _start(existing, tmp, workdir)
    _stop_while_importing(proc, signal.SIGKILL)
    assert proc.returncode == -signal.SIGKILL
    assert _snapshot(existing.parent) == before  # same names, same bytes: database, key, head
    assert not workdir.exists()
    # SIGKILL cannot clean up: its build is left in $TMPDIR, and the next run removes it
    left = [p for p in tmp.iterdir() if p.name.startswith(f"{STAGING_PREFIX}{proc.pid}-")]
    assert left and (left[0] / "demo.duckdb").exists()
    assert remove_leftovers(tmp) == left and not any(tmp.iterdir())
    with open_database(existing) as db:
        assert db.scalar("SELECT x FROM mine") == 42 and db.scalar("SELECT count(*) FROM employees") == 0
        assert audit.verify_chain(db).ok


@pytest.mark.slow
def test_terminated_midway_leaves_the_old_database_and_no_temporary_files_at_all(
    existing: Path, tmp_path: Path
) -> None:
    tmp, workdir = tmp_path / "tmp", tmp_path / "files"
    tmp.mkdir()
    before = _snapshot(existing.parent)
    proc = _start(existing, tmp, workdir)
    _stop_while_importing(proc, signal.SIGTERM)
    assert proc.returncode == 128 + signal.SIGTERM
    assert _snapshot(existing.parent) == before
    assert not workdir.exists() and not any(tmp.iterdir())


@pytest.mark.slow
def test_a_finished_build_replaces_the_database_under_its_own_key(existing: Path, tmp_path: Path) -> None:
    tmp, workdir = tmp_path / "tmp", tmp_path / "files"
    tmp.mkdir()
    files = audit_files(existing)
    key = files.key.read_bytes()
    proc = _start(existing, tmp, workdir)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, out + err
    # the database, its key and heads, and the closed quarter's signing CA and archive beside it
    assert sorted(p.name for p in existing.parent.iterdir()) == sorted(
        [existing.name, files.key.name, files.head.name, files.signoff_head.name, "archive", "ca"]
    )
    assert not any(tmp.iterdir())
    assert files.key.read_bytes() == key  # the trail goes on under the key it was written with
    for p in existing.parent.iterdir():
        assert stat.S_IMODE(p.stat().st_mode) == (0o700 if p.is_dir() else 0o600), p
    with open_database(existing) as db:
        assert db.scalar("SELECT x FROM mine") == 42 and db.scalar("SELECT count(*) FROM employees") == 40
        check = audit.verify_chain(db)
        assert check.ok, check.message
        rows = db.cursor().execute("SELECT detail FROM audit_log WHERE seq > 1").fetchall()
    details = [json.loads(detail or "{}") for (detail,) in rows]
    me = audit.os_user()
    assert details and all(d.get("os_user") == me for d in details)  # every row of the build names who ran it
