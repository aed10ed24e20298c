"""The sign-off PDF (issue 12 point 3): an appraisal of the fixture company taken through the real cycle to
签字确认 (comments, actuals from feeds and from the manager, a calibration that moved the grade), with
confirmation and objection rows written directly for the document's sake; its text read back with pypdf,
its fonts with poppler's ``pdffonts``, page 1 rendered with ``pdftoppm`` and every character checked
against the embedded font's own glyphs."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fontTools.cffLib import CFFFontSet
from fontTools.ttLib import TTFont
from PIL import Image, ImageDraw, ImageFont
from pypdf import PdfReader

from core import appraisal_edits, calibration, cycles, pdf_font, settings, signoff_record
from core.db import Database, copy_database, open_database
from core.signoff_document import render_appraisal
from tests.cycles import install_templates, own_rating
from tests.test_cycle import ACTUALS, Q4, RATINGS, _employee, dept, to_self_assessment, users, version

WORKER = "00102"
SELF_COMMENT = "本季度按计划完成产量目标，夜班期间协助新员工熟悉设备。"
MANAGER_COMMENT = "产量稳定，但不良率仍需下降；下季度重点关注首件检验。"
LONG_COMMENT = "质量意识较强，能主动发现并上报隐患。" * 60  # 1,140 characters: wraps over many lines
NOTE = "年底攻坚表现突出，但部门分布需一致"
OBJECTION = "我认为团队协作一项的评分没有考虑我带教两名新人的工作。"
REPLY = "经核实，带教工作已在工作态度一项中体现，维持原结果。"
RAISED = dt.datetime(2026, 12, 20, 9, 30)
RESOLVED = dt.datetime(2026, 12, 22, 16, 5)
EMPLOYEE_AT = dt.datetime(2026, 12, 23, 10, 15)
DEEMED_AT = dt.datetime(2026, 12, 30, 0, 0)
needs_poppler = pytest.mark.skipif(shutil.which("pdffonts") is None, reason="poppler-utils is not installed")


def to_signoff(db: Database, appraisal_ids: list[str], *, comments: bool = True) -> None:
    """The cycle's real path to 校准 with comments on every item, then the department finalised."""
    u = users(db)
    for appraisal_id in appraisal_ids:
        to_self_assessment(db, u, appraisal_id)
        me = _employee(db, appraisal_id)
        items = [
            r["kpi_id"] for r in db.rows("SELECT kpi_id FROM appraisal_items WHERE appraisal_id = ?", [appraisal_id])
        ]
        edits = own_rating(items, 90, comment=SELF_COMMENT if comments else None)
        appraisal_edits.save_self(db, me, appraisal_id, edits, version=version(db, appraisal_id))
        appraisal_edits.act(db, me, appraisal_id, "submit_self", version=version(db, appraisal_id))
        for kpi_id, value in ACTUALS.items():
            appraisal_edits.record_actual(db, u["head"], me.employee_id, kpi_id, value, as_of=dt.date(2026, 11, 1))
        ratings = {
            k: {**RATINGS.get(k, {}), **({"manager_comment": MANAGER_COMMENT} if comments else {})} for k in items
        }
        ratings["T-TEAM"] = {**ratings["T-TEAM"], "manager_comment": LONG_COMMENT} if comments else ratings["T-TEAM"]
        appraisal_edits.save_rating(db, u["head"], appraisal_id, ratings, version=version(db, appraisal_id))
        appraisal_edits.act(db, u["head"], appraisal_id, "submit_rating", version=version(db, appraisal_id))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, access_company: Path) -> tuple[Path, str]:
    """Once per module: the worker's appraisal in 签字确认, calibrated A → B with a note, the employee
    confirmed, the manager deemed confirmed, one objection upheld with a reply."""
    path = tmp_path_factory.mktemp("signoff_pdf") / "company.duckdb"
    copy_database(access_company, path)
    with open_database(path) as db:
        install_templates(db)
        u = users(db)
        report = cycles.open_cycle(db, u["hr"], **Q4, dept_ids=[dept(db, "生产部")])
        ids = [f"{report.cycle_id}:{e}" for e in ("00102", "00103", "00104")]
        to_signoff(db, ids)
        mine = ids[0]
        assert db.scalar("SELECT grade FROM appraisals WHERE appraisal_id = ?", [mine]) == "A"
        calibration.calibrate(db, u["hr"], mine, "B", NOTE, version=version(db, mine))
        calibration.finalise_department(db, u["hr"], report.cycle_id, dept(db, "生产部"), override_reason="测试")
        with db.transaction() as cur:
            settings.put_setting(cur, settings.COMPANY_KEY, "华东精密制造有限公司", "hr")
            rnd = cur.execute("SELECT signoff_round FROM appraisals WHERE appraisal_id = ?", [mine]).fetchone()[0]
            cur.execute(
                "INSERT INTO signoff_objections VALUES (?, ?, ?, 'worker', ?, ?, 'upheld', 'hr', ?, ?)",
                ["OBJ-1", mine, rnd, RAISED, OBJECTION, RESOLVED, REPLY],
            )
            cur.execute(
                "INSERT INTO signoff_confirmations VALUES (?, ?, 'employee', 'worker', ?, ?, false)",
                [mine, rnd, WORKER, EMPLOYEE_AT],
            )
            cur.execute(
                "INSERT INTO signoff_confirmations VALUES (?, ?, 'manager', 'system', NULL, ?, true)",
                [mine, rnd, DEEMED_AT],
            )
    return path, mine


