"""Before parsing: size cap, type by content (not by name), decompression bombs, encodings.

Every refused file must come back as status 'refused' with a Chinese reason, leave exactly one
'refused' line in the import history and nothing else in the database.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
import time
import tracemalloc
import zipfile
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

import pipelines.sniff as sniff
from core.db import Database, open_database
from pipelines import import_file
from pipelines.sniff import FileRefused, inspect_file
from tests import builders as b

ROOT = Path(__file__).resolve().parents[1]
CORPUS = b.CORPUS_DIR
HAN = b.HAN
DATA_TABLES = b.DATA_TABLES


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(tmp_path / "sniff.duckdb")
    yield database
    database.close()


def counts(db: Database) -> dict[str, int]:
    return b.table_counts(db)


def assert_refused_cleanly(db: Database, path: Path, *reason_words: str) -> str:
    """Import ``path``: refused, Chinese reason holding ``reason_words``, only a 'refused' batch row."""
    report = import_file(db, path, uploaded_by="tester")
    assert report.status == "refused", report.to_dict()
    assert HAN.search(report.message), report.message
    for word in reason_words:
        assert word in report.message, (word, report.message)
    assert report.rows_loaded == 0 and report.rows_read == 0
    assert {t: n for t, n in counts(db).items() if t != "import_batches"} == dict.fromkeys(DATA_TABLES, 0)
    batches = db.rows("SELECT status, file_name, message, uploaded_by FROM import_batches")
    assert batches == [
        {"status": "refused", "file_name": path.name, "message": report.message, "uploaded_by": "tester"}
    ]
    return report.message


def legacy_rows() -> list[list[b.Value]]:
    return b.simple_legacy_rows({"00101": 91, "00102": 78.5, "00103": 66})


# ---- empty and not-a-spreadsheet ------------------------------------------------------------------


def test_empty_file_is_refused(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "空文件.xlsx"
    path.write_bytes(b"")
    assert_refused_cleanly(db, path, "空")


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("截图.png", b.PNG_BYTES),
        ("截图.xlsx", b.PNG_BYTES),  # a picture renamed to .xlsx
        ("制度.pdf", b.PDF_BYTES),
        ("制度.xls", b.PDF_BYTES),
        ("照片.csv", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"),
    ],
)
def test_binary_that_is_not_a_spreadsheet_is_refused_by_content(
    db: Database, tmp_path: Path, name: str, data: bytes
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    assert_refused_cleanly(db, path, "不是电子表格")


def test_text_only_pdf_is_refused_as_not_a_spreadsheet(db: Database, tmp_path: Path) -> None:
    """A PDF with no binary byte would pass for CSV text: it must be known by its %PDF- magic."""
    path = tmp_path / "说明.xlsx"
    path.write_bytes(b.PDF_TEXT_ONLY_BYTES)
    assert_refused_cleanly(db, path, "PDF", "不是电子表格")


def test_html_table_saved_as_xls_is_refused_as_a_web_page(db: Database, tmp_path: Path) -> None:
    """Web systems 'export to Excel' as an HTML table named .xls."""
    path = tmp_path / "系统导出.xls"
    path.write_text(
        "<html><body><table><tr><td>工号</td><td>姓名</td><td>考核期间</td><td>得分</td></tr>"
        "<tr><td>00101</td><td>测试甲</td><td>2024Q1</td><td>90</td></tr></table></body></html>",
        encoding="utf-8",
    )
    assert_refused_cleanly(db, path, "网页", "不是电子表格")


def test_word_document_zip_is_refused_as_word(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "考核办法.xlsx"  # a .docx renamed
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        z.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships/>')
        z.writestr("word/document.xml", '<?xml version="1.0"?><w:document><w:body>考核办法</w:body></w:document>')
    assert inspect_file_refusal(path)
    assert_refused_cleanly(db, path, "Word")


def test_plain_zip_of_csvs_is_refused_as_an_archive(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "绩效.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("2024Q1.csv", "工号,姓名,考核期间,得分\n00101,测试甲,2024Q1,90\n")
        z.writestr("2024Q2.csv", "工号,姓名,考核期间,得分\n00101,测试甲,2024Q2,92\n")
    assert_refused_cleanly(db, path, "压缩包", "解压")


def test_ooxml_package_without_a_workbook_part_is_refused(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "strict.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        z.writestr("xl/styles.xml", '<?xml version="1.0"?><styleSheet/>')
        z.writestr("xl/worksheets/sheet1.xml", '<?xml version="1.0"?><worksheet/>')
    assert_refused_cleanly(db, path, "工作簿")


def inspect_file_refusal(path: Path) -> str:
    with pytest.raises(FileRefused) as refused:
        inspect_file(path)
    assert HAN.search(refused.value.reason)
    return refused.value.reason


# ---- decompression bombs -------------------------------------------------------------------------

BOMB_BYTES = 1 << 30  # 1 GiB of one repeated byte: deflate packs it into about 1 MB


def _write_bomb(path: Path, *, member_bytes: int = BOMB_BYTES) -> Path:
    """A real workbook (written by xlsxwriter) whose sheet XML is swapped for ``member_bytes`` of 'A'."""
    template = b.write_xlsx(path.with_name("template.xlsx"), {"S": legacy_rows()})
    chunk = b"A" * (1 << 20)
    with zipfile.ZipFile(template) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for info in src.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                z.writestr(info.filename, src.read(info.filename))
                continue
            with z.open(info.filename, "w") as f:
                f.write(
                    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                    b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>'
                )
                for _ in range(member_bytes // len(chunk)):
                    f.write(chunk)
                f.write(b"</t></is></c></row></sheetData></worksheet>")
    return path


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An .xlsx whose one sheet inflates to 1 GiB (built once: a few seconds of deflate)."""
    return _write_bomb(tmp_path_factory.mktemp("bomb") / "季度考核.xlsx")


