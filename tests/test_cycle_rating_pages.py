"""AppTests of 自评 (pages/self_review.py) and 团队评分 (pages/team_rating.py): an appraisal of the fixture
company (worker 00102, manager head 00101) brought to 期末自评 through core.cycle, then self-assessed and
rated through the screens; scores checked against hand-worked values; a concurrent save refused without
losing the manager's input. Who may open the screens is tests/test_access_pages.py's business."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core import appraisal_edits, auth, cycles, vocabulary
from core.db import open_database
from tests.apptest import StartApp, all_text, everything_shown, open_page
from tests.cycles import install_templates, own_rating

SELF_PAGE = "pages/self_review.py"
TEAM_PAGE = "pages/team_rating.py"
WORKER = "00102"
REPORTS = ("00102", "00103", "00104")

# the fixture KPIs (tests/cycles.py) by name as the editors show them
OUT, DEF, PAY, SAFE, PASS, TEAM, ATT = "产量达成", "不良率", "回款率", "安全违规", "5S 检查达标", "团队协作", "工作态度"
NAMES = {
    "T-OUT": OUT, "T-DEF": DEF, "T-PAY": PAY, "T-SAFE": SAFE, "T-5S": PASS, "T-TEAM": TEAM, "T-ATT": ATT,
}  # fmt: skip
SELF_SCORES = {OUT: 105.0, DEF: 90.0, PAY: 100.0, SAFE: 80.0, PASS: 100.0, TEAM: 100.0, ATT: 95.0}
# what the employee types: a score, or for the rubric item its level (4 = 100 points, as the manager rates it)
SELF_INPUTS = {**SELF_SCORES, TEAM: 4.0}


def _version(db, appraisal_id: str) -> int:
    return db.scalar("SELECT row_version FROM appraisals WHERE appraisal_id = ?", [appraisal_id])


def _stage(db_path: Path, appraisal_id: str) -> str:
    with open_database(db_path) as db:
        return db.scalar("SELECT stage FROM appraisals WHERE appraisal_id = ?", [appraisal_id])


def _items(db_path: Path, appraisal_id: str) -> dict[str, dict]:
    with open_database(db_path) as db:
        rows = db.rows(
            "SELECT kpi_id, self_score, self_comment, manager_input, actual_value, actual_source, item_score,"
            " manager_comment FROM appraisal_items WHERE appraisal_id = ?",
            [appraisal_id],
        )
    return {NAMES[r["kpi_id"]]: r for r in rows}


@pytest.fixture
def rating_company(company_db: Path) -> tuple[Path, str]:
    """The fixture company with a Q4 2026 cycle: 00102's appraisal in 期末自评 (goals proposed and approved,
    both checked in, mid-term finished), 00103's in 中期回顾, 00104's in 目标制定; 回款率 of 00102 fed by
    finance (95). Returns the database path and 00102's appraisal id."""
    with open_database(company_db) as db:
        install_templates(db)
        hr, head, worker = (auth.get_user(db, name) for name in ("hr", "head", "worker"))
        report = cycles.open_cycle(db, hr, kind="quarterly", year=2026, part=4)
        appraisal_id = f"{report.cycle_id}:{WORKER}"
        appraisal_edits.save_goals(
            db, worker, appraisal_id, {"T-OUT": {"proposed_target": 100, "goal_note": "按计划"}},
            version=_version(db, appraisal_id),
        )  # fmt: skip
        appraisal_edits.act(db, head, appraisal_id, "approve_goals", version=_version(db, appraisal_id))
        appraisal_edits.add_checkin(db, worker, appraisal_id, "产量按计划推进", progress=60, kpi_id="T-OUT")
        appraisal_edits.add_checkin(db, head, appraisal_id, "继续保持，注意不良率")
        appraisal_edits.act(db, head, appraisal_id, "finish_midterm", version=_version(db, appraisal_id))
        other = f"{report.cycle_id}:00103"
        appraisal_edits.act(db, head, other, "approve_goals", version=_version(db, other))
        appraisal_edits.record_actual(db, hr, WORKER, "T-PAY", 95, as_of=dt.date(2026, 10, 31), source="finance")
    return company_db, appraisal_id


