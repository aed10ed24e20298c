"""Tables leaving the system: formatted Excel workbooks and CSV, safe against formula injection."""

from __future__ import annotations

import csv
import io
from typing import Any

import polars as pl
import xlsxwriter

# A spreadsheet treats a cell starting with one of these as a formula (or a DDE payload).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutralise_cell(value: str) -> str:
    """Prefix a text cell that a spreadsheet would run as a formula with an apostrophe."""
    if value and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _cell(value: Any) -> Any:
    return neutralise_cell(value) if isinstance(value, str) else value


def excel_bytes(sheets: dict[str, pl.DataFrame]) -> bytes:
    """Frames as a formatted .xlsx (bold header, frozen first row, fitted widths); text cells are
    written as text, never as formulas, and neutralised."""
    buf = io.BytesIO()
    options = {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    with xlsxwriter.Workbook(buf, options) as wb:
        head = wb.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1})
        date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
        for name, frame in sheets.items():
            ws = wb.add_worksheet(name[:31])
            for c, col in enumerate(frame.columns):
                ws.write_string(0, c, neutralise_cell(str(col)), head)
                values = frame.get_column(col).to_list()
                width = max([len(str(col)) * 2] + [len(str(v)) * 1.6 for v in values[:200] if v is not None])
                ws.set_column(c, c, min(max(width, 8), 60))
                for r, v in enumerate(values, start=1):
                    if v is None:
                        continue
                    if isinstance(v, bool):
                        ws.write_boolean(r, c, v)
                    elif isinstance(v, int | float):
                        ws.write_number(r, c, v)
                    elif hasattr(v, "isoformat") and not isinstance(v, str):
                        ws.write_datetime(r, c, v, date_fmt)
                    else:
                        ws.write_string(r, c, neutralise_cell(str(v)))
            ws.freeze_panes(1, 0)
    return buf.getvalue()


def csv_text(frame: pl.DataFrame) -> str:
    """A frame as CSV text with every text cell neutralised."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([neutralise_cell(str(c)) for c in frame.columns])
    for row in frame.iter_rows():
        writer.writerow(["" if v is None else _cell(v) if isinstance(v, str) else v for v in row])
    return out.getvalue()
