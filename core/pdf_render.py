"""The layout of the sign-off PDF (fpdf2): A4 portrait, the embedded Noto Sans CJK SC of
:mod:`core.pdf_font`, labels from :data:`core.messages.MESSAGES` (``pdf.*``) in Chinese or English.

Page 1 opens with the company, the title and who and what the document is about; then the items table
(its header repeated on every page it runs over, each comment a full-width row of its own that wraps),
the total and how it was computed, the grade before and after calibration with the note, both
confirmations and every objection with its resolution. Every page has a header naming the person and
the cycle and a footer with the record's SHA-256 and 「第 x 页 / 共 y 页」.

People's text (names, comments, reasons, replies) is written as plain text: no markdown, and the
page-count alias is switched on only while the footer writes it, so a comment holding ``{nb}`` prints
``{nb}``. A character no glyph of the font can show is printed as 「□」 rather than lost silently.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Iterator
from typing import Any

from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos
from fpdf.fonts import FontFace

from core import errors, pdf_font

MARGIN = 15.0  # mm, every side
WIDTH = 210.0 - 2 * MARGIN
#: the items table: No., KPI, category, weight, target, actual (source), self, manager, score, weighted (mm)
ITEM_WIDTHS = {"zh-CN": (8, 40, 16, 12, 20, 28, 13, 14, 13, 16), "en": (8, 36, 21, 12, 18, 28, 12, 14, 13, 18)}
INFO_WIDTHS = (22, 68, 22, 68)
MISSING = "□"  # what a character without a glyph prints as
DASH = "—"
INK = (33, 37, 41)
GREY = (108, 117, 125)
LABEL_FILL = (241, 243, 245)
HEAD_FILL = (222, 230, 240)
COMMENT_FILL = (250, 250, 250)


def _number(value: float | None) -> str:
    """A measured number as people write it: thousands separators, at most four decimals, no trailing zeros."""
    if value is None:
        return DASH
    text = f"{value:,.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _score(value: float | None, *, signed: bool = False) -> str:
    if value is None:
        return DASH
    return f"{value:+.1f}" if signed else f"{value:.1f}"


def _when(value: dt.datetime | dt.date | str | None) -> str:
    if value is None:
        return DASH
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.strftime("%Y-%m-%d %H:%M") if isinstance(value, dt.datetime) else value.isoformat()


def _with_unit(value: str, unit: str | None) -> str:
    if value == DASH or not unit:
        return value
    return f"{value}{unit}" if unit in ("%", "‰", "％") else f"{value} {unit}"


class _Texts:
    """The document's labels in one language."""

    def __init__(self, lang: str) -> None:
        self.lang = "en" if lang == "en" else "zh-CN"

    def __call__(self, code: str, **params: Any) -> str:
        return errors.render(code, params, self.lang)

    def label(self, table: str, code: object) -> str:
        return DASH if code is None else errors.label(table, code, self.lang)


# -- what the document prints, as rows of text -------------------------------------------------------


def info_rows(doc: dict[str, Any], t: _Texts) -> list[tuple[str, str, str, str]]:
    """The header grid: (label, value, label, value) rows."""
    period = t("pdf.period_range", start=_when(doc["period_start"]), end=_when(doc["period_end"]))
    employee = t("pdf.person", name=doc["employee"] or DASH, id=doc["employee_id"])
    manager = t("pdf.person", name=doc["manager"] or DASH, id=doc["manager_id"]) if doc["manager_id"] else DASH
    return [
        (t("pdf.cycle"), doc["cycle"] or DASH, t("pdf.period"), period),
        (t("pdf.employee"), employee, t("pdf.position"), doc["position"] or DASH),
        (t("pdf.department"), doc["department"] or DASH, t("pdf.manager"), manager),
    ]


