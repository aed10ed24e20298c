"""The access policy (DESIGN.md §1, §6): who may open which screen, who may do what, and whose personal
data each user may read or edit. Nothing else in the code decides it.

Three parts:
- :data:`SCREENS` and :data:`ACTIONS`: role × screen and role × action, plain tables;
- the relationship rules: oneself; the direct manager (edit) and everyone further below (read) for a
  user who manages people (``manager``, or an ``executive`` with reports: they rate their own direct
  reports and are read-only everywhere else); the departments an HRBP follows (read); HR everyone (edit);
  executives everyone (read). ``admin`` (IT) and ``analyst`` read no individual's data;
- :class:`Scope` with :meth:`Scope.sql`, the predicate every scoped query composes into its SQL.

Which roles read personal data: employee (themself), manager (their reports), hrbp (their departments),
executive (everyone, read-only), hr (everyone). A user holding several roles gets the union.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from core import audit
from core.auth import User
from core.db import Database
from core.errors import Coded, Text
from core.stages import EMPLOYEE, HR, MANAGER

_ALL_PEOPLE_ROLES = frozenset({"employee", "manager", "hrbp", "hr", "executive"})

# screen id -> roles that may open it (the navigation is built from this table too)
SCREENS: Mapping[str, frozenset[str]] = {
    "my_tasks": _ALL_PEOPLE_ROLES,
    "my_record": _ALL_PEOPLE_ROLES,
    "data_import": frozenset({"hr"}),
    "org": frozenset({"manager", "hrbp", "hr", "executive"}),
    "kpi_library": frozenset({"manager", "hrbp", "hr", "executive", "admin"}),
    "templates": frozenset({"manager", "hrbp", "hr", "executive", "admin"}),
    "kpi_changes": frozenset({"manager", "hrbp", "hr", "executive", "admin"}),
    "overview": frozenset({"manager", "hrbp", "hr", "executive", "analyst", "admin"}),
    "goals": _ALL_PEOPLE_ROLES,
    "midterm": _ALL_PEOPLE_ROLES,
    "self_review": _ALL_PEOPLE_ROLES,
    "team_rating": frozenset({"manager", "hrbp", "hr", "executive"}),
    "cycles": frozenset({"hr", "hrbp", "executive"}),
    "calibration": frozenset({"hr"}),
    "users": frozenset({"hr", "admin"}),
    "settings": frozenset({"hr", "admin"}),
    "audit": frozenset({"hr", "admin"}),
    # sign-off (issue 12): one's own and one's reports' results to confirm, HR's objections, the archive
    # (its rows are scoped by the read: oneself, one's reports, an HRBP's departments, HR everyone)
    "signoff": _ALL_PEOPLE_ROLES,
    "objections": frozenset({"hr"}),
    "archive": _ALL_PEOPLE_ROLES,
}

# action -> roles allowed regardless of object (the object-level rules are the functions below)
ACTIONS: Mapping[str, frozenset[str]] = {
    "import": frozenset({"hr"}),  # upload files and read the import history (rejected rows hold names)
    "import_mappings": frozenset({"hr"}),  # save and use the column mappings of the import wizard
    "manage_users": frozenset({"hr", "admin"}),
    "grant_admin": frozenset({"admin"}),  # make an admin, or change an admin's account
    "read_audit": frozenset({"hr", "admin"}),
    "see_small_cells": frozenset({"hr"}),  # heatmap cells of fewer than MIN_CELL people
    "company_aggregates": frozenset({"hr", "executive", "analyst", "admin"}),  # measures over everyone
    "manage_settings": frozenset({"hr", "admin"}),  # grade scale, distribution guideline, category bands
    "manage_grade_words": frozenset({"hr"}),  # how grades written as words are imported
    "open_cycle": frozenset({"hr"}),
    "calibrate": frozenset({"hr"}),
    "follow_cycles": frozenset({"hr", "executive", "hrbp"}),  # cycle progress (an HRBP: their departments)
    "propose_kpi_change": frozenset({"hr", "manager", "hrbp"}),
    "route_kpi_change": frozenset({"hr"}),  # send a library change to another department's approval
    "follow_all_kpi_changes": frozenset({"hr", "admin"}),
    "edit_everyone": frozenset({"hr"}),  # record actuals and edit the appraisals of anyone
    "signoff_hr": frozenset({"hr"}),  # resolve objections, close cycles, set the confirmation deadline
}
#: roles that may hold the direct-manager relationship: rate, approve goals, record actuals of reports
PEOPLE_MANAGERS = frozenset({"manager", "executive"})
#: roles that read every person (HR also edits)
READ_ALL = frozenset({"hr", "executive"})
EDIT_ALL = frozenset({"hr"})
MIN_CELL = 3
DENIED = "perm.denied"


class Forbidden(Coded, PermissionError):
    """Refused by the policy; its message (``perm.*``) is a sentence for the screen. A PermissionError, so
    not a :class:`core.errors.CoreError` (a ValueError: the two cannot be bases of one class)."""


def can_open(user: User | None, screen: str) -> bool:
    """May ``user`` open ``screen``?"""
    return user is not None and bool(user.roles & SCREENS.get(screen, frozenset()))


def screens_for(user: User | None) -> list[str]:
    """The screens ``user`` may open, in navigation order."""
    return [s for s in SCREENS if can_open(user, s)]


def allowed(user: User | None, action: str) -> bool:
    """May ``user`` take ``action`` of :data:`ACTIONS` (no object involved)?"""
    if action not in ACTIONS:
        raise KeyError(f"unknown action {action!r}")
    return user is not None and bool(user.roles & ACTIONS[action])


def require_user(user: User | None) -> User:
    """The signed-in user, or Forbidden."""
    if user is None:
        raise Forbidden("perm.login_required")
    return user


def require_action(user: User | None, action: str, code: str = DENIED) -> User:
    """The user when :func:`allowed`, else Forbidden with the message ``code`` (a ``perm.*`` code)."""
    if not allowed(user, action):
        raise Forbidden(code)
    assert user is not None
    return user


# -- whose data: the scope ------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The people a user may read and edit: None means everyone."""

    readable: frozenset[str] | None
    editable: frozenset[str] | None

    def can_read(self, employee_id: str) -> bool:
        return self.readable is None or employee_id in self.readable

    def can_edit(self, employee_id: str) -> bool:
        return self.editable is None or employee_id in self.editable

    def sql(self, column: str, *, edit: bool = False) -> tuple[str, list[Any]]:
        """The predicate limiting ``column`` (an employee id column) to this scope, and its parameters."""
        ids = self.editable if edit else self.readable
        if ids is None:
            return "true", []
        if not ids:
            return "false", []
        return f"list_contains(?::VARCHAR[], {column})", [sorted(ids)]

    @property
    def everyone(self) -> bool:
        return self.readable is None


