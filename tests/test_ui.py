"""The UI's pure parts: the catalog, the navigation table, Markdown escaping, tables for Excel, charts."""

from __future__ import annotations

import datetime as dt
import io
import re
import string
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from core import permissions
from core.auth import ROLES, User
from pipelines.report import REJECT_COLUMNS, STATUS_LABELS
from ui import charts, i18n, navigation, widgets

ROOT = Path(__file__).resolve().parent.parent
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_catalog_has_both_languages_with_the_same_placeholders() -> None:
    for key, (zh, en) in i18n.CATALOG.items():
        assert zh.strip() and en.strip(), key
        assert _placeholders(zh) == _placeholders(en), key
        assert not CJK.search(en) or key == "app.language", (key, en)


def test_catalog_statuses_and_reject_titles_match_the_load_report() -> None:
    for status, label in STATUS_LABELS.items():
        assert i18n.CATALOG[f"status.{status}"][0] == label
    for name, title in REJECT_COLUMNS.items():
        assert i18n.CATALOG[f"col.reject.{name}"][0] == title


def test_t_defaults_to_chinese_and_fills_placeholders() -> None:
    # Outside a running app there is no session: the default language applies.
    assert i18n.current_language() == "zh-CN"
    assert i18n.t("org.people_found", n=3) == "找到 3 人"
    with pytest.raises(KeyError):
        i18n.t("no.such.key")


def test_every_catalog_key_used_in_the_code_exists() -> None:
    used = set()
    for path in [ROOT / "app.py", *ROOT.glob("pages/*.py"), *ROOT.glob("ui/*.py")]:
        used |= set(re.findall(r"""\bt\(\s*"([a-z_.]+)""", path.read_text(encoding="utf-8")))
    missing = sorted(k for k in used if k not in i18n.CATALOG)
    assert not missing


def _user(*roles: str, employee_id: str | None = "000001") -> User:
    return User("u", frozenset(roles), employee_id)


def test_navigation_shows_what_core_permissions_allow() -> None:
    # core.permissions.SCREENS is the one table of who opens what; the UI only describes each screen.
    assert set(navigation.SCREENS) == set(permissions.SCREENS)
    for screen in navigation.SCREENS.values():
        assert (ROOT / screen.path).is_file() and screen.path == f"pages/{screen.screen_id}.py"
        assert screen.icon.startswith(":material/")
        assert screen.section_key in navigation.SECTIONS
        assert screen.title_key in i18n.CATALOG
    for role in ROLES:
        shown = [s.screen_id for s in navigation.screens_for(_user(role))]
        assert set(shown) == set(permissions.screens_for(_user(role))), role
    everything = [s.screen_id for s in navigation.screens_for(_user("hr"))]
    assert everything == [
        "my_tasks",
        "goals",
        "midterm",
        "self_review",
        "signoff",
        "my_record",
        "archive",
        "team_rating",
        "org",
        "kpi_library",
        "templates",
        "kpi_changes",
        "data_import",
        "cycles",
        "calibration",
        "objections",
        "users",
        "settings",
        "audit",
        "overview",
    ]  # by section
    assert [s.screen_id for s in navigation.screens_for(_user("employee"))] == [
        "my_tasks",
        "goals",
        "midterm",
        "self_review",
        "signoff",
        "my_record",
        "archive",
    ]
    assert [s.screen_id for s in navigation.screens_for(_user("analyst"))] == ["overview"]
    assert navigation.screens_for(None) == []


def test_landing_screen_is_my_tasks_when_the_user_may_open_it() -> None:
    assert navigation.default_screen(_user("manager")).screen_id == "my_tasks"
    assert navigation.default_screen(_user("hr", employee_id=None)).screen_id == "my_tasks"
    assert navigation.default_screen(_user("analyst", employee_id=None)).screen_id == "overview"
    assert navigation.default_screen(_user("employee", employee_id=None)).screen_id == "my_tasks"


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("[点我](http://example.com)", "\\[点我\\]\\(http\\://example\\.com\\)"),
        ("**粗体** <b>x</b>", "\\*\\*粗体\\*\\* \\<b\\>x\\</b\\>"),
        ("2023年绩效.xlsx", "2023年绩效\\.xlsx"),
        (None, ""),
    ],
)
def test_plain_escapes_markdown(text: str | None, escaped: str) -> None:
    assert widgets.plain(text) == escaped


def test_excel_table_translates_titles_and_formats_numbers() -> None:
    frame = pl.DataFrame(
        {
            "period": ["2024-Q1"],
            "period_start": [dt.date(2024, 1, 1)],
            "mean_score": [87.6666],
            "share_a": [0.2346],
            "formula": ["=1+1"],
        }
    )
    titles = {
        "period": "考核期",
        "period_start": "开始日期",
        "mean_score": "平均分",
        "share_a": "A 等占比",
        "formula": "说明",
    }
    ws = openpyxl.load_workbook(io.BytesIO(widgets.excel_table(frame, titles, "数据"))).active
    assert ws.title == "数据"
    assert [c.value for c in ws[1]] == ["考核期", "开始日期", "平均分", "A 等占比 (%)", "说明"]
    row = [c.value for c in ws[2]]
    assert row[0] == "2024-Q1" and row[1] == dt.datetime(2024, 1, 1)
    assert row[2] == 87.7 and row[3] == 23.5
    assert row[4] == "'=1+1"  # formula injection neutralised by core.export


def _cells() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "dept_id": ["D1", "D2", "D1", "D2"],
            "department": ["生产部", None, "生产部", None],
            "period": ["2024-Q1", "2024-Q1", "2024-Q2", "2024-Q2"],
            "period_start": [dt.date(2024, 1, 1)] * 2 + [dt.date(2024, 4, 1)] * 2,
            "people": [5, 2, 5, 2],
            "scored": [5, 2, 5, 2],
            "mean_score": [81.25, 70.0, 84.0, None],
            "graded": [5, 2, 5, 2],
            "share_a": [0.2, 0.0, 0.4, None],
            "share_c": [0.2, 0.5, 0.0, None],
            "hidden": [False, False, False, True],
        }
    )


def test_department_heatmap_spec() -> None:
    spec = charts.department_heatmap(_cells(), "share_a").to_dict()
    enc = spec["encoding"]
    assert spec["mark"]["type"] == "rect"
    assert enc["x"]["title"] == "考核期" and enc["x"]["sort"] == ["2024-Q1", "2024-Q2"]
    assert enc["y"]["title"] == "部门" and set(enc["y"]["sort"]) == {"生产部", "（未记录部门）"}
    assert enc["color"]["scale"]["scheme"] == "viridis"
    assert enc["color"]["title"] == "A 等占比"
    tooltips = {t["field"]: t for t in enc["tooltip"]}
    assert tooltips["share_a"]["format"] == ".0%"
    assert tooltips["people"]["title"] == "考核人数"
    # the hidden (null) cell is not drawn
    assert len(spec["datasets"][next(iter(spec["datasets"]))]) == 3


def test_heatmap_caption_says_what_and_how_many() -> None:
    caption = charts.heatmap_caption(_cells(), "mean_score", "quarterly", people=7)
    assert "季度" in caption and "平均分" in caption
    assert "2024-Q1 至 2024-Q2，2 期，2 个部门，共 7 人" in caption
