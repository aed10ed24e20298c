"""Core's errors carry a code and parameters and render in the reader's language: every code raised in
core/ is in the one catalog (core/messages.py) with both languages and the same fields; no raise site
passes a Chinese sentence of its own; the Chinese rendering is the old wording; and an English reader
sees English on a screen and on the command line."""

from __future__ import annotations

import ast
import datetime as dt
import os
import pickle
import re
import string
import subprocess
import sys
from pathlib import Path

import pytest

from core import audit, kpi, periods, scoring, settings, stages
from core.errors import (
    Coded,
    CoreError,
    CycleError,
    KpiError,
    Text,
    cli_language,
    label,
    render,
    render_error,
)
from core.messages import LABELS, MESSAGES, SEPARATORS
from core.permissions import Forbidden
from tests.apptest import StartApp, all_text, everything_shown, open_page
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parent.parent
# moving out of core/ (the demo) or rewritten by another change (imports): their sentences are their own
NOT_CODED = {"demo.py", "demo_users.py", "standard_pack.py", "imports.py"}
CORE_FILES = sorted(p for p in (ROOT / "core").glob("*.py") if p.name not in NOT_CODED)
CODED = {
    "CoreError", "CycleError", "Conflict", "KpiError", "StageError", "ScoringError", "UserError", "LoginFailed",
    "Forbidden", "DatabaseError", "DatabaseBusy", "Text",
}  # fmt: skip
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
NAMESPACES = {code.split(".", 1)[0] for code in MESSAGES}
CODE = re.compile(rf"^(?:{'|'.join(sorted(NAMESPACES))})\.[a-z_]+$")
PYTHON_SPEC = re.compile(r"^(?:.?[<>=^])?[+\- ]?#?0?\d*[,_]?(?:\.\d+)?[bcdeEfFgGnosxX%]?$")


def _name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _strings(node: ast.AST) -> list[str]:
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def _codes(node: ast.AST) -> list[str]:
    """The codes an argument can be: a literal, or either branch of ``a if … else b``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _codes(node.body) + _codes(node.orelse)
    return []


def _coded_calls() -> list[tuple[str, int, ast.Call]]:
    """Every construction of a coded error or text in core/, and every ``require_action`` (its third
    argument is the refusal's code)."""
    found = []
    for path in CORE_FILES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and (_name(node) in CODED or _name(node) == "require_action"):
                found.append((path.name, node.lineno, node))
    return found


def _fields(template: str) -> dict[str, set[str]]:
    fields: dict[str, set[str]] = {}
    for _, name, spec, _ in string.Formatter().parse(template):
        if name is not None:
            fields.setdefault(name, set()).add(spec or "")
    return fields


# -- the catalog -------------------------------------------------------------------------------------


def test_every_code_raised_in_core_is_in_the_catalog() -> None:
    calls = _coded_calls()
    assert len(calls) > 150, "the scan finds the raise sites"
    missing = []
    for name, line, call in calls:
        if _name(call) == "require_action":
            parts = [*call.args[2:], *(k.value for k in call.keywords if k.arg == "code")]
        else:
            parts = call.args[:1]
        missing += [f"{name}:{line} {code!r}" for part in parts for code in _codes(part) if code not in MESSAGES]
    assert not missing, missing


def test_every_code_named_anywhere_in_core_is_in_the_catalog() -> None:
    """Codes passed on through a variable (a default refusal, a table of problems, a field's name)."""
    named = {
        (path.name, s)
        for path in CORE_FILES
        if path.name != "messages.py"
        for s in _strings(ast.parse(path.read_text(encoding="utf-8")))
        if CODE.match(s)
    }
    assert len(named) > 200
    assert not sorted(f"{name}: {code}" for name, code in named if code not in MESSAGES)


def test_every_message_of_the_catalog_is_used() -> None:
    code_text = "\n".join(
        p.read_text(encoding="utf-8")
        for folder in ("core", "ui", "pages", "pipelines")
        for p in (ROOT / folder).glob("*.py")
        if p.name != "messages.py"
    )
    assert [code for code in MESSAGES if f'"{code}"' not in code_text] == []


def test_no_raise_site_in_core_passes_a_sentence_of_its_own() -> None:
    written = []
    for path in CORE_FILES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise) and node.exc is not None:
                parts, formatted = [node.exc], False  # programmers' errors (English, f-strings) may stay
            elif isinstance(node, ast.Call) and (_name(node) in CODED or _name(node) == "require_action"):
                parts, formatted = [*node.args, *(k.value for k in node.keywords)], True
            elif isinstance(node, ast.Call) and ast.unparse(node.func) == "problems.append":
                parts, formatted = list(node.args), True  # the problems validation returns
            else:
                continue
            for part in parts:
                chinese = any(CJK.search(s) for s in _strings(part))
                if chinese or (formatted and any(isinstance(n, ast.JoinedStr) for n in ast.walk(part))):
                    written.append(f"{path.name}:{node.lineno}")
    assert not written, written


