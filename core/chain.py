"""The hash chain the audit trail (and the sign-off ledger) keep: each entry's hash covers the previous
entry's hash and the entry's own canonical content, so a later UPDATE, DELETE or insertion in the middle
breaks the chain at that entry. With a key the link is an HMAC-SHA-256, so the chain cannot be re-forged
by someone holding only the database file; without one it is plain SHA-256.

Two small files keep the chain honest from outside the database: the key (:func:`create_key`, 32 random
bytes as hex, created 0600 with ``O_EXCL`` so it is never readable by others, not even for a moment) and
the head checkpoint (:func:`write_head`: the last sequence number and hash, sealed with the key so that
a head copied into a backup cannot be rewritten to fit a shortened chain; two slots written in turn, so
a write torn by a crash leaves the previous head readable).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

GENESIS = "0" * 64
KEY_BYTES = 32
PRIVATE_FILE = 0o600
_HEAD_WRITE = threading.Lock()  # two writers of one process share the temporary file's name


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


# -- the key file ---------------------------------------------------------------------------------------
class KeyUnreadable(ValueError):
    """The key file holds something other than a key (64 hexadecimal digits)."""


def create_key(path: Path) -> bytes:
    """Write a new random key to ``path`` (created 0600, refused with ``FileExistsError`` when a file is
    there already: a key is never overwritten) and return it."""
    key = secrets.token_bytes(KEY_BYTES)
    _write_key(path, key)
    return key


def _write_key(path: Path, key: bytes) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(key.hex() + "\n")
        out.flush()
        os.fsync(out.fileno())  # a key lost to a crash would make the whole trail unverifiable


def install_key(source: Path, path: Path) -> None:
    """Put a copy of the key file ``source`` at ``path`` (created 0600; ``FileExistsError`` when a file is
    there already): a database built elsewhere moves into place with the key it was built under."""
    key = read_key(source)
    if key is None:
        raise FileNotFoundError(source)
    _write_key(path, key)


def read_key(path: Path) -> bytes | None:
    """The key in ``path``; None when there is no such file; :class:`KeyUnreadable` when it holds no key."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    except (UnicodeDecodeError, IsADirectoryError) as err:
        raise KeyUnreadable(str(path)) from err
    try:
        key = bytes.fromhex(text)
    except ValueError as err:
        raise KeyUnreadable(str(path)) from err
    if len(key) != KEY_BYTES:
        raise KeyUnreadable(str(path))
    return key


# -- the head checkpoint --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Head:
    """The last entry of a chain as checkpointed: its sequence number and hash."""

    seq: int
    hash: str


class HeadUnreadable(ValueError):
    """The head file is not a head checkpoint (``kind`` "unreadable"), or its seal is not the key's
    (``kind`` "forged": rewritten, or sealed with another key)."""

    def __init__(self, path: Path, kind: str) -> None:
        super().__init__(f"{path}: {kind}")
        self.path, self.kind = path, kind


def _seal(key: bytes, head: Head) -> str:
    return hmac.new(key, f"jixiao-head\x00{head.seq}\x00{head.hash}".encode(), hashlib.sha256).hexdigest()


SLOT_BYTES = 256  # one sealed head as JSON, padded with spaces
SLOT_OFFSETS = (0, 4096)  # two slots in separate pages: a write torn by a crash spoils one, never both


def _slot(key: bytes, head: Head) -> bytes:
    text = json.dumps({"seq": head.seq, "hash": head.hash, "seal": _seal(key, head),
                       "at": dt.datetime.now().isoformat(timespec="seconds")})  # fmt: skip
    return text.encode("ascii").ljust(SLOT_BYTES - 1) + b"\n"


def write_head(path: Path, head: Head, key: bytes, *, durable: bool = False, whole: bool = False) -> None:
    """Checkpoint ``head`` in ``path``, sealed with ``key``. The file holds two slots; each checkpoint
    overwrites, in place, the slot that does not hold the newest head, so a crash halfway through a write
    leaves the other one — a head one step behind, which still verifies. (In place, because moving a new
    file over the old one on every audited write costs an ext4 disk a journal commit each time: see
    bench/audit_write.py.) A missing or damaged file, or ``whole``, is written anew: to a temporary file
    beside it (0600), flushed, and moved over the old one. ``durable`` flushes a slot's write to the disk."""
    slot = _slot(key, head)
    with _HEAD_WRITE:
        if whole or not _write_slot(path, slot, key, durable):
            _write_whole(path, slot)


