"""Every text a screen sends to core has a length cap enforced in core (issue 10, point 9), and searches
match ``%`` and ``_`` literally (point 10): each entry point the screens call with free text, given
100,000 characters, refuses with the field's own sentence or, for a search or a filter, cuts it short and
finds nothing; nothing of it is written."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from core import access, auth, calibration, cycles, kpi, kpi_changes, org, settings
from core.db import Database, open_database
from core.errors import CoreError
from core.kpi import list_kpis, validate_kpi
from tests.test_kpi import LIBRARY, build_org

HUGE = "长" * 100_000


@pytest.fixture
def org_db(fresh_db: Database):
    users = build_org(fresh_db)
    return fresh_db, users


def audit_rows(db: Database) -> int:
    return db.scalar("SELECT count(*) FROM audit_log")


def calls(db: Database, users: dict) -> dict[str, Callable[[], object]]:
    """Each screen's core call with 100k characters in one of its text fields."""
    hr, head = users["hr"], users["head1"]
    definition = dict(LIBRARY["K-OUT"], kpi_id="K-NEW", name="新指标")
    return {
        "kpi proposal reason": lambda: kpi_changes.propose_change(db, head, "kpi_add", definition, HUGE),
        "kpi description": lambda: kpi_changes.propose_change(
            db, head, "kpi_add", dict(definition, description=HUGE), "理由"
        ),
        "kpi unit": lambda: kpi_changes.propose_change(db, head, "kpi_add", dict(definition, unit=HUGE), "理由"),
        "kpi id": lambda: kpi_changes.propose_change(db, head, "kpi_add", dict(definition, kpi_id=HUGE), "理由"),
        "kpi name": lambda: kpi_changes.propose_change(db, head, "kpi_add", dict(definition, name=HUGE), "理由"),
        "rubric level": lambda: kpi_changes.propose_change(
            db,
            head,
            "kpi_add",
            dict(definition, method="rubric", unit=None, rubric=["一般", "较好", HUGE, "优秀", "卓越"]),
            "理由",
        ),
        "cycle name": lambda: cycles.open_cycle(db, hr, kind="quarterly", year=dt.date.today().year, part=1, name=HUGE),
        "grade name": lambda: settings.set_grade_scale(db, hr, [(HUGE, 90), ("B", 60), ("C", 0)]),
        "display name": lambda: access.create_account(
            db, hr, "ana9", "Fresh-pass-2024", ["analyst"], display_name=HUGE
        ),
        "new username": lambda: access.create_account(db, hr, HUGE, "Fresh-pass-2024", ["analyst"]),
        "new password": lambda: access.create_account(db, hr, "ana9", "Aa1" + HUGE, ["analyst"]),
        "calibration note": lambda: calibration.calibrate(db, hr, "C-X:0001", "A", HUGE, version=1),
    }


@pytest.mark.parametrize(
    "entry",
    ["kpi proposal reason", "kpi description", "kpi unit", "kpi id", "kpi name", "rubric level", "cycle name",
     "grade name", "display name", "new username", "new password", "calibration note"],
)  # fmt: skip
def test_a_100k_text_is_refused_with_its_fields_sentence(org_db, entry: str) -> None:
    db, users = org_db
    before = audit_rows(db)
    with pytest.raises(CoreError) as err:
        calls(db, users)[entry]()
    text = err.value.render("en")
    assert HUGE[:20] not in str(err.value) and len(text) < 2000  # the message names the field, not the text
    assert any(words in text for words in ("at most", "longer than 100", "2–40 letters"))  # the cap, not another reason
    assert audit_rows(db) == before  # nothing written
    assert db.scalar("SELECT count(*) FROM kpi_changes") == 0


def test_a_decision_comment_is_capped(org_db) -> None:
    db, users = org_db
    change_id = kpi_changes.propose_change(db, users["head1"], "kpi_add", dict(LIBRARY["K-OUT"], name="新指标"), "理由")
    with pytest.raises(CoreError, match="不能超过 2000 字"):
        kpi_changes.decide(db, users["head1"], change_id, 1, False, HUGE)
    assert db.scalar("SELECT count(*) FROM kpi_change_steps") == 0


def test_a_rejection_note_of_an_account_request_is_capped(company_db: Path) -> None:
    with open_database(company_db) as db:
        auth.create_user(db, "cli", "hr2", "Second-hr-2024", ["hr"])
        hr, hr2 = auth.get_user(db, "hr"), auth.get_user(db, "hr2")
        filed = access.create_account(db, hr, "hr3", "Fresh-pass-2024", ["hr"])
        with pytest.raises(auth.UserError, match="不能超过 2000 字"):
            access.reject_request(db, hr2, filed.request_id, HUGE)
        assert db.scalar("SELECT status FROM account_requests") == "pending"


def test_searches_and_filters_cut_a_100k_text_and_find_nothing(org_db) -> None:
    db, users = org_db
    hr = users["hr"]
    assert list_kpis(db, search=HUGE) == []
    assert org.search_employees(db, hr, HUGE).height == 0
    assert access.audit_trail(db, hr, actor=HUGE, entity_id=HUGE, action=HUGE).height == 0
    with pytest.raises(auth.LoginFailed):
        auth.authenticate(db, HUGE, HUGE)
    assert HUGE[:50] not in " ".join(str(r) for r in db.rows("SELECT * FROM audit_log"))


def test_percent_and_underscore_match_literally(org_db) -> None:
    db, users = org_db
    hr = users["hr"]
    names = {r["kpi_id"]: r["name"] for r in list_kpis(db)}
    # only 漏检率's description (低于 0.5%) holds a '%'; no KPI holds a '_': a wildcard would match them all
    assert [k["kpi_id"] for k in list_kpis(db, search="%")] == ["K-MISS"]
    assert list_kpis(db, search="_") == [] and list_kpis(db, search="0_5") == []
    assert [k["kpi_id"] for k in list_kpis(db, search="0.5%")] == ["K-MISS"]
    assert [k["kpi_id"] for k in list_kpis(db, search="k-out")] == ["K-OUT"]  # still case-insensitive
    assert len(list_kpis(db, search="")) == len(names)
    with db.transaction() as cur:
        cur.execute("UPDATE employees SET name = '王_5%' WHERE employee_id = 'W1'")
    assert org.search_employees(db, hr, "_").get_column("employee_id").to_list() == ["W1"]
    assert org.search_employees(db, hr, "王_5%").get_column("employee_id").to_list() == ["W1"]
    assert org.search_employees(db, hr, "王x5").height == 0  # '_' is no wildcard
    assert org.search_employees(db, hr, "%").get_column("employee_id").to_list() == ["W1"]


def test_kpi_texts_within_their_limits_pass(org_db) -> None:
    fine = dict(LIBRARY["K-OUT"], description="说" * 2000, unit="万元/人·月", kpi_id="K-" + "9" * 38)
    assert validate_kpi(fine) == []
    assert kpi.TEXT_LIMITS["description"] == 2000