def test_every_message_has_both_languages_with_the_same_fields() -> None:
    for code, (zh, en) in MESSAGES.items():
        assert zh.strip() and en.strip(), code
        assert CJK.search(zh) or code in ("kpi.problems", "appraisal.item_settings", "cycle.kind_choice"), code
        assert not CJK.search(en), f"{code}: English with Chinese in it"
        zh_fields, en_fields = _fields(zh), _fields(en)
        assert zh_fields.keys() == en_fields.keys(), code
        for spec in set().union(*zh_fields.values(), *en_fields.values()):
            words = spec.split()
            known = not words or (set(words[:-1]) <= LABELS.keys() and (words[-1] in LABELS or words[-1] in SEPARATORS))
            assert known or PYTHON_SPEC.match(spec), f"{code}: unknown spec {spec!r}"


def test_every_label_table_has_both_languages_and_agrees_with_the_screens() -> None:
    from ui.i18n import CATALOG

    for table, labels in LABELS.items():
        assert labels, table
        for code, (zh, en) in labels.items():
            assert zh and en and not CJK.search(en), (table, code)
    assert LABELS["stage"].keys() == set(stages.STAGE_ORDER)
    assert LABELS["action"].keys() == set(stages.ACTIONS)
    assert LABELS["party"].keys() == set(stages.ROLES)
    # a word the screens show too has one wording in each language
    shared = [
        (f"{table}.{code}", pair)
        for table in ("stage", "action", "source", "role", "kind")
        for code, pair in LABELS[table].items()
        if f"{table}.{code}" in CATALOG
    ]
    assert len(shared) >= 30
    assert [key for key, pair in shared if CATALOG[key] != pair] == []


# -- rendering -----------------------------------------------------------------------------------------


def test_str_is_the_chinese_and_render_gives_either_language() -> None:
    err = CycleError("cycle.weights_total", total=110.0)
    assert str(err) == err.render("zh-CN") == "年度结果的权重（四个季度与年度评议）之和应为 100，现在是 110"
    assert err.args == (str(err),) and isinstance(err, ValueError) and isinstance(err, CoreError)
    assert err.render("en") == (
        "The weights of the annual result (four quarters and the annual review) must add up to 100, not 110."
    )
    assert (err.code, err.params) == ("cycle.weights_total", {"total": 110.0})
    with pytest.raises(KeyError):
        CoreError("no.such_code")


def test_a_nested_error_and_a_field_name_render_in_the_same_language() -> None:
    inner = scoring.ScoringError("scoring.floor_side", floor=90.0, side="lower", target=80.0)
    outer = CycleError("appraisal.item_settings", item="良品率", error=inner)
    assert str(outer) == "「良品率」：底线（90）应低于目标值（80）"
    assert outer.render("en") == "“良品率”: The floor (90) must be below the target (80)."
    with pytest.raises(CoreError) as caught:
        scoring.linear(None, 90, 80)
    assert str(caught.value) == "底线（90）应低于目标值（80）"
    with pytest.raises(scoring.ScoringError) as caught:
        scoring.total_score([(50, 90), ("x", 80)])
    assert str(caught.value) == "第 2 项的权重必须是数字，收到的是「'x'」"
    assert caught.value.render("en") == "The weight of item 2 must be a number, not 'x'."