def _write_slot(path: Path, slot: bytes, key: bytes, durable: bool) -> bool:
    """Overwrite, in place, the slot of ``path`` that does not hold its newest head under ``key``; False
    when there is no such file, it is not two slots, or neither slot is a head of this key (a new key
    after rekey-audit)."""
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        if os.fstat(fd).st_size != SLOT_OFFSETS[1] + SLOT_BYTES:
            return False
        seqs = [_slot_seq(os.pread(fd, SLOT_BYTES, offset), key) for offset in SLOT_OFFSETS]
        newest = max(range(2), key=seqs.__getitem__)
        if seqs[newest] < 0:
            return False
        os.fchmod(fd, PRIVATE_FILE)
        os.pwrite(fd, slot, SLOT_OFFSETS[1 - newest])
        if durable:
            os.fsync(fd)
        return True
    finally:
        os.close(fd)


def _write_whole(path: Path, slot: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    try:
        os.fchmod(fd, PRIVATE_FILE)  # a leftover temporary file of an earlier run keeps its own mode
        os.pwrite(fd, slot, SLOT_OFFSETS[0])
        os.pwrite(fd, slot, SLOT_OFFSETS[1])
        os.fsync(fd)  # the file every later checkpoint writes into: on the disk before it takes the name
    finally:
        os.close(fd)
    os.replace(temporary, path)


def _slot_seq(raw: bytes, key: bytes) -> int:
    """The sequence number of the head in one slot; -1 when it is torn or not sealed with ``key``."""
    try:
        data = json.loads(raw)
        head, seal = Head(int(data["seq"]), str(data["hash"])), str(data["seal"])
    except (ValueError, KeyError, TypeError):
        return -1
    return head.seq if hmac.compare_digest(seal, _seal(key, head)) else -1


def read_head(path: Path, key: bytes | None) -> Head | None:
    """The newest head checkpointed in ``path``; None when there is none; :class:`HeadUnreadable` when the
    file holds no readable head, or (with ``key``) when a slot's seal does not match (a slot torn by a
    crash is passed over: the other one is the head)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError as err:
        raise HeadUnreadable(path, "unreadable") from err
    heads = []
    for offset in SLOT_OFFSETS:
        try:
            data = json.loads(raw[offset : offset + SLOT_BYTES])
            head, seal = Head(int(data["seq"]), str(data["hash"])), str(data["seal"])
        except (ValueError, KeyError, TypeError):
            continue  # torn, or not a head at all
        if key is not None and not hmac.compare_digest(seal, _seal(key, head)):
            raise HeadUnreadable(path, "forged")
        heads.append(head)
    if not heads:
        raise HeadUnreadable(path, "unreadable")
    return max(heads, key=lambda h: h.seq)


@dataclass(frozen=True)
class HeadProblem:
    """What is wrong between a head checkpoint and its chain: ``kind`` is ``unreadable`` or ``forged``
    (the file), ``missing`` (no head for a chain that has entries), ``emptied`` (a head for an empty
    chain), ``truncated`` (the chain ends before the head) or ``mismatch`` (another hash at the head's
    entry). :attr:`params` are the fields the messages of each kind name."""

    kind: str
    path: Path
    head: Head | None = None
    last: int | None = None

    @property
    def params(self) -> dict[str, Any]:
        head = self.head.seq if self.head else None
        return {
            "unreadable": {"path": self.path},
            "forged": {"path": self.path},
            "missing": {"path": self.path, "rows": self.last},
            "emptied": {"head": head},
            "truncated": {"last": self.last, "head": head, "missing": (head or 0) - (self.last or 0)},
            "mismatch": {"seq": head, "path": self.path},
        }[self.kind]


def head_problem(path: Path, key: bytes, last: tuple[int, str] | None,
                 hash_at: Callable[[int], str | None]) -> HeadProblem | None:  # fmt: skip
    """Hold the head checkpointed in ``path`` against a chain whose last entry is ``last`` (seq, hash;
    None when empty); ``hash_at`` gives the hash stored at a sequence number. None when they agree (a
    head behind the chain agrees when the chain holds its hash at the head's entry)."""
    try:
        head = read_head(path, key)
    except HeadUnreadable as err:
        return HeadProblem(err.kind, path)
    if head is None:
        return None if last is None else HeadProblem("missing", path, last=last[0])
    if last is None:
        return HeadProblem("emptied", path, head)
    if head.seq > last[0]:
        return HeadProblem("truncated", path, head, last[0])
    found = last[1] if head.seq == last[0] else hash_at(head.seq)
    return None if found == head.hash else HeadProblem("mismatch", path, head, last[0])


@dataclass(frozen=True)
class Break:
    """Where a chain stops matching: the sequence number and what is wrong there (``missing``,
    ``relinked``: the previous-hash field differs, ``altered``: the content differs from its hash,
    ``unkeyed``: a keyed chain's entry carries a plain SHA-256 — recomputed by someone without the key)."""

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
            return Break(seq, "unkeyed" if key and link(prev, payload) == digest else "altered"), count, prev
        prev, expected, count = digest, expected + 1, count + 1
    return None, count, prev
