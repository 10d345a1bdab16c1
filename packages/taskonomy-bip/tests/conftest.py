"""Shared fixtures: the authors' released numbers (skipped when absent) and small problems."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


def released_dir() -> Path:
    return Path(os.environ.get("TASKONOMY_2018_DIR", REPO.parent / "shared" / "taskonomy-2018"))


@pytest.fixture(scope="session")
def released() -> Path:
    folder = released_dir()
    if not (folder / "json" / "all_affinities_16k.json").is_file():
        pytest.skip(f"released Taskonomy numbers not found in {folder} (set TASKONOMY_2018_DIR)")
    return folder