@pytest.fixture
def db(tmp_path: Path, built: tuple[Path, str]) -> Iterator[Database]:
    """A private copy of the built company: a test may change it."""
    path = copy_database(built[0], tmp_path / "company.duckdb")
    with open_database(path) as database:
        yield database


@pytest.fixture
def signed_off(built: tuple[Path, str]) -> str:
    return built[1]


def pdf_of(db: Database, appraisal_id: str, lang: str = "zh-CN") -> bytes:
    with db.transaction() as cur:
        return render_appraisal(cur, appraisal_id, lang=lang)


def text_of(data: bytes) -> list[str]:
    """Each page's text as pypdf extracts it. pypdf 7.1 reads fpdf2's ToUnicode entry for code 0 (``<0000>
    <0000>``) as a one-byte code and puts a NUL before every character; poppler's pdftotext does not."""
    return [page.extract_text().replace("\x00", "") for page in PdfReader(io.BytesIO(data)).pages]


def flat(text: str) -> str:
    """Extracted text without the line breaks and spaces wrapping put in."""
    return re.sub(r"\s+", "", text)


def record_sha(db: Database, appraisal_id: str) -> str:
    with db.transaction() as cur:
        rec = signoff_record.record(cur, appraisal_id)
    assert rec is not None
    return signoff_record.sha256(rec)


# -- what the document says ------------------------------------------------------------------------------


def test_every_field_of_the_result_is_printed_in_chinese(db: Database, signed_off: str) -> None:
    pages = text_of(pdf_of(db, signed_off))
    assert len(pages) == 2  # the long comment moves on to page 2
    text = flat("".join(pages))
    items = db.rows("SELECT * FROM appraisal_items WHERE appraisal_id = ? ORDER BY seq", [signed_off])
    assert len(items) == 7
    expected = [
        "华东精密制造有限公司", "绩效考核结果确认书", "2026年第四季度考核", "2026-10-01至2026-12-31",
        "员工102（工号00102）", "装配工", "生产部", "直属主管", "员工101（工号00101）",
        # the items table: names, categories, weights, targets, actuals with their source, the three scores
        *(i["kpi_name"] for i in items), "业绩类", "职能类", "行为类",
        "1产量达成业绩类30100件110件（主管录入）90.0—110.033.0",
        "2不良率业绩类201%0.8%（主管录入）90.0—108.021.6",
        "4工作态度行为类10——90.085.085.08.5",
        f"员工自评说明：{SELF_COMMENT}", f"主管评语：{MANAGER_COMMENT}", f"主管评语：{LONG_COMMENT}",
        # the total and how it was computed, the grades and the calibration note
        "总分：101.6", "计算方法：总分=Σ（各项得分×权重）÷100", "校准前等级A", "校准后等级B", f"校准说明{NOTE}",
        # both confirmations with their time, the deemed one said so
        "员工员工102（工号00102）2026-12-2310:15", "直属主管员工101（工号00101）逾期视为确认（2026-12-3000:00）",
        # the objection and HR's reply
        f"2026-12-2009:30员工提出异议：{OBJECTION}", f"2026-12-2216:05HR（hr）维持原结果，答复：{REPLY}",
    ]  # fmt: skip
    missing = [e for e in expected if flat(e) not in text]
    assert not missing, missing
    assert db.scalar("SELECT final_score FROM appraisals WHERE appraisal_id = ?", [signed_off]) == pytest.approx(
        101.6, abs=0.05
    )
    sha = record_sha(db, signed_off)
    for n, page in enumerate(pages, start=1):
        assert f"第{n}页/共2页" in flat(page)
        assert f"记录SHA-256：{sha}" in flat(page)
        assert "华东精密制造有限公司" in page and "员工102" in page  # the running head on every page


