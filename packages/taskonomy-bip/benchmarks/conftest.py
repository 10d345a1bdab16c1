"""Benchmark fixtures: the released 16k affinities (skipped when absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def released_16k() -> Path:
    folder = Path(os.environ.get("TASKONOMY_2018_DIR", REPO.parent / "shared" / "taskonomy-2018"))
    path = folder / "json" / "all_affinities_16k.json"
    if not path.is_file():
        pytest.skip(f"released Taskonomy numbers not found in {folder} (set TASKONOMY_2018_DIR)")
    return path
