"""``python -m core.admin``: account commands, audit verification, and the busy sentence when the file is held."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.admin import build_parser
from core.db import open_database

ROOT = Path(__file__).resolve().parent.parent


def _admin(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "JIXIAO_DB"}
    return subprocess.run(
        [sys.executable, "-m", "core.admin", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_the_parser_knows_the_commands_and_the_demo_is_no_longer_one() -> None:
    args = build_parser().parse_args(["verify-audit", "--db", "x.duckdb"])
    assert (args.command, args.db) == ("verify-audit", "x.duckdb")
    with pytest.raises(SystemExit):
        build_parser().parse_args([])
    with pytest.raises(SystemExit):  # the demo company is `python -m demo`
        build_parser().parse_args(["demo", "--db", "x.duckdb"])


def test_a_database_held_by_another_process_gives_the_busy_sentence_and_exit_2(held_db: Path) -> None:
    busy = _admin("verify-audit", "--db", str(held_db))
    assert busy.returncode == 2, busy.stdout + busy.stderr
    assert "正被" in busy.stderr and "数据库文件" in busy.stderr
    assert "Traceback" not in busy.stderr + busy.stdout


def _cli(db_path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "core.admin", *args, "--db", str(db_path)],
        cwd=ROOT, input=stdin, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.mark.slow
def test_user_commands_and_audit_verification(tmp_path) -> None:
    from core import audit, auth

    db_path = tmp_path / "users.duckdb"
    with open_database(db_path) as db:
        db.cursor().execute("INSERT INTO employees (employee_id, name, status) VALUES ('000007', '测试甲', 'active')")
    made = _cli(db_path, "create-user", "hr1", "--role", "hr", "--password-stdin", stdin="Secret-2026x\n")
    assert made.returncode == 0 and "已创建用户 hr1" in made.stdout
    made = _cli(
        db_path,
        "create-user",
        "emp7",
        "--employee",
        "000007",
        "--role",
        "employee",
        "--password-stdin",
        stdin="Secret-2026x\n",
    )
    assert made.returncode == 0, made.stdout
    bad = _cli(
        db_path,
        "create-user",
        "emp8",
        "--employee",
        "999999",
        "--role",
        "employee",
        "--password-stdin",
        stdin="Secret-2026x\n",
    )
    assert bad.returncode == 1 and "不在花名册" in bad.stdout
    weak = _cli(db_path, "reset-password", "emp7", "--password-stdin", stdin="short\n")
    assert weak.returncode == 1 and "至少 10 位" in weak.stdout
    assert _cli(db_path, "reset-password", "emp7", "--password-stdin", stdin="Another456\n").returncode == 0
    assert _cli(db_path, "disable", "emp7").returncode == 0
    with open_database(db_path) as db:
        with pytest.raises(auth.LoginFailed):
            auth.authenticate(db, "emp7", "Another456")
        assert auth.authenticate(db, "hr1", "Secret-2026x").username == "hr1"
        actions = [r["action"] for r in db.rows("SELECT action FROM audit_log ORDER BY seq")]
        assert {"user_create", "password_reset", "user_disable"} <= set(actions)
    assert _cli(db_path, "disable", "emp7", "--enable").returncode == 0
    intact = _cli(db_path, "verify-audit")
    assert intact.returncode == 0 and "完整" in intact.stdout
    with open_database(db_path) as db:
        db.cursor().execute("UPDATE audit_log SET actor = 'someone' WHERE seq = 2")
        assert not audit.verify_chain(db).ok
    broken = _cli(db_path, "verify-audit")
    assert broken.returncode == 1 and "第 2 行" in broken.stdout
