-- What sign-off, feeds, reminders and analytics build on: roles as rows, a key on appraisal items with
-- one numeric target and actual, the person who actually rated, actuals that keep their history,
-- reads audited once per session, and the in-process job runner's log.

-- A user's roles, one row each (was a comma-separated users.roles).
CREATE TABLE user_roles (
    username   TEXT NOT NULL,
    role       TEXT NOT NULL,
    granted_by TEXT,
    granted_at TIMESTAMP,
    PRIMARY KEY (username, role)
);
INSERT INTO user_roles (username, role, granted_by, granted_at)
    SELECT username, unnest(string_split(roles, ',')), 'migration 005', created_at FROM users WHERE roles <> '';
DELETE FROM user_roles WHERE role = '';
ALTER TABLE users DROP COLUMN roles;

-- Appraisal items: numbers in target_value / actual_value; what a legacy file wrote, as written.
ALTER TABLE appraisal_items RENAME COLUMN target TO target_as_written;
ALTER TABLE appraisal_items RENAME COLUMN actual TO actual_as_written;
UPDATE appraisal_items SET target_value = TRY_CAST(target_as_written AS DOUBLE)
    WHERE target_value IS NULL AND target_as_written IS NOT NULL;
UPDATE appraisal_items SET actual_value = TRY_CAST(actual_as_written AS DOUBLE)
    WHERE actual_value IS NULL AND actual_as_written IS NOT NULL;
-- the employee's own input: a rubric level 1–5 like the manager's, else a score 0–120 (self_score is its score)
ALTER TABLE appraisal_items ADD COLUMN self_input DOUBLE;
UPDATE appraisal_items SET self_input = self_score WHERE self_score IS NOT NULL;
ALTER TABLE appraisal_items ADD PRIMARY KEY (appraisal_id, kpi_id);

-- Who actually rated (the manager at opening may have been replaced since); set when the rating is submitted.
ALTER TABLE appraisals ADD COLUMN rater_id TEXT;
UPDATE appraisals SET rater_id = manager_id WHERE stage IN ('calibration', 'signoff', 'closed');

-- Actuals are appended, never overwritten: each recording is a row; the value an item uses is chosen by
-- one rule (core/actuals.py: a feed before a person's entry, then the latest).
CREATE TABLE kpi_actuals_log (
    actual_id   TEXT PRIMARY KEY DEFAULT (gen_random_uuid()::VARCHAR),
    employee_id TEXT NOT NULL,
    kpi_id      TEXT NOT NULL,
    as_of       DATE NOT NULL,
    value       DOUBLE NOT NULL,
    source      TEXT NOT NULL,
    note        TEXT,
    batch_id    TEXT,
    recorded_by TEXT NOT NULL,
    recorded_at TIMESTAMP NOT NULL
);
INSERT INTO kpi_actuals_log (employee_id, kpi_id, as_of, value, source, note, batch_id, recorded_by, recorded_at)
    SELECT employee_id, kpi_id, as_of, value, source, note, batch_id, recorded_by, recorded_at FROM kpi_actuals;
DROP TABLE kpi_actuals;
ALTER TABLE kpi_actuals_log RENAME TO kpi_actuals;
CREATE INDEX kpi_actuals_person ON kpi_actuals (employee_id, kpi_id);

-- Individual appraisals read in a login session: the first read is audited, the rest of the session not.
CREATE TABLE session_reads (
    token_sha256 TEXT NOT NULL,
    action       TEXT NOT NULL,
    entity       TEXT NOT NULL,
    entity_id    TEXT NOT NULL,
    read_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (token_sha256, action, entity, entity_id)
);

-- The in-process job runner (core/jobs.py): one row per run of a job.
CREATE TABLE job_runs (
    job         TEXT NOT NULL,
    started_at  TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    -- running | done | failed
    status      TEXT NOT NULL,
    detail      TEXT,
    PRIMARY KEY (job, started_at)
);