def test_lists_labels_and_separators() -> None:
    err = stages.StageError(
        "stage.not_your_action", stage="goals", action="approve_goals", roles=["manager"], role="hr"
    )
    assert str(err) == "“目标制定”阶段的“批准目标”只能由直属主管操作，HR无权操作"
    assert err.render("en") == "In the “Goal setting” stage only the direct manager may “Approve goals”, not HR."
    two = render("stage.not_your_action", {"stage": "signoff", "action": "sign", "roles": ["employee", "manager"],
                                           "role": "hr"}, "en")  # fmt: skip
    assert "only the employee or the direct manager may “Sign”" in two
    assert render("appraisal.unknown_items", {"kpis": ["K1", "K2"]}) == "这份考核没有指标：K1、K2，请刷新页面后再保存"
    assert render("appraisal.unknown_items", {"kpis": ["K1", "K2"]}, "en").startswith(
        "This appraisal has no KPI K1, K2:"
    )
    assert label("source", "finance", "en") == "Finance" and label("source", "nope", "en") == "nope"
    problems = [Text("kpi.name_missing"), Text("kpi.weight_total", total=99.0)]
    err = KpiError("kpi.problems", problems=problems)
    assert str(err) == "指标名称为空：请填写指标名称。权重合计为 99，应为 100：请调整各项权重。"
    assert err.render("en") == "The KPI has no name: give it one. The weights add up to 99, not 100: adjust them."


def test_a_problem_is_the_string_of_its_chinese_sentence() -> None:
    problem = Text("kpi.weight_total", total=99.0)
    assert problem == "权重合计为 99，应为 100：请调整各项权重。" and isinstance(problem, str)
    assert "".join([problem, problem]).count("权重合计") == 2 and "应为 100" in problem
    assert problem.render("en") == "The weights add up to 99, not 100: adjust them."
    assert pickle.loads(pickle.dumps(problem)).render("en") == problem.render("en")
    revived = pickle.loads(pickle.dumps(Forbidden("perm.login_required")))
    assert isinstance(revived, Forbidden) and revived.render("en") == "Please log in first."


def test_validation_returns_coded_problems_that_read_as_before() -> None:
    problems = kpi.validate_kpi({"name": "", "category": "x", "direction": "higher", "method": "linear"})
    assert all(isinstance(p, Text) for p in problems)
    assert problems[0] == "指标名称为空：请填写指标名称。"
    assert problems[1] == "指标类别“x”无效：请选择 业绩类 / 职能类 / 行为类 之一。"
    assert problems[1].render("en") == "The category “x” is not valid: choose one of 业绩类 / 职能类 / 行为类."
    empty = kpi.validate_kpi({"name": "n", "category": "业绩类", "direction": "", "method": "linear"})
    assert "指标方向“（空）”无效" in "".join(empty) and "The direction “(empty)” is not valid" in empty[0].render("en")
    bands = settings.validate_bands({"业绩类": (80, 90), "职能类": (20, 40), "行为类": (10, 30)})
    assert bands == [
        "各类别下限之和为 110、上限之和为 160：任何模板都无法同时满足（须下限之和 ≤ 100 ≤ 上限之和），请调整区间。"
    ]
    missing = settings.validate_bands({})
    assert missing[0] == "缺少业绩类的权重区间：请填写下限和上限。"
    assert missing[0].render("en") == "The Performance category has no weight band: fill in its lower and upper limit."


def test_a_core_refusal_in_english_names_stages_in_english() -> None:
    start = dt.date(2026, 10, 1)
    due = periods.default_due_dates(start, dt.date(2026, 12, 31)) | {"midterm": dt.date(2026, 10, 2)}
    with pytest.raises(CycleError) as caught:
        periods.check_due_dates(due, start)
    assert str(caught.value) == (
        "「中期回顾」的截止日期 2026-10-02 早于上一阶段「目标制定」的 2026-10-15，各阶段截止日期应按顺序排列"
    )
    assert caught.value.render("en") == (
        "The due date of “Mid-term review”, 2026-10-02, is before that of the stage before it, “Goal setting” "
        "(2026-10-15): the stages' due dates must follow their order."
    )
    with pytest.raises(CycleError) as kind:
        periods.period_of("weekly", 2026)
    assert str(kind.value) == "未知的周期类型「weekly」，可选：quarterly（季度）、half_year（半年度）、annual（年度）"
    assert kind.value.render("en").startswith("Unknown cycle kind “weekly”: choose quarterly (Quarterly) or half_year")


