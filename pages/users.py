"""用户与权限 (HR): every account, and forms to create one (for a person in the roster, or an HR, admin
or analyst account), change roles and HRBP departments, reset a password, disable or enable; and the
account requests waiting for a second HR or IT admin (core.access decides which changes need one).

Every form checks its fields first and shows core's reason when core refuses; disabling asks for
confirmation and resetting a password needs a tick that says what it does. A change that was filed as a
request says so, and with nobody else to confirm it the screen says how to get a second account.
"""

import polars as pl
import streamlit as st

from core import access, auth, org
from core.auth import UserError
from ui import session
from ui.i18n import error_text, option_labels, t
from ui.navigation import require_app_navigation
from ui.widgets import data_table, empty_state, plain

NOTICE_KEY = "users.notice"
PENDING_DISABLE = "users.pending_disable"
CREATE_FIELDS = (
    "users.create.employee",
    "users.create.display_name",
    "users.create.username",
    "users.create.roles",
    "users.create.hrbp",
    "users.create.password",
    "users.create.password_again",
)


def done(message: str, *clear: str) -> None:
    """Remember a success message for the next run, forget the given fields and rerun."""
    st.session_state[NOTICE_KEY] = message
    for key in clear:
        st.session_state.pop(key, None)
    st.rerun()


def finished(change: access.AccountChange, applied_key: str, *clear: str) -> None:
    """The message for a change made at once, or for a request filed for a second person."""
    key = applied_key if change.applied else "users.requested"
    done(t(key, username=plain(change.username), request_id=change.request_id), *clear)


def request_text(request: dict) -> str:
    """One pending request in words (plain text: names are shown as typed)."""
    what = t(f"users.request.{request['kind']}", username=request["username"])
    roles = request.get("roles")
    if roles:
        what += t("users.request.roles_part", roles=session.role_names(roles))
    departments = [department_labels.get(d, d) for d in request.get("hrbp_departments") or []]
    if departments:
        what += t("users.request.departments_part", departments="、".join(departments))
    return t(
        "users.request.line",
        request_id=request["request_id"],
        what=what,
        requested_by=request["requested_by"],
        at=f"{request['requested_at']:%Y-%m-%d %H:%M}",
    )


def requests_tab() -> None:
    """The account requests waiting for a second HR or IT admin: confirm, reject (with a reason) or withdraw."""
    if not others:
        st.info(t("users.no_second_manager"), icon=":material/group_add:")
    if not pending:
        empty_state(t("users.no_requests"))
        return
    for request in pending:
        request_id = request["request_id"]
        with st.container(border=True):
            st.text(request_text(request))  # st.text: names as typed, never Markdown
            if request["requested_by"] == user.username:
                st.caption(t("users.request.yours"))
                if st.button(t("users.withdraw"), key=f"users.withdraw.{request_id}", icon=":material/undo:"):
                    decide(access.withdraw_request, request_id, "users.withdrawn")
                continue
            if not request["may_decide"]:
                st.caption(error_text(UserError(request["why_not"], requested_by=request["requested_by"])))
                continue
            note = st.text_input(t("users.reject_note"), key=f"users.reject_note.{request_id}", max_chars=2000)
            confirm_col, reject_col = st.columns(2)
            if confirm_col.button(
                t("users.confirm_request"), type="primary", key=f"users.confirm.{request_id}", icon=":material/check:"
            ):
                decide(access.confirm_request, request_id, "users.request_confirmed")
            if reject_col.button(t("users.reject_request"), key=f"users.reject.{request_id}", icon=":material/close:"):
                decide(access.reject_request, request_id, "users.request_rejected", note)


def decide(action, request_id: str, message: str, *args: object) -> None:
    """Run one decision on a request; core's refusal in the user's language, or the message and a rerun."""
    try:
        action(db, user, request_id, *args)
    except UserError as err:
        st.error(error_text(err), icon=":material/error:")
    else:
        done(t(message, request_id=request_id))


