"""Shared widgets: tables with an Excel download, downloads only their session can fetch, empty states,
and safe rendering of user text."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

import polars as pl
import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from core import tickets
from core.export import excel_bytes
from ui import web
from ui.i18n import has_text, t
from ui.resources import database
from ui.session import session_token, user_agent

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: what an empty cell of a table or an editor shows (Streamlit's default is the word None)
EMPTY_CELL = ""

# Characters that Markdown (as st.markdown / st.caption / labels render it) would interpret.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$])")


def plain(text: object) -> str:
    """User or file text made safe to pass to a Markdown-rendering element: every Markdown character escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", "" if text is None else str(text))


def column_title(name: str, scope: str | None = None) -> str:
    """The translated title of a column: ``col.<scope>.<name>`` if the catalog has it, else ``col.<name>``."""
    if scope and has_text(f"col.{scope}.{name}"):
        return t(f"col.{scope}.{name}")
    return t(f"col.{name}")


def translate_values(frame: pl.DataFrame, column: str, prefix: str) -> pl.DataFrame:
    """Replace the codes in ``column`` (e.g. status 'loaded') by their translation ``<prefix>.<code>``."""
    codes = [c for c in frame.get_column(column).unique().to_list() if c is not None]
    mapping = {c: t(f"{prefix}.{c}") if has_text(f"{prefix}.{c}") else c for c in codes}
    return frame.with_columns(pl.col(column).replace(mapping))


def _is_share(name: str) -> bool:
    return name.startswith("share_")


def _for_display(frame: pl.DataFrame) -> pl.DataFrame:
    """Shares as percentages (0–100) so one format string can show them."""
    return frame.with_columns(pl.col(c) * 100 for c in frame.columns if _is_share(c))


def _column_config(frame: pl.DataFrame, titles: Mapping[str, str]) -> dict[str, object]:
    """Formats by type and name: dates YYYY-MM-DD, scores one decimal, shares as %."""
    config: dict[str, object] = {}
    for name, dtype in frame.schema.items():
        title = titles[name]
        if dtype == pl.Date:
            config[title] = st.column_config.DateColumn(title, format="YYYY-MM-DD")
        elif isinstance(dtype, pl.Datetime):
            config[title] = st.column_config.DatetimeColumn(title, format="YYYY-MM-DD HH:mm")
        elif _is_share(name):
            config[title] = st.column_config.NumberColumn(title, format="%.1f%%")
        elif dtype.is_float():
            config[title] = st.column_config.NumberColumn(title, format="%.1f")
    return config


def excel_table(frame: pl.DataFrame, titles: Mapping[str, str], sheet: str) -> bytes:
    """The table as a formatted .xlsx: translated titles, scores rounded to one decimal, shares in %."""
    out = frame.with_columns(
        *(pl.col(c).round(1) for c, d in frame.schema.items() if d.is_float() and not _is_share(c)),
        *((pl.col(c) * 100).round(1) for c in frame.columns if _is_share(c)),
    )
    renamed = {c: f"{titles[c]} (%)" if _is_share(c) else titles[c] for c in out.columns}
    return excel_bytes({sheet: out.rename(renamed)})


DOWNLOADS_KEY = "ui.downloads"  # widget key -> the download ticket this page showed last


def download_excel(label: str, data: Callable[[], bytes], *, file_name: str, key: str, rows: int) -> None:
    """A link that downloads an Excel file, built only when fetched, for this login session alone.

    The link is ``/_jixiao/download/<ticket>`` (ui/web.py): the ticket is its only variable part, lives
    a few minutes from the last time the page showed it, serves only this session's cookie from this
    browser, and every download it serves is audited. The label is our own text; the file's name goes
    in the response's header, never in the page. ``data`` runs on the server's thread when the link is
    fetched, outside this page's run: it must not call Streamlit (translate titles before).
    """
    token = session_token()
    if token is None:  # signed out: no page shows a table then
        return
    shown: dict[str, str] = st.session_state.setdefault(DOWNLOADS_KEY, {})
    shown[key] = tickets.offer_download(
        database(),
        token,
        user_agent(),
        file_name=file_name,
        mime=XLSX_MIME,
        rows=rows,
        produce=data,
        renew=shown.get(key),
    )
    web.warn_if_unmounted()
    st.link_button(label, web.download_url(shown[key]), key=key, icon=":material/download:")


