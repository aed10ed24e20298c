"""Shared pieces of the sign-off screens (结果确认, 异议处理, 电子档案): the result as both parties confirm it,
the confirmation and objection trail, the password form, the objection form and the PDF download.

core (:mod:`core.signoff`, :mod:`core.archive`) does every check, scoping and audit; this module lays
things out for a laptop and for a 390 px phone (short tables, long text as plain text blocks, full-width
buttons) and shows core's refusals in the session's language. Reasons, replies, notes and comments are user
text: they go into ``st.text``, tables or through ``plain``, never into HTML.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import polars as pl
import streamlit as st

from core import archive, signoff
from core.auth import User
from core.db import Database
from core.vocabulary import MAX_TEXT
from ui import session
from ui.appraisal import run_cycle, stage_label
from ui.i18n import current_language, error_text, has_text, t
from ui.rating import one_decimal
from ui.widgets import ask_first, confirm_first, data_table, empty_state, flash, plain

PDF_MIME = "application/pdf"
#: 电子档案 verifies (file, record, signature) up to this many documents as it opens; more on request
VERIFY_AT_ONCE = 200
#: the appraisal the user last acted on: still shown after it left the waiting list (its PDF to download)
CHOSEN_KEY = "so.chosen"
# the items' short table (fits a 390 px phone); comments and scores in detail go below it as text
ITEM_COLUMNS = ("kpi", "weight", "target", "actual", "item_score")


def party_label(party: str | None) -> str:
    """employee / manager in the UI language."""
    return t(f"so.party.{party}") if party and has_text(f"so.party.{party}") else "—"


def status_label(status: str | None) -> str:
    """An objection's status (open / upheld / returned) in the UI language."""
    return t(f"so.objection.{status}") if status and has_text(f"so.objection.{status}") else "—"


def action_label(action: str | None) -> str:
    """A sign-off ledger action in the UI language (its code where the catalog has none)."""
    return t(f"so.action.{action}") if action and has_text(f"so.action.{action}") else action or "—"