_BELOW = (
    "WITH RECURSIVE below(employee_id, depth) AS ("
    " SELECT employee_id, 1 FROM employees WHERE manager_id = ?"
    " UNION ALL SELECT e.employee_id, b.depth + 1 FROM employees e JOIN below b ON e.manager_id = b.employee_id"
    " WHERE b.depth < 50) SELECT employee_id, min(depth) AS depth FROM below GROUP BY employee_id"
)
_HRBP_DEPARTMENTS = (
    "WITH RECURSIVE d(dept_id, depth) AS (SELECT dept_id, 0 FROM hrbp_scope WHERE username = ?"
    " UNION ALL SELECT c.dept_id, d.depth + 1 FROM departments c JOIN d ON c.parent_id = d.dept_id WHERE d.depth < 20)"
    " SELECT DISTINCT dept_id FROM d"
)


def scope_of(db: Database, user: User | None) -> Scope:
    """The user's row-level scope from the roster and their roles."""
    if user is None:
        return Scope(frozenset(), frozenset())
    if user.roles & EDIT_ALL:
        return Scope(None, None)
    readable: set[str] = set()
    editable: set[str] = set()
    if user.employee_id:
        readable.add(user.employee_id)
    if user.employee_id and user.roles & PEOPLE_MANAGERS:
        rows = db.rows(_BELOW, [user.employee_id])
        readable.update(r["employee_id"] for r in rows)
        editable.update(r["employee_id"] for r in rows if r["depth"] == 1)
    if user.roles & READ_ALL:
        return Scope(None, frozenset(editable))
    if "hrbp" in user.roles:
        departments = hrbp_departments(db, user)
        rows = db.rows("SELECT employee_id FROM employees WHERE list_contains(?::VARCHAR[], dept_id)", [departments])
        readable.update(r["employee_id"] for r in rows)
    return Scope(frozenset(readable), frozenset(editable))