def item_header(t: _Texts) -> list[str]:
    codes = ("pdf.col_no", "pdf.col_kpi", "pdf.col_category", "pdf.col_weight", "pdf.col_target", "pdf.col_actual",
             "pdf.col_self", "pdf.col_manager", "pdf.col_score", "pdf.col_weighted")  # fmt: skip
    return [t(c) for c in codes]


def item_rows(items: list[dict[str, Any]], t: _Texts) -> Iterator[tuple[list[str], list[str]]]:
    """Per item: its cells and its comments (each a full-width row below it)."""
    for n, item in enumerate(items, start=1):
        kind = item.get("item_kind") or "item"
        target = item["target_as_written"] or _with_unit(_number(item["target_value"]), item["unit"])
        if item["actual_value"] is not None:
            actual = _with_unit(_number(item["actual_value"]), item["unit"])
        else:
            actual = item["actual_as_written"] or DASH
        if item["actual_source"] and actual != DASH:
            actual = (
                f"{actual}\n（{t.label('source', item['actual_source'])}）"
                if t.lang != "en"
                else (f"{actual}\n({t.label('source', item['actual_source'])})")
            )
        if kind == "item":
            category = t.label("category", item["category"]) if item["category"] else DASH
            weight = DASH if item["weight"] is None else f"{item['weight']:g}"
            weighted = None
            if item["item_score"] is not None and item["weight"] is not None:
                weighted = item["item_score"] * item["weight"] / 100
            cells = [str(n), item["kpi_name"], category, weight, target, actual, _score(item["self_score"]),
                     _score(item["manager_score"]), _score(item["item_score"]), _score(weighted)]  # fmt: skip
        else:
            points = item["item_score"]
            signed = None if points is None else (abs(points) if kind == "bonus" else -abs(points))
            kind_label = t("pdf.kind_bonus") if kind == "bonus" else t("pdf.kind_deduction")
            cells = [str(n), item["kpi_name"], kind_label, DASH, target, actual, _score(item["self_score"]),
                     _score(item["manager_score"]), _score(signed, signed=True), _score(signed, signed=True)]  # fmt: skip
        comments = []
        if item["self_comment"]:
            comments.append(t("pdf.self_comment", text=item["self_comment"]))
        if item["manager_comment"]:
            comments.append(t("pdf.manager_comment", text=item["manager_comment"]))
        yield cells, comments


def total_lines(doc: dict[str, Any], t: _Texts) -> list[str]:
    """The total and how it was computed (core.scoring.total_score: Σ score × weight ÷ the weights' sum,
    100; a legacy form's bonus rows add their points and deduction rows take them)."""
    rec = doc["record"]
    weighted = [i for i in doc["items"] if (i.get("item_kind") or "item") == "item"]
    weight_sum = math.fsum(i["weight"] or 0.0 for i in weighted)
    lines = [t("pdf.total", total=_score(rec["final_score"]))]
    how = t("pdf.formula", weights=f"{weight_sum:g}")
    bonus = math.fsum(abs(i["item_score"] or 0.0) for i in doc["items"] if i.get("item_kind") == "bonus")
    deduction = math.fsum(abs(i["item_score"] or 0.0) for i in doc["items"] if i.get("item_kind") == "deduction")
    if bonus or deduction:
        how += t("pdf.formula_extras", bonus=_score(bonus), deduction=_score(deduction))
    lines.append(how)
    if rec.get("score_basis"):
        lines.append(_annual_line(json.loads(rec["score_basis"]), rec, t))
    return lines


def _annual_line(basis: dict[str, Any], rec: dict[str, Any], t: _Texts) -> str:
    """An annual result's mix of the year's quarters and its own review (core.scoring.annual_mix)."""
    review = t("pdf.annual_review")
    parts = [
        t("pdf.annual_part", part=review if p["part"] == "年度评议" else p["part"], score=_score(p["score"]),
          weight=f"{p['weight']:g}")
        for p in basis.get("parts", []) if p["weight"] and p["score"] is not None
    ]  # fmt: skip
    line = t("pdf.annual", parts=parts, review=_score(rec.get("review_score")))
    missing = [review if m == "年度评议" else m for m in basis.get("missing", [])]
    if missing:
        line += t("pdf.annual_missing", missing=missing)
    return line


