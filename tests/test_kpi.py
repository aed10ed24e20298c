"""The KPI library, category bands and position templates (core/kpi.py) on a small fixture org."""

from __future__ import annotations

import datetime as dt

import pytest

from core import audit
from core.auth import User
from core.db import Database
from core.errors import KpiError
from core.kpi import (
    check_kpi,
    get_kpi,
    list_kpis,
    quarter_start,
    template_in_force,
    template_versions,
    validate_kpi,
    validate_template,
    write_kpi_version,
    write_template_version,
)
from core.permissions import Forbidden
from core.settings import DEFAULT_BANDS, category_bands, set_category_bands
from core.vocabulary import CATEGORIES

RUBRIC = ["从不配合", "偶尔配合", "基本配合", "主动配合", "带动他人"]
LIBRARY = {
    "K-OUT": {"name": "日均产量", "category": "业绩类", "unit": "件", "direction": "higher", "method": "linear",
              "data_source": "manual"},
    "K-YIELD": {"name": "良品率", "category": "业绩类", "unit": "%", "direction": "higher", "method": "ratio",
                "data_source": "manual"},
    "K-SAFE": {"name": "安全违规", "category": "职能类", "unit": "次", "direction": "lower", "method": "deduction",
               "data_source": "manual", "deduction_step": 10},
    "K-TEAM": {"name": "团队协作", "category": "行为类", "unit": None, "direction": "higher", "method": "rubric",
               "data_source": "peer", "rubric": RUBRIC},
    "K-MISS": {"name": "漏检率", "category": "业绩类", "unit": "%", "direction": "lower", "method": "lower_better",
               "data_source": "manual", "description": "漏检率低于 0.5%"},
}  # fmt: skip
# a valid template: 业绩类 60, 职能类 25, 行为类 15
ITEMS = [
    {"kpi_id": "K-OUT", "weight": 40, "target": 200, "floor": 150, "stretch": 240},
    {"kpi_id": "K-YIELD", "weight": 20, "target": 98},
    {"kpi_id": "K-SAFE", "weight": 25},
    {"kpi_id": "K-TEAM", "weight": 15},
]


def build_org(db: Database) -> dict[str, User]:
    """Four departments (行政部 without a head), three positions, a reporting chain CEO → two VPs → three
    heads → a worker, the KPI library above (plus a legacy and a retired KPI), and the acting users."""
    employees = [
        ("E0", "总经理", None, None, None),
        ("V1", "运营副总", None, None, "E0"),
        ("V2", "营销副总", None, None, "E0"),
        ("H1", "生产部长", "D1", None, "V1"),
        ("H2", "质检部长", "D2", None, "V1"),
        ("H3", "销售部长", "D3", None, "V2"),
        ("W1", "操作工甲", "D1", "P1", "H1"),
    ]
    with db.transaction() as cur:
        for dept_id, name, head in (("D1", "生产部", "H1"), ("D2", "质检部", "H2"), ("D3", "销售部", "H3"),
                                    ("D4", "行政部", None)):  # fmt: skip
            cur.execute("INSERT INTO departments (dept_id, name, head_id) VALUES (?, ?, ?)", [dept_id, name, head])
        for position_id, dept_id, name in (("P1", "D1", "操作工"), ("P2", "D2", "质检员"), ("P3", "D3", "销售代表"),
                                           ("P4", "D4", "行政专员")):  # fmt: skip
            cur.execute(
                "INSERT INTO positions (position_id, dept_id, name) VALUES (?, ?, ?)", [position_id, dept_id, name]
            )
        for row in employees:
            cur.execute(
                "INSERT INTO employees (employee_id, name, dept_id, position_id, manager_id) VALUES (?, ?, ?, ?, ?)",
                list(row),
            )
        for username, dept_id in (("bp1", "D1"), ("bp1", "D2"), ("bp3", "D3")):
            cur.execute("INSERT INTO hrbp_scope (username, dept_id) VALUES (?, ?)", [username, dept_id])
        for kpi_id, definition in LIBRARY.items():
            write_kpi_version(cur, kpi_id, definition, "active")
        write_kpi_version(cur, "K-OLD", {"name": "旧出勤指标"}, "legacy")
        write_kpi_version(cur, "K-GONE", {**LIBRARY["K-OUT"], "name": "旧产量"}, "retired")

    def user(username: str, *roles: str, employee_id: str | None = None) -> User:
        return User(username, frozenset(roles), employee_id)

    return {
        "hr": user("hr", "hr"),
        "head1": user("head1", "manager", employee_id="H1"),
        "head2": user("head2", "manager", employee_id="H2"),
        "head3": user("head3", "manager", employee_id="H3"),
        "worker": user("worker", "employee", employee_id="W1"),
        "bp1": user("bp1", "hrbp"),
        "bp3": user("bp3", "hrbp"),
        "vp1": user("vp1", "executive", employee_id="V1"),
        "vp2": user("vp2", "executive", employee_id="V2"),
        "ceo": user("ceo", "executive"),
        "analyst": user("analyst", "analyst"),
    }