def hrbp_departments(db: Database, user: User | None) -> list[str]:
    """The departments an HRBP follows, with their sub-departments (empty for anyone else)."""
    if user is None or "hrbp" not in user.roles:
        return []
    return [r["dept_id"] for r in db.rows(_HRBP_DEPARTMENTS, [user.username])]


def aggregate_population(db: Database, user: User | None) -> list[str] | None:
    """The 工号 ``user``'s aggregates are computed over: None for the whole company."""
    if allowed(user, "company_aggregates"):
        return None
    readable = scope_of(db, user).readable
    return None if readable is None else sorted(readable)


def smallest_shown_cell(user: User | None) -> int:
    """Cells of fewer people than this are hidden from ``user`` (0: nothing hidden)."""
    return 0 if allowed(user, "see_small_cells") else MIN_CELL


def can(db: Database, user: User | None, action: str, obj: str | None = None) -> bool:
    """The one permission check. ``action`` is a screen ('screen:overview'), an action of :data:`ACTIONS`,
    or an action on one person ('read_employee', 'edit_employee') with their 工号 as ``obj``."""
    if user is None:
        return False
    if action.startswith("screen:"):
        return can_open(user, action.removeprefix("screen:"))
    if action in ACTIONS:
        return allowed(user, action)
    if action in ("read_employee", "edit_employee"):
        if not obj:
            return False
        scope = scope_of(db, user)
        return scope.can_read(obj) if action == "read_employee" else scope.can_edit(obj)
    return False


def require(db: Database, user: User | None, action: str, obj: str | None = None) -> None:
    """Raise Forbidden unless :func:`can`."""
    if not can(db, user, action, obj):
        raise Forbidden(DENIED)


def guard_read(db: Database, user: User | None, employee_id: str, what: str = "read_employee") -> User:
    """The user, when they may read ``employee_id``; otherwise Forbidden, and the refused attempt is
    audited as ``access_denied`` (nothing was read), so a tampered id in a URL leaves a trace. ``what``
    names the read that was refused."""
    try:
        require(db, user, "read_employee", employee_id)
    except Forbidden:
        audit.log(db, user.username if user else "?", "access_denied", "employee", employee_id, {"wanted": what})
        raise
    assert user is not None
    return user


def guard_appraisal_read(db: Database, user: User | None, appraisal: Mapping[str, Any] | None, what: str,
                         missing: str) -> User:  # fmt: skip
    """The user, when they may read this appraisal: its person is in their scope, or they rated it (a
    manager replaced since keeps reading what they rated, nothing else). ``missing`` names an unknown
    appraisal in the refusal, refused the same way as a foreign one."""
    if (
        user is not None
        and appraisal is not None
        and user.employee_id
        and appraisal.get("rater_id") == user.employee_id
    ):
        return user
    return guard_read(db, user, appraisal["employee_id"] if appraisal else missing, what)


def rated_by(db: Database, user: User | None, employee_id: str) -> list[str]:
    """The appraisals of ``employee_id`` that ``user`` rated (read even after the person left their team)."""
    if user is None or not user.employee_id:
        return []
    return [
        r["appraisal_id"]
        for r in db.rows(
            "SELECT appraisal_id FROM appraisals WHERE employee_id = ? AND rater_id = ?",
            [employee_id, user.employee_id],
        )
    ]


# -- roles on one appraisal -----------------------------------------------------------------------


