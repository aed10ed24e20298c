"""Separation of duties for accounts (issue 10, point 3): a change that could give someone approver power
waits for a DIFFERENT HR or IT admin, who is not the account concerned; a reset ends the user's sessions
and forces a new password at the next login, which nothing else opens before (the 修改密码 gate)."""

from __future__ import annotations

from pathlib import Path

import pytest

from core import access, auth
from core.db import open_database
from tests.apptest import StartApp, all_text, open_page
from tests.conftest import PASSWORD


def as_user(db, username: str) -> auth.User:
    user = auth.get_user(db, username)
    assert user is not None
    return user


@pytest.fixture
def db(company_db: Path):
    database = open_database(company_db)
    # a second HR admin, made as the server's operator would: the command line acts directly
    auth.create_user(database, "cli", "hr2", "Second-hr-2024", ["hr"])
    yield database
    database.close()


def statuses(db) -> list[tuple[str, str]]:
    return [
        (r["kind"], r["status"]) for r in db.rows("SELECT kind, status FROM account_requests ORDER BY requested_at")
    ]


def test_an_approver_account_is_created_only_when_another_admin_confirms(db) -> None:
    hr, hr2 = as_user(db, "hr"), as_user(db, "hr2")
    filed = access.create_account(db, hr, "New.HR", "Fresh-pass-2024", ["hr"], display_name="新 HR")
    assert not filed.applied and filed.username == "new.hr" and filed.request_id
    assert auth.get_user(db, "new.hr") is None  # nothing yet
    assert db.scalar("SELECT password_hash FROM account_requests") != "Fresh-pass-2024"  # only its hash is kept
    with pytest.raises(auth.UserError, match="你自己提交的申请"):
        access.confirm_request(db, hr, filed.request_id)
    with pytest.raises(auth.UserError, match="已有一项待确认的申请"):
        access.create_account(db, hr2, "new.hr", "Fresh-pass-2024", ["hr"])
    (pending,) = access.pending_requests(db, hr2)
    assert pending["may_decide"] and pending["roles"] == ["hr"] and pending["requested_by"] == "hr"
    assert not access.pending_requests(db, hr)[0]["may_decide"]
    access.confirm_request(db, hr2, filed.request_id)
    assert auth.authenticate(db, "new.hr", "Fresh-pass-2024").roles == {"hr"}
    assert statuses(db) == [("create", "confirmed")]
    assert db.scalar("SELECT password_hash FROM account_requests") is None
    created = db.one("SELECT actor, detail FROM audit_log WHERE action = 'user_create' AND entity_id = 'new.hr'")
    assert created["actor"] == "hr2" and '"requested_by": "hr"' in created["detail"]
    assert [r["action"] for r in db.rows("SELECT action FROM audit_log WHERE entity_id = ?", [filed.request_id])] == [
        "account_request",
        "account_request_confirm",
    ]
    with pytest.raises(auth.UserError, match="没有待确认的申请"):  # confirmed once, not twice
        access.confirm_request(db, hr2, filed.request_id)


def test_accounts_without_approver_roles_change_at_once(db) -> None:
    hr = as_user(db, "hr")
    made = access.create_account(db, hr, "ana2", "Fresh-pass-2024", ["analyst"])
    assert made.applied and auth.get_user(db, "ana2") is not None
    assert access.set_roles(db, hr, "worker", ["employee", "analyst"]).applied
    assert statuses(db) == []


def test_granting_or_changing_an_approver_role_waits(db) -> None:
    hr, hr2 = as_user(db, "hr"), as_user(db, "hr2")
    filed = access.set_roles(db, hr, "worker", ["employee", "hr"])
    assert not filed.applied and auth.get_user(db, "worker").roles == {"employee"}
    worker_hr = access.set_roles(db, hr2, "analyst", ["analyst", "executive"])  # another account, another request
    assert not worker_hr.applied
    access.reject_request(db, hr2, filed.request_id, "不需要两个 HR 角色")
    assert auth.get_user(db, "worker").roles == {"employee"}
    with pytest.raises(auth.UserError, match="只有申请人"):
        access.withdraw_request(db, hr, worker_hr.request_id)
    access.withdraw_request(db, hr2, worker_hr.request_id)
    assert statuses(db) == [("roles", "rejected"), ("roles", "withdrawn")]
    # taking a role away from an approver account waits too (one HR cannot make themself the only one)
    assert not access.set_roles(db, hr, "hr2", ["employee"]).applied


def test_nobody_confirms_a_change_to_their_own_account(db) -> None:
    hr, hr2, admin = as_user(db, "hr"), as_user(db, "hr2"), as_user(db, "admin")
    filed = access.set_roles(db, hr, "hr2", ["hr", "analyst"])
    with pytest.raises(auth.UserError, match="你自己的账户"):
        access.confirm_request(db, hr2, filed.request_id)
    access.confirm_request(db, admin, filed.request_id)  # an IT admin is a second person too
    assert auth.get_user(db, "hr2").roles == {"hr", "analyst"}


def test_admin_rights_need_an_admin_at_both_ends(db) -> None:
    hr, admin = as_user(db, "hr"), as_user(db, "admin")
    with pytest.raises(auth.UserError, match="只有系统管理员"):
        access.create_account(db, hr, "it2", "Fresh-pass-2024", ["admin"])
    filed = access.create_account(db, admin, "it2", "Fresh-pass-2024", ["admin"])
    with pytest.raises(auth.UserError, match="只有系统管理员"):
        access.confirm_request(db, hr, filed.request_id)  # HR cannot confirm a new admin
    assert access.other_user_managers(db, admin) == ["hr", "hr2"]
    auth.create_user(db, "cli", "it2b", "Fresh-pass-2024", ["admin"])  # a second admin, by the operator
    access.confirm_request(db, as_user(db, "it2b"), filed.request_id)
    assert auth.roles_of(db, "it2") == ["admin"]


