"""The one door to DuckDB.

Only this module imports duckdb. It opens (or creates) the database file, applies the numbered
migrations in ``schemas/migrations/``, hands each thread its own cursor (a DuckDB connection refuses
concurrent calls), and wraps every write in an explicit transaction: DuckDB would otherwise
auto-commit each statement of a batch. Work that must follow only a committed transaction (the audit
trail's head checkpoint) registers with :func:`transaction_of` and runs after the COMMIT.

The files of a database are its owner's alone: a new data directory is made 0700 (an existing looser
one is left as it is, since it may be shared, and warned about in the log), and the database file and
its ``.wal`` are tightened to 0600 right after DuckDB creates them (on opening, and after every commit,
because DuckDB deletes the WAL at each checkpoint and creates it again under the process umask). Each
database has an audit key file and a head checkpoint beside it (:func:`audit_files`, used by
:mod:`core.audit`).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import stat
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from core.errors import Coded, Text, cli_language, render

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS_DIR = ROOT / "schemas" / "migrations"
DEFAULT_DB_PATH = ROOT / "data" / "jixiao.duckdb"

Cursor = duckdb.DuckDBPyConnection
PRIVATE_FILE = 0o600  # the database, its WAL, the audit key and head: readable by their owner only
PRIVATE_DIR = 0o700
log = logging.getLogger(__name__)


class DatabaseBusy(Coded, RuntimeError):
    """Another process holds the database file; the message (``db.busy``) is a sentence for people."""


class DatabaseError(Coded, RuntimeError):
    """A database failure, worded for people (``db.*``); the original error is chained."""


def default_path() -> Path:
    """The database file named by ``JIXIAO_DB``, else ``data/jixiao.duckdb``."""
    return Path(os.environ.get("JIXIAO_DB") or DEFAULT_DB_PATH)


@dataclass(frozen=True)
class AuditFiles:
    """Where a database's audit key and head checkpoint live (see :mod:`core.audit`)."""

    key: Path
    head: Path

    @property
    def signoff_head(self) -> Path:
        """The head checkpoint of the sign-off ledger, beside the audit head (``jixiao.signoff-head``)."""
        return self.head.with_suffix(".signoff-head")


def audit_files(db_path: str | os.PathLike[str]) -> AuditFiles:
    """The audit key and head checkpoint of the database at ``db_path``: for the database named by
    ``JIXIAO_DB`` (the default one) the key is ``JIXIAO_KEY_FILE`` when set; otherwise the key sits beside
    the database (``data/jixiao.duckdb`` → ``data/jixiao.key``). The head is beside the key, named after the
    database (``jixiao.head``), so another database sharing the key directory never writes over it."""
    path = Path(db_path)
    configured = os.environ.get("JIXIAO_KEY_FILE")
    if configured and _same_file(path, default_path()):
        key = Path(configured)
    else:
        key = path.with_suffix(".key")
    return AuditFiles(key, key.with_name(path.stem + ".head"))


def _same_file(a: Path, b: Path) -> bool:
    return os.path.abspath(a) == os.path.abspath(b)


def tighten(path: Path, mode: int = PRIVATE_FILE) -> None:
    """Make an existing file of ours readable by its owner only (a looser one, as DuckDB creates it under
    the process umask, is tightened); a file that is not ours is left as it is, with a warning."""
    try:
        current = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return
    if current & ~mode:
        try:
            os.chmod(path, mode)
        except PermissionError:
            log.warning("%s is readable by others (mode %o) and cannot be tightened: it is not ours", path, current)


def _data_directory(folder: Path) -> None:
    """Make the data directory (0700, only the last level: the parents may be shared), or warn about a
    looser existing one: it is not changed, as it may hold other people's files."""
    if not folder.exists():
        folder.parent.mkdir(parents=True, exist_ok=True)
        folder.mkdir(mode=PRIVATE_DIR, exist_ok=True)
        return
    mode = stat.S_IMODE(folder.stat().st_mode)
    if mode & 0o077:
        log.warning("%s", render("db.data_dir_open", {"path": folder, "mode": f"{mode:o}"}, cli_language()))


def wal_path(path: Path) -> Path:
    """DuckDB's write-ahead log beside the database file."""
    return path.with_name(path.name + ".wal")


def copy_database(src: str | os.PathLike[str], dst: str | os.PathLike[str], *, key: bool = True) -> Path:
    """Copy a closed database file (with its WAL, if any) and its audit head checkpoint to ``dst``, and
    the audit key too unless ``key`` is False, each 0600: a copy that is to be written to needs the key
    (a test fixture); a backup keeps the key apart (``key=False``; see :mod:`core.audit`)."""
    src, dst = Path(src), Path(dst)
    _data_directory(dst.parent)
    pairs = [(src, dst), (wal_path(src), wal_path(dst))]
    theirs, ours = audit_files(src), audit_files(dst)
    pairs += [(theirs.head, ours.head), (theirs.signoff_head, ours.signoff_head)]
    if key:
        pairs.append((theirs.key, ours.key))
    for origin, target in pairs:
        if origin.exists():
            shutil.copyfile(origin, target)
            os.chmod(target, PRIVATE_FILE)
    return dst


