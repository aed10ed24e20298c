-- Forms, fully (issue 11 point 4): an item is a weighted item, a bonus or a deduction; a legacy
-- appraisal keeps the grade its file states in `grade` (NULL when the file states none) and the grade
-- its score gives on the company scale, shown as computed, in `grade_computed`.
ALTER TABLE appraisal_items ADD COLUMN item_kind TEXT DEFAULT 'item';
UPDATE appraisal_items SET item_kind = 'item' WHERE item_kind IS NULL;
ALTER TABLE appraisals ADD COLUMN grade_computed TEXT;
