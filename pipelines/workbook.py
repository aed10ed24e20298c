"""Read every sheet of a file as a grid of text cells, with Excel row numbers and merged ranges.

Every cell is read as text (``dtypes="string"``): fastexcel guesses a column's type from its first
1,000 rows and would silently null text after that window (DESIGN.md §8). Leading blank rows are kept
(``skip_rows=0``) so that grid row *i* is Excel row *i + 1*; columns are named by their Excel letter.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from xml.etree import ElementTree

import fastexcel
import polars as pl

from pipelines.sniff import FileInfo, FileRefused

log = logging.getLogger(__name__)


@dataclass
class Grid:
    """One sheet: text cells in columns named by Excel letter; row i is Excel row i + 1."""

    name: str
    index: int
    frame: pl.DataFrame
    visible: bool = True
    # merged ranges as (first_row, first_col, last_row, last_col), 0-based, absolute
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    error: str | None = None
    # layouts already found in this sheet (pipelines.layout remembers its answers here)
    found: dict[object, object] = field(default_factory=dict, compare=False, repr=False)
    # when ``frame`` holds only the first rows (enough to find the layout), this loads the whole sheet
    loader: Callable[[], pl.DataFrame] | None = field(default=None, compare=False, repr=False)

    @property
    def letters(self) -> list[str]:
        return self.frame.columns

    def full(self) -> Grid:
        """The sheet with all its rows (the same grid when it was read whole). The caller drops it
        when done, so a large workbook is held one sheet at a time."""
        if self.loader is None:
            return self
        return replace(self, frame=self.loader(), loader=None, found=self.found)


def sheets_to_read(grids: list[Grid], notes: list[str] | None = None) -> Iterator[Grid]:
    """The sheets that read cleanly, hold cells and are visible; a hidden one is skipped, with a note
    in ``notes`` when given."""
    for g in grids:
        if g.error or g.frame.height == 0:
            continue
        if not g.visible:
            if notes is not None:
                notes.append(f"隐藏的工作表「{g.name}」已跳过。")
            continue
        yield g


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    s = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        s = chr(65 + rem) + s
    return s


def column_index(letters: str) -> int:
    """A → 0, AA → 26."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


PARALLEL_READ_MAX_BYTES = 16 * 1024 * 1024
# Rows read up front per sheet; None reads every sheet whole at once. (calamine parses a whole sheet
# even for its first rows, so reading heads first would parse every sheet twice: measured 1.4× slower.)
HEAD_ROWS: int | None = None


def read_grids(path: Path, info: FileInfo) -> list[Grid]:
    """All sheets of the file as text grids (a CSV is one sheet). Raises FileRefused when unreadable.
    Callers free a sheet's frame once it is staged, so the file's cells are not held twice."""
    if info.kind == "csv":
        return [_csv_grid(path, info)]
    if info.kind == "punch_log":
        return [_punch_log_grid(path, info)]
    if info.kind == "xls_old":
        return _old_xls_grids(path)
    data = path.read_bytes()
    try:
        reader = fastexcel.read_excel(data)
    except Exception as err:  # calamine raises its own error types for every broken structure
        # from bytes calamine says only "Cannot detect file format" when an .xlsx's XML is broken
        raise FileRefused(_xlsx_xml_error(data) if info.kind == "xlsx" else _readable_error(err)) from err
    names = reader.sheet_names
    with ThreadPoolExecutor(max_workers=2) as pool:
        merged_job = pool.submit(_merged_ranges, data, info, len(names))
        if len(names) > 1 and info.size <= PARALLEL_READ_MAX_BYTES:
            # a small workbook: its sheets are parsed on two threads (fastexcel releases the GIL)
            other = pool.submit(_load_heads, fastexcel.read_excel(data), names, range(1, len(names), 2))
            grids = _load_heads(reader, names, range(0, len(names), 2)) + other.result()
            grids.sort(key=lambda g: g.index)
        else:
            # a large one sheet after another: two sheets parsed at once would double the peak memory
            grids = _load_heads(reader, names, range(len(names)))
        merged = merged_job.result()
    for g in grids:
        g.merged = merged.get(g.index, [])
    return grids


