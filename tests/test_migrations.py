"""Migrations carry a database written by an earlier version forward without losing anything."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from core import auth
from core import db as core_db
from core.db import open_database


@pytest.fixture
def before_005(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A database at migration 004 holding what the earlier version wrote: comma-separated roles, legacy
    items with their target and actual as text, an app item with numbers, and actuals."""
    old = tmp_path / "migrations"
    old.mkdir()
    for path in sorted(core_db.MIGRATIONS_DIR.glob("00[1-4]_*.sql")):
        shutil.copy(path, old / path.name)
    monkeypatch.setattr(core_db, "MIGRATIONS_DIR", old)
    path = tmp_path / "old.duckdb"
    with open_database(path) as db, db.transaction() as cur:
        now = dt.datetime(2026, 11, 1, 9, 0)
        cur.execute(
            "INSERT INTO users (username, password_hash, roles, created_at) VALUES"
            " ('boss', 'x', 'hr,manager', ?), ('ana', 'x', 'analyst', ?)",
            [now, now],
        )
        cur.execute(
            "INSERT INTO appraisals (appraisal_id, cycle_id, employee_id, manager_id, stage) VALUES"
            " ('H-2024-Q1:000001', 'H-2024-Q1', '000001', '000009', 'closed'),"
            " ('C-2026-Q4:000001', 'C-2026-Q4', '000001', '000009', 'goals')"
        )
        cur.execute(
            "INSERT INTO appraisal_items (appraisal_id, kpi_id, weight, target, actual, self_score) VALUES"
            " ('H-2024-Q1:000001', 'K1', 60, '200', '95%', NULL), ('H-2024-Q1:000001', 'K2', 40, '0.5', '0.4', 80)"
        )
        cur.execute(
            "INSERT INTO appraisal_items (appraisal_id, kpi_id, weight, target_value, actual_value, actual)"
            " VALUES ('C-2026-Q4:000001', 'K1', 100, 200, 180, '180.0')"
        )
        cur.execute(
            "INSERT INTO kpi_actuals (employee_id, kpi_id, as_of, value, source, recorded_by, recorded_at) VALUES"
            " ('000001', 'K1', '2026-10-31', 180, 'finance', 'cli', ?), ('000001', 'K1', '2026-11-30', 190, 'manual', 'x', ?)",
            [now, now],
        )
    monkeypatch.setattr(core_db, "MIGRATIONS_DIR", core_db.ROOT / "schemas" / "migrations")
    return path


def test_005_keeps_roles_items_and_actuals(before_005: Path) -> None:
    with open_database(before_005) as db:
        assert db.scalar("SELECT max(version) FROM schema_migrations") == max(v for v, _, _ in core_db.migrations())
        assert auth.roles_of(db, "boss") == ["hr", "manager"] and auth.roles_of(db, "ana") == ["analyst"]
        assert "roles" not in {
            r["column_name"] for r in db.rows("SELECT column_name FROM duckdb_columns() WHERE table_name = 'users'")
        }
        items = {
            (r["appraisal_id"][:1], r["kpi_id"]): r
            for r in db.rows("SELECT * FROM appraisal_items ORDER BY appraisal_id, kpi_id")
        }
        legacy = items[("H", "K1")]
        assert (
            legacy["target_as_written"] == "200" and legacy["target_value"] == 200.0
        )  # numbers where they were numbers
        assert legacy["actual_as_written"] == "95%" and legacy["actual_value"] is None  # '95%' stays as written
        assert items[("H", "K2")]["actual_value"] == 0.4 and items[("H", "K2")]["self_input"] == 80.0
        assert items[("C", "K1")]["actual_value"] == 180.0 and items[("C", "K1")]["target_value"] == 200.0
        actuals = db.rows("SELECT value, source, actual_id FROM kpi_actuals ORDER BY value")
        assert [(a["value"], a["source"]) for a in actuals] == [(180.0, "finance"), (190.0, "manual")]
        assert len({a["actual_id"] for a in actuals}) == 2
        with pytest.raises(Exception, match=r"(?i)constraint|duplicate"):  # the item key holds
            with db.transaction() as cur:
                cur.execute("INSERT INTO appraisal_items (appraisal_id, kpi_id) VALUES ('C-2026-Q4:000001', 'K1')")
        with db.transaction() as cur:  # actuals are appended: the same day and source twice is two rows
            for _ in range(2):
                cur.execute(
                    "INSERT INTO kpi_actuals (employee_id, kpi_id, as_of, value, source, recorded_by, recorded_at)"
                    " VALUES ('000001', 'K1', '2026-10-31', 181, 'finance', 'cli', now()::TIMESTAMP)"
                )
        assert db.scalar("SELECT count(*) FROM kpi_actuals") == 4


