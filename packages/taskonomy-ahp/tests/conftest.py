"""Shared fixtures: textbook examples, the released Taskonomy numbers, and the peer libraries."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[3]


def released_dir() -> Path:
    """The authors' released numbers (never copied into the project); skip when absent."""
    folder = Path(os.environ.get("TASKONOMY_2018_DIR", ROOT.parent / "shared" / "taskonomy-2018"))
    if not (folder / "json").is_dir():
        pytest.skip(f"released Taskonomy numbers not found at {folder}")
    return folder


@pytest.fixture(scope="session")
def released():
    """A loader of the released JSON dictionaries by name, e.g. released("all_affinities_16k")."""
    folder = released_dir()
    return lambda name: json.loads((folder / "json" / f"{name}.json").read_text())


@pytest.fixture(scope="session")
def textbook():
    """Saaty's textbook examples: name -> (names, matrix, the priorities Saaty printed)."""
    return TEXTBOOK


@pytest.fixture(scope="session")
def pydecision_ahp() -> ModuleType:
    """pyDecision's AHP module alone. Its package __init__ imports scikit-learn, openai and more,
    so its one numpy-only file is loaded directly (`pip install --no-deps pyDecision`)."""
    try:
        dist = importlib.metadata.distribution("pyDecision")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("pyDecision is not installed (pip install --no-deps pyDecision)")
    path = Path(str(dist.locate_file("pyDecision/algorithm/ahp.py")))
    spec = importlib.util.spec_from_file_location("pydecision_ahp", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def from_upper():
    """Build a comparison matrix from its upper triangle, row by row."""

    def build(upper: list[float]) -> np.ndarray:
        n = round((1 + np.sqrt(1 + 8 * len(upper))) / 2)
        a = np.ones((n, n))
        a[np.triu_indices(n, 1)] = upper
        lower = np.tril_indices(n, -1)
        a[lower] = 1.0 / a.T[lower]
        return a

    return build


# Saaty's textbook examples: (names, matrix, the priorities Saaty printed, to 3 decimals).
TEXTBOOK = {
    # Relative consumption of drinks in the US (Saaty 2008, Int. J. Services Sciences 1(1)).
    "drinks": (
        ["coffee", "wine", "tea", "beer", "sodas", "milk", "water"],
        [
            [1, 9, 5, 2, 1, 1, 1 / 2],
            [1 / 9, 1, 1 / 3, 1 / 9, 1 / 9, 1 / 9, 1 / 9],
            [1 / 5, 3, 1, 1 / 3, 1 / 4, 1 / 3, 1 / 9],
            [1 / 2, 9, 3, 1, 1 / 2, 1, 1 / 3],
            [1, 9, 4, 2, 1, 2, 1 / 2],
            [1, 9, 3, 1, 1 / 2, 1, 1 / 3],
            [2, 9, 9, 3, 2, 3, 1],
        ],
        [0.177, 0.019, 0.042, 0.116, 0.190, 0.129, 0.327],
    ),
    # Wealth of nations (Saaty & Khouja 1976; Saaty, The Analytic Hierarchy Process, 1980).
    "wealth": (
        ["US", "USSR", "China", "France", "UK", "Japan", "W. Germany"],
        [
            [1, 4, 9, 6, 6, 5, 5],
            [1 / 4, 1, 7, 5, 5, 3, 4],
            [1 / 9, 1 / 7, 1, 1 / 5, 1 / 5, 1 / 7, 1 / 5],
            [1 / 6, 1 / 5, 5, 1, 1, 1 / 3, 1 / 3],
            [1 / 6, 1 / 5, 5, 1, 1, 1 / 3, 1 / 3],
            [1 / 5, 1 / 3, 7, 3, 3, 1, 2],
            [1 / 5, 1 / 4, 5, 3, 3, 1 / 2, 1],
        ],
        [0.427, 0.230, 0.021, 0.052, 0.052, 0.123, 0.094],
    ),
    # Distances of cities from Philadelphia (Saaty, The Analytic Hierarchy Process, 1980).
    "philadelphia": (
        ["Cairo", "Tokyo", "Chicago", "San Francisco", "London", "Montreal"],
        [
            [1, 1 / 3, 8, 3, 3, 7],
            [3, 1, 9, 3, 3, 9],
            [1 / 8, 1 / 9, 1, 1 / 6, 1 / 5, 2],
            [1 / 3, 1 / 3, 6, 1, 1 / 3, 6],
            [1 / 3, 1 / 3, 5, 3, 1, 6],
            [1 / 7, 1 / 9, 1 / 2, 1 / 6, 1 / 6, 1],
        ],
        [0.263, 0.397, 0.033, 0.116, 0.164, 0.027],
    ),
}