def test_english_labels_with_the_data_as_stored(db: Database, signed_off: str) -> None:
    pages = text_of(pdf_of(db, signed_off, "en"))
    text = " ".join(pages)
    for label in ("Performance appraisal result", "Appraisal items", "Actual (source)", "Entered by the manager",
                  "Grade before calibration", "Calibration note", "Confirmations", "Deemed confirmed",
                  "Objections and their resolution", "upheld the result", "How it is computed",
                  "Performance", "Behavioural", "Page 1 of 2", "Page 2 of 2", "Record SHA-256"):  # fmt: skip
        assert flat(label) in flat(text), label
    flat_text = flat(text)
    for data in ("华东精密制造有限公司", "产量达成", "员工102", SELF_COMMENT, NOTE, OBJECTION, REPLY):
        assert flat(data) in flat_text, data
    for chinese_label in ("考核项目", "员工自评说明", "校准前等级", "逾期视为确认", "第1页"):
        assert chinese_label not in flat_text


def test_unset_company_name_has_a_default(db: Database, signed_off: str) -> None:
    with db.transaction() as cur:
        cur.execute("DELETE FROM settings WHERE key = ?", [settings.COMPANY_KEY])
    assert settings.company_name(db) == settings.DEFAULT_COMPANY_NAME == "本公司"
    assert "本公司" in text_of(pdf_of(db, signed_off))[0]


def test_peoples_text_is_printed_as_text_never_interpreted(db: Database, signed_off: str) -> None:
    tricky = "**不是粗体** {nb} <b>标签</b> __下划线__ --删除线-- =1+1"
    with db.transaction() as cur:
        cur.execute(
            "UPDATE appraisal_items SET self_comment = ? WHERE appraisal_id = ? AND kpi_id = 'T-OUT'",
            [tricky, signed_off],
        )
    assert f"员工自评说明：{tricky}" in "".join(text_of(pdf_of(db, signed_off)))


def test_the_same_record_gives_the_same_file_and_a_change_shows(db: Database, signed_off: str) -> None:
    first = pdf_of(db, signed_off)
    assert pdf_of(db, signed_off) == first
    assert PdfReader(io.BytesIO(first)).metadata.creation_date.replace(tzinfo=None) == DEEMED_AT
    with db.transaction() as cur:
        cur.execute(
            "UPDATE appraisal_items SET item_score = 99 WHERE appraisal_id = ? AND kpi_id = 'T-OUT'", [signed_off]
        )
    changed = pdf_of(db, signed_off)
    assert changed != first
    assert record_sha(db, signed_off) in flat(text_of(changed)[0])


def test_a_forty_item_appraisal_runs_over_pages_with_the_header_repeated(db: Database, signed_off: str) -> None:
    with db.transaction() as cur:
        cur.execute("UPDATE appraisal_items SET weight = 2.5 WHERE appraisal_id = ?", [signed_off])
        for n in range(8, 41):
            cur.execute(
                "INSERT INTO appraisal_items (appraisal_id, kpi_id, seq, kpi_name, item_kind, category, method, weight,"
                " manager_input, manager_score, item_score, self_score, manager_comment)"
                " VALUES (?, ?, ?, ?, 'item', '业绩类', 'manual', 2.5, 80, 80, 80, 85, ?)",
                [signed_off, f"X-{n:02d}", n, f"附加指标{n:02d}", f"第{n}项的评语"],
            )
    pages = text_of(pdf_of(db, signed_off))
    assert len(pages) >= 3
    for n, page in enumerate(pages, start=1):
        assert f"第{n}页/共{len(pages)}页" in flat(page)
    with_items = [p for p in pages if "附加指标" in p]
    assert len(with_items) >= 2
    for page in with_items:  # the table's header on every page it runs over
        assert flat("序号指标类别权重目标实际值（来源）自评上级评分得分加权得分") in flat(page)
    text = flat("".join(pages))
    assert all(text.count(f"附加指标{n:02d}") == 1 for n in range(8, 41))
    assert "计算方法：总分=Σ（各项得分×权重）÷100" in text


