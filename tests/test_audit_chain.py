"""The keyed audit chain and its head checkpoint (issue 10, point 11): cutting the tail, deleting every row,
re-forging the chain with recomputed hashes, or putting an older database or head in place all fail
``python -m core.admin verify-audit`` with a sentence saying what happened, while an intact trail passes;
a missing key is a clear Chinese error; a backup carries the head but never the key; ``rekey-audit`` is the
way forward once the key is lost."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from core import audit, chain
from core.db import Database, audit_files, open_database
from core.errors import CoreError

ROOT = Path(__file__).resolve().parent.parent
ROWS = 6


def _admin(*args: str, lang: str = "zh-CN") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("JIXIAO_DB", "JIXIAO_KEY_FILE")}
    env["JIXIAO_LANG"] = lang
    return subprocess.run(
        [sys.executable, "-m", "core.admin", *args], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip


def _write(db: Database, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        audit.log(db, "hr1", "export", "report", f"r{i}", {"rows": i})


@pytest.fixture
def trail(tmp_path: Path) -> Path:
    """A database whose trail has :data:`ROWS` rows, keyed and checkpointed, closed."""
    path = tmp_path / "data" / "jixiao.duckdb"
    with open_database(path) as db:
        _write(db, ROWS)
    return path


def _sql(path: Path, *statements: str) -> None:
    """Tamper as someone holding only the database file would: plain SQL, no key."""
    with open_database(path) as db:
        for statement in statements:
            db.cursor().execute(statement)


def _reforge(path: Path, key: bytes | None) -> None:
    """Rewrite every row's hashes from the genesis hash, under ``key`` (None: plain SHA-256)."""
    with open_database(path) as db:
        rows = db.cursor().execute(f"SELECT {audit.COLUMNS} FROM audit_log ORDER BY seq").fetchall()
        prev = chain.GENESIS
        for r in rows:
            digest = audit.row_hash(prev, *r[:7], key=key)
            db.cursor().execute("UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?", [prev, digest, r[0]])
            prev = digest


def _check(path: Path, **files: Path) -> audit.ChainCheck:
    with open_database(path, **files) as db:
        return audit.verify_chain(db)


def test_an_intact_trail_verifies_under_its_key_and_matches_its_head(trail: Path) -> None:
    files = audit_files(trail)
    assert chain.read_key(files.key) is not None
    head = chain.read_head(files.head, chain.read_key(files.key))
    check = _check(trail)
    assert check.ok and check.code == "" and head is not None
    assert check.message.code == "audit.chain_intact_head" and f"第 {head.seq} 行" in check.message
    done = _admin("verify-audit", "--db", str(trail))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "审计日志完整" in done.stdout and "检查点" in done.stdout


def test_a_cut_tail_fails_verification(trail: Path) -> None:
    _sql(trail, "DELETE FROM audit_log WHERE seq > (SELECT max(seq) - 2 FROM audit_log)")
    check = _check(trail)
    assert not check.ok and check.code == "audit.trail_truncated"
    done = _admin("verify-audit", "--db", str(trail))
    assert done.returncode == 1 and "末尾的 2 行被删除了" in done.stdout, done.stdout


def test_deleting_every_row_fails_verification(trail: Path) -> None:
    _sql(trail, "DELETE FROM audit_log")
    assert _check(trail).code == "audit.trail_emptied"
    done = _admin("verify-audit", "--db", str(trail), lang="en")
    assert done.returncode == 1 and "the whole trail was deleted" in done.stdout, done.stdout


def test_a_chain_recomputed_without_the_key_fails_at_its_first_row(trail: Path) -> None:
    _reforge(trail, None)
    check = _check(trail)
    assert not check.ok and check.first_broken_seq == 1 and check.problem.code == "audit.row_unkeyed"
    done = _admin("verify-audit", "--db", str(trail))
    assert done.returncode == 1 and "第 1 行" in done.stdout and "不知道密钥的人重新计算过" in done.stdout


def test_a_chain_recomputed_under_another_key_fails_even_with_a_head_to_match(trail: Path) -> None:
    other = secrets.token_bytes(chain.KEY_BYTES)
    _reforge(trail, other)
    with open_database(trail) as db:  # the forger also writes a head for the forged chain, under their key
        last = audit.checkpoint(db)
    assert last is not None
    chain.write_head(audit_files(trail).head, last, other, whole=True)
    check = _check(trail)
    assert not check.ok and check.first_broken_seq == 1 and check.problem.code == "audit.row_altered"
    # the forged chain alone, under the real key, with the forger's head: the seal gives it away
    key = chain.read_key(audit_files(trail).key)
    _reforge(trail, key)  # (only the key's holder could do this much)
    assert _check(trail).code == "audit.head_forged"


def test_a_rewritten_chain_that_keeps_its_length_fails_against_the_head(trail: Path) -> None:
    """Someone with the key but not the head file (it lives with the key, elsewhere, in production) rewrites
    the last row's content and re-links it: the chain is consistent, the head's hash is not its own."""
    key = chain.read_key(audit_files(trail).key)
    _sql(trail, "UPDATE audit_log SET detail = '{\"rows\": 999}' WHERE seq = (SELECT max(seq) FROM audit_log)")
    _reforge(trail, key)
    check = _check(trail)
    assert not check.ok and check.code == "audit.head_mismatch" and "重写过" in check.message


