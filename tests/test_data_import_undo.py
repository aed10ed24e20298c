"""AppTest of undoing an import on 数据导入: pick a batch in the history, see what the undo would remove,
confirm first, and the batch is undone (or, when later work depends on it, why not)."""

from __future__ import annotations

from pathlib import Path

from core.db import open_database
from tests.apptest import StartApp, all_text, open_page

UNDO_COLUMNS = ["内容", "删除", "恢复为导入前"]


def batches(db_path: Path) -> dict[str, str]:
    with open_database(db_path) as db:
        return {r["source"]: r["batch_id"] for r in db.rows("SELECT source, batch_id FROM import_batches")}


def test_hr_sees_what_an_undo_removes_confirms_and_the_batch_is_undone(start_app: StartApp, company_db: Path) -> None:
    legacy = batches(company_db)["legacy"]
    at = open_page(start_app(company_db), "pages/data_import.py")
    choice = at.selectbox(key="data_import.undo_batch")
    assert choice.value == legacy  # the newest batch first
    (plan,) = [df.value for df in at.dataframe if list(df.value.columns) == UNDO_COLUMNS]
    assert dict(zip(plan["内容"], plan["删除"], strict=True)) == {"考核": 48, "历史考核周期": 4}
    assert not at.warning  # nothing happens before the confirmation
    at.button(key="data_import.undo").click().run()
    assert not at.exception, at.exception
    (question,) = [w.value for w in at.warning]
    # file names are escaped for Markdown ("\\." shows as ".")
    assert "确定撤销批次「2023年绩效考核\\.xlsx」吗？将删除：考核 48、历史考核周期 4" in question
    with open_database(company_db) as db:
        assert db.scalar("SELECT count(*) FROM appraisals") == 48  # asked, not yet done
    at.button(key=f"data_import.confirm.undo_batch.{legacy}").click().run()
    assert not at.exception, at.exception
    assert "已撤销批次「2023年绩效考核\\.xlsx」：删除：考核 48、历史考核周期 4。" in [s.value for s in at.success]
    history = next(df.value for df in at.dataframe if "文件" in df.value.columns)
    row = history[history["批次号"] == legacy].iloc[0]
    assert (row["结果"], row["撤销人"]) == ("已撤销", "hr")
    with open_database(company_db) as db:
        assert db.scalar("SELECT count(*) FROM appraisals") == 0
        assert db.scalar("SELECT status FROM import_batches WHERE batch_id = ?", [legacy]) == "undone"
        assert db.scalar("SELECT actor FROM audit_log WHERE action = 'import_undo'") == "hr"
    # only the roster is left to undo: its people no longer have appraisals, but they still have logins
    left = at.selectbox(key="data_import.undo_batch")
    assert len(left.options) == 1 and left.value == batches(company_db)["roster"]
    (reason,) = [e.value for e in at.error]
    assert "登录账户" in reason and "考核记录" not in reason


def test_cancel_keeps_the_batch(start_app: StartApp, company_db: Path) -> None:
    legacy = batches(company_db)["legacy"]
    at = open_page(start_app(company_db), "pages/data_import.py")
    at.button(key="data_import.undo").click().run()
    at.button(key=f"data_import.cancel.undo_batch.{legacy}").click().run()
    assert not at.exception and not at.warning
    with open_database(company_db) as db:
        assert db.scalar("SELECT status FROM import_batches WHERE batch_id = ?", [legacy]) == "loaded"


def test_a_batch_later_work_depends_on_says_why_and_offers_no_undo(start_app: StartApp, company_db: Path) -> None:
    roster = batches(company_db)["roster"]
    at = open_page(start_app(company_db), "pages/data_import.py")
    at.selectbox(key="data_import.undo_batch").set_value(roster).run()
    assert not at.exception, at.exception
    (reason,) = [e.value for e in at.error]
    assert "不能撤销批次" in reason and "考核记录" in reason and "登录账户" in reason
    assert not [b for b in at.button if b.key == "data_import.undo"]
    assert "撤销导入" in all_text(at)


def test_the_undo_section_in_english(start_app: StartApp, company_db: Path) -> None:
    at = open_page(start_app(company_db, lang="en"), "pages/data_import.py")
    assert at.selectbox(key="data_import.undo_batch").label == "Batch to undo"
    assert at.button(key="data_import.undo").label == "Undo this batch"
    (plan,) = [df.value for df in at.dataframe if "Removed" in df.value.columns]
    assert list(plan.columns) == ["What", "Removed", "Restored as before"]
    assert set(plan["What"]) == {"Appraisals", "Historical cycles"}
    at.button(key="data_import.undo").click().run()
    assert "remove: Appraisals 48, Historical cycles 4" in at.warning[0].value
