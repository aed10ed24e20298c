"""变更审批: the requests waiting for my step (approve, or reject with a comment, each confirmed first), my
own requests with their status (withdraw, confirmed first), and every request I may follow, each with its
field-by-field diff and the steps so far."""

import streamlit as st

from core import kpi_changes
from ui import session
from ui.i18n import t
from ui.kpi import changes_frame, code_label, run_core, show_change
from ui.navigation import require_app_navigation
from ui.widgets import CONFIRM_KEY, ask_first, confirm_first, data_table, empty_state, flash, show_flash


def pick(changes: list[dict], key: str) -> dict | None:
    labels = {
        c["change_id"]: f"{c['change_id']} · {code_label('chg.kind', c['kind'])} · {c['subject_id']}" for c in changes
    }
    chosen = st.selectbox(t("chg.pick"), list(labels), format_func=labels.get, key=key)
    return kpi_changes.get_change(db, chosen) if chosen else None


def confirm_box(action: str, change_id: str, on_confirm) -> None:
    """Ask before a decision that cannot be undone."""
    confirm_first(action, change_id, t(f"chg.confirm_{action}", change_id=change_id), on_confirm, key_prefix="chg.")


require_app_navigation()
user, db = session.require_screen("kpi_changes")
st.title(t("chg.title"), anchor=False)
st.caption(t("chg.intro"))
show_flash()

queue = kpi_changes.my_queue(db, user)
mine = kpi_changes.my_requests(db, user)
queue_tab, mine_tab, all_tab = st.tabs(
    [t("chg.tab.queue", n=len(queue)), t("chg.tab.mine", n=len(mine)), t("chg.tab.all")]
)

with queue_tab:
    if not queue:
        empty_state(t("chg.queue_empty"))
    else:
        data_table(changes_frame(queue), key="chg.queue", file_stem=None, scope="chg")
        change = pick(queue, "chg.queue_pick")
        if change is not None:
            with st.container(border=True):
                show_change(change, key="chg.queue_detail")
                change_id, step = change["change_id"], change["step"]
                comment = st.text_area(t("chg.comment"), key=f"chg.comment.{change_id}")
                approve_col, reject_col = st.columns(2)
                approve_col.button(
                    t("chg.approve"), key=f"chg.approve.{change_id}", type="primary", icon=":material/check:",
                    on_click=ask_first, args=("approve", change_id),
                )  # fmt: skip
                reject_col.button(
                    t("chg.reject"), key=f"chg.reject.{change_id}", icon=":material/close:",
                    on_click=ask_first, args=("reject", change_id),
                )  # fmt: skip

                def approve() -> None:
                    result = run_core(kpi_changes.decide, db, user, change_id, step, True, comment.strip() or None)
                    if result is not None:
                        after = kpi_changes.get_change(db, change_id)
                        effective = after is not None and after["status"] == "approved"
                        flash(t("chg.effective" if effective else "chg.approved", change_id=change_id))
                        st.rerun()

                def reject() -> None:
                    if not comment.strip():
                        st.error(t("chg.comment_required"), icon=":material/error:")
                        return
                    if run_core(kpi_changes.decide, db, user, change_id, step, False, comment.strip()) is not None:
                        flash(t("chg.rejected", change_id=change_id))
                        st.rerun()

                if (st.session_state.get(CONFIRM_KEY) or ())[:2] == ("reject", change_id) and not comment.strip():
                    st.error(t("chg.comment_required"), icon=":material/error:")
                    st.session_state.pop(CONFIRM_KEY, None)
                confirm_box("approve", change_id, approve)
                confirm_box("reject", change_id, reject)

with mine_tab:
    if not mine:
        empty_state(t("chg.mine_empty"))
    else:
        data_table(changes_frame(mine), key="chg.mine", file_stem=t("chg.file"), scope="chg")
        change = pick(mine, "chg.mine_pick")
        if change is not None:
            with st.container(border=True):
                show_change(change, key="chg.mine_detail")
                change_id = change["change_id"]
                if change["status"] == "pending":
                    st.button(
                        t("chg.withdraw"), key=f"chg.withdraw.{change_id}", icon=":material/undo:",
                        on_click=ask_first, args=("withdraw", change_id),
                    )  # fmt: skip

                    def withdraw() -> None:
                        if run_core(lambda: kpi_changes.withdraw(db, user, change_id) or True) is None:
                            return
                        flash(t("chg.withdrawn", change_id=change_id))
                        st.rerun()

                    confirm_box("withdraw", change_id, withdraw)

with all_tab:
    statuses = [None, *kpi_changes.STATUSES]
    status = st.selectbox(
        t("chg.status_filter"),
        statuses,
        format_func=lambda s: t("kpi.all") if s is None else code_label("chg.status", s),
        key="chg.status_filter",
    )
    everything = kpi_changes.list_changes(db, user, status=status)
    if not everything:
        empty_state(t("chg.all_empty"))
    else:
        data_table(changes_frame(everything), key="chg.all", file_stem=t("chg.file"), scope="chg")
        change = pick(everything, "chg.all_pick")
        if change is not None:
            with st.container(border=True):
                show_change(change, key="chg.all_detail")
