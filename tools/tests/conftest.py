from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def released_dir() -> Path:
    """The authors' released numbers (../shared/taskonomy-2018), or skip."""
    path = Path(os.environ.get("TASKONOMY_2018_DIR", ROOT.parent / "shared" / "taskonomy-2018"))
    if not (path / "json" / "all_affinities_16k.json").exists():
        pytest.skip(f"released Taskonomy numbers not found at {path}")
    return path


@pytest.fixture(autouse=True)
def _task_registry_restored():
    """A run with [tasks.NAME] tables registers tasks process-wide; drop them after each test,
    so that other packages' tests (which list every registered task) do not see them."""
    from taskonomy_data import _registry

    tasks, aliases = dict(_registry.TASKS), dict(_registry._ALIASES)
    yield
    _registry.TASKS.clear()
    _registry.TASKS.update(tasks)
    _registry._ALIASES.clear()
    _registry._ALIASES.update(aliases)
