-- Logins that hold under concurrency, case-insensitive usernames, forced password changes and account
-- changes a second HR or IT admin confirms (issue 10, points 3, 6 and 9).

-- Usernames are case-insensitive and unique: stored lower-case. Two accounts whose names differ only in
-- case would collide: the one created first keeps the lower-case name, each other one becomes
-- name~2, name~3 … ('~' is never in a name people choose, so it cannot clash), keeps its password and
-- roles, and is renamed in every table below. The audit trail keeps the names as they were written at
-- the time (its rows are hash-chained: rewriting them would break the chain).
CREATE TEMP TABLE username_map AS
    SELECT old, new FROM (
        SELECT username AS old,
               CASE WHEN n = 1 THEN lower(username) ELSE lower(username) || '~' || n END AS new
        FROM (SELECT username, row_number() OVER (PARTITION BY lower(username) ORDER BY username = lower(username) DESC, created_at, username) AS n
              FROM users)
    ) WHERE old <> new;
UPDATE users SET username = m.new FROM username_map m WHERE users.username = m.old;
UPDATE user_roles SET username = m.new FROM username_map m WHERE user_roles.username = m.old;
UPDATE user_roles SET granted_by = m.new FROM username_map m WHERE user_roles.granted_by = m.old;
UPDATE hrbp_scope SET username = m.new FROM username_map m WHERE hrbp_scope.username = m.old;
UPDATE sessions SET username = m.new FROM username_map m WHERE sessions.username = m.old;
UPDATE login_failures SET username = m.new FROM username_map m WHERE login_failures.username = m.old;
-- who did what, where a rule compares it with the acting user (nobody approves their own request)
UPDATE kpi_changes SET requested_by = m.new FROM username_map m WHERE kpi_changes.requested_by = m.old;
UPDATE kpi_change_steps SET approver = m.new FROM username_map m WHERE kpi_change_steps.approver = m.old;
UPDATE template_versions SET created_by = m.new FROM username_map m WHERE template_versions.created_by = m.old;
UPDATE settings SET updated_by = m.new FROM username_map m WHERE settings.updated_by = m.old;
UPDATE import_batches SET uploaded_by = m.new FROM username_map m WHERE import_batches.uploaded_by = m.old;
UPDATE import_batches SET undone_by = m.new FROM username_map m WHERE import_batches.undone_by = m.old;
UPDATE cycles SET opened_by = m.new FROM username_map m WHERE cycles.opened_by = m.old;
UPDATE appraisals SET updated_by = m.new FROM username_map m WHERE appraisals.updated_by = m.old;
UPDATE kpi_actuals SET recorded_by = m.new FROM username_map m WHERE kpi_actuals.recorded_by = m.old;
UPDATE checkins SET author = m.new FROM username_map m WHERE checkins.author = m.old;
UPDATE stage_events SET actor = m.new FROM username_map m WHERE stage_events.actor = m.old;
UPDATE calibration_changes SET actor = m.new FROM username_map m WHERE calibration_changes.actor = m.old;
UPDATE calibration_finals SET actor = m.new FROM username_map m WHERE calibration_finals.actor = m.old;
DROP TABLE username_map;

-- Set when someone else resets the password: until its owner chooses a new one, the app shows only 修改密码.
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT false;

-- Every login attempt, reserved in a write transaction BEFORE its password is checked, so concurrent
-- guesses cannot overrun the limits. account: the username when it is one, else a keyed hash of what
-- was typed (never the text); source: the client's address ('?' when unknown). outcome: checking (the
-- hash is being computed) | failed | ok | refused (refused without a hash: locked or throttled) |
-- throttled (the first refusal of a source over its rate, audited once).
CREATE TABLE login_attempts (
    attempt_id TEXT PRIMARY KEY,
    account    TEXT NOT NULL,
    source     TEXT NOT NULL,
    started_at TIMESTAMP NOT NULL,
    outcome    TEXT NOT NULL,
    -- true once this failure led to a lock: it does not count towards the next one
    spent      BOOLEAN NOT NULL DEFAULT false
);
CREATE INDEX login_attempts_account ON login_attempts (account, started_at);
CREATE INDEX login_attempts_source ON login_attempts (source, started_at);
INSERT INTO login_attempts (attempt_id, account, source, started_at, outcome)
    SELECT gen_random_uuid()::VARCHAR, lower(username), '?', failed_at, 'failed' FROM login_failures;
DROP TABLE login_failures;

-- A lock: the account refuses every password from one source, or ('*') from every source it has not
-- logged in from successfully (so an attacker from elsewhere cannot lock its owner out).
CREATE TABLE login_locks (
    account   TEXT NOT NULL,
    source    TEXT NOT NULL,
    locked_at TIMESTAMP NOT NULL,
    until     TIMESTAMP NOT NULL,
    PRIMARY KEY (account, source)
);
INSERT INTO login_locks (account, source, locked_at, until)
    SELECT username, '*', locked_until - INTERVAL 15 MINUTE, locked_until FROM users
    WHERE locked_until IS NOT NULL AND locked_until > now()::TIMESTAMP;
ALTER TABLE users DROP COLUMN locked_until;
ALTER TABLE users DROP COLUMN failed_logins;

-- The addresses an account has logged in from successfully (the last time), for the lock above.
CREATE TABLE login_sources (
    account TEXT NOT NULL,
    source  TEXT NOT NULL,
    last_ok TIMESTAMP NOT NULL,
    PRIMARY KEY (account, source)
);

-- A change to an account that holds (or would hold) an approver role — HRBP, executive, HR, IT admin —
-- waits here until a different HR or IT admin confirms it; it takes effect in the confirmation's
-- transaction. kind: create | roles | password | disable | enable; payload: JSON of what is asked
-- (roles, employee, display name, HRBP departments); password_hash: the new password's argon2 hash
-- (create, password); status: pending | confirmed | rejected | withdrawn.
CREATE TABLE account_requests (
    request_id    TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    username      TEXT NOT NULL,
    payload       TEXT NOT NULL,
    password_hash TEXT,
    requested_by  TEXT NOT NULL,
    requested_at  TIMESTAMP NOT NULL,
    status        TEXT NOT NULL,
    decided_by    TEXT,
    decided_at    TIMESTAMP,
    note          TEXT
);
