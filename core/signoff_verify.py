"""Verification of the sign-off evidence (``python -m core.admin verify-signoffs``): the ledger's chain and
head, and for every archived document (a row of ``signoff_documents``)

1. the record copy kept with it (``record_json``) still hashes to its ``record_sha256``;
2. the record recomputed from the database now (:func:`core.signoff_record.record`) hashes the same, or
   the fields that changed are named (``final_score: 76.0 → 80.0``, ``items[T-OUT].manager_score: …``);
3. the ledger's last ``pdf_issued`` row of the appraisal carries the same record and PDF hashes;
4. the archived file exists and hashes to ``pdf_sha256``;
5. its signature validates offline against our trust root (:func:`core.signing.validate_pdf`);

and that every ``pdf_issued`` row of the ledger still has its document. Each finding names the appraisal
and the field, file or ledger row, in Chinese (``Text``; English with ``JIXIAO_LANG=en``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core import signing, signoff_ledger, signoff_record
from core.db import Cursor, Database
from core.errors import Text

DOCUMENT_COLUMNS = "appraisal_id, round, path, record_sha256, record_json, pdf_sha256, issued_at, issued_by"
_VALIDATED: dict[
    tuple[str, str], signing.Validation
] = {}  # (pdf sha256, trust roots) → result: a file's bytes decide it
_VALIDATED_CAP = 20_000


@dataclass(frozen=True)
class Finding:
    """One mismatch: the appraisal (None for the ledger itself), what (a field, a file, a ledger row)
    and the sentence."""

    appraisal_id: str | None
    subject: str
    text: Text


@dataclass(frozen=True)
class DocumentStatus:
    """One archived document as verified: its findings (none: verified) and who signed it, when."""

    appraisal_id: str
    path: str
    issued_at: dt.datetime | None
    findings: tuple[Finding, ...]
    signer: str | None = None
    signed_at: dt.datetime | None = None

    @property
    def ok(self) -> bool:
        return not self.findings


@dataclass(frozen=True)
class Report:
    """The whole verification: the ledger's check, every document's status, and findings of the ledger's
    ``pdf_issued`` rows whose document is gone."""

    ledger: signoff_ledger.LedgerCheck
    documents: list[DocumentStatus]
    orphans: list[Finding] = field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        found = [] if self.ledger.ok else [Finding(self.ledger.appraisal_id, "ledger", self.ledger.message)]
        return found + [f for d in self.documents for f in d.findings] + self.orphans

    @property
    def ok(self) -> bool:
        return not self.findings

    def lines(self, lang: str = "zh-CN") -> list[str]:
        """The report as sentences: the ledger's verdict, every finding, and the summary."""
        out = [self.ledger.message.render(lang)]
        out += [f.text.render(lang) for f in self.findings if f.subject != "ledger"]
        summary = Text("verify.problems", count=len(self.findings)) if self.findings else Text(
            "verify.all_good", rows=self.ledger.rows, documents=len(self.documents))  # fmt: skip
        return [*out, summary.render(lang)]


def _value(rec: dict[str, Any] | None, name: str) -> Any:
    """The value of a field named as :func:`core.signoff_record.differences` names it."""
    if rec is None:
        return None
    if not name.startswith("items["):
        return rec.get(name)
    kpi, _, key = name[len("items[") :].partition("]")
    item = next((i for i in rec.get("items", []) if i.get("kpi_id") == kpi), None)
    if not key:
        return "—" if item is None else "…"
    return None if item is None else item.get(key.removeprefix("."))


def _shown(value: Any) -> str:
    return "空" if value is None else str(value)


def _record_findings(cur: Cursor, doc: dict[str, Any]) -> list[Finding]:
    appraisal_id = doc["appraisal_id"]
    try:
        stored = json.loads(doc["record_json"])
    except (TypeError, ValueError):
        stored = None
    if stored is None or signoff_record.sha256(stored) != doc["record_sha256"]:
        return [Finding(appraisal_id, "record_json", Text("verify.copy_altered", appraisal=appraisal_id))]
    now = signoff_record.record(cur, appraisal_id)
    if now is None:
        return [Finding(appraisal_id, "appraisal", Text("verify.appraisal_missing", appraisal=appraisal_id))]
    if signoff_record.sha256(now) == doc["record_sha256"]:
        return []
    changed = signoff_record.differences(stored, now) or ["version"]
    return [
        Finding(
            appraisal_id,
            name,
            Text(
                "verify.field_changed",
                appraisal=appraisal_id,
                field=name,
                before=_shown(_value(stored, name)),
                after=_shown(_value(now, name)),
            ),
        )
        for name in changed
    ]


def _ledger_findings(doc: dict[str, Any], issued: dict[str, Any] | None) -> list[Finding]:
    appraisal_id = doc["appraisal_id"]
    if issued is None:
        return [Finding(appraisal_id, "ledger", Text("verify.ledger_missing", appraisal=appraisal_id))]
    found = []
    if issued["record_sha256"] != doc["record_sha256"]:
        found.append(Finding(appraisal_id, f"ledger[{issued['seq']}].record_sha256",
                             Text("verify.ledger_record", appraisal=appraisal_id, seq=issued["seq"])))  # fmt: skip
    if issued["pdf_sha256"] != doc["pdf_sha256"]:
        found.append(Finding(appraisal_id, f"ledger[{issued['seq']}].pdf_sha256",
                             Text("verify.ledger_pdf", appraisal=appraisal_id, seq=issued["seq"])))  # fmt: skip
    return found


