"""The sign-off ledger (DESIGN.md §3 *Evidence*): one row per confirmation, objection, resolution, PDF
issued and cycle closed, each linked to the previous by :mod:`core.chain`.

CONTRACT STUB: ``append`` keeps its signature; the keyed chain, head checkpoint and verification land
with the evidence work.
"""

from __future__ import annotations

import json
from typing import Any

from core import chain, clock
from core.db import Cursor


def append(cur: Cursor, *, actor: str, role: str, action: str, appraisal_id: str | None = None,
           cycle_id: str | None = None, record_sha256: str | None = None, pdf_sha256: str | None = None,
           detail: dict[str, Any] | None = None) -> int:  # fmt: skip
    """Append one ledger row inside the caller's transaction; returns its seq."""
    last = cur.execute("SELECT seq, entry_hash FROM signoff_ledger ORDER BY seq DESC LIMIT 1").fetchall()
    seq, prev = (last[0][0] + 1, last[0][1]) if last else (1, chain.GENESIS)
    ts = clock.now()
    text = json.dumps(detail, ensure_ascii=False, sort_keys=True) if detail else None
    values = [seq, ts, appraisal_id, cycle_id, actor, role, action, record_sha256, pdf_sha256, text]
    entry = chain.link(prev, chain.canonical(values))
    cur.execute("INSERT INTO signoff_ledger VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [*values, prev, entry])
    return seq
