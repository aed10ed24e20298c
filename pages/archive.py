"""电子档案: the signed sign-off PDFs within my scope (mine, my reports', an HRBP's departments, HR everyone),
each with its verification status (the file and the record as issued, and the signature), downloaded one
by one (scoped and audited in core). HR also closes a cycle here (what is outstanding, a reason when
closing over stragglers, asked once more first) and downloads a cycle's evidence package for auditors."""

import polars as pl
import streamlit as st

from core import archive, cycles, permissions, signoff
from core.vocabulary import MAX_TEXT
from ui import session
from ui import signoff as signoff_view
from ui.appraisal import run_cycle, stage_label
from ui.i18n import current_language, t
from ui.navigation import require_app_navigation
from ui.signoff import pdf_download, safe_file_name, when
from ui.widgets import ask_first, confirm_first, data_table, empty_state, flash, plain, show_flash

ZIP_MIME = "application/zip"
LIST_COLUMNS = ("employee", "department", "cycle", "issued_at", "status")


def status_text(verified: bool | None, problem: str | None) -> str:
    """A document's verification status: intact, core's finding (which file or field differs), or not
    checked yet (a large list is checked on request)."""
    if verified is None:
        return t("arc.status.unchecked")
    return t("arc.status.ok") if verified else t("arc.status.bad", problem=problem or t("arc.status.unknown"))


def pick_cycle(quick: pl.DataFrame) -> str | None:
    """With documents of several cycles, the one to list (newest first, or all); None for all."""
    cycles_in = dict(zip(quick["cycle_id"], quick["cycle"], strict=True))  # newest first, as listed
    if len(cycles_in) < 2:
        return None
    options: list[str | None] = [None, *cycles_in]
    labels = {None: t("arc.all_cycles"), **{c: f"{n}（{c}）" for c, n in cycles_in.items()}}
    return st.selectbox(t("arc.filter_cycle"), options, index=1, format_func=labels.get, key="arc.filter")


def documents_section() -> None:
    st.subheader(t("arc.list_title"), anchor=False)
    quick = run_cycle(
        archive.listing, db, user, verify=False, lang=current_language()
    )  # names only: the signatures are checked below
    if quick is None or quick.is_empty():
        empty_state(t("arc.empty"))
        return
    cycle_id = pick_cycle(quick)
    count = quick.height if cycle_id is None else quick.filter(pl.col("cycle_id") == cycle_id).height
    verify_key = f"arc.verify.{cycle_id or '*'}"
    if count > signoff_view.VERIFY_AT_ONCE and not st.session_state.get(verify_key):
        st.info(t("arc.verify_later", n=count), icon=":material/schedule:")
        if st.button(t("arc.verify", n=count), key=f"arc.verify_button.{cycle_id or '*'}", icon=":material/verified:"):
            st.session_state[verify_key] = True
            st.rerun()
        listing = quick if cycle_id is None else quick.filter(pl.col("cycle_id") == cycle_id)
    else:
        with st.spinner(t("arc.verifying", n=count)):
            listing = run_cycle(archive.listing, db, user, cycle_id=cycle_id, lang=current_language())
        if listing is None:
            return
    bad = listing.filter(pl.col("verified").not_()).height  # unchecked (null) rows are not counted
    if bad:
        st.error(t("arc.not_ok", n=bad), icon=":material/gpp_bad:")
    status = [status_text(v, p) for v, p in listing.select("verified", "problem").iter_rows()]
    shown = listing.with_columns(status=pl.Series(status, dtype=pl.String))
    data_table(shown.select(LIST_COLUMNS), key="arc.list", file_stem=t("arc.file"), scope="arc")
    rows = {r["appraisal_id"]: r for r in listing.iter_rows(named=True)}
    labels = {a: t("arc.option", employee=r["employee"] or "", cycle=r["cycle"] or "") for a, r in rows.items()}
    chosen = st.selectbox(t("arc.pick"), list(rows), format_func=labels.get, key="arc.pick")
    row = rows[chosen]
    status = plain(status_text(row["verified"], row["problem"]))  # core's finding names files and fields
    st.caption(t("arc.chosen_status", status=status, at=when(row["issued_at"])))
    pdf_download(db, user, chosen, label=t("arc.download"), key=f"arc.pdf.{chosen}",
                 file_name=t("so.pdf_file", employee=row["employee"] or "", cycle=row["cycle"] or ""))  # fmt: skip


