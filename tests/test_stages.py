"""The appraisal stage machine: hand examples and a hypothesis state machine."""

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from core.stages import (
    ACTIONS,
    ROLES,
    STAGE_LABELS,
    STAGE_ORDER,
    TRANSITIONS,
    StageError,
    allowed_actions,
    next_stage,
    previous_stage,
    transition,
)

# Every legal move, written out by hand (independent of the table in core/stages.py).
LEGAL = [
    ("goals", "employee", "propose_goals", "goals"),
    ("goals", "manager", "adjust_goals", "goals"),
    ("goals", "manager", "approve_goals", "midterm"),
    ("midterm", "employee", "checkin", "midterm"),
    ("midterm", "manager", "checkin", "midterm"),
    ("midterm", "manager", "finish_midterm", "self_assessment"),
    ("midterm", "manager", "return", "goals"),
    ("self_assessment", "employee", "submit_self", "manager_rating"),
    ("self_assessment", "manager", "return", "midterm"),
    ("manager_rating", "manager", "submit_rating", "calibration"),
    ("manager_rating", "manager", "return", "self_assessment"),
    ("calibration", "hr", "finalise_calibration", "signoff"),
    ("signoff", "employee", "sign", "signoff"),
    ("signoff", "manager", "sign", "signoff"),
    ("signoff", "system", "sign", "signoff"),
    ("signoff", "employee", "object", "signoff"),
    ("signoff", "hr", "uphold_objection", "signoff"),
    ("signoff", "hr", "return_objection", "manager_rating"),
    ("signoff", "system", "complete_signoff", "closed"),
]
LEGAL_KEYS = {(s, r, a): n for s, r, a, n in LEGAL}


def test_table_is_exactly_the_hand_list():
    assert sorted(tuple(t) for t in TRANSITIONS) == sorted(LEGAL)


def test_stage_order_and_labels():
    assert STAGE_ORDER == ("goals", "midterm", "self_assessment", "manager_rating", "calibration", "signoff", "closed")
    assert [STAGE_LABELS[s] for s in STAGE_ORDER] == [
        "目标制定",
        "中期回顾",
        "期末自评",
        "上级评定",
        "校准",
        "签字确认",
        "已关闭",
    ]
    assert next_stage("goals") == "midterm"
    assert next_stage("signoff") == "closed"
    assert next_stage("closed") is None
    assert previous_stage("goals") is None
    assert previous_stage("calibration") == "manager_rating"
    with pytest.raises(StageError, match="未知阶段"):
        next_stage("nope")


@pytest.mark.parametrize(("stage", "role", "action", "expected"), LEGAL)
def test_every_legal_move(stage, role, action, expected):
    assert transition(stage, role, action, comment="请补充第二项目标") == expected
    assert action in allowed_actions(stage, role)


def test_full_happy_path():
    stage = "goals"
    for role, action in [
        ("employee", "propose_goals"),
        ("manager", "approve_goals"),
        ("employee", "checkin"),
        ("manager", "checkin"),
        ("manager", "finish_midterm"),
        ("employee", "submit_self"),
        ("manager", "submit_rating"),
        ("hr", "finalise_calibration"),
        ("employee", "sign"),
        ("manager", "sign"),
        ("system", "complete_signoff"),
    ]:
        stage = transition(stage, role, action)
    assert stage == "closed"


def test_allowed_actions():
    assert allowed_actions("goals", "employee") == ["propose_goals"]
    assert allowed_actions("goals", "manager") == ["adjust_goals", "approve_goals"]
    assert allowed_actions("midterm", "manager") == ["checkin", "finish_midterm", "return"]
    assert allowed_actions("calibration", "manager") == []
    assert allowed_actions("signoff", "employee") == ["sign", "object"]
    assert all(allowed_actions("closed", r) == [] for r in ROLES)
    with pytest.raises(StageError, match="未知角色"):
        allowed_actions("goals", "ceo")


