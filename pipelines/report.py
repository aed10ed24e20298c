"""What an import did: the LoadReport every pipeline returns."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import polars as pl

from core.export import excel_bytes

# loaded: every data row taken; partial: some rows rejected; rejected: every data row rejected;
# refused: the file was not read at all; unchanged: everything in it is already in the database;
# failed: an unexpected error, nothing written; undone: loaded once, then taken back (pipelines/undo.py).
STATUSES = ("loaded", "partial", "rejected", "refused", "unchanged", "failed", "undone")

STATUS_LABELS = {
    "loaded": "已全部导入",
    "partial": "部分导入（有被拒绝的行）",
    "rejected": "所有数据行都被拒绝，未导入任何数据",
    "refused": "文件被拒收",
    "unchanged": "重复文件，未做任何更改",
    "failed": "导入失败，未写入任何数据",
    "undone": "已撤销",
}

REJECT_COLUMNS = {"sheet": "工作表", "row": "行号", "column": "列", "value": "值", "reason": "原因"}


@dataclass
class Reject:
    """One rejected row: where it is in the file and why it was not taken, in Chinese."""

    sheet: str | None
    row: int | None
    column: str | None
    value: str | None
    reason: str


@dataclass
class LoadReport:
    """Rows read, loaded and rejected for one file, with every reject and notes for people."""

    file_name: str
    source: str = "auto"
    sha256: str = ""
    status: str = "failed"
    rows_read: int = 0
    rows_loaded: int = 0
    rows_unchanged: int = 0
    # records not taken (a row of a period-wide sheet holds one record per period)
    rows_rejected: int = 0
    rejects: list[Reject] = field(default_factory=list)
    # rows taken on a guess HR should check, in the same shape as the rejects
    warnings: list[Reject] = field(default_factory=list)
    message: str = ""
    notes: list[str] = field(default_factory=list)
    batch_id: str | None = None

    @property
    def refused(self) -> bool:
        return self.status == "refused"

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    def reject(self, sheet: str | None, row: int | None, column: str | None, value: Any, reason: str) -> None:
        """Record one rejected row."""
        self.rejects.append(Reject(sheet, row, column, None if value is None else str(value), reason))

    def warn(self, sheet: str | None, row: int | None, column: str | None, value: Any, reason: str) -> None:
        """Record one row taken on a guess HR should check."""
        self.warnings.append(Reject(sheet, row, column, None if value is None else str(value), reason))

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON-ready data (the CLI's ``--json``)."""
        return {
            "file_name": self.file_name,
            "source": self.source,
            "sha256": self.sha256,
            "status": self.status,
            "message": self.message,
            "rows_read": self.rows_read,
            "rows_loaded": self.rows_loaded,
            "rows_rejected": self.rows_rejected,
            "rows_unchanged": self.rows_unchanged,
            "rejects": [asdict(r) for r in self.rejects],
            "warnings": [asdict(w) for w in self.warnings],
            "notes": list(self.notes),
            "batch_id": self.batch_id,
        }

    def rejects_frame(self) -> pl.DataFrame:
        """The rejected rows as a frame with Chinese column titles, in file order."""
        return _rows_frame(self.rejects)

    def warnings_frame(self) -> pl.DataFrame:
        """The rows taken on a guess, as a frame with Chinese column titles, in file order."""
        return _rows_frame(self.warnings)

    def to_excel_bytes(self) -> bytes:
        """The report as an .xlsx workbook: a summary sheet and the rejected rows (cells neutralised)."""
        summary = pl.DataFrame(
            {
                "项目": ["文件", "类型", "状态", "说明", "读取行数", "导入行数", "拒绝行数", "未变化行数", "批次"],
                "内容": [
                    self.file_name,
                    self.source,
                    self.status_label,
                    self.message,
                    str(self.rows_read),
                    str(self.rows_loaded),
                    str(self.rows_rejected),
                    str(self.rows_unchanged),
                    self.batch_id or "",
                ],
            }
        )
        notes = pl.DataFrame({"说明": self.notes}, schema={"说明": pl.String})
        return excel_bytes(
            {
                "导入结果": summary,
                "被拒绝的行": self.rejects_frame(),
                "请核对的行": self.warnings_frame(),
                "处理说明": notes,
            }
        )


def _rows_frame(rows: list[Reject]) -> pl.DataFrame:
    frame = pl.DataFrame(
        [asdict(r) for r in rows],
        schema={"sheet": pl.String, "row": pl.Int64, "column": pl.String, "value": pl.String, "reason": pl.String},
    )
    return frame.rename(REJECT_COLUMNS)
