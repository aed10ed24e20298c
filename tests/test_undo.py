"""Undoing an import batch (pipelines/undo.py and each source's undo.py): every row a batch loaded goes
in one transaction, what a roster changed comes back as it was, the preview is exactly what the undo
does, later work that depends on the rows refuses the undo with a Chinese reason, a second undo is
refused, the undo is audited and leaves the batch in the history as undone, and a failure half-way
leaves everything as it was."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

import pipelines.roster.undo as roster_undo
import pipelines.undo as undo_module
from core import auth
from core.auth import User
from core.cycles import open_cycle
from core.db import Database
from core.permissions import Forbidden
from pipelines import import_file
from pipelines.undo import UndoRefused, preview_undo, undo_batch
from tests import builders as b
from tests.cycles import install_templates

HR = User("hr_wang", frozenset({"hr"}))
HAN = b.HAN
PEOPLE = b.sample_people(10)
ORG = ("departments", "positions", "employees")
LEGACY = ("kpis", "cycles", "appraisals", "appraisal_items")
LIBRARY = ("kpis", "kpi_versions", "template_versions", "position_kpis")
IMAGES = ("import_employee_images", "import_department_images")
EVERYTHING = (*ORG, *LEGACY, *LIBRARY[1:], *IMAGES, "import_batches", "import_rejects", "audit_log")
LIB_HEAD = ["指标编号", "指标名称", "类别", "单位", "方向", "计分方法", "数据来源", "说明",
            "等级1描述", "等级2描述", "等级3描述", "等级4描述", "等级5描述", "扣分步长", "状态"]  # fmt: skip
TPL_HEAD = ["部门", "岗位", "版本", "生效日期", "指标编号", "指标", "权重", "目标", "保底值", "挑战值"]
NONE5: list[object] = [None] * 5


def snapshot(db: Database, tables: tuple[str, ...] = EVERYTHING) -> dict[str, list[tuple]]:
    """Every row of ``tables`` (sorted), to prove what changed and what did not."""
    return {t: sorted(db.frame(f"SELECT * FROM {t}").rows(), key=repr) for t in tables}


def audit_rows(db: Database, action: str) -> list[dict]:
    return db.rows("SELECT actor, entity_id, detail FROM audit_log WHERE action = ? ORDER BY seq", [action])


def imported(db: Database, path: Path, expect: str = "loaded") -> str:
    report = import_file(db, path, uploaded_by="hr_wang")
    assert report.status == expect, report.to_dict()
    assert report.batch_id
    return report.batch_id


def lib_rows(description: str | None = None) -> list[list[object]]:
    return [
        ["K-Q1", "日均完成抽检", "业绩类", "件", "越高越好", "线性", "人工录入", description, *NONE5, None, "在用"],
        ["K-F1", "质检报告及时率", "职能类", "%", "越高越好", "完成率", "人工录入", None, *NONE5, None, "在用"],
        ["K-B1", "团队协作", "行为类", None, "越高越好", "等级评分", "跨部门互评", None,
         "从不配合", "偶尔配合", "能够配合", "主动配合", "带动他人配合", None, "在用"],
    ]  # fmt: skip


def tpl_rows(valid_from: str = "2025-01-01", weights: tuple[int, int, int] = (60, 25, 15)) -> list[list[object]]:
    return [
        ["质检部", "质检员", None, valid_from, "K-Q1", "日均完成抽检", weights[0], 200, 150, 240],
        ["质检部", "质检员", None, valid_from, "K-F1", "质检报告及时率", weights[1], 95, 80, 100],
        ["质检部", "质检员", None, valid_from, "K-B1", "团队协作", weights[2], None, None, None],
    ]


def library_file(path: Path, lib=None, tpl=None) -> Path:
    sheets: dict[str, list[list[object]]] = {"指标库": [LIB_HEAD, *(lib or lib_rows())]}
    if tpl is not None:
        sheets["岗位模板"] = [TPL_HEAD, *tpl]
    return b.write_xlsx(path, sheets)  # type: ignore[arg-type]


def assert_undone(db: Database, plan, batch_id: str) -> None:
    batch = db.one("SELECT status, undone_by, undone_at FROM import_batches WHERE batch_id = ?", [batch_id])
    assert batch["status"] == "undone" and batch["undone_by"] == HR.username and batch["undone_at"]
    (row,) = [r for r in audit_rows(db, "import_undo") if r["entity_id"] == batch_id]
    detail = json.loads(row["detail"])
    assert row["actor"] == HR.username
    assert (detail["removed"], detail["restored"]) == (plan.removed, plan.restored)


@pytest.fixture
def roster_db(fresh_db: Database, tmp_path: Path) -> tuple[Database, str]:
    """A database holding one roster of ten people in two departments."""
    return fresh_db, imported(fresh_db, b.write_roster(tmp_path / "花名册.xlsx", PEOPLE))


# -- rosters --------------------------------------------------------------------------------------


def test_undoing_a_first_roster_removes_every_row_it_added(fresh_db: Database, tmp_path: Path) -> None:
    path = b.write_roster(tmp_path / "花名册.xlsx", PEOPLE)
    empty = snapshot(fresh_db, ORG)
    batch_id = imported(fresh_db, path)
    before = snapshot(fresh_db)
    plan = preview_undo(fresh_db, HR, batch_id)
    assert snapshot(fresh_db) == before  # the preview changes nothing
    assert plan.possible and plan.removed == {"employees": 10, "positions": 4, "departments": 2}
    assert plan.restored == {}
    done = undo_batch(fresh_db, HR, batch_id)
    assert (done.removed, done.restored) == (plan.removed, plan.restored)
    assert snapshot(fresh_db, ORG) == empty
    assert_undone(fresh_db, done, batch_id)
    assert "删除员工 10 人" in done.summary()
    # the batch stays in the history, and the same file may be imported again
    assert import_file(fresh_db, path).status == "loaded"


def test_a_roster_that_changed_people_gets_them_back_exactly(roster_db, tmp_path: Path) -> None:
    db, _ = roster_db
    after_first = snapshot(db, ORG)
    changed = list(PEOPLE)
    moved = changed[3]
    changed[3] = b.Person(moved.employee_id, "测试改名", "物流部", "仓管员", None, moved.hire_date)
    changed.append(b.Person("00120", "测试新人", "物流部", "仓管员", moved.employee_id, PEOPLE[0].hire_date))
    second = imported(db, b.write_roster(tmp_path / "花名册v2.xlsx", changed))
    assert db.scalar("SELECT name FROM employees WHERE employee_id = ?", [moved.employee_id]) == "测试改名"
    plan = undo_batch(db, HR, second)
    assert plan.removed == {"employees": 1, "positions": 1, "departments": 1}
    assert plan.restored["employees"] == 1
    assert snapshot(db, ORG) == after_first  # names, departments, managers and heads as before the batch
    assert db.scalar("SELECT count(*) FROM import_employee_images") == 0


def test_a_roster_changed_again_since_must_wait_for_the_later_batch(roster_db, tmp_path: Path) -> None:
    db, _ = roster_db
    after_first = snapshot(db, ORG)
    person = PEOPLE[2]
    renamed = [b.Person(person.employee_id, n, person.department, person.position, person.manager_id, person.hire_date)
               for n in ("测试二名", "测试三名")]  # fmt: skip
    second = imported(db, b.write_roster(tmp_path / "v2.xlsx", [*PEOPLE[:2], renamed[0], *PEOPLE[3:]]))
    third = imported(db, b.write_roster(tmp_path / "v3.xlsx", [*PEOPLE[:2], renamed[1], *PEOPLE[3:]]))
    before = snapshot(db)
    with pytest.raises(UndoRefused) as refused:
        undo_batch(db, HR, second)
    assert "之后又有改动" in str(refused.value) and "测试三名" in str(refused.value) and HAN.search(str(refused.value))
    assert snapshot(db) == before
    undo_batch(db, HR, third)
    undo_batch(db, HR, second)
    assert snapshot(db, ORG) == after_first


def _legacy_appraisals(db: Database, tmp_path: Path) -> str:
    return imported(db, b.write_xlsx(tmp_path / "一季度.xlsx", {"S": b.simple_legacy_rows({"00102": 88}, "2024Q1")}))


def _login(db: Database, tmp_path: Path) -> str:
    auth.create_user(db, "fixture", "ceshi", "Passw0rd-test", ["employee"], employee_id="00102")
    return "ceshi"


def _actual(db: Database, tmp_path: Path) -> str:
    with db.transaction() as cur:
        cur.execute(
            "INSERT INTO kpi_actuals (employee_id, kpi_id, as_of, value, source, recorded_by, recorded_at)"
            " VALUES ('00102', 'K-X', DATE '2024-03-31', 1.0, 'manual', 'hr', now())"
        )
    return "00102/K-X"


@pytest.mark.parametrize(
    ("depend", "words"),
    [(_legacy_appraisals, "考核记录"), (_login, "登录账户"), (_actual, "指标实际值")],
    ids=["appraisals", "login", "actuals"],
)
def test_a_roster_whose_people_are_used_is_refused_naming_what_uses_them(
    roster_db, tmp_path: Path, depend, words: str
) -> None:
    db, batch_id = roster_db
    example = depend(db, tmp_path)
    before = snapshot(db)
    plan = preview_undo(db, HR, batch_id)
    assert not plan.possible and any(words in s and "测试乙（00102）" in s for s in plan.blockers), plan.blockers
    with pytest.raises(UndoRefused) as refused:
        undo_batch(db, HR, batch_id)
    assert words in refused.value.plan.reason and HAN.search(refused.value.plan.reason)
    if not example.startswith("B"):
        assert example in refused.value.plan.reason
    assert snapshot(db) == before
    assert not audit_rows(db, "import_undo")


# -- legacy appraisal files -----------------------------------------------------------------------


def test_undoing_a_legacy_file_removes_its_appraisals_items_kpis_and_cycles(roster_db, tmp_path: Path) -> None:
    db, _ = roster_db
    before = snapshot(db, (*ORG, *LEGACY))
    newcomer = b.Person("00190", "测试旧人", "生产部", "装配工", None, PEOPLE[0].hire_date)
    batch_id = imported(db, b.write_form_workbook(tmp_path / "2024年3月个人考核.xlsx", [PEOPLE[1], newcomer]))
    assert db.scalar("SELECT status FROM employees WHERE employee_id = '00190'") == "historical"
    plan = preview_undo(db, HR, batch_id)
    expected = {"appraisal_items": 8, "appraisals": 2, "employees": 1, "kpis": len(b.FORM_ITEMS), "cycles": 1}
    assert plan.possible and plan.removed == expected
    done = undo_batch(db, HR, batch_id)
    assert done.removed == expected
    assert snapshot(db, (*ORG, *LEGACY)) == before
    assert_undone(db, done, batch_id)


def test_a_legacy_kpi_or_cycle_another_file_uses_stays(roster_db, tmp_path: Path) -> None:
    db, _ = roster_db
    march = imported(db, b.write_form_workbook(tmp_path / "三月.xlsx", [PEOPLE[1]], month="2024-03"))
    april = imported(db, b.write_form_workbook(tmp_path / "四月.xlsx", [PEOPLE[2]], month="2024-04"))
    q1 = imported(db, b.write_xlsx(tmp_path / "一季度.xlsx", {"S": b.simple_legacy_rows({"00103": 80}, "2024Q1")}))
    q1_again = imported(
        db, b.write_xlsx(tmp_path / "一季度补.xlsx", {"S": b.simple_legacy_rows({"00104": 70}, "2024Q1")})
    )
    kpis = db.scalar("SELECT count(*) FROM kpis WHERE status = 'legacy'")
    first = undo_batch(db, HR, march)
    assert "kpis" not in first.removed and first.removed["cycles"] == 1  # April still names the KPIs
    assert db.scalar("SELECT count(*) FROM kpis WHERE status = 'legacy'") == kpis
    assert undo_batch(db, HR, april).removed["kpis"] == kpis
    assert "cycles" not in undo_batch(db, HR, q1).removed  # the other Q1 file still has appraisals in it
    assert undo_batch(db, HR, q1_again).removed == {"appraisals": 1, "cycles": 1}
    assert db.scalar("SELECT count(*) FROM cycles") == 0


def test_history_counted_in_an_annual_result_and_people_in_an_app_cycle_refuse_the_undo(
    roster_db, tmp_path: Path
) -> None:
    db, roster_batch = roster_db
    install_templates(db)
    scores = {p.employee_id: 80 + i for i, p in enumerate(PEOPLE)}
    quarter = imported(db, b.write_xlsx(tmp_path / "一季度.xlsx", {"S": b.simple_legacy_rows(scores, "2024Q1")}))
    weights = {"quarters": {"Q1": 15, "Q2": 15, "Q3": 15, "Q4": 15}, "review": 40}
    opened = open_cycle(db, HR, kind="annual", year=2024, annual_weights=weights, today=dt.date(2024, 11, 1))
    name = db.scalar("SELECT name FROM cycles WHERE cycle_id = ?", [opened.cycle_id])
    before = snapshot(db)
    with pytest.raises(UndoRefused) as refused:
        undo_batch(db, HR, quarter)
    assert f"已计入年度考核周期「{name}」" in str(refused.value)
    with pytest.raises(UndoRefused) as roster_refused:
        undo_batch(db, HR, roster_batch)
    assert f"{opened.cycle_id}:" in str(roster_refused.value)  # the app cycle's appraisals name its people
    assert snapshot(db) == before


# -- the KPI library ------------------------------------------------------------------------------


def test_undoing_a_library_workbook_removes_its_kpis_and_template_versions(roster_db, tmp_path: Path) -> None:
    db, _ = roster_db
    before = snapshot(db, LIBRARY)
    batch_id = imported(db, library_file(tmp_path / "指标库.xlsx", tpl=tpl_rows()))
    plan = preview_undo(db, HR, batch_id)
    expected = {"position_kpis": 3, "template_versions": 1, "kpis": 3, "kpi_versions": 3}
    assert plan.possible and plan.removed == expected and plan.restored == {}
    done = undo_batch(db, HR, batch_id)
    assert done.removed == expected
    assert snapshot(db, LIBRARY) == before
    assert_undone(db, done, batch_id)


def test_a_library_that_changed_kpis_and_templates_gets_the_previous_versions_back(roster_db, tmp_path: Path) -> None:
    db, _ = roster_db
    imported(db, library_file(tmp_path / "v1.xlsx", tpl=tpl_rows()))
    after_first = snapshot(db, LIBRARY)
    second = imported(
        db, library_file(tmp_path / "v2.xlsx", lib_rows("每日抽检件数的平均"), tpl_rows("2025Q2", (50, 30, 20)))
    )
    assert db.scalar("SELECT version FROM kpis WHERE kpi_id = 'K-Q1'") == 2
    done = undo_batch(db, HR, second)
    assert done.restored == {"kpis": 1} and done.removed == {
        "position_kpis": 3,
        "template_versions": 1,
        "kpi_versions": 1,
    }
    assert snapshot(db, LIBRARY) == after_first


def test_a_template_used_to_open_a_cycle_refuses_the_undo(roster_db, tmp_path: Path) -> None:
    db, _ = roster_db
    batch_id = imported(db, library_file(tmp_path / "指标库.xlsx", tpl=tpl_rows()))
    opened = open_cycle(db, HR, kind="quarterly", year=2025, part=2, today=dt.date(2025, 4, 1))
    name = db.scalar("SELECT name FROM cycles WHERE cycle_id = ?", [opened.cycle_id])
    before = snapshot(db)
    with pytest.raises(UndoRefused) as refused:
        undo_batch(db, HR, batch_id)
    reason = str(refused.value)
    assert f"已用于开启考核周期「{name}」" in reason and "考核项" in reason  # the items also name the KPIs it added
    assert snapshot(db) == before


def test_a_later_template_version_must_be_undone_first(roster_db, tmp_path: Path) -> None:
    db, _ = roster_db
    first = imported(db, library_file(tmp_path / "v1.xlsx", tpl=tpl_rows()))
    second = imported(db, library_file(tmp_path / "v2.xlsx", tpl=tpl_rows("2025Q2", (50, 30, 20))))
    with pytest.raises(UndoRefused) as refused:
        undo_batch(db, HR, first)
    assert "「质检员」的模板在本批次之后又有了新版本" in str(refused.value)
    undo_batch(db, HR, second)
    undo_batch(db, HR, first)
    assert db.scalar("SELECT count(*) FROM template_versions") == 0


# -- refusals, permission, failures ---------------------------------------------------------------


def test_a_second_undo_is_refused_saying_when_and_by_whom(roster_db, tmp_path: Path) -> None:
    db, _ = roster_db
    batch_id = _legacy_appraisals(db, tmp_path)
    undo_batch(db, HR, batch_id)
    before = snapshot(db)
    with pytest.raises(UndoRefused) as refused:
        undo_batch(db, HR, batch_id)
    assert "已于" in str(refused.value) and HR.username in str(refused.value) and "不能再撤销一次" in str(refused.value)
    assert snapshot(db) == before
    assert len(audit_rows(db, "import_undo")) == 1


def test_batches_that_loaded_nothing_or_do_not_exist_are_refused(fresh_db: Database, tmp_path: Path) -> None:
    picture = tmp_path / "照片.xlsx"
    picture.write_bytes(b.PNG_BYTES)
    refused_batch = import_file(fresh_db, picture).batch_id
    for batch_id, words in ((refused_batch, "没有导入任何数据"), ("B-no-such-batch", "没有找到批次")):
        plan = preview_undo(fresh_db, HR, batch_id)
        assert not plan.possible and words in plan.reason
        with pytest.raises(UndoRefused):
            undo_batch(fresh_db, HR, batch_id)


def test_only_those_who_may_import_may_preview_or_undo(roster_db) -> None:
    db, batch_id = roster_db
    for user in (None, User("mgr", frozenset({"manager"})), User("it", frozenset({"admin"}))):
        with pytest.raises(Forbidden):
            preview_undo(db, user, batch_id)
        with pytest.raises(Forbidden):
            undo_batch(db, user, batch_id)
    assert db.scalar("SELECT status FROM import_batches WHERE batch_id = ?", [batch_id]) == "loaded"


def test_a_failure_half_way_leaves_everything_as_it_was(roster_db, tmp_path: Path, monkeypatch) -> None:
    db, _ = roster_db
    changed = [b.Person(p.employee_id, p.name, "总装车间", p.position, p.manager_id, p.hire_date) for p in PEOPLE]
    second = imported(db, b.write_roster(tmp_path / "v2.xlsx", changed))
    legacy = _legacy_appraisals(db, tmp_path)
    before = snapshot(db)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full (simulated)")

    # after the roster's people were put back and its rows removed, before the dependents are checked
    monkeypatch.setattr(roster_undo, "still_used", broken)
    with pytest.raises(RuntimeError):
        undo_batch(db, HR, second)
    assert snapshot(db) == before
    monkeypatch.undo()
    # after the legacy rows were removed, while the batch is marked undone
    monkeypatch.setattr(undo_module, "mark_undone", broken)
    with pytest.raises(RuntimeError):
        undo_batch(db, HR, legacy)
    assert snapshot(db) == before
    monkeypatch.undo()
    assert undo_batch(db, HR, legacy).removed == {"appraisals": 1, "cycles": 1}
