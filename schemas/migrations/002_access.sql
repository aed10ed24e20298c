-- Users, HRBP scope, sessions, login attempts and the hash-chained audit log (DESIGN.md §1, §6).

CREATE TABLE users (
    username            TEXT PRIMARY KEY,
    employee_id         TEXT,
    display_name        TEXT,
    password_hash       TEXT NOT NULL,
    -- comma-separated: employee, manager, hrbp, hr, executive, analyst, admin
    roles               TEXT NOT NULL,
    failed_logins       INTEGER NOT NULL DEFAULT 0,
    locked_until        TIMESTAMP,
    disabled            BOOLEAN NOT NULL DEFAULT false,
    created_at          TIMESTAMP NOT NULL,
    password_changed_at TIMESTAMP
);

CREATE TABLE hrbp_scope (
    username TEXT NOT NULL,
    dept_id  TEXT NOT NULL,
    PRIMARY KEY (username, dept_id)
);

-- Failed logins inside the lockout window (5 in 15 minutes lock the account).
CREATE TABLE login_failures (
    username  TEXT NOT NULL,
    failed_at TIMESTAMP NOT NULL
);

-- Server-side sessions; the browser holds only a random token, the table its SHA-256.
CREATE TABLE sessions (
    token_sha256 TEXT PRIMARY KEY,
    username     TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    last_seen    TIMESTAMP NOT NULL,
    ended_at     TIMESTAMP
);

-- Append-only: each row's hash covers its content and the previous row's hash.
CREATE TABLE audit_log (
    seq       BIGINT PRIMARY KEY,
    ts        TIMESTAMP NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    entity    TEXT,
    entity_id TEXT,
    detail    TEXT,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);

CREATE INDEX audit_log_actor ON audit_log (actor);
CREATE INDEX employees_manager ON employees (manager_id);