def _self_scored(db_path: Path, appraisal_id: str) -> None:
    """00102 self-scores every item and submits, through core: the appraisal reaches 上级评定."""
    with open_database(db_path) as db:
        worker = auth.get_user(db, "worker")
        edits = {k: {"self_input": SELF_INPUTS[n], "self_comment": f"{n}自评"} for k, n in NAMES.items()}
        version = appraisal_edits.save_self(db, worker, appraisal_id, edits, version=_version(db, appraisal_id))
        appraisal_edits.act(db, worker, appraisal_id, "submit_self", version=version)


def _edit(at: AppTest, key: str, rows: dict[str, dict[str, object]]) -> dict:
    """Seed the editor ``key`` with cell edits: {kpi name: {column: value}} (rows found by the 指标 column)."""
    editor = at.data_editor(key=key)
    names = list(editor.value["kpi"] if "kpi" in editor.value.columns else editor.value.iloc[:, 1])
    state = {
        "edited_rows": {names.index(name): dict(change) for name, change in rows.items()},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.session_state[key] = state
    return state


def _click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click().run()
    assert not at.exception, at.exception
    return at


# -- 自评 ---------------------------------------------------------------------------------------------------


def test_self_review_says_when_it_opens_and_lists_the_stages(start_app: StartApp, company_db: Path) -> None:
    with open_database(company_db) as db:
        install_templates(db)
        cycles.open_cycle(db, auth.get_user(db, "hr"), kind="quarterly", year=2026, part=4)
    at = open_page(start_app(company_db, login="worker"), SELF_PAGE)
    assert "自评在直属上级结束中期回顾后开放" in all_text(at)
    assert not at.data_editor
    stages = at.dataframe[0].value
    assert list(stages["当前阶段"]) == ["目标制定"] and list(stages["考核期"]) == ["2026-Q4"]


def test_worker_saves_self_scores_then_submits(start_app: StartApp, rating_company: tuple[Path, str]) -> None:
    db_path, appraisal_id = rating_company
    at = open_page(start_app(db_path, login="worker"), SELF_PAGE)
    key = f"self.editor.{appraisal_id}.0"
    shown = at.data_editor(key=key).value
    assert len(shown) == 7
    editor = at.data_editor(key=key).proto
    assert list(editor.column_order)[:3] == ["kpi", "self_input", "self_comment"]  # what to fill in comes first
    assert editor.HasField("placeholder") and editor.placeholder == ""  # an empty cell is blank, not 「None」
    # per row the scale that applies: a rubric item on its levels, as the manager rates it; any other 0–120
    assert shown[shown["kpi"] == TEAM].iloc[0]["scale"] == "填 1–5 级：1 很差 · 2 较差 · 3 合格 · 4 良好 · 5 优秀"
    assert {shown[shown["kpi"] == n].iloc[0]["scale"] for n in NAMES.values() if n != TEAM} == {"填 0–120 分"}
    text = everything_shown(at)
    # the formula of each method the employee is scored by, the fed actual and where it came from
    assert "达标得100分，未达标得0分" in text and "100 − 每次扣分 × 次数" in text
    assert f"{TEAM} · 行为锚定评分（1–5 级）：" in text and "；各级：1 很差 · 2 较差 · 3 合格 · 4 良好 · 5 优秀" in text
    assert f"{PAY} · 完成率（实际 / 目标）：" in text and "；实际值来自「财务」，截至 2026-10-31" in text
    assert "None" not in text
    pay = shown[shown["kpi"] == PAY].iloc[0]
    assert pay["actual"] == 95 and pay["source"] == "财务"

    # a draft with two items missing: saved, then the submit is refused with core's Chinese reason
    partial = {n: {"self_input": s, "self_comment": f"{n}说明"} for n, s in SELF_INPUTS.items() if n not in (TEAM, ATT)}
    _edit(at, key, partial)
    _click(at, "self.save")
    assert any("草稿已保存" in s.value for s in at.success)
    items = _items(db_path, appraisal_id)
    assert items[OUT]["self_score"] == 105.0 and items[OUT]["self_comment"] == f"{OUT}说明"
    assert items[TEAM]["self_score"] is None
    _click(at, "self.submit")
    assert any("提交后自评不能再修改" in w.value for w in at.warning)  # asked first
    _click(at, f"rating.confirm.submit_self.{appraisal_id}")
    assert "还有 2 项没有自评：工作态度、团队协作。请全部打分后再提交" in [e.value for e in at.error]
    assert _stage(db_path, appraisal_id) == "self_assessment"

    # the rest typed, then submitted (unsaved input is saved first)
    _edit(at, f"self.editor.{appraisal_id}.1", {TEAM: {"self_input": 4.0}, ATT: {"self_input": 95.0}})
    _click(at, "self.submit")
    _click(at, f"rating.confirm.submit_self.{appraisal_id}")
    assert any("自评已提交" in s.value for s in at.success)
    assert _stage(db_path, appraisal_id) == "manager_rating"
    items = _items(db_path, appraisal_id)
    assert {n: r["self_score"] for n, r in items.items()} == SELF_SCORES
    with open_database(db_path) as db:
        total = db.scalar("SELECT self_score FROM appraisals WHERE appraisal_id = ?", [appraisal_id])
    # (30×105 + 20×90 + 10×(100 + 80 + 100 + 100 + 95)) / 100
    assert total == pytest.approx(97.0)
    assert "自评在直属上级结束中期回顾后开放" in all_text(at)  # nothing left to self-assess


# -- 团队评分 ---------------------------------------------------------------------------------------------


def test_team_view_lists_the_three_reports_with_their_stages(
    start_app: StartApp, rating_company: tuple[Path, str]
) -> None:
    db_path, _appraisal_id = rating_company
    at = open_page(start_app(db_path, login="head"), TEAM_PAGE)
    team = at.dataframe[0].value
    with open_database(db_path) as db:
        names = {r["employee_id"]: r["name"] for r in db.rows("SELECT employee_id, name FROM employees")}
    stages = dict(zip(team["员工"], team["当前阶段"], strict=True))
    assert stages == {names["00102"]: "期末自评", names["00103"]: "中期回顾", names["00104"]: "目标制定"}
    # goal-setting was due 2026-10-15: 00104 is overdue (while today is past it)
    overdue = dict(zip(team["员工"], team["逾期"], strict=True))
    if dt.date.today() > dt.date(2026, 10, 15):
        assert overdue[names["00104"]].startswith("已逾期")
    assert overdue[names["00102"]] in ("", None)
    assert "目前没有等待你评分的考核" in all_text(at)  # nobody in 上级评定 yet
    if dt.date(2026, 11, 15) < dt.date.today() <= dt.date(2027, 1, 7):  # goals and mid-term due, self not yet
        assert "共 3 份考核，0 份处于「上级评定」阶段，2 份已逾期。" in all_text(at)


def _rating_page(start_app: StartApp, db_path: Path, appraisal_id: str) -> tuple[AppTest, str]:
    at = open_page(start_app(db_path, login="head", query={"appraisal": appraisal_id}), TEAM_PAGE)
    assert at.selectbox(key="rating.pick").value == appraisal_id
    return at, f"rating.editor.{appraisal_id}.0"


RATING = {
    OUT: {"actual": 110.0, "manager_comment": "超额完成"},  # linear 100/80/120 → 110
    DEF: {"actual": 1.5},  # lower-better 1.0/2.0/0.5 → 80
    SAFE: {"actual": 2.0},  # deduction 10 per time → 80
    PASS: {"input": 1.0},  # pass → 100
    TEAM: {"input": 3.0, "manager_comment": "协作尚可"},  # rubric level 3 → 80
    ATT: {"input": 85.0},  # manual → 85
}
# 回款率 is fed (95 of 95 → ratio 100)
EXPECTED = {OUT: 110.0, DEF: 80.0, PAY: 100.0, SAFE: 80.0, PASS: 100.0, TEAM: 80.0, ATT: 85.0}
# (30×110 + 20×80 + 10×(100 + 80 + 100 + 80 + 85)) / 100 = 93.5 → A (≥ 90)
TOTAL = 93.5


def test_head_rates_through_the_page_and_submits(start_app: StartApp, rating_company: tuple[Path, str]) -> None:
    db_path, appraisal_id = rating_company
    _self_scored(db_path, appraisal_id)
    at, key = _rating_page(start_app, db_path, appraisal_id)
    shown = at.data_editor(key=key).value
    pay = shown[shown["kpi"] == PAY].iloc[0]
    assert pay["hint"] == "来自财务，不可修改" and pay["actual"] == 95 and pay["self_score"] == 100
    assert shown[shown["kpi"] == ATT].iloc[0]["self_comment"] == f"{ATT}自评"
    assert shown[shown["kpi"] == TEAM].iloc[0]["hint"] == "填 1–5 级：1 很差 · 2 较差 · 3 合格 · 4 良好 · 5 优秀"
    assert shown[shown["kpi"] == SAFE].iloc[0]["hint"] == "请录入次数"
    editor = at.data_editor(key=key).proto
    assert list(editor.column_order)[:4] == ["kpi", "input", "actual", "manager_comment"]  # to fill in: first
    assert editor.HasField("placeholder") and editor.placeholder == ""
    config = json.loads(at.data_editor(key=key).proto.columns)
    assert config["input"]["label"] == "评分" and "评级类：1–5 级" in config["input"]["help"]  # help per method
    assert config["self_score"]["disabled"] and "disabled" not in config["input"]
    assert not at.data_editor(key=key).proto.disabled

    # submitting before anything is rated is refused
    _click(at, "rating.submit")
    _click(at, f"rating.confirm.submit_rating.{appraisal_id}")
    assert any(e.value.startswith("还有 6 项没有得分") for e in at.error)
    assert _stage(db_path, appraisal_id) == "manager_rating"

    _edit(at, key, RATING)
    at.run()  # before saving, the page previews what the typed input gives
    assert any(f"加权总分 {TOTAL:.1f}，等级 A（保存后生效）" in i.value for i in at.info), [i.value for i in at.info]
    assert _items(db_path, appraisal_id)[TEAM]["manager_input"] is None  # nothing written by the preview

    # an attempt to overwrite the finance-fed actual: core refuses the whole save, the input stays
    typed = _edit(at, key, {**RATING, PAY: {"actual": 50.0}})
    _click(at, "rating.save")
    assert any("回款率" in e.value and "财务" in e.value for e in at.error), [e.value for e in at.error]
    assert _items(db_path, appraisal_id)[TEAM]["manager_input"] is None
    assert at.session_state[key] == typed

    # the rating without it, plus an actual typed for a judged item, which is left out with a notice
    _edit(at, key, {**RATING, ATT: {**RATING[ATT], "actual": 7.0}})
    _click(at, "rating.save")
    assert any("工作态度" in w.value and "未保存" in w.value for w in at.warning)
    items = _items(db_path, appraisal_id)
    assert {n: r["item_score"] for n, r in items.items()} == pytest.approx(EXPECTED)
    assert items[PAY]["actual_value"] == 95 and items[PAY]["actual_source"] == "finance"
    assert items[ATT]["actual_value"] is None
    assert items[OUT]["actual_source"] == "manual" and items[OUT]["manager_comment"] == "超额完成"
    assert items[TEAM]["manager_input"] == 3 and items[PASS]["manager_input"] == 1
    with open_database(db_path) as db:
        final, grade, own = db.one(
            "SELECT final_score, grade, self_score FROM appraisals WHERE appraisal_id = ?", [appraisal_id]
        ).values()
    assert final == pytest.approx(TOTAL) and grade == "A" and own == pytest.approx(97.0)
    # the totals as shown: weighted score, grade, self total and the gap
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"加权总分": "93.5", "等级": "A", "自评总分": "97.0", "上级评分 − 自评": "-3.5"}
    rescored = at.data_editor(key=f"rating.editor.{appraisal_id}.1").value
    assert rescored[rescored["kpi"] == OUT].iloc[0]["item_score"] == 110

    _click(at, "rating.submit")
    assert any("不能再修改" in w.value for w in at.warning)
    _click(at, f"rating.confirm.submit_rating.{appraisal_id}")
    assert any("考核进入校准" in s.value for s in at.success)
    assert _stage(db_path, appraisal_id) == "calibration"


