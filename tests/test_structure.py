"""The layering of docs/architecture.md holds in the code: who imports what, no import circles, the access
policy in one place, no SQL in the screens, modules and functions of a size one can read."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "pipelines", "demo", "schemas", "ui", "pages")
MAX_MODULE_LINES = 520  # "about 500", data tables not counted
MAX_FUNCTION_LINES = 85  # "about 80"


def sources() -> Iterator[Path]:
    yield ROOT / "app.py"
    yield ROOT / "serve.py"
    for package in PACKAGES:
        yield from sorted((ROOT / package).glob("**/*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> set[str]:
    """Every module ``path`` imports, at the top or inside a function, resolved to dotted names."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def project_graph() -> dict[str, set[str]]:
    """Module -> the project modules it imports. A module's own package is left out: ``from pipelines
    import legacy`` inside ``pipelines/`` imports the sibling ``pipelines.legacy``, not a circle through
    the package's ``__init__``."""
    modules = {module_name(p): p for p in sources()}
    return {
        name: {m for m in imported(path) if m in modules and m != name and not name.startswith(m + ".")}
        for name, path in modules.items()
    }


def top(module: str) -> str:
    return module.split(".")[0]


def test_only_core_db_imports_duckdb() -> None:
    offenders = [module_name(p) for p in sources() if any(top(m) == "duckdb" for m in imported(p))]
    assert offenders == ["core.db"]


def test_only_the_app_pages_and_ui_import_streamlit() -> None:
    offenders = [
        module_name(p) for p in sources()
        if any(top(m) == "streamlit" for m in imported(p)) and top(module_name(p)) not in ("app", "serve", "pages", "ui")
    ]  # fmt: skip
    assert offenders == []


def test_the_domain_imports_no_ingestion_demo_or_ui() -> None:
    offenders = {
        name: sorted(m for m in deps if top(m) in ("pipelines", "demo", "ui", "pages", "app", "serve"))
        for name, deps in project_graph().items()
        if top(name) == "core"
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_there_are_no_import_circles() -> None:
    graph = project_graph()
    state: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                circles.append([*stack[stack.index(dep) :], dep])
            elif dep not in state:
                visit(dep)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert circles == []


def test_who_may_do_what_is_decided_only_in_the_policy() -> None:
    offenders = [
        f"{p.relative_to(ROOT)}:{n}"
        for p in sources()
        if p.relative_to(ROOT).as_posix() not in ("core/permissions.py", "core/auth.py")
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if ".has(" in line
    ]
    assert offenders == []


@pytest.mark.parametrize("package", ["pages", "ui"])
def test_the_screens_build_no_sql(package: str) -> None:
    words = ("SELECT ", "INSERT INTO", "UPDATE ", "DELETE FROM")
    offenders = [
        f"{p.relative_to(ROOT)}:{n}"
        for p in sorted((ROOT / package).glob("**/*.py"))
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if any(w in line for w in words)
    ]
    assert offenders == []


def data_lines(tree: ast.Module) -> int:
    """Lines of top-level constant tables (a name bound to a literal dict, list, tuple or a mapping proxy)."""
    total = 0
    for node in tree.body:
        value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
        if isinstance(value, ast.Call) and getattr(value.func, "id", "") == "MappingProxyType" and value.args:
            value = value.args[0]
        if isinstance(value, ast.Dict | ast.List | ast.Tuple | ast.Set):
            total += node.end_lineno - node.lineno + 1  # type: ignore[operator]
    return total


@pytest.mark.parametrize("package", ["core", "pipelines"])
def test_modules_and_functions_stay_readable(package: str) -> None:
    too_long: list[str] = []
    for path in sorted((ROOT / package).glob("**/*.py")):
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
        lines = text.count("\n") - data_lines(tree)
        if lines > MAX_MODULE_LINES:
            too_long.append(f"{path.relative_to(ROOT)}: {lines} lines")
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1  # type: ignore[operator]
                if length > MAX_FUNCTION_LINES:
                    too_long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}(): {length} lines")
    assert too_long == []


def test_no_screen_confirms_a_result_without_the_password() -> None:
    """core.signoff.confirm_reauthenticated skips the password: only the demo build may call it."""
    callers = [
        str(path.relative_to(ROOT))
        for folder in ("pages", "ui")
        for path in (ROOT / folder).rglob("*.py")
        if "confirm_reauthenticated" in path.read_text(encoding="utf-8")
    ]
    assert callers == []
    assert "confirm_reauthenticated" in (ROOT / "demo" / "signoff.py").read_text(encoding="utf-8")