def when(value: Any) -> str:
    """A date or time as YYYY-MM-DD (HH:MM)."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return "—" if value in (None, "") else str(value)


def waiting_label(row: dict[str, Any]) -> str:
    """One line of the waiting list: who, which cycle, in which part, and how late."""
    label = t("so.waiting_option", employee=row.get("employee") or "", cycle=row.get("cycle") or "",
              party=party_label(row.get("party")))  # fmt: skip
    late = row.get("days_overdue") or 0
    return label + (t("so.overdue_suffix", n=late) if late > 0 else "")


def pick_waiting(frame: pl.DataFrame, *, key: str) -> str | None:
    """A select box over what waits, and the result the user has just confirmed or objected to (kept in
    the list until the page is left, so its outcome and its PDF stay in view); ``?appraisal=`` from
    我的待办 preselects one. The appraisal chosen, or None when there is nothing."""
    labels = {r["appraisal_id"]: waiting_label(r) for r in frame.iter_rows(named=True)}
    chosen = st.session_state.get(CHOSEN_KEY)
    if chosen and chosen[0] not in labels:
        labels = {chosen[0]: t("so.done_option", what=chosen[1]), **labels}
    if not labels:
        return None
    ids = list(labels)
    wanted = chosen[0] if chosen else st.query_params.get("appraisal")
    index = ids.index(wanted) if wanted in ids else 0
    return st.selectbox(t("so.pick"), ids, index=index, format_func=labels.get, key=key)


def remember(appraisal_id: str, result: dict[str, Any]) -> None:
    """Keep the appraisal just acted on in the picker, labelled by whom and which cycle."""
    st.session_state[CHOSEN_KEY] = (appraisal_id, f"{result.get('employee') or ''} · {result.get('cycle') or ''}")
    st.session_state.pop("so.pick", None)  # the picker opens on it


def result_header(result: dict[str, Any]) -> None:
    """Who, which cycle, department, position and manager in two lines, the total and the grade (before
    and after calibration) as two figures, stage and due date, and the calibration note: short enough that
    a phone shows it without scrolling past a column of labels. User text as plain text."""
    with st.container(border=True):
        st.text(t("so.header_who", employee=result.get("employee") or "—", cycle=result.get("cycle") or "—"))
        st.caption(t("so.header_where", department=plain(result.get("department") or "—"),
                     position=plain(result.get("position") or "—"), manager=plain(result.get("manager") or "—")))  # fmt: skip
        total, grade = st.columns(2)
        total.metric(t("so.total"), one_decimal(result.get("final_score")))
        grade.metric(t("so.grade"), grade_line(result))
        st.caption(t("so.header_when", stage=stage_label(result.get("stage")), due=when(result.get("due"))))
        note = result.get("calibration_note")
        if note:
            st.caption(t("so.calibration_note"))
            st.text(note)


def grade_line(result: dict[str, Any]) -> str:
    """The grade as it stands, and the grade before calibration when calibration changed it."""
    before, after = result.get("grade"), result.get("effective_grade") or result.get("calibrated_grade")
    if before and after and before != after:
        return t("so.grade_moved", before=before, after=after)
    return after or before or "—"


def result_items(result: dict[str, Any], *, key: str) -> None:
    """The items: a short table (KPI, weight, target, actual, score), then per item its source, both
    scores and both comments as text; then how the total was computed."""
    items: pl.DataFrame = result.get("items", pl.DataFrame())
    st.subheader(t("so.items_title"), anchor=False)
    if items.is_empty():
        st.caption(t("so.no_items"))
        return
    data_table(items.select([c for c in ITEM_COLUMNS if c in items.columns]), key=f"{key}.items",
               file_stem=t("so.items_file"), scope="so")  # fmt: skip
    with st.expander(t("so.item_detail"), icon=":material/notes:"):
        for r in items.iter_rows(named=True):
            st.markdown(f"**{plain(r.get('kpi'))}**")
            st.text(
                t(
                    "so.item_line",
                    category=r.get("category") or "—",
                    source=r.get("actual_source") or "—",
                    self=one_decimal(r.get("self_score")),
                    manager=one_decimal(r.get("manager_score")),
                    score=one_decimal(r.get("item_score")),
                )
            )
            for label, field in (("so.self_comment", "self_comment"), ("so.manager_comment", "manager_comment")):
                if r.get(field):
                    st.caption(t(label))
                    st.text(r[field])
    if result.get("formula"):
        st.caption(t("so.formula"))
        st.text(error_text(result["formula"]))  # core's sentence (a coded text) in the session's language


def confirmations(result: dict[str, Any]) -> None:
    """Both parties' confirmations with their time (deemed ones said so), or who is still to confirm."""
    st.subheader(t("so.confirmations_title"), anchor=False)
    done = {c.get("party"): c for c in result.get("confirmations") or []}
    for party in signoff.PARTIES:
        c = done.get(party)
        if c is None:
            st.text(t("so.not_confirmed", party=party_label(party)))
        elif c.get("deemed"):
            st.text(t("so.deemed", party=party_label(party), at=when(c.get("at"))))
        else:
            st.text(t("so.confirmed_by", party=party_label(party), name=c.get("name") or "—", at=when(c.get("at"))))


def objection_trail(objections: list[dict[str, Any]]) -> None:
    """Every objection of the appraisal, oldest first: raised when, the reason, its status, HR's reply."""
    if not objections:
        return
    st.subheader(t("so.objections_title"), anchor=False)
    for o in objections:
        with st.container(border=True):
            st.caption(t("so.objection_head", at=when(o.get("raised_at")), status=status_label(o.get("status"))))
            st.text(o.get("reason") or "")
            if o.get("reply"):
                st.caption(t("so.reply_head", by=plain(o.get("resolved_by") or "—"), at=when(o.get("resolved_at"))))
                st.text(o["reply"])


def ledger_trail(db: Database, user: User, appraisal_id: str, *, key: str) -> None:
    """The sign-off ledger's rows of one appraisal (who did what when), in an expander."""
    trail = run_cycle(signoff.trail, db, user, appraisal_id)
    if trail is None or trail.is_empty():
        return
    with st.expander(t("so.trail_title"), icon=":material/history:"):
        shown = trail.with_columns(
            pl.col("action").map_elements(action_label, return_dtype=pl.String),
            pl.col("role").map_elements(party_label_or_role, return_dtype=pl.String),
        )
        data_table(shown.select("ts", "who", "role", "action", "note"), key=f"{key}.trail", file_stem=None,
                   scope="so_trail")  # fmt: skip


def party_label_or_role(role: str | None) -> str:
    if role and has_text(f"so.party.{role}"):
        return t(f"so.party.{role}")
    return t(f"so.role.{role}") if role and has_text(f"so.role.{role}") else role or "—"


