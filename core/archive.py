"""The electronic archive of signed sign-off PDFs: ``data/archive/<employee>/<cycle>.pdf``.

CONTRACT STUB: ``issue`` keeps its signature; atomic files, scoped downloads and the evidence package
land with the evidence work.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from core import clock, signoff_ledger, signoff_record
from core.db import Cursor, transaction_of
from core.signing import sign_pdf
from core.signoff_document import render_appraisal


@dataclass(frozen=True)
class Issued:
    appraisal_id: str
    path: str  # relative to the archive folder
    record_sha256: str
    pdf_sha256: str


def archive_dir(cur: Cursor) -> Path:
    """The archive folder of the database ``cur`` belongs to (``archive/`` beside the database file)."""
    return transaction_of(cur).database.path.parent / "archive"


def issue(cur: Cursor, appraisal_id: str, actor: str, *, lang: str = "zh-CN") -> Issued:
    """Render, sign and file the PDF of ``appraisal_id`` inside the caller's transaction (the file is
    written once the transaction commits) and record ``pdf_issued`` in the ledger."""
    rec = signoff_record.record(cur, appraisal_id)
    assert rec is not None
    head = cur.execute("SELECT employee_id, cycle_id, signoff_round FROM appraisals WHERE appraisal_id = ?",
                       [appraisal_id]).fetchall()[0]  # fmt: skip
    employee_id, cycle_id, rnd = head
    pdf = sign_pdf(render_appraisal(cur, appraisal_id, lang=lang))
    digest = hashlib.sha256(pdf).hexdigest()
    rel = f"{employee_id}/{cycle_id}.pdf"
    record_hash = signoff_record.sha256(rec)
    cur.execute("DELETE FROM signoff_documents WHERE appraisal_id = ?", [appraisal_id])
    cur.execute(
        "INSERT INTO signoff_documents VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [appraisal_id, rnd, rel, record_hash, signoff_record.canonical_bytes(rec).decode("utf-8"), digest,
         clock.now(), actor],
    )  # fmt: skip
    signoff_ledger.append(cur, actor=actor, role="system", action="pdf_issued", appraisal_id=appraisal_id,
                          cycle_id=cycle_id, record_sha256=record_hash, pdf_sha256=digest)  # fmt: skip
    target = archive_dir(cur) / rel

    def write() -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(pdf)

    transaction_of(cur).after_commit(f"archive:{rel}", write)
    return Issued(appraisal_id, rel, record_hash, digest)
