"""用户与权限 (HR): every account, and forms to create one (for a person in the roster, or an HR, admin
or analyst account), change roles and HRBP departments, reset a password, disable or enable.

Every form checks its fields first and shows core's Chinese reason when core refuses; disabling asks
for confirmation and resetting a password needs a tick that says what it does.
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

create_tab, roles_tab, password_tab, status_tab = st.tabs(
    [t("users.tab.create"), t("users.tab.roles"), t("users.tab.password"), t("users.tab.status")]
)

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
                access.create_account(
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
                done(t("users.created", username=plain(username.strip())), *CREATE_FIELDS)

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
            access.set_roles(db, user, target, roles, hrbp if "hrbp" in roles else [])
        except UserError as err:
            st.error(error_text(err), icon=":material/error:")
        else:
            done(t("users.roles_saved", username=plain(target)))

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
                access.reset_password(db, user, target, password)
            except UserError as err:
                st.error(error_text(err), icon=":material/error:")
            else:
                done(
                    t("users.password_reset", username=plain(target)),
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
            access.set_disabled(db, user, target, False)
            done(t("users.enabled", username=plain(target)))
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
