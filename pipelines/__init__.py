"""Ingestion as a registry of sources (pipelines/sources.py): each source parses a file without a
database, then loads it through core.db in one transaction; pipelines/importer.py writes the batch,
its rejects, its audit row and the LoadReport; pipelines/undo.py takes a batch back.

``import_file`` is the single entry point used by the CLI, the 数据导入 screen and the demo builder.
"""

from __future__ import annotations

import os

import core  # noqa: F401  (first: it tunes the allocator before polars loads)
from core.db import Database
from pipelines.importer import import_file, import_files
from pipelines.report import LoadReport, Reject


def import_library_workbook(
    db: Database, path: str | os.PathLike[str], *, uploaded_by: str, file_name: str | None = None
) -> LoadReport:
    """Import a KPI library workbook (指标库 and/or 岗位模板 sheets): ``import_file`` with the source
    fixed. Never raises for bad input: a refused or failed file comes back as a report with that status
    and a Chinese message."""
    return import_file(db, path, source="kpi_library", uploaded_by=uploaded_by, file_name=file_name)


__all__ = ["LoadReport", "Reject", "import_file", "import_files", "import_library_workbook"]
