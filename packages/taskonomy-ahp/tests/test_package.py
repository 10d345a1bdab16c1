"""The package's promises: numpy is its only import, and the README's examples run."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import taskonomy_ahp as ahp

README = Path(__file__).resolve().parents[1] / "README.md"


def test_import_pulls_in_nothing_but_numpy():
    code = (
        "import sys; before = set(sys.modules); import taskonomy_ahp; "
        "new = {m.split('.')[0] for m in set(sys.modules) - before}; "
        "print(sorted(new - set(sys.stdlib_module_names) - {'taskonomy_ahp'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['numpy']"


def test_public_names_are_exported_and_documented():
    for name in ahp.__all__:
        obj = getattr(ahp, name)
        if callable(obj) and not isinstance(obj, type):
            assert obj.__doc__ and ">>>" in obj.__doc__, f"{name} needs a runnable example"


def readme_blocks() -> list[str]:
    if not README.exists():
        return []
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)


@pytest.mark.parametrize("block", range(len(readme_blocks()) or 1))
def test_readme_examples_run(block):
    blocks = readme_blocks()
    if not blocks:
        pytest.skip("README.md is not next to the tests")
    exec(compile(blocks[block], f"README block {block}", "exec"), {})


@pytest.mark.parametrize(
    "module",
    [
        "_affinity",
        "_consistency",
        "_group",
        "_hierarchy",
        "_incomplete",
        "_matrix",
        "_priorities",
        "_tournament",
        "__init__",
    ],
)
def test_docstring_examples_run(module):
    import doctest
    import importlib

    name = "taskonomy_ahp" if module == "__init__" else f"taskonomy_ahp.{module}"
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
