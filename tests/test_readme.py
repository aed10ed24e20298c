"""The README keeps up with the code: set-up commands, every CLI option and every setting."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_two_setup_commands_exist() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("run", "test"):
        assert f"make {target}" in README
        assert re.search(rf"^{target}:", makefile, re.M), target
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "set -euo pipefail" in ci and "make test" in ci


@pytest.mark.parametrize(
    ("command", "usage"),
    [
        (["-m", "pipelines", "import", "--help"], "python -m pipelines import FILE..."),
        (["-m", "pipelines", "undo", "--help"], "python -m pipelines undo BATCH_ID"),
        (["-m", "demo", "--help"], "python -m demo [--db PATH]"),
        (["-m", "core.admin", "create-user", "--help"], "python -m core.admin create-user USERNAME"),
        (["-m", "core.admin", "reset-password", "--help"], "python -m core.admin reset-password USERNAME"),
        (["-m", "core.admin", "disable", "--help"], "python -m core.admin disable USERNAME"),
        (["-m", "core.admin", "verify-audit", "--help"], "python -m core.admin verify-audit"),
        (["-m", "core.admin", "rekey-audit", "--help"], "python -m core.admin rekey-audit"),
        (["-m", "core.admin", "backup", "--help"], "python -m core.admin backup DEST"),
        (["-m", "core.admin", "init-ca", "--help"], "python -m core.admin init-ca"),
        (["-m", "core.admin", "verify-signoffs", "--help"], "python -m core.admin verify-signoffs"),
    ],
)
def test_every_cli_option_is_documented(command: list[str], usage: str) -> None:
    help_text = subprocess.run(
        [sys.executable, *command], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert usage in README
    options = set(re.findall(r"(--[a-z][a-z-]+)", help_text)) - {"--help"}
    assert options, help_text
    missing = sorted(o for o in options if o not in README)
    assert not missing, missing


def test_every_setting_is_documented() -> None:
    read = set()
    for path in [*ROOT.glob("*.py"), *ROOT.glob("[!.]*/**/*.py")]:
        if ".venv" in path.parts or "tests" in path.parts:
            continue
        read |= set(
            re.findall(r"""environ(?:\.get\(|\[)\s*["'](JIXIAO_[A-Z0-9_]+)""", path.read_text(encoding="utf-8"))
        )
    assert "JIXIAO_DB" in read
    missing = sorted(name for name in read if f"`{name}`" not in README)
    assert not missing, missing