def validated(data: bytes, trust: Path) -> signing.Validation:
    """:func:`core.signing.validate_pdf` of ``data``, remembered by the file's SHA-256."""
    cache_key = (hashlib.sha256(data).hexdigest(), f"{trust}|{os.environ.get('JIXIAO_SIGNING_P12', '')}")
    found = _VALIDATED.get(cache_key)
    if found is None:
        found = signing.validate_pdf(data, folder=trust)
        if found.problem is None or found.problem.code != "signing.no_ca":
            if len(_VALIDATED) >= _VALIDATED_CAP:
                _VALIDATED.clear()
            _VALIDATED[cache_key] = found
    return found


def inside(archive: Path, rel: str) -> bool:
    """Whether the archive-relative path ``rel`` stays inside the archive folder (a row rewritten to
    ``../../…`` never makes a file elsewhere readable)."""
    root = archive.resolve()
    return root in (root / rel).resolve().parents


def check_document(cur: Cursor, doc: dict[str, Any], archive: Path, issued: dict[str, Any] | None,
                   trust: Path) -> DocumentStatus:  # fmt: skip
    """Verify one archived document (a ``signoff_documents`` row as a dict) against the database, its
    ledger row ``issued`` (the appraisal's last ``pdf_issued``), its file under ``archive`` and its
    signature (trust root in ``trust``)."""
    appraisal_id, rel = doc["appraisal_id"], doc["path"]
    findings = _record_findings(cur, doc) + _ledger_findings(doc, issued)
    signer = signed_at = None
    if not inside(archive, rel):
        findings.append(Finding(appraisal_id, f"file:{rel}", Text("verify.path_outside", appraisal=appraisal_id,
                                                                  path=rel)))  # fmt: skip
        return DocumentStatus(appraisal_id, rel, doc.get("issued_at"), tuple(findings))
    try:
        data = (archive / rel).read_bytes()
    except OSError:
        findings.append(Finding(appraisal_id, f"file:{rel}", Text("verify.file_missing", appraisal=appraisal_id,
                                                                  path=rel)))  # fmt: skip
    else:
        if hashlib.sha256(data).hexdigest() != doc["pdf_sha256"]:
            findings.append(Finding(appraisal_id, f"file:{rel}",
                                    Text("verify.file_changed", appraisal=appraisal_id, path=rel)))  # fmt: skip
        check = validated(data, trust)
        signer, signed_at = check.signer, check.signed_at
        if check.problem is not None:
            findings.append(Finding(appraisal_id, f"signature:{rel}", Text(
                "verify.signature", appraisal=appraisal_id, path=rel, problem=check.problem)))  # fmt: skip
    return DocumentStatus(appraisal_id, rel, doc.get("issued_at"), tuple(findings), signer, signed_at)


def last_issued(db: Database, *, cycle_id: str | None = None) -> dict[str, dict[str, Any]]:
    """Each appraisal's last ``pdf_issued`` ledger row (of a cycle, or of all)."""
    rows = [r for r in signoff_ledger.rows_of(db, cycle_id=cycle_id) if r["action"] == "pdf_issued"]
    return {r["appraisal_id"]: r for r in rows}


def documents(db: Database, *, cycle_id: str | None = None,
              appraisal_ids: list[str] | None = None) -> list[dict[str, Any]]:  # fmt: skip
    """``signoff_documents`` rows as dicts (of a cycle, of some appraisals, or all), by appraisal."""
    where, params = [], []
    if cycle_id is not None:
        where.append("appraisal_id IN (SELECT appraisal_id FROM appraisals WHERE cycle_id = ?)")
        params.append(cycle_id)
    if appraisal_ids is not None:
        where.append("list_contains(?::VARCHAR[], appraisal_id)")
        params.append(appraisal_ids)
    sql = f"SELECT {DOCUMENT_COLUMNS} FROM signoff_documents"
    return db.rows(sql + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY appraisal_id", params)


def verify(db: Database, archive: Path, *, cycle_id: str | None = None, head_file: Path | None = None,
           trust: Path | None = None) -> Report:  # fmt: skip
    """Verify the ledger and every archived document (of ``cycle_id``, or all): see the module's docstring.
    ``archive`` is the archive folder, ``trust`` the local CA's (the database's by default)."""
    trust = trust or signing.ca_dir(db.path)
    ledger = signoff_ledger.verify(db, head_file=head_file)
    issued = last_issued(db, cycle_id=cycle_id)
    cur = db.cursor()
    docs = documents(db, cycle_id=cycle_id)
    statuses = [check_document(cur, d, archive, issued.get(d["appraisal_id"]), trust) for d in docs]
    held = {d["appraisal_id"] for d in docs}
    orphans = [
        Finding(a, f"ledger[{r['seq']}]", Text("verify.document_missing", appraisal=a, seq=r["seq"]))
        for a, r in sorted(issued.items())
        if a not in held
    ]
    return Report(ledger, statuses, orphans)
