"""core.archive: issuing writes the signed PDF after the commit (atomically, 0600) and never after a
rollback; a re-issue replaces the file and the row while the ledger keeps both; downloads and the listing
are scoped (the employee, their managers, HR) and audited; HR's evidence package holds what an auditor
needs to check each document."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import stat
import zipfile
from pathlib import Path

import pytest
from cryptography import x509

from core import archive, signing
from core.auth import User, get_user
from core.db import Database, open_database
from core.errors import CoreError
from core.permissions import Forbidden
from tests.signoffs import PEOPLE, appraisal_ids, build_signed_company, copy_company, cycle_of, issue_confirmed


@pytest.fixture(scope="module")
def signed_company(tmp_path_factory: pytest.TempPathFactory, access_company: Path) -> Path:
    return build_signed_company(tmp_path_factory.mktemp("signed"), access_company)


@pytest.fixture
def db(tmp_path: Path, signed_company: Path):
    with open_database(copy_company(signed_company, tmp_path)) as database:
        yield database


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def colleague(employee_id: str) -> User:
    return User(f"u{employee_id}", frozenset({"employee"}), employee_id)


def test_issue_files_the_signed_pdf_once_the_transaction_commits(db: Database) -> None:
    root = archive.archive_root(db)
    assert mode(root) == 0o700
    for appraisal_id in appraisal_ids(db):
        doc = db.one("SELECT * FROM signoff_documents WHERE appraisal_id = ?", [appraisal_id])
        employee, cycle = appraisal_id.split(":")[1], appraisal_id.split(":")[0]
        assert doc["path"] == f"{employee}/{cycle}.pdf"
        data = (root / doc["path"]).read_bytes()
        assert mode(root / doc["path"]) == 0o600 and mode((root / doc["path"]).parent) == 0o700
        assert hashlib.sha256(data).hexdigest() == doc["pdf_sha256"]
        assert signing.validate_pdf(data, folder=signing.ca_dir(db.path)).ok
        issued = db.one("SELECT * FROM signoff_ledger WHERE action = 'pdf_issued' AND appraisal_id = ?", [appraisal_id])
        assert (issued["record_sha256"], issued["pdf_sha256"]) == (doc["record_sha256"], doc["pdf_sha256"])
    assert not list(root.rglob(".*.tmp"))  # no temporary file left behind
    made = db.one("SELECT actor, entity_id, detail FROM audit_log WHERE action = 'signing_ca_created'")
    assert made["actor"] == "hr" and made["entity_id"].endswith("/ca") and '"automatic": true' in made["detail"]
    assert db.scalar("SELECT count(*) FROM audit_log WHERE action = 'signing_ca_created'") == 1  # the first only


def test_a_rolled_back_issue_writes_no_file_and_no_row(db: Database) -> None:
    appraisal_id = appraisal_ids(db)[0]
    target = archive.archive_root(db) / db.scalar("SELECT path FROM signoff_documents WHERE appraisal_id = ?",
                                                  [appraisal_id])  # fmt: skip
    before = target.read_bytes()
    rows = db.scalar("SELECT count(*) FROM signoff_ledger")
    with pytest.raises(RuntimeError), db.transaction() as cur:
        archive.issue(cur, appraisal_id, "hr")
        raise RuntimeError("the confirmation fails after the PDF was rendered")
    assert target.read_bytes() == before
    assert db.scalar("SELECT count(*) FROM signoff_ledger") == rows


def test_a_reissue_replaces_the_file_and_the_row_and_the_ledger_keeps_both(db: Database) -> None:
    appraisal_id = appraisal_ids(db)[0]
    first = db.one("SELECT * FROM signoff_documents WHERE appraisal_id = ?", [appraisal_id])
    with db.transaction() as cur:  # returned, re-rated, confirmed again: round 2
        cur.execute("UPDATE appraisals SET signoff_round = 2, final_score = final_score + 1 WHERE appraisal_id = ?",
                    [appraisal_id])  # fmt: skip
        issued = issue_confirmed(cur, appraisal_id)
    second = db.one("SELECT * FROM signoff_documents WHERE appraisal_id = ?", [appraisal_id])
    assert db.scalar("SELECT count(*) FROM signoff_documents WHERE appraisal_id = ?", [appraisal_id]) == 1
    assert second["round"] == 2 and second["path"] == first["path"] and second["pdf_sha256"] == issued.pdf_sha256
    assert second["record_sha256"] != first["record_sha256"]
    data = (archive.archive_root(db) / second["path"]).read_bytes()
    assert hashlib.sha256(data).hexdigest() == second["pdf_sha256"] != first["pdf_sha256"]
    ledger = db.rows("SELECT pdf_sha256 FROM signoff_ledger WHERE action = 'pdf_issued' AND appraisal_id = ? "
                     "ORDER BY seq", [appraisal_id])  # fmt: skip
    assert [r["pdf_sha256"] for r in ledger] == [first["pdf_sha256"], second["pdf_sha256"]]


def test_downloads_are_for_the_employee_their_managers_and_hr_and_are_audited(db: Database) -> None:
    appraisal_id = f"{cycle_of(db)}:{PEOPLE[0]}"
    expected = (archive.archive_root(db) / f"{PEOPLE[0]}/{cycle_of(db)}.pdf").read_bytes()
    for username in ("worker", "head", "hr"):
        name, data = archive.document(db, get_user(db, username), appraisal_id)
        assert data == expected and name.endswith(".pdf") and PEOPLE[0] in name
    downloads = db.rows("SELECT actor, entity_id FROM audit_log WHERE action = 'download_signoff_pdf' ORDER BY seq")
    assert [(r["actor"], r["entity_id"]) for r in downloads] == [(u, appraisal_id) for u in ("worker", "head", "hr")]
    refused = [colleague(PEOPLE[1]), get_user(db, "bp"), get_user(db, "exec"), get_user(db, "analyst"), None]
    for user in refused:  # a colleague, an HRBP of another department, an executive not above them, an analyst
        with pytest.raises(Forbidden):
            archive.document(db, user, appraisal_id)
    denied = db.rows("SELECT detail FROM audit_log WHERE action = 'access_denied' ORDER BY seq")
    assert len(denied) == len(refused) and all("download_signoff_pdf" in r["detail"] for r in denied)
    with pytest.raises(Forbidden):  # an unknown appraisal is refused like a foreign one
        archive.document(db, get_user(db, "worker"), "C-NONE:00102")


def test_a_manager_further_up_the_line_downloads_too(db: Database) -> None:
    appraisal_id = f"{cycle_of(db)}:{PEOPLE[0]}"
    with pytest.raises(Forbidden):
        archive.document(db, get_user(db, "exec"), appraisal_id)
    with db.transaction() as cur:  # 生产部's head now reports to the executive 00301: two levels above 00102
        cur.execute("UPDATE employees SET manager_id = '00301' WHERE employee_id = '00101'")
    assert archive.document(db, get_user(db, "exec"), appraisal_id)[1].startswith(b"%PDF")
    assert PEOPLE[0] in archive.listing(db, get_user(db, "exec"))["employee_id"].to_list()


def test_a_download_of_a_missing_file_says_so(db: Database) -> None:
    appraisal_id = appraisal_ids(db)[0]
    (archive.archive_root(db) / db.scalar("SELECT path FROM signoff_documents WHERE appraisal_id = ?",
                                          [appraisal_id])).unlink()  # fmt: skip
    with pytest.raises(CoreError) as missing:
        archive.document(db, get_user(db, "hr"), appraisal_id)
    assert missing.value.code == "archive.file_missing" and "不在电子档案里" in str(missing.value)


def test_the_listing_is_scoped_and_shows_each_documents_verification(db: Database) -> None:
    assert archive.listing(db, get_user(db, "worker"))["employee_id"].to_list() == [PEOPLE[0]]
    assert sorted(archive.listing(db, get_user(db, "head"))["employee_id"]) == list(PEOPLE)
    everyone = archive.listing(db, get_user(db, "hr"), cycle_id=cycle_of(db))
    assert sorted(everyone["employee_id"]) == list(PEOPLE) and everyone["verified"].all()
    assert everyone["problem"].is_null().all() and set(everyone["signer"]) == {"JiXiao 绩效结果签章"}
    assert archive.listing(db, get_user(db, "bp")).height == 0
    quick = archive.listing(db, get_user(db, "hr"), verify=False)
    assert quick.height == 3 and quick["verified"].is_null().all()
    target = archive.archive_root(db) / f"{PEOPLE[1]}/{cycle_of(db)}.pdf"
    target.write_bytes(target.read_bytes() + b"%")
    shown = archive.listing(db, get_user(db, "hr")).filter(employee_id=PEOPLE[1]).row(0, named=True)
    assert not shown["verified"] and "SHA-256 不符" in shown["problem"]
    assert db.scalar("SELECT count(*) FROM audit_log WHERE action = 'read_signoff_archive'") >= 3


def test_the_evidence_package_holds_what_an_auditor_checks(db: Database) -> None:
    cycle_id = cycle_of(db)
    with pytest.raises(Forbidden):
        archive.evidence_zip(db, get_user(db, "head"), cycle_id)
    package = zipfile.ZipFile(io.BytesIO(archive.evidence_zip(db, get_user(db, "hr"), cycle_id)))
    names = set(package.namelist())
    pdfs = {f"pdf/{e}/{cycle_id}.pdf" for e in PEOPLE}
    assert names == pdfs | {"ledger.csv", "ledger.json", "verification.txt", "signing-cert.pem", "ca-cert.pem",
                            "SHA256SUMS.txt", "README.txt"}  # fmt: skip
    for line in package.read("SHA256SUMS.txt").decode().splitlines():
        digest, name = line.split("  ")
        assert hashlib.sha256(package.read(name)).hexdigest() == digest
    ledger = json.loads(package.read("ledger.json"))
    issued = {r["appraisal_id"]: r["pdf_sha256"] for r in ledger if r["action"] == "pdf_issued"}
    for e in PEOPLE:
        assert hashlib.sha256(package.read(f"pdf/{e}/{cycle_id}.pdf")).hexdigest() == issued[f"{cycle_id}:{e}"]
    table = list(csv.DictReader(io.StringIO(package.read("ledger.csv").decode("utf-8-sig"))))
    assert len(table) == len(ledger) == 9 and {"entry_hash", "prev_hash", "record_sha256"} <= set(table[0])
    report = package.read("verification.txt").decode()
    assert "签字台账完整" in report and "签字存档核对无误" in report and report.count("核对无误") >= 4
    root = x509.load_pem_x509_certificate(package.read("ca-cert.pem"))
    cert = x509.load_pem_x509_certificate(package.read("signing-cert.pem"))
    assert cert.issuer == root.subject
    readme = package.read("README.txt").decode()
    assert all(name in readme for name in ("ledger.csv", "verification.txt", "ca-cert.pem", "sha256sum -c"))
    exported = db.one("SELECT actor, entity_id FROM audit_log WHERE action = 'export_signoff_evidence'")
    assert exported == {"actor": "hr", "entity_id": cycle_id}
