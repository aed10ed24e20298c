"""The sign-off PDF's font: Noto Sans CJK SC (SIL Open Font License 1.1), shipped inside the pinned
``mplfonts`` wheel and embedded, subset, in every document — no font of the host or the viewer is used.

**Why a cache.** The full font is a 16 MB OTF of 65,000 glyphs: fpdf2 parses it in ``add_font`` (0.22 s)
and subsets it again in ``output`` (0.21 s) for every document, 0.45 s a PDF. Two things make it fast:

* a **working font**: the full font cut down once to the common repertoire (:func:`repertoire`: ASCII,
  Latin-1, punctuation and GB 2312's 7,445 characters, 8,000 glyphs, subroutines expanded so that the
  per-document subset has no subroutine analysis to do), written to a cache folder under a name that
  holds the full font's SHA-256, the repertoire's version and fontTools' version, so a different font
  or tool never reads a stale file. It takes ~7 s once per machine (``JIXIAO_FONT_CACHE``, default
  ``~/.cache/jixiao/fonts``; if that folder cannot be written the font is built in memory, once per
  process);
* a **prototype** per process of fpdf2's parsed font (metrics, cmap, widths): each document gets a copy
  sharing what is read-only and a fresh fontTools handle for the subset it embeds.

A document whose text holds a character outside the working font (a rare character of a name) uses the
full font instead, the same way: slower, never wrong. Measured on the 2-core build machine (CPU time,
the machine shared): the font's part of a document (fresh handle, subset, embed) fell from ~0.45 s to
~0.07 s; a whole 7-item result with comments renders in ~0.10–0.17 s, of which fpdf2's table layout is
~0.065 s and the per-document subset ~0.07 s (fontTools decompiles and recompiles each glyph used).
"""

from __future__ import annotations

import copy
import hashlib
import importlib.util
import io
import os
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import fontTools
from fontTools import subset as ftsubset
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont

FAMILY = "notosanscjksc"
FONT_FILE = "fonts/NotoSansCJKsc-Regular.otf"
#: bump when :func:`repertoire` changes: the cache file's name holds it
REPERTOIRE_VERSION = 1
CACHE_ENV = "JIXIAO_FONT_CACHE"

_lock = threading.Lock()
_prototypes: dict[str, _Prototype] = {}
_full_cmap: list[frozenset[int]] = []


def font_path() -> Path:
    """The full Noto Sans CJK SC file inside the installed mplfonts package (found, never imported:
    importing it pulls matplotlib)."""
    spec = importlib.util.find_spec("mplfonts")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("mplfonts is not installed: pip install -r requirements.txt")
    return Path(next(iter(spec.submodule_search_locations))) / FONT_FILE


def cache_dir() -> Path:
    """Where the working font is kept: ``JIXIAO_FONT_CACHE``, else ``$XDG_CACHE_HOME/jixiao/fonts``."""
    chosen = os.environ.get("JIXIAO_FONT_CACHE")
    if chosen:
        return Path(chosen)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "jixiao" / "fonts"


