-- The appraisal cycle online (DESIGN.md §3 cycle tables, §4 stages, grades and distribution).

-- A cycle opened in the app: who opened it, its scope, and for an annual cycle how its result is made
-- (JSON {"quarters": {"Q1": 15, ...}, "review": 40}: HR's weights of the year's quarterly results and
-- of the annual review's own total).
ALTER TABLE cycles ADD COLUMN scope TEXT;            -- all | pilot (app cycles); NULL for legacy
ALTER TABLE cycles ADD COLUMN opened_at TIMESTAMP;
ALTER TABLE cycles ADD COLUMN opened_by TEXT;
ALTER TABLE cycles ADD COLUMN annual_weights TEXT;
ALTER TABLE cycles ADD COLUMN template_date DATE;    -- the day whose template versions the items copy

-- The departments a pilot cycle covers (none for a company-wide cycle).
CREATE TABLE cycle_departments (
    cycle_id TEXT NOT NULL,
    dept_id  TEXT NOT NULL,
    PRIMARY KEY (cycle_id, dept_id)
);

-- An appraisal remembers the template version its items came from and when it entered its stage.
ALTER TABLE appraisals ADD COLUMN template_version INTEGER;
ALTER TABLE appraisals ADD COLUMN stage_since TIMESTAMP;
ALTER TABLE appraisals ADD COLUMN review_score DOUBLE;   -- annual cycles: the annual review's own total
ALTER TABLE appraisals ADD COLUMN score_basis TEXT;      -- annual cycles: JSON of the parts the final score used
ALTER TABLE appraisals ADD COLUMN updated_by TEXT;       -- who saved last (named when a concurrent save is refused)
ALTER TABLE appraisals ADD COLUMN updated_at TIMESTAMP;

-- Items of app cycles carry what scoring needs, copied at opening so a later library change never
-- rewrites an open cycle; target/floor/stretch live in the DOUBLE columns, ``target`` (TEXT) stays the
-- legacy text as written.
ALTER TABLE appraisal_items ADD COLUMN seq INTEGER;
ALTER TABLE appraisal_items ADD COLUMN kpi_name TEXT;
ALTER TABLE appraisal_items ADD COLUMN category TEXT;
ALTER TABLE appraisal_items ADD COLUMN unit TEXT;
ALTER TABLE appraisal_items ADD COLUMN method TEXT;
ALTER TABLE appraisal_items ADD COLUMN direction TEXT;
ALTER TABLE appraisal_items ADD COLUMN data_source TEXT;
ALTER TABLE appraisal_items ADD COLUMN rubric TEXT;
ALTER TABLE appraisal_items ADD COLUMN deduction_step DOUBLE;
ALTER TABLE appraisal_items ADD COLUMN target_value DOUBLE;
ALTER TABLE appraisal_items ADD COLUMN proposed_target DOUBLE;   -- the employee's proposal in 目标制定
ALTER TABLE appraisal_items ADD COLUMN goal_note TEXT;           -- the employee's note on the goal
ALTER TABLE appraisal_items ADD COLUMN actual_value DOUBLE;
ALTER TABLE appraisal_items ADD COLUMN actual_source TEXT;       -- where the actual came from (feed, 主管录入 …)
ALTER TABLE appraisal_items ADD COLUMN actual_as_of DATE;
ALTER TABLE appraisal_items ADD COLUMN manager_input DOUBLE;     -- rubric level 1–5, pass 1 / fail 0, manual score

-- Recorded actuals per employee and KPI; the latest value dated inside a cycle's period is the item's actual.
CREATE TABLE kpi_actuals (
    employee_id TEXT NOT NULL,
    kpi_id      TEXT NOT NULL,
    as_of       DATE NOT NULL,
    value       DOUBLE NOT NULL,
    -- attendance | finance | sales | crm | manual …: where the number came from
    source      TEXT NOT NULL,
    note        TEXT,
    batch_id    TEXT,
    recorded_by TEXT NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    PRIMARY KEY (employee_id, kpi_id, as_of, source)
);

-- Progress notes of 中期回顾 (and any stage), by the employee or the manager, optionally on one item.
CREATE TABLE checkins (
    appraisal_id TEXT NOT NULL,
    seq          INTEGER NOT NULL,
    ts           TIMESTAMP NOT NULL,
    author       TEXT NOT NULL,
    role         TEXT NOT NULL,
    kpi_id       TEXT,
    note         TEXT NOT NULL,
    progress     DOUBLE,   -- percent of the goal reached, as the author sees it
    PRIMARY KEY (appraisal_id, seq)
);

-- Every stage move and stage action of an appraisal: when, who, in which role, from and to.
CREATE TABLE stage_events (
    appraisal_id TEXT NOT NULL,
    seq          INTEGER NOT NULL,
    ts           TIMESTAMP NOT NULL,
    actor        TEXT NOT NULL,
    role         TEXT NOT NULL,
    action       TEXT NOT NULL,
    from_stage   TEXT NOT NULL,
    to_stage     TEXT NOT NULL,
    comment      TEXT,
    PRIMARY KEY (appraisal_id, seq)
);
CREATE INDEX stage_events_appraisal ON stage_events (appraisal_id);

-- Grade moves in calibration (the pre-calibration grade stays in appraisals.grade).
CREATE TABLE calibration_changes (
    appraisal_id TEXT NOT NULL,
    seq          INTEGER NOT NULL,
    ts           TIMESTAMP NOT NULL,
    actor        TEXT NOT NULL,
    from_grade   TEXT,
    to_grade     TEXT NOT NULL,
    note         TEXT NOT NULL,
    PRIMARY KEY (appraisal_id, seq)
);

-- A department's calibration finalised: the distribution it had and, if it broke the guideline, why HR let it.
CREATE TABLE calibration_finals (
    cycle_id        TEXT NOT NULL,
    dept_id         TEXT NOT NULL,
    ts              TIMESTAMP NOT NULL,
    actor           TEXT NOT NULL,
    counts          TEXT NOT NULL,   -- JSON grade -> count
    quotas          TEXT NOT NULL,   -- JSON {"A_max": n, "C_min": n}
    breaks          TEXT,            -- the guideline breaches in words, NULL when inside it
    override_reason TEXT,
    PRIMARY KEY (cycle_id, dept_id, ts)
);

CREATE INDEX appraisals_cycle ON appraisals (cycle_id);
