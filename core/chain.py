"""The hash chain the audit trail (and the sign-off ledger) keep: each entry's hash covers the previous
entry's hash and the entry's own canonical content, so a later UPDATE, DELETE or insertion in the middle
breaks the chain at that entry. With a key the link is an HMAC-SHA-256, so the chain cannot be re-forged
by someone holding only the database file; without one it is plain SHA-256."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


def canonical(values: Sequence[Any]) -> str:
    """The canonical text of an entry's fields: compact JSON, timestamps to the microsecond."""
    return json.dumps(
        [v.isoformat(timespec="microseconds") if isinstance(v, dt.datetime) else v for v in values],
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )


def link(prev_hash: str, payload: str, key: bytes | None = None) -> str:
    """The hash of an entry whose canonical content is ``payload`` following ``prev_hash``."""
    data = (prev_hash + payload).encode("utf-8")
    if key:
        return hmac.new(key, data, hashlib.sha256).hexdigest()
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Break:
    """Where a chain stops matching: the sequence number and what is wrong there (``missing``,
    ``relinked``: the previous-hash field differs, ``altered``: the content differs from its hash)."""

    seq: int
    kind: str
    found_seq: int | None = None


def first_break(
    entries: Iterable[tuple[int, str, str, str]], key: bytes | None = None, *, start_seq: int = 1,
    start_hash: str = GENESIS,
) -> tuple[Break | None, int, str]:  # fmt: skip
    """Walk ``(seq, prev_hash, hash, payload)`` entries in order from ``start_seq`` / ``start_hash``. Returns
    the first break (None when intact), how many entries matched, and the last matching hash."""
    expected, prev, count = start_seq, start_hash, 0
    for seq, prev_hash, digest, payload in entries:
        if seq != expected:
            return Break(expected, "missing", seq), count, prev
        if prev_hash != prev:
            return Break(seq, "relinked"), count, prev
        if link(prev, payload, key) != digest:
            return Break(seq, "altered"), count, prev
        prev, expected, count = digest, expected + 1, count + 1
    return None, count, prev
