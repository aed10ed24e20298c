"""The demo company's logins: one per role, picked from the roster by fixed rules, all able to log in."""

from __future__ import annotations

from pathlib import Path

from core import auth, org
from core.db import open_database
from demo.logins import DEMO_PASSWORD, create_demo_users, plan_demo_logins
from tests.conftest import BuiltDemo


def test_demo_company_gets_one_login_per_role(demo_company: BuiltDemo, demo_db: Path) -> None:
    summary = demo_company.summary  # building the demo created the logins
    with open_database(demo_db) as db:
        assert summary.logins == ["hr", "exec", "hrbp", "head", "lead", "employee", "analyst", "admin"]
        assert create_demo_users(db) == []  # a second run changes nothing
        created = plan_demo_logins(db)
        assert [c.username for c in created] == summary.logins
        by_name = {c.username: c for c in created}
        dept = {r["name"]: r for r in db.rows("SELECT dept_id, name, head_id FROM departments")}
        assert by_name["head"].employee_id == dept["生产一车间"]["head_id"]
        assert by_name["hr"].employee_id == dept["人力资源部"]["head_id"]
        assert by_name["exec"].employee_id == dept["总经办"]["head_id"]
        assert set(by_name["hrbp"].hrbp_departments) == {dept["生产一车间"]["dept_id"], dept["生产二车间"]["dept_id"]}
        manager_of = {
            r["employee_id"]: r["manager_id"] for r in db.rows("SELECT employee_id, manager_id FROM employees")
        }
        assert manager_of[by_name["lead"].employee_id] == by_name["head"].employee_id
        assert manager_of[by_name["employee"].employee_id] == by_name["lead"].employee_id
        for login in created:
            user = auth.authenticate(db, login.username, DEMO_PASSWORD)
            assert user.roles == set(login.roles)
        lead = auth.get_user(db, "lead")
        head = auth.get_user(db, "head")
        lead_team = org.search_employees(db, lead)["employee_id"].to_list()
        assert by_name["employee"].employee_id in lead_team
        assert set(lead_team) < set(org.search_employees(db, head)["employee_id"].to_list())