@pytest.mark.slow
def test_zip_bomb_is_refused_without_decompressing(db: Database, bomb: Path) -> None:
    assert bomb.stat().st_size < 8 << 20  # the file itself is small
    tracemalloc.start()
    started = time.perf_counter()
    try:
        report = import_file(db, bomb)
    finally:
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert report.status == "refused", report.to_dict()
    assert "压缩炸弹" in report.message
    # inflating 1 GiB takes seconds and a gigabyte; reading the central directory takes neither
    assert elapsed < 2.0, elapsed
    assert peak < 50 * 1024 * 1024, peak
    assert counts(db) == {**dict.fromkeys(DATA_TABLES, 0), "import_batches": 1}


def _forge_declared_size(path: Path, member: str, declared: int) -> None:
    """Rewrite the uncompressed size a zip declares for ``member`` (local header and central directory)."""
    data = bytearray(path.read_bytes())
    info = zipfile.ZipFile(path).getinfo(member)
    assert data[info.header_offset : info.header_offset + 4] == b"PK\x03\x04"
    struct.pack_into("<I", data, info.header_offset + 22, declared)
    end = data.rfind(b"PK\x05\x06")
    pos = struct.unpack_from("<I", data, end + 16)[0]
    while data[pos : pos + 4] == b"PK\x01\x02":
        n, m, k = struct.unpack_from("<HHH", data, pos + 28)
        if bytes(data[pos + 46 : pos + 46 + n]) == member.encode():
            struct.pack_into("<I", data, pos + 24, declared)
        pos += 46 + n + m + k
    path.write_bytes(bytes(data))