require_app_navigation()
user, db = session.require_screen("users")
st.title(t("users.title"), anchor=False)
st.caption(t("users.intro"))
notice = st.session_state.pop(NOTICE_KEY, None)
if notice:
    st.success(notice, icon=":material/check_circle:")

accounts = access.list_accounts(db, user)
role_labels = option_labels("role", auth.ROLES)
departments = org.list_departments(db, user)
department_labels = dict(zip(departments["dept_id"], departments["name"], strict=True))
pending = access.pending_requests(db, user)
others = access.other_user_managers(db, user)

if accounts.is_empty():
    empty_state(t("users.empty"))
else:
    data_table(
        accounts.with_columns(
            pl.col("roles").list.eval(pl.element().replace(role_labels)).list.join("、"),
            pl.col("hrbp_departments").list.join("、"),
        ),
        key="users.table",
        file_stem=t("users.file"),
        scope="account",
    )
account_labels = {
    r["username"]: t("users.account_label", username=r["username"], name=r["display_name"] or "—")
    for r in accounts.iter_rows(named=True)
}

create_tab, roles_tab, password_tab, status_tab, requests_tab_ = st.tabs(
    [
        t("users.tab.create"),
        t("users.tab.roles"),
        t("users.tab.password"),
        t("users.tab.status"),
        t("users.tab.requests", n=len(pending)),
    ]
)
with requests_tab_:
    requests_tab()

with create_tab:
    kinds = option_labels("users.kind", ("roster", "standalone"))
    kind = st.radio(t("users.kind"), list(kinds), format_func=kinds.get, horizontal=True, key="users.create.kind")
    with st.form("users.create.form", border=True):
        employee_id = display_name = None
        if kind == "roster":
            people = access.people_without_account(db, user)
            people_labels = {
                r["employee_id"]: t(
                    "users.person_label",
                    employee_id=r["employee_id"],
                    name=r["name"],
                    department=r["department"] or "—",
                )
                for r in people.iter_rows(named=True)
            }
            employee_id = st.selectbox(
                t("users.employee"),
                list(people_labels),
                format_func=people_labels.get,
                index=None,
                placeholder=t("users.employee_placeholder"),
                key="users.create.employee",
            )
        else:
            display_name = st.text_input(t("users.display_name"), key="users.create.display_name")
        username = st.text_input(t("users.username"), help=t("users.username_help"), key="users.create.username")
        roles = st.multiselect(
            t("users.roles"),
            list(role_labels),
            format_func=role_labels.get,
            key="users.create.roles",
            placeholder=t("widget.choose_many"),
        )
        hrbp = st.multiselect(
            t("users.hrbp_departments"),
            list(department_labels),
            format_func=department_labels.get,
            help=t("users.hrbp_help"),
            placeholder=t("widget.choose_many"),
            key="users.create.hrbp",
        )
        password = st.text_input(
            t("users.password"), type="password", help=t("users.password_help"), key="users.create.password"
        )
        again = st.text_input(t("users.password_again"), type="password", key="users.create.password_again")
        create = st.form_submit_button(
            t("users.create"), type="primary", icon=":material/person_add:", key="users.create.submit"
        )
    if create:
        if kind == "roster" and employee_id is None:
            st.error(t("users.pick_employee"), icon=":material/error:")
        elif password != again:
            st.error(t("users.password_mismatch"), icon=":material/error:")
        else:
            try:
                change = access.create_account(
                    db,
                    user,
                    username,
                    password,
                    roles,
                    employee_id=employee_id,
                    display_name=display_name,
                    hrbp_departments=hrbp if "hrbp" in roles else (),
                )
            except UserError as err:
                st.error(error_text(err), icon=":material/error:")
            else:
                finished(change, "users.created", *CREATE_FIELDS)

if accounts.is_empty():
    st.stop()