def _load_sheet(reader: fastexcel.ExcelReader, index: int, n_rows: int | None) -> tuple[pl.DataFrame, bool, bool]:
    """(frame with Excel-letter columns, visible, whole sheet read)."""
    sheet = reader.load_sheet(index, header_row=None, dtypes="string", skip_rows=0, n_rows=n_rows)
    cols = sheet.available_columns()
    frame = sheet.to_polars()
    letters = [column_letter(c.absolute_index) for c in cols]
    frame = frame.rename(dict(zip(frame.columns, letters, strict=True))) if frame.width else frame
    whole = n_rows is None or sheet.total_height <= n_rows
    return frame, sheet.visible == "visible", whole


def _load_heads(reader: fastexcel.ExcelReader, names: list[str], indices: range) -> list[Grid]:
    grids = []
    for i in indices:
        name = names[i]
        try:
            head, visible, whole = _load_sheet(reader, i, HEAD_ROWS)
        except Exception as err:
            grids.append(Grid(name, i, pl.DataFrame(), False, [], _readable_error(err)))
            continue
        loader = None if whole else partial(_load_full, reader, i, head.columns)
        grids.append(Grid(name, i, head, visible, loader=loader))
    return grids


def _load_full(reader: fastexcel.ExcelReader, index: int, letters: list[str]) -> pl.DataFrame:
    frame, _, _ = _load_sheet(reader, index, None)
    return frame.select(letters) if frame.columns != letters else frame


def _old_xls_grids(path: Path) -> list[Grid]:
    """Excel 2.x–95 workbooks (BIFF2–7) through xlrd: calamine decodes BIFF5 text stored in a
    double-byte code page such as GBK (936) byte by byte and loses it, xlrd decodes it with the
    file's CODEPAGE. These files are small (at most 16,384 rows a sheet)."""
    import xlrd

    try:
        book = xlrd.open_workbook(str(path), formatting_info=False, on_demand=True, logfile=io.StringIO())
    except Exception as err:  # xlrd raises XLRDError, CompDocError, struct errors … for broken files
        raise FileRefused(_readable_error(err)) from err
    grids = []
    for i in range(book.nsheets):
        sheet = book.sheet_by_index(i)
        width = sheet.ncols
        columns: list[list[str | None]] = [[] for _ in range(width)]
        for r in range(sheet.nrows):
            row = sheet.row(r)
            for c in range(width):
                columns[c].append(_xlrd_text(row[c], book.datemode) if c < len(row) else None)
        frame = pl.DataFrame(
            {column_letter(c): columns[c] for c in range(width)},
            schema={column_letter(c): pl.String for c in range(width)},
        )
        merged = [(r0, c0, r1 - 1, c1 - 1) for r0, r1, c0, c1 in getattr(sheet, "merged_cells", [])]
        grids.append(Grid(sheet.name, i, frame, getattr(sheet, "visibility", 0) == 0, merged))
    return grids


def _xlrd_text(cell, datemode: int) -> str | None:
    import xlrd

    kind, value = cell.ctype, cell.value
    if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return None
    if kind == xlrd.XL_CELL_NUMBER:
        return str(int(value)) if float(value).is_integer() else repr(value)
    if kind == xlrd.XL_CELL_DATE:
        try:
            return xlrd.xldate_as_datetime(value, datemode).strftime("%Y-%m-%d %H:%M:%S")
        except (ValueError, OverflowError):
            return repr(value)
    if kind == xlrd.XL_CELL_BOOLEAN:
        return "true" if value else "false"
    if kind == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(value, "#ERR")
    return str(value) if value != "" else None