def roles_on(user: User | None, appraisal: Mapping[str, Any]) -> list[str]:
    """The stage-machine roles ``user`` holds on one appraisal: employee (it is theirs), manager (they
    are its direct manager and manage people), hr. On their own appraisal everyone is only its employee:
    nobody rates, calibrates or resolves an objection on it — HR included."""
    if user is None:
        return []
    if is_own(user, appraisal.get("employee_id")):
        return [EMPLOYEE]
    roles = []
    if user.employee_id and user.employee_id == appraisal.get("manager_id") and user.roles & PEOPLE_MANAGERS:
        roles.append(MANAGER)
    if user.roles & EDIT_ALL:
        roles.append(HR)
    return roles


def is_own(user: User | None, employee_id: str | None) -> bool:
    """Is ``employee_id`` the user's own person?"""
    return user is not None and bool(user.employee_id) and user.employee_id == employee_id


def refuse_own(db: Database, user: User, employee_id: str | None, what: str) -> None:
    """Forbidden when ``employee_id`` is the user's own person: ``what`` (a ``field.*`` code of what they
    wanted to do) must be done by another HR user, named in the refusal — or, with no other, by one HR
    must first appoint."""
    if not is_own(user, employee_id):
        return
    others = other_hr_users(db, user)
    if others:
        raise Forbidden("perm.own_appraisal", action=Text(what), others=others)
    raise Forbidden("perm.own_appraisal_only_hr", action=Text(what))


def other_hr_users(db: Database, user: User) -> list[str]:
    """The names of the enabled HR users other than ``user`` (who can act where ``user`` may not)."""
    return [
        r["name"]
        for r in db.rows(
            "SELECT coalesce(u.display_name, u.username) AS name FROM users u JOIN user_roles r USING (username)"
            " WHERE r.role = 'hr' AND NOT u.disabled AND u.username <> ? ORDER BY u.username",
            [user.username],
        )
    ]


def team_filter(db: Database, user: User | None) -> tuple[str, list[Any]] | None:
    """Which appraisals a user's team view holds, as a predicate on ``a`` (appraisals): HR everyone; an
    HRBP their departments; whoever manages people their direct reports (as the appraisal's manager).
    None when the user has no team view at all."""
    if user is None:
        return None
    if user.roles & EDIT_ALL:
        return "true", []
    parts: list[str] = []
    params: list[Any] = []
    if user.employee_id and user.roles & PEOPLE_MANAGERS:
        parts.append("a.manager_id = ?")
        params.append(user.employee_id)
    if "hrbp" in user.roles:
        parts.append("list_contains(?::VARCHAR[], a.dept_id)")
        params.append(hrbp_departments(db, user))
    if not parts:
        return None
    return "(" + " OR ".join(parts) + ")", params


def cycle_filter(db: Database, user: User | None) -> tuple[str, list[Any]] | None:
    """Which cycles a user may list, as a predicate on ``c`` (cycles): HR and executives every cycle; an
    HRBP those touching their departments; anyone else the cycles they take part in. None: no cycle."""
    if user is None:
        return None
    if user.roles & READ_ALL:
        return "true", []
    parts: list[str] = []
    params: list[Any] = []
    if "hrbp" in user.roles:
        parts.append("c.cycle_id IN (SELECT cycle_id FROM appraisals WHERE list_contains(?::VARCHAR[], dept_id))")
        params.append(hrbp_departments(db, user))
    if user.employee_id:
        parts.append("c.cycle_id IN (SELECT cycle_id FROM appraisals WHERE employee_id = ? OR manager_id = ?)")
        params.extend([user.employee_id, user.employee_id])
    if not parts:
        return None
    return "(" + " OR ".join(parts) + ")", params


def progress_departments(db: Database, user: User | None) -> list[str] | None:
    """The departments whose cycle progress ``user`` may follow: None for all, else the HRBP's own."""
    require_action(user, "follow_cycles", "perm.follow_cycles")
    assert user is not None
    if user.roles & READ_ALL:
        return None
    return hrbp_departments(db, user)


# -- KPI change requests: who proposes, who decides, who follows ----------------------------------


def own_department(db: Database, user: User) -> str | None:
    """The department of the user's own person, if linked to one."""
    if not user.employee_id:
        return None
    return db.scalar("SELECT dept_id FROM employees WHERE employee_id = ?", [user.employee_id])