def test_the_audit_check_speaks_both_languages() -> None:
    intact = audit.ChainCheck(True, 7)
    assert str(intact.message) == "审计日志完整：共 7 行，哈希链逐行核对无误。"
    broken = audit.ChainCheck(False, 3, 4, Text("audit.row_missing", found=6))
    assert str(broken.message) == "审计日志被改动过：第 4 行（seq=4）缺失（下一行是 seq=6），有行被删除。"
    assert broken.message.render("en") == (
        "The audit trail has been tampered with: row 4 (seq=4) is missing (the next row is seq=6): rows were deleted."
    )


def test_render_error_and_the_command_line_language(monkeypatch: pytest.MonkeyPatch) -> None:
    assert render_error(ValueError("plain"), "en") == "plain"
    assert render_error(Forbidden("perm.denied"), "en").startswith("You may not see or do this.")
    assert isinstance(Forbidden("perm.denied"), PermissionError) and isinstance(Forbidden("perm.denied"), Coded)
    for value, lang in (("en", "en"), ("en_US.UTF-8", "en"), ("zh-CN", "zh-CN"), ("", "zh-CN"), ("fr", "zh-CN")):
        monkeypatch.setenv("JIXIAO_LANG", value)
        assert cli_language() == lang
    monkeypatch.delenv("JIXIAO_LANG")
    assert cli_language() == "zh-CN"


# -- an English reader -----------------------------------------------------------------------------------


def _admin(db: Path, *args: str, lang: str | None, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("JIXIAO_DB", "JIXIAO_LANG")}
    if lang:
        env["JIXIAO_LANG"] = lang
    return subprocess.run(
        [sys.executable, "-m", "core.admin", *args, "--db", str(db)],
        cwd=ROOT, env=env, input=stdin, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_the_admin_commands_speak_english_when_asked(company_db: Path) -> None:
    bad = _admin(company_db, "create-user", "x", "--role", "hr", "--password-stdin", lang="en", stdin="Passw0rd-1\n")
    assert bad.returncode == 1
    assert (
        bad.stdout.strip() == "A user name is 2–40 letters, digits, dots, underscores or hyphens: choose another one."
    )
    made = _admin(company_db, "create-user", "it2", "--role", "admin", "--password-stdin", lang="en",
                  stdin="Passw0rd-1\n")  # fmt: skip
    assert made.returncode == 0 and made.stdout.strip() == "Created the user it2 (System administrator)."
    checked = _admin(company_db, "verify-audit", lang="en")
    assert checked.returncode == 0 and checked.stdout.startswith("The audit trail is intact:")
    chinese = _admin(company_db, "disable", "nobody", lang=None)
    assert chinese.returncode == 1 and chinese.stdout.strip() == "没有用户 nobody。"


def test_a_wrong_password_in_english_reads_english(start_app: StartApp, company_db: Path) -> None:
    at = start_app(company_db, login=None, lang="en")
    at.text_input(key="login.username").input("head")
    at.text_input(key="login.password").input("wrong-" + PASSWORD)
    at.button(key="login.submit").click().run()
    assert [e.value for e in at.error] == [
        "The user name or password is wrong, or the account cannot log in right now. 5 wrong tries in a row lock "
        "the account for 15 minutes; ask HR if in doubt."
    ]


def test_a_refused_screen_in_english_reads_english(start_app: StartApp, company_db: Path) -> None:
    at = open_page(start_app(company_db, login="head", lang="en"), "pages/no_access.py")
    assert "You may not see or do this. If you need to, ask HR to give you access." in [e.value for e in at.error]
    assert "你没有权限" not in all_text(at)


def test_a_core_check_on_a_page_in_english_reads_english(start_app: StartApp, company_db: Path) -> None:
    at = open_page(start_app(company_db, login="hr", lang="en"), "pages/cycles.py")
    at.selectbox(key="cyc.kind").set_value("annual").run()
    at.number_input(key="cyc.weight.review").set_value(50).run()
    at.button(key="cyc.check").click().run()
    shown = [e.value for e in at.error]
    assert shown == [
        "The weights of the annual result (four quarters and the annual review) must add up to 100, not 110."
    ]
    assert "之和应为" not in everything_shown(at)
