"""The electronic archive of signed sign-off PDFs: ``archive/<employee>/<cycle>.pdf`` beside the database
(``data/archive/…``), each file 0600 in folders 0700.

**Issuing** (:func:`issue`, inside the caller's transaction): the PDF is rendered from the record as
stored, signed (:func:`core.signing.sign_pdf`), its row of ``signoff_documents`` replaced (one current
document per appraisal) and a ``pdf_issued`` row appended to the ledger; the file is written once the
transaction commits, to a temporary file moved over the old one, so a reader never sees half a file and
a rolled-back issue leaves none. A re-issue after a return replaces the file and the row; the ledger
keeps both ``pdf_issued`` rows.

**Reading** is scoped by :func:`core.permissions.may_read_signoff_document` (the employee, their managers
up the line and whoever rated it, HR): :func:`document` (a download, audited every time), :func:`listing`
(the archive with each document's verification status) and, for HR, :func:`evidence_zip`, the package
for auditors (ISO 9001 §7.5, ISO 27001): the PDFs, the ledger extract, the verification report, the
certificates and a README saying how to check each.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from core import audit, clock, signing, signoff_ledger, signoff_record, signoff_verify
from core.auth import User
from core.db import Cursor, Database, transaction_of
from core.errors import CoreError, Text
from core.export import csv_text
from core.permissions import guard_signoff_document, may_export_evidence, signoff_archive_filter
from core.signing import sign_pdf
from core.signoff_document import render_appraisal

PRIVATE_FILE, PRIVATE_DIR = 0o600, 0o700


@dataclass(frozen=True)
class Issued:
    appraisal_id: str
    path: str  # relative to the archive folder
    record_sha256: str
    pdf_sha256: str


def archive_root(db: Database) -> Path:
    """The archive folder of ``db``: ``archive/`` beside the database file."""
    return db.path.parent / "archive"


def archive_dir(cur: Cursor) -> Path:
    """The archive folder of the database ``cur`` belongs to (``archive/`` beside the database file)."""
    return archive_root(transaction_of(cur).database)


def write_private(target: Path, data: bytes, *, root: Path | None = None) -> None:
    """Write ``data`` to ``target`` atomically: a temporary file beside it (0600), flushed, moved over it.
    The folders from ``root`` down to it are made 0700."""
    if root is not None:
        root.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    target.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    try:
        os.fchmod(fd, PRIVATE_FILE)
        with os.fdopen(fd, "wb", closefd=False) as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
    finally:
        os.close(fd)
    os.replace(temporary, target)


def _safe(part: str) -> str:
    return "".join(c if c.isalnum() or c in "-_.:" else "_" for c in str(part)).replace(":", "_") or "_"


def relative_path(employee_id: str, cycle_id: str) -> str:
    """Where a document lives in the archive: ``<employee>/<cycle>.pdf`` (odd characters replaced)."""
    return f"{_safe(employee_id)}/{_safe(cycle_id)}.pdf"


def issue(cur: Cursor, appraisal_id: str, actor: str, *, lang: str = "zh-CN") -> Issued:
    """Render, sign and file the PDF of ``appraisal_id`` inside the caller's transaction (the file is
    written once the transaction commits) and record ``pdf_issued`` in the ledger."""
    rec = signoff_record.record(cur, appraisal_id)
    if rec is None:
        raise CoreError("archive.unknown_appraisal", appraisal=appraisal_id)
    tx = transaction_of(cur)
    ca = signing.ca_dir(tx.database.path)
    had_ca = (ca / signing.SIGNING_P12).exists()
    pdf = sign_pdf(render_appraisal(cur, appraisal_id, lang=lang), folder=ca)
    if not had_ca and (ca / signing.SIGNING_P12).exists():  # this first signing made the local CA
        audit.record(cur, actor, "signing_ca_created", "signing_ca", str(ca), {"automatic": True})
    rel = relative_path(rec["employee_id"], rec["cycle_id"])
    issued = record_issued(cur, rec, rel, pdf, actor)
    root = archive_dir(cur)
    tx.after_commit(f"archive:{rel}", lambda: write_private(root / rel, pdf, root=root))
    return issued


def record_issued(cur: Cursor, rec: dict[str, Any], rel: str, pdf: bytes, actor: str) -> Issued:
    """The rows of one issued PDF, inside the caller's transaction: its ``signoff_documents`` row (the
    record as issued, replacing an earlier round's), the ledger's ``pdf_issued`` row and the audit row.
    ``rec`` is the canonical record the PDF was made from, ``rel`` its path in the archive."""
    appraisal_id, rnd = rec["appraisal_id"], rec["signoff_round"] or 0
    digest = hashlib.sha256(pdf).hexdigest()
    record_hash = signoff_record.sha256(rec)
    cur.execute("DELETE FROM signoff_documents WHERE appraisal_id = ?", [appraisal_id])
    cur.execute(
        "INSERT INTO signoff_documents (appraisal_id, round, path, record_sha256, record_json, pdf_sha256, issued_at,"
        " issued_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [appraisal_id, rnd, rel, record_hash, signoff_record.canonical_bytes(rec).decode("utf-8"), digest,
         clock.now(), actor],
    )  # fmt: skip
    signoff_ledger.append(cur, actor=actor, role="system", action="pdf_issued", appraisal_id=appraisal_id,
                          cycle_id=rec["cycle_id"], record_sha256=record_hash, pdf_sha256=digest,
                          detail={"round": rnd, "path": rel, "bytes": len(pdf)})  # fmt: skip
    audit.record(cur, actor, "signoff_pdf_issued", "appraisal", appraisal_id,
                 {"path": rel, "round": rnd, "pdf_sha256": digest})  # fmt: skip
    return Issued(appraisal_id, rel, record_hash, digest)


def record_ca_created(db: Database, actor: str, made: signing.CaFiles) -> None:
    """Record in the audit log that ``actor`` made the local signing CA (``signing_ca_created``)."""
    audit.log(db, actor, "signing_ca_created", "signing_ca", str(made.folder),
              {"ca": made.ca_subject, "signing": made.signing_subject})  # fmt: skip


# -- reading ---------------------------------------------------------------------------------------------
_HEAD_SQL = """
    SELECT a.appraisal_id, a.employee_id, a.manager_id, a.rater_id, a.cycle_id, c.name AS cycle, e.name AS employee
    FROM appraisals a JOIN cycles c USING (cycle_id) LEFT JOIN employees e ON e.employee_id = a.employee_id
    WHERE a.appraisal_id = ?
