"""The upload screen's widgets beyond the file picker: what HR supplies once for a file (period, year,
department, what happens to people the roster does not know), and the mapping step — the sheet as
read, which column or label cell holds which field, the header row and rows to skip, a name — that
saves the mapping (pipelines/mapping.py) and imports the file with it."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import streamlit as st

from core.auth import User
from core.db import Database
from core.errors import CoreError
from core.permissions import Forbidden
from pipelines import LoadReport, import_file
from pipelines.mapping import FIELDS, ROSTER_FIELDS, MappingInvalid
from pipelines.mapping_preview import (
    MAX_SKIP_TEXT,
    PREVIEW_ROWS,
    FilePreview,
    SheetPreview,
    manual_mapping,
    parse_skip_rows,
    preview_file,
    save_for_file,
    unread_fields,
)
from pipelines.options import UNKNOWN_PEOPLE, ImportOptions
from pipelines.sniff import FileRefused
from ui.i18n import error_text, option_labels, t
from ui.reports import UploadedFile
from ui.widgets import plain

PENDING_KEY = "data_import.pending"  # the upload waiting for its mapping
MAX_PERIOD = 20
MAX_DEPT = 60
MAX_CELL = 8
MAX_MAPPING_NAME = 40
LABEL_FIELDS = ("employee_id", "name", "department", "period")  # a form's label cells
ITEM_FIELDS = tuple(f for f in FIELDS if f not in ("employee_id", "name", "department"))
PREFIX = "data_import.wizard"


@dataclass
class Pending:
    """An upload kept for the mapping step: its name and bytes, the options HR gave, and why it is asked
    (``unsure``: detection could not read it; else HR ticked 手动指定列)."""

    name: str
    data: bytes
    options: ImportOptions
    unsure: bool


def upload_options() -> tuple[ImportOptions | None, bool]:
    """The fields HR fills once for the whole file, inside the upload form, and whether HR wants to map
    the columns; (None, …) after an error shown for a field."""
    st.caption(t("import.options"))
    left, middle, right = st.columns(3)
    period = left.text_input(
        t("import.period"), max_chars=MAX_PERIOD, help=t("import.period_help"), key="data_import.period"
    )
    year = middle.text_input(t("import.year"), max_chars=4, help=t("import.year_help"), key="data_import.year")
    dept = right.text_input(t("import.dept"), max_chars=MAX_DEPT, help=t("import.dept_help"), key="data_import.dept")
    people = option_labels("unknown_people", UNKNOWN_PEOPLE)
    unknown = st.radio(
        t("import.unknown_people"), list(people), format_func=people.get, horizontal=True,
        key="data_import.unknown_people",
    )  # fmt: skip
    manual = st.checkbox(t("import.manual"), help=t("import.manual_help"), key="data_import.manual")
    year_value = None
    if year and year.strip():
        if not (year.strip().isdigit() and 2000 <= int(year.strip()) <= 2100):
            st.error(t("import.year_invalid"), icon=":material/error:")
            return None, manual
        year_value = int(year.strip())
    options = ImportOptions(
        period=(period or "").strip() or None,
        year=year_value,
        dept=(dept or "").strip() or None,
        unknown_people=unknown or "create",
    )
    return options, manual


def _preview(pending: Pending) -> FilePreview:
    with tempfile.TemporaryDirectory(prefix="jixiao-wizard-") as tmp:
        path = Path(tmp) / (Path(pending.name).name or "upload")
        path.write_bytes(pending.data)
        return preview_file(path, pending.name)


def start_wizard(pending: Pending) -> None:
    """Keep ``pending`` for the mapping step, its choices starting afresh (not from an earlier file's)."""
    for key in [k for k in st.session_state if str(k).startswith(f"{PREFIX}.")]:
        del st.session_state[key]
    st.session_state[PENDING_KEY] = pending


def pending_for(files: Sequence[UploadedFile], reports: Sequence[LoadReport], options: ImportOptions) -> Pending | None:
    """The first upload refused because detection could not read its header (the mapping step is offered
    for it), or None."""
    for upload, report in zip(files, reports, strict=True):
        if report.status != "refused":
            continue
        pending = Pending(upload.name, upload.getvalue(), options, True)
        preview = _preview(pending)
        if preview.unsure and not preview.refusal and preview.sheets:
            return pending
    return None


def show_wizard(db: Database, user: User, pending: Pending) -> LoadReport | None:
    """The mapping step for ``pending``; returns the report once HR imported the file with the mapping."""
    with st.container(border=True):
        st.subheader(t("wizard.heading", name=plain(pending.name)), anchor=False)
        st.info(t("wizard.unsure" if pending.unsure else "wizard.manual"), icon=":material/table_view:")
        preview = _preview(pending)
        if not preview.sheets:
            st.error(t("wizard.cannot_read", reason=plain(preview.refusal)), icon=":material/block:")
            _cancel_button()
            return None
        names = [s.name for s in preview.sheets]
        chosen = st.selectbox(t("wizard.sheet"), names, key=f"{PREFIX}.sheet") if len(names) > 1 else names[0]
        sheet = preview.sheet(chosen) or preview.sheets[0]
        key = f"{PREFIX}.{names.index(sheet.name)}"
        sources = option_labels("source", ("legacy", "roster"))
        layouts = option_labels("wizard.layout", ("table", "form"))
        left, right = st.columns(2)
        source = left.radio(t("wizard.source"), list(sources), format_func=sources.get, horizontal=True,
                            index=1 if sheet.suggested.layout == "roster" else 0, key=f"{key}.source")  # fmt: skip
        layout = "table"
        if source == "legacy":  # a roster is always a table
            layout = right.radio(t("wizard.layout"), list(layouts), format_func=layouts.get, horizontal=True,
                                 index=1 if sheet.suggested.layout == "form" else 0, key=f"{key}.layout")  # fmt: skip
        _show_sheet(sheet)
        header_row = st.number_input(
            t("wizard.header_row"), min_value=1, max_value=PREVIEW_ROWS, step=1,
            value=min(sheet.suggested.header_row, PREVIEW_ROWS), key=f"{key}.header_row",
        )  # fmt: skip
        fields = ROSTER_FIELDS if source == "roster" else ITEM_FIELDS if layout == "form" else FIELDS
        columns = _column_choices(sheet, int(header_row), key, fields)
        labels = _label_choices(sheet, key) if layout == "form" else {}
        every = layout == "form" and len(names) > 1 and st.checkbox(
            t("wizard.every_sheet"), value=True, key=f"{key}.every_sheet"
        )  # fmt: skip
        skip = st.text_input(t("wizard.skip_rows"), max_chars=MAX_SKIP_TEXT, help=t("wizard.skip_help"),
                             key=f"{key}.skip")  # fmt: skip
        name = st.text_input(
            t("wizard.name"), value=Path(pending.name).stem[:MAX_MAPPING_NAME], max_chars=MAX_MAPPING_NAME,
            help=t("wizard.name_help"), key=f"{PREFIX}.name",
        )  # fmt: skip
        go, cancel = st.columns([3, 1])
        with cancel:
            _cancel_button()
        if not go.button(t("wizard.import"), type="primary", key=f"{PREFIX}.import", icon=":material/save:"):
            return None
        return _save_and_import(
            db, user, pending, sheet, source, layout, int(header_row), columns, labels, skip, name, every
        )  # fmt: skip


def _cancel_button() -> None:
    if st.button(t("wizard.cancel"), key=f"{PREFIX}.cancel", icon=":material/close:"):
        st.session_state.pop(PENDING_KEY, None)
        st.rerun()


def _show_sheet(sheet: SheetPreview) -> None:
    st.caption(t("wizard.preview", n=PREVIEW_ROWS))
    st.dataframe(sheet.rows.rename({"行": t("wizard.row")}), hide_index=True, width="stretch", key=f"{PREFIX}.rows")
    if sheet.detected:
        st.caption(t("wizard.detected_header", row=sheet.suggested.header_row))
    else:
        st.caption(t("wizard.no_header"))
    if sheet.suggested.labels:
        cells = t("import.undo_and").join(
            f"{t(f'wizard.field.{f}')} → {c}" for f, c in sheet.suggested.labels.items() if f in FIELDS
        )
        if cells:
            st.caption(t("wizard.labels_found", cells=plain(cells)))


def _column_choices(sheet: SheetPreview, header_row: int, key: str, fields: Sequence[str]) -> dict[str, str | None]:
    st.markdown(f"**{t('wizard.columns')}**")
    options = ["", *sheet.letters]
    shown = {"": t("wizard.no_column")}
    for letter in sheet.letters:
        text = sheet.header_of(letter, header_row)
        shown[letter] = f"{letter} · {text[:30]}" if text else letter
    chosen: dict[str, str | None] = {}
    grid = st.columns(4)
    for i, f in enumerate(fields):
        default = sheet.suggested.letter(f) if header_row == sheet.suggested.header_row else None
        value = grid[i % 4].selectbox(
            t(f"wizard.field.{f}"), options, index=options.index(default) if default in options else 0,
            format_func=shown.get, key=f"{key}.col.{f}",
        )  # fmt: skip
        chosen[f] = value or None
    return chosen


def _label_choices(sheet: SheetPreview, key: str) -> dict[str, str | None]:
    st.markdown(f"**{t('wizard.labels')}**")
    grid = st.columns(len(LABEL_FIELDS))
    return {
        f: grid[i].text_input(
            t(f"wizard.field.{f}"), value=sheet.suggested.labels.get(f, ""), max_chars=MAX_CELL, key=f"{key}.label.{f}"
        )
        for i, f in enumerate(LABEL_FIELDS)
    }


def _save_and_import(
    db: Database, user: User, pending: Pending, sheet: SheetPreview, source: str, layout: str, header_row: int,
    columns: dict[str, str | None], labels: dict[str, str | None], skip: str, name: str, every: bool,
) -> LoadReport | None:  # fmt: skip
    try:
        mapping = manual_mapping(
            sheet, source=source, layout=layout, header_row=header_row, columns=columns, labels=labels,
            skip_rows=parse_skip_rows(skip), every_sheet=every,
        )  # fmt: skip
    except ValueError as err:
        st.error(plain(err), icon=":material/error:")
        return None
    except MappingInvalid as err:
        st.error(plain(err.reason), icon=":material/error:")
        return None
    with tempfile.TemporaryDirectory(prefix="jixiao-wizard-") as tmp:
        path = Path(tmp) / (Path(pending.name).name or "upload")
        path.write_bytes(pending.data)
        try:
            saved = save_for_file(db, user, name, mapping, path)
        except (CoreError, Forbidden) as err:
            st.error(error_text(err), icon=":material/error:")
            return None
        except FileRefused as err:
            st.error(plain(err.reason), icon=":material/error:")
            return None
        with st.spinner(t("import.queued", name=plain(pending.name))):
            report = import_file(
                db, path, uploaded_by=user.username, file_name=pending.name,
                options=replace(pending.options, mapping=saved),
            )  # fmt: skip
    st.session_state.pop(PENDING_KEY, None)
    unread = unread_fields(mapping)
    if unread:
        report.notes.append(
            t("wizard.unread", fields=t("import.undo_sep").join(t(f"wizard.field.{f}") for f in unread))
        )
    return report
