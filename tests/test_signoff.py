"""core.signoff: what waits for whom, the result as the parties confirm it, confirming with the password,
objecting, HR upholding or returning, rounds, the ledger and audit rows of every step, and who may do
what. Driven through the fixture company's 生产部 (tests/signoff_drivers.py)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from core import appraisal_edits, archive, auth, calibration, clock, signoff, signoff_record
from core.db import Database, open_database
from core.errors import CoreError
from core.permissions import Forbidden, signoff_party
from tests.conftest import PASSWORD
from tests.cycles import install_templates
from tests.signoff_drivers import SignoffCycle, login_for, to_signoff
from tests.test_cycle import RATINGS, WORKER, dept, stage, version


@pytest.fixture
def db(company_db: Path) -> Iterator[Database]:
    with open_database(company_db) as database:
        install_templates(database)
        yield database


@pytest.fixture
def ticking(monkeypatch: pytest.MonkeyPatch) -> None:
    """core.clock moves on a second per call: steps that follow each other within one real second (a
    re-finalised department) stay in order."""
    start = clock.now()
    calls = iter(range(1_000_000))
    monkeypatch.setattr(clock, "now", lambda: start + dt.timedelta(seconds=next(calls)))


def ledger(db: Database, appraisal_id: str) -> list[dict]:
    return db.rows(
        "SELECT actor, role, action, record_sha256, pdf_sha256, detail FROM signoff_ledger WHERE appraisal_id = ?"
        " ORDER BY seq",
        [appraisal_id],
    )


def record_hash(db: Database, appraisal_id: str) -> str:
    return signoff_record.sha256(signoff_record.record(db.cursor(), appraisal_id))


def confirm(db: Database, c: SignoffCycle, who: str, appraisal_id: str, password: str = PASSWORD) -> signoff.Confirmed:
    return signoff.confirm(db, c.u[who], appraisal_id, password, version=version(db, appraisal_id))


# -- starting and what waits ---------------------------------------------------------------------------


def test_finalising_calibration_starts_round_one_and_both_parties_see_what_waits(db: Database) -> None:
    c = to_signoff(db)
    head = db.one("SELECT stage, signoff_round, signoff_since FROM appraisals WHERE appraisal_id = ?", [c.worker])
    assert head["stage"] == "signoff" and head["signoff_round"] == 1 and head["signoff_since"] is not None
    mine = signoff.waiting(db, c.u["worker"])
    row = mine.row(0, named=True)
    assert mine.height == 1 and row["appraisal_id"] == c.worker and row["party"] == "employee"
    assert row["due"] == head["signoff_since"].date() + dt.timedelta(days=7)  # the default deadline
    assert (row["days_overdue"], row["objection"], row["confirmed_by_other"]) == (0, None, False)
    team = signoff.waiting(db, c.u["head"])
    assert sorted(team.get_column("appraisal_id").to_list()) == sorted(c.ids.values())
    assert set(team.get_column("party").to_list()) == {"manager"}
    assert signoff.waiting(db, c.u["hr"]).is_empty()  # HR is no party


def test_the_result_shows_items_sources_scores_grades_and_how_the_total_was_computed(db: Database) -> None:
    c = to_signoff(db)
    res = signoff.result(db, c.u["worker"], c.worker)
    items = res["items"]
    assert items.height == 7 and {"weight", "target", "actual", "actual_source", "item_score"} <= set(items.columns)
    out = items.filter(kpi_id="T-OUT").row(0, named=True)
    assert (out["target"], out["actual"], out["actual_source"]) == (100.0, 80.0, "主管录入")
    assert res["grade"] == res["effective_grade"] == "B" and res["party"] == "employee"
    assert res["may_confirm"] and res["may_object"] and res["document"] is None
    formula = str(res["formula"])
    assert formula.startswith("总分 = Σ（各项得分 × 权重）÷ 100 = (") and f"{res['final_score']:.1f} 分" in formula
    assert "等级「B」" in formula and "A ≥ 90、B ≥ 70、C" in formula
    assert "Total = " in res["formula"].render("en")
    audited = db.scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'read_appraisal' AND entity_id = ? AND actor = 'worker'",
        [c.worker],
    )
    assert audited >= 1


def test_a_calibrated_grade_is_explained_with_its_note(db: Database) -> None:
    c = to_signoff(db, finalise=False)
    a = c.ids["00103"]
    calibration.calibrate(db, c.u["hr"], a, "A", "年底攻坚表现突出", version=version(db, a))
    calibration.finalise_department(db, c.u["hr"], c.cycle_id, dept(db, "生产部"), override_reason="试点")
    formula = str(signoff.result(db, c.u["head"], a)["formula"])
    assert "校准后等级为「A」（校准前「B」）：年底攻坚表现突出" in formula


# -- confirming ---------------------------------------------------------------------------------------


def test_both_confirm_then_the_pdf_is_issued_and_the_appraisal_closes(db: Database) -> None:
    c = to_signoff(db)
    first = confirm(db, c, "worker", c.worker)
    assert (first.party, first.both, first.document) == ("employee", False, None)
    assert signoff.waiting(db, c.u["worker"]).is_empty()
    row = signoff.waiting(db, c.u["head"]).filter(appraisal_id=c.worker).row(0, named=True)
    assert row["confirmed_by_other"] is True
    with pytest.raises(CoreError, match=r"你已于 .* 确认过这份结果"):
        confirm(db, c, "worker", c.worker)
    second = confirm(db, c, "head", c.worker)
    assert (second.party, second.both, second.document) == ("manager", True, f"{WORKER}/{c.cycle_id}.pdf")
    assert stage(db, c.worker) == "closed"
    rows = db.rows(
        "SELECT party, actor, employee_id, deemed FROM signoff_confirmations WHERE appraisal_id = ? ORDER BY party",
        [c.worker],
    )
    assert rows == [
        {"party": "employee", "actor": "worker", "employee_id": WORKER, "deemed": False},
        {"party": "manager", "actor": "head", "employee_id": "00101", "deemed": False},
    ]
    steps = ledger(db, c.worker)
    assert [(s["actor"], s["role"], s["action"]) for s in steps] == [
        ("worker", "employee", "confirmation"), ("head", "manager", "confirmation"), ("head", "system", "pdf_issued"),
    ]  # fmt: skip
    assert {s["record_sha256"] for s in steps} == {record_hash(db, c.worker)}  # the record never moved
    document = db.one("SELECT path, pdf_sha256 FROM signoff_documents WHERE appraisal_id = ?", [c.worker])
    assert document["path"] == second.document and steps[-1]["pdf_sha256"] == document["pdf_sha256"]
    assert (db.path.parent / "archive" / document["path"]).read_bytes().startswith(b"%PDF")  # written on commit
    events = db.rows(
        "SELECT actor, role, action, to_stage FROM stage_events WHERE appraisal_id = ? AND from_stage = 'signoff'"
        " ORDER BY seq",
        [c.worker],
    )
    assert [(e["actor"], e["role"], e["action"], e["to_stage"]) for e in events] == [
        ("worker", "employee", "sign", "signoff"), ("head", "manager", "sign", "signoff"),
        ("system", "system", "complete_signoff", "closed"),
    ]  # fmt: skip
    audited = db.rows(
        "SELECT actor, detail FROM audit_log WHERE action = 'signoff_confirmation' AND entity_id = ? ORDER BY seq",
        [c.worker],
    )
    assert [a["actor"] for a in audited] == ["worker", "head"]
    assert json.loads(audited[0]["detail"])["record_sha256"] == record_hash(db, c.worker)
    closed = signoff.result(db, c.u["worker"], c.worker)
    assert closed["document"] == second.document and not closed["may_confirm"] and not closed["may_object"]
    assert [x["party"] for x in closed["confirmations"]] == ["employee", "manager"]


def test_a_pdf_that_cannot_be_issued_leaves_nothing_half_recorded(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = to_signoff(db)
    confirm(db, c, "worker", c.worker)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("font file missing")

    monkeypatch.setattr(archive, "issue", broken)
    with pytest.raises(CoreError, match=r"确认未保存：生成或签署考核.*的 PDF 时出错"):
        confirm(db, c, "head", c.worker)
    assert db.scalar("SELECT count(*) FROM signoff_confirmations WHERE appraisal_id = ?", [c.worker]) == 1
    assert [s["action"] for s in ledger(db, c.worker)] == ["confirmation"] and stage(db, c.worker) == "signoff"


def test_a_wrong_password_is_refused_recorded_and_counts_like_a_failed_login(db: Database) -> None:
    c = to_signoff(db)
    with pytest.raises(auth.PasswordRefused, match="密码不正确，结果未确认"):
        confirm(db, c, "worker", c.worker, "wrong-Passw0rd")
    assert db.scalar("SELECT count(*) FROM signoff_confirmations") == 0
    assert db.scalar("SELECT count(*) FROM signoff_ledger") == 0
    failed = db.rows("SELECT actor, detail FROM audit_log WHERE action = 'login_failed'")
    assert len(failed) == 1 and failed[0]["actor"] == "worker"
    assert json.loads(failed[0]["detail"]) == {"why": "password", "during": "signoff_confirm", "recent_failures": 1}
    assert db.scalar("SELECT count(*) FROM login_attempts WHERE account = 'worker' AND outcome = 'failed'") == 1
    for _ in range(4):
        with pytest.raises(auth.PasswordRefused):
            confirm(db, c, "worker", c.worker, "wrong-Passw0rd")
    # five failures lock the account: now even the right password is refused, and so is a login
    with pytest.raises(auth.PasswordRefused, match="账户已暂时锁定"):
        confirm(db, c, "worker", c.worker)
    with pytest.raises(auth.LoginFailed):
        auth.authenticate(db, "worker", PASSWORD)
    assert db.scalar("SELECT count(*) FROM audit_log WHERE action = 'lockout' AND entity_id = 'worker'") == 1
    assert db.scalar("SELECT count(*) FROM signoff_confirmations") == 0


def test_a_refusal_that_no_password_could_lift_is_said_before_the_password_is_checked(db: Database) -> None:
    c = to_signoff(db, finalise=False)
    with pytest.raises(CoreError, match="不在签字确认中"):
        confirm(db, c, "worker", c.worker, "wrong-Passw0rd")
    with pytest.raises(CoreError, match=r"已被 .* 修改"):
        signoff.confirm(db, c.u["worker"], c.worker, PASSWORD, version=version(db, c.worker) - 1)
    assert db.scalar("SELECT count(*) FROM login_attempts") == 0  # no attempt was spent


# -- who may --------------------------------------------------------------------------------------------


def test_another_employee_can_neither_read_nor_confirm_and_readers_cannot_confirm(db: Database) -> None:
    c = to_signoff(db)
    other = login_for(db, "00103")
    with pytest.raises(Forbidden):
        signoff.result(db, other, c.worker)
    with pytest.raises(Forbidden):
        signoff.trail(db, other, c.worker)
    with pytest.raises(Forbidden):
        signoff.confirm(db, other, c.worker, PASSWORD, version=version(db, c.worker))
    with pytest.raises(Forbidden):
        signoff.object_to(db, other, c.worker, "不公平", version=version(db, c.worker))
    denied = db.scalar("SELECT count(*) FROM audit_log WHERE action = 'access_denied' AND actor = ?", [other.username])
    assert denied >= 3
    assert signoff.waiting(db, other).get_column("appraisal_id").to_list() == [c.ids["00103"]]  # only their own
    # readers who are no party: HR and the executive read, neither confirms
    for reader in ("hr", "exec"):
        assert signoff.result(db, c.u[reader], c.worker)["party"] is None
        with pytest.raises(Forbidden, match="只有员工本人和其直属主管可以确认"):
            signoff.confirm(db, c.u[reader], c.worker, PASSWORD, version=version(db, c.worker))
    # the manager confirms, but never objects
    with pytest.raises(Forbidden, match="只有员工本人可以"):
        signoff.object_to(db, c.u["head"], c.worker, "不同意", version=version(db, c.worker))
    assert db.scalar("SELECT count(*) FROM signoff_confirmations") == 0


def test_a_manager_confirms_their_own_appraisal_only_as_its_employee() -> None:
    boss = auth.User("boss", frozenset({"manager", "employee"}), "00101")
    own = {"employee_id": "00101", "manager_id": "00101", "rater_id": "00101"}
    assert signoff_party(boss, own) == "employee"
    assert signoff_party(boss, {"employee_id": "00102", "manager_id": "00109", "rater_id": "00101"}) == "manager"
    assert signoff_party(boss, {"employee_id": "00102", "manager_id": "00109", "rater_id": None}) is None
    plain = auth.User("plain", frozenset({"employee"}), "00101")  # no people-manager role
    assert signoff_party(plain, {"employee_id": "00102", "manager_id": "00101", "rater_id": None}) is None


# -- objections ----------------------------------------------------------------------------------------


def test_an_objection_holds_both_confirmations_until_hr_upholds_it(db: Database) -> None:
    c = to_signoff(db)
    with pytest.raises(CoreError, match="异议理由"):
        signoff.object_to(db, c.u["worker"], c.worker, "   ", version=version(db, c.worker))
    objection_id = signoff.object_to(
        db, c.u["worker"], c.worker, "5S 检查当天我在外培训", version=version(db, c.worker)
    )
    assert objection_id == f"{c.worker}:R1"
    for who in ("worker", "head"):
        with pytest.raises(CoreError, match="等待人力资源部处理"):
            confirm(db, c, who, c.worker)
    with pytest.raises(CoreError, match="请勿重复提交"):
        signoff.object_to(db, c.u["worker"], c.worker, "再说一次", version=version(db, c.worker))
    assert signoff.waiting(db, c.u["worker"]).row(0, named=True)["objection"] == "open"
    with pytest.raises(Forbidden):
        signoff.objections(db, c.u["head"])
    listed = signoff.objections(db, c.u["hr"])
    assert listed.select("objection_id", "status", "reason").rows() == [(objection_id, "open", "5S 检查当天我在外培训")]
    with pytest.raises(CoreError, match="处理意见"):
        signoff.resolve(db, c.u["hr"], objection_id, "uphold", "")
    with pytest.raises(CoreError, match="处理方式"):
        signoff.resolve(db, c.u["hr"], objection_id, "ignore", "不处理")
    signoff.resolve(db, c.u["hr"], objection_id, "uphold", "已核实抽检记录，结果维持")
    with pytest.raises(CoreError, match="不能再次处理"):
        signoff.resolve(db, c.u["hr"], objection_id, "return", "改主意")
    seen = signoff.result(db, c.u["worker"], c.worker)
    assert [(o["status"], o["reply"]) for o in seen["objections"]] == [("upheld", "已核实抽检记录，结果维持")]
    assert seen["may_confirm"] and not seen["may_object"]
    with pytest.raises(CoreError, match="同一轮确认只能提出一次异议"):
        signoff.object_to(db, c.u["worker"], c.worker, "还是不服", version=version(db, c.worker))
    confirm(db, c, "head", c.worker)
    assert confirm(db, c, "worker", c.worker).both and stage(db, c.worker) == "closed"
    actions = [s["action"] for s in ledger(db, c.worker)]
    assert actions == ["objection", "resolution", "confirmation", "confirmation", "pdf_issued"]
    resolution = json.loads(ledger(db, c.worker)[1]["detail"])
    assert resolution == {"objection_id": objection_id, "decision": "uphold", "reply": "已核实抽检记录，结果维持"}
    notes = signoff.trail(db, c.u["worker"], c.worker).get_column("note").to_list()
    assert notes[:2] == ["5S 检查当天我在外培训", "已核实抽检记录，结果维持"]


@pytest.mark.usefixtures("ticking")
def test_a_returned_objection_ends_the_round_and_the_next_finalise_starts_round_two(db: Database) -> None:
    c = to_signoff(db)
    confirm(db, c, "head", c.worker)  # the manager's round-1 confirmation
    objection_id = signoff.object_to(db, c.u["worker"], c.worker, "团队协作评分偏低", version=version(db, c.worker))
    with pytest.raises(CoreError, match="请填写处理意见"):
        signoff.resolve(db, c.u["hr"], objection_id, "return", " ")
    signoff.resolve(db, c.u["hr"], objection_id, "return", "请与员工面谈后重新评定团队协作")
    assert stage(db, c.worker) == "manager_rating"
    note = db.scalar(
        "SELECT comment FROM stage_events WHERE appraisal_id = ? AND action = 'return_objection'", [c.worker]
    )
    assert note == "请与员工面谈后重新评定团队协作"
    assert db.scalar("SELECT calibrated_grade FROM appraisals WHERE appraisal_id = ?", [c.worker]) is None
    assert signoff.waiting(db, c.u["worker"]).is_empty()
    # the manager rates again; the department is finalised again: round 2, and round 1's confirmation is gone
    ratings = {**RATINGS, "T-TEAM": {"manager_input": 5}, "T-ATT": {"manager_input": 10}}
    appraisal_edits.save_rating(db, c.u["head"], c.worker, ratings, version=version(db, c.worker))
    appraisal_edits.act(db, c.u["head"], c.worker, "submit_rating", version=version(db, c.worker))
    calibration.finalise_department(db, c.u["hr"], c.cycle_id, dept(db, "生产部"))
    assert db.scalar("SELECT signoff_round FROM appraisals WHERE appraisal_id = ?", [c.worker]) == 2
    again = signoff.waiting(db, c.u["head"]).filter(appraisal_id=c.worker)
    assert again.height == 1 and again.row(0, named=True)["objection"] is None
    fresh = signoff.result(db, c.u["worker"], c.worker)
    assert fresh["round"] == 2 and fresh["confirmations"] == [] and fresh["may_object"]
    assert [o["status"] for o in fresh["objections"]] == ["returned"]  # the trail keeps round 1
    confirm(db, c, "worker", c.worker)
    assert confirm(db, c, "head", c.worker).both and stage(db, c.worker) == "closed"
    assert db.scalar("SELECT round FROM signoff_documents WHERE appraisal_id = ?", [c.worker]) == 2
    rounds = db.rows("SELECT round, party FROM signoff_confirmations WHERE appraisal_id = ? ORDER BY round, party",
                     [c.worker])  # fmt: skip
    assert [(r["round"], r["party"]) for r in rounds] == [(1, "manager"), (2, "employee"), (2, "manager")]


def test_hr_cannot_resolve_an_objection_to_their_own_appraisal(db: Database) -> None:
    hr_self = auth.create_user(db, "fixture", "hr103", PASSWORD, ["hr", "employee"], employee_id="00103")
    c = to_signoff(db)
    mine = c.ids["00103"]
    objection_id = signoff.object_to(db, hr_self, mine, "我的产量统计有误", version=version(db, mine))
    assert signoff.objections(db, hr_self).select("objection_id", "own").rows() == [(objection_id, True)]
    assert signoff.objections(db, c.u["hr"]).select("objection_id", "own").rows() == [(objection_id, False)]
    with pytest.raises(
        Forbidden, match="这是你本人的考核，你不能处理对自己考核的异议：请由另一位人力资源管理员（hr）处理"
    ):
        signoff.resolve(db, hr_self, objection_id, "uphold", "维持")
    assert db.scalar("SELECT status FROM signoff_objections WHERE objection_id = ?", [objection_id]) == "open"
    signoff.resolve(db, c.u["hr"], objection_id, "uphold", "已复核，维持")  # another HR user may


def test_the_pdf_is_issued_in_the_language_of_whoever_completes_the_sign_off(db: Database) -> None:
    import io

    from pypdf import PdfReader

    c = to_signoff(db)
    confirm(db, c, "worker", c.worker)
    done = signoff.confirm(db, c.u["head"], c.worker, PASSWORD, version=version(db, c.worker), lang="en")
    assert done.both
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO((db.path.parent / "archive" / done.document)
                                                                  .read_bytes())).pages).replace("\x00", "")  # fmt: skip
    assert "Performance appraisal result" in text and "绩效考核结果确认书" not in text