"""


def document(db: Database, user: User | None, appraisal_id: str) -> tuple[str, bytes]:
    """The archived PDF of ``appraisal_id`` as (file name, bytes), for the employee, their managers up
    the line, whoever rated it, and HR; audited (``download_signoff_pdf``). Forbidden to anyone else
    (audited as ``access_denied``); CoreError when there is no document yet or its file is gone."""
    head = db.one(_HEAD_SQL, [appraisal_id])
    reader = guard_signoff_document(db, user, head, f"appraisal:{appraisal_id}")
    assert head is not None
    doc = db.one("SELECT path, pdf_sha256 FROM signoff_documents WHERE appraisal_id = ?", [appraisal_id])
    if doc is None:
        raise CoreError("archive.no_document", appraisal=appraisal_id)
    root = archive_root(db)
    try:
        if not signoff_verify.inside(root, doc["path"]):
            raise FileNotFoundError(doc["path"])
        data = (root / doc["path"]).read_bytes()
    except OSError as err:
        raise CoreError("archive.file_missing", appraisal=appraisal_id, path=doc["path"]) from err
    audit.log(db, reader.username, "download_signoff_pdf", "appraisal", appraisal_id,
              {"employee_id": head["employee_id"], "path": doc["path"],
               "intact": hashlib.sha256(data).hexdigest() == doc["pdf_sha256"]})  # fmt: skip
    name = f"{head['cycle']}_{head['employee_id']}_{head['employee'] or ''}.pdf"
    return _safe_name(name), data


def _safe_name(name: str) -> str:
    return "".join("_" if c in '/\\:*?"<>|' or ord(c) < 32 else c for c in name)


LISTING_SQL = """
    SELECT s.appraisal_id, a.employee_id, e.name AS employee, d.name AS department, a.cycle_id, c.name AS cycle,
           s.round, s.issued_at, s.path
    FROM signoff_documents s JOIN appraisals a USING (appraisal_id) JOIN cycles c ON c.cycle_id = a.cycle_id
    LEFT JOIN employees e ON e.employee_id = a.employee_id LEFT JOIN departments d ON d.dept_id = a.dept_id