def grade_rows(doc: dict[str, Any], t: _Texts) -> list[tuple[str, str]]:
    rec = doc["record"]
    before = rec["grade"] or DASH
    after = rec["calibrated_grade"]
    moved = after is not None and after.strip().upper() != before.strip().upper()
    return [
        (t("pdf.grade_before"), before),
        (t("pdf.grade_after"), after if moved else t("pdf.grade_unchanged", grade=after or before)),
        (t("pdf.calibration_note"), rec["calibration_note"] or t("pdf.none")),
    ]


def confirmation_rows(doc: dict[str, Any], t: _Texts) -> list[tuple[str, str, str]]:
    """(party, who, when) for the employee and the manager; a deemed confirmation says so."""
    rows = []
    for party, code, default_name, default_id in (
        ("employee", "pdf.party_employee", doc["employee"], doc["employee_id"]),
        ("manager", "pdf.party_manager", doc["manager"], doc["manager_id"]),
    ):
        found = doc["confirmations"].get(party)
        if found is None:
            rows.append((t(code), DASH, t("pdf.not_confirmed")))
            continue
        person_id = found["employee_id"] or default_id
        name = found["name"] or (default_name if not found["employee_id"] else None) or DASH
        who = t("pdf.person", name=name, id=person_id) if person_id else name
        when = t("pdf.deemed", at=_when(found["at"])) if found["deemed"] else _when(found["at"])
        rows.append((t(code), who, when))
    return rows


def objection_lines(doc: dict[str, Any], t: _Texts) -> list[list[str]]:
    """Per objection: what was raised and what became of it."""
    out = []
    for o in doc["objections"]:
        if (o["round"] or 0) > 1:  # a later round: say which
            lines = [t("pdf.objection_raised_round", at=_when(o["raised_at"]), round=o["round"], reason=o["reason"])]
        else:
            lines = [t("pdf.objection_raised", at=_when(o["raised_at"]), reason=o["reason"])]
        by = o["resolver"] or o["resolved_by"] or DASH
        if o["status"] == "upheld":
            lines.append(t("pdf.objection_upheld", at=_when(o["resolved_at"]), by=by, reply=o["reply"] or DASH))
        elif o["status"] == "returned":
            lines.append(t("pdf.objection_returned", at=_when(o["resolved_at"]), by=by, reply=o["reply"] or DASH))
        else:
            lines.append(t("pdf.objection_open"))
        out.append(lines)
    return out


# -- drawing -----------------------------------------------------------------------------------------


def _printable(text: str, shown: frozenset[int]) -> str:
    """``text`` as the font can print it: tabs as spaces, other control characters dropped, a character
    without a glyph as 「□」."""
    out = []
    for ch in text.replace("\r\n", "\n").replace("\t", " "):
        code = ord(ch)
        if ch == "\n" or code in shown:
            out.append(ch)
        elif code >= 0x20 and not 0x7F <= code < 0xA0:
            out.append(MISSING)
    return "".join(out)


def _clean(value: Any, shown: frozenset[int]) -> Any:
    """Every string inside ``value`` (lists, tuples, dicts of them) made printable."""
    if isinstance(value, str):
        return _printable(value, shown)
    if isinstance(value, list | tuple):
        return type(value)(_clean(v, shown) for v in value)
    if isinstance(value, dict):
        return {k: _clean(v, shown) for k, v in value.items()}
    return value


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)