with roles_tab:
    target = st.selectbox(
        t("users.account"), list(account_labels), format_func=account_labels.get, key="users.roles.account"
    )
    row = accounts.row(by_predicate=pl.col("username") == target, named=True)
    with st.form("users.roles.form", border=True):
        roles = st.multiselect(
            t("users.roles"),
            list(role_labels),
            default=row["roles"],
            format_func=role_labels.get,
            key=f"users.roles.roles.{target}",
            placeholder=t("widget.choose_many"),
        )
        hrbp = st.multiselect(
            t("users.hrbp_departments"),
            list(department_labels),
            default=[d for d in access.hrbp_department_ids(db, user, target) if d in department_labels],
            format_func=department_labels.get,
            help=t("users.hrbp_help"),
            placeholder=t("widget.choose_many"),
            key=f"users.roles.hrbp.{target}",
        )
        save = st.form_submit_button(
            t("users.save_roles"), type="primary", icon=":material/save:", key="users.roles.submit"
        )
    if save:
        try:
            change = access.set_roles(db, user, target, roles, hrbp if "hrbp" in roles else [])
        except UserError as err:
            st.error(error_text(err), icon=":material/error:")
        else:
            finished(change, "users.roles_saved")

with password_tab:
    target = st.selectbox(
        t("users.account"), list(account_labels), format_func=account_labels.get, key="users.password.account"
    )
    with st.form("users.password.form", border=True):
        password = st.text_input(
            t("users.new_password"), type="password", help=t("users.password_help"), key="users.password.password"
        )
        again = st.text_input(t("users.password_again"), type="password", key="users.password.again")
        confirmed = st.checkbox(t("users.confirm_reset", username=plain(target)), key="users.password.confirm")
        reset = st.form_submit_button(
            t("users.reset"), type="primary", icon=":material/lock_reset:", key="users.password.submit"
        )
    if reset:
        if password != again:
            st.error(t("users.password_mismatch"), icon=":material/error:")
        elif not confirmed:
            st.error(t("users.confirm_first"), icon=":material/error:")
        else:
            try:
                change = access.reset_password(db, user, target, password)
            except UserError as err:
                st.error(error_text(err), icon=":material/error:")
            else:
                finished(
                    change,
                    "users.password_reset",
                    "users.password.password",
                    "users.password.again",
                    "users.password.confirm",
                )

with status_tab:
    target = st.selectbox(
        t("users.account"), list(account_labels), format_func=account_labels.get, key="users.status.account"
    )
    row = accounts.row(by_predicate=pl.col("username") == target, named=True)
    state = "disabled" if row["disabled"] else "locked" if row["locked"] else "active"
    st.text(t("users.state", state=t(f"users.state.{state}")))
    if row["disabled"]:
        if st.button(t("users.enable"), icon=":material/person_check:", key="users.enable"):
            try:
                change = access.set_disabled(db, user, target, False)
            except UserError as err:
                st.error(error_text(err), icon=":material/error:")
            else:
                finished(change, "users.enabled")
    elif st.session_state.get(PENDING_DISABLE) != target:
        if st.button(t("users.disable"), icon=":material/person_off:", key="users.disable"):
            st.session_state[PENDING_DISABLE] = target
            st.rerun()
    else:
        st.warning(t("users.confirm_disable", username=plain(target)), icon=":material/warning:")
        yes, no = st.columns(2)
        if yes.button(t("users.disable_confirmed"), type="primary", key="users.disable_confirmed"):
            st.session_state.pop(PENDING_DISABLE, None)
            try:
                access.set_disabled(db, user, target, True)
            except UserError as err:
                st.error(error_text(err), icon=":material/error:")
            else:
                done(t("users.disabled", username=plain(target)))
        if no.button(t("users.cancel"), key="users.disable_cancelled"):
            st.session_state.pop(PENDING_DISABLE, None)
            st.rerun()