# what a reader's error text says → what the person is told (every sentence Chinese; the raw text goes
# to the log for the administrator, never to the screen)
_ENTITY_SENTENCE = (
    "文件里的文字含有无法识别的 XML 字符转义{what}，通常是别的软件生成文件时写错了："
    "请在 Excel 或 WPS 中打开后另存为新的 .xlsx，再上传。"
)
_ENTITY_SOME = "（如「&xxx;」这样的实体，或无效的字符编码）"
_XML_BROKEN = "文件里的 XML 结构已损坏，无法读取：请在 Excel 或 WPS 中打开后另存为新的 .xlsx，再上传。"
_READ_ERRORS: tuple[tuple[tuple[str, ...], str | None], ...] = (  # None: the entity sentence
    (("cannot detect file format",),
     "无法识别的文件格式（可能已损坏或是不支持的旧版 Excel）：请在 Excel 中另存为 .xlsx 后再上传。"),
    (("password", "encrypt"), "文件设有密码，系统无法读取：请取消密码后另存，再上传。"),
    (("chartsheet",), "这是图表工作表，没有数据。"),
    (("entity", "character reference", "codepoint"), None),
    (("shared string",),
     "文件的共享文字表已损坏（单元格指向不存在的文字），无法读取：请在 Excel 或 WPS 中打开后另存为新的 .xlsx，再上传。"),
    (("xml error", "xml"), _XML_BROKEN),
    (("zip", "archive"), "文件的压缩结构已损坏，无法读取：请从原系统重新导出，或在 Excel 中另存一份再上传。"),
    (("biff", "cfb", "ole", "compdoc", "xlrd"),
     "旧版 Excel（.xls）文件的内部结构已损坏，无法读取：请在 Excel 或 WPS 中打开后另存为 .xlsx，再上传。"),
)  # fmt: skip
_ENTITY = re.compile(r"&#?\w{1,24};")
_READ_ERROR_DEFAULT = "文件内容已损坏，无法读取：请从原系统重新导出，或在 Excel 中另存后再上传。"


def _readable_error(err: Exception) -> str:
    """A Chinese sentence for a reader's error: what is wrong with the file and what to do."""
    text = str(err) or type(err).__name__
    log.warning("reader error: %s: %s", type(err).__name__, text.splitlines()[0][:300] if text else "")
    lowered = f"{type(err).__name__} {text}".lower()
    for needles, sentence in _READ_ERRORS:
        if any(n in lowered for n in needles):
            found = _ENTITY.search(text)
            return sentence or _ENTITY_SENTENCE.format(what=f"「{found.group()}」" if found else _ENTITY_SOME)
    return _READ_ERROR_DEFAULT


def _xlsx_xml_error(data: bytes) -> str:
    """Why an .xlsx (a sound zip, sniffed) could not be opened: its XML parts are parsed one by one, as a
    stream, to name the fault — a bad character entity (quoted when its part is small), broken XML —
    else the general sentence."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            for info in z.infolist():
                if not info.filename.endswith((".xml", ".rels")):
                    continue
                try:
                    with z.open(info) as member:
                        for _, element in ElementTree.iterparse(member):
                            element.clear()
                except ElementTree.ParseError as err:
                    log.warning("xlsx part %s: %s", info.filename, err)
                    text = str(err).lower()
                    if "entity" not in text and "reference" not in text:
                        return _XML_BROKEN
                    return _ENTITY_SENTENCE.format(what=_entity_at(z, info, err.position))
    except (zipfile.BadZipFile, OSError, ValueError):
        pass
    return _READ_ERROR_DEFAULT


def _entity_at(z: zipfile.ZipFile, info: zipfile.ZipInfo, position: tuple[int, int]) -> str:
    """The entity at a parse error's (line, column), quoted, when the part is small enough to look."""
    if info.file_size <= 8 << 20:
        line, col = position
        lines = z.read(info).decode("utf-8", errors="replace").splitlines()  # the column counts characters
        at = lines[line - 1] if 0 < line <= len(lines) else ""
        if found := _ENTITY.match(at, col) or _ENTITY.search(at, max(col - 40, 0)):
            return f"「{found.group()}」"
    return _ENTITY_SOME