def may_propose_for(db: Database, user: User, dept_id: str) -> bool:
    """May ``user`` file a KPI change for ``dept_id``: HR any; an HRBP their departments; a manager the
    department they head or belong to."""
    if user.roles & EDIT_ALL:
        return True
    if "hrbp" in user.roles and dept_id in hrbp_departments(db, user):
        return True
    if "manager" in user.roles and user.employee_id:
        head = db.scalar("SELECT head_id FROM departments WHERE dept_id = ?", [dept_id])
        return head == user.employee_id or own_department(db, user) == dept_id
    return False


def executive_covers(db: Database, user: User, dept_id: str) -> bool:
    """Does the executive ``user`` cover ``dept_id``? Linked to an employee: the department's head is them or
    below them in the reporting chain. Not linked: every department."""
    if "executive" not in user.roles:
        return False
    if not user.employee_id:
        return True
    head = db.scalar("SELECT head_id FROM departments WHERE dept_id = ?", [dept_id])
    if not head:
        return False
    return bool(
        db.scalar(
            "WITH RECURSIVE up(employee_id, manager_id, depth) AS ("
            " SELECT employee_id, manager_id, 0 FROM employees WHERE employee_id = ?"
            " UNION ALL SELECT e.employee_id, e.manager_id, up.depth + 1 FROM employees e"
            " JOIN up ON e.employee_id = up.manager_id WHERE up.depth < 50)"
            " SELECT count(*) FROM up WHERE employee_id = ?",
            [head, user.employee_id],
        )
    )


def step_one_approver(db: Database, change: Mapping[str, Any]) -> str | None:
    """The 工号 who decides step 1 of a change request: the department's head — or, when the head filed
    the request, the head's own manager (nobody approves their own request)."""
    head = db.scalar("SELECT head_id FROM departments WHERE dept_id = ?", [change["dept_id"]])
    if head is not None and head == change.get("requester_id"):
        return db.scalar("SELECT manager_id FROM employees WHERE employee_id = ?", [head])
    return head


def may_decide(db: Database, user: User, step: int, change: Mapping[str, Any]) -> bool:
    """May ``user`` decide ``step`` (1 department head, 2 HRBP, 3 executive) of a change request? Never its
    requester, and never someone who decided another step of it: three steps, three people, none of them
    the one who asked."""
    if user.username == change["requested_by"] or decided_steps(db, user, change["change_id"]):
        return False
    dept_id = change["dept_id"]
    if step == 1:
        return bool(user.employee_id) and step_one_approver(db, change) == user.employee_id
    if step == 2:
        return "hrbp" in user.roles and dept_id in hrbp_departments(db, user)
    if step == 3:
        return executive_covers(db, user, dept_id)
    return False


def decided_steps(db: Database, user: User, change_id: str) -> list[int]:
    """The steps of a change request ``user`` has decided already."""
    return [
        r["step"]
        for r in db.rows(
            "SELECT step FROM kpi_change_steps WHERE change_id = ? AND approver = ? ORDER BY step",
            [change_id, user.username],
        )
    ]


def headed_departments(db: Database, user: User) -> set[str]:
    """The departments whose head is the user's person."""
    if not user.employee_id:
        return set()
    return {r["dept_id"] for r in db.rows("SELECT dept_id FROM departments WHERE head_id = ?", [user.employee_id])}


# -- accounts: a change that could give approver power needs a second person ------------------------------

#: roles whose holders approve or decide for others: an account holding one changes only with a second person
APPROVER_ROLES = frozenset({"hrbp", "executive", "hr", "admin"})


def account_change_needs_second(held: Iterable[str], roles: Iterable[str] = ()) -> bool:
    """Whether a change to an account holding ``held`` and to be given ``roles`` needs a second HR or IT
    admin to confirm it: the account holds or would hold an approver role."""
    return bool((set(held) | set(roles)) & APPROVER_ROLES)


def admin_grant_refusal(user: User, held: Iterable[str], roles: Iterable[str] = ()) -> str | None:
    """Only an admin may make an admin, or change, reset or disable an admin's account: an HR user cannot
    lift their own rights that way. The error code, or None when ``user`` may."""
    if allowed(user, "grant_admin"):
        return None
    return "access.admin_only" if "admin" in set(roles) | set(held) else None


