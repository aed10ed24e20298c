"""The appraisal stage machine: one table of (stage, role, action, next stage).

Pure logic, no database. An appraisal moves 目标制定 → 中期回顾 → 期末自评 → 上级评定 → 校准 → 签字确认 → 已关闭.

Roles: ``employee`` (the appraisee), ``manager`` (the direct manager), ``hr`` and ``system`` (automatic
moves, e.g. closing once both signatures are in).

Actions (see ``TRANSITIONS`` for who may do what where):

- ``propose_goals`` (employee) / ``adjust_goals`` (manager): edit goals, stay in 目标制定.
- ``approve_goals`` (manager): 目标制定 → 中期回顾.
- ``checkin`` (employee or manager): a progress note, stays in 中期回顾.
- ``finish_midterm`` (manager): 中期回顾 → 期末自评.
- ``submit_self`` (employee): 期末自评 → 上级评定.
- ``submit_rating`` (manager): 上级评定 → 校准.
- ``return`` (manager, comment required): back one stage, from 中期回顾, 期末自评 or 上级评定 only.
- ``finalise_calibration`` (hr): 校准 → 签字确认.
- ``sign`` (employee or manager; system when the deadline rule deems a party confirmed): records one
  confirmation, stays in 签字确认.
- ``object`` (employee): objects instead of signing, stays in 签字确认; the objection goes to HR.
- ``uphold_objection`` (hr): the result stands (a reply the employee sees), stays in 签字确认.
- ``return_objection`` (hr, note required): 签字确认 → 上级评定, the manager rates again; the sign-off
  round ends and the next finalised calibration starts a new one.
- ``complete_signoff`` (system): 签字确认 → 已关闭, performed by :mod:`core.signoff` once both parties
  have confirmed (confirmations and objections are data the caller keeps; this module only knows stages).

已关闭 (closed) is terminal: every action on it is refused.
"""

from __future__ import annotations

from typing import NamedTuple

from core.errors import CoreError
from core.vocabulary import (
    CALIBRATION,
    CLOSED,
    GOALS,
    MANAGER_RATING,
    MIDTERM,
    SELF_ASSESSMENT,
    SIGNOFF,
    STAGE_ORDER,
)
from core.vocabulary import STAGE_LABELS as STAGE_LABELS  # re-exported: callers name stages through this module

EMPLOYEE = "employee"
MANAGER = "manager"
HR = "hr"
SYSTEM = "system"
ROLES: tuple[str, ...] = (EMPLOYEE, MANAGER, HR, SYSTEM)

RETURN = "return"
RETURN_OBJECTION = "return_objection"
#: actions that need a comment: a return says why
NEEDS_COMMENT = frozenset({RETURN, RETURN_OBJECTION})


class Transition(NamedTuple):
    stage: str
    role: str
    action: str
    next_stage: str


# The one table. Every legal move is a row; anything else is refused.
TRANSITIONS: tuple[Transition, ...] = (
    Transition(GOALS, EMPLOYEE, "propose_goals", GOALS),
    Transition(GOALS, MANAGER, "adjust_goals", GOALS),
    Transition(GOALS, MANAGER, "approve_goals", MIDTERM),
    Transition(MIDTERM, EMPLOYEE, "checkin", MIDTERM),
    Transition(MIDTERM, MANAGER, "checkin", MIDTERM),
    Transition(MIDTERM, MANAGER, "finish_midterm", SELF_ASSESSMENT),
    Transition(MIDTERM, MANAGER, RETURN, GOALS),
    Transition(SELF_ASSESSMENT, EMPLOYEE, "submit_self", MANAGER_RATING),
    Transition(SELF_ASSESSMENT, MANAGER, RETURN, MIDTERM),
    Transition(MANAGER_RATING, MANAGER, "submit_rating", CALIBRATION),
    Transition(MANAGER_RATING, MANAGER, RETURN, SELF_ASSESSMENT),
    Transition(CALIBRATION, HR, "finalise_calibration", SIGNOFF),
    Transition(SIGNOFF, EMPLOYEE, "sign", SIGNOFF),
    Transition(SIGNOFF, MANAGER, "sign", SIGNOFF),
    Transition(SIGNOFF, SYSTEM, "sign", SIGNOFF),
    Transition(SIGNOFF, EMPLOYEE, "object", SIGNOFF),
    Transition(SIGNOFF, HR, "uphold_objection", SIGNOFF),
    Transition(SIGNOFF, HR, RETURN_OBJECTION, MANAGER_RATING),
    Transition(SIGNOFF, SYSTEM, "complete_signoff", CLOSED),
)

ACTIONS: tuple[str, ...] = tuple(dict.fromkeys(t.action for t in TRANSITIONS))

_TABLE: dict[tuple[str, str, str], str] = {(t.stage, t.role, t.action): t.next_stage for t in TRANSITIONS}


class StageError(CoreError):
    """An illegal move; its message (``stage.*``) is a reason fit to show the user."""


def next_stage(stage: str) -> str | None:
    """The stage after ``stage`` in ``STAGE_ORDER``; None for closed."""
    i = _index(stage)
    return STAGE_ORDER[i + 1] if i + 1 < len(STAGE_ORDER) else None


def previous_stage(stage: str) -> str | None:
    """The stage before ``stage`` in ``STAGE_ORDER``; None for goals."""
    i = _index(stage)
    return STAGE_ORDER[i - 1] if i > 0 else None


def _index(stage: str) -> int:
    try:
        return STAGE_ORDER.index(stage)
    except ValueError:
        raise StageError("stage.unknown_stage", stage=stage) from None


def allowed_actions(stage: str, role: str) -> list[str]:
    """Actions ``role`` may take in ``stage``, in table order (empty on closed)."""
    _index(stage)
    if role not in ROLES:
        raise StageError("stage.unknown_role", role=role)
    return [t.action for t in TRANSITIONS if t.stage == stage and t.role == role]


def transition(stage: str, role: str, action: str, *, comment: str | None = None) -> str:
    """The stage after ``role`` performs ``action`` in ``stage``; raises StageError for any illegal move."""
    _index(stage)
    if role not in ROLES:
        raise StageError("stage.unknown_role", role=role)
    if action not in ACTIONS:
        raise StageError("stage.unknown_action", action=action)
    if stage == CLOSED:
        raise StageError("stage.closed")
    target = _TABLE.get((stage, role, action))
    if target is None:
        roles = [t.role for t in TRANSITIONS if t.stage == stage and t.action == action]
        if not roles:
            raise StageError("stage.not_in_stage", stage=stage, action=action)
        raise StageError("stage.not_your_action", stage=stage, action=action, roles=roles, role=role)
    if action in NEEDS_COMMENT and not (comment and comment.strip()):
        raise StageError("stage.return_needs_comment")
    return target
