"""The KPI screens through the app (AppTest): 指标库, 岗位模板 and 变更审批 — who may open them, what they
show, a change request filed, approved and rejected through the screens, and the English labels."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core import auth, kpi_changes
from core.db import Database, copy_database, open_database
from core.kpi import quarter_start, write_kpi_version, write_template_version
from tests.apptest import StartApp, all_text, everything_shown, open_page
from tests.conftest import PASSWORD

REFUSED = "你没有权限查看或操作这项内容。如需访问，请联系人力资源部开通权限。"
PAGES = {
    "kpi_library": ("pages/kpi_library.py", "指标库", "KPI library"),
    "templates": ("pages/templates.py", "岗位模板", "Position templates"),
    "kpi_changes": ("pages/kpi_changes.py", "变更审批", "Change approvals"),
}
LIBRARY = [
    ("K001", "产量达成率", "业绩类", "%", "higher", "ratio", "manual"),
    ("K002", "良品率", "业绩类", "%", "higher", "linear", "manual"),
    ("K003", "督办事项按时完成率", "职能类", "%", "higher", "ratio", "manual"),
    ("K004", "工作纪律", "行为类", "分", "higher", "manual", "manual"),
]
# The template of 生产部's 部门经理 (the head's own position): 业绩类 65, 职能类 20, 行为类 15.
TEMPLATE = [("K001", 40.0, 100.0), ("K002", 25.0, 98.0), ("K003", 20.0, 95.0), ("K004", 15.0, None)]
HEAD_POSITION = "部门经理"
HEAD_DEPARTMENT = "生产部"


def head_position(db: Database) -> str:
    return db.scalar(
        "SELECT p.position_id FROM positions p JOIN departments d USING (dept_id) WHERE p.name = ? AND d.name = ?",
        [HEAD_POSITION, HEAD_DEPARTMENT],
    )


def add_kpi_library(path: Path) -> None:
    """A small library, the head's position template in force this quarter, the head's own manager
    ('director', who decides step 1 of the head's requests: nobody approves their own), an HRBP of 生产部
    ('bp2') and a VP not linked to an employee ('vp', covers every department)."""
    with open_database(path) as db:
        dept = db.scalar("SELECT dept_id FROM departments WHERE name = ?", [HEAD_DEPARTMENT])
        position = head_position(db)
        with db.transaction() as cur:
            for kpi_id, name, category, unit, direction, method, source in LIBRARY:
                definition = {"name": name, "category": category, "unit": unit, "direction": direction,
                              "method": method, "data_source": source, "description": f"{name}（测试）"}  # fmt: skip
                write_kpi_version(cur, kpi_id, definition, "active")
            items = [{"kpi_id": k, "weight": w, "target": tg, "floor": None, "stretch": None} for k, w, tg in TEMPLATE]
            write_template_version(cur, position, quarter_start(dt.date.today()), items, "fixture")
            cur.execute("INSERT INTO employees (employee_id, name, status) VALUES ('00009', '运营总监', 'active')")
            cur.execute("UPDATE employees SET manager_id = '00009' WHERE employee_id = '00101'")
        auth.create_user(db, "fixture", "director", PASSWORD, ["manager"], employee_id="00009")
        auth.create_user(db, "fixture", "bp2", PASSWORD, ["hrbp"], hrbp_departments=[dept])
        auth.create_user(db, "fixture", "vp", PASSWORD, ["executive"])


@pytest.fixture(scope="session")
def kpi_company_template(tmp_path_factory: pytest.TempPathFactory, access_company: Path) -> Path:
    path = tmp_path_factory.mktemp("kpi_db") / "company.duckdb"
    copy_database(access_company, path)
    add_kpi_library(path)
    return path


@pytest.fixture
def kpi_company(tmp_path: Path, kpi_company_template: Path) -> Path:
    """A private copy of the fixture company with a KPI library, a template and the approvers."""
    path = tmp_path / "company.duckdb"
    copy_database(kpi_company_template, path)
    return path


def open_screen(start_app: StartApp, db_path: Path, login: str, screen: str, **kwargs: object) -> AppTest:
    at = start_app(db_path, login=login, **kwargs)
    return open_page(at, PAGES[screen][0])


def weight_proposal(db_path: Path, login: str = "head") -> str:
    """The head's weight change on their own position's template (K001 40 → 35, K003 20 → 25), next quarter."""
    with open_database(db_path) as db:
        user = auth.get_user(db, login)
        position = head_position(db)
        weights = {"K001": 35.0, "K002": 25.0, "K003": 25.0, "K004": 15.0}
        items = [{"kpi_id": k, "weight": weights[k], "target": tg, "floor": None, "stretch": None}
                 for k, _, tg in TEMPLATE]  # fmt: skip
        next_quarter = quarter_start(quarter_start(dt.date.today()) + dt.timedelta(days=100))
        payload = {"position_id": position, "valid_from": next_quarter, "items": items}
        return kpi_changes.propose_change(db, user, "template", payload, "加大职能类考核")


# -- who may open them ------------------------------------------------------------------------------


@pytest.mark.parametrize("login", ["worker", "analyst", None])
@pytest.mark.parametrize("screen", list(PAGES))
def test_employee_analyst_and_strangers_cannot_open_the_kpi_screens(
    start_app: StartApp, kpi_company: Path, login: str | None, screen: str
) -> None:
    at = start_app(kpi_company, login=login)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(PAGES[screen][0])
    # ... and run on its own, the page shows the refusal and nothing else.
    alone = start_app(kpi_company, login=login, page=PAGES[screen][0])
    assert REFUSED in [e.value for e in alone.error]
    assert not alone.dataframe and not alone.tabs
    assert "产量达成率" not in everything_shown(alone)


@pytest.mark.parametrize("login", ["hr", "admin", "head", "bp", "exec"])
@pytest.mark.parametrize("screen", list(PAGES))
def test_hr_managers_hrbps_and_executives_open_the_kpi_screens(
    start_app: StartApp, kpi_company: Path, login: str, screen: str
) -> None:
    at = open_screen(start_app, kpi_company, login, screen)
    assert [t.value for t in at.title] == [PAGES[screen][1]]
    assert REFUSED not in [e.value for e in at.error]


# -- 指标库 --------------------------------------------------------------------------------------------


def test_library_lists_filters_and_shows_a_kpi_with_its_formula(start_app: StartApp, kpi_company: Path) -> None:
    at = open_screen(start_app, kpi_company, "hr", "kpi_library")
    table = at.dataframe[0].value
    assert sorted(table["指标编号"]) == ["K001", "K002", "K003", "K004"]
    assert "共 4 项指标。" in all_text(at)
    at.selectbox(key="kpi.category").set_value("行为类").run()
    assert list(at.dataframe[0].value["指标编号"]) == ["K004"]
    at.selectbox(key="kpi.category").set_value(None).run()
    at.text_input(key="kpi.search").set_value("良品").run()
    assert list(at.dataframe[0].value["指标编号"]) == ["K002"]
    text = all_text(at)
    assert "良品率（K002）" in text and "评分公式" in text and "底线得60分" in text
    # HR downloads the workbook and is pointed to 数据导入
    assert next(b.label for b in at.link_button) == "下载指标库工作簿"
    assert "数据导入" in text


def test_library_change_request_from_the_form(start_app: StartApp, kpi_company: Path) -> None:
    at = open_screen(start_app, kpi_company, "head", "kpi_library")
    at.text_input(key="kpi.search").set_value("良品").run()
    assert all(b.label != "下载指标库工作簿" for b in at.link_button)
    at.text_input(key="kpi.modify.K002.unit").set_value("百分比")
    at.text_area(key="kpi.modify.K002.reason").set_value("统一单位写法")
    submit = next(b for b in at.button if b.label == "提交变更申请")
    submit.click().run()
    assert not at.exception
    assert any("已提交变更申请 CHG-" in s.value for s in at.success), [e.value for e in at.error]
    with open_database(kpi_company) as db:
        (change,) = kpi_changes.list_changes(db, auth.get_user(db, "hr"))
    assert change["kind"] == "kpi_modify" and change["payload"]["unit"] == "百分比"


def test_library_refusal_from_core_is_shown(start_app: StartApp, kpi_company: Path) -> None:
    at = open_screen(start_app, kpi_company, "head", "kpi_library")
    at.text_input(key="kpi.search").set_value("良品").run()
    submit = next(b for b in at.button if b.label == "提交变更申请")
    submit.click().run()  # nothing changed and no reason
    assert any("变更理由" in e.value or "没有" in e.value for e in at.error)


# -- 岗位模板 -------------------------------------------------------------------------------------------


def test_template_screen_shows_the_template_in_force_and_checks_the_editor(
    start_app: StartApp, kpi_company: Path
) -> None:
    with open_database(kpi_company) as db:
        position = head_position(db)
    at = open_screen(start_app, kpi_company, "head", "templates", query={"position": position})
    # a manager sees their own department only
    assert at.selectbox(key="tpl.department").options == [HEAD_DEPARTMENT]
    assert at.selectbox(key="tpl.position").value == position
    current = at.dataframe[0].value
    assert list(current["指标编号"]) == ["K001", "K002", "K003", "K004"]
    assert list(current["权重（%）"]) == [40.0, 25.0, 20.0, 15.0]
    text = all_text(at)
    assert "检查通过" in text
    assert next(m.value for m in at.metric) == "100"
    assert "历史推荐区间" in everything_shown(at) or "目标与历史推荐区间" in text


def test_template_screen_shows_a_new_version_and_its_history(start_app: StartApp, kpi_company: Path) -> None:
    change_id = weight_proposal(kpi_company)
    with open_database(kpi_company) as db:
        for login, step in (("director", 1), ("bp2", 2), ("vp", 3)):
            kpi_changes.decide(db, auth.get_user(db, login), change_id, step, True, "同意")
        position = head_position(db)
    at = open_screen(start_app, kpi_company, "vp", "templates", query={"position": position})
    shown = everything_shown(at)
    versions = next(df.value for df in at.dataframe if "版本" in df.value.columns and "指标数" in df.value.columns)
    assert list(versions["版本"]) == [2, 1]
    history = next(df.value for df in at.dataframe if "申请编号" in df.value.columns)
    assert list(history["申请编号"]) == [change_id] and list(history["状态"]) == ["已生效"]
    assert "调整模板" not in [t.label for t in at.tabs]  # the VP approves, they do not propose
    assert change_id in shown


# -- 变更审批 -------------------------------------------------------------------------------------------


def _decide_on_screen(start_app: StartApp, db_path: Path, login: str, change_id: str, *, approve: bool,
                      comment: str = "") -> AppTest:  # fmt: skip
    at = open_screen(start_app, db_path, login, "kpi_changes")
    assert at.selectbox(key="chg.queue_pick").value == change_id
    at.text_area(key=f"chg.comment.{change_id}").set_value(comment)
    at.button(key=f"chg.{'approve' if approve else 'reject'}.{change_id}").click().run()
    return at


def test_three_approvals_through_the_screen(start_app: StartApp, kpi_company: Path) -> None:
    change_id = weight_proposal(kpi_company)
    mine = open_screen(start_app, kpi_company, "head", "kpi_changes")
    assert "我的申请（1）" in [t.label for t in mine.tabs]
    for login in ("director", "bp2", "vp"):
        at = _decide_on_screen(start_app, kpi_company, login, change_id, approve=True)
        assert any(change_id in w.value for w in at.warning)  # asked first
        diff = next(df.value for df in at.dataframe if "原值" in df.value.columns)
        assert ("K001", "权重", "40", "35") in list(diff.itertuples(index=False, name=None))
        at.button(key=f"chg.confirm.approve.{change_id}").click().run()
        assert not at.exception
        done = [s.value for s in at.success]
        assert done == [
            f"申请 {change_id} 已通过最后一步，变更已生效。" if login == "vp" else f"已通过申请 {change_id}。"
        ]
    with open_database(kpi_company) as db:
        assert kpi_changes.get_change(db, change_id)["status"] == "approved"
        assert db.scalar("SELECT count(*) FROM audit_log WHERE action = 'kpi_change_approve'") == 3


def test_reject_needs_a_comment_and_a_confirmation(start_app: StartApp, kpi_company: Path) -> None:
    change_id = weight_proposal(kpi_company)
    at = _decide_on_screen(start_app, kpi_company, "director", change_id, approve=False)
    assert "驳回必须填写审批意见：请说明驳回的原因。" in [e.value for e in at.error]
    at.text_area(key=f"chg.comment.{change_id}").set_value("行为类比例不变")
    at.button(key=f"chg.reject.{change_id}").click().run()
    assert any("确认驳回" in w.value for w in at.warning)
    at.button(key=f"chg.cancel.reject.{change_id}").click().run()
    with open_database(kpi_company) as db:
        assert kpi_changes.get_change(db, change_id)["status"] == "pending"
    at.button(key=f"chg.reject.{change_id}").click().run()
    at.button(key=f"chg.confirm.reject.{change_id}").click().run()
    assert [s.value for s in at.success] == [f"已驳回申请 {change_id}。"]
    with open_database(kpi_company) as db:
        change = kpi_changes.get_change(db, change_id)
    assert change["status"] == "rejected" and change["steps"][0]["comment"] == "行为类比例不变"


def test_requester_withdraws_after_confirming(start_app: StartApp, kpi_company: Path) -> None:
    change_id = weight_proposal(kpi_company)
    at = open_screen(start_app, kpi_company, "head", "kpi_changes")
    at.button(key=f"chg.withdraw.{change_id}").click().run()
    at.button(key=f"chg.confirm.withdraw.{change_id}").click().run()
    assert [s.value for s in at.success] == [f"已撤回申请 {change_id}。"]


def test_someone_outside_the_scope_has_an_empty_queue(start_app: StartApp, kpi_company: Path) -> None:
    weight_proposal(kpi_company)
    at = open_screen(start_app, kpi_company, "bp", "kpi_changes")  # the HRBP of 质检部
    assert "没有等待你审批的申请。" in all_text(at)


def test_english_labels(start_app: StartApp, kpi_company: Path) -> None:
    weight_proposal(kpi_company)
    for screen, (_, _, english) in PAGES.items():
        at = open_screen(start_app, kpi_company, "head", screen, lang="en")
        assert [t.value for t in at.title] == [english]
    assert "My requests (1)" in [t.label for t in at.tabs] and "Waiting for me (0)" in [t.label for t in at.tabs]
    director = open_screen(start_app, kpi_company, "director", "kpi_changes", lang="en")
    assert "Waiting for me (1)" in [t.label for t in director.tabs]
    audit_labels = {
        "kpi_change_propose": "提交指标变更申请",
        "kpi_change_approve": "审批通过指标变更",
        "kpi_change_reject": "驳回指标变更",
        "kpi_change_withdraw": "撤回指标变更申请",
        "kpi_bands_update": "修改指标类别权重区间",
    }
    from ui.i18n import CATALOG

    for action, label in audit_labels.items():
        assert CATALOG[f"audit.action.{action}"][0] == label


def test_hr_sets_the_category_bands_in_the_settings(start_app: StartApp, kpi_company: Path) -> None:
    library = open_screen(start_app, kpi_company, "hr", "kpi_library")
    assert any(link.label == "在「系统设置」中修改各类指标的权重区间" for link in library.get("page_link"))
    at = open_page(start_app(kpi_company, login="hr"), "pages/settings.py")
    at.number_input(key="kpi.bands.业绩类.low").set_value(40.0)
    at.number_input(key="kpi.bands.业绩类.high").set_value(80.0)
    next(b for b in at.button if b.label == "保存权重区间").click().run()
    assert not at.exception and any("已保存" in s.value for s in at.success)
    with open_database(kpi_company) as db:
        from core.settings import category_bands

        assert category_bands(db)["业绩类"] == (40.0, 80.0)
        assert db.scalar("SELECT count(*) FROM audit_log WHERE action = 'kpi_bands_update'") == 1
    # bands nobody could meet are refused with core's sentence, nothing saved
    at.number_input(key="kpi.bands.职能类.low").set_value(70.0)
    at.number_input(key="kpi.bands.职能类.high").set_value(80.0)  # lows now add up to 120
    next(b for b in at.button if b.label == "保存权重区间").click().run()
    assert any("任何模板都无法同时满足" in e.value for e in at.error)
    with open_database(kpi_company) as db:
        from core.settings import category_bands

        assert category_bands(db)["职能类"] == (10.0, 40.0)
    # managers do not get the band editor, on the library screen or anywhere
    head = open_screen(start_app, kpi_company, "head", "kpi_library")
    assert not [b for b in head.button if b.label == "保存权重区间"]
    assert not [link for link in head.get("page_link") if "权重区间" in link.label]
