"""Every real file of ../shared/corpus/zh_hr/, ../shared/corpus/attendance/ and
../shared/corpus/hr_en/peopleanalyticsdata/ has a hand-checked outcome, read in place (never copied).

Each expectation was written from opening the file (openpyxl / xlrd / a text editor, in a scratch script
outside the repository), not from what the importer produced; the comment beside it says what was seen.
A refused file: the first words of the sentence (what it is) and the facts it must name. A loaded file:
what lands in the database (people, appraisals, items, weights, totals, grades).

Names of people are never written here: where a test needs one, it reads it from the file's cell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest

from core.db import Database
from pipelines import import_file
from pipelines.options import ImportOptions
from tests import builders as b
from tests.builders import CORPUS_DIR

ZH_HR = CORPUS_DIR / "zh_hr"
DATA = b.DATA_TABLES
# text of a reader's or parser's own error: never in a message a person reads
RAW_ERROR = re.compile(r"[A-Z][a-z]+Error|calamine|Traceback|malformed|row_offset|Xml error|Context:", re.I)


@dataclass(frozen=True)
class Refused:
    """Refused: the sentence starts with ``starts`` and names every one of ``facts``, the report's notes hold
    ``notes`` (the evidence the decision rests on); nothing is written."""

    starts: str
    facts: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


ATTENDANCE = "这是一份考勤记录（依据："
STATISTICS = "这是一份数据分析用的数据表"
REFUSED: dict[str, Refused] = {
    # -- zh_hr/appraisal ------------------------------------------------------------------------------
    # 周工作汇总: 周期/星期/日期, a row a day (W12, 2020-03-16 …), 本周关键工作简述&评价; plus a 填写说明 sheet
    "zh_hr/appraisal/2020-Labs_Apollo_weekly_kpi_report_AAA.xlsx": Refused(
        "这是一份工作日志（周报、日报）", ("「周工作汇总」", "工作简述", "附件参考")
    ),
    # one worker's January 2026 production log: 員工編號/員工姓名/年度/月份 labels over 23 daily rows of
    # 生產時數/生產數量/良品數量/返工品數量/報廢品數量 …: output counts, no KPI, no score, no grade
    "zh_hr/appraisal/Darrowyu_kpi_demo_kpi.xlsx": Refused(
        "这是一份产出统计表", ("「生產時數」「生產數量」「良品數量」", "9 列", "没有得分、等级或权重列", "实际值")
    ),
    # 序号/KPI指标/权重(10%,30% as text)/计算公式/数据来源/目标值/甲级/乙级/丙级/丁级 with threshold text
    # (≥100%, 95%~99% …): a KPI standard, not the system's 指标库 (no 类别, no 计分方法)
    "zh_hr/appraisal/Darrowyu_kpi_demo_生产人员KPI算法与标准库.xlsx": Refused(
        "这是一份KPI指标标准",
        ("第 5 行", "「KPI指标」「权重」「计算公式」", "「甲级」「乙级」「丙级」「丁级」", "下载指标库工作簿"),
    ),
    # 2025年VPO工作站KPI指标目标分解, 部门：北部区域: KPI序号/KPI指标/…/口径/1月…12月, column H 目标/实际/差异
    # three rows per KPI (1, 1.1, 1.2 …): a region's KPI tracking, no person appraised
    "zh_hr/appraisal/SONGXUEJUN1234_SONG1_KPI.xlsx": Refused(
        "这是一份部门/组织KPI跟踪表", ("H 列逐行写着「目标」「实际」「差异」", "「1月」…「12月」", "组织指标来源")
    ),
    # hospital departments × indicators: 固定数据 row 1 科室名称 + 51 indicators merged over row 2's 权重/目标值
    # pairs (102 columns), one row per 科室, "--" for n/a; 结果 sheet the same indicators × departments
    "zh_hr/appraisal/frozenblackflame_EconomicManagementWork_实际值_模板.xlsm": Refused(
        "这是一份部门/组织KPI跟踪表", ("「固定数据」", "「权重」「目标值」（51 对", "「科室名称」")
    ),
    # one header row 工号/姓名/金额 and nothing under it: a performance-pay upload template
    "zh_hr/appraisal/webxiu_workspace-admin_绩效管理模板.xlsx": Refused(
        "这是一份绩效工资（金额）表", ("「工号」「姓名」「金额」", "只有表头，没有任何人的数据", "不导入工资或奖金金额")
    ),
    # 14 editors (names under a blank header) × 头条/次条 counts (头条篇数, 头条点赞2500, 30万~60万篇数 …) all 0,
    # a 绩效 column counting bonuses earned (0), then the bonus rules as prose: output counts, no appraisal
    "zh_hr/appraisal/xinxin504123231_e-commercial_绩效.xlsx": Refused(
        "这是一份产出统计表", ("「Sheet1」", "篇数", "没有得分、等级或权重列")
    ),
    # -- zh_hr/attendance ----------------------------------------------------------------------------
    # id, name, 2013-04-20 09:36:49, status, verify: a ZKTeco attlog with names
    "zh_hr/attendance/VadimSa_TestRepo_attlog.dat": Refused(ATTENDANCE, ("每行是一个工号和一次打卡时间", ".dat")),
    # date / start / end with clock times (07:44:00 …), one person
    "zh_hr/attendance/asdas1233456_WorkTime_打卡记录.xlsx": Refused(ATTENDANCE, ("如「07:44:00」",)),
    # 打卡日期/首次打卡时间/末次打卡时间, 275 days of one person
    "zh_hr/attendance/dajun928_work_考勤记录.xlsx": Refused(ATTENDANCE, ("「Sheet3」的表头有「打卡」",)),
    # XX公司员工考勤表: day 1..31 over weekday row, √ G H S △ codes, 汇总表 of 旷工/事假/病假
    "zh_hr/attendance/humanliu_learngit_考勤.xlsx": Refused(ATTENDANCE, ("表头有 1–31 日的日期列（31 列）",)),
    # 员工编号 + days 1..31, ✓/✗, two rows per employee
    "zh_hr/attendance/pocerberus_project_management_考勤表.xlsx": Refused(
        ATTENDANCE, ("表头有 1–31 日的日期列（31 列）",)
    ),
    # 编号/姓名/部门/应出勤(H)/实际工时(H)/迟到(M)/早退(M)/旷工(H) …, one xx row
    "zh_hr/attendance/webxiu_workspace-admin_员工考勤模板.xlsx": Refused(ATTENDANCE, ("「出勤」「迟到」「早退」",)),
    # 出勤表: 应出勤(天)/迟到次数/缺卡次数/年假(H)/签名, header only
    "zh_hr/attendance/webxiu_workspace-admin_职员考勤模板.xlsx": Refused(ATTENDANCE, ("「缺卡」",)),
    # 培训日期 label, 上午/下午 × 姓名/签到/时、分/签退
    "zh_hr/attendance/wisdom-wf_dingfeng-prj_签到签退表.xls": Refused(ATTENDANCE, ("「签到」「签退」",)),
    # 序号/工号/日期 姓名 diagonal header + days 1..31, ~60 工号 rows with empty day cells
    "zh_hr/attendance/zhangzonglin_attendance_attendance.xlsx": Refused(
        ATTENDANCE, ("表头有 1–31 日的日期列（31 列）",)
    ),
    # -- zh_hr/roster --------------------------------------------------------------------------------
    # 姓名/性别/年龄/住址/户籍 for 8 people, departments 宣传部 (A2:A5), 教育部 (A6:A8), 宿舍部 (A9) merged down
    # column A under a blank header, no 工号 anywhere: cannot be keyed, and no 工号 is invented
    "zh_hr/roster/ericjrex_commonUitls_人员信息.xlsx": Refused(
        "这份表像一份花名册",
        (
            *("「姓名」「性别」「年龄」「住址」「户籍」", "共 8 人", "宣传部、教育部、宿舍部", "没有表头的 A 列"),
            *("没有「工号」列", "不会替人编造工号", "加一列「工号」", "给 A 列加上表头「部门」"),
        ),
        ("工作表「Sheet1」列出了 8 人，但没有工号列，已跳过。",),
    ),
    # 业务员/所属战队/所属部门/大区: 31 salespeople of 8 teams in 5 departments (三国演义, 水浒, 三体, 天龙八部,
    # 漫威动漫), no 工号: a sales org mapping that cannot become a roster without ids
    "zh_hr/roster/helloaspadger_public_组织架构.xlsx": Refused(
        "这份表像一份花名册",
        (
            "「业务员」「所属战队」「所属部门」「大区」",
            "共 31 人",
            "三国演义、水浒、三体、天龙八部等",
            "没有「工号」列",
        ),
    ),
    # 职业培训补贴人员花名册: title, 培训机构（印章） label row, 序号/姓名/失业保险编号/身份证号/电话号码, then rows
    # numbered 1..17 with every other cell empty, a footer: a blank government list template, nobody in it
    "zh_hr/roster/wisdom-wf_dingfeng-prj_花名册.xls": Refused(
        "这是一份空白的名单模板",
        (
            "职业培训补贴人员花名册",
            "「序号」「姓名」「失业保险编号」「身份证号」「电话号码」",
            "17 个编号行",
            "没有任何人员",
        ),
        ("工作表「Sheet1」是空白的名单模板（没有人员），已跳过。",),
    ),
    # -- zh_hr/sales ---------------------------------------------------------------------------------
    # （子）ASIN → 业务员, 431 rows (B07CLYYH26 → a salesperson …): an Amazon seller's attribution table
    "zh_hr/sales/helloaspadger_public_业务员.xlsx": Refused(
        "这是一份销售数据", ("ASIN", "「B07CLYYH26」", "CRM/销售来源")
    ),
    # -- attendance ----------------------------------------------------------------------------------
    # left-padded PIN \t 2020-09-30 10:10:37 \t 1 \t 0 \t 1 \t 0, 10,943 lines, some damaged lines with
    # control bytes and a stray quote mid-file (what broke the CSV parser before)
    "attendance/zkteco_attlog.dat": Refused(ATTENDANCE, ("每行是一个工号和一次打卡时间", "「710011」", ".dat")),
    # -- hr_en/peopleanalyticsdata -------------------------------------------------------------------
    # sales,new_customers,region,gender,rating: 366 anonymous rows with a rating 1–5 and nobody named
    "hr_en/peopleanalyticsdata/employee_performance.csv": Refused(
        STATISTICS, ("sales、new_customers、region、gender、rating", "评分列「rating」", "没有工号或姓名列")
    ),
    # Happiness,Ben1..Car4: 2,833 anonymous survey answers 1–5
    "hr_en/peopleanalyticsdata/employee_survey.csv": Refused(STATISTICS, ("Happiness", "没有工号或姓名列")),
    # employee_id (hashes like c4578853),performance_group (Bottom/Middle/Top),yrs_employed,…,city: no name,
    # department, period or appraisal result
    "hr_en/peopleanalyticsdata/managers.csv": Refused(
        STATISTICS, ("employee_id、performance_group", "没有姓名、部门、考核期间或考核结果列")
    ),
    # diverse,flexible,store,promoted,year: 0/1 flags of anonymous people
    "hr_en/peopleanalyticsdata/promotion.csv": Refused(STATISTICS, ("diverse、flexible、store、promoted、year",)),
    # promoted,sales,customer_rate,performance: anonymous salespeople
    "hr_en/peopleanalyticsdata/salespeople.csv": Refused(STATISTICS, ("promoted、sales、customer_rate、performance",)),
}
# the roster import template (quai313), the four appraisal workbooks the forms work loads: tested below
LOADED = (
    "zh_hr/roster/quai313_baocuo_员工信息_2025-03-19_10_47.xlsx",
    "zh_hr/appraisal/MIssxixi_backup_绩效.xlsx",
    "zh_hr/appraisal/Darrowyu_kpi_demo_KPI报告_丁新松_100051_202601_20260224_135538.xlsx",
    "zh_hr/appraisal/Darrowyu_kpi_demo_KPI汇总报告_20260224_135540.xlsx",
)


def _need(path: Path) -> None:
    if not path.exists():
        pytest.skip(f"the shared corpus is not present at {path} (see DESIGN.md §7)")


def _assert_nothing_written(db: Database) -> None:
    assert all(n == 0 for n in b.table_counts(db, DATA).values()), b.table_counts(db, DATA)


def test_every_file_has_an_expectation() -> None:
    _need(ZH_HR)
    folders = [ZH_HR, CORPUS_DIR / "attendance", CORPUS_DIR / "hr_en" / "peopleanalyticsdata"]
    on_disk = {
        p.relative_to(CORPUS_DIR).as_posix()
        for folder in folders
        for p in folder.rglob("*")
        if p.is_file() and not p.name.startswith("MANIFEST")
    }
    assert on_disk == set(REFUSED) | set(LOADED)


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_file_is_refused_for_what_it_is_and_nothing_is_written(fresh_db: Database, name: str) -> None:
    path = CORPUS_DIR / name
    _need(path)
    expected = REFUSED[name]
    report = import_file(fresh_db, path, uploaded_by="hr")
    assert report.status == "refused" and report.rows_loaded == 0, report.to_dict()
    assert report.message.startswith(expected.starts), report.message
    for fact in expected.facts:
        assert fact in report.message, (fact, report.message)
    assert "没有写入任何数据" in report.message
    assert not RAW_ERROR.search(report.message), report.message
    for note in expected.notes or (("识别依据：",) if report.message.startswith("这是一份") else ()):
        assert any(n.startswith(note) for n in report.notes), (note, report.notes)
    _assert_nothing_written(fresh_db)


# ---- the roster import template -------------------------------------------------------------------


def test_roster_template_with_rules_in_its_header_cells_is_read_as_a_roster(fresh_db: Database) -> None:
    """员工导入: 13 header cells each carrying its filling rule (「*员工姓名  （必填；不允许超过16个字）」,
    「工号 （非必填；只能输入纯数字…）」, 「所在部门（非必填；…）」), one test row (姓名 and 账号 test0314,
    工号 3334, 角色 全量, no 所在部门); sheet 导入规则(必读) is one long instruction cell."""
    path = CORPUS_DIR / LOADED[0]
    _need(path)
    report = import_file(fresh_db, path, uploaded_by="hr")
    assert report.source == "roster", report.to_dict()
    # the one row has no department: the roster needs one, so it is rejected and nothing is written
    assert (report.status, report.rows_read, report.rows_loaded, report.rows_rejected) == ("rejected", 1, 0, 1)
    [reject] = report.rejects
    assert (reject.sheet, reject.row, reject.column, reject.value) == ("员工导入", 2, "所在部门", None)
    assert "缺少部门" in reject.reason
    assert "工作表「导入规则(必读)」是填写说明，不是数据，已跳过。" in report.notes
    assert fresh_db.scalar("SELECT count(*) FROM import_rejects") == 1  # the reject, kept for HR to download
    assert all(n == 0 for t, n in b.table_counts(fresh_db, DATA).items() if t != "import_rejects")


# ---- appraisal workbooks the forms work loads -----------------------------------------------------


def _items(db: Database, employee_id: str) -> list[dict]:
    return db.rows(
        "SELECT k.name, i.weight, i.actual_as_written AS actual, i.self_score, i.manager_score, i.item_score FROM appraisal_items i "
        "JOIN appraisals a USING (appraisal_id) LEFT JOIN kpis k USING (kpi_id) WHERE a.employee_id = ? "
        "ORDER BY i.weight, k.name",
        [employee_id],
    )


def _label_value(path: Path, cell: str) -> str:
    """The value of a label cell such as 「姓    名：…」, read from the file (names stay out of the code)."""
    ws = openpyxl.load_workbook(path, read_only=True).worksheets[0]
    return re.split(r"[:：]", str(ws[cell].value), maxsplit=1)[1].strip()


def test_team_goal_form_lands_with_its_weights_self_and_leader_scores(fresh_db: Database, tmp_path: Path) -> None:
    """互联网中心绩效评估表-团队目标: labels 项目：精进学堂 (G2), 姓名：(G3, the name only, no 工号), 评估周期： 1月
    (I2, no year), 团队目标得分：=N16 (cached 81.05); items under 考核维度/阶段/目标/目标权重/…/员工自评得分/领导评分:
    客户端 V1.0.0 0.15 (self 87, leader 87), Android V1.1.0 0.4 (87, 85), iOS V1.1.0 0.4 (85, 85),
    Android播放器优化 0.05 (未开始, no scores); 目标权重之和 =SUM 1; self total 81.85, leader total 81.05;
    rubric rows below (超预期完成 90-100分 …, S/A/B/C 0.1/0.2/0.5/0.2): no grade stated for the person."""
    path = CORPUS_DIR / LOADED[1]
    _need(path)
    name = _label_value(path, "G3")
    roster = b.write_xlsx(
        tmp_path / "花名册.xlsx", {"花名册": [["工号", "姓名", "部门"], ["T0001", name, "互联网中心"]]}
    )
    assert import_file(fresh_db, roster, uploaded_by="hr").status == "loaded"
    report = import_file(fresh_db, path, uploaded_by="hr", options=ImportOptions(year=2025))
    assert report.status == "loaded" and report.rows_rejected == 0, report.to_dict()
    [appraisal] = fresh_db.rows("SELECT cycle_id, final_score, self_score, grade FROM appraisals")
    assert appraisal["cycle_id"] == "H-2025-M01"
    assert appraisal["final_score"] == pytest.approx(81.05, abs=0.01)
    assert appraisal["self_score"] == pytest.approx(81.85, abs=0.01)
    assert appraisal["grade"] is None  # the file states none: only the computed grade is shown
    items = _items(fresh_db, "T0001")
    assert [i["weight"] for i in items] == pytest.approx([5, 15, 40, 40])
    assert sorted((i["self_score"], i["manager_score"]) for i in items if i["manager_score"] is not None) == [
        (85, 85),
        (87, 85),
        (87, 87),
    ]
    assert [i["manager_score"] for i in items if i["weight"] == pytest.approx(5)] == [None]


def import_after_department_question(db: Database, path: Path):
    """The file names no department and nobody in it is on the roster: refused with the one question
    (nothing written), then imported with HR's answer."""
    asked = import_file(db, path, uploaded_by="hr")
    assert asked.status == "refused" and "没有写部门" in asked.message and "--dept" in asked.message, asked.message
    assert db.scalar("SELECT count(*) FROM appraisals") == 0
    return import_file(db, path, uploaded_by="hr", options=ImportOptions(dept="生产部"))


