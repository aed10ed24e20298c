"""Grade words HR keeps: how a 等级 cell written as a word (优秀, 甲, Fully Meets, PIP …) lands on the
company's grade scale (core/settings.py). Seeded by migration 010 with the importer's defaults; HR adds,
changes and removes words on the settings page, each change audited in its own transaction. The
importer reads the table once per file and hands it to its parse step, which needs no database.
"""

from __future__ import annotations

import re
import unicodedata

import polars as pl

from core import audit, clock
from core.auth import User
from core.db import Database
from core.errors import CoreError, Text
from core.permissions import require_action
from core.settings import grade_scale
from core.values import text_input

MAX_WORD = 30  # characters of a grade word ('Fully Meets Expectations' is 24)
MAX_WORDS = 500  # words in the table: a screen HR can still read
HR_ONLY = "perm.settings"


class GradeWordError(CoreError):
    """A grade word that cannot be saved; nothing was written."""


def fold_word(word: object) -> str:
    """The lookup form of a word: half-width, upper case, no spaces ('Fully Meets' → 'FULLYMEETS'),
    the way the importer folds a 等级 cell before it looks it up."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(word or ""))).upper()


def grade_words(db: Database) -> pl.DataFrame:
    """Every grade word, by grade then word. Columns: word, grade, updated_by, updated_at."""
    return db.frame("SELECT word, grade, updated_by, updated_at FROM grade_words ORDER BY grade, word_key")


def lookup_pairs(db: Database) -> tuple[tuple[str, str], ...]:
    """(folded word, grade) pairs for the importer (pipelines.options.ImportOptions.grade_words)."""
    return tuple((r["word_key"], r["grade"]) for r in db.rows("SELECT word_key, grade FROM grade_words ORDER BY 1"))


def set_grade_word(db: Database, user: User | None, word: object, grade: object) -> dict[str, str]:
    """HR adds ``word`` as a way of writing ``grade`` (a grade of the company's scale), or moves an
    existing word to another grade. Audited in the same transaction. Returns the word saved."""
    user = require_action(user, "manage_grade_words", HR_ONLY)
    text = text_input(word, Text("field.grade_word"), required=True, limit=MAX_WORD, error=GradeWordError)
    assert text is not None
    key = fold_word(text)
    grades = [g for g, _ in grade_scale(db)]
    chosen = str(grade or "").strip().upper()
    if chosen not in grades:
        raise GradeWordError("grade_words.unknown_grade", grade=chosen or "—", choices=grades)
    with db.transaction() as cur:
        before = cur.execute("SELECT word, grade FROM grade_words WHERE word_key = ?", [key]).fetchall()
        count = cur.execute("SELECT count(*) FROM grade_words").fetchall()[0][0]
        if not before and count >= MAX_WORDS:
            raise GradeWordError("grade_words.too_many", limit=MAX_WORDS)
        cur.execute("DELETE FROM grade_words WHERE word_key = ?", [key])
        cur.execute(
            "INSERT INTO grade_words (word_key, word, grade, updated_by, updated_at) VALUES (?, ?, ?, ?, ?)",
            [key, text, chosen, user.username, clock.now()],
        )
        audit.record(
            cur, user.username, "grade_word_set", "grade_word", key,
            {"word": text, "grade": chosen, "before": {"word": before[0][0], "grade": before[0][1]} if before else None},
        )  # fmt: skip
    return {"word": text, "grade": chosen}


def remove_grade_words(db: Database, user: User | None, words: list[str]) -> int:
    """HR removes words (as listed by :func:`grade_words`); a cell holding one is then rejected as an
    unknown grade. All in one transaction, audited. Returns how many were removed."""
    user = require_action(user, "manage_grade_words", HR_ONLY)
    keys = sorted({fold_word(w) for w in words if str(w or "").strip()})
    if not keys:
        raise GradeWordError("grade_words.none_chosen")
    with db.transaction() as cur:
        gone = cur.execute(
            "SELECT word_key, word, grade FROM grade_words WHERE list_contains(?::VARCHAR[], word_key) ORDER BY 1",
            [keys],
        ).fetchall()
        cur.execute("DELETE FROM grade_words WHERE list_contains(?::VARCHAR[], word_key)", [keys])
        for key, word, grade in gone:
            audit.record(cur, user.username, "grade_word_remove", "grade_word", key, {"word": word, "grade": grade})
    return len(gone)