_LOCK_PID = re.compile(r"PID (\d+)")


def _busy(path: Path, err: Exception) -> DatabaseBusy:
    pid = _LOCK_PID.search(str(err))
    holder = Text("db.process", pid=pid.group(1)) if pid else Text("db.another_program")
    return DatabaseBusy("db.busy", path=path, holder=holder)


@dataclass
class Transaction:
    """An open write transaction: its database, a scratch space for the modules writing in it, and what
    runs once it has committed (never after a rollback)."""

    database: Database
    state: dict[str, Any] = field(default_factory=dict)
    hooks: dict[str, Callable[[], None]] = field(default_factory=dict)

    def after_commit(self, name: str, hook: Callable[[], None]) -> None:
        """Run ``hook`` after the COMMIT, still holding the write lock; a later hook of the same ``name``
        replaces an earlier one (the audit head is written once, for the last row). A hook that fails is
        logged: the transaction has committed and stays so."""
        self.hooks[name] = hook


_OPEN: weakref.WeakKeyDictionary[Cursor, Transaction] = weakref.WeakKeyDictionary()


def transaction_of(cur: Cursor) -> Transaction:
    """The transaction open on ``cur`` (from :meth:`Database.transaction`); ``LookupError`` outside one."""
    tx = _OPEN.get(cur)
    if tx is None:
        raise LookupError("this cursor has no open transaction: write inside `with db.transaction() as cur:`")
    return tx


