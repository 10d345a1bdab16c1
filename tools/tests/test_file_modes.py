"""Files renamed into place get the mode the user's umask gives, not mkstemp's 0600."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from taskonomy_tools.rundir import atomic_path, umask_file_mode, write_arrays, write_json

MASKS = (0o022, 0o002, 0o077)


@pytest.fixture(params=MASKS, ids=[f"umask{m:03o}" for m in MASKS])
def umask(request) -> Iterator[int]:
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_umask_file_mode_follows_the_umask(umask: int) -> None:
    assert umask_file_mode() == 0o666 & ~umask


def test_atomic_writes_get_the_umask_mode(tmp_path: Path, umask: int) -> None:
    write_json(tmp_path / "a.json", {"x": 1})
    write_arrays(tmp_path / "b.npz", x=np.zeros(2))
    with atomic_path(tmp_path / "c.txt") as tmp:
        tmp.write_text("c")
    for name in ("a.json", "b.npz", "c.txt"):
        assert _mode(tmp_path / name) == 0o666 & ~umask, name


def test_plots_get_the_umask_mode(tmp_path: Path, umask: int) -> None:
    from taskonomy_tools import plots

    fig = plots.plt.figure()
    plots.save(fig, tmp_path / "f.png")
    assert _mode(tmp_path / "f.png") == 0o666 & ~umask