def test_a_concurrent_save_is_refused_and_the_typed_rating_stays(
    start_app: StartApp, rating_company: tuple[Path, str]
) -> None:
    db_path, appraisal_id = rating_company
    _self_scored(db_path, appraisal_id)
    at, key = _rating_page(start_app, db_path, appraisal_id)
    typed = _edit(at, key, {ATT: {"input": 85.0, "manager_comment": "我的评语"}, TEAM: {"input": 4.0}})
    # meanwhile the same appraisal is saved elsewhere (another tab)
    with open_database(db_path) as db:
        head = auth.get_user(db, "head")
        appraisal_edits.save_rating(
            db, head, appraisal_id, {"T-ATT": {"manager_input": 70, "manager_comment": "另一处的评语"}},
            version=_version(db, appraisal_id),
        )  # fmt: skip
    _click(at, "rating.save")
    errors = [e.value for e in at.error]
    assert any("保存冲突" in e and "你的输入仍保留在表单中" in e for e in errors), errors
    # nothing of the refused save was written, the other save stays
    items = _items(db_path, appraisal_id)
    assert items[ATT]["manager_input"] == 70 and items[ATT]["manager_comment"] == "另一处的评语"
    assert items[TEAM]["manager_input"] is None
    # the editor still holds what the head typed, on the version they started from
    assert at.session_state[key] == typed
    assert at.data_editor(key=key).value.loc[lambda f: f["kpi"] == ATT].iloc[0]["input"] != 70
    assert any("载入最新版本" in w.value for w in at.warning)
    # loading the latest version drops the draft on purpose and shows the other save
    _click(at, f"rating.reload.{appraisal_id}")
    fresh = at.data_editor(key=f"rating.editor.{appraisal_id}.1").value
    assert fresh[fresh["kpi"] == ATT].iloc[0]["input"] == 70
    assert not any("载入最新版本" in w.value for w in at.warning)