def test_a_new_database_is_at_the_latest_migration(fresh_db) -> None:
    applied = [r["version"] for r in fresh_db.rows("SELECT version FROM schema_migrations ORDER BY version")]
    assert applied == [v for v, _, _ in core_db.migrations()]


@pytest.fixture
def before_008(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A database at migration 007 with usernames in mixed case, two that differ only in case, a session,
    a login failure, a lock and a KPI change request of one of them."""
    old = tmp_path / "migrations"
    old.mkdir()
    for path in sorted(core_db.MIGRATIONS_DIR.glob("00[1-7]_*.sql")):
        shutil.copy(path, old / path.name)
    monkeypatch.setattr(core_db, "MIGRATIONS_DIR", old)
    path = tmp_path / "old.duckdb"
    now = dt.datetime(2026, 11, 1, 9, 0)
    with open_database(path) as db, db.transaction() as cur:
        for minutes, name in enumerate(["Li.Na", "li.na", "Bob", "ann"]):
            cur.execute(
                "INSERT INTO users (username, password_hash, created_at) VALUES (?, ?, ?)",
                [name, auth.hash_password("Migrated-pass-1"), now + dt.timedelta(minutes=minutes)],
            )
            cur.execute("INSERT INTO user_roles VALUES (?, 'hr', 'Bob', ?)", [name, now])
        cur.execute("INSERT INTO hrbp_scope VALUES ('Bob', 'D1')")
        cur.execute("INSERT INTO sessions (token_sha256, username, created_at, last_seen) VALUES ('t', 'Li.Na', ?, ?)",
                    [now, now])  # fmt: skip
        cur.execute("INSERT INTO login_failures VALUES ('Bob', ?)", [now])
        cur.execute("UPDATE users SET locked_until = now()::TIMESTAMP + INTERVAL 10 MINUTE WHERE username = 'Bob'")
        cur.execute(
            "INSERT INTO kpi_changes (change_id, kind, payload, reason, requested_by, requested_at, status, step)"
            " VALUES ('CHG-1', 'kpi_add', '{}', 'r', 'Bob', ?, 'pending', 1)",
            [now],
        )
        cur.execute("INSERT INTO kpi_change_steps VALUES ('CHG-1', 1, 'Li.Na', 'approved', NULL, ?)", [now])
    monkeypatch.setattr(core_db, "MIGRATIONS_DIR", core_db.ROOT / "schemas" / "migrations")
    return path


def test_008_lower_cases_every_username_and_keeps_collisions_apart(before_008: Path) -> None:
    with open_database(before_008) as db:
        assert [r["username"] for r in db.rows("SELECT username FROM users ORDER BY username")] == [
            "ann", "bob", "li.na", "li.na~2",
        ]  # fmt: skip
        assert db.rows("SELECT account, source FROM login_attempts WHERE outcome = 'failed'") == [
            {"account": "bob", "source": "?"}
        ]
        # the account that was already lower-case keeps its name; the other one, renamed, keeps its password
        assert auth.authenticate(db, "LI.NA~2", "Migrated-pass-1").username == "li.na~2"
        assert db.scalar("SELECT username FROM sessions") == "li.na~2"  # 'Li.Na' was the later-lowered one
        assert {r["username"] for r in db.rows("SELECT username FROM user_roles")} == {"ann", "bob", "li.na", "li.na~2"}
        assert {r["granted_by"] for r in db.rows("SELECT granted_by FROM user_roles")} == {"bob"}
        assert db.scalar("SELECT username FROM hrbp_scope") == "bob"
        assert db.scalar("SELECT requested_by FROM kpi_changes") == "bob"  # nobody approves their own request
        assert db.scalar("SELECT approver FROM kpi_change_steps") == "li.na~2"
        assert db.scalar("SELECT account FROM login_locks WHERE until > now()::TIMESTAMP") == "bob"  # still locked
        assert db.scalar("SELECT must_change_password FROM users WHERE username = 'ann'") is False
        columns = {
            r["column_name"] for r in db.rows("SELECT column_name FROM duckdb_columns() WHERE table_name = 'users'")
        }
        assert "locked_until" not in columns and "failed_logins" not in columns