def test_bonus_and_deduction_rows_of_a_legacy_form_are_labelled(db: Database, signed_off: str) -> None:
    with db.transaction() as cur:
        for kind, kpi, points in (("bonus", "合理化建议", 3.0), ("deduction", "迟到", 2.0)):
            cur.execute(
                "INSERT INTO appraisal_items (appraisal_id, kpi_id, seq, kpi_name, item_kind, item_score)"
                " VALUES (?, ?, 99, ?, ?, ?)",
                [signed_off, f"L-{kind}", kpi, kind, points],
            )
    text = flat("".join(text_of(pdf_of(db, signed_off))))
    assert "合理化建议加分项" in text and "+3.0+3.0" in text
    assert "迟到扣分项" in text and "-2.0-2.0" in text
    assert "再加加分项3.0分、减扣分项2.0分" in text


# -- the font: embedded, and a glyph for every character ------------------------------------------------


def cmap_entries(data: bytes, kind: str) -> dict[int, str]:
    """The ``bfchar`` (code → hex unicode) or ``cidchar`` (code → CID) pairs of a CMap stream."""
    pairs: dict[int, str] = {}
    for block in re.findall(rf"begin{kind}\n(.*?)end{kind}", data.decode("latin-1"), re.S):
        for code, value in re.findall(r"<([0-9A-Fa-f]+)>\s+<?([0-9A-Fa-f]+)>?", block):
            pairs[int(code, 16)] = value
    return pairs


def embedded_glyphs(data: bytes) -> dict[str, str]:
    """Per character the document encodes: the name of the glyph the embedded font program draws for it
    (``cid12345``), read from the PDF's ToUnicode and encoding CMaps and the embedded CFF itself; a glyph
    name the embedded font does not contain is reported as ``missing``."""
    reader = PdfReader(io.BytesIO(data))
    fonts = {ref.idnum: ref.get_object() for p in reader.pages for ref in p["/Resources"]["/Font"].values()}
    assert len(fonts) == 1, fonts
    (font,) = fonts.values()
    to_unicode = cmap_entries(font["/ToUnicode"].get_object().get_data(), "bfchar")
    to_cid = cmap_entries(font["/Encoding"].get_object().get_data(), "cidchar")
    descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
    cff = CFFFontSet()
    cff.decompile(io.BytesIO(descriptor["/FontFile3"].get_object().get_data()), None)
    charset = set(cff[cff.fontNames[0]].charset)
    out = {}
    for code, hexchar in to_unicode.items():
        if code in to_cid and int(hexchar, 16) > 0x20:
            name = f"cid{int(to_cid[code]):05d}"
            out[chr(int(hexchar, 16))] = name if name in charset else "missing"
    return out


@needs_poppler
def test_pdffonts_shows_only_the_embedded_cjk_font(db: Database, signed_off: str, tmp_path: Path) -> None:
    path = tmp_path / "result.pdf"
    path.write_bytes(pdf_of(db, signed_off))
    lines = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout.splitlines()
    rows = [line.split() for line in lines[2:] if line.strip()]
    assert [r[0].split("+")[1] for r in rows] == ["NotoSansCJKSCRegular"]
    for row in rows:  # name, type (CID Type 0C), encoding, emb, sub, uni, object id
        assert row[-5:-2] == ["yes", "yes", "yes"], row  # embedded, subset, with a ToUnicode map
        assert "CID" in row and "0C" in row