def test_monthly_kpi_report_lands_its_five_items_and_stated_grade(fresh_db: Database) -> None:
    """最终绩效汇总: 「员工姓名：…    工号：100051    评估月份：2026年01月」 in one merged cell (A2), then KPI指标/
    实际达成值/目标/等级/原始分/权重/加权得分/诊断说明: 工时达成率 89.49% 丁 4 10% 0.40, 良品达成率 96.60% 丙 6 30%
    1.80, 人时产出达成率 153.63% 甲 10 30% 3.00, 返工率控制 1.04% 丙 6 15% 0.90, 报废率控制 0.00% 甲 10 15% 1.50;
    月度综合绩效得分 乙等 7.60分 (a 10-point scale: 甲 10, 乙 8, 丙 6, 丁 4). The other three sheets are the raw
    production rows, an aggregation and the calculation steps: no further appraisal."""
    path = CORPUS_DIR / LOADED[2]
    _need(path)
    report = import_after_department_question(fresh_db, path)
    assert report.status == "loaded" and report.rows_rejected == 0, report.to_dict()
    [appraisal] = fresh_db.rows("SELECT employee_id, cycle_id, final_score, grade FROM appraisals")
    assert (appraisal["employee_id"], appraisal["cycle_id"], appraisal["grade"]) == ("100051", "H-2026-M01", "B")
    assert appraisal["final_score"] == pytest.approx(76.0, abs=0.05)  # 7.60 of 10
    items = _items(fresh_db, "100051")
    assert {i["name"]: i["weight"] for i in items} == {
        "工时达成率": 10, "良品达成率": 30, "人时产出达成率": 30, "返工率控制": 15, "报废率控制": 15,
    }  # fmt: skip
    scores = {i["name"]: i["item_score"] for i in items}
    assert scores == pytest.approx(
        {"工时达成率": 40, "良品达成率": 60, "人时产出达成率": 100, "返工率控制": 60, "报废率控制": 100}
    )