def test_return_needs_a_comment_and_a_confirmation(start_app: StartApp, rating_company: tuple[Path, str]) -> None:
    db_path, appraisal_id = rating_company
    _self_scored(db_path, appraisal_id)
    at, _key = _rating_page(start_app, db_path, appraisal_id)
    _click(at, "rating.return")
    assert "请先填写退回意见，说明需要员工修改什么。" in [e.value for e in at.error]
    at.text_area(key=f"rating.return_comment.{appraisal_id}").set_value("请补充不良率的说明")
    _click(at, "rating.return")
    assert _stage(db_path, appraisal_id) == "manager_rating"  # asked first
    _click(at, f"rating.confirm.return.{appraisal_id}")
    assert _stage(db_path, appraisal_id) == "self_assessment"
    with open_database(db_path) as db:
        comment = db.scalar(
            "SELECT comment FROM stage_events WHERE appraisal_id = ? AND action = 'return'", [appraisal_id]
        )
    assert comment == "请补充不良率的说明"
    # the employee sees why, and their self scores are still there to change
    mine = open_page(start_app(db_path, login="worker"), SELF_PAGE)
    assert any("退回给你重新自评" in w.value for w in mine.warning)
    assert "请补充不良率的说明" in [x.value for x in mine.text]
    shown = mine.data_editor(key=f"self.editor.{appraisal_id}.0").value
    assert shown[shown["kpi"] == OUT].iloc[0]["self_input"] == SELF_INPUTS[OUT]