def repertoire() -> frozenset[int]:
    """The code points of the working font: printable ASCII and Latin-1, Latin Extended-A, general
    punctuation, letter-like symbols, arrows, mathematical operators (× ÷ − ≥ Σ), CJK symbols and
    punctuation, full-width forms, and every character of GB 2312 (its 6,763 hanzi and 682 symbols)."""
    blocks = [(0x20, 0x7E), (0xA0, 0x17F), (0x2000, 0x206F), (0x2100, 0x21FF), (0x2200, 0x22FF),
              (0x2460, 0x24FF), (0x25A0, 0x25FF), (0x3000, 0x303F), (0xFF00, 0xFFEF)]  # fmt: skip
    points = {c for low, high in blocks for c in range(low, high + 1)}
    for lead in range(0xA1, 0xF8):
        for trail in range(0xA1, 0xFF):
            try:
                points.update(map(ord, bytes((lead, trail)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return frozenset(points)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def build_working_font(source: Path, points: Iterable[int]) -> bytes:
    """The OTF of ``source`` cut down to ``points`` (layout tables and vertical metrics dropped,
    subroutines expanded, names and the .notdef outline kept)."""
    font = TTFont(source, recalcTimestamp=False)
    options = ftsubset.Options(
        notdef_outline=True, recommended_glyphs=True, desubroutinize=True, layout_features=[], name_IDs=["*"],
        name_languages=["*"],
    )  # fmt: skip
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "BASE", "VORG", "vhea", "vmtx"]
    subsetter = ftsubset.Subsetter(options)
    subsetter.populate(unicodes=points)
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def working_font() -> bytes:
    """The working font's bytes, from the cache folder, or built now (and kept there when it can be)."""
    source = font_path()
    name = f"NotoSansCJKsc-Regular.{_sha256(source)[:20]}.r{REPERTOIRE_VERSION}.ft{fontTools.version}.otf"
    cached = cache_dir() / name
    try:
        return cached.read_bytes()
    except OSError:
        pass
    data = build_working_font(source, repertoire())
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=cached.parent, prefix=".font-", delete=False) as tmp:
            tmp.write(data)
        os.replace(tmp.name, cached)  # atomic: a reader sees the whole file or none
    except OSError:
        pass  # an unwritable cache: this process keeps its copy in memory
    return data


@dataclass(frozen=True)
class _Prototype:
    """fpdf2's parse of one font file, done once per process."""

    font: TTFFont
    data: bytes | None  # the file's bytes (the working font), or None to read ``font.ttffile`` lazily

    def handle(self) -> TTFont:
        source = io.BytesIO(self.data) if self.data is not None else self.font.ttffile
        # no bounding-box recalculation: the subset keeps the font's own boxes (the PDF's descriptor uses them)
        return TTFont(source, recalcTimestamp=False, recalcBBoxes=False, lazy=True)


def _prototype(kind: str) -> _Prototype:
    with _lock:
        found = _prototypes.get(kind)
        if found is None:
            data = working_font() if kind == "working" else None
            found = _prototypes[kind] = _Prototype(_parse(io.BytesIO(data) if data else font_path()), data)
        return found


def _parse(source: io.BytesIO | Path) -> TTFFont:
    """fpdf2's parse of ``source`` (a path, or the bytes of a file: fontTools opens either)."""
    return TTFFont(FPDF(), source, FAMILY, "")  # type: ignore[arg-type]


def printable_points() -> frozenset[int]:
    """Every code point the full font has a glyph for (read once per process from its cmap alone)."""
    with _lock:
        if not _full_cmap:
            font = TTFont(font_path(), lazy=True)
            try:
                _full_cmap.append(frozenset(font.getBestCmap()))
            finally:
                font.close()
        return _full_cmap[0]


def covers(text_points: Iterable[int]) -> bool:
    """Whether the working font has every one of the code points."""
    cmap = _prototype("working").font.cmap
    return all(c in cmap for c in text_points)


def add_to(pdf: FPDF, text_points: Iterable[int]) -> str:
    """Make the font :data:`FAMILY` available in ``pdf``: the working font when it covers every code point
    the document prints, else the full font. Equivalent to ``pdf.add_font`` on the file, without parsing it.
    Returns which: ``working`` or ``full``."""
    kind = "working" if covers(set(text_points)) else "full"
    proto = _prototype(kind)
    font = TTFFont.__new__(TTFFont)
    for slot in TTFFont.__slots__:
        if hasattr(proto.font, slot):
            setattr(font, slot, getattr(proto.font, slot))
    # what fpdf2 writes to while it lays out and outputs a document is the document's own
    font.i = len(pdf.fonts) + 1
    font.ttfont = proto.handle()
    font.desc = copy.copy(proto.font.desc)
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font.subset = SubsetMap(font)
    pdf.fonts[FAMILY] = font
    pdf._set_min_pdf_version("1.6")  # a CID-keyed CFF font, as add_font sets it
    return kind
