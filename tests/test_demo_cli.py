"""``python -m demo``: builds on demand, skips with --if-missing, and says so when the file is held."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from core.db import open_database
from demo.__main__ import build_parser, main

ROOT = Path(__file__).resolve().parent.parent


def _demo(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "JIXIAO_DB"}
    return subprocess.run(
        [sys.executable, "-m", "demo", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_the_parser_knows_the_options_and_their_defaults() -> None:
    args = build_parser().parse_args(["--db", "x.duckdb", "--employees", "40", "--years", "2", "--if-missing"])
    assert (args.db, args.employees, args.years, args.seed, args.if_missing) == ("x.duckdb", 40, 2, 2024, True)
    assert args.workdir is None
    defaults = build_parser().parse_args([])
    assert (defaults.db, defaults.employees, defaults.years, defaults.seed, defaults.if_missing) == (
        None, 420, 3, 2024, False
    )  # fmt: skip
    with pytest.raises(SystemExit):
        build_parser().parse_args(["demo"])  # no sub-command any more: `python -m demo` is the command


@pytest.mark.slow
def test_demo_builds_a_database_and_if_missing_leaves_it_alone(tmp_path: Path) -> None:
    db = tmp_path / "demo.duckdb"
    built = _demo("--db", str(db), "--employees", "40", "--years", "1", "--workdir", str(tmp_path / "files"))
    assert built.returncode == 0, built.stdout + built.stderr
    assert "正在生成演示公司" in built.stdout and "完成" in built.stdout and "正在导入 花名册.xlsx" in built.stdout
    assert re.search(r"当前考核周期「\d{4}年第.季度考核」已开启：\d+ 份考核", built.stdout), built.stdout
    closed = re.search(
        r"上季度「\d{4}年第.季度考核」已走完并关闭：(\d+) 份考核经员工和主管确认，(\d+) 份签章 PDF", built.stdout
    )
    assert closed and closed.group(1) == closed.group(2) and int(closed.group(1)) > 30, built.stdout
    # the minutes after the import say what they are doing: the four stages, calibration, confirmations
    assert "正在校准各部门" in built.stdout and "员工和主管确认结果、签发 PDF（0/" in built.stdout, built.stdout
    # the CA, the archive and the ledger's head moved into place with the database: the evidence verifies there
    assert len(list((tmp_path / "archive").rglob("*.pdf"))) == int(closed.group(1))
    assert (tmp_path / "ca").is_dir()
    verified = subprocess.run(
        [sys.executable, "-m", "core.admin", "verify-signoffs", "--db", str(db)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "演示账户：hr、" in built.stdout and "JiXiao-demo-2024" in built.stdout
    assert "Traceback" not in built.stderr
    assert db.exists()
    assert not list(tmp_path.glob(".demo-*")), "the temporary build file was left behind"
    with open_database(db) as opened:
        assert opened.scalar("SELECT count(*) FROM employees") == 40
        assert opened.scalar("SELECT count(*) FROM appraisals") > 100
        batches = opened.scalar("SELECT count(*) FROM import_batches")
    before = db.stat().st_mtime_ns

    skipped = _demo(
        "--db", str(db), "--employees", "40", "--years", "1", "--if-missing", "--workdir", str(tmp_path / "files")
    )
    assert skipped.returncode == 0, skipped.stdout + skipped.stderr
    assert "已存在" in skipped.stdout
    assert db.stat().st_mtime_ns == before
    with open_database(db) as opened:
        assert opened.scalar("SELECT count(*) FROM import_batches") == batches


def test_too_few_employees_or_years_are_refused_before_anything_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for args in (("--employees", "11"), ("--years", "0")):
        assert main(["--db", str(tmp_path / "x.duckdb"), *args, "--workdir", str(tmp_path / "files")]) == 1
        assert "员工人数至少为 12" in capsys.readouterr().out
    assert not list(tmp_path.iterdir())


def test_a_database_held_by_another_process_gives_the_busy_sentence_and_exit_2(held_db: Path, tmp_path: Path) -> None:
    busy = _demo(
        "--db", str(held_db), "--employees", "40", "--years", "1", "--workdir", str(tmp_path / "f"), timeout=120
    )
    assert busy.returncode == 2, busy.stdout + busy.stderr
    assert "正被" in busy.stderr and "数据库文件" in busy.stderr
    assert "Traceback" not in busy.stderr + busy.stdout