@pytest.mark.slow
def test_zip_bomb_with_forged_sizes_is_refused_within_bounds(tmp_path: Path, bomb: Path) -> None:
    forged = tmp_path / "forged.xlsx"
    shutil.copy(bomb, forged)
    _forge_declared_size(forged, "xl/worksheets/sheet1.xml", 4000)
    script = (
        "import sys, json\n"
        "from core.db import open_database\n"
        "from pipelines import import_file\n"
        "with open_database(sys.argv[2]) as db:\n"
        "    r = import_file(db, sys.argv[1])\n"
        "print(json.dumps({'status': r.status, 'message': r.message}, ensure_ascii=False))\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(forged), str(tmp_path / "forged.duckdb")],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    watched = psutil.Process(proc.pid)
    peak, deadline = 0, time.monotonic() + 30
    try:
        while proc.poll() is None:
            try:
                peak = max(peak, watched.memory_info().rss)
            except psutil.NoSuchProcess:
                break
            if peak > 1 << 30 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            proc.kill()
        out, _ = proc.communicate()
    assert peak <= 1 << 30, f"the import grew to {peak / 2**20:.0f} MB"
    assert proc.returncode == 0, "the import did not finish within 30 s"
    assert '"status": "refused"' in out and "压缩炸弹" in out, out


@pytest.mark.slow
def test_member_inflating_past_its_declared_size_is_refused(db: Database, tmp_path: Path) -> None:
    """A directory that understates a member's size only a little (no ratio gap to see) is still caught:
    the member is inflated no further than declared and its CRC then fails."""
    forged = b.write_xlsx(tmp_path / "forged.xlsx", {"S": legacy_rows()})
    info = zipfile.ZipFile(forged).getinfo("xl/worksheets/sheet1.xml")
    _forge_declared_size(forged, info.filename, info.file_size - 10)
    started = time.perf_counter()
    assert_refused_cleanly(db, forged, "损坏")
    assert time.perf_counter() - started < 5


# ---- encrypted, disguised, corrupt ---------------------------------------------------------------


def test_encrypted_corpus_workbook_is_refused_with_password_reason(db: Database) -> None:
    path = CORPUS / "excel_edge" / "calamine" / "pass_protected.xlsx"
    if not path.is_file():
        pytest.skip(f"the shared corpus is not present at {CORPUS}")
    assert inspect_file_refusal(path)
    assert_refused_cleanly(db, path, "密码")


def test_xls_content_under_an_xlsx_name_is_read_as_xls_and_loads(db: Database, tmp_path: Path) -> None:
    real = b.write_xls(tmp_path / "export.xls", {"2024Q1": legacy_rows()})
    disguised = tmp_path / "2024年一季度考核.xlsx"
    shutil.copy(real, disguised)
    assert inspect_file(disguised).kind == "xls"
    report = import_file(db, disguised)
    assert report.status == "loaded", report.to_dict()
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (3, 3, 0)
    got = db.rows("SELECT employee_id, final_score FROM appraisals ORDER BY employee_id")
    assert got == [
        {"employee_id": "00101", "final_score": 91.0},
        {"employee_id": "00102", "final_score": 78.5},
        {"employee_id": "00103", "final_score": 66.0},
    ]


def test_xlsx_content_under_an_xls_name_is_read_as_xlsx(db: Database, tmp_path: Path) -> None:
    path = b.write_xlsx(tmp_path / "旧系统导出.xls", {"S": legacy_rows()})
    assert inspect_file(path).kind == "xlsx"
    report = import_file(db, path)
    assert report.status == "loaded", report.to_dict()
    assert db.scalar("SELECT count(*) FROM appraisals") == 3


def test_truncated_xlsx_is_refused_and_nothing_is_written(db: Database, tmp_path: Path) -> None:
    whole = b.write_xlsx(tmp_path / "whole.xlsx", {"S": legacy_rows()}).read_bytes()
    cut = tmp_path / "下载中断.xlsx"
    cut.write_bytes(whole[: len(whole) // 2])
    assert_refused_cleanly(db, cut, "损坏")


def test_xlsx_with_corrupt_sheet_data_is_refused_not_failed(db: Database, tmp_path: Path) -> None:
    good = b.write_xlsx(tmp_path / "good.xlsx", {"S": legacy_rows()})
    data = bytearray(good.read_bytes())
    info = zipfile.ZipFile(good).getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for i in range(start + 4, start + info.compress_size - 4):
        data[i] ^= 0x5A
    bad = tmp_path / "考核.xlsx"
    bad.write_bytes(bytes(data))
    assert_refused_cleanly(db, bad, "损坏")


# ---- text encodings ------------------------------------------------------------------------------

PEOPLE = b.sample_people(4)
SCORES = [95, 88.5, 72, 60]


def _assert_loaded_with_names(db: Database, report) -> None:
    assert report.status == "loaded", report.to_dict()
    assert (report.rows_read, report.rows_loaded) == (4, 4)
    names = db.rows("SELECT employee_id, name FROM employees ORDER BY employee_id")
    assert names == [{"employee_id": p.employee_id, "name": p.name} for p in PEOPLE]
    depts = {r["name"] for r in db.rows("SELECT name FROM departments")}
    assert depts == {"生产部"}
    scores = [r["final_score"] for r in db.rows("SELECT final_score FROM appraisals ORDER BY employee_id")]
    assert scores == SCORES


def test_gbk_csv_with_chinese_headers_loads_and_names_come_back_right(db: Database, tmp_path: Path) -> None:
    path = b.write_legacy_csv(tmp_path / "考核.csv", PEOPLE, SCORES, encoding="gbk")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")  # really GBK, not UTF-8
    info = inspect_file(path)
    assert info.kind == "csv" and info.encoding in ("gbk", "gb18030", "gb2312")
    _assert_loaded_with_names(db, import_file(db, path))


def test_gbk_roster_csv_keeps_chinese_names(db: Database, tmp_path: Path) -> None:
    people = b.sample_people(6)
    report = import_file(db, b.write_roster_csv(tmp_path / "花名册.csv", people, encoding="gbk"))
    assert report.status == "loaded" and report.source == "roster", report.to_dict()
    got = db.rows(
        "SELECT e.employee_id, e.name, d.name AS dept FROM employees e JOIN departments d USING (dept_id) ORDER BY 1"
    )
    assert got == [{"employee_id": p.employee_id, "name": p.name, "dept": p.department} for p in people]


def test_utf8_bom_csv_first_header_is_recognised(db: Database, tmp_path: Path) -> None:
    path = b.write_legacy_csv(tmp_path / "考核.csv", PEOPLE, SCORES, encoding="utf-8-sig")
    assert path.read_bytes().startswith("\ufeff工号".encode())
    _assert_loaded_with_names(db, import_file(db, path))


def test_utf16_tab_separated_text_as_excel_saves_it_loads(db: Database, tmp_path: Path) -> None:
    """Excel's "Unicode 文本" export: UTF-16 with BOM, tab separated."""
    path = b.write_legacy_csv(tmp_path / "考核.txt", PEOPLE, SCORES, encoding="utf-16", delimiter="\t")
    _assert_loaded_with_names(db, import_file(db, path))


def test_semicolon_gb18030_csv_loads(db: Database, tmp_path: Path) -> None:
    path = b.write_legacy_csv(tmp_path / "考核.csv", PEOPLE, SCORES, encoding="gb18030", delimiter=";")
    _assert_loaded_with_names(db, import_file(db, path))


def test_windows_1252_csv_loads_with_its_accents(db: Database, tmp_path: Path) -> None:
    """English Excel on Windows saves 'CSV' in cp1252: neither UTF-8 nor GB18030, still a CSV."""
    path = tmp_path / "roster_en.csv"
    path.write_bytes(
        "employee_num,first_name,last_name,department\n1,José,Núñez,Sales\n2,Zoë,Brontë,Ops\n".encode("cp1252")
    )
    report = import_file(db, path)
    assert (report.status, report.source, report.rows_loaded) == ("loaded", "roster", 2), report.to_dict()
    assert db.rows("SELECT employee_id, name FROM employees ORDER BY 1") == [
        {"employee_id": "1", "name": "José Núñez"},
        {"employee_id": "2", "name": "Zoë Brontë"},
    ]


# ---- size cap --------------------------------------------------------------------------------------


def _big_csv(path: Path, megabytes: float) -> Path:
    line = "00101,测试甲,生产部,2024Q1,90," + "x" * 200 + "\n"
    reps = int(megabytes * 1024 * 1024 / len(line.encode())) + 1
    path.write_text("工号,姓名,部门,考核期间,得分,备注\n" + line * reps, encoding="utf-8")
    return path


def test_file_over_the_size_cap_is_refused_before_reading(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sniff, "MAX_FILE_MB", 1.0)
    big = _big_csv(tmp_path / "全年考核.csv", 1.5)
    read_calls: list[Path] = []
    monkeypatch.setattr(sniff, "sha256_of", lambda p: read_calls.append(p) or "0" * 64)
    message = assert_refused_cleanly(db, big, "文件太大", "1 MB")
    assert "拆分" in message
    assert read_calls == []  # refused on the size alone, before hashing or reading


def test_file_under_the_size_cap_passes_the_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sniff, "MAX_FILE_MB", 1.0)
    info = inspect_file(_big_csv(tmp_path / "small.csv", 0.5))
    assert info.kind == "csv" and info.size < 1024 * 1024


def test_size_cap_comes_from_the_environment() -> None:
    out = subprocess.run(
        [sys.executable, "-c", "import pipelines.sniff as s; print(s.MAX_FILE_MB)"],
        cwd=ROOT,
        env={**os.environ, "JIXIAO_MAX_UPLOAD_MB": "3", "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert float(out.stdout) == 3.0