def data_table(
    frame: pl.DataFrame,
    *,
    key: str,
    file_stem: str | None,
    scope: str | None = None,
    height: int | str = "auto",
    select_row: bool = False,
) -> int | None:
    """A table with translated column titles and formats, and a button that downloads it as Excel.

    ``key`` must be unique on the page; ``file_stem`` names the download (``<file_stem>.xlsx``) and its
    sheet, or is None for a table without a download of its own. With ``select_row`` a click on a row
    selects it; returns the selected row's index (else None).
    """
    titles = {c: column_title(c, scope) for c in frame.columns}
    shown = _for_display(frame).rename(titles)
    event = st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        height=height,
        column_config=_column_config(frame, titles),
        placeholder=EMPTY_CELL,
        key=key,
        on_select="rerun" if select_row else "ignore",
        selection_mode="single-row",
    )
    if file_stem is not None:
        download_excel(
            t("table.download"),
            lambda: excel_table(frame, titles, file_stem),
            file_name=f"{file_stem}.xlsx",
            key=f"{key}.download",
            rows=frame.height,
        )
    rows = event.selection.rows if select_row else []
    return rows[0] if rows else None


# Streamlit 1.67 writes the uploader's button (Upload) and its limit line (200MB per file • XLSX …) in
# English and offers no parameter for either: this rule hides the line and draws the catalog's button text
# instead; the limit is said below the uploader in the UI language. Only our own words go in here.
UPLOADER_STYLE = (
    "<style>"
    '[data-testid="stFileUploaderDropzoneInstructions"]{display:none}'
    '[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p{font-size:0}'
    '[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p::after'
    '{content:"%s";font-size:14px}'
    "</style>"
)


def _css_text(text: str) -> str:
    """Catalog text as the inside of a CSS string (no quote, backslash or tag can end it)."""
    return "".join(ch if ch.isalnum() or ch in " ·" else f"\\{ord(ch):x} " for ch in text)


def upload_files(label: str, *, types: Sequence[str], key: str, max_mb: float) -> list[UploadedFile]:
    """A multi-file uploader that speaks the UI language: our button text, and the per-file limit
    (``max_mb``, the pipeline's own, e.g. JIXIAO_MAX_UPLOAD_MB) and the accepted types in a caption."""
    st.html(UPLOADER_STYLE % _css_text(t("upload.button")))
    files = st.file_uploader(
        label, accept_multiple_files=True, type=list(types), key=key, max_upload_size=max(1, round(max_mb))
    )
    st.caption(t("upload.limit", mb=f"{max_mb:g}", types=t("upload.types_sep").join(x.upper() for x in types)))
    return list(files or [])


FLASH_KEY = "ui.flash"  # a success message to show once after a rerun


def flash(message: str) -> None:
    """Show ``message`` once on the next run (after st.rerun)."""
    st.session_state[FLASH_KEY] = message


def show_flash() -> None:
    message = st.session_state.pop(FLASH_KEY, None)
    if message:
        st.success(message, icon=":material/check_circle:")


CONFIRM_KEY = "ui.confirm"  # (what, subject, remembered args): the step waiting for its confirmation


def ask_first(what: str, subject: str, *remembered: object) -> None:
    """Remember a step that cannot be undone, to be confirmed (a button's on_click). ``remembered`` (e.g.
    the version the user saw) is handed to the step when it is confirmed."""
    st.session_state[CONFIRM_KEY] = (what, subject, remembered)


def _drop_confirmation() -> None:
    st.session_state.pop(CONFIRM_KEY, None)


def confirm_first(
    what: str, subject: str, question: str, on_confirm: Callable[..., object], *, key_prefix: str = ""
) -> None:
    """If ``what`` on ``subject`` waits for confirmation, ask ``question`` with 确认 / 取消 (buttons keyed
    ``<key_prefix>confirm.<what>.<subject>`` and ``…cancel…``); 确认 runs ``on_confirm(*remembered)``."""
    pending = st.session_state.get(CONFIRM_KEY)
    if not pending or pending[:2] != (what, subject):
        return
    st.warning(question, icon=":material/help:")
    yes, no = st.columns(2)
    if yes.button(t("confirm.yes"), key=f"{key_prefix}confirm.{what}.{subject}", type="primary"):
        st.session_state.pop(CONFIRM_KEY, None)
        on_confirm(*pending[2])
    no.button(t("confirm.no"), key=f"{key_prefix}cancel.{what}.{subject}", on_click=_drop_confirmation)


def empty_state(message: str) -> None:
    """Say that there is nothing to show yet and what to do about it."""
    st.info(message, icon=":material/info:")