class _Document(FPDF):
    """An A4 page with the document's running header and footer."""

    def __init__(self, running_head: str, footer_sha: str, t: _Texts) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.running_head, self.footer_sha, self.t = running_head, footer_sha, t
        self.alias_nb_pages(None)  # on only inside footer(): people's text is never a page-count alias
        self.set_margins(MARGIN, MARGIN + 5, MARGIN)
        self.set_auto_page_break(True, margin=MARGIN + 3)

    def header(self) -> None:
        self.alias_nb_pages(None)  # the footer before this page left it on (see footer())
        self.set_font(pdf_font.FAMILY, size=7.5)
        self.set_text_color(*GREY)
        self.set_xy(MARGIN, 8)
        self.cell(WIDTH, 4, self.running_head, align="L")
        self.set_draw_color(*GREY)
        self.set_line_width(0.2)
        self.line(MARGIN, 13, MARGIN + WIDTH, 13)
        self.set_text_color(*INK)
        self.set_xy(MARGIN, MARGIN + 5)

    def footer(self) -> None:
        self.set_font(pdf_font.FAMILY, size=7)
        self.set_text_color(*GREY)
        self.set_xy(MARGIN, -MARGIN + 2)
        self.cell(WIDTH * 0.8, 4, self.footer_sha, align="L")
        # on until the next page's header: output() substitutes the page count only while an alias is set
        self.alias_nb_pages("{nb}")
        self.cell(WIDTH * 0.2, 4, self.t("pdf.page", page=self.page_no(), pages="{nb}"), align="R")
        self.set_text_color(*INK)