@pytest.fixture
def org(fresh_db: Database) -> tuple[Database, dict[str, User]]:
    return fresh_db, build_org(fresh_db)


# -- library --------------------------------------------------------------------------------------------


def test_a_complete_definition_has_no_problems() -> None:
    for definition in LIBRARY.values():
        assert validate_kpi(definition) == []
    assert check_kpi(LIBRARY["K-TEAM"])["rubric"] == RUBRIC


def test_each_wrong_field_is_named_in_chinese() -> None:
    problems = validate_kpi(
        {"name": " ", "category": "质量类", "direction": "up", "method": "curve", "data_source": "erp"}
    )
    assert len(problems) == 5
    joined = "".join(problems)
    for word in ("指标名称", "指标类别", "指标方向", "评分方法", "数据来源"):
        assert word in joined
    with pytest.raises(KpiError, match="指标名称为空"):
        check_kpi({**LIBRARY["K-OUT"], "name": ""})


def test_rubric_needs_five_anchored_levels_and_deduction_a_step() -> None:
    assert "5 条等级描述" in "".join(validate_kpi({**LIBRARY["K-TEAM"], "rubric": RUBRIC[:4]}))
    assert "5 条等级描述" in "".join(validate_kpi({**LIBRARY["K-TEAM"], "rubric": [*RUBRIC[:4], " "]}))
    assert "5 条等级描述" in "".join(validate_kpi({**LIBRARY["K-TEAM"], "rubric": None}))
    assert "每次扣分" in "".join(validate_kpi({**LIBRARY["K-SAFE"], "deduction_step": None}))
    assert "每次扣分" in "".join(validate_kpi({**LIBRARY["K-SAFE"], "deduction_step": "x"}))
    assert "每次扣分" in "".join(validate_kpi({**LIBRARY["K-SAFE"], "deduction_step": -1}))
    assert "每次扣分" in "".join(validate_kpi({**LIBRARY["K-SAFE"], "deduction_step": float("nan")}))
    assert check_kpi({**LIBRARY["K-OUT"], "deduction_step": float("nan")})["deduction_step"] is None
    assert check_kpi({**LIBRARY["K-SAFE"], "deduction_step": " 5 "})["deduction_step"] == 5.0
    assert check_kpi({**LIBRARY["K-TEAM"], "rubric": '["1","2","3","4","5"]'})["rubric"] == ["1", "2", "3", "4", "5"]
    assert "5 条等级描述" in "".join(validate_kpi({**LIBRARY["K-TEAM"], "rubric": [*RUBRIC[:4], None]}))
    assert "方向改为 lower" in "".join(validate_kpi({**LIBRARY["K-MISS"], "direction": "higher"}))


def test_the_library_lists_searches_and_filters(org: tuple[Database, dict[str, User]]) -> None:
    db, _ = org
    assert len(list_kpis(db)) == 7
    assert [k["kpi_id"] for k in list_kpis(db, search="漏检")] == ["K-MISS"]
    assert [k["kpi_id"] for k in list_kpis(db, search="0.5%")] == ["K-MISS"]  # the description is searched too
    assert {k["kpi_id"] for k in list_kpis(db, category="行为类")} == {"K-TEAM"}
    assert [k["kpi_id"] for k in list_kpis(db, status="legacy")] == ["K-OLD"]
    assert {k["kpi_id"] for k in list_kpis(db, category="业绩类", status="active")} == {"K-OUT", "K-YIELD", "K-MISS"}