def test_a_missing_key_is_a_clear_error_and_no_row_is_written_without_it(trail: Path) -> None:
    key_file = audit_files(trail).key
    key_file.unlink()
    check = _check(trail)
    assert check.code == "audit.key_missing" and str(key_file) in check.message
    assert "审计密钥文件" in check.message and "rekey-audit" in check.message
    done = _admin("verify-audit", "--db", str(trail))
    assert done.returncode == 1 and "审计密钥文件" in done.stdout and "不存在" in done.stdout
    assert "Traceback" not in done.stderr
    with open_database(trail) as db:
        before = db.scalar("SELECT count(*) FROM audit_log")
        with pytest.raises(CoreError) as refused:
            audit.log(db, "hr1", "export", "report", "x")
        assert refused.value.code == "audit.key_missing"
        assert db.scalar("SELECT count(*) FROM audit_log") == before
    assert not key_file.exists()  # never silently replaced by a new key


def test_a_missing_or_forged_head_fails_verification(trail: Path) -> None:
    head = audit_files(trail).head
    saved = head.read_bytes()
    head.unlink()
    assert _check(trail).code == "audit.head_missing"
    head.write_bytes(saved.replace(b'"seq": ', b'"seq": 1', 1))  # the seq edited by hand: the seal no longer fits
    assert _check(trail).code == "audit.head_forged"


def test_a_backup_carries_the_head_but_not_the_key(trail: Path, tmp_path: Path) -> None:
    backup = tmp_path / "backups" / "2026-12-01.duckdb"
    done = _admin("backup", str(backup), "--db", str(trail))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "不在备份中" in done.stdout
    mine = audit_files(backup)
    assert backup.exists() and mine.head.exists() and not mine.key.exists()
    assert sorted(p.name for p in backup.parent.iterdir()) == ["2026-12-01.duckdb", "2026-12-01.head"]
    key = audit_files(trail).key
    assert chain.read_head(mine.head, chain.read_key(key)) == chain.read_head(audit_files(trail).head, None)
    assert _admin("verify-audit", "--db", str(backup)).returncode == 1  # without its key, nothing verifies
    ok = _admin("verify-audit", "--db", str(backup), "--key-file", str(key))
    assert ok.returncode == 0, ok.stdout
    again = _admin("backup", str(backup), "--db", str(trail))
    assert again.returncode == 1 and "已存在" in again.stdout
    # the backup's head protects the backup: cut short, it fails under its own head
    _sql(backup, "DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)")
    cut = _admin("verify-audit", "--db", str(backup), "--key-file", str(key))
    assert cut.returncode == 1 and "被删除了" in cut.stdout


def test_an_older_backup_put_in_place_of_the_database_fails_against_the_live_head(trail: Path, tmp_path: Path) -> None:
    backup = tmp_path / "old.duckdb"
    assert _admin("backup", str(backup), "--db", str(trail)).returncode == 0
    with open_database(trail) as db:
        _write(db, 3, start=ROWS)
    shutil.copyfile(backup, trail)  # the rows written since the backup quietly gone
    check = _check(trail)
    assert check.code == "audit.trail_truncated" and "末尾的 3 行被删除了" in check.message


def test_a_trail_cut_back_to_an_older_head_fails_against_a_later_backups_head(trail: Path, tmp_path: Path) -> None:
    """Cutting the trail back to an older backup and putting that backup's head in place of the live one
    leaves nothing on the machine to tell; a later backup's head, kept elsewhere, does."""
    first, second = tmp_path / "b1.duckdb", tmp_path / "b2.duckdb"
    assert _admin("backup", str(first), "--db", str(trail)).returncode == 0
    with open_database(trail) as db:
        _write(db, 2, start=ROWS)
    assert _admin("backup", str(second), "--db", str(trail)).returncode == 0
    shutil.copyfile(first, trail)
    shutil.copyfile(audit_files(first).head, audit_files(trail).head)
    assert _check(trail).ok  # consistent with the head it was given
    later = _admin("verify-audit", "--db", str(trail), "--head", str(audit_files(second).head))
    assert later.returncode == 1 and "末尾的 2 行被删除了" in later.stdout, later.stdout
    # and an intact trail passes against an older backup's head (the rows after it checked under the key)
    with open_database(trail) as db:
        _write(db, 1, start=ROWS + 10)
    assert _admin("verify-audit", "--db", str(trail), "--head", str(audit_files(first).head)).returncode == 0


def test_a_lost_key_is_rekeyed_into_a_new_segment_that_names_what_was_not_verified(trail: Path) -> None:
    audit_files(trail).key.unlink()
    refused = _admin("rekey-audit", "--db", str(trail))
    assert refused.returncode == 1 and "--i-understand" in refused.stdout
    done = _admin("rekey-audit", "--i-understand", "--db", str(trail), "--user", "it_wang")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "新的审计密钥文件" in done.stdout and "单独备份" in done.stdout
    key = audit_files(trail).key
    assert key.exists() and (key.stat().st_mode & 0o777) == 0o600
    check = _check(trail)
    assert check.ok and check.message.code == "audit.chain_intact_segment"
    assert "此前的" in check.message and "不在本次核对之内" in check.message
    with open_database(trail) as db:
        _write(db, 2, start=ROWS)  # the trail goes on under the new key
        assert audit.verify_chain(db).ok
        row = db.one("SELECT actor, detail FROM audit_log WHERE action = 'audit_rekeyed'")
    assert row["actor"].startswith("os:") and '"claimed_user": "it_wang"' in row["detail"]
    assert '"reason": "audit.key_missing"' in row["detail"]
    assert _admin("verify-audit", "--db", str(trail)).returncode == 0