def font_used(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Which font each document rendered from now on took: ``working`` or ``full``."""
    chosen: list[str] = []
    add_to = pdf_font.add_to

    def spy(pdf: object, points: object) -> str:
        chosen.append(add_to(pdf, points))  # type: ignore[arg-type]
        return chosen[-1]

    monkeypatch.setattr(pdf_font, "add_to", spy)
    return chosen


def test_every_character_printed_is_drawn_by_its_own_glyph_of_noto_sans_cjk(
    db: Database, signed_off: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    chosen = font_used(monkeypatch)
    data = pdf_of(db, signed_off)
    assert chosen == ["working"]  # the cached working font, not the 16 MB one (multi-line cells included)
    text = "".join(text_of(data))
    drawn = embedded_glyphs(data)
    full = TTFont(pdf_font.font_path(), lazy=True).getBestCmap()
    printed = {c for c in text if not c.isspace()}
    assert len(printed) > 150
    assert printed <= drawn.keys(), sorted(printed - drawn.keys())
    wrong = {c: drawn[c] for c in printed if drawn[c] != full[ord(c)]}  # not .notdef, not a stand-in
    assert wrong == {}


def test_a_rare_character_uses_the_full_font_and_a_glyphless_one_shows_as_a_box(
    db: Database, signed_off: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rare, emoji = "喆", "🙂"
    assert ord(rare) not in pdf_font.repertoire() and ord(rare) in pdf_font.printable_points()
    with db.transaction() as cur:
        cur.execute("UPDATE employees SET name = ? WHERE employee_id = ?", [f"李{rare}", WORKER])
        cur.execute(
            "UPDATE appraisal_items SET manager_comment = ? WHERE appraisal_id = ? AND kpi_id = 'T-OUT'",
            [f"继续保持{emoji}", signed_off],
        )
    chosen = font_used(monkeypatch)
    data = pdf_of(db, signed_off)
    assert chosen == ["full"]
    text = flat("".join(text_of(data)))
    assert f"李{rare}（工号00102）" in text and "继续保持□" in text and emoji not in text
    drawn = embedded_glyphs(data)
    assert drawn[rare] == TTFont(pdf_font.font_path(), lazy=True).getBestCmap()[ord(rare)]


def ink_bands(image: np.ndarray) -> list[tuple[int, int]]:
    """The row ranges of a page image that hold ink, top to bottom."""
    rows = (image < 128).any(axis=1)
    edges = np.flatnonzero(np.diff(np.concatenate(([0], rows.astype(np.int8), [0]))))
    return list(zip(edges[::2], edges[1::2], strict=True))


@needs_poppler
def test_page_one_renders_and_matches_the_same_text_set_by_pillow(
    db: Database, signed_off: str, tmp_path: Path
) -> None:
    """pdftoppm renders page 1 with ink on it; its title line (the company, 15 pt) has the width and the
    ink of the same text rendered by Pillow from the font file: a missing glyph (a blank or a .notdef box)
    would change both."""
    path = tmp_path / "result.pdf"
    path.write_bytes(pdf_of(db, signed_off))
    dpi = 150
    subprocess.run(["pdftoppm", "-r", str(dpi), "-f", "1", "-l", "1", "-gray", "-png", str(path), str(tmp_path / "p")],
                   check=True, capture_output=True)  # fmt: skip
    page = np.array(Image.open(next(tmp_path.glob("p*.png"))).convert("L"))
    assert 0.01 < (page < 128).mean() < 0.3  # not blank, not a black page
    bands = ink_bands(page)
    title = page[slice(*bands[2])] < 128  # the running head, its rule, then the company's name
    columns = np.flatnonzero(title.any(axis=0))
    font = ImageFont.truetype(str(pdf_font.font_path()), size=15 * dpi / 72)
    canvas = Image.new("L", (page.shape[1], 200), 255)
    ImageDraw.Draw(canvas).text((20, 20), "华东精密制造有限公司", font=font, fill=0)
    reference = np.array(canvas) < 128
    ref_columns = np.flatnonzero(reference.any(axis=0))
    assert columns[-1] - columns[0] == pytest.approx(ref_columns[-1] - ref_columns[0], rel=0.03)
    assert title.sum() == pytest.approx(reference.sum(), rel=0.1)
    assert abs((columns[0] + columns[-1]) / 2 - page.shape[1] / 2) < 10  # centred


def test_the_working_font_is_built_once_kept_by_the_fonts_hash_and_survives_an_unwritable_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    builds: list[int] = []
    real_build = pdf_font.build_working_font

    def counted(source: Path, points: object) -> bytes:
        builds.append(1)
        return real_build(source, points)  # type: ignore[arg-type]

    monkeypatch.setattr(pdf_font, "build_working_font", counted)
    monkeypatch.setattr(pdf_font, "repertoire", lambda: frozenset(range(0x20, 0x7F)) | {ord("绩")})  # quick to build
    monkeypatch.setenv("JIXIAO_FONT_CACHE", str(tmp_path / "fonts"))
    first = pdf_font.working_font()
    (cached,) = (tmp_path / "fonts").iterdir()
    digest = hashlib.sha256(pdf_font.font_path().read_bytes()).hexdigest()
    assert digest[:20] in cached.name and cached.read_bytes() == first
    assert pdf_font.working_font() == first and len(builds) == 1  # read back, not rebuilt
    cmap = TTFont(io.BytesIO(first)).getBestCmap()
    assert set(cmap) == set(range(0x20, 0x7F)) | {ord("绩")}
    assert cmap[ord("绩")] == TTFont(pdf_font.font_path(), lazy=True).getBestCmap()[ord("绩")]  # the same glyph
    (tmp_path / "blocked").write_text("a file where the folder should be")
    monkeypatch.setenv("JIXIAO_FONT_CACHE", str(tmp_path / "blocked" / "fonts"))
    assert pdf_font.working_font() == first and len(builds) == 2  # built in memory, nothing written
