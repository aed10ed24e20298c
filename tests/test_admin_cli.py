"""``python -m core.admin demo``: builds on demand, skips with --if-missing, and says so when the file is held."""

from __future__ import annotations

import os
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