def test_english_rating_and_self_review(start_app: StartApp, rating_company: tuple[Path, str]) -> None:
    db_path, appraisal_id = rating_company
    at = open_page(start_app(db_path, login="worker", lang="en"), SELF_PAGE)
    text = everything_shown(at)
    assert "Self-assessment" in text and "Pass 100, fail 0" in text
    assert "自评在" not in text and "达标得100分" not in text
    _self_scored(db_path, appraisal_id)
    at = open_page(start_app(db_path, login="head", lang="en", query={"appraisal": appraisal_id}), TEAM_PAGE)
    team = at.dataframe[0].value
    assert "Manager rating" in list(team["Stage"]) and "Self-assessment" not in list(team["Stage"])
    shown = at.data_editor(key=f"rating.editor.{appraisal_id}.0").value
    assert shown[shown["kpi"] == PAY].iloc[0]["hint"] == "From Finance; cannot be changed"
    assert shown[shown["kpi"] == TEAM].iloc[0]["hint"] == "Level 1–5: 1 很差 · 2 较差 · 3 合格 · 4 良好 · 5 优秀"
    assert {m.label for m in at.metric} == {"Weighted score", "Grade", "Self total", "Rating − self"}


def test_hr_sees_the_rating_but_cannot_rate(start_app: StartApp, rating_company: tuple[Path, str]) -> None:
    db_path, appraisal_id = rating_company
    _self_scored(db_path, appraisal_id)
    at = open_page(start_app(db_path, login="hr", query={"appraisal": appraisal_id}), TEAM_PAGE)
    assert "只有直属上级可以为这份考核评分，你只能查看。" in all_text(at)
    assert len(at.dataframe[0].value) > 3  # HR follows every appraisal of the open cycle
    assert at.data_editor(key=f"rating.editor.{appraisal_id}.0").proto.disabled
    assert not [b for b in at.button if b.key in ("rating.save", "rating.submit", "rating.return")]


