"""Grade words HR can edit: the table (migration 010) starts as the importer's defaults, HR adds, moves
and removes words onto the company's grade scale (checked, capped, audited, one transaction), and the
next import reads grades through the table — on the settings page too (AppTest)."""

from __future__ import annotations

from pathlib import Path

import pytest

from core import grade_words
from core.auth import User
from core.db import open_database
from core.permissions import Forbidden
from pipelines import import_file
from pipelines.normalise import GRADE_WORDS
from pipelines.options import ImportOptions
from tests import builders as b
from tests.apptest import StartApp, all_text, open_page

HR = User("hr", frozenset({"hr"}))
SETTINGS = "pages/settings.py"


def graded(tmp_path: Path, words: list[str], name: str) -> Path:
    rows = [["工号", "姓名", "部门", "考核期间", "等级"]]
    rows += [[f"0070{i}", f"员工{i}", "装配部", "2024年Q1", w] for i, w in enumerate(words)]
    return b.write_xlsx(tmp_path / name, {"考核": rows})


def test_the_table_starts_as_the_importers_defaults(fresh_db) -> None:
    assert dict(grade_words.lookup_pairs(fresh_db)) == GRADE_WORDS
    shown = {r["word"]: r["grade"] for r in grade_words.grade_words(fresh_db).iter_rows(named=True)}
    assert shown["Fully Meets"] == "B" and shown["Needs Improvement"] == "C" and shown["甲"] == "A"
    assert all(grade_words.fold_word(w) in GRADE_WORDS for w in shown)


def test_a_word_hr_adds_changes_the_next_import(fresh_db, tmp_path) -> None:
    before = import_file(fresh_db, graded(tmp_path, ["Satisfactory", "优秀"], "a.xlsx"), uploaded_by="hr")
    assert before.status == "partial" and [r.value for r in before.rejects] == ["Satisfactory"]
    saved = grade_words.set_grade_word(fresh_db, HR, "  Satisfactory ", "b")
    assert saved == {"word": "Satisfactory", "grade": "B"}
    after = import_file(fresh_db, graded(tmp_path, ["satisfactory"], "b.xlsx"), uploaded_by="hr")
    assert after.status == "loaded", after.to_dict()
    assert fresh_db.scalar("SELECT grade FROM appraisals WHERE batch_id = ?", [after.batch_id]) == "B"
    audit = fresh_db.one("SELECT actor, action, entity_id FROM audit_log WHERE action = 'grade_word_set'")
    assert audit == {"actor": "hr", "action": "grade_word_set", "entity_id": "SATISFACTORY"}


def test_moving_and_removing_words_changes_the_next_import(fresh_db, tmp_path) -> None:
    grade_words.set_grade_word(fresh_db, HR, "合格", "C")  # this company files 合格 as C
    assert grade_words.remove_grade_words(fresh_db, HR, ["良好"]) == 1
    report = import_file(fresh_db, graded(tmp_path, ["合格", "良好"], "c.xlsx"), uploaded_by="hr")
    assert fresh_db.scalar("SELECT grade FROM appraisals") == "C"
    [reject] = report.rejects
    assert reject.value == "良好" and "等级无法识别" in reject.reason
    assert fresh_db.scalar("SELECT count(*) FROM audit_log WHERE action = 'grade_word_remove'") == 1


def test_parse_reads_the_words_it_is_handed_not_the_database(fresh_db, tmp_path) -> None:
    words = (("GOOD", "A"),)
    report = import_file(
        fresh_db,
        graded(tmp_path, ["Good", "优秀"], "d.xlsx"),
        uploaded_by="hr",
        options=ImportOptions(grade_words=words),
    )
    assert fresh_db.scalar("SELECT grade FROM appraisals") == "A"
    assert [r.value for r in report.rejects] == ["优秀"]  # not among the words handed over


