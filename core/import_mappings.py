"""Saved column mappings of the import wizard: how HR said a file of one shape is read (its sheet names
and header cells, hashed by pipelines/mapping.py, which also reads and writes the mapping's JSON).
Saving one is for HR (core/permissions.py ``import_mappings``) and is audited in its transaction; the
importer reads them to apply one by name or by the shape of the file."""

from __future__ import annotations

import re
from typing import Any

import polars as pl

from core import audit, clock
from core.auth import User
from core.db import Database
from core.errors import CoreError, Text
from core.permissions import require_action
from core.values import text_input

MAX_NAME = 40  # characters of a mapping's name
MAX_JSON = 200_000  # characters of a mapping's JSON (a few hundred sheets)
MAX_LISTED = 500
_NAME = re.compile(r"^[\w\u4e00-\u9fff \-()（）.]+$")
PERMISSION = "perm.import_mappings"


def clean_name(name: object) -> str:
    """A mapping's name trimmed and checked (required, at most MAX_NAME characters, plain characters)."""
    cleaned = text_input(name, Text("field.mapping_name"), required=True, limit=MAX_NAME)
    assert cleaned is not None
    if not _NAME.match(cleaned):
        raise CoreError("mapping.name_chars", name=cleaned)
    return cleaned


def save_mapping(db: Database, user: User | None, name: object, shape: str, source: str, mapping_json: str) -> str:
    """Save (or replace) the mapping called ``name`` for files of ``shape``; returns the cleaned name.
    One transaction with its audit row."""
    user = require_action(user, "import_mappings", PERMISSION)
    cleaned = clean_name(name)
    if len(mapping_json) > MAX_JSON:
        raise CoreError("mapping.too_large", size=len(mapping_json), limit=MAX_JSON)
    with db.transaction() as cur:
        replaced = cur.execute("DELETE FROM import_mappings WHERE name = ? RETURNING name", [cleaned]).fetchall()
        cur.execute(
            "INSERT INTO import_mappings (name, shape, source, mapping, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            [cleaned, shape, source, mapping_json, user.username, clock.now()],
        )
        audit.record(
            cur, user.username, "import_mapping_save", "import_mapping", cleaned,
            {"shape": shape, "source": source, "replaced": bool(replaced)},
        )  # fmt: skip
    return cleaned


def mapping_named(db: Database, name: str) -> dict[str, Any] | None:
    """The saved mapping called ``name`` (name, shape, source, mapping), or None. For the importer."""
    return db.one("SELECT name, shape, source, mapping FROM import_mappings WHERE name = ?", [str(name).strip()])


def saved_mappings(db: Database) -> list[dict[str, Any]]:
    """Every saved mapping (name, shape, source, mapping), newest first. For the importer."""
    return db.rows(
        "SELECT name, shape, source, mapping FROM import_mappings ORDER BY created_at DESC, name LIMIT ?", [MAX_LISTED]
    )


def list_mappings(db: Database, user: User | None) -> pl.DataFrame:
    """The saved mappings for HR's screen: name, source, created_by, created_at, newest first."""
    require_action(user, "import_mappings", PERMISSION)
    return db.frame(
        "SELECT name, source, created_by, created_at FROM import_mappings ORDER BY created_at DESC, name LIMIT ?",
        [MAX_LISTED],
    )
