"""python -m core.admin verify-signoffs: silent on intact evidence (exit 0); one byte of a PDF, one score
in the database, one ledger row, a record copy, a deleted document row or a file re-signed by someone
else each make it name exactly that appraisal and that field, file or row (exit 1)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core import admin, archive, signing, signoff_verify
from core.auth import get_user
from core.db import open_database
from core.errors import CoreError
from tests.signoffs import PEOPLE, build_signed_company, copy_company, cycle_of


@pytest.fixture(scope="module")
def signed_company(tmp_path_factory: pytest.TempPathFactory, access_company: Path) -> Path:
    return build_signed_company(tmp_path_factory.mktemp("signed"), access_company)


@pytest.fixture
def db_path(tmp_path: Path, signed_company: Path) -> Path:
    return copy_company(signed_company, tmp_path)


def run(db_path: Path, capsys, *extra: str) -> tuple[int, str]:
    code = admin.main(["verify-signoffs", "--db", str(db_path), *extra])
    return code, capsys.readouterr().out


def findings(db_path: Path) -> list[signoff_verify.Finding]:
    with open_database(db_path, read_only=True) as db:
        return signoff_verify.verify(db, archive.archive_root(db)).findings


def tamper(db_path: Path, sql: str, params: list | None = None) -> str:
    """Run ``sql`` on the database as someone with the file would (no transaction, no audit); returns the cycle."""
    with open_database(db_path) as db:
        db.cursor().execute(sql, params or [])
        return cycle_of(db)


def cycle(db_path: Path) -> str:
    with open_database(db_path, read_only=True) as db:
        return cycle_of(db)


def test_intact_evidence_verifies(db_path: Path, capsys) -> None:
    code, out = run(db_path, capsys)
    assert code == admin.EXIT_OK, out
    assert "签字台账完整：共 9 行" in out and "签字存档核对无误：台账 9 行，3 份 PDF 的记录、文件和签名均一致。" in out
    code, out = run(db_path, capsys, "--cycle", cycle(db_path))
    assert code == admin.EXIT_OK and "3 份 PDF" in out


def test_one_changed_byte_of_a_pdf_names_that_file(db_path: Path, capsys) -> None:
    rel = f"{PEOPLE[1]}/{cycle(db_path)}.pdf"
    target = db_path.parent / "archive" / rel
    data = bytearray(target.read_bytes())
    data[len(data) // 3] ^= 0x01
    target.write_bytes(bytes(data))
    code, out = run(db_path, capsys)
    assert code == admin.EXIT_FAILED
    found = findings(db_path)
    assert {f.appraisal_id for f in found} == {f"{cycle(db_path)}:{PEOPLE[1]}"}
    assert f"file:{rel}" in {f.subject for f in found}
    assert f"PDF 文件 {rel} 与出具时的 SHA-256 不符" in out


def test_one_changed_item_score_names_that_item(db_path: Path, capsys) -> None:
    cycle_id = tamper(db_path, "UPDATE appraisal_items SET manager_score = manager_score + 5 "
                      "WHERE appraisal_id = ? AND kpi_id = 'T-ATT'", [f"C-2026-Q4:{PEOPLE[2]}"])  # fmt: skip
    code, out = run(db_path, capsys)
    assert code == admin.EXIT_FAILED
    found = findings(db_path)
    assert [(f.appraisal_id, f.subject) for f in found] == [(f"{cycle_id}:{PEOPLE[2]}", "items[T-ATT].manager_score")]
    assert "字段 items[T-ATT].manager_score 由 10.0 变为 15.0" in out


def test_one_changed_final_score_names_that_field(db_path: Path, capsys) -> None:
    with open_database(db_path, read_only=True) as db:
        before = db.scalar("SELECT final_score FROM appraisals WHERE appraisal_id = ?", [f"C-2026-Q4:{PEOPLE[0]}"])
    tamper(db_path, "UPDATE appraisals SET final_score = 99.5 WHERE appraisal_id = ?", [f"C-2026-Q4:{PEOPLE[0]}"])
    code, out = run(db_path, capsys)
    assert code == admin.EXIT_FAILED
    assert [(f.appraisal_id, f.subject) for f in findings(db_path)] == [(f"C-2026-Q4:{PEOPLE[0]}", "final_score")]
    assert f"字段 final_score 由 {before} 变为 99.5" in out


def test_one_changed_ledger_row_names_that_row(db_path: Path, capsys) -> None:
    with open_database(db_path, read_only=True) as db:
        seq = db.scalar("SELECT seq FROM signoff_ledger WHERE action = 'confirmation' AND appraisal_id = ? LIMIT 1",
                        [f"C-2026-Q4:{PEOPLE[1]}"])  # fmt: skip
    tamper(db_path, "UPDATE signoff_ledger SET actor = 'someone' WHERE seq = ?", [seq])
    code, out = run(db_path, capsys)
    assert code == admin.EXIT_FAILED
    found = findings(db_path)
    assert [(f.appraisal_id, f.subject) for f in found] == [(f"C-2026-Q4:{PEOPLE[1]}", "ledger")]
    assert f"签字台账被改动过：第 {seq} 行（confirmation · C-2026-Q4:{PEOPLE[1]}）" in out


def test_a_ledger_pdf_hash_rewritten_is_named_as_the_row_and_the_mismatch(db_path: Path, capsys) -> None:
    appraisal_id = f"C-2026-Q4:{PEOPLE[0]}"
    tamper(db_path, "UPDATE signoff_ledger SET pdf_sha256 = repeat('0', 64) WHERE action = 'pdf_issued' "
           "AND appraisal_id = ?", [appraisal_id])  # fmt: skip
    found = findings(db_path)
    assert {f.appraisal_id for f in found} == {appraisal_id}
    assert {f.subject.split("]")[-1] if "]" in f.subject else f.subject for f in found} == {"ledger", ".pdf_sha256"}


def test_a_changed_record_copy_and_a_deleted_document_row_are_named(db_path: Path, capsys) -> None:
    first, second = (f"C-2026-Q4:{e}" for e in PEOPLE[:2])
    with open_database(db_path) as db:
        stored = json.loads(db.scalar("SELECT record_json FROM signoff_documents WHERE appraisal_id = ?", [first]))
        stored["final_score"] = 1.0  # the copy made to agree with a changed database
        db.cursor().execute("UPDATE signoff_documents SET record_json = ? WHERE appraisal_id = ?",
                            [json.dumps(stored, ensure_ascii=False), first])  # fmt: skip
        db.cursor().execute("DELETE FROM signoff_documents WHERE appraisal_id = ?", [second])
    found = {(f.appraisal_id, f.subject.split("[")[0]) for f in findings(db_path)}
    assert found == {(first, "record_json"), (second, "ledger")}
    code, out = run(db_path, capsys)
    assert code == admin.EXIT_FAILED and "记录副本" in out and "存档记录被删除了" in out


def test_a_file_replaced_by_one_signed_elsewhere_is_named(db_path: Path, tmp_path: Path, capsys) -> None:
    rel = f"{PEOPLE[2]}/{cycle(db_path)}.pdf"
    target = db_path.parent / "archive" / rel
    other = tmp_path / "forger-ca"
    signing.init_ca(other, organisation="JiXiao")  # the same name, another key
    original = target.read_bytes()
    unsigned = original[: original.rindex(b"%%EOF", 0, original.index(b"/ByteRange")) + 5]  # the revision before
    target.write_bytes(signing.sign_pdf(unsigned, folder=other))
    found = findings(db_path)
    assert {f.appraisal_id for f in found} == {f"C-2026-Q4:{PEOPLE[2]}"}
    assert {f.subject for f in found} == {f"file:{rel}", f"signature:{rel}"}
    code, out = run(db_path, capsys)
    assert code == admin.EXIT_FAILED and "不是本机构签章 CA 签发的" in out


def test_the_report_speaks_english_when_asked(db_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("JIXIAO_LANG", "en")
    tamper(db_path, "UPDATE appraisals SET final_score = 1.0 WHERE appraisal_id = ?", [f"C-2026-Q4:{PEOPLE[0]}"])
    code, out = run(db_path, capsys)
    assert code == admin.EXIT_FAILED and "the record changed after its PDF was issued: final_score went from" in out


def test_a_document_row_pointed_outside_the_archive_is_named_and_not_read(db_path: Path, capsys) -> None:
    appraisal_id = f"C-2026-Q4:{PEOPLE[0]}"
    (db_path.parent / "secret.txt").write_text("not for download")
    tamper(db_path, "UPDATE signoff_documents SET path = '../secret.txt' WHERE appraisal_id = ?", [appraisal_id])
    found = findings(db_path)
    assert [(f.appraisal_id, f.text.code) for f in found if f.subject.startswith("file:")] == [
        (appraisal_id, "verify.path_outside")
    ]
    with open_database(db_path) as db, pytest.raises(CoreError) as refused:
        archive.document(db, get_user(db, "hr"), appraisal_id)
    assert refused.value.code == "archive.file_missing"