def test_one_kpi_comes_with_its_versions(org: tuple[Database, dict[str, User]]) -> None:
    db, _ = org
    kpi = get_kpi(db, "K-TEAM")
    assert kpi is not None
    assert kpi["rubric"] == RUBRIC and kpi["version"] == 1
    assert [v["version"] for v in kpi["versions"]] == [1]
    assert kpi["versions"][0]["rubric"] == RUBRIC
    with db.transaction() as cur:
        assert write_kpi_version(cur, "K-TEAM", {**LIBRARY["K-TEAM"], "name": "跨部门协作"}, "active") == 2
    kpi = get_kpi(db, "K-TEAM")
    assert kpi is not None and kpi["name"] == "跨部门协作" and kpi["version"] == 2
    assert [(v["version"], v["name"]) for v in kpi["versions"]] == [(1, "团队协作"), (2, "跨部门协作")]
    assert get_kpi(db, "K-NONE") is None


# -- weights and bands ----------------------------------------------------------------------------------


def test_a_template_summing_to_100_inside_the_bands_passes(org: tuple[Database, dict[str, User]]) -> None:
    db, _ = org
    assert validate_template(db, ITEMS) == []
    almost = [dict(it) for it in ITEMS]
    almost[0]["weight"] = 40.005  # inside the ±0.01 tolerance
    assert validate_template(db, almost) == []


def test_weights_must_sum_to_100(org: tuple[Database, dict[str, User]]) -> None:
    db, _ = org
    short = [dict(it) for it in ITEMS]
    short[2]["weight"] = 24  # 99 in all; 职能类 24 % still inside its band
    problems = validate_template(db, short)
    assert problems == ["权重合计为 99，应为 100：请调整各项权重。"]
    assert any("大于 0" in p for p in validate_template(db, [*ITEMS[:3], {"kpi_id": "K-TEAM", "weight": 0}]))
    assert validate_template(db, []) == ["模板里没有指标：请至少添加一项指标，权重合计 100。"]


def test_each_category_must_stay_inside_its_band(org: tuple[Database, dict[str, User]]) -> None:
    db, _ = org
    heavy = [
        {"kpi_id": "K-OUT", "weight": 60},
        {"kpi_id": "K-YIELD", "weight": 20},  # 业绩类 80 > 70
        {"kpi_id": "K-SAFE", "weight": 10},
        {"kpi_id": "K-TEAM", "weight": 10},
    ]
    problems = validate_template(db, heavy)
    assert len(problems) == 1
    assert "业绩类指标权重合计 80%" in problems[0] and "50%–70%" in problems[0]
    no_behaviour = [{"kpi_id": "K-OUT", "weight": 60}, {"kpi_id": "K-SAFE", "weight": 40}]
    problems = validate_template(db, no_behaviour)
    assert len(problems) == 1 and "行为类指标权重合计 0%" in problems[0]


def test_unknown_duplicate_retired_and_legacy_kpis_are_refused(org: tuple[Database, dict[str, User]]) -> None:
    db, _ = org
    problems = validate_template(
        db,
        [*ITEMS, {"kpi_id": "K-NONE", "weight": 1}, {"kpi_id": "K-OLD", "weight": 1}, {"kpi_id": "K-GONE", "weight": 1},
         {"kpi_id": "K-TEAM", "weight": 1}, {"weight": 1}],
    )  # fmt: skip
    joined = "".join(problems)
    assert "K-NONE 不在指标库中" in joined
    assert "旧出勤指标）的状态是“历史导入”" in joined
    assert "旧产量）的状态是“已停用”" in joined
    assert "团队协作）重复出现" in joined
    assert "没有指标编号" in joined
    assert "权重合计为 104" in joined


def test_floor_target_and_stretch_follow_the_direction(org: tuple[Database, dict[str, User]]) -> None:
    db, _ = org
    wrong = [dict(it) for it in ITEMS]
    wrong[0].update(floor=250, target=200, stretch=240)
    assert any("顺序不对" in p and "下限 < 目标 < 挑战值" in p for p in validate_template(db, wrong))
    lower = [{"kpi_id": "K-MISS", "weight": 40, "floor": 1.0, "target": 0.5, "stretch": 0.2}, *ITEMS[1:]]
    assert validate_template(db, lower) == []
    lower[0].update(floor=0.2, stretch=1.0)
    assert any("下限 > 目标 > 挑战值" in p for p in validate_template(db, lower))


