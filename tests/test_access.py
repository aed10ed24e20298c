"""Users, lockout, sessions, the audit chain and the row-level scope, in core (no UI)."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest

from core import audit, auth
from core.db import open_database
from core.permissions import SCREENS, Forbidden, can, require, scope_of, screens_for
from pipelines import import_file
from tests.test_legacy_import import write_xlsx

# 甲总 (GM) → 乙一 (head of 一车间) → 丙二 → 丁三 ; 戊四 heads 质量部 under 甲总, 己五 under 戊四
ROSTER = [
    ["工号", "姓名", "部门", "上级部门", "岗位", "直接上级"],
    ["000001", "甲总", "总经办", None, "总经理", None],
    ["000002", "乙一", "生产一车间", "生产中心", "车间主任", "000001"],
    ["000003", "丙二", "生产一车间", "生产中心", "班组长", "000002"],
    ["000004", "丁三", "生产一车间", "生产中心", "装配工", "000003"],
    ["000005", "戊四", "质量部", None, "质量经理", "000001"],
    ["000006", "己五", "质量部", None, "质检员", "000005"],
]
PASSWORD = "Passw0rd!-access"


@pytest.fixture
def db(tmp_path: Path):
    database = open_database(tmp_path / "a.duckdb")
    assert import_file(database, write_xlsx(tmp_path / "r.xlsx", {"S": ROSTER})).status == "loaded"
    yield database
    database.close()


def dept_id(db, name: str) -> str:
    return db.scalar("SELECT dept_id FROM departments WHERE name = ?", [name])


def make(db, username: str, roles: list[str], employee_id: str | None = None, depts: tuple[str, ...] = ()) -> auth.User:
    return auth.create_user(db, "test", username, PASSWORD, roles, employee_id=employee_id, hrbp_departments=depts)


def test_password_is_stored_as_argon2id(db) -> None:
    make(db, "hr1", ["hr"])
    stored = db.scalar("SELECT password_hash FROM users WHERE username = 'hr1'")
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_lockout_after_five_failures_with_one_generic_message(db) -> None:
    make(db, "m1", ["manager"], "000002")
    messages = set()
    for _ in range(5):
        with pytest.raises(auth.LoginFailed) as err:
            auth.authenticate(db, "m1", "wrong-password1")
        messages.add(str(err.value))
    with pytest.raises(auth.LoginFailed) as locked:  # right password, but locked now
        auth.authenticate(db, "m1", PASSWORD)
    messages.add(str(locked.value))
    with pytest.raises(auth.LoginFailed) as unknown:
        auth.authenticate(db, "nobody", PASSWORD)
    messages.add(str(unknown.value))
    assert messages == {auth.GENERIC_FAILURE}  # wrong user, wrong password, locked: one sentence
    assert db.scalar("SELECT max(until) FROM login_locks WHERE account = 'm1'") > dt.datetime.now()
    actions = [r["action"] for r in db.rows("SELECT action FROM audit_log WHERE entity_id = 'm1' ORDER BY seq")]
    assert actions.count("login_failed") == 6 and actions.count("lockout") == 1
    # what was typed in the name box is not an account: it is nowhere in the trail
    assert not db.scalar(
        "SELECT count(*) FROM audit_log WHERE concat_ws(' ', actor, entity_id, detail) LIKE '%nobody%'"
    )
    # after the lock expires the right password works again
    db.cursor().execute("UPDATE login_locks SET until = now()::TIMESTAMP - INTERVAL 1 DAY WHERE account = 'm1'")
    assert auth.authenticate(db, "m1", PASSWORD).username == "m1"


def test_failures_outside_the_window_do_not_lock(db) -> None:
    make(db, "m1", ["manager"], "000002")
    for _ in range(4):
        with pytest.raises(auth.LoginFailed):
            auth.authenticate(db, "m1", "bad-password9")
    db.cursor().execute("UPDATE login_attempts SET started_at = started_at - INTERVAL 20 MINUTE")
    with pytest.raises(auth.LoginFailed):
        auth.authenticate(db, "m1", "bad-password9")
    assert db.scalar("SELECT count(*) FROM login_locks WHERE account = 'm1'") == 0


def test_a_rerun_does_not_write_the_session_row_more_than_once_a_minute(db, monkeypatch) -> None:
    user = make(db, "e2", ["employee"], "000004")
    token = auth.start_session(db, user)
    digest = hashlib.sha256(token.encode()).hexdigest()

    def last_seen() -> dt.datetime:
        return db.scalar("SELECT last_seen FROM sessions WHERE token_sha256 = ?", [digest])

    db.cursor().execute("UPDATE sessions SET last_seen = last_seen - INTERVAL 30 SECOND")
    before = last_seen()
    for _ in range(5):  # five clicks within the minute: no write
        assert auth.resume_session(db, token) is not None
    assert last_seen() == before
    db.cursor().execute("UPDATE sessions SET last_seen = last_seen - INTERVAL 31 SECOND")
    assert auth.resume_session(db, token) is not None
    assert last_seen() > before  # a minute since the last write: touched once
    monkeypatch.setenv("JIXIAO_IDLE_MINUTES", "1")  # a short idle timeout is still honoured: touched at half of it
    assert auth.touch_interval() == dt.timedelta(seconds=30)


def test_a_session_has_an_absolute_lifetime_and_belongs_to_its_browser(db, monkeypatch) -> None:
    user = make(db, "e3", ["employee"], "000004")
    firefox, curl = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0", "curl/8.5.0"
    token = auth.start_session(db, user, user_agent=firefox)
    assert auth.resume_session(db, token, user_agent=firefox) is not None
    assert auth.resume_session(db, token, user_agent=curl) is None  # the token copied into another client
    assert auth.resume_session(db, token, user_agent=firefox) is None  # ... and the session is over for good
    assert db.scalar("SELECT end_reason FROM sessions WHERE username = 'e3'") == "user_agent"
    assert db.scalar("SELECT count(*) FROM audit_log WHERE action = 'session_refused' AND entity_id = 'e3'") == 1
    busy = auth.start_session(db, user, user_agent=firefox)
    # busy all day: never idle, but 12 hours after logging in the session ends all the same
    db.cursor().execute("UPDATE sessions SET created_at = created_at - INTERVAL 13 HOUR WHERE end_reason IS NULL")
    assert auth.resume_session(db, busy, user_agent=firefox) is None
    busy_hash = hashlib.sha256(busy.encode()).hexdigest()
    assert db.scalar("SELECT end_reason FROM sessions WHERE token_sha256 = ?", [busy_hash]) == "lifetime"
    monkeypatch.setenv("JIXIAO_SESSION_HOURS", "24")
    longer = auth.start_session(db, user, user_agent=firefox)
    db.cursor().execute("UPDATE sessions SET created_at = created_at - INTERVAL 13 HOUR WHERE end_reason IS NULL")
    assert auth.resume_session(db, longer, user_agent=firefox) is not None


def test_a_person_who_left_cannot_log_in_and_their_sessions_end(db) -> None:
    user = make(db, "e5", ["employee"], "000004")
    token = auth.start_session(db, user)
    db.cursor().execute("UPDATE employees SET status = 'left' WHERE employee_id = '000004'")
    assert auth.resume_session(db, token) is None  # the open session ends at its next click
    with pytest.raises(auth.LoginFailed):
        auth.authenticate(db, "e5", PASSWORD)  # the right password, and still the generic refusal
    assert (
        db.scalar("SELECT detail FROM audit_log WHERE action = 'login_failed' ORDER BY seq DESC LIMIT 1")
        == '{"why": "left"}'
    )


def test_sessions_idle_timeout_logout_and_disable(db, monkeypatch) -> None:
    user = make(db, "e1", ["employee"], "000004")
    token = auth.start_session(db, user)
    resumed = auth.resume_session(db, token)
    assert resumed is not None and (resumed.username, resumed.roles) == (user.username, user.roles)
    assert resumed.session == hashlib.sha256(token.encode()).hexdigest()  # reads are audited once per session
    assert db.scalar("SELECT count(*) FROM sessions WHERE token_sha256 = ?", [token]) == 0  # only the hash is kept
    db.cursor().execute("UPDATE sessions SET last_seen = last_seen - INTERVAL 31 MINUTE")
    assert auth.resume_session(db, token) is None  # idle past 30 minutes
    assert auth.resume_session(db, token) is None  # and it stays ended
    monkeypatch.setenv("JIXIAO_IDLE_MINUTES", "5")
    token2 = auth.start_session(db, user)
    db.cursor().execute("UPDATE sessions SET last_seen = last_seen - INTERVAL 6 MINUTE")
    assert auth.resume_session(db, token2) is None
    token3 = auth.start_session(db, user)
    auth.set_disabled(db, "hr", "e1")
    assert auth.resume_session(db, token3) is None  # an open session of a disabled user ends at once
    with pytest.raises(auth.LoginFailed):
        auth.authenticate(db, "e1", PASSWORD)
    auth.set_disabled(db, "hr", "e1", False)
    token4 = auth.start_session(db, auth.authenticate(db, "e1", PASSWORD))
    auth.end_session(db, token4)
    assert auth.resume_session(db, token4) is None
    assert {"session_expired", "logout", "user_disable", "user_enable"} <= {
        r["action"] for r in db.rows("SELECT action FROM audit_log")
    }


def test_user_management_refuses_bad_requests_in_chinese(db) -> None:
    make(db, "hr1", ["hr"])
    with pytest.raises(auth.UserError, match="已被使用"):
        make(db, "hr1", ["hr"])
    with pytest.raises(auth.UserError, match="至少 10 位"):
        auth.create_user(db, "t", "x1", "short", ["hr"])
    with pytest.raises(auth.UserError, match="角色无效"):
        auth.create_user(db, "t", "x2", PASSWORD, ["boss"])
    with pytest.raises(auth.UserError, match="不在花名册"):
        auth.create_user(db, "t", "x3", PASSWORD, ["employee"], employee_id="999999")
    with pytest.raises(auth.UserError, match="必须关联"):
        auth.create_user(db, "t", "x4", PASSWORD, ["employee"])
    with pytest.raises(auth.UserError, match="负责的部门"):
        auth.create_user(db, "t", "x5", PASSWORD, ["hrbp"])
    make(db, "e4", ["employee"], "000004")
    with pytest.raises(auth.UserError, match="已有账户"):
        make(db, "e4b", ["employee"], "000004")
    assert db.scalar("SELECT count(*) FROM users") == 2


def test_scope_per_role(db) -> None:
    gm = make(db, "gm", ["manager", "executive"], "000001")
    head = make(db, "head", ["manager"], "000002")
    lead = make(db, "lead", ["manager", "employee"], "000003")
    worker = make(db, "worker", ["employee"], "000004")
    bp = make(db, "bp", ["hrbp"], depts=(dept_id(db, "生产中心"),))
    hr = make(db, "hr", ["hr"])
    analyst = make(db, "ana", ["analyst"])
    s = scope_of(db, head)
    assert s.readable == {"000002", "000003", "000004"} and s.editable == {"000003"}  # skip-level is read-only
    assert scope_of(db, lead).editable == {"000004"}
    assert scope_of(db, worker).readable == {"000004"} and scope_of(db, worker).editable == set()
    assert scope_of(db, bp).readable == {"000002", "000003", "000004"}  # 生产一车间 sits under 生产中心
    assert scope_of(db, hr).readable is None and scope_of(db, hr).editable is None
    # an executive reads everyone and edits only their own direct reports, whom they rate as their manager
    assert scope_of(db, gm).readable is None and scope_of(db, gm).editable == {"000002", "000005"}
    assert not can(db, gm, "edit_employee", "000003")  # skip-level: read-only
    assert scope_of(db, analyst).readable == set()
    # tampered ids are refused in core
    assert not can(db, head, "read_employee", "000006")
    assert not can(db, worker, "read_employee", "000003")
    assert not can(db, head, "edit_employee", "000004")
    assert can(db, head, "edit_employee", "000003")
    with pytest.raises(Forbidden, match="没有权限"):
        require(db, analyst, "read_employee", "000004")


def test_navigation_per_role(db) -> None:
    users = {
        "employee": make(db, "wk", ["employee"], "000004"),
        "manager": make(db, "mg", ["manager"], "000002"),
        "hrbp": make(db, "bp", ["hrbp"], depts=(dept_id(db, "质量部"),)),
        "hr": make(db, "hr", ["hr"]),
        "executive": make(db, "ex", ["executive"]),
        "analyst": make(db, "an", ["analyst"]),
    }
    assert screens_for(users["employee"]) == [
        "my_tasks",
        "my_record",
        "goals",
        "midterm",
        "self_review",
        "signoff",
        "archive",
    ]
    assert "data_import" not in screens_for(users["manager"]) and "org" in screens_for(users["manager"])
    assert set(screens_for(users["hr"])) == set(SCREENS)
    assert screens_for(users["analyst"]) == ["overview"]
    assert screens_for(None) == []
    for role, user in users.items():
        assert can(db, user, "screen:users") == (role == "hr")
        assert can(db, user, "import") == (role == "hr")


def test_audit_chain_verifies_then_names_the_tampered_row(db) -> None:
    make(db, "hr1", ["hr"])
    for i in range(5):
        audit.log(db, "hr1", "export", "report", f"r{i}", {"rows": i})
    check = audit.verify_chain(db)
    assert check.ok and check.rows >= 7 and "完整" in check.message
    db.cursor().execute("UPDATE audit_log SET detail = '{\"rows\": 99}' WHERE entity_id = 'r2'")
    seq = db.scalar("SELECT seq FROM audit_log WHERE entity_id = 'r2'")
    broken = audit.verify_chain(db)
    assert not broken.ok and broken.first_broken_seq == seq and f"第 {seq} 行" in broken.message


def test_audit_chain_detects_a_deleted_row(db) -> None:
    for i in range(4):
        audit.log(db, "hr1", "export", "report", f"r{i}")
    seq = db.scalar("SELECT seq FROM audit_log WHERE entity_id = 'r1'")
    db.cursor().execute("DELETE FROM audit_log WHERE seq = ?", [seq])
    broken = audit.verify_chain(db)
    assert not broken.ok and broken.first_broken_seq == seq


def test_audit_row_rolls_back_with_its_change(db) -> None:
    before = db.scalar("SELECT count(*) FROM audit_log")
    with pytest.raises(RuntimeError), db.transaction() as cur:
        cur.execute("UPDATE employees SET name = 'X' WHERE employee_id = '000004'")
        audit.record(cur, "hr1", "user_update", "employee", "000004")
        raise RuntimeError("boom")
    assert db.scalar("SELECT count(*) FROM audit_log") == before
    assert db.scalar("SELECT name FROM employees WHERE employee_id = '000004'") == "丁三"
