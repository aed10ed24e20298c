"""Legacy appraisal workbooks → closed historical cycles, appraisals and appraisal items.

parse.py (no database): plan each sheet (sheets.py: a table, per-person forms, their summary) → stage
text rows (staging.py) → normalise values (records.py) → validate (schemas/staged.py, pandera).
load.py (the file's transaction): resolve people, departments, KPIs against the roster (resolve.py,
context.py) → check across rows and assemble one appraisal per person and period (appraisals.py) →
compare with what is on file → write. undo.py takes a batch back. Every record that is not taken
becomes a reject with its sheet, Excel row, column, value and reason.
"""
