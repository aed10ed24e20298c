"""core.signoff_ledger: rows linked under the audit key (not a plain SHA-256), the head checkpointed
beside the audit head after each commit (never for a rolled-back row), and verification naming the row
changed, deleted or inserted, a cut tail, and a missing or forged head."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from core import chain, signoff_ledger
from core.db import Database


@pytest.fixture
def db(fresh_db: Database) -> Database:
    return fresh_db


def append(db: Database, n: int, *, appraisal: str = "C-1:00102") -> list[int]:
    with db.transaction() as cur:
        return [
            signoff_ledger.append(
                cur,
                actor="worker",
                role="employee",
                action="confirmation",
                appraisal_id=appraisal,
                cycle_id="C-1",
                record_sha256="ab" * 32,
                detail={"i": i},
            )
            for i in range(n)
        ]


def test_rows_are_linked_under_the_audit_key_and_the_head_is_checkpointed(db: Database) -> None:
    assert append(db, 3) == [1, 2, 3]
    key = chain.read_key(db.key_file)
    assert key is not None  # the audit key, made at the first write as for the first audited row
    rows = db.rows(f"SELECT {signoff_ledger.COLUMNS} FROM signoff_ledger ORDER BY seq")
    prev = chain.GENESIS
    for r in rows:
        payload = chain.canonical([r[f] for f in signoff_ledger.FIELDS])
        assert r["prev_hash"] == prev
        assert r["entry_hash"] == hmac.new(key, (prev + payload).encode(), hashlib.sha256).hexdigest()
        assert r["entry_hash"] != hashlib.sha256((prev + payload).encode()).hexdigest()
        prev = r["entry_hash"]
    assert db.signoff_head_file.name == "jixiao.signoff-head" and db.signoff_head_file.parent == db.head_file.parent
    assert chain.read_head(db.signoff_head_file, key) == chain.Head(3, rows[-1]["entry_hash"])
    check = signoff_ledger.verify(db)
    assert check.ok and check.rows == 3 and "签字台账完整：共 3 行" in str(check.message)


def test_a_rolled_back_row_is_never_checkpointed(db: Database) -> None:
    append(db, 2)
    key = chain.read_key(db.key_file)
    with pytest.raises(RuntimeError), db.transaction() as cur:
        signoff_ledger.append(cur, actor="hr", role="hr", action="resolution", appraisal_id="C-1:00102")
        raise RuntimeError("the write fails after its ledger row")
    assert db.scalar("SELECT count(*) FROM signoff_ledger") == 2
    assert chain.read_head(db.signoff_head_file, key).seq == 2
    assert signoff_ledger.verify(db).ok


def test_a_changed_row_is_named_with_its_appraisal(db: Database) -> None:
    append(db, 2, appraisal="C-1:00102")
    append(db, 2, appraisal="C-1:00103")
    db.cursor().execute("UPDATE signoff_ledger SET detail = '{\"i\": 9}' WHERE seq = 3")
    check = signoff_ledger.verify(db)
    assert not check.ok and check.broken_seq == 3 and check.appraisal_id == "C-1:00103"
    assert "签字台账被改动过：第 3 行（confirmation · C-1:00103）的内容与其哈希不符" in str(check.message)


def test_a_row_recomputed_without_the_key_is_told_apart(db: Database) -> None:
    append(db, 2)
    row = db.one(f"SELECT {signoff_ledger.COLUMNS} FROM signoff_ledger WHERE seq = 2")
    forged = chain.link(row["prev_hash"], chain.canonical([row[f] for f in signoff_ledger.FIELDS]))
    db.cursor().execute("UPDATE signoff_ledger SET entry_hash = ? WHERE seq = 2", [forged])
    check = signoff_ledger.verify(db)
    assert check.broken_seq == 2 and "不带密钥的 SHA-256" in str(check.message)


def test_a_deleted_row_is_named(db: Database) -> None:
    append(db, 4)
    db.cursor().execute("DELETE FROM signoff_ledger WHERE seq = 2")
    check = signoff_ledger.verify(db)
    assert check.broken_seq == 2 and "缺失（下一行是 seq=3）" in str(check.message)


def test_an_inserted_row_is_named(db: Database) -> None:
    append(db, 3)
    db.cursor().execute("UPDATE signoff_ledger SET seq = seq + 1 WHERE seq >= 2")
    row = db.one(f"SELECT {signoff_ledger.COLUMNS} FROM signoff_ledger WHERE seq = 1")
    values = [*(row[f] for f in signoff_ledger.FIELDS[:-1]), '{"forged": true}', row["entry_hash"], "f" * 64]
    values[0] = 2
    db.cursor().execute("INSERT INTO signoff_ledger VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", values)
    check = signoff_ledger.verify(db)
    assert not check.ok and check.broken_seq == 2


def test_a_cut_tail_and_an_emptied_ledger_are_named(db: Database) -> None:
    append(db, 5)
    db.cursor().execute("DELETE FROM signoff_ledger WHERE seq >= 4")
    check = signoff_ledger.verify(db)
    assert not check.ok and "只到第 3 行，但检查点记录到第 5 行：末尾的 2 行被删除了" in str(check.message)
    db.cursor().execute("DELETE FROM signoff_ledger")
    assert "整个台账被删除了" in str(signoff_ledger.verify(db).message)


def test_a_missing_or_forged_head_fails_verification(db: Database) -> None:
    append(db, 2)
    head = db.signoff_head_file
    saved = head.read_bytes()
    head.unlink()
    assert "检查点文件" in str(signoff_ledger.verify(db).message) and not signoff_ledger.verify(db).ok
    other = chain.create_key(head.with_name("other.key"))
    chain.write_head(head, chain.Head(2, "0" * 64), other, whole=True)
    check = signoff_ledger.verify(db)
    assert not check.ok and "签名与密钥不符" in str(check.message)
    head.write_bytes(saved)
    assert signoff_ledger.verify(db).ok
    db.key_file.unlink()
    assert not signoff_ledger.verify(db).ok and "审计密钥文件" in str(signoff_ledger.verify(db).message)


def test_a_disagreeing_head_is_left_as_the_evidence(db: Database, caplog) -> None:
    append(db, 3)
    db.cursor().execute("DELETE FROM signoff_ledger WHERE seq = 3")
    before = db.signoff_head_file.read_bytes()
    append(db, 1)  # re-uses seq 3 with another hash: the head that named the old row 3 stays
    assert db.signoff_head_file.read_bytes() == before
    assert "left as it is" in caplog.text
    assert not signoff_ledger.verify(db).ok