def test_a_refused_self_save_keeps_the_typed_scores(start_app: StartApp, rating_company: tuple[Path, str]) -> None:
    db_path, appraisal_id = rating_company
    at = open_page(start_app(db_path, login="worker"), SELF_PAGE)
    key = f"self.editor.{appraisal_id}.0"
    typed = _edit(at, key, {OUT: {"self_input": 110.0, "self_comment": "本页输入"}})
    with open_database(db_path) as db:  # the same person saves in another tab meanwhile
        appraisal_edits.save_self(
            db, auth.get_user(db, "worker"), appraisal_id, {"T-OUT": {"self_input": 90}},
            version=_version(db, appraisal_id),
        )  # fmt: skip
    _click(at, "self.save")
    assert any("保存冲突" in e.value for e in at.error)
    assert _items(db_path, appraisal_id)[OUT]["self_score"] == 90
    assert at.session_state[key] == typed


def test_team_view_without_an_open_cycle_says_what_happens_next(start_app: StartApp, company_db: Path) -> None:
    at = open_page(start_app(company_db, login="head"), TEAM_PAGE)
    assert "你的直属下属目前没有进行中的考核" in all_text(at)
    assert not at.dataframe and not at.data_editor


def test_formulas_and_sources_have_both_languages() -> None:
    from core import scoring
    from ui.i18n import CATALOG

    for method, formula in scoring.FORMULAS.items():
        assert CATALOG[f"formula.{method}"][0] == formula  # the same words as core's
    for code, label in vocabulary.ACTUAL_SOURCES.items():
        assert CATALOG[f"source.{code}"][0] == label


# -- 团队评分 for an HRBP (read-only) and an executive (rates their own direct reports) ---------------------


def _to_rating(db, appraisal_id: str, employee: auth.User, manager: auth.User) -> None:
    """Through core: goals approved, both checked in, mid-term finished, every item self-rated and submitted."""
    appraisal_edits.act(db, manager, appraisal_id, "approve_goals", version=_version(db, appraisal_id))
    appraisal_edits.add_checkin(db, employee, appraisal_id, "按计划推进")
    appraisal_edits.add_checkin(db, manager, appraisal_id, "继续保持")
    appraisal_edits.act(db, manager, appraisal_id, "finish_midterm", version=_version(db, appraisal_id))
    edits = own_rating(NAMES, 90.0, comment="自评说明")
    version = appraisal_edits.save_self(db, employee, appraisal_id, edits, version=_version(db, appraisal_id))
    appraisal_edits.act(db, employee, appraisal_id, "submit_self", version=version)


