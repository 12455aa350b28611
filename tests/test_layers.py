"""The layer rules of pyproject.toml's [tool.importlinter] contracts, checked by the real
`lint-imports` (so every test run, CI's included, checks them), plus the one argv builder."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def lint_imports() -> str:
    found = Path(sys.executable).with_name("lint-imports")
    return str(found) if found.exists() else shutil.which("lint-imports") or "lint-imports"


def test_the_import_contracts_are_kept() -> None:
    done = subprocess.run(
        [lint_imports(), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "4 kept, 0 broken" in done.stdout


def test_no_module_over_400_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): lines
        for path in (ROOT / "src" / "lakehouse_tui").rglob("*.py")
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > 400
    }
    assert long == {}


def test_every_child_process_is_built_by_child_argv() -> None:
    """Nobody else spells `sys.executable, "-m"`: one function builds the child argv."""
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "src" / "lakehouse_tui").rglob("*.py")
        if '"-m"' in path.read_text(encoding="utf-8") and path.name != "argv.py"
    ]
    assert offenders == []
