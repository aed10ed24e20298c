"""``python -m core.admin demo``: builds on demand, skips with --if-missing, and says so when the file is held."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from core.admin import build_parser
from core.db import open_database

ROOT = Path(__file__).resolve().parent.parent


def _admin(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
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


def test_the_parser_knows_the_demo_command_and_its_options() -> None:
    args = build_parser().parse_args(["demo", "--db", "x.duckdb", "--employees", "40", "--years", "2", "--if-missing"])
    assert (args.command, args.db, args.employees, args.years, args.seed, args.if_missing) == (
        "demo",
        "x.duckdb",
        40,
        2,
        2024,
        True,
    )
    assert args.workdir is None
    with pytest.raises(SystemExit):
        build_parser().parse_args([])


def test_demo_builds_a_database_and_if_missing_leaves_it_alone(tmp_path: Path) -> None:
    pytest.importorskip("pipelines")
    db = tmp_path / "demo.duckdb"
    built = _admin("demo", "--db", str(db), "--employees", "40", "--years", "1", "--workdir", str(tmp_path / "files"))
    assert built.returncode == 0, built.stdout + built.stderr
    assert "正在生成演示公司" in built.stdout and "完成" in built.stdout and "正在导入 花名册.xlsx" in built.stdout
    assert re.search(r"当前考核周期「\d{4}年第.季度考核」已开启：\d+ 份考核", built.stdout), built.stdout
    assert "Traceback" not in built.stderr
    assert db.exists()
    assert not list(tmp_path.glob(".demo-*")), "the temporary build file was left behind"
    with open_database(db) as opened:
        assert opened.scalar("SELECT count(*) FROM employees") == 40
        assert opened.scalar("SELECT count(*) FROM appraisals") > 100
        batches = opened.scalar("SELECT count(*) FROM import_batches")
    before = db.stat().st_mtime_ns

    skipped = _admin(
        "demo",
        "--db",
        str(db),
        "--employees",
        "40",
        "--years",
        "1",
        "--if-missing",
        "--workdir",
        str(tmp_path / "files"),
    )
    assert skipped.returncode == 0, skipped.stdout + skipped.stderr
    assert "已存在" in skipped.stdout
    assert db.stat().st_mtime_ns == before
    with open_database(db) as opened:
        assert opened.scalar("SELECT count(*) FROM import_batches") == batches


def test_a_database_held_by_another_process_gives_the_busy_sentence_and_exit_2(tmp_path: Path) -> None:
    db = tmp_path / "held.duckdb"
    open_database(db).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import sys, time
            from core.db import open_database
            db = open_database({str(db)!r})
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
        busy = _admin(
            "demo", "--db", str(db), "--employees", "40", "--years", "1", "--workdir", str(tmp_path / "f"), timeout=120
        )
    finally:
        holder.kill()
        holder.wait(timeout=30)
    assert busy.returncode == 2, busy.stdout + busy.stderr
    assert "正被" in busy.stderr and "数据库文件" in busy.stderr
    assert "Traceback" not in busy.stderr + busy.stdout


def _cli(db_path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "core.admin", *args, "--db", str(db_path)],
        cwd=ROOT, input=stdin, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_user_commands_and_audit_verification(tmp_path) -> None:
    from core import audit, auth
    from core.db import open_database

    db_path = tmp_path / "users.duckdb"
    with open_database(db_path) as db:
        db.cursor().execute("INSERT INTO employees (employee_id, name, status) VALUES ('000007', '测试甲', 'active')")
    made = _cli(db_path, "create-user", "hr1", "--role", "hr", "--password-stdin", stdin="Secret123\n")
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
        stdin="Secret123\n",
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
        stdin="Secret123\n",
    )
    assert bad.returncode == 1 and "不在花名册" in bad.stdout
    weak = _cli(db_path, "reset-password", "emp7", "--password-stdin", stdin="short\n")
    assert weak.returncode == 1 and "至少 8 位" in weak.stdout
    assert _cli(db_path, "reset-password", "emp7", "--password-stdin", stdin="Another456\n").returncode == 0
    assert _cli(db_path, "disable", "emp7").returncode == 0
    with open_database(db_path) as db:
        with pytest.raises(auth.LoginFailed):
            auth.authenticate(db, "emp7", "Another456")
        assert auth.authenticate(db, "hr1", "Secret123").username == "hr1"
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
