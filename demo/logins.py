"""One login per role for the demo company (README lists them), chosen from the roster by fixed rules.

Every demo account shares :data:`DEMO_PASSWORD`. It is public (it is in the README): a real deployment
must not run ``create_demo_users`` — or must reset every one of these passwords before anyone else can
reach the app.
"""

from __future__ import annotations

from dataclasses import dataclass

from core import auth, vocabulary
from core.db import Database

DEMO_PASSWORD = "JiXiao-demo-2024"
ACTOR = "demo"
# Departments of the demo company the rules below look for; any other roster still gets accounts.
HR_DEPARTMENT = "人力资源部"
GM_OFFICE = "总经办"
HEAD_DEPARTMENT = "生产一车间"
HRBP_DEPARTMENTS = ("生产一车间", "生产二车间")


@dataclass(frozen=True)
class DemoLogin:
    """One demo account: who it is and why it was chosen."""

    username: str
    roles: tuple[str, ...]
    employee_id: str | None
    who: str
    hrbp_departments: tuple[str, ...] = ()


def _departments(db: Database) -> list[dict]:
    return db.rows(
        "SELECT d.dept_id, d.name, d.head_id, (SELECT count(*) FROM employees e WHERE e.dept_id = d.dept_id"
        " AND e.status = 'active') AS size FROM departments d ORDER BY d.name, d.dept_id"
    )


def _active(db: Database, employee_id: str | None) -> bool:
    return bool(employee_id) and bool(
        db.scalar("SELECT count(*) FROM employees WHERE employee_id = ? AND status = 'active'", [employee_id])
    )


def _first_report(db: Database, manager_id: str, *, with_reports: bool) -> str | None:
    """The first active direct report of ``manager_id`` by 工号 (who has reports of their own, or not)."""
    has_reports = "EXISTS (SELECT 1 FROM employees x WHERE x.manager_id = e.employee_id AND x.status = 'active')"
    return db.scalar(
        f"SELECT e.employee_id FROM employees e WHERE e.manager_id = ? AND e.status = 'active'"
        f" AND {'' if with_reports else 'NOT '}{has_reports} ORDER BY e.employee_id LIMIT 1",
        [manager_id],
    )


def plan_demo_logins(db: Database) -> list[DemoLogin]:
    """The demo accounts this roster allows, by fixed rules (the same roster always gives the same people):

    - ``hr``: HR admin and manager of the HR department, its head (else an HR account linked to nobody);
    - ``exec``: executive, the head of 总经办 (else the head of the largest department);
    - ``hrbp``: HRBP for 生产一车间 and 生产二车间 (else the two largest departments), the first member
      of 人力资源部 after its head;
    - ``head``: manager, the head of 生产一车间 (else of the largest department);
    - ``lead``: manager, the head's first direct report who has reports of their own (a team lead);
    - ``employee``: the team lead's first direct report (else the head's first report without reports);
    - ``analyst`` and ``admin``: linked to nobody.
    Roles the roster cannot staff (a company without team leads) are left out.
    """
    departments = _departments(db)
    by_name = {d["name"]: d for d in departments}
    largest = sorted(departments, key=lambda d: (-d["size"], d["name"]))
    logins: list[DemoLogin] = []

    hr_dept = by_name.get(HR_DEPARTMENT)
    hr_head = hr_dept["head_id"] if hr_dept and _active(db, hr_dept["head_id"]) else None
    if hr_head:  # HR's head also manages the HR department's people
        logins.append(DemoLogin("hr", ("hr", "manager"), hr_head, f"{HR_DEPARTMENT}负责人，人力资源管理员"))
    else:
        logins.append(DemoLogin("hr", ("hr",), None, "人力资源管理员"))

    gm = by_name.get(GM_OFFICE) or (largest[0] if largest else None)
    if gm and _active(db, gm["head_id"]):
        logins.append(DemoLogin("exec", ("executive",), gm["head_id"], f"{gm['name']}负责人，分管副总/高管（只读）"))

    hrbp_depts = [by_name[n] for n in HRBP_DEPARTMENTS if n in by_name] or largest[:2]
    hrbp_person = None
    if hr_dept:
        hrbp_person = db.scalar(
            "SELECT employee_id FROM employees WHERE dept_id = ? AND status = 'active' AND employee_id IS DISTINCT FROM ?"
            " ORDER BY employee_id LIMIT 1",
            [hr_dept["dept_id"], hr_dept["head_id"]],
        )
    if hrbp_depts:
        names = tuple(d["name"] for d in hrbp_depts[:2])
        logins.append(
            DemoLogin(
                "hrbp",
                ("hrbp",),
                hrbp_person,
                f"HRBP，负责{'、'.join(names)}",
                tuple(d["dept_id"] for d in hrbp_depts[:2]),
            )
        )

    head_dept = by_name.get(HEAD_DEPARTMENT) or (largest[0] if largest else None)
    head = head_dept["head_id"] if head_dept and _active(db, head_dept["head_id"]) else None
    if head:
        logins.append(DemoLogin("head", ("manager",), head, f"{head_dept['name']}负责人（部门主管，看得到全部门）"))
        lead = _first_report(db, head, with_reports=True)
        if lead:
            logins.append(DemoLogin("lead", ("manager",), lead, f"{head_dept['name']}的班组长（只看得到自己的组）"))
        worker = _first_report(db, lead, with_reports=False) if lead else _first_report(db, head, with_reports=False)
        if worker:
            logins.append(DemoLogin("employee", ("employee",), worker, f"{head_dept['name']}的员工（只看得到自己）"))

    logins.append(DemoLogin("analyst", ("analyst",), None, "数据分析师（只看汇总，不看个人）"))
    logins.append(DemoLogin("admin", ("admin",), None, "系统管理员"))
    return logins


def create_demo_users(db: Database) -> list[DemoLogin]:
    """Create the demo accounts of :func:`plan_demo_logins` with :data:`DEMO_PASSWORD`; accounts that
    already exist are left as they are. Returns the accounts created."""
    created = []
    for login in plan_demo_logins(db):
        if db.scalar("SELECT count(*) FROM users WHERE username = ?", [login.username]):
            continue
        if login.employee_id and db.scalar("SELECT count(*) FROM users WHERE employee_id = ?", [login.employee_id]):
            continue  # that person already has an account of their own
        auth.create_user(
            db,
            ACTOR,
            login.username,
            DEMO_PASSWORD,
            list(login.roles),
            employee_id=login.employee_id,
            display_name=None if login.employee_id else vocabulary.ROLE_LABELS[login.roles[0]],
            hrbp_departments=login.hrbp_departments,
        )
        created.append(login)
    return created
