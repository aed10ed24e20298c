"""What a source of data is to the importer: the record the registry (pipelines/sources.py) lists for
each kind of file, and what its steps take and give back.

A source has three steps. ``parse`` turns the sheets into staged, checked frames and needs no database
(a pure function of the file and the options HR gave for it, pipelines/options.py; notes for people go into the list it is given as they are found, so a
file refused half-way keeps them). ``load`` runs inside the one transaction of the file: it resolves
the frames against what the database holds, writes what it accepts through the :class:`BatchWriter`
it is handed and says what the LoadReport should count. ``undo`` removes, inside the undo's
transaction, every row one batch of that source wrote, and names what still depends on them. The
batch row, its rejects, its audit row and the LoadReport itself are written by pipelines/importer.py
alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import polars as pl

from core.db import Cursor, Database
from pipelines.options import ImportOptions
from pipelines.sniff import FileRefused
from pipelines.workbook import Grid

Progress = Callable[[float, str], None]


class NoHeaderFound(FileRefused):
    """No sheet holds a header the source knows. The importer words the refusal: it names the sheets
    looked at and what every source's header needs."""

    def __init__(self) -> None:
        super().__init__("")


class TooManyErrors(FileRefused):
    """Most rows of the file fail: it is the wrong file or the wrong kind. Refused before its rows are
    checked one by one (that cost grows with the failures)."""


@dataclass
class Loaded:
    """What a load step found, for the LoadReport: records read, the reject table (sheet, row, column,
    value, reason), how many records were rejected and how many were already in the database, notes
    for people, and details for audit rows of their own (entity, detail) beside the batch's."""

    rows_read: int
    rejects: pl.DataFrame
    rejected: int
    unchanged: int
    notes: list[str] = field(default_factory=list)
    audits: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    # rows taken on a guess HR should check (matched by name, department differs from the roster's,
    # person created as 历史人员 …): sheet, row, column, value, reason — kept apart from the rejects
    warnings: pl.DataFrame | None = None


class BatchWriter(Protocol):
    """The batch a load step writes: its id, who uploads, the transaction's cursor and the database
    (whose reads on this thread see the transaction)."""

    batch_id: str
    uploaded_by: str
    cur: Cursor
    db: Database
    options: ImportOptions

    def insert(self, table: str, frame: pl.DataFrame) -> int:
        """Append ``frame`` to ``table`` (one of the source's tables) inside the transaction."""
        ...


@dataclass
class Undone:
    """What a source's undo of one batch did inside the undo's transaction: rows removed and rows put
    back as they were, per table, and why the undo must not happen (Chinese sentences; empty when it may)."""

    removed: dict[str, int] = field(default_factory=dict)
    restored: dict[str, int] = field(default_factory=dict)
    blockers: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Source:
    """One kind of file the importer takes: its name (stored as import_batches.source), its label, how to
    recognise it (the number of sheets of its kind; ``decisive``: any such sheet makes the file this
    kind, whatever the other sheets hold), what its header needs (for the refusal of a file without
    any known header), the progress step shown while it checks against the database, the tables it
    loads, and its three steps."""

    name: str
    label: str
    recognise: Callable[[list[Grid]], int]
    needs: str
    checking: str
    tables: tuple[str, ...]
    parse: Callable[[list[Grid], str, list[str], ImportOptions], Any]
    load: Callable[[BatchWriter, Any, Progress], Loaded]
    undo: Callable[[Cursor, str], Undone]
    decisive: bool = False
