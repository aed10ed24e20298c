"""Three-step approval of KPI and template changes (core/kpi_changes.py) on the fixture org of test_kpi.

Routing in the org: 生产部 D1 (head H1 → VP V1), 质检部 D2 (head H2 → V1), 销售部 D3 (head H3 → VP V2),
行政部 D4 without a head; HRBP bp1 follows D1 and D2, bp3 follows D3; the CEO account is an executive
not linked to an employee and covers every department.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from core import audit, kpi_changes
from core.auth import User
from core.db import Database
from core.errors import KpiError
from core.kpi import get_kpi, quarter_start, template_in_force, template_versions
from core.kpi_changes import (
    change_diff,
    decide,
    get_change,
    kpi_history,
    list_changes,
    my_queue,
    my_requests,
    propose_change,
    template_date_problems,
    template_history,
    withdraw,
)
from core.permissions import Forbidden, executive_covers
from core.settings import set_category_bands
from tests.test_kpi import ITEMS, LIBRARY, build_org

Org = tuple[Database, dict[str, User]]
APPROVERS = {1: "head1", 2: "bp1", 3: "vp1"}  # the approvers of a change concerning 生产部 D1
OUTSIDERS = {1: "head2", 2: "bp3", 3: "vp2"}  # each one's counterpart for another department
Q1 = quarter_start(dt.date.today())  # the quarter in force: P1's first template starts here
Q2 = quarter_start(Q1 + dt.timedelta(days=100))  # the next quarter, which the changes propose
NEW_ITEMS = [
    {"kpi_id": "K-OUT", "weight": 30, "target": 210, "floor": 160, "stretch": 250},
    {"kpi_id": "K-YIELD", "weight": 30, "target": 98.5},
    {"kpi_id": "K-SAFE", "weight": 25},
    {"kpi_id": "K-TEAM", "weight": 15},
]


@pytest.fixture
def org(fresh_db: Database) -> Org:
    users = build_org(fresh_db)
    from core.kpi import write_template_version

    with fresh_db.transaction() as cur:  # P1's Q1 template, as an import would have loaded it
        write_template_version(cur, "P1", Q1, ITEMS, "import")
        # a team lead of 生产部 under its head: the one who files most requests here, and decides none of them
        cur.execute("INSERT INTO employees (employee_id, name, dept_id, position_id, manager_id) VALUES"
                    " ('L1', '生产班长', 'D1', 'P1', 'H1')")  # fmt: skip
    return fresh_db, {**users, "lead1": User("lead1", frozenset({"manager"}), "L1")}


def weights(db: Database, position_id: str, on: dt.date) -> dict[str, float]:
    found = template_in_force(db, position_id, on)
    return {} if found is None else {i["kpi_id"]: i["weight"] for i in found["items"]}


def propose_template(db: Database, users: dict[str, User], by: str = "lead1") -> str:
    payload = {"position_id": "P1", "valid_from": Q2.isoformat(), "items": NEW_ITEMS}
    return propose_change(db, users[by], "template", payload, "二季度产能提升，质量权重上调")


def trail(db: Database, change_id: str) -> list[tuple[str, str]]:
    rows = audit.entries(db, entity_id=change_id).sort("seq")
    return list(zip(rows["actor"].to_list(), rows["action"].to_list(), strict=True))


# -- the full path ------------------------------------------------------------------------------------


def test_three_approvals_in_turn_apply_a_template_change(org: Org) -> None:
    db, users = org
    change_id = propose_template(db, users)
    change = get_change(db, change_id)
    assert change is not None
    assert (change["status"], change["step"], change["dept_id"], change["subject_id"]) == ("pending", 1, "D1", "P1")
    assert change["before"]["version"] == 1 and len(change["before"]["items"]) == 4
    assert change["payload"]["items"][0]["weight"] == 30
    assert [c["change_id"] for c in my_requests(db, users["lead1"])] == [change_id]

    for step, approver in APPROVERS.items():
        # only this step's approver sees it in their queue, and nothing has changed yet
        for other in {"lead1", "head1", "bp1", "vp1", "head2", "bp3", "vp2", "hr"} - {approver}:
            assert my_queue(db, users[other]) == [], (step, other)
        assert [c["change_id"] for c in my_queue(db, users[approver])] == [change_id]
        assert weights(db, "P1", Q2)["K-OUT"] == 40
        assert len(template_versions(db, "P1")) == 1
        change = decide(db, users[approver], change_id, step, True, f"第 {step} 步同意")
    assert change["status"] == "approved" and change["decided_at"] is not None
    assert [(s["step"], s["approver"], s["decision"]) for s in change["steps"]] == [
        (1, "head1", "approved"), (2, "bp1", "approved"), (3, "vp1", "approved"),
    ]  # fmt: skip

    # a new version from Q2 on; Q1 keeps the version it had
    assert [v["version"] for v in template_versions(db, "P1")] == [1, 2]
    assert weights(db, "P1", Q2 - dt.timedelta(days=1)) == {"K-OUT": 40, "K-YIELD": 20, "K-SAFE": 25, "K-TEAM": 15}
    assert weights(db, "P1", Q2) == {"K-OUT": 30, "K-YIELD": 30, "K-SAFE": 25, "K-TEAM": 15}
    new = template_in_force(db, "P1", Q2 + dt.timedelta(days=30))
    assert new is not None and new["change_id"] == change_id and new["created_by"] == "vp1"
    assert {i["kpi_id"]: i["target"] for i in new["items"]}["K-OUT"] == 210
    assert all(my_queue(db, users[u]) == [] for u in APPROVERS.values())

    # every step is audited, in order, and the chain still verifies
    assert trail(db, change_id) == [
        ("lead1", "kpi_change_propose"), ("head1", "kpi_change_approve"), ("bp1", "kpi_change_approve"),
        ("vp1", "kpi_change_approve"),
    ]  # fmt: skip
    last = audit.entries(db, entity_id=change_id)["detail"][0]
    assert json.loads(last)["applied"] == {"position_id": "P1", "template_version": 2}
    assert audit.verify_chain(db).ok

    history = template_history(db, "P1")
    assert len(history) == 1
    entry = history[0]
    assert entry["requested_by"] == "lead1" and entry["reason"] == "二季度产能提升，质量权重上调"
    assert entry["before"]["items"][0] == {"kpi_id": "K-OUT", "weight": 40.0, "target": 200.0, "floor": 150.0,
                                           "stretch": 240.0}  # fmt: skip
    assert entry["after"]["items"][0]["weight"] == 30
    assert [(s["approver"], s["comment"]) for s in entry["steps"]] == [
        ("head1", "第 1 步同意"), ("bp1", "第 2 步同意"), ("vp1", "第 3 步同意"),
    ]  # fmt: skip


@pytest.mark.parametrize("rejected_at", [1, 2, 3])
def test_a_rejection_at_any_step_closes_the_request_and_applies_nothing(org: Org, rejected_at: int) -> None:
    db, users = org
    change_id = propose_template(db, users)
    for step in range(1, rejected_at):
        decide(db, users[APPROVERS[step]], change_id, step, True, "同意")
    with pytest.raises(KpiError, match="驳回需要填写意见"):
        decide(db, users[APPROVERS[rejected_at]], change_id, rejected_at, False, "  ")
    change = decide(db, users[APPROVERS[rejected_at]], change_id, rejected_at, False, "权重调整依据不足")
    assert change["status"] == "rejected" and change["steps"][-1]["decision"] == "rejected"
    assert len(change["steps"]) == rejected_at
    assert [v["version"] for v in template_versions(db, "P1")] == [1]
    assert weights(db, "P1", Q2)["K-OUT"] == 40
    assert all(my_queue(db, users[u]) == [] for u in APPROVERS.values())
    # the request is closed: no later step (nor the same one again) can be decided
    for step in range(rejected_at, 4):
        with pytest.raises(KpiError):
            decide(db, users[APPROVERS[step]], change_id, step, True, "同意")
    assert trail(db, change_id)[-1] == (APPROVERS[rejected_at], "kpi_change_reject")
    assert len(trail(db, change_id)) == rejected_at + 1
    assert template_history(db, "P1")[0]["status"] == "rejected"
    assert audit.verify_chain(db).ok


# -- refusals -------------------------------------------------------------------------------------------


def test_a_step_cannot_be_skipped_or_taken_early(org: Org) -> None:
    db, users = org
    change_id = propose_template(db, users)
    with pytest.raises(KpiError, match=r"等待第 1 步.*不能跳过"):
        decide(db, users["bp1"], change_id, 2, True, "同意")
    with pytest.raises(KpiError, match="等待第 1 步"):
        decide(db, users["vp1"], change_id, 3, True, "同意")
    decide(db, users["head1"], change_id, 1, True, "同意")
    with pytest.raises(KpiError, match="等待第 2 步"):
        decide(db, users["vp1"], change_id, 3, True, "同意")
    with pytest.raises(KpiError, match="步骤 4 无效"):
        decide(db, users["vp1"], change_id, 4, True, "同意")
    change = get_change(db, change_id)
    assert change is not None and change["step"] == 2 and len(change["steps"]) == 1
    assert len(template_versions(db, "P1")) == 1
    assert len(trail(db, change_id)) == 2  # a refused decision writes nothing


@pytest.mark.parametrize("step", [1, 2, 3])
def test_an_approver_outside_their_scope_is_refused_at_each_step(org: Org, step: int) -> None:
    db, users = org
    change_id = propose_template(db, users)
    for earlier in range(1, step):
        decide(db, users[APPROVERS[earlier]], change_id, earlier, True, "同意")
    # the same role for another department, HR, an employee and an analyst may not decide this step
    for outsider in (OUTSIDERS[step], "hr", "worker", "analyst"):
        with pytest.raises(Forbidden, match=f"第 {step} 步的审批人"):
            decide(db, users[outsider], change_id, step, True, "同意")
    # nor may the approver of another step
    for other_step, approver in APPROVERS.items():
        if other_step != step:
            with pytest.raises(Forbidden):
                decide(db, users[approver], change_id, step, True, "同意")
    change = get_change(db, change_id)
    assert change is not None and change["step"] == step and change["status"] == "pending"
    assert len(change["steps"]) == step - 1
    # each refusal left a trace, and nothing else was written
    denied = [(a, json.loads(d)["step"]) for a, d in zip(*audit.entries(db, action="access_denied", entity_id=change_id)
                                                            .sort("seq")[["actor", "detail"]], strict=True)]  # fmt: skip
    assert denied == [(u, step) for u in (OUTSIDERS[step], "hr", "worker", "analyst")] + [
        (a, step) for s, a in APPROVERS.items() if s != step
    ]
    assert [a for a in trail(db, change_id) if a[1] != "access_denied"] == trail(db, change_id)[:step]
    decide(db, users[APPROVERS[step]], change_id, step, True, "同意")  # the right approver still can
    assert audit.verify_chain(db).ok


def test_one_person_decides_one_step_of_a_request(org: Org) -> None:
    db, users = org
    both = User("bp-vp", frozenset({"hrbp", "executive"}))  # an HRBP of 生产部 who is also an executive covering all
    with db.transaction() as cur:
        cur.execute("INSERT INTO hrbp_scope (username, dept_id) VALUES ('bp-vp', 'D1')")
    change_id = propose_template(db, users)
    decide(db, users["head1"], change_id, 1, True, "同意")
    decide(db, both, change_id, 2, True, "同意")
    assert my_queue(db, both) == [] and len(my_queue(db, users["vp1"])) == 1
    with pytest.raises(Forbidden, match="已审批过这项申请的第 2 步"):
        decide(db, both, change_id, 3, True, "同意")
    assert get_change(db, change_id)["step"] == 3  # type: ignore[index]
    assert decide(db, users["vp1"], change_id, 3, True, "同意")["status"] == "approved"


def test_a_step_is_decided_once(org: Org) -> None:
    db, users = org
    change_id = propose_template(db, users)
    decide(db, users["head1"], change_id, 1, True, "同意")
    with pytest.raises(KpiError, match="第 1 步（部门负责人）已由 head1 审批过，不能重复审批"):
        decide(db, users["head1"], change_id, 1, True, "再次同意")
    with pytest.raises(KpiError, match="不能重复审批"):
        decide(db, users["head1"], change_id, 1, False, "改为驳回")
    change = get_change(db, change_id)
    assert change is not None and change["status"] == "pending" and len(change["steps"]) == 1


def test_an_executive_covers_the_departments_headed_below_them(org: Org) -> None:
    db, users = org
    assert executive_covers(db, users["vp1"], "D1") and executive_covers(db, users["vp1"], "D2")
    assert not executive_covers(db, users["vp1"], "D3")
    assert executive_covers(db, users["vp2"], "D3") and not executive_covers(db, users["vp2"], "D1")
    assert all(executive_covers(db, users["ceo"], d) for d in ("D1", "D2", "D3"))
    assert not executive_covers(db, users["hr"], "D1")
    change_id = propose_template(db, users)
    decide(db, users["head1"], change_id, 1, True, "同意")
    decide(db, users["bp1"], change_id, 2, True, "同意")
    assert [c["change_id"] for c in my_queue(db, users["ceo"])] == [change_id]
    assert decide(db, users["ceo"], change_id, 3, True, "同意")["status"] == "approved"


def test_a_proposal_is_validated_and_needs_a_reason(org: Org) -> None:
    db, users = org
    payload = {"position_id": "P1", "valid_from": Q2.isoformat(), "items": NEW_ITEMS}
    with pytest.raises(KpiError, match="变更理由"):
        propose_change(db, users["head1"], "template", payload, " ")
    bad = [dict(it) for it in NEW_ITEMS]
    bad[0]["weight"] = 35
    with pytest.raises(KpiError, match="权重合计为 105"):
        propose_change(db, users["head1"], "template", {**payload, "items": bad}, "调整")
    with pytest.raises(KpiError, match=rf"不是季度第一天.*{Q2}"):
        propose_change(db, users["head1"], "template", {**payload, "valid_from": Q2 + dt.timedelta(days=30)}, "调整")
    last_quarter = quarter_start(Q1 - dt.timedelta(days=1))
    with pytest.raises(KpiError, match=rf"已经过去的季度.*{Q1}.*已有 {Q1} 生效的模板版本"):
        propose_change(db, users["head1"], "template", {**payload, "valid_from": last_quarter}, "补录上季度")
    with pytest.raises(KpiError, match="无法识别"):
        propose_change(db, users["head1"], "template", {**payload, "valid_from": "下季度"}, "调整")
    with pytest.raises(KpiError, match="岗位 P9 不存在"):
        propose_change(db, users["head1"], "template", {**payload, "position_id": "P9"}, "调整")
    with pytest.raises(KpiError, match="5 条等级描述"):
        propose_change(db, users["lead1"], "kpi_add", {**LIBRARY["K-TEAM"], "name": "服务意识", "rubric": []}, "新增")
    with pytest.raises(KpiError, match=f"与{Q1} 起生效的现行模板完全相同"):
        propose_change(db, users["head1"], "template", {**payload, "items": ITEMS}, "沿用")
    with pytest.raises(KpiError, match="与指标库中的现行定义完全相同"):
        propose_change(db, users["lead1"], "kpi_modify", {**LIBRARY["K-TEAM"], "kpi_id": "K-TEAM"}, "不改")
    with pytest.raises(KpiError, match="变更类型"):
        propose_change(db, users["lead1"], "kpi_delete", {"kpi_id": "K-OUT"}, "删除")
    with pytest.raises(KpiError, match="没有设定负责人"):
        propose_change(db, users["hr"], "template", {**payload, "position_id": "P4"}, "调整")
    assert db.scalar("SELECT count(*) FROM kpi_changes") == 0
    assert audit.entries(db, action="kpi_change_propose").height == 0


def test_who_may_propose_for_which_department(org: Org) -> None:
    db, users = org
    payload = {"position_id": "P3", "valid_from": Q2.isoformat(), "items": NEW_ITEMS}
    for outsider in ("head1", "bp1"):  # 销售部 is neither head1's nor bp1's
        with pytest.raises(Forbidden, match="销售部"):
            propose_change(db, users[outsider], "template", payload, "调整")
    for nobody in ("worker", "analyst", "vp2"):
        with pytest.raises(Forbidden):
            propose_change(db, users[nobody], "template", payload, "调整")
    refused = audit.entries(db, action="access_denied").sort("seq")
    assert refused["actor"].to_list() == ["head1", "bp1", "worker", "analyst", "vp2"]
    assert json.loads(refused["detail"][0]) == {"wanted": "propose", "kind": "template", "dept_id": None}
    assert get_change(db, propose_change(db, users["bp3"], "template", payload, "调整"))["dept_id"] == "D3"  # type: ignore[index]
    with pytest.raises(KpiError, match="已有一项审批中的变更申请"):
        propose_change(db, users["hr"], "template", payload, "再调整")


def test_a_library_change_routes_to_the_requesters_department_or_where_hr_sends_it(org: Org) -> None:
    db, users = org
    new = {**LIBRARY["K-OUT"], "name": "设备稼动率", "unit": "%"}
    by_head = propose_change(db, users["head2"], "kpi_add", new, "质检设备纳入考核")
    assert get_change(db, by_head)["dept_id"] == "D2"  # type: ignore[index]
    with pytest.raises(KpiError, match="选择审批部门"):
        propose_change(db, users["hr"], "kpi_add", {**new, "name": "交付准时率"}, "新增")
    routed = propose_change(db, users["hr"], "kpi_add", {**new, "name": "交付准时率"}, "新增", dept_id="D3")
    assert get_change(db, routed)["dept_id"] == "D3"  # type: ignore[index]
    assert [c["change_id"] for c in my_queue(db, users["head3"])] == [routed]
    with pytest.raises(Forbidden, match="只有人力资源部"):
        propose_change(db, users["head2"], "kpi_add", {**new, "name": "客户投诉"}, "新增", dept_id="D3")
    with pytest.raises(KpiError, match="同名的在用指标"):
        propose_change(db, users["hr"], "kpi_add", {**LIBRARY["K-OUT"]}, "新增", dept_id="D1")


def test_the_requester_may_withdraw_a_pending_request(org: Org) -> None:
    db, users = org
    change_id = propose_template(db, users)
    for other in ("hr", "head1"):
        with pytest.raises(Forbidden):
            withdraw(db, users[other], change_id)
    withdraw(db, users["lead1"], change_id)
    assert get_change(db, change_id)["status"] == "withdrawn"  # type: ignore[index]
    assert my_queue(db, users["head1"]) == []
    with pytest.raises(KpiError, match="已撤回"):
        decide(db, users["head1"], change_id, 1, True, "同意")
    with pytest.raises(KpiError, match="已撤回，不能撤回"):
        withdraw(db, users["lead1"], change_id)
    assert trail(db, change_id)[-1] == ("lead1", "kpi_change_withdraw")
    propose_template(db, users)  # the subject is free again


# -- library changes and their history ------------------------------------------------------------------


def approve_all(db: Database, users: dict[str, User], change_id: str) -> dict:
    for step, approver in APPROVERS.items():
        change = decide(db, users[approver], change_id, step, True, f"同意 {step}")
    return change


def test_the_history_of_a_kpi_after_two_approved_changes(org: Org) -> None:
    db, users = org
    first = propose_change(db, users["lead1"], "kpi_modify", {**LIBRARY["K-OUT"], "kpi_id": "K-OUT", "name": "日均合格产量"},
                           "只计合格品")  # fmt: skip
    assert get_kpi(db, "K-OUT")["name"] == "日均产量"  # type: ignore[index]  # nothing before step 3
    approve_all(db, users, first)
    second = propose_change(db, users["lead1"], "kpi_modify",
                            {**LIBRARY["K-OUT"], "kpi_id": "K-OUT", "name": "日均合格产量", "unit": "台"},
                            "计量单位改为台")  # fmt: skip
    approve_all(db, users, second)

    kpi = get_kpi(db, "K-OUT")
    assert kpi is not None and kpi["name"] == "日均合格产量" and kpi["unit"] == "台" and kpi["version"] == 3
    assert [(v["version"], v["name"], v["unit"], v["change_id"]) for v in kpi["versions"]] == [
        (1, "日均产量", "件", None), (2, "日均合格产量", "件", first), (3, "日均合格产量", "台", second),
    ]  # fmt: skip
    history = kpi_history(db, "K-OUT")
    assert [h["change_id"] for h in history] == [first, second]
    assert all(h["kind"] == "kpi_modify" and h["status"] == "approved" for h in history)
    assert (history[0]["before"]["name"], history[0]["after"]["name"]) == ("日均产量", "日均合格产量")
    assert (history[1]["before"]["unit"], history[1]["after"]["unit"]) == ("件", "台")
    assert history[1]["reason"] == "计量单位改为台" and history[1]["requested_by"] == "lead1"
    assert [s["approver"] for s in history[1]["steps"]] == ["head1", "bp1", "vp1"]
    assert all(s["decided_at"] is not None for h in history for s in h["steps"])
    assert kpi_history(db, "K-YIELD") == []
    assert audit.entries(db, action="kpi_change_approve").height == 6
    assert audit.verify_chain(db).ok


def test_an_added_kpi_exists_only_after_step_3(org: Org) -> None:
    db, users = org
    change_id = propose_change(db, users["lead1"], "kpi_add", {**LIBRARY["K-TEAM"], "name": "5S 执行", "kpi_id": "K-5S"},
                               "现场管理纳入考核")  # fmt: skip
    decide(db, users["head1"], change_id, 1, True, "同意")
    decide(db, users["bp1"], change_id, 2, True, "同意")
    assert get_kpi(db, "K-5S") is None
    decide(db, users["vp1"], change_id, 3, True, "同意")
    kpi = get_kpi(db, "K-5S")
    assert kpi is not None and kpi["status"] == "active" and kpi["method"] == "rubric" and len(kpi["rubric"]) == 5
    assert [v["change_id"] for v in kpi["versions"]] == [change_id]
    assert kpi_history(db, "K-5S")[0]["before"] is None


def test_a_retired_kpi_leaves_templates_and_cannot_be_changed_again(org: Org) -> None:
    db, users = org
    change_id = propose_change(db, users["lead1"], "kpi_retire", {"kpi_id": "K-YIELD"}, "改用一次合格率")
    assert get_change(db, change_id)["payload"]["status"] == "retired"  # type: ignore[index]
    approve_all(db, users, change_id)
    kpi = get_kpi(db, "K-YIELD")
    assert kpi is not None and kpi["status"] == "retired" and kpi["version"] == 2
    assert weights(db, "P1", Q1 + dt.timedelta(days=30))["K-YIELD"] == 20  # the past template still names it
    with pytest.raises(KpiError, match="已停用"):
        propose_change(db, users["lead1"], "kpi_retire", {"kpi_id": "K-YIELD"}, "再停用")
    with pytest.raises(KpiError, match="良品率）的状态是“已停用”"):
        propose_template(db, users)
    with pytest.raises(KpiError, match="不在指标库中"):
        propose_change(db, users["lead1"], "kpi_modify", {**LIBRARY["K-OUT"], "kpi_id": "K-NONE"}, "修改")


def test_step_3_refuses_a_change_that_no_longer_holds_and_keeps_it_pending(org: Org) -> None:
    db, users = org
    template = propose_template(db, users)
    retire = propose_change(db, users["lead1"], "kpi_retire", {"kpi_id": "K-YIELD"}, "改用一次合格率")
    for change_id in (template, retire):
        decide(db, users["head1"], change_id, 1, True, "同意")
        decide(db, users["bp1"], change_id, 2, True, "同意")
    decide(db, users["vp1"], retire, 3, True, "同意")  # K-YIELD, in the pending template, is retired first
    with pytest.raises(KpiError, match=r"情况有变.*良品率）的状态是“已停用”.*请驳回"):
        decide(db, users["vp1"], template, 3, True, "同意")
    change = get_change(db, template)
    assert change is not None and change["status"] == "pending" and change["step"] == 3 and len(change["steps"]) == 2
    assert [v["version"] for v in template_versions(db, "P1")] == [1]  # the whole step was rolled back
    assert trail(db, template)[-1] == ("bp1", "kpi_change_approve")
    assert decide(db, users["vp1"], template, 3, False, "指标已停用，请重新提交")["status"] == "rejected"
    assert audit.verify_chain(db).ok


def test_a_template_version_starts_in_this_quarter_or_later_and_after_the_latest(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, users = org
    today = Q1 + dt.timedelta(days=10)
    assert template_date_problems(db, "P1", Q2, today) == []
    assert template_date_problems(db, "P1", Q1, today) == []  # a correction within the quarter supersedes the same day
    past = quarter_start(Q1 - dt.timedelta(days=1))
    problems = template_date_problems(db, "P1", past, today)
    assert len(problems) == 2 and "已经过去的季度" in problems[0] and f"已有 {Q1} 生效" in problems[1]
    assert template_date_problems(db, "P2", past, past) == []  # no version yet, and that quarter is today's
    # a request approved after its quarter has gone by is stopped at step 3 (today is a quarter past Q2)
    later = quarter_start(Q2 + dt.timedelta(days=100))
    assert "已经过去的季度" in template_date_problems(db, "P1", Q2, later)[0]
    change_id = propose_template(db, users)
    decide(db, users["head1"], change_id, 1, True, "同意")
    decide(db, users["bp1"], change_id, 2, True, "同意")
    monkeypatch.setattr(kpi_changes, "_today", lambda: later)
    with pytest.raises(KpiError, match=r"情况有变.*已经过去的季度"):
        decide(db, users["vp1"], change_id, 3, True, "同意")
    assert get_change(db, change_id)["status"] == "pending"  # type: ignore[index]
    assert [v["version"] for v in template_versions(db, "P1")] == [1]


def test_the_diff_names_each_changed_field_and_template_line(org: Org) -> None:
    db, users = org
    items = [
        *NEW_ITEMS[:2],
        {"kpi_id": "K-MISS", "weight": 25},
        NEW_ITEMS[3],
    ]  # K-SAFE out, K-MISS in (职能类 → 业绩类)
    items = [{**items[0], "weight": 20}, {**items[1], "weight": 25}, items[2], {**items[3], "weight": 30}]
    bands = {"业绩类": [50, 70], "职能类": [0, 40], "行为类": [10, 30]}
    set_category_bands(db, users["hr"], bands)
    change_id = propose_change(db, users["head1"], "template", {"position_id": "P1", "valid_from": Q2, "items": items},
                               "安全指标并入车间考核")  # fmt: skip
    diff = {
        (d["item"], d["field"]): (d["label"], d["before"], d["after"]) for d in change_diff(get_change(db, change_id))
    }  # type: ignore[arg-type]
    assert diff == {
        (None, "valid_from"): ("生效日期", Q1.isoformat(), Q2.isoformat()),
        ("K-OUT", "weight"): ("权重", 40.0, 20.0),
        ("K-OUT", "target"): ("目标值", 200.0, 210.0),
        ("K-OUT", "floor"): ("下限", 150.0, 160.0),
        ("K-OUT", "stretch"): ("挑战值", 240.0, 250.0),
        ("K-YIELD", "weight"): ("权重", 20.0, 25.0),
        ("K-YIELD", "target"): ("目标值", 98.0, 98.5),
        ("K-MISS", "kpi_id"): ("新增指标", None, 25.0),
        ("K-TEAM", "weight"): ("权重", 15.0, 30.0),
        ("K-SAFE", "kpi_id"): ("移除指标", 25.0, None),
    }
    modify = propose_change(db, users["lead1"], "kpi_modify", {**LIBRARY["K-SAFE"], "kpi_id": "K-SAFE", "deduction_step": 5},
                            "扣分减半")  # fmt: skip
    assert [(d["field"], d["before"], d["after"]) for d in change_diff(get_change(db, modify))] == [  # type: ignore[arg-type]
        ("deduction_step", 10.0, 5.0)
    ]
    retire = propose_change(db, users["lead1"], "kpi_retire", {"kpi_id": "K-YIELD"}, "停用")
    assert [(d["label"], d["before"], d["after"]) for d in change_diff(get_change(db, retire))] == [  # type: ignore[arg-type]
        ("状态", "active", "retired")
    ]
    approve_all(db, users, modify)
    assert change_diff(kpi_history(db, "K-SAFE")[0]) == change_diff(get_change(db, modify))  # type: ignore[arg-type]


def test_each_user_follows_the_requests_of_their_scope(org: Org) -> None:
    db, users = org
    d1 = propose_template(db, users)
    d3 = propose_change(db, users["head3"], "kpi_retire", {"kpi_id": "K-MISS"}, "销售不考核漏检")
    decide(db, users["head1"], d1, 1, True, "同意")
    seen = {name: [c["change_id"] for c in list_changes(db, users[name])] for name in users}
    assert seen["hr"] == [d3, d1] and seen["ceo"] == [d3, d1]
    assert seen["head1"] == [d1] and seen["bp1"] == [d1] and seen["vp1"] == [d1]
    assert seen["head3"] == [d3] and seen["bp3"] == [d3] and seen["vp2"] == [d3]
    assert seen["head2"] == [] and seen["worker"] == [] and seen["analyst"] == []
    with pytest.raises(Forbidden, match="你本人提交的申请"):  # the head asked: their own manager decides step 1
        decide(db, users["head3"], d3, 1, False, "不同意")
    decide(db, users["vp2"], d3, 1, False, "不同意")
    assert [c["change_id"] for c in list_changes(db, users["hr"], status="rejected")] == [d3]
    assert [c["change_id"] for c in list_changes(db, users["bp3"], status="pending")] == []


# -- separation of duties ------------------------------------------------------------------------------


def test_nobody_decides_a_step_of_their_own_request(org: Org) -> None:
    db, users = org
    # the head of 生产部 asks: step 1 goes to their own manager (运营副总 V1), never to themself
    change_id = propose_template(db, users, by="head1")
    assert my_queue(db, users["head1"]) == []
    with pytest.raises(Forbidden, match="这是你本人提交的申请"):
        decide(db, users["head1"], change_id, 1, True, "我同意我自己")
    assert [c["change_id"] for c in my_queue(db, users["vp1"])] == [change_id]
    decide(db, users["vp1"], change_id, 1, True, "同意")
    decide(db, users["bp1"], change_id, 2, True, "同意")
    # vp1 decided step 1, so step 3 needs another executive covering 生产部: the unlinked one (ceo)
    assert my_queue(db, users["vp1"]) == [] and [c["change_id"] for c in my_queue(db, users["ceo"])] == [change_id]
    with pytest.raises(Forbidden, match="三级审批须由三个人分别完成"):
        decide(db, users["vp1"], change_id, 3, True, "同意")
    change = decide(db, users["ceo"], change_id, 3, True, "同意")
    assert change["status"] == "approved"
    people = [s["approver"] for s in change["steps"]]
    assert len(set(people)) == 3 and change["requested_by"] not in people


def test_an_hrbp_who_asks_leaves_step_2_to_another_hrbp(org: Org) -> None:
    db, users = org
    change_id = propose_template(db, users, by="bp1")
    decide(db, users["head1"], change_id, 1, True, "同意")
    with pytest.raises(Forbidden, match="这是你本人提交的申请"):
        decide(db, users["bp1"], change_id, 2, True, "同意")
    assert my_queue(db, users["bp1"]) == []
    other = User("bp2", frozenset({"hrbp"}))
    with db.transaction() as cur:
        cur.execute("INSERT INTO hrbp_scope (username, dept_id) VALUES ('bp2', 'D1')")
    assert [c["change_id"] for c in my_queue(db, other)] == [change_id]
    assert decide(db, other, change_id, 2, True, "同意")["step"] == 3


def test_a_head_without_a_manager_cannot_send_step_1_anywhere(org: Org) -> None:
    db, users = org
    with db.transaction() as cur:
        cur.execute("UPDATE employees SET manager_id = NULL WHERE employee_id = 'H1'")
    with pytest.raises(KpiError, match="你没有直属上级"):
        propose_template(db, users, by="head1")
    assert db.scalar("SELECT count(*) FROM kpi_changes") == 0
