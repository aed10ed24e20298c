-- Undoing an import batch (pipelines/undo.py): every row a batch adds carries its batch_id; what a
-- batch changed on rows that were already there is kept as it was before and as the batch wrote it,
-- so the undo can put it back, and can tell when something changed it since.

-- An undone batch stays in the history (status 'undone'), saying when and by whom.
ALTER TABLE import_batches ADD COLUMN undone_at TIMESTAMP;
ALTER TABLE import_batches ADD COLUMN undone_by TEXT;

-- The KPI versions and position template versions a KPI-library workbook wrote.
ALTER TABLE kpi_versions ADD COLUMN batch_id TEXT;
ALTER TABLE template_versions ADD COLUMN batch_id TEXT;

-- A roster's changes to people already on file: side 'before' (as they were) and 'after' (as written).
CREATE TABLE import_employee_images (
    batch_id    TEXT NOT NULL,
    employee_id TEXT NOT NULL,
    side        TEXT NOT NULL,
    name        TEXT,
    dept_id     TEXT,
    position_id TEXT,
    manager_id  TEXT,
    hire_date   DATE,
    leave_date  DATE,
    status      TEXT,
    PRIMARY KEY (batch_id, employee_id, side)
);

-- A roster's changes to the parent or head of departments already on file, before and after.
CREATE TABLE import_department_images (
    batch_id  TEXT NOT NULL,
    dept_id   TEXT NOT NULL,
    side      TEXT NOT NULL,
    parent_id TEXT,
    head_id   TEXT,
    PRIMARY KEY (batch_id, dept_id, side)
);
