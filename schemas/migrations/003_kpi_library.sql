-- The KPI library, position templates by version, three-step change approval, HR settings
-- (DESIGN.md §3 KPI library, §4 categories, methods and approval).

-- Library entries gain what scoring needs; every approved change is a new row in kpi_versions.
ALTER TABLE kpis ADD COLUMN rubric TEXT;            -- JSON: the five anchored level descriptions (method rubric)
ALTER TABLE kpis ADD COLUMN deduction_step DOUBLE;  -- points taken per counted event (method deduction)
ALTER TABLE kpis ADD COLUMN version INTEGER NOT NULL DEFAULT 1;

CREATE TABLE kpi_versions (
    kpi_id         TEXT NOT NULL,
    version        INTEGER NOT NULL,
    name           TEXT NOT NULL,
    category       TEXT,
    unit           TEXT,
    direction      TEXT,
    method         TEXT,
    data_source    TEXT,
    description    TEXT,
    rubric         TEXT,
    deduction_step DOUBLE,
    status         TEXT NOT NULL,
    valid_from     TIMESTAMP NOT NULL,
    change_id      TEXT,
    PRIMARY KEY (kpi_id, version)
);

-- A position's template: one version per change (typically per quarter); past versions stay readable
-- and are what past cycles used. The version in force on a day is the latest with valid_from <= day.
CREATE TABLE template_versions (
    position_id TEXT NOT NULL,
    version     INTEGER NOT NULL,
    valid_from  DATE NOT NULL,
    change_id   TEXT,
    created_at  TIMESTAMP NOT NULL,
    created_by  TEXT NOT NULL,
    note        TEXT,
    PRIMARY KEY (position_id, version)
);

CREATE TABLE position_kpis (
    position_id TEXT NOT NULL,
    version     INTEGER NOT NULL,
    kpi_id      TEXT NOT NULL,
    weight      DOUBLE NOT NULL,
    target      DOUBLE,
    floor       DOUBLE,
    stretch     DOUBLE,
    PRIMARY KEY (position_id, version, kpi_id)
);

-- kind: kpi_add | kpi_modify | kpi_retire | template; payload/before are JSON (after/before the change);
-- status: pending | approved | rejected | withdrawn; step: the next step to decide (1 head, 2 HRBP, 3 VP).
CREATE TABLE kpi_changes (
    change_id    TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    subject_id   TEXT,
    dept_id      TEXT,
    payload      TEXT NOT NULL,
    before       TEXT,
    reason       TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    requested_at TIMESTAMP NOT NULL,
    status       TEXT NOT NULL,
    step         INTEGER NOT NULL,
    decided_at   TIMESTAMP
);

CREATE TABLE kpi_change_steps (
    change_id  TEXT NOT NULL,
    step       INTEGER NOT NULL,
    approver   TEXT NOT NULL,
    decision   TEXT NOT NULL,  -- approved | rejected
    comment    TEXT,
    decided_at TIMESTAMP NOT NULL,
    PRIMARY KEY (change_id, step)
);

-- Numbers HR changes without code (category weight bands, grade scale …); value is JSON.
CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_by TEXT,
    updated_at TIMESTAMP
);