def test_hr_sets_the_bands_and_the_change_is_audited(org: tuple[Database, dict[str, User]]) -> None:
    db, users = org
    assert category_bands(db) == DEFAULT_BANDS
    heavy = [{"kpi_id": "K-OUT", "weight": 80}, {"kpi_id": "K-SAFE", "weight": 10}, {"kpi_id": "K-TEAM", "weight": 10}]
    assert validate_template(db, heavy) != []
    new = {"业绩类": [60, 80], "职能类": [10, 30], "行为类": [10, 20]}
    assert set_category_bands(db, users["hr"], new) == {c: (float(a), float(b)) for c, (a, b) in new.items()}
    assert category_bands(db) == {"业绩类": (60.0, 80.0), "职能类": (10.0, 30.0), "行为类": (10.0, 20.0)}
    assert validate_template(db, heavy) == []
    assert validate_template(db, ITEMS) == []  # 业绩类 60 % is still inside 60–80 %
    trail = audit.entries(db, action="kpi_bands_update")
    assert trail.height == 1 and trail["actor"][0] == "hr" and "60" in trail["detail"][0]
    assert audit.verify_chain(db).ok


def test_only_hr_sets_sane_bands(org: tuple[Database, dict[str, User]]) -> None:
    db, users = org
    with pytest.raises(Forbidden):
        set_category_bands(db, users["head1"], {c: [0, 100] for c in CATEGORIES})
    with pytest.raises(KpiError, match="下限不大于上限"):
        set_category_bands(db, users["hr"], {"业绩类": [70, 50], "职能类": [10, 40], "行为类": [10, 30]})
    with pytest.raises(KpiError, match="无法同时满足"):
        set_category_bands(db, users["hr"], {"业绩类": [60, 70], "职能类": [30, 40], "行为类": [20, 30]})
    with pytest.raises(KpiError, match="缺少行为类"):
        set_category_bands(db, users["hr"], {"业绩类": [50, 70], "职能类": [10, 40]})
    assert category_bands(db) == DEFAULT_BANDS
    assert audit.entries(db, action="kpi_bands_update").height == 0


# -- template versions ------------------------------------------------------------------------------------


def test_the_template_in_force_is_the_latest_version_begun_by_that_day(org: tuple[Database, dict[str, User]]) -> None:
    db, _ = org
    assert template_in_force(db, "P1", dt.date(2025, 6, 30)) is None
    second = [dict(it) for it in ITEMS]
    second[0]["weight"], second[1]["weight"] = 30, 30
    with db.transaction() as cur:
        assert write_template_version(cur, "P1", dt.date(2025, 1, 1), ITEMS, "hr") == 1
        assert write_template_version(cur, "P1", dt.date(2025, 4, 1), second, "hr") == 2
    assert template_in_force(db, "P1", dt.date(2024, 12, 31)) is None
    q1 = template_in_force(db, "P1", dt.date(2025, 3, 31))
    q2 = template_in_force(db, "P1", dt.date(2025, 4, 1))
    assert q1 is not None and q2 is not None
    assert q1["version"] == 1 and {i["kpi_id"]: i["weight"] for i in q1["items"]}["K-OUT"] == 40
    assert q2["version"] == 2 and {i["kpi_id"]: i["weight"] for i in q2["items"]}["K-OUT"] == 30
    assert template_in_force(db, "P1", dt.date(2030, 1, 1))["version"] == 2  # type: ignore[index]
    versions = template_versions(db, "P1")
    assert [v["version"] for v in versions] == [1, 2]  # the past version stays readable
    assert sum(i["weight"] for i in versions[0]["items"]) == 100
    assert versions[0]["items"][0]["name"] == "日均产量"
    assert template_versions(db, "P2") == []


def test_quarter_start() -> None:
    assert quarter_start(dt.date(2025, 5, 17)) == dt.date(2025, 4, 1)
    assert quarter_start(dt.date(2025, 12, 31)) == dt.date(2025, 10, 1)
    assert quarter_start(dt.date(2025, 1, 1)) == dt.date(2025, 1, 1)