def test_a_reset_ends_the_users_sessions_and_forces_a_new_password(db) -> None:
    hr, worker = as_user(db, "hr"), as_user(db, "worker")
    tokens = [auth.start_session(db, worker) for _ in range(2)]
    assert access.reset_password(db, hr, "worker", "Reset-pass-2024").applied  # not an approver: at once
    assert all(auth.resume_session(db, token) is None for token in tokens)  # every session of theirs ended
    assert db.scalar("SELECT count(*) FROM sessions WHERE username = 'worker' AND end_reason = 'password_reset'") == 2
    user = auth.authenticate(db, "worker", "Reset-pass-2024")
    assert user.must_change_password
    session = auth.resume_session(db, auth.start_session(db, user))
    assert session is not None and session.must_change_password  # a reload still knows
    with pytest.raises(auth.UserError, match="不一致"):
        auth.change_own_password(db, session, "Mine-only-2024", "Mine-only-2025")
    with pytest.raises(auth.UserError, match="不能与现在的密码相同"):
        auth.change_own_password(db, session, "Reset-pass-2024", "Reset-pass-2024")
    with pytest.raises(auth.UserError, match="最常见的密码"):
        auth.change_own_password(db, session, "qwertyuiop123", "qwertyuiop123")
    changed = auth.change_own_password(db, session, "Mine-only-2024", "Mine-only-2024")
    assert (
        not changed.must_change_password and not auth.authenticate(db, "worker", "Mine-only-2024").must_change_password
    )
    row = db.one("SELECT actor, detail FROM audit_log WHERE action = 'password_change'")
    assert row == {"actor": "worker", "detail": '{"forced": true, "sessions_ended": 0}'}


def test_an_approvers_password_is_reset_only_with_a_second_person(db) -> None:
    hr, hr2 = as_user(db, "hr"), as_user(db, "hr2")
    bp_session = auth.start_session(db, as_user(db, "bp"))
    filed = access.reset_password(db, hr, "bp", "Reset-pass-2024")
    assert not filed.applied  # whoever sets an approver's password knows it
    assert auth.resume_session(db, bp_session) is not None
    assert auth.authenticate(db, "bp", PASSWORD).username == "bp"  # the old password still works
    access.confirm_request(db, hr2, filed.request_id)
    assert auth.resume_session(db, bp_session) is None
    assert auth.authenticate(db, "bp", "Reset-pass-2024").must_change_password


def test_disabling_acts_at_once_and_enabling_an_approver_waits(db) -> None:
    hr, hr2 = as_user(db, "hr"), as_user(db, "hr2")
    assert access.set_disabled(db, hr, "bp", True).applied
    filed = access.set_disabled(db, hr, "bp", False)
    assert not filed.applied and auth.get_user(db, "bp") is None
    access.confirm_request(db, hr2, filed.request_id)
    assert auth.get_user(db, "bp") is not None
    assert access.set_disabled(db, hr, "worker", True).applied and access.set_disabled(db, hr, "worker", False).applied


def test_a_request_that_is_no_longer_valid_is_refused_at_confirmation(db) -> None:
    hr, hr2 = as_user(db, "hr"), as_user(db, "hr2")
    filed = access.create_account(db, hr, "late", "Fresh-pass-2024", ["hr"])
    auth.create_user(db, "cli", "late", "Fresh-pass-2024", ["analyst"])  # the name was taken meanwhile
    with pytest.raises(auth.UserError, match="已被使用"):
        access.confirm_request(db, hr2, filed.request_id)
    assert statuses(db) == [("create", "pending")] and auth.roles_of(db, "late") == ["analyst"]


# -- the screens --------------------------------------------------------------------------------------


def test_the_only_hr_user_is_told_how_to_get_a_second(start_app: StartApp, company_db: Path) -> None:
    with open_database(company_db) as database:
        database.cursor().execute("UPDATE users SET disabled = true WHERE username = 'admin'")
    at = open_page(start_app(company_db), "pages/users.py")
    assert "python -m core.admin create-user" in all_text(at)


def test_after_a_reset_nothing_opens_but_change_password(start_app: StartApp, company_db: Path) -> None:
    with open_database(company_db) as database:
        auth.reset_password(database, "hr", "head", "Reset-pass-2024")
    at = start_app(company_db, login=None)
    at.text_input(key="login.username").input("HEAD")
    at.text_input(key="login.password").input("Reset-pass-2024")
    at.button(key="login.submit").click().run()
    assert [t.value for t in at.title] == ["修改密码"]
    for page in ("pages/org.py", "pages/team_rating.py", "pages/my_tasks.py"):
        with pytest.raises(ValueError, match=r"change_password\.py"):  # the navigation holds no other page
            at.switch_page(page)
    at.run()  # a rerun, a reload: still only 修改密码
    assert [t.value for t in at.title] == ["修改密码"] and not at.dataframe
    at.text_input(key="pwd.new").input("Own-choice-2024")
    at.text_input(key="pwd.again").input("Own-choice-2024x")
    at.button(key="pwd.submit").click().run()
    assert [e.value for e in at.error] == ["两次输入的新密码不一致：请重新输入。"]
    at.text_input(key="pwd.again").input("Own-choice-2024")
    at.button(key="pwd.submit").click().run()
    assert not at.exception and [t.value for t in at.title] == ["我的待办"]
    open_page(at, "pages/org.py")
    assert at.dataframe
    with open_database(company_db) as database:
        assert not auth.authenticate(database, "head", "Own-choice-2024").must_change_password
        assert database.scalar("SELECT count(*) FROM audit_log WHERE action = 'password_change'") == 1