def close(cycle_id: str, name: str, reason: str | None) -> None:
    closed = run_cycle(signoff.close_cycle, db, user, cycle_id, reason=reason)
    if closed is not None:
        flash(t("arc.closed", name=plain(name), n=closed.closed, left=len(closed.left)))
        st.rerun()


def cycle_section() -> None:
    """HR: one cycle's closing and its evidence package."""
    st.header(t("arc.hr_title"), anchor=False)
    found = cycles.cycles(db, user)
    if found.is_empty():
        empty_state(t("arc.no_cycles"))
        return
    names = dict(zip(found["cycle_id"], found["name"], strict=True))
    status = dict(zip(found["cycle_id"], found["status"], strict=True))
    cycle_id = st.selectbox(t("arc.cycle"), list(names), format_func=lambda c: f"{names[c]}（{c}）", key="arc.cycle")
    name = names[cycle_id]
    with st.container(border=True):
        st.markdown(f"**{t('arc.close_title')}**")
        if status[cycle_id] == "closed":
            st.success(t("arc.already_closed", name=plain(name)), icon=":material/lock:")
        else:
            closing_form(cycle_id, name)
    with st.container(border=True):
        st.markdown(f"**{t('arc.evidence_title')}**")
        st.caption(t("arc.evidence_help"))

        def package() -> bytes:
            return archive.evidence_zip(db, user, cycle_id)

        st.download_button(t("arc.evidence"), data=package, file_name=safe_file_name(f"{t('arc.evidence_file')}-{cycle_id}.zip"),
                           mime=ZIP_MIME, key=f"arc.evidence.{cycle_id}", on_click="ignore",
                           icon=":material/folder_zip:", width="stretch")  # fmt: skip


def closing_form(cycle_id: str, name: str) -> None:
    ready = run_cycle(signoff.close_readiness, db, user, cycle_id, lang=current_language())
    if ready is None:
        return
    outstanding: pl.DataFrame = ready["outstanding"]
    done_col, left_col = st.columns(2)
    done_col.metric(t("arc.metric.done"), f"{ready['done']} / {ready['total']}")
    left_col.metric(t("arc.metric.left"), outstanding.height)
    reason = None
    if outstanding.is_empty():
        st.caption(t("arc.all_done"))
    else:
        st.warning(t("arc.outstanding", n=outstanding.height), icon=":material/pending_actions:")
        table = outstanding.with_columns(pl.col("stage").map_elements(stage_label, return_dtype=pl.String))
        data_table(table.drop("appraisal_id"), key=f"arc.outstanding.{cycle_id}", file_stem=t("arc.outstanding_file"),
                   scope="arc_left")  # fmt: skip
        reason = st.text_area(t("arc.reason"), max_chars=MAX_TEXT, key=f"arc.reason.{cycle_id}")
    if st.button(t("arc.close"), type="primary", key=f"arc.close.{cycle_id}", icon=":material/lock:", width="stretch"):
        if reason is not None and not reason.strip():
            st.error(t("arc.reason_required", n=outstanding.height), icon=":material/error:")
        else:
            ask_first("close_cycle", cycle_id, reason.strip() if reason else None)
    question = t("arc.confirm", name=plain(name)) + (t("arc.confirm_left", n=outstanding.height) if reason else "")
    confirm_first("close_cycle", cycle_id, question, lambda why: close(cycle_id, name, why), key_prefix="arc.")


require_app_navigation()
user, db = session.require_screen("archive")
st.title(t("nav.archive"), anchor=False)
st.caption(t("arc.intro"))
show_flash()

documents_section()
if permissions.allowed(user, "signoff_hr"):  # core checks closing and packaging again
    cycle_section()
