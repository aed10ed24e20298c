"""Who acted from a command line (issue 10, point 12): the operating-system account running it, from the
process's user id (not ``$USER``, which anyone can set), with ``--user`` recorded beside it as a claim,
never instead of it — for the account commands, rekey-audit, imports and undo (tests/test_pipelines_cli.py)
and the demo build (tests/test_demo_atomic.py)."""

from __future__ import annotations

import json
import os
import pwd
import subprocess
import sys
from pathlib import Path

import pytest

from core import audit
from core.db import open_database

ROOT = Path(__file__).resolve().parent.parent
ME = pwd.getpwuid(os.getuid()).pw_name
PASSWORD = "Quarterly-Review-2026\n"


def _admin(*args: str, user_env: str = "mallory") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("JIXIAO_DB", "JIXIAO_KEY_FILE")}
    env.update(USER=user_env, LOGNAME=user_env)  # what a shell says the user is: not to be believed
    return subprocess.run(
        [sys.executable, "-m", "core.admin", *args], cwd=ROOT, env=env, input=PASSWORD, capture_output=True,
        text=True, timeout=120, check=False,
    )  # fmt: skip


def test_os_user_comes_from_the_user_id_not_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USER", "mallory")
    monkeypatch.setenv("LOGNAME", "mallory")
    assert audit.os_user() == ME and audit.os_actor() == f"os:{ME}"


def test_account_commands_record_the_os_account_and_the_claim_both(tmp_path: Path) -> None:
    db_path = tmp_path / "data" / "jixiao.duckdb"
    made = _admin("create-user", "hr1", "--role", "hr", "--password-stdin", "--user", "hr_zhang", "--db", str(db_path))
    assert made.returncode == 0, made.stdout + made.stderr
    plain = _admin("disable", "hr1", "--db", str(db_path))  # no claim: the OS account alone
    assert plain.returncode == 0, plain.stdout + plain.stderr
    with open_database(db_path) as db:
        created = db.one("SELECT actor, detail FROM audit_log WHERE action = 'user_create'")
        disabled = db.one("SELECT actor, detail FROM audit_log WHERE action = 'user_disable'")
        assert db.scalar("SELECT count(*) FROM audit_log WHERE actor LIKE '%mallory%' OR detail LIKE '%mallory%'") == 0
    assert created["actor"] == f"os:{ME}"
    assert json.loads(created["detail"])["claimed_user"] == "hr_zhang"
    assert disabled["actor"] == f"os:{ME}"
    assert "claimed_user" not in json.loads(disabled["detail"] or "{}")


def test_a_claim_never_takes_the_place_of_the_os_account(tmp_path: Path) -> None:
    db_path = tmp_path / "data" / "jixiao.duckdb"
    made = _admin("create-user", "hr1", "--role", "hr", "--password-stdin", "--user", f"os:{ME}x", "--db", str(db_path))
    assert made.returncode == 0, made.stdout + made.stderr
    with open_database(db_path) as db:
        actors = {r["actor"] for r in db.rows("SELECT actor FROM audit_log")}
    assert actors <= {f"os:{ME}", "system"}, actors


def test_annotated_adds_the_claim_to_every_row_inside_and_to_none_outside(tmp_path: Path) -> None:
    with open_database(tmp_path / "x.duckdb") as db:
        with audit.annotated(claimed_user="hr_li", os_user=None):
            audit.log(db, audit.os_actor(), "export", "report", "r1", {"rows": 3})
            audit.log(db, audit.os_actor(), "export", "report", "r2", "plain text")
        audit.log(db, audit.os_actor(), "export", "report", "r3", {"rows": 1})
        details = {r["entity_id"]: r["detail"] for r in db.rows("SELECT entity_id, detail FROM audit_log")}
        assert audit.verify_chain(db).ok
    assert json.loads(details["r1"]) == {"rows": 3, "claimed_user": "hr_li"}
    assert json.loads(details["r2"]) == {"detail": "plain text", "claimed_user": "hr_li"}
    assert json.loads(details["r3"]) == {"rows": 1}
