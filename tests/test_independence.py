"""The monorepo's boundaries: no package under packages/ imports another one."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = sorted(p for p in (ROOT / "packages").iterdir() if (p / "pyproject.toml").exists())
IMPORT_NAMES = {p.name.replace("-", "_") for p in PACKAGES}


def imported_top_level_names(path: Path) -> set[str]:
    """Top-level module names a Python file imports (absolute imports only)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_every_member_is_found() -> None:
    assert {"taskonomy_ahp", "taskonomy_bip", "taskonomy_data", "taskonomy_models"} == IMPORT_NAMES


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.name)
def test_package_imports_no_other_package(package: Path) -> None:
    own = package.name.replace("-", "_")
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in sorted(package.rglob("*.py"))
        for name in imported_top_level_names(path)
        if name in IMPORT_NAMES - {own} or name == "taskonomy_tools"
    ]
    assert not offenders, "packages must not import each other:\n" + "\n".join(offenders)


def test_checker_sees_a_cross_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("import os\nfrom taskonomy_bip.model import solve\nfrom . import sibling\n")
    assert imported_top_level_names(module) == {"os", "taskonomy_bip"}