def _section(pdf: FPDF, title: str) -> None:
    pdf.ln(4)
    if pdf.will_page_break(18):
        pdf.add_page()
    pdf.set_font(pdf_font.FAMILY, size=11)
    pdf.cell(WIDTH, 7, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(pdf_font.FAMILY, size=8.5)


def _grid(pdf: FPDF, rows: Iterable[tuple[str, ...]], wrap: WrapMode) -> None:
    """A label / value grid of :data:`INFO_WIDTHS` (labels shaded); a row's last value spans what is left."""
    label_style = FontFace(fill_color=LABEL_FILL)
    pdf.set_font(pdf_font.FAMILY, size=8.5)
    with pdf.table(col_widths=INFO_WIDTHS, width=WIDTH, first_row_as_headings=False, line_height=5,
                   text_align="LEFT", wrapmode=wrap, padding=1.2) as table:  # fmt: skip
        for cells in rows:
            row = table.row()
            for n, text in enumerate(cells):
                span = len(INFO_WIDTHS) - n if n == len(cells) - 1 else 1
                row.cell(text, style=label_style if n % 2 == 0 else None, colspan=span)


def _items(pdf: FPDF, rows: list[tuple[list[str], list[str]]], t: _Texts, wrap: WrapMode) -> None:
    heading = FontFace(emphasis="", fill_color=HEAD_FILL, size_pt=8)
    comment = FontFace(fill_color=COMMENT_FILL, size_pt=8)
    align = ("CENTER", "LEFT", "CENTER", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT")
    pdf.set_font(pdf_font.FAMILY, size=8)
    widths = ITEM_WIDTHS[t.lang]
    with pdf.table(col_widths=widths, width=WIDTH, headings_style=heading, line_height=4.2, wrapmode=wrap,
                   padding=1, repeat_headings=1, text_align=align, v_align="MIDDLE") as table:  # fmt: skip
        table.row(item_header(t))
        for cells, comments in rows:
            table.row(cells)
            for text in comments:
                table.row().cell(text, colspan=len(widths), align="LEFT", style=comment)


def _confirmations(pdf: FPDF, rows: list[tuple[str, str, str]], t: _Texts, wrap: WrapMode) -> None:
    heading = FontFace(emphasis="", fill_color=HEAD_FILL)
    pdf.set_font(pdf_font.FAMILY, size=8.5)
    with pdf.table(col_widths=(40, 70, 70), width=WIDTH, headings_style=heading, line_height=5, wrapmode=wrap,
                   padding=1.2, text_align="LEFT") as table:  # fmt: skip
        table.row([t("pdf.col_party"), t("pdf.col_confirmed_by"), t("pdf.col_confirmed_at")])
        for cells in rows:
            table.row(list(cells))


def _lines(pdf: FPDF, lines: Iterable[str], *, size: float = 9) -> None:
    pdf.set_font(pdf_font.FAMILY, size=size)
    for text in lines:
        pdf.multi_cell(WIDTH, 5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT, wrapmode=WrapMode.CHAR)


def parts(doc: dict[str, Any], lang: str = "zh-CN") -> dict[str, Any]:
    """Every text the document prints (before it is made printable), by part of the page."""
    t = _Texts(lang)
    person = t("pdf.person", name=doc["employee"] or DASH, id=doc["employee_id"])
    grades = grade_rows(doc, t)
    return {
        "title": t("pdf.title"),
        "company": doc["company"],
        "running": t(
            "pdf.running_head", company=doc["company"], title=t("pdf.title"), person=person, cycle=doc["cycle"] or DASH
        ),
        "info": info_rows(doc, t),
        "items": list(item_rows(doc["items"], t)),
        "total": total_lines(doc, t),
        "grades": [grades[0] + grades[1], grades[2]],
        "confirmations": confirmation_rows(doc, t),
        "objections": [[f"{n}. {lines[0]}", *lines[1:]] for n, lines in enumerate(objection_lines(doc, t), 1)]
        or [[t("pdf.no_objection")]],
        "closing": [t("pdf.issued", at=_when(doc["issued_at"])), t("pdf.verify_note")],
        "footer": t("pdf.sha256", sha=doc["sha256"]),
        "page": t("pdf.page", page=0, pages=0),
        "meta_title": f"{t('pdf.title')} {person} {doc['cycle'] or ''}".strip(),
    }


def printed_points(printable_parts: dict[str, Any]) -> set[int]:
    """The code points the font must draw for :func:`parts` made printable (line breaks are not drawn;
    the page count's digits are filled in at the end)."""
    return {ord(c) for text in _strings(printable_parts) for c in text if c != "\n"} | set(map(ord, "0123456789"))


def printable_parts(doc: dict[str, Any], lang: str = "zh-CN") -> dict[str, Any]:
    """:func:`parts` as the font can print them."""
    return _clean(parts(doc, lang), pdf_font.printable_points())


def render(doc: dict[str, Any], *, lang: str = "zh-CN") -> bytes:
    """The PDF of ``doc`` (:func:`core.signoff_document.document`) with ``lang``'s labels."""
    t = _Texts(lang)
    p = printable_parts(doc, lang)
    pdf = _Document(p["running"], p["footer"], t)
    pdf_font.add_to(pdf, printed_points(p))
    pdf.set_lang(t.lang)
    pdf.set_title(p["meta_title"])
    pdf.set_author(p["company"])
    pdf.set_creator("JiXiao")
    if doc["issued_at"] is not None:
        pdf.set_creation_date(doc["issued_at"])  # the same record gives the same file
    wrap = WrapMode.WORD if t.lang == "en" else WrapMode.CHAR
    pdf.set_text_color(*INK)
    pdf.add_page()
    pdf.set_font(pdf_font.FAMILY, size=15)
    pdf.multi_cell(WIDTH, 8, p["company"], align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(pdf_font.FAMILY, size=13)
    pdf.cell(WIDTH, 8, p["title"], align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    _grid(pdf, p["info"], wrap)
    _section(pdf, t("pdf.items"))
    _items(pdf, p["items"], t, wrap)
    _section(pdf, t("pdf.result"))
    _lines(pdf, p["total"])
    pdf.ln(1)
    _grid(pdf, p["grades"], wrap)
    _section(pdf, t("pdf.confirmations"))
    _confirmations(pdf, p["confirmations"], t, wrap)
    _section(pdf, t("pdf.objections"))
    for lines in p["objections"]:
        _lines(pdf, lines)
    pdf.ln(3)
    _lines(pdf, p["closing"], size=7.5)
    return bytes(pdf.output())