def account_request_refusal(
    actor: User, requested_by: str, username: str, held: Iterable[str], roles: Iterable[str]
) -> str | None:
    """Why ``actor`` may not confirm or reject an account request (an error code), or None: never the
    requester, never the account concerned, and an admin's account only by an admin."""
    if requested_by == actor.username:
        return "access.confirm_own_request"
    if username == actor.username:
        return "access.confirm_own_account"
    return admin_grant_refusal(actor, held, roles)


# -- sign-off (issue 12, the workflow: core/signoff.py, core/closing.py; HR's part is the action signoff_hr) --


def signoff_party(user: User | None, appraisal: Mapping[str, Any]) -> str | None:
    """The party in which ``user`` confirms an appraisal's result: ``employee`` (it is theirs), ``manager``
    (its direct manager, or the manager who rated it, holding a people-manager role), or None. Nobody
    confirms their own appraisal as its manager."""
    if user is None or not user.employee_id:
        return None
    if is_own(user, appraisal.get("employee_id")):
        return EMPLOYEE
    rated = user.employee_id in (appraisal.get("manager_id"), appraisal.get("rater_id"))
    return MANAGER if rated and user.roles & PEOPLE_MANAGERS else None


# -- sign-off archive and evidence (issue 12: core.archive) ----------------------------------------------
#: who exports a cycle's evidence package for auditors
EVIDENCE_EXPORTERS = frozenset({"hr"})


def _signoff_readers(db: Database, user: User) -> frozenset[str] | None:
    """The people whose archived sign-off documents ``user`` reads: None for everyone (HR); else
    themself and, for a people manager, everyone below them in the line (as :func:`scope_of` reads)."""
    if user.roles & EDIT_ALL:
        return None
    if not user.employee_id:
        return frozenset()
    below = db.rows(_BELOW, [user.employee_id]) if user.roles & PEOPLE_MANAGERS else []
    return frozenset({user.employee_id, *(r["employee_id"] for r in below)})


def may_read_signoff_document(db: Database, user: User | None, appraisal: Mapping[str, Any]) -> bool:
    """May ``user`` download this appraisal's signed PDF? The employee, their managers up the line,
    whoever rated it, and HR; nobody else (an HRBP or a read-only executive neither)."""
    if user is None:
        return False
    readers = _signoff_readers(db, user)
    if readers is None or appraisal.get("employee_id") in readers:
        return True
    return bool(user.employee_id) and appraisal.get("rater_id") == user.employee_id


def guard_signoff_document(db: Database, user: User | None, appraisal: Mapping[str, Any] | None,
                           missing: str) -> User:  # fmt: skip
    """The user, when :func:`may_read_signoff_document`; otherwise Forbidden, audited as
    ``access_denied`` (an unknown appraisal, named ``missing``, is refused the same way)."""
    if appraisal is not None and may_read_signoff_document(db, user, appraisal):
        assert user is not None
        return user
    wanted = appraisal["employee_id"] if appraisal else missing
    audit.log(db, user.username if user else "?", "access_denied", "employee", wanted,
              {"wanted": "download_signoff_pdf"})  # fmt: skip
    raise Forbidden(DENIED)


def signoff_archive_filter(db: Database, user: User | None, alias: str) -> tuple[str, list[Any]]:
    """The predicate limiting appraisals ``alias`` to the archived documents ``user`` reads."""
    if user is None:
        return "false", []
    readers = _signoff_readers(db, user)
    if readers is None:
        return "true", []
    return (f"(list_contains(?::VARCHAR[], {alias}.employee_id) OR {alias}.rater_id = ?)",
            [sorted(readers), user.employee_id or ""])  # fmt: skip


def may_export_evidence(db: Database, user: User | None) -> User:
    """The user, when they may export a cycle's evidence package (HR); otherwise Forbidden, audited."""
    if user is not None and user.roles & EVIDENCE_EXPORTERS:
        return user
    audit.log(db, user.username if user else "?", "access_denied", "cycle", None, {"wanted": "export_signoff_evidence"})
    raise Forbidden(DENIED)
