"""Logins that hold under concurrency (issue 10, point 6): every attempt is counted before its argon2
check, so forty guesses at once get at most five checks; the per-address and global throttles; one
address cannot lock an account's owner out; usernames are case-insensitive; the password policy; and a
name that is no account never reaches the audit trail (point 9)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from core import auth, login_guard
from core.accounts import MIN_PASSWORD, common_passwords
from core.db import Database, open_database
from demo.logins import DEMO_PASSWORD
from tests.conftest import LOGINS
from tests.conftest import PASSWORD as FIXTURE_PASSWORD

PASSWORD = "Strong-pass-2024"
OWNER, ATTACKER, ELSEWHERE = "10.1.2.3", "203.0.113.9", "198.51.100.7"


@pytest.fixture
def db(tmp_path: Path):
    database = open_database(tmp_path / "logins.duckdb")
    auth.create_user(database, "test", "hr1", PASSWORD, ["hr"])
    yield database
    database.close()


class CountingVerify:
    """core.auth's argon2 check, counted (and slowed a little, so concurrent attempts overlap)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, delay: float = 0.0) -> None:
        self.real, self.delay, self.calls = auth._verify, delay, 0
        self.lock = threading.Lock()
        monkeypatch.setattr(auth, "_verify", self)

    def __call__(self, stored: str, password: str) -> bool:
        with self.lock:
            self.calls += 1
        time.sleep(self.delay)
        return self.real(stored, password)


def refused(db: Database, username: str, password: str, source: str | None = None) -> bool:
    try:
        auth.authenticate(db, username, password, source=source)
    except auth.LoginFailed as err:
        assert str(err) == auth.GENERIC_FAILURE  # every refusal is the one generic sentence
        return True
    return False


def test_forty_concurrent_wrong_guesses_get_at_most_five_checks(db: Database, monkeypatch) -> None:
    verify = CountingVerify(monkeypatch, delay=0.05)
    start = threading.Barrier(40)
    outcomes: list[bool] = []

    def guess(i: int) -> None:
        start.wait()  # all forty at once, as the Streamlit server's threads would
        outcomes.append(refused(db, "hr1", f"wrong-guess-{i}"))

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outcomes) == 40 and all(outcomes)
    assert 1 <= verify.calls <= login_guard.LOCK_AFTER_FAILURES
    checks = verify.calls
    assert refused(db, "hr1", PASSWORD)  # the right password during the lock
    assert verify.calls == checks  # ... refused without even a hash
    assert db.scalar("SELECT count(*) FROM login_attempts WHERE outcome IN ('failed', 'ok')") == checks


def test_one_address_cannot_lock_the_owner_out(db: Database, monkeypatch) -> None:
    assert auth.authenticate(db, "hr1", PASSWORD, source=OWNER).username == "hr1"  # HR's own desk
    verify = CountingVerify(monkeypatch)
    for i in range(8):
        assert refused(db, "hr1", f"guess-{i}", source=ATTACKER)
    assert verify.calls == login_guard.LOCK_AFTER_FAILURES  # five checks, then refused without a hash
    assert refused(db, "hr1", PASSWORD, source=ATTACKER)  # the right password from the attacker's address
    assert refused(db, "hr1", PASSWORD, source=ELSEWHERE)  # ... and from any address HR never used
    assert verify.calls == login_guard.LOCK_AFTER_FAILURES
    assert auth.authenticate(db, "hr1", PASSWORD, source=OWNER).username == "hr1"  # HR is not locked out
    lockouts = db.rows("SELECT actor, detail FROM audit_log WHERE action = 'lockout'")
    assert (
        lockouts == [{"actor": "system", "detail": lockouts[0]["detail"]}]
        and '"scope": "strangers"' in lockouts[0]["detail"]
    )
    assert f'"address": "{ATTACKER}"' in lockouts[0]["detail"]


def test_failures_from_the_owners_address_lock_that_address_only(db: Database) -> None:
    assert auth.authenticate(db, "hr1", PASSWORD, source=OWNER)
    for i in range(5):
        assert refused(db, "hr1", f"typo-{i}", source=OWNER)
    assert refused(db, "hr1", PASSWORD, source=OWNER)  # locked here, the right password included
    assert auth.authenticate(db, "hr1", PASSWORD, source=ELSEWHERE).username == "hr1"


def test_failures_spread_over_many_addresses_still_get_five_checks(db: Database, monkeypatch) -> None:
    verify = CountingVerify(monkeypatch)
    for i in range(12):
        assert refused(db, "hr1", "guess", source=f"192.0.2.{i + 1}")
    assert verify.calls == login_guard.LOCK_AFTER_FAILURES
    assert refused(db, "hr1", PASSWORD, source="192.0.2.200")


def test_an_address_is_throttled_whatever_names_it_types(db: Database, monkeypatch) -> None:
    monkeypatch.setenv("JIXIAO_LOGIN_ATTEMPTS_PER_ADDRESS", "3")
    verify = CountingVerify(monkeypatch)
    for name in ("zhang", "li", "wang"):
        assert refused(db, name, "whatever-1", source=ATTACKER)
    assert verify.calls == 3
    for _ in range(5):
        assert refused(db, "hr1", PASSWORD, source=ATTACKER)  # the right password too: refused at once
    assert verify.calls == 3
    assert auth.authenticate(db, "hr1", PASSWORD, source=OWNER).username == "hr1"  # other addresses unaffected
    throttled = db.rows("SELECT detail FROM audit_log WHERE action = 'login_throttled'")
    assert throttled == [{"detail": f'{{"address": "{ATTACKER}", "why": "throttled"}}'}]  # once, not per refusal
    # an IPv6 subscriber's whole /64 is one address
    assert login_guard.source_key("2001:db8:1:2::1") == login_guard.source_key("2001:db8:1:2:ffff::9")
    assert login_guard.source_key("::ffff:192.0.2.1") == "192.0.2.1"
    assert login_guard.source_key(None) == login_guard.source_key("not an address") == "?"


