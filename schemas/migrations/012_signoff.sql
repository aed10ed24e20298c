-- Sign-off (issue 12, DESIGN.md §4 *Sign-off*): both parties confirm, an employee may object, HR upholds
-- or returns, a signed PDF is archived, and every step is a row of a keyed hash chain.

-- A sign-off round starts when an appraisal enters 签字确认; a return to 上级评定 ends it, and the next
-- arrival starts round + 1 (confirmations of an earlier round never count for a later one).
ALTER TABLE appraisals ADD COLUMN signoff_round INTEGER DEFAULT 0;
ALTER TABLE appraisals ADD COLUMN signoff_since TIMESTAMP;   -- when the current round began (deadline basis)

-- One confirmation per party and round. ``deemed``: the deadline passed and HR's rule deemed it
-- confirmed (printed as such on the PDF); ``actor`` is then 'system'.
CREATE TABLE signoff_confirmations (
    appraisal_id TEXT NOT NULL,
    round        INTEGER NOT NULL,
    party        TEXT NOT NULL,          -- employee | manager
    actor        TEXT NOT NULL,          -- username, or system
    employee_id  TEXT,                   -- the confirming person (NULL when deemed)
    confirmed_at TIMESTAMP NOT NULL,
    deemed       BOOLEAN NOT NULL DEFAULT false,
    PRIMARY KEY (appraisal_id, round, party)
);

-- An employee's objection (申诉) and HR's resolution: upheld (reply the employee sees) or returned to the
-- manager's rating stage (note for the manager).
CREATE TABLE signoff_objections (
    objection_id TEXT PRIMARY KEY,
    appraisal_id TEXT NOT NULL,
    round        INTEGER NOT NULL,
    raised_by    TEXT NOT NULL,
    raised_at    TIMESTAMP NOT NULL,
    reason       TEXT NOT NULL,
    status       TEXT NOT NULL,          -- open | upheld | returned
    resolved_by  TEXT,
    resolved_at  TIMESTAMP,
    reply        TEXT
);
CREATE INDEX signoff_objections_appraisal ON signoff_objections (appraisal_id);

-- The signed PDF of a round, archived under data/archive/<employee>/<cycle>.pdf (path relative to the
-- archive folder). One current document per appraisal; a re-issue after a return replaces the row.
CREATE TABLE signoff_documents (
    appraisal_id  TEXT PRIMARY KEY,
    round         INTEGER NOT NULL,
    path          TEXT NOT NULL,
    record_sha256 TEXT NOT NULL,
    record_json   TEXT NOT NULL,         -- the canonical record as issued: verify names the fields that changed
    pdf_sha256    TEXT NOT NULL,
    issued_at     TIMESTAMP NOT NULL,
    issued_by     TEXT NOT NULL
);

-- The evidence ledger: confirmation, objection, resolution, pdf_issued, cycle_closed … each row linked to
-- the previous by core/chain.py under the same key as the audit trail (a separate chain and head).
CREATE TABLE signoff_ledger (
    seq           BIGINT PRIMARY KEY,
    ts            TIMESTAMP NOT NULL,
    appraisal_id  TEXT,                  -- NULL for a cycle's own rows (cycle_closed)
    cycle_id      TEXT,
    actor         TEXT NOT NULL,
    role          TEXT NOT NULL,
    action        TEXT NOT NULL,
    record_sha256 TEXT,
    pdf_sha256    TEXT,
    detail        TEXT,
    prev_hash     TEXT NOT NULL,
    entry_hash    TEXT NOT NULL
);

-- Closing a cycle: when, by whom, and the reason when appraisals were left unconfirmed (listed in the
-- ledger's cycle_closed row).
ALTER TABLE cycles ADD COLUMN closed_at TIMESTAMP;
ALTER TABLE cycles ADD COLUMN closed_by TEXT;
ALTER TABLE cycles ADD COLUMN close_reason TEXT;
