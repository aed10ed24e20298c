"""The KPI library and the position templates as an Excel workbook HR can edit: export, and import back.

``export_library_workbook(db)`` (export.py) writes 指标库, 岗位模板 and 填写说明. Importing such a
workbook — or one HR made, with Chinese or English headers, title rows above them, columns in any order
— goes through the same machinery as the other imports (``pipelines.import_file`` with source
``kpi_library``): parse.py finds the headers by synonyms (``schemas.headers.LIBRARY_HEADERS`` /
``TEMPLATE_HEADERS``), stages and normalises the rows and checks them (pandera contracts of
columns.py); resolve.py and loading.py apply the library's rules and load everything accepted in the
file's transaction. Rows are rejected one by one with a Chinese reason: an unknown category, method,
direction, data source or status; a rubric without five levels; a deduction without a step; an unknown
position or KPI; a template whose weights do not add up to 100 (the whole template is then rejected,
never half of it). undo.py takes a batch back.

It is idempotent: a KPI whose values equal the library's is left alone; a template whose items equal
the version in force on its 生效日期 creates no version. A changed KPI is updated and gets a new row in
``kpi_versions``; a changed template becomes a new version, valid from the 生效日期 column (a date or a
period such as 2025Q1) or else the first day of the current quarter; past versions stay as they were.

**An import is an HR bulk load**, outside the three-step approval of single changes (core.kpi_changes),
recorded in the audit log with every KPI and template it added or changed. Screens must offer it to HR
admins only.
"""

from pipelines.kpi_library.columns import HELP_SHEET, LIBRARY_SHEET, SOURCE, TEMPLATE_SHEET
from pipelines.kpi_library.export import export_library_workbook, templates_in_force
from pipelines.kpi_library.parse import is_library_workbook
from schemas.headers import LIBRARY_FIELDS, LIBRARY_TITLES, TEMPLATE_FIELDS, TEMPLATE_TITLES

__all__ = [
    "HELP_SHEET",
    "LIBRARY_FIELDS",
    "LIBRARY_SHEET",
    "LIBRARY_TITLES",
    "SOURCE",
    "TEMPLATE_FIELDS",
    "TEMPLATE_SHEET",
    "TEMPLATE_TITLES",
    "export_library_workbook",
    "is_library_workbook",
    "templates_in_force",
]
