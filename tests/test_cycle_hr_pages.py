"""The HR cycle screens through the app (AppTest): 考核周期 (HR opens a pilot cycle through the form, confirmed
first; executives read the list and the progress but get no form; empty states) and 校准 (moving a grade
needs a note; finalising a department that breaks the guideline needs an override reason), in Chinese and
once in English. Who may open which screen is tests/test_access_pages.py's."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from core import appraisal_edits, auth, calibration, cycles, periods, settings
from core.auth import User, get_user
from core.db import Database, open_database
from tests.apptest import StartApp, all_text, everything_shown, open_page
from tests.conftest import PASSWORD
from tests.cycles import install_templates, own_rating

CYCLES = "pages/cycles.py"
CALIBRATION = "pages/calibration.py"
SETTINGS = "pages/settings.py"
Q4 = {"kind": "quarterly", "year": 2026, "part": 4}
PRODUCTION = ("00102", "00103", "00104")  # 生产部's people under the head 00101
ACTUALS = {"T-OUT": 110.0, "T-DEF": 0.8, "T-PAY": 90.0, "T-SAFE": 1.0}
RATINGS = {"T-5S": {"manager_input": 1}, "T-TEAM": {"manager_input": 4}, "T-ATT": {"manager_input": 85}}


def dept_id(db: Database, name: str) -> str:
    return db.scalar("SELECT dept_id FROM departments WHERE name = ?", [name])


def version(db: Database, appraisal_id: str) -> int:
    return db.scalar("SELECT row_version FROM appraisals WHERE appraisal_id = ?", [appraisal_id])


def stages(db_path: Path, cycle_id: str) -> dict[str, str]:
    with open_database(db_path) as db:
        rows = db.rows("SELECT employee_id, stage FROM appraisals WHERE cycle_id = ?", [cycle_id])
    return {r["employee_id"]: r["stage"] for r in rows}


def employee(db: Database, appraisal_id: str) -> User:
    employee_id = db.scalar("SELECT employee_id FROM appraisals WHERE appraisal_id = ?", [appraisal_id])
    return (
        get_user(db, "worker")
        if employee_id == "00102"
        else User(f"u{employee_id}", frozenset({"employee"}), employee_id)
    )


def to_self_assessment(db: Database, appraisal_id: str) -> None:
    head = get_user(db, "head")
    appraisal_edits.act(db, head, appraisal_id, "approve_goals", version=version(db, appraisal_id))
    appraisal_edits.add_checkin(db, employee(db, appraisal_id), appraisal_id, "进展顺利")
    appraisal_edits.add_checkin(db, head, appraisal_id, "继续保持")
    appraisal_edits.act(db, head, appraisal_id, "finish_midterm", version=version(db, appraisal_id))


def to_calibration(db: Database, appraisal_id: str, *, manual: float, output: float) -> None:
    """Drive one appraisal to 校准 through core; manual=85, output=110 give an A, manual=10, output=80 a B."""
    head = get_user(db, "head")
    to_self_assessment(db, appraisal_id)
    me = employee(db, appraisal_id)
    items = [r["kpi_id"] for r in db.rows("SELECT kpi_id FROM appraisal_items WHERE appraisal_id = ?", [appraisal_id])]
    appraisal_edits.save_self(db, me, appraisal_id, own_rating(items, 90), version=version(db, appraisal_id))
    appraisal_edits.act(db, me, appraisal_id, "submit_self", version=version(db, appraisal_id))
    for kpi_id, value in {**ACTUALS, "T-OUT": output}.items():
        appraisal_edits.record_actual(db, head, me.employee_id, kpi_id, value, as_of=dt.date(2026, 11, 1))
    ratings = {**RATINGS, "T-ATT": {"manager_input": manual}}
    appraisal_edits.save_rating(db, head, appraisal_id, ratings, version=version(db, appraisal_id))
    appraisal_edits.act(db, head, appraisal_id, "submit_rating", version=version(db, appraisal_id))


def production_pilot(db_path: Path, *, calibrate: bool = False) -> str:
    """A Q4 2026 pilot cycle of 生产部 opened through core; with ``calibrate`` all three in 校准 (one A, two B),
    else 00102 in 期末自评 and the others still in 目标制定. Returns the cycle id."""
    with open_database(db_path) as db:
        install_templates(db)
        report = cycles.open_cycle(db, get_user(db, "hr"), **Q4, dept_ids=[dept_id(db, "生产部")])
        ids = [f"{report.cycle_id}:{e}" for e in PRODUCTION]
        if calibrate:
            for appraisal_id, (manual, output) in zip(ids, ((85, 110), (10, 80), (10, 80)), strict=True):
                to_calibration(db, appraisal_id, manual=manual, output=output)
        else:
            to_self_assessment(db, ids[0])
    return report.cycle_id


def table(at: AppTest, title: str):
    """The first table with a column titled ``title``."""
    for frame in at.dataframe:
        if title in frame.value.columns:
            return frame.value
    raise AssertionError(f"no table with a column {title!r}")


def displayed(at: AppTest, title: str) -> pd.DataFrame:
    """The cells of the first styled table with a column titled ``title`` as the browser shows them."""
    for frame in at.dataframe:
        if title in frame.value.columns:
            raw = frame.proto.arrow_data.styler.display_values
            return pa.ipc.open_stream(raw).read_pandas()
    raise AssertionError(f"no table with a column {title!r}")


def errors(at: AppTest) -> str:
    return "\n".join(e.value for e in at.error)


# -- 考核周期 -------------------------------------------------------------------------------------------


def test_hr_opens_a_pilot_cycle_for_one_department_through_the_form(start_app: StartApp, company_db: Path) -> None:
    with open_database(company_db) as db:
        install_templates(db)
        production = dept_id(db, "生产部")
    at = open_page(start_app(company_db, login="hr"), CYCLES)
    assert "还没有考核周期 — 点「新建考核周期」开一个" in all_text(at)
    assert at.selectbox(key="cyc.kind").value == "quarterly"
    # due dates are prefilled from core's defaults for the chosen period, in stage order
    at.number_input(key="cyc.year").set_value(2026).run()
    at.selectbox(key="cyc.quarter").set_value(4).run()
    dues = [d for d in at.date_input if d.key.startswith("cyc.due.2026-Q4.")]
    assert [d.label for d in dues] == ["目标制定", "中期回顾", "期末自评", "上级评定", "校准", "签字确认"]
    assert [d.value for d in dues] == list(
        periods.default_due_dates(dt.date(2026, 10, 1), dt.date(2026, 12, 31)).values()
    )
    # a pilot without a department is refused before anything is asked
    at.radio(key="cyc.scope").set_value("pilot").run()
    at.button(key="cyc.check").click().run()
    assert "请选择至少一个试点部门" in errors(at)
    at.multiselect(key="cyc.pilot").set_value([production]).run()
    at.text_input(key="cyc.name").input("2026年第四季度生产部试点").run()
    at.button(key="cyc.check").click().run()
    assert "确认开设「2026年第四季度生产部试点」" in all_text(at) and "生产部" in all_text(at)
    assert stages(company_db, "C-2026-Q4") == {}  # nothing opened before the confirmation
    at.button(key="cyc.confirm_yes").click().run()
    assert not at.exception, at.exception
    assert stages(company_db, "C-2026-Q4") == dict.fromkeys(PRODUCTION, "goals")
    with open_database(company_db) as db:
        info = cycles.cycle(db, "C-2026-Q4")
        assert db.scalar("SELECT count(*) FROM appraisal_items WHERE appraisal_id LIKE 'C-2026-Q4:%'") == 21
    assert info["name"] == "2026年第四季度生产部试点" and info["scope"] == "pilot"
    text = all_text(at)
    assert "3 份考核，共 21 个考核指标" in text and "1 人未纳入本周期" in text
    skipped = table(at, "未纳入原因")
    assert skipped["工号"].tolist() == ["00101"] and "没有直属上级" in skipped["未纳入原因"][0]
    listed = table(at, "周期名称")
    assert listed["周期名称"].tolist() == ["2026年第四季度生产部试点"]
    assert (listed["类型"][0], listed["状态"][0], listed["范围"][0], listed["试点部门"][0]) == (
        "季度",
        "进行中",
        "试点部门",
        "生产部",
    )
    assert listed["考核份数"][0] == 3


def test_opening_an_annual_cycle_checks_the_weights_in_core(start_app: StartApp, company_db: Path) -> None:
    with open_database(company_db) as db:
        install_templates(db)
    at = open_page(start_app(company_db, login="hr"), CYCLES)
    at.selectbox(key="cyc.kind").set_value("annual").run()
    weights = [at.number_input(key=f"cyc.weight.{p}").value for p in ("Q1", "Q2", "Q3", "Q4", "review")]
    assert weights == [15, 15, 15, 15, 40]
    at.number_input(key="cyc.weight.review").set_value(50).run()
    at.button(key="cyc.check").click().run()
    assert "之和应为 100，现在是 110" in errors(at)
    assert not [b for b in at.button if b.key == "cyc.confirm_yes"]
    at.number_input(key="cyc.weight.review").set_value(40).run()
    at.button(key="cyc.check").click().run()
    at.button(key="cyc.confirm_yes").click().run()
    with open_database(company_db) as db:
        row = db.one("SELECT kind, scope, annual_weights FROM cycles WHERE origin = 'app'")
        assert row["kind"] == "annual" and row["scope"] == "all"
        assert '"review": 40.0' in row["annual_weights"]
        assert (
            db.scalar("SELECT count(*) FROM appraisals a JOIN cycles c USING (cycle_id) WHERE c.kind = 'annual'") == 9
        )


def test_an_executive_sees_the_list_and_the_progress_but_no_form(start_app: StartApp, company_db: Path) -> None:
    cycle_id = production_pilot(company_db)
    at = open_page(start_app(company_db, login="exec"), CYCLES)
    assert not [b for b in at.button if b.key and b.key.startswith("cyc.")]
    assert not [e for e in at.expander if e.label == "新建考核周期"]
    assert "新建考核周期" not in everything_shown(at)
    assert table(at, "周期编号")["周期编号"].tolist() == [cycle_id]
    progress = table(at, "按时完成率").set_index("阶段")
    assert progress.loc["目标制定", "已到达"] == 3 and progress.loc["目标制定", "已完成"] == 1
    assert progress.loc["目标制定", "进行中"] == 2 and progress.loc["期末自评", "进行中"] == 1
    # 目标制定 was due 2026-10-15: the two still in it are overdue, the one done today finished late
    assert progress.loc["目标制定", "逾期未完成"] == 2 and progress.loc["目标制定", "逾期完成"] == 1
    metrics = {m.label: m for m in at.metric}
    assert metrics["考核份数"].value == "3"
    assert metrics["周期用时（至今）"].value.endswith(" 天") and "46 天" in metrics["周期用时（至今）"].help
    assert at.get("vega_lite_chart"), "the progress chart is shown"
    assert "共 3 份考核" in all_text(at)


@pytest.mark.parametrize(
    ("login", "message"),
    [("hr", "还没有考核周期 — 点「新建考核周期」开一个"), ("exec", "人力资源部开设周期后，这里会显示各周期的进度")],
)
def test_without_cycles_each_reader_is_told_what_happens_next(
    start_app: StartApp, company_db: Path, login: str, message: str
) -> None:
    at = open_page(start_app(company_db, login=login), CYCLES)
    assert message in "\n".join(e.value for e in at.info)
    assert not at.metric


# -- 校准 ------------------------------------------------------------------------------------------------


def test_hr_moves_a_grade_with_a_note_and_finalises_a_breaking_department_with_a_reason(
    start_app: StartApp, company_db: Path
) -> None:
    cycle_id = production_pilot(company_db, calibrate=True)
    with open_database(company_db) as db:
        production = dept_id(db, "生产部")
    at = open_page(start_app(company_db, login="hr"), CALIBRATION)
    distribution = table(at, "校准前 A")
    row = distribution.iloc[0]
    assert (row["部门"], row["已评定"], row["校准前 A"], row["校准前 B"], row["校准后 A"]) == ("生产部", 3, 1, 2, 1)
    assert (row["A 等上限（人）"], row["C 等下限（人）"]) == (1, 0)
    # the cells as the table writes them (a pandas Styler's own text): blank when empty, no nan or None
    cells = displayed(at, "校准前 A").iloc[0]
    assert cells["不符合指引"] == "" and cells["已评定"] == "3"
    people = table(at, "校准后等级").set_index("工号")
    assert people.loc["00102", "校准前等级"] == "A" and people.loc["00103", "校准前等级"] == "B"

    # without a note: core's Chinese refusal, nothing changes
    moved = f"{cycle_id}:00103"
    at.selectbox(key="cal.person").set_value(moved).run()
    at.selectbox(key="cal.new_grade").set_value("A").run()
    at.button(key="cal.move").click().run()
    assert "请填写校准说明（每次调整等级都必须说明理由）" in errors(at)
    with open_database(company_db) as db:
        assert db.scalar("SELECT calibrated_grade FROM appraisals WHERE appraisal_id = ?", [moved]) is None
    # with a note: the grade moves, the pre-calibration grade stays, both visible
    at.text_area(key="cal.note").input("年底攻坚表现突出").run()
    at.button(key="cal.move").click().run()
    assert "已将 员工103 的等级由 B 调整为 A" in all_text(at).replace("\\", "")
    with open_database(company_db) as db:
        row = db.one("SELECT grade, calibrated_grade, calibration_note FROM appraisals WHERE appraisal_id = ?", [moved])
    assert row == {"grade": "B", "calibrated_grade": "A", "calibration_note": "年底攻坚表现突出"}
    assert at.text_area(key="cal.note").value == ""  # emptied for the next move
    people = table(at, "校准后等级").set_index("工号")
    assert (people.loc["00103", "校准前等级"], people.loc["00103", "校准后等级"]) == ("B", "A")
    distribution = table(at, "校准后 A").iloc[0]
    assert (distribution["校准前 A"], distribution["校准后 A"], distribution["不符合指引"]) == (
        1, 2, "A 等 2 人，超过上限 1 人"
    )  # fmt: skip
    assert any("A 等 2 人，超过上限 1 人" in w.value for w in at.warning)

    # finalising the breaking department without a reason is refused with the breach
    at.button(key="cal.finalise").click().run()
    assert "请填写例外理由" in errors(at) and "A 等 2 人，超过上限 1 人" in errors(at)
    assert not [b for b in at.button if b.key == "cal.confirm_yes"]
    assert set(stages(company_db, cycle_id).values()) == {"calibration"}
    # with a reason: asked first, then all three move to 签字确认
    at.text_area(key=f"cal.reason.{cycle_id}.{production}").input("项目年，经总经理批准").run()
    at.button(key="cal.finalise").click().run()
    assert any("确认完成「生产部」的校准" in w.value for w in at.warning)
    assert set(stages(company_db, cycle_id).values()) == {"calibration"}
    at.button(key="cal.confirm_yes").click().run()
    assert not at.exception, at.exception
    assert stages(company_db, cycle_id) == dict.fromkeys(PRODUCTION, "signoff")
    assert "「生产部」已完成校准，3 份考核进入签字确认" in all_text(at)
    with open_database(company_db) as db:
        final = db.one("SELECT breaks, override_reason, actor FROM calibration_finals")
    assert final == {"breaks": "A 等 2 人，超过上限 1 人", "override_reason": "项目年，经总经理批准", "actor": "hr"}


@pytest.mark.parametrize("login", ["hr", "admin"])
def test_hr_and_it_set_the_guideline_and_the_calibration_page_follows(
    start_app: StartApp, company_db: Path, login: str
) -> None:
    production_pilot(company_db, calibrate=True)
    cal = open_page(start_app(company_db, login="hr"), CALIBRATION)
    assert "A 等不超过 20%，C 等不少于 10%" in all_text(cal)
    at = open_page(start_app(company_db, login=login), SETTINGS)
    at.number_input(key="cal.a_max").set_value(80.0).run()
    at.number_input(key="cal.c_min").set_value(30.0).run()
    at.button(key="cal.save_guideline").click().run()
    assert "之和不超过 100" in errors(at)
    at.number_input(key="cal.a_max").set_value(70.0).run()
    at.button(key="cal.save_guideline").click().run()
    assert any("70%" in s.value for s in at.success)
    with open_database(company_db) as db:
        assert settings.guideline(db) == {"A_max": 70.0, "C_min": 30.0}
    # the grade scale editor saves through core
    at.button(key="cal.save_scale").click().run()
    assert "等级标准已保存：A ≥ 90、B ≥ 70、C ≥ 0" in all_text(at).replace("\\", "")
    with open_database(company_db) as db:
        assert (
            db.scalar("SELECT count(*) FROM audit_log WHERE action = 'grade_scale_update' AND actor = ?", [login]) == 1
        )
    # the calibration page reads the new guideline: three rated, now at least one C and the department breaks it
    cal = open_page(start_app(company_db, login="hr"), CALIBRATION)
    assert "A 等不超过 70%，C 等不少于 30%" in all_text(cal)
    assert table(cal, "校准前 A").iloc[0]["C 等下限（人）"] == 1
    assert "C 等 0 人，少于下限 1 人" in all_text(cal)


def test_changing_the_form_after_the_check_asks_for_a_new_check(start_app: StartApp, company_db: Path) -> None:
    with open_database(company_db) as db:
        install_templates(db)
    at = open_page(start_app(company_db, login="hr"), CYCLES)
    at.button(key="cyc.check").click().run()
    assert [b.key for b in at.button if b.key == "cyc.confirm_yes"] == ["cyc.confirm_yes"]
    at.selectbox(key="cyc.kind").set_value("half_year").run()
    assert not [b for b in at.button if b.key == "cyc.confirm_yes"]
    at.button(key="cyc.check").click().run()
    assert any("2026年下半年考核" in w.value for w in at.warning)
    at.button(key="cyc.confirm_no").click().run()
    assert not [b for b in at.button if b.key == "cyc.confirm_yes"]
    with open_database(company_db) as db:
        assert db.scalar("SELECT count(*) FROM cycles WHERE origin = 'app'") == 0


def test_calibration_without_an_open_cycle_says_where_to_open_one(start_app: StartApp, company_db: Path) -> None:
    at = open_page(start_app(company_db, login="hr"), CALIBRATION)
    assert "还没有进行中的考核周期 — 在「考核周期」里新建一个" in "\n".join(e.value for e in at.info)
    assert not at.dataframe and not at.data_editor  # nothing to calibrate, no table


# -- English ------------------------------------------------------------------------------------------


def test_the_cycle_screens_in_english(start_app: StartApp, company_db: Path) -> None:
    cycle_id = production_pilot(company_db, calibrate=True)
    at = open_page(start_app(company_db, login="hr", lang="en"), CYCLES)
    assert [t.value for t in at.title] == ["Appraisal cycles"]
    listed = table(at, "Cycle ID")
    assert (listed["Type"][0], listed["Status"][0], listed["Scope"][0]) == ("Quarterly", "Open", "Pilot departments")
    progress = table(at, "Share on time").set_index("Stage")
    assert progress.loc["Calibration", "In stage"] == 3 and progress.loc["Goal setting", "Done"] == 3
    assert "Lead time so far" in [m.label for m in at.metric]
    assert at.selectbox(key="cyc.kind").label == "Cycle type"

    at = open_page(at, CALIBRATION)
    assert [t.value for t in at.title] == ["Calibration"]
    distribution = table(at, "A before").iloc[0]
    assert (distribution["Rated"], distribution["A after"], distribution["Most A (people)"]) == (3, 1, 1)
    at.selectbox(key="cal.person").set_value(f"{cycle_id}:00104").run()
    at.selectbox(key="cal.new_grade").set_value("C").run()
    at.text_area(key="cal.note").input("Missed two safety audits").run()
    at.button(key="cal.move").click().run()
    assert "grade moved from B to C" in all_text(at)
    assert table(at, "Calibrated grade").set_index("Employee ID").loc["00104", "Calibrated grade"] == "C"
    at.button(key="cal.finalise").click().run()  # inside the guideline: no reason needed, asked first
    assert any("Finalise “生产部”?" in w.value for w in at.warning)
    at.button(key="cal.confirm_yes").click().run()
    assert stages(company_db, cycle_id) == dict.fromkeys(PRODUCTION, "signoff")


def test_a_grade_moved_by_someone_else_meanwhile_is_a_conflict_and_the_note_stays(
    start_app: StartApp, company_db: Path
) -> None:
    cycle_id = production_pilot(company_db, calibrate=True)
    moved = f"{cycle_id}:00103"
    at = open_page(start_app(company_db, login="hr"), CALIBRATION)
    at.selectbox(key="cal.person").set_value(moved).run()
    at.selectbox(key="cal.new_grade").set_value("A").run()
    at.text_area(key="cal.note").input("年底攻坚表现突出").run()
    with open_database(company_db) as db:  # another HR user moves the same grade first
        other = auth.create_user(db, "fixture", "hr2", PASSWORD, ["hr"])
        calibration.calibrate(db, other, moved, "C", "安全事故", version=version(db, moved))
    at.button(key="cal.move").click().run()
    assert "保存冲突" in errors(at) and "hr2" in errors(at)
    assert at.text_area(key="cal.note").value == "年底攻坚表现突出"  # the input is kept
    with open_database(company_db) as db:
        assert db.scalar("SELECT calibrated_grade FROM appraisals WHERE appraisal_id = ?", [moved]) == "C"
    assert table(at, "校准后等级").set_index("工号").loc["00103", "校准后等级"] == "C"  # now shown as it is
    at.button(key="cal.move").click().run()  # a second, informed try
    with open_database(company_db) as db:
        assert db.scalar("SELECT calibrated_grade FROM appraisals WHERE appraisal_id = ?", [moved]) == "A"


def test_the_progress_chart_has_chinese_titles_colour_blind_safe_colours_and_every_count() -> None:
    from ui.cycle_charts import PARTS, progress_chart, progress_long

    stages = pl.DataFrame(
        {"stage": ["goals", "midterm"], "in_stage": [2, 1], "on_time": [0, 0], "late": [1, 0], "overdue": [2, 0]}
    )
    long = progress_long(stages)
    assert long["n"].sum() == 1 + 2 + 1  # goals: one late, two overdue; midterm: one waiting
    assert long.filter(pl.col("stage") == "中期回顾").filter(pl.col("n") > 0)["part"].to_list() == ["进行中（未逾期）"]
    spec = progress_chart(stages).to_dict()
    assert spec["encoding"]["y"]["title"] == "阶段" and spec["encoding"]["x"]["title"] == "考核份数"
    assert spec["encoding"]["color"]["scale"]["range"] == list(PARTS.values())  # Okabe–Ito
    assert [t["title"] for t in spec["encoding"]["tooltip"]] == ["阶段", "状态", "考核份数"]