def test_a_global_ceiling_keeps_argon2_from_being_hammered(db: Database, monkeypatch) -> None:
    monkeypatch.setenv("JIXIAO_LOGIN_CHECKS_PER_MINUTE", "4")
    verify = CountingVerify(monkeypatch)
    for i in range(4):
        assert refused(db, "hr1", "guess", source=f"192.0.2.{i + 1}")
    assert verify.calls == 4
    started = time.perf_counter()
    assert refused(db, "hr1", PASSWORD, source=OWNER)  # quick, the same sentence, no hash
    assert verify.calls == 4 and time.perf_counter() - started < 0.5
    db.cursor().execute("UPDATE login_attempts SET started_at = started_at - INTERVAL 2 MINUTE")
    assert auth.authenticate(db, "hr1", PASSWORD, source=OWNER).username == "hr1"  # a minute later it works
    assert db.scalar("SELECT count(*) FROM audit_log WHERE action = 'login_throttled'") == 1


def test_the_proxy_header_is_trusted_only_when_configured(monkeypatch) -> None:
    spoofed = "1.2.3.4, 198.51.100.7"
    assert login_guard.client_source("203.0.113.9", spoofed) == "203.0.113.9"  # no proxy: the header is ignored
    monkeypatch.setenv("JIXIAO_PROXY_HOPS", "1")
    assert login_guard.client_source(None, spoofed) == "198.51.100.7"  # what our one proxy saw, not the client's claim
    monkeypatch.setenv("JIXIAO_PROXY_HOPS", "2")
    assert login_guard.client_source(None, spoofed) == "1.2.3.4"
    assert login_guard.client_source("10.0.0.1", None) == "10.0.0.1"


def test_what_is_typed_in_the_name_box_never_reaches_the_trail(db: Database, monkeypatch) -> None:
    verify = CountingVerify(monkeypatch)
    typed = ["x" * 100_000, "Secret-password-typed-here", "nobody"]
    for name in typed:
        assert refused(db, name, "some-password-1")
    assert verify.calls == 3  # the same steps as for an account: a (dummy) hash each
    stored = db.rows("SELECT actor, entity_id, detail FROM audit_log WHERE action = 'login_failed'")
    assert stored == [{"actor": "?", "entity_id": None, "detail": '{"why": "unknown_user"}'}] * 3
    everything = " ".join(
        str(v)
        for table in ("audit_log", "login_attempts")
        for r in db.rows(f"SELECT * FROM {table}")
        for v in r.values()
    )
    assert "xxxxxxxxxx" not in everything and "Secret-password" not in everything and "nobody" not in everything
    assert refused(db, "hr1", "y" * 100_000)  # a 100k password: refused without hashing it
    assert verify.calls == 3


def test_usernames_are_case_insensitive_and_unique(db: Database) -> None:
    made = auth.create_user(db, "test", "Wang.Li", "Another-pass-77", ["analyst"])
    assert (
        made.username == "wang.li" and db.scalar("SELECT username FROM users WHERE username LIKE 'wang%'") == "wang.li"
    )
    assert auth.authenticate(db, "WANG.LI", "Another-pass-77").username == "wang.li"
    assert auth.authenticate(db, "  wang.li ", "Another-pass-77").username == "wang.li"
    with pytest.raises(auth.UserError, match="已被使用"):
        auth.create_user(db, "test", "WANG.li", "Another-pass-77", ["analyst"])
    assert auth.get_user(db, "Wang.Li") is not None and auth.roles_of(db, "WANG.LI") == ["analyst"]
    auth.reset_password(db, "HR1", "Wang.Li", "Reset-pass-2024")  # names in any case, anywhere
    assert auth.authenticate(db, "wang.li", "Reset-pass-2024").must_change_password


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("Short-1", "至少 10 位"),
        ("no-digits-at-all", "至少 10 位"),
        ("1234567890123", "至少 10 位"),  # no letter
        ("Qwerty123456", "最常见的密码"),  # in the list, compared case-insensitively
        ("WOAINI1314520", "最常见的密码"),  # from the Chinese list
        ("zhangwei-2024", "不能包含用户名"),
        ("Z" * 250 + "1" * 10, "最多 256 位"),
    ],
)
def test_the_password_policy(db: Database, password: str, problem: str) -> None:
    with pytest.raises(auth.UserError, match=problem):
        auth.create_user(db, "test", "zhangwei", password, ["analyst"])
    assert db.scalar("SELECT count(*) FROM users WHERE username = 'zhangwei'") == 0


def test_the_demo_and_fixture_passwords_still_pass() -> None:
    for username in ("hr", "hrbp", "ceo", "head", "lead", "employee", "analyst", "admin", *LOGINS):
        auth.check_password_policy(DEMO_PASSWORD, username)
        auth.check_password_policy(FIXTURE_PASSWORD, username)


def test_the_common_password_list_is_what_the_policy_needs() -> None:
    common = common_passwords()
    assert len(common) > 400
    assert all(p == p.lower() and len(p) >= MIN_PASSWORD for p in common)  # shorter ones fail the length rule first
    assert {"1234567890", "qwertyuiop", "woaini1314", "5201314520", "basketball"} <= common