def test_a_word_is_checked_capped_and_for_hr_only(fresh_db) -> None:
    with pytest.raises(grade_words.GradeWordError) as unknown:
        grade_words.set_grade_word(fresh_db, HR, "Stellar", "S")  # S is not on the default A/B/C scale
    assert "不在公司的等级标准里" in str(unknown.value) and "A / B / C" in str(unknown.value)
    with pytest.raises(grade_words.GradeWordError) as long:
        grade_words.set_grade_word(fresh_db, HR, "x" * (grade_words.MAX_WORD + 1), "A")
    assert "不能超过 30 字" in str(long.value)
    with pytest.raises(grade_words.GradeWordError):
        grade_words.set_grade_word(fresh_db, HR, "   ", "A")
    with pytest.raises(grade_words.GradeWordError):
        grade_words.remove_grade_words(fresh_db, HR, [])
    for user in (User("boss", frozenset({"manager"}), "00101"), User("it", frozenset({"admin"})), None):
        with pytest.raises(Forbidden):
            grade_words.set_grade_word(fresh_db, user, "Stellar", "A")
    assert dict(grade_words.lookup_pairs(fresh_db)) == GRADE_WORDS  # nothing was written


def test_hr_edits_grade_words_on_the_settings_page(start_app: StartApp, company_db: Path) -> None:
    at = open_page(start_app(company_db, login="hr"), SETTINGS)
    assert "等级写法" in all_text(at)
    at.text_input(key="grade_words.word").set_value("Stellar").run()
    at.selectbox(key="grade_words.grade").set_value("A").run()
    at.button(key="grade_words.save").click().run()
    assert not at.exception, at.exception
    assert "已保存：「Stellar」导入为 A。" in all_text(at)
    at.multiselect(key="grade_words.remove").set_value(["良好"]).run()
    at.button(key="grade_words.remove_button").click().run()
    assert "已删除 1 个写法。" in all_text(at)
    with open_database(company_db) as db:
        pairs = dict(grade_words.lookup_pairs(db))
    assert pairs["STELLAR"] == "A" and "良好" not in pairs


def test_an_admin_reads_the_grade_words_but_cannot_change_them(start_app: StartApp, company_db: Path) -> None:
    at = open_page(start_app(company_db, login="admin"), SETTINGS)
    assert "只有人力资源部可以修改等级写法" in all_text(at)
    assert not [w for w in at.text_input if w.key == "grade_words.word"]


def test_the_grade_words_section_in_english(start_app: StartApp, company_db: Path) -> None:
    at = start_app(company_db, login="hr")
    at.session_state["ui.lang"] = "en"
    at = open_page(at, SETTINGS)
    assert "Grade words" in all_text(at)
    at.text_input(key="grade_words.word").set_value("x" * 10).run()
    at.selectbox(key="grade_words.grade").set_value("B").run()
    at.button(key="grade_words.save").click().run()
    assert "Saved: “xxxxxxxxxx” is imported as B." in all_text(at)


def test_a_grade_on_the_company_s_own_scale_is_taken_and_one_off_it_rejected_as_written(fresh_db, tmp_path) -> None:
    """HR's scale names its grades 优/良/中 (系统设置): a file stating 良 lands as 良, a word HR maps onto 优
    lands as 优, and a grade on neither the scale nor S–E is rejected with its cell as written."""
    from core.settings import set_grade_scale

    set_grade_scale(fresh_db, HR, [("优", 90), ("良", 70), ("中", 0)])
    grade_words.set_grade_word(fresh_db, HR, "拔尖", "优")
    report = import_file(fresh_db, graded(tmp_path, ["良", "拔尖", " 差等 "], "scale.xlsx"), uploaded_by="hr")
    assert report.status == "partial", report.to_dict()
    got = {r["employee_id"]: r["grade"] for r in fresh_db.rows("SELECT employee_id, grade FROM appraisals")}
    assert got == {"00700": "良", "00701": "优"}
    [reject] = report.rejects
    assert (reject.row, reject.column, reject.value) == (4, "等级", "差等")
    assert "等级无法识别" in reject.reason
