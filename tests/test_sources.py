"""The registry of sources (pipelines/sources.py): every source is registered with its steps and tables,
files are recognised by their headers, the parse step needs no database, and pipelines/ keeps its shape
(no import circles, no first-party imports inside functions, no calls of another module's private
functions, modules and functions of a readable size, the importer free of source-specific code)."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import duckdb
import polars as pl
import pytest

import pipelines.importer as importer
from core.db import open_database
from pipelines import sources
from pipelines.sniff import inspect_file
from pipelines.source import NoHeaderFound
from pipelines.workbook import read_grids
from tests import builders as b
from ui import i18n

ROOT = Path(__file__).resolve().parents[1]
PIPELINES = ROOT / "pipelines"
LIB_HEAD = ["指标编号", "指标名称", "类别", "单位", "方向", "计分方法", "数据来源", "说明",
            "等级1描述", "等级2描述", "等级3描述", "等级4描述", "等级5描述", "扣分步长", "状态"]  # fmt: skip
LIB_ROW = ["K-1", "日均完成抽检", "业绩类", "件", "越高越好", "线性", "人工录入", None, *[None] * 5, None, "在用"]
# tables whose rows an undo finds without a batch_id of their own (see each source's undo.py)
FOUND_OTHERWISE = {"kpis", "cycles", "position_kpis"}


def grids_of(path: Path):
    return read_grids(path, inspect_file(path))


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    people = b.sample_people(6)
    return {
        "roster": b.write_roster(tmp_path / "花名册.xlsx", people),
        "legacy": b.write_xlsx(tmp_path / "一季度.xlsx", {"S": b.simple_legacy_rows({"00102": 88}, "2024Q1")}),
        "form": b.write_form_workbook(tmp_path / "个人考核.xlsx", people[:2]),
        "kpi_library": b.write_xlsx(tmp_path / "指标库.xlsx", {"指标库": [LIB_HEAD, LIB_ROW]}),
        "none": b.write_xlsx(tmp_path / "随便.xlsx", {"Sheet1": [["甲", "乙"], [1, 2]]}),
    }


# -- the registry ---------------------------------------------------------------------------------


def test_every_source_is_registered_with_its_steps_and_label() -> None:
    assert sources.NAMES == ("legacy", "roster", "kpi_library")
    assert sources.CHOICES == ("auto", *sources.NAMES)
    for s in sources.REGISTRY:
        assert sources.source_named(s.name) is s
        assert i18n.CATALOG[f"source.{s.name}"][0] == s.label  # the screen shows the registry's label
        assert b.HAN.search(s.needs) and b.HAN.search(s.checking)
        for step in (s.recognise, s.parse, s.load, s.undo):
            assert callable(step) and step.__doc__, (s.name, step)
        # a parse step takes the sheets, the file name and the notes: never a database
        assert list(inspect.signature(s.parse).parameters) == ["grids", "file_name", "notes", "options"]
    with pytest.raises(KeyError):
        sources.source_named("attendance")


def test_every_table_a_source_loads_exists_and_carries_the_batch(fresh_db) -> None:
    columns = {
        (r["table_name"], r["column_name"])
        for r in fresh_db.rows("SELECT table_name, column_name FROM information_schema.columns")
    }
    tables = {t for t, _ in columns}
    for s in sources.REGISTRY:
        assert s.tables, s.name
        for table in s.tables:
            assert table in tables, (s.name, table)
            assert (table, "batch_id") in columns or table in FOUND_OTHERWISE, (s.name, table)


def test_a_load_may_write_only_the_tables_its_source_lists(fresh_db) -> None:
    roster = sources.source_named("roster")
    with fresh_db.transaction() as cur:
        batch = importer.Batch("B-test", "hr", cur, fresh_db, roster)
        with pytest.raises(ValueError, match="appraisals"):
            batch.insert("appraisals", pl.DataFrame({"appraisal_id": ["x"]}))
        assert batch.insert("departments", pl.DataFrame({"dept_id": ["D1"], "name": ["质检部"]})) == 1


# -- recognising a file ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "kind"),
    [("roster", "roster"), ("legacy", "legacy"), ("form", "legacy"), ("kpi_library", "kpi_library"), ("none", None)],
)
def test_a_file_is_recognised_by_its_headers(files: dict[str, Path], file: str, kind: str | None) -> None:
    found = sources.recognise(grids_of(files[file]))
    assert (found.name if found else None) == kind


def test_a_library_sheet_makes_a_library_workbook_and_a_tie_goes_to_legacy(tmp_path: Path) -> None:
    legacy_rows = b.simple_legacy_rows({"00102": 88}, "2024Q1")
    roster_rows = [b.ROSTER_HEADER, *b.roster_rows(b.sample_people(2))]
    mixed = b.write_xlsx(tmp_path / "混合.xlsx", {"A": legacy_rows, "B": legacy_rows, "指标库": [LIB_HEAD, LIB_ROW]})
    assert sources.recognise(grids_of(mixed)).name == "kpi_library"  # decisive, whatever the other sheets hold
    tie = b.write_xlsx(tmp_path / "一半一半.xlsx", {"A": legacy_rows, "B": roster_rows})
    assert sources.recognise(grids_of(tie)).name == "legacy"
    more_rosters = b.write_xlsx(tmp_path / "多花名册.xlsx", {"A": legacy_rows, "B": roster_rows, "C": roster_rows})
    assert sources.recognise(grids_of(more_rosters)).name == "roster"


def test_the_refusal_of_a_file_without_headers_names_what_each_source_needs(files: dict[str, Path]) -> None:
    message = sources.no_header_message(grids_of(files["none"]))
    assert "「Sheet1」" in message and "检查了 1 个工作表" in message
    for s in sources.REGISTRY:
        assert s.needs in message


# -- parsing needs no database --------------------------------------------------------------------


@pytest.mark.parametrize(("file", "name"), [("roster", "roster"), ("legacy", "legacy"), ("form", "legacy"),
                                            ("kpi_library", "kpi_library")])  # fmt: skip
def test_the_parse_step_runs_without_a_database(
    files: dict[str, Path], file: str, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    grids = grids_of(files[file])

    def no_database(*args, **kwargs):
        raise AssertionError("the parse step opened a database")

    monkeypatch.setattr(duckdb, "connect", no_database)
    notes: list[str] = []
    parsed = sources.source_named(name).parse(grids, files[file].name, notes)
    frames = [v for v in vars(parsed).values() if isinstance(v, pl.DataFrame)]
    assert frames and any(f.height for f in frames), parsed
    assert all("_rid" in f.columns for f in frames if f.height)


def test_a_parse_step_finding_no_header_is_refused_with_the_registrys_words(files: dict[str, Path], tmp_path) -> None:
    with pytest.raises(NoHeaderFound):
        sources.source_named("legacy").parse(grids_of(files["none"]), "随便.xlsx", [])
    with open_database(tmp_path / "x.duckdb") as db:
        report = importer.import_file(db, files["none"], source="legacy")
    assert report.status == "refused" and all(s.needs in report.message for s in sources.REGISTRY)


# -- the shape of pipelines/ ----------------------------------------------------------------------


def _modules() -> dict[str, ast.Module]:
    out = {}
    for path in sorted(PIPELINES.rglob("*.py")):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        out[name] = ast.parse(path.read_text(encoding="utf-8"))
    return out


def _imported(name: str, tree: ast.Module, known: set[str]) -> set[str]:
    """The first-party pipelines modules ``name`` imports at module level."""
    found = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pipelines"):
            submodules = {f"{node.module}.{a.name}" for a in node.names} & known
            # ``from package import submodule`` needs the submodule; anything else needs the module itself
            found |= submodules if len(submodules) == len(node.names) else {node.module, *submodules}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("pipelines")}
    return {m for m in found if m in known and m != name}


def test_pipelines_has_no_import_circles() -> None:
    modules = _modules()
    graph = {name: _imported(name, tree, set(modules)) for name, tree in modules.items()}
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                pytest.fail("import circle: " + " → ".join([*path[path.index(nxt) :], nxt]))
            if nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])


def test_pipelines_imports_no_first_party_module_inside_a_function() -> None:
    for name, tree in _modules().items():
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(fn):
                if isinstance(node, ast.ImportFrom):
                    targets = [node.module or ""]
                elif isinstance(node, ast.Import):
                    targets = [a.name for a in node.names]
                else:
                    continue
                assert not any(t.split(".")[0] in ("pipelines", "core", "schemas", "ui", "demo") for t in targets), (
                    name,
                    fn.name,
                    targets,
                )


def test_no_module_of_pipelines_uses_another_modules_private_names() -> None:
    modules = _modules()
    for name, tree in modules.items():
        aliases = {}
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pipelines"):
                private = [a.name for a in node.names if a.name.startswith("_")]
                assert not private, (name, node.module, private)
                aliases |= {a.asname or a.name: f"{node.module}.{a.name}" for a in node.names}
            elif isinstance(node, ast.Import):
                aliases |= {(a.asname or a.name): a.name for a in node.names if a.name.startswith("pipelines")}
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.attr.startswith("_"):
                target = aliases.get(node.value.id)
                assert not (target and target in modules), (name, f"{node.value.id}.{node.attr}")


def test_modules_and_functions_of_pipelines_stay_readable() -> None:
    for path in sorted(PIPELINES.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert text.count("\n") <= 500, path
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.end_lineno - node.lineno + 1 <= 80, (path.name, node.name)


def test_the_importer_holds_no_source_specific_code() -> None:
    text = (PIPELINES / "importer.py").read_text(encoding="utf-8")
    for s in sources.REGISTRY:
        assert f'"{s.name}"' not in text and s.label not in text, s.name
    imported = {n.module or "" for n in ast.parse(text).body if isinstance(n, ast.ImportFrom)}
    packages = {f"pipelines.{s.name}" for s in sources.REGISTRY}
    assert not {m for m in imported if any(m == p or m.startswith(p + ".") for p in packages)}
