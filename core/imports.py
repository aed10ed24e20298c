"""Import history: every file that came in through pipelines/ (an undone batch stays, marked undone), and
the rows each one rejected or took on a guess HR should check.

Those rows carry names and scores from the uploaded files, so these reads are for those allowed to
import (HR and admins); anyone else gets :class:`core.permissions.Forbidden`.
"""

from __future__ import annotations

import polars as pl

from core import permissions
from core.auth import User
from core.db import Database


def list_batches(db: Database, user: User | None, limit: int = 500) -> pl.DataFrame:
    """Import batches, newest first (at most ``limit``).

    Columns: batch_id, imported_at, file_name, source, status, rows_read, rows_loaded, rows_rejected, uploaded_by,
    message, undone_at, undone_by (when and by whom an undone batch was taken back), rows_warned (rows taken
    on a guess HR should check).
    """
    permissions.require(db, user, "import")
    return db.frame(
        """
        SELECT batch_id, imported_at, file_name, source, status, rows_read, rows_loaded, rows_rejected, uploaded_by, message,
               undone_at, undone_by,
               (SELECT count(*) FROM import_warnings w WHERE w.batch_id = b.batch_id)::INTEGER AS rows_warned
        FROM import_batches b
        ORDER BY imported_at DESC, batch_id DESC
        LIMIT ?
        """,
        [limit],
    )


def batch_rejects(db: Database, user: User | None, batch_id: str) -> pl.DataFrame:
    """The rejected rows of one batch in file order. Columns: sheet, row, column, value, reason."""
    return _batch_rows(db, user, "import_rejects", batch_id)


def batch_warnings(db: Database, user: User | None, batch_id: str) -> pl.DataFrame:
    """The rows one batch took on a guess HR should check (a person found by name, a department the
    roster gives otherwise, a person filed as 历史人员), in file order. Columns: sheet, row, column,
    value, reason. Scoped like the rejects: for those allowed to import."""
    return _batch_rows(db, user, "import_warnings", batch_id)


def _batch_rows(db: Database, user: User | None, table: str, batch_id: str) -> pl.DataFrame:
    permissions.require(db, user, "import")
    assert table in ("import_rejects", "import_warnings")
    return db.frame(
        f'SELECT sheet, "row", "column", value, reason FROM {table} WHERE batch_id = ? ORDER BY seq', [batch_id]
    )
