"""The sign-off ledger (DESIGN.md §3 *Evidence*): one row per confirmation, objection, resolution, PDF
issued and cycle closed, each linked to the previous by :mod:`core.chain`.

**The chain** is keyed as the audit trail's is: each row's ``entry_hash`` is an HMAC-SHA-256, under the
audit key (:func:`core.audit.chain_key`), over the previous row's hash and the row's canonical content
(:data:`FIELDS` in order, :func:`core.chain.canonical`). It is a chain of its own, beside the audit's.

**Its head** (last seq and hash, sealed with the key) is checkpointed in ``<db>.signoff-head`` beside the
audit head after every commit that appended to it; a head that disagrees with the ledger is left as it
is (it is the evidence) and the log says so. :func:`verify` walks the chain under the key and holds it
against the head: a row changed, deleted or inserted, a tail cut, a head rewritten are each named.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from core import audit, chain, clock
from core.chain import GENESIS, Head
from core.db import Cursor, Database, transaction_of
from core.errors import Text

logger = logging.getLogger(__name__)
FIELDS = ("seq", "ts", "appraisal_id", "cycle_id", "actor", "role", "action", "record_sha256", "pdf_sha256", "detail")
COLUMNS = ", ".join((*FIELDS, "prev_hash", "entry_hash"))
_HEAD_CODES = {"unreadable": "signoff_ledger.head_unreadable", "forged": "signoff_ledger.head_forged", "missing": "signoff_ledger.head_missing",
               "emptied": "signoff_ledger.emptied", "truncated": "signoff_ledger.truncated", "mismatch": "signoff_ledger.head_mismatch"}  # fmt: skip
_BREAK_CODES = {"missing": "audit.row_missing", "relinked": "audit.row_relinked", "altered": "audit.row_altered",
                "unkeyed": "audit.row_unkeyed"}  # fmt: skip


def _last(cur: Cursor) -> tuple[int, str] | None:
    row = cur.execute("SELECT seq, entry_hash FROM signoff_ledger ORDER BY seq DESC LIMIT 1").fetchone()
    return (row[0], row[1]) if row else None


def _hash_at(cur: Cursor, seq: int) -> str | None:
    row = cur.execute("SELECT entry_hash FROM signoff_ledger WHERE seq = ?", [seq]).fetchone()
    return row[0] if row else None


def _head_problem(cur: Cursor, head_file: Path, key: bytes, last: tuple[int, str] | None) -> Text | None:
    found = chain.head_problem(head_file, key, last, partial(_hash_at, cur))
    return None if found is None else Text(_HEAD_CODES[found.kind], **found.params)


def append(cur: Cursor, *, actor: str, role: str, action: str, appraisal_id: str | None = None,
           cycle_id: str | None = None, record_sha256: str | None = None, pdf_sha256: str | None = None,
           detail: dict[str, Any] | None = None) -> int:  # fmt: skip
    """Append one ledger row inside the caller's transaction; returns its seq. The head checkpoint moves
    on once the transaction commits (never for a rolled-back row)."""
    tx = transaction_of(cur)
    key = audit.chain_key(cur)
    last = _last(cur)
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    head_file = tx.database.signoff_head_file
    if "signoff:head" not in tx.state:  # the first row of this transaction: may its commit move the head on?
        problem = _head_problem(cur, head_file, key, last)
        if problem is not None:
            logger.error("the sign-off ledger's head checkpoint is left as it is: %s", problem.render("en"))
        tx.state["signoff:head"] = problem is None
    text = json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str) if detail else None
    values = [seq, clock.now(), appraisal_id, cycle_id, actor, role, action, record_sha256, pdf_sha256, text]
    entry = chain.link(prev, chain.canonical(values), key)
    cur.execute(f"INSERT INTO signoff_ledger ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [*values, prev, entry])  # fmt: skip
    if tx.state["signoff:head"]:
        tx.after_commit("signoff:head", partial(chain.write_head, head_file, Head(seq, entry), key))
    return seq


# -- verifying -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LedgerCheck:
    """The outcome of walking the ledger: ``ok``, how many rows matched, the first row that does not
    (its seq, appraisal and action), and the sentence saying so."""

    ok: bool
    rows: int
    message: Text
    broken_seq: int | None = None
    appraisal_id: str | None = None


def _describe(cur: Cursor, seq: int) -> tuple[str | None, str]:
    row = cur.execute("SELECT appraisal_id, cycle_id, action FROM signoff_ledger WHERE seq = ?", [seq]).fetchone()
    if row is None:
        return None, "-"
    return row[0], f"{row[2]} · {row[0] or row[1] or '-'}"


def verify(db: Database, *, head_file: Path | None = None, batch: int = 50_000) -> LedgerCheck:
    """Walk the ledger under the audit key and hold it against its head checkpoint (``head_file``: a
    backup's, instead of the database's own)."""
    cur = db.cursor()
    head_file = head_file or db.signoff_head_file
    try:
        key = chain.read_key(db.key_file)
    except chain.KeyUnreadable:
        return LedgerCheck(False, 0, Text("audit.key_unreadable", path=db.key_file))
    last = _last(cur)
    if key is None:
        if last is None and not head_file.exists():
            return LedgerCheck(True, 0, Text("signoff_ledger.intact", rows=0, head=0))
        return LedgerCheck(False, 0, Text("audit.key_missing", path=db.key_file))
    last_seq, rows, prev = 0, 0, GENESIS
    while True:
        chunk = cur.execute(f"SELECT {COLUMNS} FROM signoff_ledger WHERE seq > ? ORDER BY seq LIMIT ?",
                            [last_seq, batch]).fetchall()  # fmt: skip
        if not chunk:
            break
        entries = ((r[0], r[10], r[11], chain.canonical(r[:10])) for r in chunk)
        broken, matched, prev = chain.first_break(entries, key, start_seq=last_seq + 1, start_hash=prev)
        rows += matched
        if broken is not None:
            appraisal_id, what = _describe(cur, broken.found_seq or broken.seq)
            problem = Text(_BREAK_CODES[broken.kind], found=broken.found_seq)
            message = Text("signoff_ledger.broken", seq=broken.seq, what=what, problem=problem)
            return LedgerCheck(False, rows, message, broken.seq, appraisal_id)
        last_seq = chunk[-1][0]
    problem = _head_problem(cur, head_file, key, last)
    if problem is not None:
        return LedgerCheck(False, rows, problem)
    return LedgerCheck(True, rows, Text("signoff_ledger.intact", rows=rows, head=last[0] if last else 0))


def rows_of(db: Database, *, cycle_id: str | None = None) -> list[dict[str, Any]]:
    """Ledger rows (all, or a cycle's: its appraisals' rows and its own), in order."""
    if cycle_id is None:
        return db.rows(f"SELECT {COLUMNS} FROM signoff_ledger ORDER BY seq")
    return db.rows(
        f"SELECT {COLUMNS} FROM signoff_ledger WHERE cycle_id = ? OR appraisal_id IN"
        " (SELECT appraisal_id FROM appraisals WHERE cycle_id = ?) ORDER BY seq",
        [cycle_id, cycle_id],
    )
