"""The three kinds of workbook HR's legacy files come as, behind one small interface the demo's
layouts write through: ``sheet(name)``, then ``cell``, ``merge`` and ``width`` on it, then ``close()``.

.xlsx through xlsxwriter, Excel 2003 .xls through xlwt, and a CSV export in GBK as Chinese Excel saves
it (every sheet in the one table). Document times are fixed: the same seed writes the same bytes.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from pathlib import Path
from typing import Any

import xlsxwriter
import xlwt

FIXED_CREATED = dt.datetime(2026, 1, 5, 9, 0, 0)  # fixed document time: same seed, same bytes


class XlsxBook:
    """An xlsxwriter workbook behind the small interface the layouts write through."""

    def __init__(self, path: Path, *, constant_memory: bool):
        options = {
            "constant_memory": constant_memory,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        }
        self._wb = xlsxwriter.Workbook(str(path), options)
        self._wb.set_properties({"created": FIXED_CREATED, "author": "人力资源部"})
        self._formats = {
            "": None,
            "title": self._wb.add_format({"bold": True, "font_size": 14, "align": "center"}),
            "head": self._wb.add_format(
                {"bold": True, "border": 1, "align": "center", "valign": "vcenter", "bg_color": "#DDEBF7"}
            ),
            "pct": self._wb.add_format({"num_format": "0%"}),
            "date": self._wb.add_format({"num_format": "yyyy-mm-dd"}),
            "id": self._wb.add_format({"num_format": "000000"}),
            "wrap": self._wb.add_format({"text_wrap": True}),
        }

    def sheet(self, name: str) -> XlsxSheet:
        return XlsxSheet(self._wb.add_worksheet(name), self._formats)

    def close(self) -> None:
        self._wb.close()


class XlsxSheet:
    def __init__(self, ws: Any, formats: dict[str, Any]):
        self._ws, self._f = ws, formats

    def cell(self, r: int, c: int, value: Any, kind: str = "") -> None:
        fmt = self._f[kind]
        if value is None or value == "":
            return
        if isinstance(value, str):
            self._ws.write_string(r, c, value, fmt)
        elif isinstance(value, dt.date):
            self._ws.write_datetime(r, c, dt.datetime(value.year, value.month, value.day), fmt or self._f["date"])
        else:
            self._ws.write_number(r, c, value, fmt)

    def merge(self, r1: int, c1: int, r2: int, c2: int, value: Any, kind: str = "head") -> None:
        self._ws.merge_range(r1, c1, r2, c2, value, self._f[kind or "head"])

    def width(self, c: int, chars: float) -> None:
        self._ws.set_column(c, c, chars)


class XlsBook:
    """An xlwt (BIFF8 .xls) workbook behind the same interface."""

    MAX_ROWS = 65536

    def __init__(self, path: Path):
        self._path = path
        self._wb = xlwt.Workbook(encoding="utf-8")
        self._styles = {
            "": xlwt.easyxf(""),
            "title": xlwt.easyxf("font: bold on, height 280; align: horiz center"),
            "head": xlwt.easyxf(
                "font: bold on; align: horiz center, vert center; borders: left thin, right thin, top thin, bottom thin"
            ),
            "pct": xlwt.easyxf(num_format_str="0%"),
            "date": xlwt.easyxf(num_format_str="YYYY-MM-DD"),
            "id": xlwt.easyxf(num_format_str="000000"),
            "wrap": xlwt.easyxf("align: wrap on"),
        }

    def sheet(self, name: str) -> XlsSheet:
        return XlsSheet(self._wb.add_sheet(name, cell_overwrite_ok=True), self._styles)

    def close(self) -> None:
        self._wb.save(str(self._path))


class XlsSheet:
    def __init__(self, ws: Any, styles: dict[str, Any]):
        self._ws, self._s = ws, styles

    def cell(self, r: int, c: int, value: Any, kind: str = "") -> None:
        if value is None or value == "":
            return
        if r >= XlsBook.MAX_ROWS:
            raise ValueError(".xls 工作表最多 65536 行")
        if isinstance(value, dt.date):
            kind = kind or "date"
            value = dt.datetime(value.year, value.month, value.day)
        self._ws.write(r, c, value, self._s[kind])

    def merge(self, r1: int, c1: int, r2: int, c2: int, value: Any, kind: str = "head") -> None:
        self._ws.write_merge(r1, r2, c1, c2, value, self._s[kind or "head"])

    def width(self, c: int, chars: float) -> None:
        self._ws.col(c).width = int(chars * 256)


class CsvBook:
    """A CSV export (GBK, as Chinese Excel saves it): every sheet goes into the one table."""

    def __init__(self, path: Path):
        self._path = path
        self._rows: dict[int, dict[int, Any]] = defaultdict(dict)
        self._offset = 0

    def sheet(self, name: str) -> CsvBook:
        self._offset = max(self._rows, default=-1) + 1
        return self

    def cell(self, r: int, c: int, value: Any, kind: str = "") -> None:
        if value is None or value == "":
            return
        if kind == "pct" and isinstance(value, float):
            value = f"{value:.0%}"
        elif isinstance(value, dt.date):
            value = value.isoformat()
        elif isinstance(value, float) and value.is_integer():
            value = int(value)
        self._rows[self._offset + r][c] = value

    def merge(self, r1: int, c1: int, r2: int, c2: int, value: Any, kind: str = "head") -> None:
        self.cell(r1, c1, value)

    def width(self, c: int, chars: float) -> None:
        pass

    def close(self) -> None:
        width = max((max(cols) + 1 for cols in self._rows.values() if cols), default=0)
        with self._path.open("w", encoding="gbk", newline="") as fh:
            out = csv.writer(fh)
            for r in range(max(self._rows, default=-1) + 1):
                cols = self._rows.get(r, {})
                out.writerow(["" if cols.get(c) is None else cols[c] for c in range(width)])


def open_book(path: Path, fmt: str, *, constant_memory: bool = True) -> Any:
    """A workbook of ``fmt`` (xlsx, xls or csv) at ``path``."""
    if fmt == "xls":
        return XlsBook(path)
    if fmt == "csv":
        return CsvBook(path)
    return XlsxBook(path, constant_memory=constant_memory)
