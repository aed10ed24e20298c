"""Ingestion: read → normalise → validate (schemas/) → load (core.db), one module per source.

``import_file`` is the single entry point used by the CLI, the 数据导入 screen and the demo builder.
"""

import core  # noqa: F401  (first: it tunes the allocator before polars loads)
from pipelines.importer import import_file, import_files
from pipelines.report import LoadReport, Reject

__all__ = ["LoadReport", "Reject", "import_file", "import_files"]
