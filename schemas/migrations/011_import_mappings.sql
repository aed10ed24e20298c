-- Saved column mappings of the import wizard (issue 11, point 3): how HR said a file of one shape is
-- read, applied again to the next file of that shape (its sheet names and header cells, hashed).
CREATE TABLE import_mappings (
    name TEXT PRIMARY KEY,
    shape TEXT NOT NULL,
    source TEXT NOT NULL,
    mapping TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX import_mappings_shape ON import_mappings (shape);