class Database:
    """An open JiXiao database: one read-write connection, one cursor per thread. ``key_file`` and
    ``head_file`` name its audit key and head checkpoint when they are not the defaults of
    :func:`audit_files` (the demo builds a copy elsewhere under the real database's key)."""

    def __init__(self, path: str | os.PathLike[str] | None = None, *, read_only: bool = False,
                 key_file: str | os.PathLike[str] | None = None, head_file: str | os.PathLike[str] | None = None):  # fmt: skip
        self.path = Path(path) if path is not None else default_path()
        self.read_only = read_only
        files = audit_files(self.path)
        self.key_file = Path(key_file) if key_file is not None else files.key
        self.head_file = Path(head_file) if head_file is not None else files.head
        self.signoff_head_file = self.head_file.with_suffix(".signoff-head")  # the sign-off ledger's
        if not read_only:
            _data_directory(self.path.parent)
        try:
            self._con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.IOException as err:
            if "lock" in str(err).lower():
                raise _busy(self.path, err) from err
            raise DatabaseError("db.cannot_open", path=self.path, error=err) from err
        if not read_only:
            self._tighten_files()
        self._con.execute("SET enable_progress_bar = false")
        self._local = threading.local()
        self._write_lock = threading.RLock()
        # weak: a Streamlit rerun runs on a new thread; when it ends, its cursor is dropped with it
        self._cursors: weakref.WeakSet[Cursor] = weakref.WeakSet()
        self._cursors_lock = threading.Lock()
        self._closed = False
        if not read_only:
            migrate(self)

    # -- cursors and transactions -------------------------------------------------------------
    def cursor(self) -> Cursor:
        """This thread's cursor (created on first use)."""
        if self._closed:
            raise DatabaseError("db.closed")
        cur = getattr(self._local, "cursor", None)
        if cur is None:
            cur = self._con.cursor()
            cur.execute("SET enable_progress_bar = false")
            self._local.cursor = cur
            with self._cursors_lock:
                self._cursors.add(cur)
        return cur

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        """``BEGIN … COMMIT`` on this thread's cursor; any exception rolls everything back.
        Write transactions of this process take turns (one lock, as one writer queue): two at once
        would both read the audit chain's head and collide on its next sequence number."""
        with self._write_lock:
            cur = self.cursor()
            cur.execute("BEGIN TRANSACTION")
            tx = _OPEN[cur] = Transaction(self)
            try:
                yield cur
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            else:
                cur.execute("COMMIT")
                self._after_commit(tx)
            finally:
                _OPEN.pop(cur, None)

    def _after_commit(self, tx: Transaction) -> None:
        for name, hook in tx.hooks.items():
            try:
                hook()
            except Exception:  # the transaction has committed: a failed follow-up must not undo that
                log.exception("after-commit step %s failed", name)
        self._tighten_files()

    def _tighten_files(self) -> None:
        tighten(self.path)
        tighten(wal_path(self.path))

    # -- reads ------------------------------------------------------------------------------
    def rows(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run a query and return its rows as dicts."""
        cur = self.cursor().execute(sql, params) if params is not None else self.cursor().execute(sql)
        names = [d[0] for d in cur.description or []]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    def one(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> dict[str, Any] | None:
        """The first row of a query as a dict, or None."""
        found = self.rows(sql, params)
        return found[0] if found else None

    def scalar(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> Any:
        """The first column of the first row, or None."""
        cur = self.cursor().execute(sql, params) if params is not None else self.cursor().execute(sql)
        rows = cur.fetchall()  # fetch everything: a half-read result blocks the cursor's next query
        return rows[0][0] if rows else None

    def frame(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> pl.DataFrame:
        """A query's result as a Polars frame."""
        return query_frame(self.cursor(), sql, params)

    def close(self) -> None:
        """Close every cursor and the connection."""
        if self._closed:
            return
        self._closed = True
        with self._cursors_lock:
            for cur in list(self._cursors):
                try:
                    cur.close()
                except duckdb.Error:
                    pass
        self._con.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def query_frame(cur: Cursor, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> pl.DataFrame:
    """A query's result on ``cur`` as a Polars frame (through Arrow, no copy per row)."""
    relation = cur.sql(sql, params=params) if params is not None else cur.sql(sql)
    if relation is None:
        return pl.DataFrame()
    frame = pl.from_arrow(relation.to_arrow_table())
    assert isinstance(frame, pl.DataFrame)
    return frame


INSERT_SLICE = 100_000


def _arrow(frame: pl.DataFrame) -> Any:
    """``frame`` as an Arrow table without copying its text: Arrow's string views, which DuckDB reads
    as they are (the oldest Arrow layout would copy every string: 0.15 s of a 100k-row import)."""
    return frame.to_arrow(compat_level=pl.CompatLevel.newest())


def insert_frame(cur: Cursor, table: str, frame: pl.DataFrame) -> int:
    """Append a Polars frame to ``table`` by column name (one vectorised statement)."""
    if frame.height == 0:
        return 0
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", table):
        raise ValueError(f"bad table name {table!r}")
    cols = ", ".join(f'"{c}"' for c in frame.columns)
    # in slices: a 1M-row frame converted and inserted at once doubles the peak memory of an import
    for start in range(0, frame.height, INSERT_SLICE):
        cur.register("_jixiao_frame", _arrow(frame.slice(start, INSERT_SLICE)))
        try:
            cur.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _jixiao_frame")
        finally:
            cur.unregister("_jixiao_frame")
    return frame.height


def register_frame(cur: Cursor, name: str, frame: pl.DataFrame) -> None:
    """Make a Polars frame queryable as ``name`` on this cursor until :func:`unregister_frame`."""
    cur.register(name, _arrow(frame))


def unregister_frame(cur: Cursor, name: str) -> None:
    """Drop a frame registered with :func:`register_frame`."""
    cur.unregister(name)


def is_constraint_error(err: BaseException) -> bool:
    """True for a primary-key / unique / not-null violation."""
    return isinstance(err, duckdb.ConstraintException)


def migrations() -> list[tuple[int, str, Path]]:
    """The numbered migration files, in order."""
    found = []
    for p in sorted(MIGRATIONS_DIR.glob("*.sql")):
        m = re.match(r"(\d+)_(.+)\.sql$", p.name)
        if m:
            found.append((int(m.group(1)), m.group(2), p))
    return found


def migrate(db: Database) -> list[int]:
    """Apply every migration not yet applied, each in its own transaction. Returns the applied numbers."""
    cur = db.cursor()
    cur.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMP DEFAULT current_timestamp)"
    )
    done = {r[0] for r in cur.execute("SELECT version FROM schema_migrations").fetchall()}
    applied = []
    for version, name, path in migrations():
        if version in done:
            continue
        with db.transaction() as tx:
            for statement in _split_sql(path.read_text(encoding="utf-8")):
                tx.execute(statement)
            tx.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [version, name])
        applied.append(version)
    return applied


def _split_sql(text: str) -> list[str]:
    """Split a migration file on ``;`` at line ends (our migrations hold no procedural code)."""
    lines = [ln for ln in text.splitlines() if not ln.strip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";\n") if s.strip().rstrip(";").strip()]


def open_database(path: str | os.PathLike[str] | None = None, *, read_only: bool = False,
                  key_file: str | os.PathLike[str] | None = None,
                  head_file: str | os.PathLike[str] | None = None) -> Database:  # fmt: skip
    """Open (creating and migrating if needed) the database at ``path`` or ``JIXIAO_DB``; ``key_file`` and
    ``head_file`` override where its audit key and head checkpoint are (see :func:`audit_files`)."""
    return Database(path, read_only=read_only, key_file=key_file, head_file=head_file)
