from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from taskonomy_tools.rundir import RunDir, atomic_path, read_arrays, write_arrays


def test_stage_is_skipped_until_its_settings_or_upstream_change(tmp_path: Path) -> None:
    run, calls = RunDir(tmp_path), []

    def body(stage):
        calls.append(stage.name)
        (stage.path / "out.txt").write_text("x")
        return {"n": 1}

    a = run.run_stage("a", {"k": 1}, (), body, log=lambda _: None)
    b = run.run_stage("b", {}, (a,), body, log=lambda _: None)
    assert calls == ["a", "b"]
    run.run_stage("a", {"k": 1}, (), body, log=lambda _: None)
    run.run_stage("b", {}, (a,), body, log=lambda _: None)
    assert calls == ["a", "b"]
    a2 = run.run_stage("a", {"k": 2}, (), body, log=lambda _: None)
    assert a2.digest != a.digest
    b2 = run.run_stage("b", {}, (a2,), body, log=lambda _: None)
    assert calls == ["a", "b", "a", "b"] and b2.digest != b.digest


def test_unfinished_stage_keeps_its_jobs_but_other_settings_wipe_them(tmp_path: Path) -> None:
    run = RunDir(tmp_path)
    stage = run.stage("s", {"k": 1})
    stage.prepare()
    (stage.path / "job1.npz").write_text("done")
    run.stage("s", {"k": 1}).prepare()
    assert (stage.path / "job1.npz").exists()
    run.stage("s", {"k": 2}).prepare()
    assert not (stage.path / "job1.npz").exists()


def test_atomic_path_leaves_nothing_when_the_write_fails(tmp_path: Path) -> None:
    target = tmp_path / "result.npz"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []
    write_arrays(target, x=np.arange(3))
    assert read_arrays(target)["x"].tolist() == [0, 1, 2]