# the 员工KPI汇总对比 rows as opened: (工号, 综合得分 of 10, 等级) for 2026年01月
SUMMARY = [
    ("100072", 9.10, "甲"), ("100052", 8.80, "甲"), ("100112", 8.20, "甲"), ("100051", 7.60, "乙"),
    ("100161", 6.50, "乙"), ("100102", 6.40, "乙"), ("100111", 6.10, "乙"), ("100082", 5.80, "丙"),
    ("100059", 5.50, "丙"), ("100050", 5.50, "丙"), ("100060", 5.20, "丙"), ("100131", 4.90, "丙"),
    ("100074", 4.90, "丙"),
]  # fmt: skip


def test_kpi_summary_lands_thirteen_appraisals_once_on_a_ten_point_scale(fresh_db: Database) -> None:
    """员工KPI汇总对比: title row, 排名/工号/姓名/月份(2026年01月)/5 achievement rates as text %/综合得分 (text,
    9.10 … 4.90)/等级 (甲/乙/丙): 13 workers. 绩效排名分析 repeats the same 13 (四、绩效排名明细, rows 30–42) beside a
    grade distribution 甲 3 / 乙 4 / 丙 6 / 丁 0: a summary to cross-check against, not 13 more rows to reject."""
    path = CORPUS_DIR / LOADED[3]
    _need(path)
    report = import_after_department_question(fresh_db, path)
    assert report.status == "loaded" and report.rows_rejected == 0, report.to_dict()
    got = fresh_db.rows("SELECT employee_id, cycle_id, final_score, grade FROM appraisals ORDER BY employee_id")
    assert [g["employee_id"] for g in got] == sorted(e for e, _, _ in SUMMARY)
    assert {g["cycle_id"] for g in got} == {"H-2026-M01"}
    letters = {"甲": "A", "乙": "B", "丙": "C"}
    expected = {e: (score * 10, letters[grade]) for e, score, grade in SUMMARY}
    for g in got:
        score, grade = expected[g["employee_id"]]
        assert g["final_score"] == pytest.approx(score, abs=0.05) and g["grade"] == grade, g