"""


def listing(db: Database, user: User | None, *, cycle_id: str | None = None, verify: bool = True,
            lang: str = "zh-CN") -> pl.DataFrame:  # fmt: skip
    """The archived documents ``user`` may read (of ``cycle_id``, or all), newest first, each with its
    verification status: ``verified`` (bool) and ``problem`` (the first finding's sentence in ``lang``, or None);
    ``verify=False`` leaves them (and signer, signed_at) null, for a quick first look at a large archive.
    Columns: appraisal_id, employee_id, employee, department, cycle_id, cycle, round, issued_at, path,
    verified, problem, signer, signed_at. The listing is audited once per session (``read_signoff_archive``)."""
    where, params = signoff_archive_filter(db, user, "a")
    if cycle_id is not None:
        where, params = f"{where} AND a.cycle_id = ?", [*params, cycle_id]
    rows = db.rows(LISTING_SQL + f" WHERE {where} ORDER BY s.issued_at DESC, s.appraisal_id", params)
    if user is not None and rows:
        audit.log_read(db, user.username, user.session, "read_signoff_archive", "cycle", cycle_id or "*",
                       {"documents": len(rows)})  # fmt: skip
    statuses = _statuses(db, [r["appraisal_id"] for r in rows]) if verify else {}
    out = []
    for r in rows:
        status = statuses.get(r["appraisal_id"])
        if status is None:
            out.append({**r, "verified": None, "problem": None, "signer": None, "signed_at": None})
            continue
        out.append({**r, "verified": status.ok, "problem": status.findings[0].text.render(lang) if status.findings else None,
                    "signer": status.signer, "signed_at": status.signed_at})  # fmt: skip
    schema = {"appraisal_id": pl.String, "employee_id": pl.String, "employee": pl.String, "department": pl.String,
              "cycle_id": pl.String, "cycle": pl.String, "round": pl.Int64, "issued_at": pl.Datetime,
              "path": pl.String, "verified": pl.Boolean, "problem": pl.String, "signer": pl.String,
              "signed_at": pl.Datetime(time_zone="UTC")}  # fmt: skip
    return pl.DataFrame(out, schema=schema)


def _statuses(db: Database, appraisal_ids: list[str]) -> dict[str, signoff_verify.DocumentStatus]:
    if not appraisal_ids:
        return {}
    issued = signoff_verify.last_issued(db)
    archive, trust, cur = archive_root(db), signing.ca_dir(db.path), db.cursor()
    return {
        d["appraisal_id"]: signoff_verify.check_document(cur, d, archive, issued.get(d["appraisal_id"]), trust)
        for d in signoff_verify.documents(db, appraisal_ids=appraisal_ids)
    }


# -- the evidence package --------------------------------------------------------------------------------
LEDGER_FIELDS = (*signoff_ledger.FIELDS, "prev_hash", "entry_hash")


def _plain(value: Any) -> Any:
    return value.isoformat(sep=" ") if hasattr(value, "isoformat") else value


def evidence_zip(db: Database, user: User | None, cycle_id: str) -> bytes:
    """HR's evidence package of a cycle (a zip, audited ``export_signoff_evidence``): every archived PDF
    (``pdf/<employee>/<cycle>.pdf``), the cycle's ledger rows (``ledger.csv``, ``ledger.json``), the
    verification report (``verification.txt``), the signing certificate and its trust root
    (``signing-cert.pem``, ``ca-cert.pem``), ``SHA256SUMS.txt`` and ``README.txt``."""
    exporter = may_export_evidence(db, user)
    cycle = db.one("SELECT cycle_id, name FROM cycles WHERE cycle_id = ?", [cycle_id])
    if cycle is None:
        raise CoreError("archive.unknown_cycle", cycle=cycle_id)
    archive = archive_root(db)
    report = signoff_verify.verify(db, archive, cycle_id=cycle_id)
    ledger = [{k: _plain(r[k]) for k in LEDGER_FIELDS} for r in signoff_ledger.rows_of(db, cycle_id=cycle_id)]
    files: dict[str, bytes] = {}
    for status in report.documents:
        try:
            if signoff_verify.inside(archive, status.path):
                files[f"pdf/{status.path}"] = (archive / status.path).read_bytes()
        except OSError:
            pass  # named in the verification report as missing
    as_text = [{k: None if v is None else str(v) for k, v in r.items()} for r in ledger]
    frame = pl.DataFrame(as_text, schema=dict.fromkeys(LEDGER_FIELDS, pl.String))
    files["ledger.csv"] = csv_text(frame).encode("utf-8-sig")  # with a BOM: Excel opens it as UTF-8
    files["ledger.json"] = json.dumps(ledger, ensure_ascii=False, indent=1, default=str).encode("utf-8")
    files["verification.txt"] = _verification_text(cycle, report).encode("utf-8")
    try:
        signing_pem, roots = signing.certificates(signing.ca_dir(db.path))
    except CoreError:
        signing_pem, roots = b"", ()
    files["signing-cert.pem"], files["ca-cert.pem"] = signing_pem, b"".join(roots)
    sums = "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in sorted(files.items()))
    files["SHA256SUMS.txt"] = sums.encode("utf-8")
    files["README.txt"] = str(Text("archive.readme", cycle=cycle["name"], cycle_id=cycle_id,
                                   documents=len(report.documents))).encode("utf-8")  # fmt: skip
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in files.items():
            out.writestr(name, data)
    audit.log(db, exporter.username, "export_signoff_evidence", "cycle", cycle_id,
              {"documents": len(report.documents), "ledger_rows": len(ledger), "verified": report.ok})  # fmt: skip
    return buf.getvalue()


def _verification_text(cycle: dict[str, Any], report: signoff_verify.Report) -> str:
    lines = [str(Text("archive.report_title", cycle=cycle["name"], cycle_id=cycle["cycle_id"],
                      at=clock.now().isoformat(sep=" ")))]  # fmt: skip
    lines += report.lines()
    lines.append("")
    for status in report.documents:
        verdict = Text("archive.report_ok") if status.ok else Text("archive.report_bad", count=len(status.findings))
        lines.append(f"{status.appraisal_id}\t{status.path}\t{verdict}")
    return "\n".join(lines) + "\n"