def confirm_form(db: Database, user: User, result: dict[str, Any], appraisal_id: str) -> None:
    """Re-enter the password and confirm (a form: nothing reaches core before 确认 is pressed); a success
    message that says what happened is shown after the rerun, the page then reads the result back."""
    with st.form(f"so.confirm_form.{appraisal_id}", clear_on_submit=True):
        st.markdown(f"**{t('so.confirm_title', party=party_label(result.get('party')))}**")
        st.caption(t("so.confirm_help"))
        password = st.text_input(t("so.password"), type="password", key=f"so.password.{appraisal_id}",
                                 max_chars=256, autocomplete="current-password")  # fmt: skip
        sent = st.form_submit_button(t("so.confirm"), type="primary", icon=":material/verified:", width="stretch")
    if not sent:
        return
    if not password:
        st.error(t("so.password_required"), icon=":material/error:")
        return
    done = run_cycle(
        signoff.confirm,
        db,
        user,
        appraisal_id,
        password,
        version=result["row_version"],
        source=session.client_address(),
        lang=current_language(),  # the PDF, when this confirmation completes it, in the reader's language
    )  # a wrong password counts like a failed login from there
    if done is None:
        return
    message = t("so.confirmed", party=party_label(done.party), cycle=plain(result.get("cycle")), at=when(done.at))
    message += " " + (t("so.both_confirmed") if done.both else t("so.other_next", party=party_label(other(done.party))))
    remember(appraisal_id, result)
    flash(message)
    st.rerun()


def other(party: str) -> str:
    return signoff.MANAGER if party == signoff.EMPLOYEE else signoff.EMPLOYEE


def object_form(db: Database, user: User, result: dict[str, Any], appraisal_id: str) -> None:
    """The employee's objection: a reason (required, capped), asked once more before it goes to HR."""
    with st.container(border=True):
        st.markdown(f"**{t('so.object_title')}**")
        st.caption(t("so.object_help"))
        reason_key = f"so.reason.{appraisal_id}"
        reason = st.text_area(t("so.reason"), max_chars=MAX_TEXT, key=reason_key)
        if st.button(t("so.object"), key=f"so.object.{appraisal_id}", icon=":material/report:", width="stretch"):
            if not reason.strip():
                st.error(t("so.reason_required"), icon=":material/error:")
            else:
                ask_first("object", appraisal_id, result["row_version"])

        def submit(version: int) -> None:
            objection_id = run_cycle(signoff.object_to, db, user, appraisal_id, reason, version=version)
            if objection_id is not None:
                remember(appraisal_id, result)
                st.session_state.pop(reason_key, None)
                flash(t("so.objected", cycle=plain(result.get("cycle"))))
                st.rerun()

        confirm_first("object", appraisal_id, t("so.object_confirm"), submit, key_prefix="so.")


def safe_file_name(text: str) -> str:
    """A file name without path separators or characters Windows refuses."""
    return re.sub(r'[\\/:*?"<>|\s]+', "_", text).strip("_") or "document"


def pdf_download(db: Database, user: User, appraisal_id: str, *, label: str, file_name: str, key: str) -> None:
    """The signed PDF as a download button; the file is read (a scoped, audited read in core) only when
    the button is pressed, on the server's thread."""

    def produce() -> bytes:
        return archive.document(db, user, appraisal_id)[1]

    st.download_button(label, data=produce, file_name=safe_file_name(file_name), mime=PDF_MIME, key=key,
                       on_click="ignore", icon=":material/picture_as_pdf:", width="stretch")  # fmt: skip


def result_page(db: Database, user: User, appraisal_id: str, *, key: str) -> dict[str, Any] | None:
    """The whole result of one appraisal as 结果确认 shows it, with the actions the user may take; the result."""
    result = run_cycle(signoff.result, db, user, appraisal_id)
    if result is None:
        return None
    result_header(result)
    result_items(result, key=key)
    confirmations(result)
    objection_trail(result.get("objections") or [])
    if result.get("document"):
        st.success(t("so.document_ready"), icon=":material/task:")
        pdf_download(db, user, appraisal_id, label=t("so.download"), key=f"{key}.pdf",
                     file_name=t("so.pdf_file", employee=result.get("employee") or "", cycle=result.get("cycle") or ""))  # fmt: skip
    if result.get("may_confirm"):
        confirm_form(db, user, result, appraisal_id)
    if result.get("may_object"):
        object_form(db, user, result, appraisal_id)
    if not result.get("may_confirm") and not result.get("may_object") and not result.get("document"):
        empty_state(t("so.nothing_to_do"))
    ledger_trail(db, user, appraisal_id, key=key)
    return result