@pytest.mark.parametrize(
    ("stage", "role", "action", "reason"),
    [
        ("goals", "employee", "approve_goals", "只能由直属主管操作"),
        ("goals", "hr", "approve_goals", "HR无权操作"),
        ("midterm", "hr", "checkin", "只能由员工、直属主管操作"),
        ("self_assessment", "manager", "submit_self", "只能由员工操作"),
        ("manager_rating", "employee", "submit_rating", "只能由直属主管操作"),
        ("calibration", "manager", "finalise_calibration", "只能由HR操作"),
        ("signoff", "hr", "sign", "只能由员工、直属主管、系统操作"),
        ("signoff", "manager", "object", "只能由员工操作"),
        ("signoff", "employee", "complete_signoff", "只能由系统操作"),
        ("signoff", "hr", "complete_signoff", "只能由系统操作"),
        ("signoff", "manager", "return_objection", "只能由HR操作"),
        ("signoff", "employee", "uphold_objection", "只能由HR操作"),
        # skipping: an action that belongs to a later or earlier stage
        ("goals", "manager", "submit_rating", "“目标制定”阶段不允许“提交评定”"),
        ("goals", "manager", "finish_midterm", "不允许"),
        ("midterm", "employee", "submit_self", "不允许"),
        ("self_assessment", "hr", "finalise_calibration", "不允许"),
        ("manager_rating", "hr", "complete_signoff", "不允许"),
        ("calibration", "employee", "sign", "不允许"),
        ("signoff", "manager", "approve_goals", "不允许"),
        # return: not from goals, nor from calibration onwards
        ("goals", "manager", "return", "不允许"),
        ("calibration", "manager", "return", "不允许"),
        ("signoff", "manager", "return", "不允许"),
        ("manager_rating", "employee", "return", "只能由直属主管操作"),
        # closed is terminal
        ("closed", "hr", "complete_signoff", "已关闭"),
        ("closed", "manager", "return", "已关闭"),
        ("closed", "employee", "sign", "已关闭"),
        # unknowns
        ("nope", "manager", "approve_goals", "未知阶段"),
        ("goals", "ceo", "approve_goals", "未知角色"),
        ("goals", "manager", "jump", "未知操作"),
    ],
)
def test_refusals(stage, role, action, reason):
    with pytest.raises(StageError, match=reason):
        transition(stage, role, action, comment="意见")


@pytest.mark.parametrize("comment", [None, "", "   "])
@pytest.mark.parametrize("stage", ["midterm", "self_assessment", "manager_rating"])
def test_return_needs_a_comment(stage, comment):
    with pytest.raises(StageError, match="退回必须填写意见"):
        transition(stage, "manager", "return", comment=comment)
    assert transition(stage, "manager", "return", comment="目标不够具体") == previous_stage(stage)


@pytest.mark.parametrize("comment", [None, "", "   "])
def test_returning_an_objection_needs_a_note(comment):
    with pytest.raises(StageError, match="退回必须填写意见"):
        transition("signoff", "hr", "return_objection", comment=comment)
    assert transition("signoff", "hr", "return_objection", comment="请复核第二项") == "manager_rating"


def test_stage_error_is_a_value_error():
    assert issubclass(StageError, ValueError)


class AppraisalMachine(RuleBasedStateMachine):
    """Random actions by random roles; legal ones move the stage, illegal ones must raise."""

    def __init__(self):
        super().__init__()
        self.stage = "goals"
        self.reached = {"goals"}

    @rule(
        role=st.sampled_from(ROLES),
        action=st.sampled_from([*ACTIONS, "jump", "skip"]),
        comment=st.sampled_from([None, "", "需要修改"]),
    )
    def act(self, role, action, comment):
        before = self.stage
        expected = LEGAL_KEYS.get((before, role, action))
        legal = expected is not None and (action not in ("return", "return_objection") or bool(comment))
        if not legal:
            with pytest.raises(StageError):
                transition(before, role, action, comment=comment)
            return
        after = transition(before, role, action, comment=comment)
        assert after == expected
        assert action in allowed_actions(before, role)
        i, j = STAGE_ORDER.index(before), STAGE_ORDER.index(after)
        assert j - i <= 1, "skipped a stage"
        if j < i:  # only a return goes back: one stage, or from sign-off to the manager's rating
            assert (action, j) in (("return", i - 1), ("return_objection", STAGE_ORDER.index("manager_rating")))
        self.stage = after
        self.reached.add(after)

    @rule(role=st.sampled_from(ROLES))
    def advance_by_allowed_action(self, role):
        # drive the machine forward often enough that the later stages are explored
        actions = [a for a in allowed_actions(self.stage, role) if a not in ("return", "return_objection")]
        if not actions:
            return
        self.act(role=role, action=actions[-1], comment=None)

    @invariant()
    def stage_is_known(self):
        assert self.stage in STAGE_ORDER

    @invariant()
    def closed_is_terminal(self):
        if self.stage == "closed":
            for role in ROLES:
                assert allowed_actions("closed", role) == []
                for action in ACTIONS:
                    with pytest.raises(StageError):
                        transition("closed", role, action, comment="x")

    @invariant()
    def reached_stages_are_contiguous(self):
        # no stage is ever reached without every earlier one having been reached
        top = max(STAGE_ORDER.index(s) for s in self.reached)
        assert set(STAGE_ORDER[: top + 1]) == self.reached


AppraisalMachine.TestCase.settings = settings(max_examples=200, stateful_step_count=40, deadline=None)
TestAppraisalMachine = AppraisalMachine.TestCase
