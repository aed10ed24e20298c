"""The sign-off PDF: an A4 document in Chinese (or English) of one appraisal's result.

CONTRACT STUB: ``render_appraisal`` keeps its signature; the real document lands with the PDF work.
"""

from __future__ import annotations

from core.db import Cursor


def render_appraisal(cur: Cursor, appraisal_id: str, *, lang: str = "zh-CN") -> bytes:
    """The unsigned PDF of ``appraisal_id`` as stored now (inside the caller's transaction)."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text=f"Appraisal {appraisal_id}")
    return bytes(pdf.output())
