"""``python -m pipelines import FILE... [--source] [--db] [--json] [--user]`` and ``python -m pipelines undo
BATCH_ID [--db] [--json] [--user]`` as HR's scripts call them.

Exit status of import: 0 processed (even with rejected rows), 2 refused, 1 failed or database busy.
Exit status of undo: 0 undone, 2 refused (no such batch, already undone, something depends on it), 1 failed.
"""

from __future__ import annotations

import json
import os
import pwd
import subprocess
import sys
import time
from pathlib import Path

import pytest

import pipelines.__main__ as cli
import pipelines.importer as importer
import pipelines.undo as undo_module
from core.db import open_database
from tests import builders as b

ROOT = Path(__file__).resolve().parents[1]
HAN = b.HAN
REPORT_KEYS = {"rows_read", "rows_loaded", "rows_rejected", "rejects", "status"}
REJECT_KEYS = {"sheet", "row", "column", "value", "reason"}


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "JIXIAO_DB"}
    return subprocess.run(
        [sys.executable, "-m", "pipelines", "import", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def messy(tmp_path: Path) -> tuple[Path, b.MessyLayout]:
    return b.write_messy_legacy(tmp_path / "2024年考核.xlsx")


def test_json_report_of_a_file_with_bad_rows_exits_0(tmp_path: Path, messy) -> None:
    path, layout = messy
    db_path = tmp_path / "cli.duckdb"
    done = run_cli(str(path), "--db", str(db_path), "--json", "--user", "hr_zhang")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert REPORT_KEYS <= report.keys()
    bad_rows = sorted(row for row, case in layout.data_rows.items() if case.expect_score is None)
    assert report["status"] == "partial"
    assert (report["rows_read"], report["rows_loaded"], report["rows_rejected"]) == (8, 6, 2)
    assert sorted(r["row"] for r in report["rejects"]) == bad_rows
    for r in report["rejects"]:
        assert set(r) >= REJECT_KEYS
        assert r["sheet"] == layout.sheet and HAN.search(r["reason"])
    with open_database(db_path) as db:
        assert db.scalar("SELECT count(*) FROM appraisals") == 6
        # the uploader is the OS account running the command; --user is only the claim beside it
        assert db.one("SELECT uploaded_by, status FROM import_batches") == {
            "uploaded_by": f"os:{pwd.getpwuid(os.getuid()).pw_name}",
            "status": "partial",
        }
        row = db.one("SELECT actor, detail FROM audit_log WHERE action = 'import'")
        assert row["actor"] == f"os:{pwd.getpwuid(os.getuid()).pw_name}"
        assert json.loads(row["detail"])["claimed_user"] == "hr_zhang"


def test_refused_file_prints_its_report_and_exits_2(tmp_path: Path) -> None:
    empty = tmp_path / "空.xlsx"
    empty.write_bytes(b"")
    done = run_cli(str(empty), "--db", str(tmp_path / "cli.duckdb"), "--json")
    assert done.returncode == 2, (done.stdout, done.stderr)
    report = json.loads(done.stdout)
    assert REPORT_KEYS <= report.keys()
    assert report["status"] == "refused"
    assert "空" in report["message"] and HAN.search(report["message"])
    assert (report["rows_read"], report["rows_loaded"], report["rows_rejected"], report["rejects"]) == (0, 0, 0, [])


def test_several_files_one_refused_prints_a_list_and_exits_2(tmp_path: Path) -> None:
    roster = b.write_roster_csv(tmp_path / "花名册.csv", b.sample_people(6), encoding="gbk")
    picture = tmp_path / "照片.xlsx"
    picture.write_bytes(b.PNG_BYTES)
    done = run_cli(str(roster), str(picture), "--db", str(tmp_path / "cli.duckdb"), "--json")
    assert done.returncode == 2, done.stderr
    reports = json.loads(done.stdout)
    assert isinstance(reports, list) and len(reports) == 2
    assert [(r["file_name"], r["source"], r["status"]) for r in reports] == [
        ("花名册.csv", "roster", "loaded"),
        ("照片.xlsx", "auto", "refused"),
    ]
    assert reports[0]["rows_loaded"] == 6
    assert "不是电子表格" in reports[1]["message"]


def test_text_output_is_chinese_and_lists_every_reject(tmp_path: Path, messy) -> None:
    path, layout = messy
    done = run_cli(str(path), "--db", str(tmp_path / "cli.duckdb"))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert f"== {path.name}：部分导入" in out
    assert "读取 8 行，导入 6 行，拒绝 2 行" in out
    for row, case in layout.data_rows.items():
        if case.expect_score is None:
            line = next(ln for ln in out.splitlines() if f"第 {row} 行" in ln)
            assert line.strip().startswith("拒绝：") and case.reject_hint in line, line
    assert "说明：" in out  # the skipped totals and notes are explained
    assert "Traceback" not in done.stderr


def test_reimport_through_the_cli_is_unchanged_and_exits_0(tmp_path: Path, messy) -> None:
    path, _ = messy
    db_path = tmp_path / "cli.duckdb"
    assert run_cli(str(path), "--db", str(db_path), "--json").returncode == 0
    again = run_cli(str(path), "--db", str(db_path), "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["status"] == "unchanged"
    with open_database(db_path) as db:
        assert db.scalar("SELECT count(*) FROM appraisals") == 6
        assert db.scalar("SELECT count(*) FROM import_batches") == 1


HOLDER = """
import sys, time
from pathlib import Path
from core.db import open_database
db = open_database(sys.argv[1])
Path(sys.argv[2]).touch()
time.sleep(120)
"""


def test_database_held_by_another_process_gives_a_chinese_busy_message(tmp_path: Path, messy) -> None:
    path, _ = messy
    db_path, ready = tmp_path / "held.duckdb", tmp_path / "ready"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db_path), str(ready)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert holder.poll() is None, "the holder process died before opening the database"
            assert time.monotonic() < deadline, "the holder process never opened the database"
            time.sleep(0.05)
        done = run_cli(str(path), "--db", str(db_path), "--json")
    finally:
        holder.kill()
        holder.wait(timeout=30)
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    assert "正被" in done.stderr and "使用" in done.stderr, done.stderr
    assert str(holder.pid) in done.stderr  # says which process holds it
    # once the holder is gone the same command works
    after = run_cli(str(path), "--db", str(db_path), "--json")
    assert after.returncode == 0, after.stderr
    assert json.loads(after.stdout)["status"] == "partial"


def test_unexpected_failure_exits_1_and_says_nothing_was_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], messy
) -> None:
    path, _ = messy
    real_insert = importer.insert_frame

    def broken(cur, table, frame):
        if table == "appraisals":
            raise OSError("disk full (simulated)")
        return real_insert(cur, table, frame)

    monkeypatch.setattr(importer, "insert_frame", broken)
    code = cli.main(["import", str(path), "--db", str(tmp_path / "cli.duckdb"), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    assert report["status"] == "failed" and "没有写入任何数据" in report["message"]
    with open_database(tmp_path / "cli.duckdb") as db:
        assert db.scalar("SELECT count(*) FROM appraisals") == 0
        assert db.scalar("SELECT count(*) FROM import_batches") == 0


def test_missing_file_is_refused_with_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["import", str(tmp_path / "不存在.xlsx"), "--db", str(tmp_path / "cli.duckdb")])
    out = capsys.readouterr().out
    assert code == 2
    assert "不存在.xlsx：文件被拒收" in out and "找不到文件" in out


# -- python -m pipelines undo BATCH_ID ---------------------------------------------------------------


def run_undo(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "JIXIAO_DB"}
    return subprocess.run(
        [sys.executable, "-m", "pipelines", "undo", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_undo_removes_the_batch_and_a_second_undo_exits_2(tmp_path: Path, messy) -> None:
    path, _ = messy
    db_path = tmp_path / "cli.duckdb"
    batch_id = json.loads(run_cli(str(path), "--db", str(db_path), "--json").stdout)["batch_id"]
    done = run_undo(batch_id, "--db", str(db_path), "--json", "--user", "hr_li")
    assert done.returncode == 0, (done.stdout, done.stderr)
    result = json.loads(done.stdout)
    assert result["undone"] and result["batch_id"] == batch_id
    assert result["removed"]["appraisals"] == 6 and HAN.search(result["message"])
    with open_database(db_path) as db:
        assert db.scalar("SELECT count(*) FROM appraisals") == 0
        me = f"os:{pwd.getpwuid(os.getuid()).pw_name}"
        assert db.one("SELECT status, undone_by FROM import_batches") == {"status": "undone", "undone_by": me}
        row = db.one("SELECT actor, detail FROM audit_log WHERE action = 'import_undo'")
        assert row["actor"] == me and json.loads(row["detail"])["claimed_user"] == "hr_li"
    again = run_undo(batch_id, "--db", str(db_path))
    assert again.returncode == 2, (again.stdout, again.stderr)
    assert "不能再撤销一次" in again.stdout and me in again.stdout and "Traceback" not in again.stderr
    # undone, the same file imports again
    assert json.loads(run_cli(str(path), "--db", str(db_path), "--json").stdout)["status"] == "partial"


def test_undo_text_output_says_what_was_removed(tmp_path: Path, messy, capsys: pytest.CaptureFixture[str]) -> None:
    path, _ = messy
    db_path = tmp_path / "cli.duckdb"
    assert cli.main(["import", str(path), "--db", str(db_path), "--json"]) == 0
    batch_id = json.loads(capsys.readouterr().out)["batch_id"]
    assert cli.main(["undo", batch_id, "--db", str(db_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"== 已撤销批次 {batch_id}（文件「{path.name}」）：删除考核 6 份")


def test_undo_refused_by_what_depends_on_the_batch_exits_2(tmp_path: Path, capsys) -> None:
    db_path = tmp_path / "cli.duckdb"
    roster = b.write_roster(tmp_path / "花名册.xlsx", b.sample_people(6))
    legacy = b.write_xlsx(tmp_path / "一季度.xlsx", {"S": b.simple_legacy_rows({"00102": 88}, "2024Q1")})
    assert cli.main(["import", str(roster), "--db", str(db_path), "--json"]) == 0
    batch_id = json.loads(capsys.readouterr().out)["batch_id"]
    assert cli.main(["import", str(legacy), "--db", str(db_path)]) == 0
    capsys.readouterr()
    assert cli.main(["undo", batch_id, "--db", str(db_path), "--json"]) == 2
    result = json.loads(capsys.readouterr().out)
    assert not result["undone"] and not result["possible"]
    assert "考核记录" in result["message"] and result["blockers"]
    assert cli.main(["undo", "B-no-such-batch", "--db", str(db_path)]) == 2
    assert "没有找到批次 B-no-such-batch" in capsys.readouterr().out
    with open_database(db_path) as db:
        assert db.scalar("SELECT count(*) FROM employees") == 6
        assert db.scalar("SELECT count(*) FROM import_batches WHERE status = 'undone'") == 0


def test_undo_failing_unexpectedly_exits_1_and_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], messy
) -> None:
    path, _ = messy
    db_path = tmp_path / "cli.duckdb"
    assert cli.main(["import", str(path), "--db", str(db_path), "--json"]) == 0
    batch_id = json.loads(capsys.readouterr().out)["batch_id"]

    def broken(*args, **kwargs):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(undo_module, "mark_undone", broken)
    assert cli.main(["undo", batch_id, "--db", str(db_path)]) == 1
    assert "没有做任何更改" in capsys.readouterr().out
    with open_database(db_path) as db:
        assert db.scalar("SELECT count(*) FROM appraisals") == 6
        assert db.scalar("SELECT status FROM import_batches") == "partial"
