"""Look at a file before parsing it: size cap, type by content (not by name), decompression bombs.

Nothing here decompresses a workbook: the zip check reads only the central directory.
"""

from __future__ import annotations

import hashlib
import os
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

MAX_FILE_MB = float(os.environ.get("JIXIAO_MAX_UPLOAD_MB", "200"))
# An .xlsx of real data compresses 5–30×; a bomb compresses thousands of times.
MAX_ZIP_RATIO = 200.0
MAX_UNZIPPED_BYTES = 4 * 1024**3

NOT_SPREADSHEET_MAGIC = {
    b"%PDF-": "PDF 文档",
    b"\x89PNG": "PNG 图片",
    b"\xff\xd8\xff": "JPEG 图片",
    b"GIF8": "GIF 图片",
    b"Rar!": "RAR 压缩包",
    b"7z\xbc\xaf": "7z 压缩包",
    b"\x1f\x8b": "gzip 压缩包",
    b"{\\rtf": "RTF 文档",
    b"<!DOCTYPE html": "网页",
    b"<html": "网页",
}
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
BIFF_OLD_MAGIC = (b"\x09\x00", b"\x09\x02", b"\x09\x04", b"\x09\x08")  # BIFF2–BIFF4 stream starts


class FileRefused(Exception):
    """The file is not read at all; ``reason`` says why in Chinese and what to do."""

    def __init__(self, reason: str, sha256: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.sha256 = sha256


@dataclass(frozen=True)
class FileInfo:
    """What the file is, by its content."""

    # xlsx | xls (BIFF8) | xls_old (Excel 2.x–95: BIFF2–7) | xlsb | ods | csv | punch_log (a time clock's
    # tab-separated text export: one punch a line, read without any CSV parser)
    kind: str
    size: int
    sha256: str
    encoding: str | None = None  # for csv
    # for .xlsx: each worksheet member's XML from '<mergeCells' on (read during the verification pass)
    merge_tails: dict[str, bytes] = field(default_factory=dict, compare=False, repr=False)


def sha256_of(path: Path) -> str:
    """The file's SHA-256 as hex."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def inspect_file(path: str | os.PathLike[str], max_mb: float | None = None) -> FileInfo:
    """Identify ``path`` by content or raise :class:`FileRefused` with a reason."""
    path = Path(path)
    if not path.is_file():
        raise FileRefused(f"找不到文件 {path.name}：请检查路径后重新上传。")
    size = path.stat().st_size
    cap = MAX_FILE_MB if max_mb is None else max_mb
    if size == 0:
        raise FileRefused("文件是空的（0 字节）：请确认上传的是正确的文件。")
    if size > cap * 1024 * 1024:
        raise FileRefused(
            f"文件太大（{size / 1024 / 1024:.1f} MB，上限 {cap:.0f} MB）：请按年度或部门拆分成几个文件再上传。"
        )
    with open(path, "rb") as f:
        head = f.read(4096)
    digest = sha256_of(path)
    try:
        return _identify(path, head, size, digest)
    except FileRefused as refused:
        refused.sha256 = digest
        raise


def _identify(path: Path, head: bytes, size: int, digest: str) -> FileInfo:
    for magic, what in NOT_SPREADSHEET_MAGIC.items():
        if head.lstrip()[: len(magic)].lower() == magic.lower():
            raise FileRefused(f"这是{what}，不是电子表格：请上传 Excel（.xlsx/.xls）或 CSV 文件。")
    if head.startswith(ZIP_MAGIC):
        kind, tails = _zip_kind(path)
        return FileInfo(kind, size, digest, merge_tails=tails)
    if head.startswith(OLE_MAGIC):
        return FileInfo(_ole_kind(path), size, digest)
    if head[:2] in BIFF_OLD_MAGIC:
        return FileInfo("xls_old", size, digest)
    if is_punch_log(head):
        return FileInfo("punch_log", size, digest, _text_encoding(path, head) or "utf-8")
    encoding = _text_encoding(path, head)
    if encoding is None:
        raise FileRefused("这不是电子表格文件（既不是 Excel 也不是 CSV 文本）：请上传 .xlsx、.xls 或 .csv 文件。")
    return FileInfo("csv", size, digest, encoding)


# a ZKTeco-style attlog line: PIN, optionally a name, the punch time, then small codes (verify, in/out …)
_PUNCH_LINE = re.compile(
    rb"^\s*[^\t]{1,32}\t(?:[^\t]{0,64}\t)?\d{4}-\d{2}-\d{2} (\d{2}:\d{2}(?::\d{2})?)(?:\t[^\t]{0,32}){0,8}\s*$"
)


def is_punch_log(head: bytes) -> bool:
    """The first lines are time-clock punches (see :data:`_PUNCH_LINE`): at least three, and nine in ten."""
    lines = [line for line in head.split(b"\n")[:-1][:40] if line.strip()]  # the last piece may be cut
    hits = [m for line in lines if (m := _PUNCH_LINE.match(line))]
    clocked = sum(1 for m in hits if m.group(1) not in (b"00:00", b"00:00:00"))  # not dates stored as midnight
    return len(hits) >= 3 and len(hits) * 10 >= len(lines) * 9 and clocked * 2 >= len(hits)


def _zip_kind(path: Path) -> tuple[str, dict[str, bytes]]:
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except zipfile.BadZipFile as err:
        raise FileRefused("文件已损坏（压缩结构无法读取）：请从原系统重新导出或另存一份再上传。") from err
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    worst = max((i.file_size / max(i.compress_size, 1) for i in infos if i.file_size > 1 << 20), default=0.0)
    if total > MAX_UNZIPPED_BYTES or worst > MAX_ZIP_RATIO or (total > 1 << 26 and total / packed > MAX_ZIP_RATIO):
        raise FileRefused(
            f"文件解压后异常巨大（压缩比 {max(worst, total / packed):.0f} 倍），疑似“压缩炸弹”，为保护系统未读取："
            "请确认文件来源，或从原系统重新导出。"
        )
    names = {i.filename for i in infos}
    kind = None
    if "xl/workbook.xml" in names:
        kind = "xlsx"
    elif "xl/workbook.bin" in names:
        kind = "xlsb"
    elif "content.xml" in names and "mimetype" in names:
        kind = "ods"
    if kind is not None:
        return kind, _verify_members(path, infos)
    if any(n.startswith("xl/") for n in names):
        raise FileRefused(
            "这个 Excel 文件没有工作簿结构（可能是 Strict OOXML 或已损坏）：请在 Excel 中另存为普通 .xlsx。"
        )
    if "word/document.xml" in names:
        raise FileRefused("这是 Word 文档，不是电子表格：请上传 Excel（.xlsx/.xls）或 CSV 文件。")
    raise FileRefused("这是一个压缩包，不是电子表格：请解压后上传其中的 Excel 或 CSV 文件。")


def _verify_members(path: Path, infos: list[zipfile.ZipInfo]) -> dict[str, bytes]:
    """Inflate every member once, never past the size its directory declares, and check its CRC:
    a bomb whose directory lies about sizes fails here instead of inflating inside the parser.
    Keeps each worksheet's XML from '<mergeCells' on, so merged ranges need no second pass."""
    tails: dict[str, bytes] = {}
    try:
        with zipfile.ZipFile(path) as z:
            for info in infos:
                if info.is_dir():
                    continue
                # deflate cannot make data much bigger: a member larger packed than unpacked lies
                if info.compress_type == zipfile.ZIP_DEFLATED and info.compress_size > info.file_size * 1.01 + 1024:
                    raise FileRefused(
                        "文件的压缩目录与内容不符（声明的大小是伪造的），疑似“压缩炸弹”，为保护系统未读取：请确认文件来源。"
                    )
                is_sheet = info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")
                keep: bytearray | None = None
                prev = b""
                with z.open(info) as member:  # stops at the declared size; raises on a CRC mismatch
                    while chunk := member.read(1 << 20):
                        if not is_sheet:
                            continue
                        if keep is None:
                            window = prev[-16:] + chunk
                            if (at := _merge_cells_at(window)) >= 0:
                                keep = bytearray(window[at:])
                            prev = chunk
                        else:
                            keep += chunk
                if keep is not None:
                    tails[info.filename] = bytes(keep)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as err:
        raise FileRefused(
            "文件内容已损坏或被篡改（解压校验失败）：请从原系统重新导出，或在 Excel 中另存一份再上传。"
        ) from err
    return tails


def _merge_cells_at(xml: bytes) -> int:
    """Where the first ``<mergeCells`` (or ``<x:mergeCells``) tag starts in ``xml`` — at its '<' or at
    the ':' of its prefix — else -1. One scan for the name, not one per spelling: each scan of a
    sheet's XML costs about a tenth of inflating it."""
    at = xml.find(b"mergeCells")
    while at == 0 or (at > 0 and xml[at - 1] not in b"<:"):
        at = xml.find(b"mergeCells", at + 1)
    return at - 1 if at > 0 else -1


def _ole_kind(path: Path) -> str:
    with open(path, "rb") as f:
        data = f.read(min(path.stat().st_size, 8 << 20))
    # Directory entry names are UTF-16LE: an encrypted OOXML package or a Word file is not a workbook.
    if "EncryptedPackage".encode("utf-16-le") in data or "EncryptionInfo".encode("utf-16-le") in data:
        raise FileRefused("文件设有打开密码（已加密），系统无法读取：请在 Excel 中取消密码后另存，再上传。")
    if "WordDocument".encode("utf-16-le") in data:
        raise FileRefused("这是 Word 文档，不是电子表格：请上传 Excel（.xlsx/.xls）或 CSV 文件。")
    lowered = data.lower()
    if "workbook".encode("utf-16-le") not in lowered and "book\x00".encode("utf-16-le") in lowered:
        return "xls_old"  # Excel 5.0/95 (BIFF5/7): a 'Book' stream, text in the file's code page
    return "xls"


def _text_encoding(path: Path, head: bytes) -> str | None:
    """utf-8 / utf-8-sig / gb18030 when the file is text, else None."""
    if b"\x00" in head:
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            return "utf-16"
        return None
    with open(path, "rb") as f:
        sample = f.read(1 << 20)
    # UTF-8 first, then GB18030 (a superset of GBK, what Chinese Excel saves), then Windows-1252
    # (English Excel's CSV); control characters in the result mean it was not text after all
    for enc in ("utf-8-sig" if sample.startswith(b"\xef\xbb\xbf") else "utf-8", "gb18030", "cp1252"):
        try:
            text = sample.decode(enc)
        except UnicodeDecodeError as err:
            # A multi-byte character cut at the sample's end is not an error.
            if len(sample) == 1 << 20 and err.start >= len(sample) - 4:
                text = sample[: err.start].decode(enc)
            else:
                continue
        control = sum(1 for ch in text[:4096] if ord(ch) < 32 and ch not in "\r\n\t")
        return enc if control == 0 else None
    return None