def _punch_log_grid(path: Path, info: FileInfo) -> Grid:
    """A time clock's text export, one punch a line split on tabs: no quoting rules, so a damaged line
    (the machines write some) stays a line of odd cells instead of breaking the file."""
    text = path.read_bytes().decode(info.encoding or "utf-8", errors="replace").removeprefix("\ufeff")
    rows = [line.split("\t") for line in text.splitlines() if line.strip()]
    width = max((len(r) for r in rows), default=0)
    columns = {column_letter(c): [(r[c].strip() or None) if c < len(r) else None for r in rows] for c in range(width)}
    return Grid(path.stem, 0, pl.DataFrame(columns, schema={k: pl.String for k in columns}))


def _csv_grid(path: Path, info: FileInfo) -> Grid:
    text = path.read_bytes().decode(info.encoding or "utf-8", errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    sample = text[:8192]
    sep = max([",", "\t", ";", "|"], key=sample.count)
    try:
        frame = pl.read_csv(
            io.StringIO(text),
            has_header=False,
            separator=sep,
            infer_schema=False,
            truncate_ragged_lines=True,
            quote_char='"',
        )
    except pl.exceptions.ComputeError as err:
        log.warning("csv parse error in %s: %s", path.name, str(err).splitlines()[0][:300])
        raise FileRefused(
            "这个文本文件无法按 CSV 表格读取（引号不成对，或各行的列数对不上），可能不是表格数据："
            "请在 Excel 中打开核对后另存为 .xlsx 或 UTF-8 的 CSV，再上传。"
        ) from err
    frame = frame.rename({c: column_letter(i) for i, c in enumerate(frame.columns)})
    return Grid(path.stem, 0, frame)


_REF = re.compile(r"([A-Z]+)(\d+)")
_MERGE_REF = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\sref="([A-Z]+\d+):([A-Z]+\d+)"')
_MERGE_END = re.compile(rb"</(?:\w+:)?mergeCells>")


def _merged_ranges(data: bytes, info: FileInfo, n_sheets: int) -> dict[int, list[tuple[int, int, int, int]]]:
    """Merged cell ranges per sheet index. For .xlsx from the sheet XML tails kept by the sniffing pass
    (no cell parsing); for other formats from python-calamine (those files are small)."""
    if info.kind == "xlsx":
        try:
            return _xlsx_merged(data, info.merge_tails)
        except Exception:  # a workbook without readable merge data just has no merged ranges
            return {}
    try:
        import python_calamine

        wb = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        out = {}
        for i in range(n_sheets):
            try:
                ranges = wb.get_sheet_by_index(i).merged_cell_ranges or []
            except Exception:
                continue
            out[i] = [(a[0], a[1], b[0], b[1]) for a, b in ranges]
        return out
    except Exception:
        return {}


def _xlsx_merged(data: bytes, tails: dict[str, bytes]) -> dict[int, list[tuple[int, int, int, int]]]:
    ns_rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        book = ElementTree.fromstring(z.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
        targets = {r.get("Id"): r.get("Target", "") for r in rels}
        names = set(z.namelist())
        out: dict[int, list[tuple[int, int, int, int]]] = {}
        sheets = [s for s in book.iter() if s.tag.endswith("}sheet") or s.tag == "sheet"]
        for i, sheet in enumerate(sheets):
            rid = sheet.get(f"{ns_rel}id") or sheet.get("r:id")
            target = targets.get(rid or "", "")
            member = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            xml = tails.get(member)
            if member not in names or xml is None:
                continue
            ranges = []
            # only the mergeCell elements: a conditional format or a validation after them (sqref="C3:C8")
            # names a range too, and filling it down would copy one person's score onto the next
            end = _MERGE_END.search(xml)
            for ref in _MERGE_REF.findall(xml, 0, end.start() if end else len(xml)):
                (c0, r0), (c1, r1) = (_REF.fullmatch(x.decode()).groups() for x in ref)
                ranges.append((int(r0) - 1, column_index(c0), int(r1) - 1, column_index(c1)))
            out[i] = ranges
        return out
