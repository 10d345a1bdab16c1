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
