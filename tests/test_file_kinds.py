"""Files that are not appraisals or rosters are recognised before anything reads them as one: attendance
(punch logs, sign-in sheets, monthly grids), leave records, sales exports, work logs, departmental KPI
tracking, KPI standards, output counts, pay sheets, statistics tables. They are refused with a sentence
saying what they look like and where they will go, and nothing is written. Also here: a time clock's
log is read without a CSV parser, a reader's error becomes a Chinese sentence, header cells carrying a
template's filling rule are understood, a list of people without 工号 is refused saying what to add.

The corpus files' expectations below were written from opening each file (see zh_hr/MANIFEST.csv);
tests/test_zh_corpus.py holds the full outcome of every corpus file."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from pipelines import import_file
from pipelines.kinds import recognise_other
from pipelines.roster.parse import count_roster_sheets
from pipelines.sniff import inspect_file
from pipelines.workbook import _readable_error, read_grids
from tests import builders as b
from tests.builders import CORPUS_DIR

ZH_HR = CORPUS_DIR / "zh_hr"
DATA = b.DATA_TABLES

# every attendance file of the corpus, with a piece of evidence a person sees when opening it
ATTENDANCE = {
    "attendance/VadimSa_TestRepo_attlog.dat": "考勤机导出的 .dat 文件",  # id, name, 2013-04-20 09:36:49 …
    "attendance/asdas1233456_WorkTime_打卡记录.xlsx": "如「07:44:00」",  # date / start / end clock times
    "attendance/dajun928_work_考勤记录.xlsx": "「Sheet3」的表头有「打卡」",  # 打卡日期/首次打卡时间/末次打卡时间
    "attendance/humanliu_learngit_考勤.xlsx": "表头有 1–31 日的日期列（31 列）",  # 员工考勤表, day 1..31
    "attendance/pocerberus_project_management_考勤表.xlsx": "表头有 1–31 日的日期列（31 列）",  # 员工编号 + ✓/✗
    "attendance/webxiu_workspace-admin_员工考勤模板.xlsx": "「出勤」「迟到」「早退」",  # 应出勤(H)/迟到/早退
    "attendance/webxiu_workspace-admin_职员考勤模板.xlsx": "「缺卡」",  # 出勤表: 迟到次数/缺卡次数/年假(H)
    "attendance/wisdom-wf_dingfeng-prj_签到签退表.xls": "「签到」「签退」",  # paper sign-in sheet
    "attendance/zhangzonglin_attendance_attendance.xlsx": "表头有 1–31 日的日期列（31 列）",  # 工号 + days
}


def _need(path: Path) -> None:
    if not path.exists():
        pytest.skip(f"the shared corpus is not present at {path} (see DESIGN.md §7)")


def _verdict(path: Path):
    return recognise_other(read_grids(path, inspect_file(path)), path.name)


@pytest.mark.parametrize("name", sorted(ATTENDANCE))
def test_corpus_attendance_is_refused_as_attendance_and_nothing_is_written(fresh_db, name: str) -> None:
    path = ZH_HR / name
    _need(path)
    report = import_file(fresh_db, path, uploaded_by="hr")
    assert report.status == "refused" and report.rows_loaded == 0
    assert report.message.startswith("这是一份考勤记录（依据：")
    assert "没有写入任何数据" in report.message and "考勤来源" in report.message
    assert ATTENDANCE[name] in report.message
    assert all(n == 0 for n in b.table_counts(fresh_db, DATA).values())


def test_every_attendance_file_of_the_corpus_is_listed() -> None:
    _need(ZH_HR)
    on_disk = {p.relative_to(ZH_HR).as_posix() for p in (ZH_HR / "attendance").iterdir() if p.is_file()}
    assert on_disk == set(ATTENDANCE)


# outside zh_hr/attendance, the corpus files recognised as something other than an appraisal or a roster
OTHER_KINDS = {
    "attendance/zkteco_attlog.dat": "attendance",  # PIN, punch time, codes: a ZKTeco USB export
    "hr_en/hrsample/deskhistory_table.csv": "statistics",  # employee_num, desk ids and dates, flags
    "hr_en/hrsample/rollup_view.csv": "statistics",  # lvl00_desk_id … depth: no person at all
    "hr_en/hrsample/salaryhistory_table.csv": "statistics",  # employee_num, salary …: no name, period or result
    "hr_en/peopleanalyticsdata/employee_performance.csv": "statistics",  # sales … rating, nobody named
    "hr_en/peopleanalyticsdata/employee_survey.csv": "statistics",  # survey answers Happiness, Ben1 …
    "hr_en/peopleanalyticsdata/managers.csv": "statistics",  # hashed employee_id, performance_group …
    "hr_en/peopleanalyticsdata/promotion.csv": "statistics",  # diverse, flexible, store, promoted, year
    "hr_en/peopleanalyticsdata/salespeople.csv": "statistics",  # promoted, sales, customer_rate, performance
    "zh_hr/appraisal/2020-Labs_Apollo_weekly_kpi_report_AAA.xlsx": "work_log",  # 周工作汇总, a row a day
    "zh_hr/appraisal/Darrowyu_kpi_demo_kpi.xlsx": "output",  # one worker's daily 生產數量/良品數量, no score
    "zh_hr/appraisal/Darrowyu_kpi_demo_生产人员KPI算法与标准库.xlsx": "kpi_standard",  # 甲级…丁级 thresholds
    "zh_hr/appraisal/SONGXUEJUN1234_SONG1_KPI.xlsx": "org_kpi",  # 目标/实际/差异 rows × 1月…12月
    "zh_hr/appraisal/frozenblackflame_EconomicManagementWork_实际值_模板.xlsm": "org_kpi",  # 权重/目标值 pairs
    "zh_hr/appraisal/webxiu_workspace-admin_绩效管理模板.xlsx": "pay",  # 工号/姓名/金额, no rows
    "zh_hr/appraisal/xinxin504123231_e-commercial_绩效.xlsx": "output",  # 篇数/点赞 counts per person
    "zh_hr/sales/helloaspadger_public_业务员.xlsx": "sales",  # （子）ASIN → 业务员
}


def test_only_the_files_of_other_kinds_are_taken_for_another_kind() -> None:
    """Every other corpus file (appraisals, rosters, excel_edge, hrsample's reviews) is left to the appraisal
    and roster readers; the files above are recognised as what they are."""
    _need(CORPUS_DIR)
    taken = {}
    for path in sorted(CORPUS_DIR.rglob("*")):
        if path.name.startswith("MANIFEST") or path.suffix.lower() not in {".xlsx", ".xlsm", ".xls", ".csv", ".dat"}:
            continue
        if path.is_relative_to(ZH_HR) and path.relative_to(ZH_HR).as_posix() in ATTENDANCE:
            continue
        try:
            grids = read_grids(path, inspect_file(path))
        except Exception:
            continue
        if (verdict := recognise_other(grids, path.name)) is not None:
            taken[path.relative_to(CORPUS_DIR).as_posix()] = verdict.kind
    assert taken == OTHER_KINDS


def _sign_in_sheet(path: Path, id_header: str) -> Path:
    """The measuring set's sign-in shape: 学号/姓名 and one column per day as an Excel date serial, holding
    1 or a clock time."""
    header = [id_header, "姓名", *[45383 + d for d in range(10)]]
    rows = [header]
    for i in range(6):
        rows.append([f"2024{i:03d}", f"学员{i}", *["1" if (i + d) % 3 else "08:36" for d in range(10)]])
    return b.write_xlsx(path, {"Sheet1": rows})


@pytest.mark.parametrize("id_header", ["学号", "工号"])
def test_a_sign_in_sheet_with_a_column_per_day_is_attendance(fresh_db, tmp_path: Path, id_header: str) -> None:
    path = _sign_in_sheet(tmp_path / "四月签到.xlsx", id_header)
    report = import_file(fresh_db, path, uploaded_by="hr")
    assert report.status == "refused" and report.message.startswith("这是一份考勤记录")
    assert "表头每列一个日期（10 列" in report.message
    assert all(n == 0 for n in b.table_counts(fresh_db, DATA).values())


def test_leave_records_are_not_a_roster(fresh_db, tmp_path: Path) -> None:
    rows = [["工号", "姓名", "部门", "请假类型", "开始时间", "结束时间", "请假天数", "审批状态"]]
    rows += [[f"0010{i}", f"员工{i}", "装配部", "事假", "2024-03-04", "2024-03-05", 2, "审批通过"] for i in range(5)]
    path = b.write_xlsx(tmp_path / "请假信息.xlsx", {"请假信息": rows})
    report = import_file(fresh_db, path, uploaded_by="hr")
    assert report.status == "refused" and report.message.startswith("这是一份请假记录")
    assert "在职" not in report.message  # never told to turn 审批通过 into a roster status
    assert all(n == 0 for n in b.table_counts(fresh_db, DATA).values())


def test_an_appraisal_with_an_attendance_item_is_still_an_appraisal(tmp_path: Path) -> None:
    rows = [["工号", "姓名", "考核期间", "指标", "权重", "得分", "出勤率", "迟到次数"]]
    rows += [[f"0010{i}", f"员工{i}", "2024年Q1", "产量", 40, 90, "98%", 1] for i in range(5)]
    path = b.write_xlsx(tmp_path / "考勤与绩效考核表.xlsx", {"考核": rows})
    assert _verdict(path) is None


def test_timestamps_alone_are_not_attendance(tmp_path: Path) -> None:
    rows = [["订单日期", "金额"], *[[f"2024-03-0{d} 14:3{d}:00", 100 * d] for d in range(1, 9)]]
    path = b.write_xlsx(tmp_path / "明细.xlsx", {"明细": rows})
    assert _verdict(path) is None


def test_a_fully_rejected_file_claims_no_department_or_person_it_did_not_create(fresh_db, tmp_path: Path) -> None:
    rows = [["工号", "姓名", "部门", "考核期间", "等级"]]
    rows += [[f"0090{i}", f"新人{i}", "新建车间", "2024年Q1", "戊等"] for i in range(4)]  # no such grade
    path = b.write_xlsx(tmp_path / "历史考核.xlsx", {"考核": rows})
    report = import_file(fresh_db, path, uploaded_by="hr")
    assert report.rows_loaded == 0 and report.rows_rejected == 4
    assert not any("历史人员" in n or "新建了" in n for n in report.notes), report.notes
    assert fresh_db.scalar("SELECT count(*) FROM employees") == 0
    assert fresh_db.scalar("SELECT count(*) FROM departments") == 0


def test_a_punch_log_is_known_by_its_lines_whatever_its_name(fresh_db, tmp_path: Path) -> None:
    """A time clock's export named .txt, with a damaged line holding a stray quote and control bytes (what
    the ZKTeco corpus file has mid-way): recognised before any CSV parser runs, refused as attendance."""
    lines = [f"  {1000 + i}\t2024-03-0{1 + i % 9} 08:{10 + i:02d}:00\t1\t0\t1\t0" for i in range(40)]
    lines.insert(20, '  \x0c"\x07\t2000-01-01 00:42:40\t1\t0\t0\t805476304')
    path = tmp_path / "导出.txt"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode())
    assert inspect_file(path).kind == "punch_log"
    report = import_file(fresh_db, path, uploaded_by="hr")
    assert report.status == "refused" and report.message.startswith(
        "这是一份考勤记录（依据：每行是一个工号和一次打卡时间"
    )
    assert "CSV" not in report.message
    assert all(n == 0 for n in b.table_counts(fresh_db, DATA).values())


def test_a_csv_with_timestamps_in_a_column_is_not_a_punch_log(tmp_path: Path) -> None:
    path = b.write_csv(
        tmp_path / "orders.csv",
        [["order", "at", "amount"], *[[f"A{i}", f"2024-03-01 10:0{i}:00", i] for i in range(9)]],
    )
    assert inspect_file(path).kind == "csv"


def test_a_broken_xml_entity_is_called_what_it_is(fresh_db, tmp_path: Path) -> None:
    """An .xlsx whose shared strings hold an entity XML does not define (&nbsp; written by some exporters)."""
    good = b.write_xlsx(tmp_path / "good.xlsx", {"考核": [["工号", "姓名", "得分"], ["001", "测试甲", 90]]})
    bad = tmp_path / "bad.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/sharedStrings.xml":
                data = data.replace("测试甲".encode(), b"&nbsp;")
            dst.writestr(item, data)
    report = import_file(fresh_db, bad, uploaded_by="hr")
    assert report.status == "refused"
    assert report.message.startswith("文件里的文字含有无法识别的 XML 字符转义「&nbsp;」"), report.message
    assert not re.search(r"[A-Za-z]{5,}", report.message.replace("Excel", "").replace("xlsx", ""))


def test_an_appraisal_table_with_count_columns_stays_an_appraisal(tmp_path: Path) -> None:
    header = [
        "工号",
        "姓名",
        "考核期间",
        "产量件数",
        "次品数量",
        "返工次数",
        "出货件数",
        "投诉次数",
        "加班时数",
        "得分",
    ]
    rows = [header, *[[f"0010{i}", f"测试{i}", "2024Q1", 100, 2, 1, 90, 0, 8, 88] for i in range(5)]]
    assert _verdict(b.write_xlsx(tmp_path / "考核.xlsx", {"考核": rows})) is None


def test_a_roster_template_with_filling_rules_in_its_header_loads(fresh_db, tmp_path: Path) -> None:
    header = [
        "*工号（必填；只能输入数字）",
        "*员工姓名  （必填；不允许超过16个字）",
        "所在部门（非必填；例如“总部/装配部”）",
    ]
    path = b.write_xlsx(
        tmp_path / "员工导入模板.xlsx",
        {
            "员工导入": [header, ["90001", "测试甲", "装配部"], ["90002", "测试乙", "质检部"]],
            "导入规则(必读)": [["导入注意事项：" + "说明" * 60]],
        },
    )
    report = import_file(fresh_db, path, uploaded_by="hr")
    assert (report.source, report.status, report.rows_loaded) == ("roster", "loaded", 2), report.to_dict()
    assert "工作表「导入规则(必读)」是填写说明，不是数据，已跳过。" in report.notes
    assert fresh_db.rows("SELECT employee_id, name FROM employees ORDER BY 1") == [
        {"employee_id": "90001", "name": "测试甲"},
        {"employee_id": "90002", "name": "测试乙"},
    ]


def test_a_list_of_people_without_ids_is_refused_saying_what_to_add(fresh_db, tmp_path: Path) -> None:
    rows = [
        [None, "姓名", "性别", "电话"],
        ["装配部", "测试甲", "男", "1"],
        [None, "测试乙", "女", "2"],
        ["质检部", "测试丙", "男", "3"],
    ]
    path = b.write_xlsx(tmp_path / "名单.xlsx", {"名单": rows}, merges={"名单": [(1, 0, 2, 0, "装配部")]})
    report = import_file(fresh_db, path, uploaded_by="hr")
    assert report.status == "refused" and report.source == "roster", report.to_dict()
    assert "共 3 人" in report.message and "装配部、质检部" in report.message and "没有「工号」列" in report.message
    assert "给 A 列加上表头「部门」" in report.message
    assert all(n == 0 for n in b.table_counts(fresh_db, DATA).values())


def test_lowercase_english_headers_are_understood(fresh_db, tmp_path: Path) -> None:
    """A clean export with data-science headers: employee_id, name, depart, last_review_date, rating."""
    rows = [["employee_id", "name", "depart", "last_review_date", "rating"]]
    rows += [[f"E00{i}", f"测试{i}", "Assembly", "2024-03-15", 1 + i] for i in range(5)]
    report = import_file(fresh_db, b.write_csv(tmp_path / "reviews.csv", rows), uploaded_by="hr")
    assert (report.source, report.status, report.rows_loaded) == ("legacy", "loaded", 5), report.to_dict()
    got = fresh_db.rows("SELECT employee_id, cycle_id, source_score FROM appraisals ORDER BY 1")
    assert got == [{"employee_id": f"E00{i}", "cycle_id": "H-2024-M03", "source_score": 1.0 + i} for i in range(5)]
    assert fresh_db.scalar("SELECT name FROM departments") == "Assembly"


def test_a_table_naming_a_period_is_never_read_as_a_roster(tmp_path: Path) -> None:
    rows = [["name", "depart", "month", "extra"], *[[f"测试{i}", "装配部", "2024-03", 2] for i in range(4)]]
    grids = read_grids(path := b.write_csv(tmp_path / "t.csv", rows), inspect_file(path))
    assert count_roster_sheets(grids) == 0


@pytest.mark.parametrize(
    "raw",
    [
        "calamine error: Cannot detect file format",
        "calamine error: Xlsx error: Xml error: at 0..0: unrecognized entity `&foo;`",
        "calamine error: Xlsx error: Cell string index not found in shared strings table",
        "Xlsx error: Zip error: invalid Zip archive: Could not find central directory end",
        "Xls error: Cfb error: Invalid sector",
        "workbook is encrypted",
        "something nobody has seen before",
    ],
)
def test_a_readers_error_becomes_a_chinese_sentence(raw: str) -> None:
    sentence = _readable_error(RuntimeError(raw))
    assert sentence.endswith("。") and b.HAN.search(sentence)
    latin = re.sub(r"Excel|WPS|XML|\.xlsx|\.xls|&foo;|&xxx;", "", sentence)
    assert not re.search(r"[A-Za-z]{3,}", latin), sentence


def test_tab_separated_rows_dated_at_midnight_are_not_a_punch_log(tmp_path: Path) -> None:
    path = tmp_path / "reviews.txt"
    path.write_text("".join(f"00{i}\t测试{i}\t2024-03-31 00:00:00\t9{i}\n" for i in range(10)), encoding="utf-8")
    assert inspect_file(path).kind == "csv"