def _account(db, username: str, roles: list[str], employee_id: str) -> auth.User:
    return auth.create_user(db, "fixture", username, "Passw0rd-test", roles, employee_id=employee_id)


def test_hrbp_follows_their_departments_read_only(start_app: StartApp, rating_company: tuple[Path, str]) -> None:
    db_path, appraisal_id = rating_company
    cycle_id = appraisal_id.split(":")[0]
    quality = f"{cycle_id}:00202"  # 质检部, the HRBP's department; 00201 is its head
    with open_database(db_path) as db:
        _to_rating(db, quality, _account(db, "q202", ["employee"], "00202"), _account(db, "q201", ["manager"], "00201"))
        names = {r["employee_id"]: r["name"] for r in db.rows("SELECT employee_id, name FROM employees")}
    at = open_page(start_app(db_path, login="bp", query={"appraisal": quality}), TEAM_PAGE)
    team = at.dataframe[0].value
    # 质检部 only (its head 00201 reports to no one in the roster and has no appraisal)
    assert sorted(team["员工"]) == sorted(names[e] for e in ("00202", "00203", "00204"))
    text = all_text(at)
    assert "你可以查看的考核在进行中的考核周期里的进度（只读）" in text and "逐项评分（只读）" in text
    assert "等待你评分" not in text and "上级评分" not in [s.value for s in at.subheader]
    assert at.selectbox(key="rating.pick").label == "查看对象" and at.selectbox(key="rating.pick").value == quality
    assert "只有直属上级可以为这份考核评分，你只能查看。" in text
    editor = at.data_editor(key=f"rating.editor.{quality}.0")
    assert editor.proto.disabled and len(editor.value) == 7
    assert not [b for b in at.button if b.key in ("rating.save", "rating.submit", "rating.return")]
    assert not at.text_area  # no return form either


def test_hrbp_without_anyone_in_rating_is_told_so_without_a_form(
    start_app: StartApp, rating_company: tuple[Path, str]
) -> None:
    db_path, _appraisal_id = rating_company
    at = open_page(start_app(db_path, login="bp"), TEAM_PAGE)
    assert len(at.dataframe[0].value) == 3
    assert "目前没有处于「上级评定」阶段的考核" in all_text(at) and "等待你评分" not in all_text(at)
    assert not at.data_editor and not at.selectbox


def test_executive_rates_their_own_direct_report(start_app: StartApp, rating_company: tuple[Path, str]) -> None:
    db_path, appraisal_id = rating_company
    sales = f"{appraisal_id.split(':')[0]}:00302"  # 销售部: 00302 reports to the executive 00301
    with open_database(db_path) as db:
        _to_rating(db, sales, _account(db, "s302", ["employee"], "00302"), auth.get_user(db, "exec"))
        names = {r["employee_id"]: r["name"] for r in db.rows("SELECT employee_id, name FROM employees")}
    at = open_page(start_app(db_path, login="exec"), TEAM_PAGE)
    team = at.dataframe[0].value
    assert sorted(team["员工"]) == sorted(names[e] for e in ("00302", "00303", "00304"))  # their reports only
    assert "直属下属在进行中的考核周期里的进度" in all_text(at) and "只读" not in all_text(at)
    assert at.selectbox(key="rating.pick").label == "评分对象" and at.selectbox(key="rating.pick").value == sales
    key = f"rating.editor.{sales}.0"
    assert not at.data_editor(key=key).proto.disabled
    _edit(at, key, RATING)
    _click(at, "rating.save")
    assert any("评分草稿已保存" in s.value for s in at.success), [e.value for e in at.error]
    with open_database(db_path) as db:
        row = db.one("SELECT final_score, rater_id FROM appraisals WHERE appraisal_id = ?", [sales])
    # 回款率 has no feed for 00302: it stays unscored, so there is no total yet; the rater is the executive
    assert row["rater_id"] == "00301" and row["final_score"] is None
    assert _items(db_path, sales)[TEAM]["manager_input"] == 3
