"""The sign-off screens through the app (AppTest): 结果确认 (the employee sees the result waiting for them and
confirms with their password, a wrong password is refused in Chinese, the manager's confirmation issues the
PDF, an objection needs a reason and is asked first), 异议处理 (HR upholds with a reply the employee reads,
or returns to 上级评定; HR's own appraisal is explained, not offered), 电子档案 (the archive lists each
document with its verification status and offers its download; HR closes a cycle, with a reason when
appraisals are outstanding), 我的待办's 签字确认 task opening 结果确认, and English."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core import archive, auth, calibration, signoff
from core.auth import get_user
from core.db import open_database
from tests.apptest import StartApp, all_text, open_page
from tests.conftest import PASSWORD
from tests.test_cycle_hr_pages import dept_id, production_pilot
from tests.test_pages import CJK, chrome
from ui import signoff as signoff_view

SIGNOFF = "pages/signoff.py"
OBJECTIONS = "pages/objections.py"
ARCHIVE = "pages/archive.py"
MY_TASKS = "pages/my_tasks.py"
WORKER = "00102"


@pytest.fixture
def pilot(company_db: Path) -> str:
    """生产部's Q4 2026 pilot with its three appraisals calibrated and in 签字确认 (00102 A, 00103/00104 B);
    the cycle id. The worker (00102) and head (00101, their manager) have logins."""
    cycle_id = production_pilot(company_db, calibrate=True)
    with open_database(company_db) as db:
        calibration.finalise_department(db, get_user(db, "hr"), cycle_id, dept_id(db, "生产部"))
    return cycle_id


def appraisal_of(cycle_id: str, employee_id: str = WORKER) -> str:
    return f"{cycle_id}:{employee_id}"


def query(db_path: Path, sql: str, params: list | None = None) -> list[dict]:
    with open_database(db_path) as db:
        return db.rows(sql, params or [])


def confirm_button(at: AppTest):
    (button,) = [b for b in at.button if b.label in ("确认结果", "Confirm the result")]
    return button


def confirm_with(at: AppTest, appraisal_id: str, password: str) -> AppTest:
    at.text_input(key=f"so.password.{appraisal_id}").input(password)
    confirm_button(at).click().run()
    assert not at.exception, at.exception
    return at


def confirm_through_core(db_path: Path, username: str, appraisal_id: str) -> signoff.Confirmed:
    with open_database(db_path) as db:
        version = db.scalar("SELECT row_version FROM appraisals WHERE appraisal_id = ?", [appraisal_id])
        return signoff.confirm(db, get_user(db, username), appraisal_id, PASSWORD, version=version)


def object_through_core(db_path: Path, username: str, appraisal_id: str, reason: str) -> str:
    with open_database(db_path) as db:
        version = db.scalar("SELECT row_version FROM appraisals WHERE appraisal_id = ?", [appraisal_id])
        return signoff.object_to(db, get_user(db, username), appraisal_id, reason, version=version)


def errors(at: AppTest) -> str:
    return "\n".join(e.value for e in at.error)


# -- 结果确认 ------------------------------------------------------------------------------------------


def test_the_employee_sees_the_result_waiting_and_confirms_with_their_password(
    start_app: StartApp, company_db: Path, pilot: str
) -> None:
    appraisal_id = appraisal_of(pilot)
    at = open_page(start_app(company_db, login="worker"), SIGNOFF)
    assert [t.value for t in at.title] == ["结果确认"]
    assert at.selectbox(key="so.pick").value == appraisal_id
    items = at.dataframe[0].value
    assert list(items.columns) == ["指标", "权重", "目标", "实际", "得分"]
    assert "产量达成" in items["指标"].tolist() and items["权重"].sum() == pytest.approx(100)
    shown = all_text(at)
    assert "员工：尚未确认" in shown and "直属上级：尚未确认" in shown
    assert "总分的计算方法" in shown and "生产部" in shown
    confirm_with(at, appraisal_id, PASSWORD)
    assert not at.error
    (message,) = [s.value for s in at.success if "确认" in s.value]
    assert "以员工身份确认「2026年第四季度考核」的考核结果" in message and "现在等待直属上级确认" in message
    rows = query(company_db, "SELECT party, actor FROM signoff_confirmations WHERE appraisal_id = ?", [appraisal_id])
    assert rows == [{"party": "employee", "actor": "worker"}]
    # read back: the page shows the confirmation and offers no second one
    assert "员工：员工102 于" in all_text(at)
    assert not [b for b in at.button if b.label == "确认结果"]


def test_a_wrong_password_is_refused_in_chinese_and_records_nothing(
    start_app: StartApp, company_db: Path, pilot: str
) -> None:
    appraisal_id = appraisal_of(pilot)
    at = open_page(start_app(company_db, login="worker"), SIGNOFF)
    confirm_with(at, appraisal_id, "not-my-password")
    refusal = errors(at)
    assert "密码" in refusal and not any(c.isascii() and c.isalpha() for c in refusal)  # Chinese only
    assert not at.success
    assert query(company_db, "SELECT * FROM signoff_confirmations") == []
    confirm_with(at, appraisal_id, "")
    assert "请输入你的登录密码后再确认" in errors(at)


def test_the_managers_confirmation_after_the_employees_issues_the_pdf_to_download(
    start_app: StartApp, company_db: Path, pilot: str
) -> None:
    appraisal_id = appraisal_of(pilot)
    confirm_through_core(company_db, "worker", appraisal_id)
    at = open_page(start_app(company_db, login="head"), SIGNOFF)
    labels = at.selectbox(key="so.pick").options
    assert any("员工102" in o and "直属上级确认" in o for o in labels)
    at.selectbox(key="so.pick").set_value(appraisal_id).run()
    assert "员工：员工102 于" in all_text(at)
    confirm_with(at, appraisal_id, PASSWORD)
    assert "双方都已确认" in " ".join(s.value for s in at.success)
    (download,) = [d for d in at.get("download_button") if d.proto.label == "下载签名 PDF"]
    assert download.proto.label == "下载签名 PDF"
    with open_database(company_db) as db:
        name, data = archive.document(db, get_user(db, "head"), appraisal_id)
    assert data[:4] == b"%PDF" and name.endswith(".pdf")
    stage = query(company_db, "SELECT stage FROM appraisals WHERE appraisal_id = ?", [appraisal_id])
    assert stage == [{"stage": "closed"}]


def test_an_objection_needs_a_reason_is_asked_first_and_goes_to_hr(
    start_app: StartApp, company_db: Path, pilot: str
) -> None:
    appraisal_id = appraisal_of(pilot)
    at = open_page(start_app(company_db, login="worker"), SIGNOFF)
    at.button(key=f"so.object.{appraisal_id}").click().run()
    assert "请先写明申诉理由" in errors(at) and not at.warning
    at.text_area(key=f"so.reason.{appraisal_id}").input("产量统计漏了十一月的返工件")
    at.button(key=f"so.object.{appraisal_id}").click().run()
    assert any("确定要对这份结果提出申诉吗" in w.value for w in at.warning)
    assert query(company_db, "SELECT * FROM signoff_objections") == []  # nothing before the confirmation
    at.button(key=f"so.confirm.object.{appraisal_id}").click().run()
    assert not at.exception, at.exception
    assert any("申诉已提交给人力资源部" in s.value for s in at.success)
    rows = query(company_db, "SELECT status, reason, raised_by FROM signoff_objections")
    assert rows == [{"status": "open", "reason": "产量统计漏了十一月的返工件", "raised_by": "worker"}]
    shown = all_text(at)
    assert "产量统计漏了十一月的返工件" in shown and "待处理" in shown


def test_nothing_waiting_says_what_comes_next(start_app: StartApp, company_db: Path) -> None:
    at = open_page(start_app(company_db, login="worker"), SIGNOFF)
    assert any("现在没有等你确认的考核结果" in i.value for i in at.info)


def test_my_tasks_opens_the_result_to_confirm(start_app: StartApp, company_db: Path, pilot: str) -> None:
    at = open_page(start_app(company_db, login="worker"), MY_TASKS)
    (go,) = [b for b in at.button if b.label.startswith("去处理：签字确认")]
    go.click().run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["结果确认"]
    assert at.selectbox(key="so.pick").value == appraisal_of(pilot)


def test_the_result_screen_in_english(start_app: StartApp, company_db: Path, pilot: str) -> None:
    at = open_page(start_app(company_db, login="worker", lang="en"), SIGNOFF)
    assert [t.value for t in at.title] == ["Confirm results"]
    assert list(at.dataframe[0].value.columns) == ["KPI", "Weight", "Target", "Actual", "Score"]
    assert "employee: not confirmed yet" in all_text(at)
    confirm_with(at, appraisal_of(pilot), "wrong")
    assert at.error and "password" in errors(at).lower()


# -- 异议处理 ------------------------------------------------------------------------------------------


def test_hr_upholds_an_objection_with_a_reply_the_employee_reads(
    start_app: StartApp, company_db: Path, pilot: str
) -> None:
    appraisal_id = appraisal_of(pilot)
    object_through_core(company_db, "worker", appraisal_id, "产量统计有误")
    at = open_page(start_app(company_db, login="hr"), OBJECTIONS)
    assert [m.value for m in at.metric if m.label == "待处理申诉"] == ["1"]
    assert "产量统计有误" in all_text(at)
    (objection_id,) = [r["objection_id"] for r in query(company_db, "SELECT objection_id FROM signoff_objections")]
    at.button(key=f"obj.submit.{objection_id}").click().run()
    assert "请写下给员工的答复" in errors(at)
    at.text_area(key=f"obj.reply.{objection_id}").input("已核对生产日报，产量统计无误")
    at.button(key=f"obj.submit.{objection_id}").click().run()
    at.button(key=f"obj.confirm.resolve.{objection_id}").click().run()
    assert not at.exception, at.exception
    assert any("已维持 员工102 的原结果" in s.value for s in at.success)
    row = query(company_db, "SELECT status, reply, resolved_by FROM signoff_objections")[0]
    assert row == {"status": "upheld", "reply": "已核对生产日报，产量统计无误", "resolved_by": "hr"}
    worker = open_page(start_app(company_db, login="worker"), SIGNOFF)
    shown = all_text(worker)
    assert "已核对生产日报，产量统计无误" in shown and "维持原结果" in shown
    assert confirm_button(worker)  # upheld: the employee confirms now


def test_hr_returns_an_objection_to_the_managers_rating(start_app: StartApp, company_db: Path, pilot: str) -> None:
    appraisal_id = appraisal_of(pilot)
    object_through_core(company_db, "worker", appraisal_id, "协作评分偏低")
    at = open_page(start_app(company_db, login="hr"), OBJECTIONS)
    (objection_id,) = [r["objection_id"] for r in query(company_db, "SELECT objection_id FROM signoff_objections")]
    at.radio(key=f"obj.decision.{objection_id}").set_value("return").run()
    at.text_area(key=f"obj.reply.{objection_id}").input("请结合季度协作记录重新评定团队协作")
    at.button(key=f"obj.submit.{objection_id}").click().run()
    assert any("退回上级重新评定" in w.value for w in at.warning)
    at.button(key=f"obj.confirm.resolve.{objection_id}").click().run()
    assert not at.exception, at.exception
    assert any("退回上级重新评定" in s.value for s in at.success)
    stage = query(company_db, "SELECT stage FROM appraisals WHERE appraisal_id = ?", [appraisal_id])
    assert stage == [{"stage": "manager_rating"}]
    assert query(company_db, "SELECT status FROM signoff_objections") == [{"status": "returned"}]


def test_hr_is_told_why_they_cannot_resolve_an_objection_to_their_own_appraisal(
    start_app: StartApp, company_db: Path, pilot: str
) -> None:
    with open_database(company_db) as db:
        auth.create_user(db, "fixture", "hr103", PASSWORD, ["hr", "employee"], employee_id="00103")
    object_through_core(company_db, "hr103", appraisal_of(pilot, "00103"), "我不同意")
    at = open_page(start_app(company_db, login="hr103"), OBJECTIONS)  # an existing account: its session is made
    at.selectbox(key="obj.pick").run()
    assert any("你不能处理自己的申诉" in w.value for w in at.warning)
    assert not [b for b in at.button if (b.key or "").startswith("obj.submit.")]


def test_no_objections_says_where_they_come_from(start_app: StartApp, company_db: Path) -> None:
    at = open_page(start_app(company_db, login="hr"), OBJECTIONS)
    assert any("还没有申诉" in i.value for i in at.info)


# -- 电子档案 ------------------------------------------------------------------------------------------


def test_the_archive_lists_the_signed_pdf_with_its_status_and_downloads_it(
    start_app: StartApp, company_db: Path, pilot: str
) -> None:
    appraisal_id = appraisal_of(pilot)
    confirm_through_core(company_db, "worker", appraisal_id)
    confirm_through_core(company_db, "head", appraisal_id)
    at = open_page(start_app(company_db, login="worker"), ARCHIVE)
    listing = at.dataframe[0].value
    assert listing["员工"].tolist() == ["员工102"] and listing["核对结果"].tolist() == ["✓ 完好"]
    assert [d.proto.label for d in at.get("download_button")] == ["下载这份 PDF"]
    assert not [h for h in at.header if h.value == "周期关闭与证据包"]  # HR's part only
    with open_database(company_db) as db:
        _, data = archive.document(db, get_user(db, "worker"), appraisal_id)
    assert data.startswith(b"%PDF")
    other = open_page(start_app(company_db, login="exec"), ARCHIVE)  # not their report: 销售部's head
    assert "员工102" not in "".join(df.value.to_csv() for df in other.dataframe)


def test_hr_closes_a_cycle_with_stragglers_only_with_a_reason_asked_first(
    start_app: StartApp, company_db: Path, pilot: str
) -> None:
    appraisal_id = appraisal_of(pilot)
    confirm_through_core(company_db, "worker", appraisal_id)
    confirm_through_core(company_db, "head", appraisal_id)
    at = open_page(start_app(company_db, login="hr"), ARCHIVE)
    at.selectbox(key="arc.cycle").set_value(pilot).run()
    assert "还有 2 份考核没有完成确认" in "\n".join(w.value for w in at.warning)
    at.button(key=f"arc.close.{pilot}").click().run()
    assert "请写明关闭的理由" in errors(at)
    at.text_area(key=f"arc.reason.{pilot}").input("两人长期病假，经人力资源总监批准按现结果关闭")
    at.button(key=f"arc.close.{pilot}").click().run()
    assert any("确定关闭" in w.value for w in at.warning)
    assert query(company_db, "SELECT closed_at FROM cycles WHERE cycle_id = ?", [pilot])[0]["closed_at"] is None
    at.button(key=f"arc.confirm.close_cycle.{pilot}").click().run()
    assert not at.exception, at.exception
    assert any("已关闭" in s.value for s in at.success)
    row = query(company_db, "SELECT close_reason, closed_by FROM cycles WHERE cycle_id = ?", [pilot])[0]
    assert row == {"close_reason": "两人长期病假，经人力资源总监批准按现结果关闭", "closed_by": "hr"}
    assert [d.proto.label for d in at.get("download_button") if "证据包" in d.proto.label] == ["下载证据包"]


# -- English and empty databases -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("page", "empty_text"),
    [
        (SIGNOFF, "现在没有等你确认的考核结果"),
        (OBJECTIONS, "还没有申诉"),
        (ARCHIVE, "还没有归档的文件"),
    ],
)
def test_an_empty_database_says_what_to_do_next(start_app: StartApp, db_path: Path, page: str, empty_text: str) -> None:
    at = open_page(start_app(db_path), page)
    assert any(empty_text in i.value for i in at.info), [i.value for i in at.info]
    assert not at.dataframe


def test_hr_reads_the_sign_off_screens_in_english(start_app: StartApp, company_db: Path, pilot: str) -> None:
    object_through_core(company_db, "worker", appraisal_of(pilot), "产量统计有误")
    at = start_app(company_db, login="hr", lang="en")
    for page, title in ((OBJECTIONS, "Objections"), (ARCHIVE, "Archive")):
        open_page(at, page)
        assert [t.value for t in at.title] == [title]
        labels = chrome(at)
        assert labels and not [s for s in labels if CJK.search(s)], labels
    at.selectbox(key="arc.cycle").set_value(pilot).run()
    assert any("not confirmed yet" in w.value for w in at.warning)


def test_a_changed_pdf_shows_as_failing_verification_in_the_archive(
    start_app: StartApp, company_db: Path, pilot: str
) -> None:
    appraisal_id = appraisal_of(pilot)
    confirm_through_core(company_db, "worker", appraisal_id)
    confirm_through_core(company_db, "head", appraisal_id)
    (row,) = query(company_db, "SELECT path FROM signoff_documents WHERE appraisal_id = ?", [appraisal_id])
    pdf = company_db.parent / "archive" / row["path"]
    data = bytearray(pdf.read_bytes())
    data[len(data) // 2] ^= 0x01  # one byte inside the signed range
    pdf.write_bytes(bytes(data))
    at = open_page(start_app(company_db, login="worker"), ARCHIVE)
    assert "有 1 份文件核对未通过" in errors(at)
    (status,) = at.dataframe[0].value["核对结果"].tolist()
    assert status.startswith("✗ ") and status != "✗ 核对未通过"  # core's finding, in words
    english = open_page(start_app(company_db, login="worker", lang="en"), ARCHIVE)
    (status,) = [v for v in english.dataframe[0].value.iloc[0].tolist() if isinstance(v, str) and v.startswith("✗ ")]
    assert not CJK.search(status), status  # the finding in the reader's language


def test_a_large_archive_opens_unverified_and_is_checked_on_request(
    start_app: StartApp, company_db: Path, pilot: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    appraisal_id = appraisal_of(pilot)
    confirm_through_core(company_db, "worker", appraisal_id)
    confirm_through_core(company_db, "head", appraisal_id)
    monkeypatch.setattr(signoff_view, "VERIFY_AT_ONCE", 0)  # one document is "many" here
    at = open_page(start_app(company_db, login="hr"), ARCHIVE)
    assert at.dataframe[0].value["核对结果"].tolist() == ["未核对"]
    assert any("暂未逐份核对" in i.value for i in at.info)
    (check,) = [b for b in at.button if b.label == "核对这 1 份文件"]
    check.click().run()
    assert not at.exception, at.exception
    assert at.dataframe[0].value["核对结果"].tolist() == ["✓ 完好"]
