"""A minimal writer of Excel 95 (BIFF5) workbooks whose text is stored in a code page such as GBK
(code page 936) — the kind of .xls old Chinese HR systems export. No maintained Python library
writes BIFF5 (xlwt writes BIFF8, whose text is UTF-16), so tests build these files here: one OLE2
compound file holding a 'Book' stream of BOF / CODEPAGE / BOUNDSHEET / LABEL / NUMBER / EOF records.
"""

from __future__ import annotations

import struct
from pathlib import Path

SECTOR = 512
ENDOFCHAIN, FREESECT, FATSECT, NOSTREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
MINI_CUTOFF = 4096


def _record(kind: int, body: bytes) -> bytes:
    return struct.pack("<HH", kind, len(body)) + body


def _bof(substream: int) -> bytes:
    return _record(0x0809, struct.pack("<HHHH", 0x0500, substream, 0x0DBB, 0x07CC))


def _xf_records() -> bytes:
    # BIFF5 XF records (16 bytes): 15 style XFs and one cell XF, all on the General format
    style = struct.pack("<HHHHHHHH", 0, 0, 0xFFF5, 0x20C0, 0, 0, 0, 0)
    cell = struct.pack("<HHHHHHHH", 0, 0, 0x0001, 0x20C0, 0, 0, 0, 0)
    return b"".join(_record(0x00E0, style) for _ in range(15)) + _record(0x00E0, cell)


def _font(encoding: str) -> bytes:
    name = "Arial".encode(encoding)
    return _record(0x0031, struct.pack("<HHHHHBBBB", 200, 0, 0x7FFF, 400, 0, 0, 0, 134, 0) + bytes([len(name)]) + name)


def workbook_stream(sheets: dict[str, list[list[object]]], encoding: str, codepage: int) -> bytes:
    """The BIFF5 'Book' stream for ``sheets`` (rows of str / int / float / None)."""
    bodies = []
    for rows in sheets.values():
        cells = []
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, int | float):
                    cells.append(_record(0x0203, struct.pack("<HHHd", r, c, 15, float(value))))
                else:
                    text = str(value).encode(encoding)
                    cells.append(_record(0x0204, struct.pack("<HHHH", r, c, 15, len(text)) + text))
        bodies.append(_bof(0x0010) + b"".join(cells) + _record(0x000A, b""))
    fonts = b"".join(_font(encoding) for _ in range(5))
    head = _bof(0x0005) + _record(0x0042, struct.pack("<H", codepage)) + fonts + _xf_records()
    names = [name.encode(encoding) for name in sheets]
    bound_len = sum(4 + 4 + 2 + 1 + len(n) for n in names)
    offset = len(head) + bound_len + 4  # + the globals' EOF record
    bounds = b""
    for name, body in zip(names, bodies, strict=True):
        bounds += _record(0x0085, struct.pack("<IBB", offset, 0, 0) + bytes([len(name)]) + name)
        offset += len(body)
    return head + bounds + _record(0x000A, b"") + b"".join(bodies)


def _dir_entry(name: str, kind: int, child: int, start: int, size: int) -> bytes:
    encoded = (name + "\x00").encode("utf-16-le")
    entry = encoded.ljust(64, b"\x00") + struct.pack("<HBB", len(encoded), kind, 1)
    entry += struct.pack("<III", NOSTREAM, NOSTREAM, child)
    entry += b"\x00" * 16 + struct.pack("<I", 0) + b"\x00" * 16
    entry += struct.pack("<IQ", start, size)
    return entry.ljust(128, b"\x00")


def compound_file(stream: bytes, name: str = "Book") -> bytes:
    """An OLE2 compound file with one stream (padded past the mini-stream cut-off, so no mini FAT)."""
    stream = stream.ljust(max(len(stream), MINI_CUTOFF), b"\x00")
    n_data = -(-len(stream) // SECTOR)
    fat = [FATSECT, ENDOFCHAIN] + [3 + i for i in range(n_data - 1)] + [ENDOFCHAIN]
    assert len(fat) <= SECTOR // 4, "one FAT sector is enough for test files"
    fat_sector = struct.pack(f"<{SECTOR // 4}I", *(fat + [FREESECT] * (SECTOR // 4 - len(fat))))
    directory = (
        _dir_entry("Root Entry", 5, 1, ENDOFCHAIN, 0)
        + _dir_entry(name, 2, NOSTREAM, 2, len(stream))
        + b"\x00" * 128 * 2
    )
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16
    header += struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\x00" * 6
    header += struct.pack("<IIIIIIIII", 0, 1, 1, 0, MINI_CUTOFF, ENDOFCHAIN, 0, ENDOFCHAIN, 0)
    header += struct.pack("<I", 0) + struct.pack("<108I", *([FREESECT] * 108))
    assert len(header) == SECTOR
    return header + fat_sector + directory + stream.ljust(n_data * SECTOR, b"\x00")


def write_biff5(path: Path, sheets: dict[str, list[list[object]]], encoding: str = "gbk", codepage: int = 936) -> Path:
    """Write an Excel 95 workbook with text in ``encoding`` (GBK by default)."""
    path.write_bytes(compound_file(workbook_stream(sheets, encoding, codepage)))
    return path
