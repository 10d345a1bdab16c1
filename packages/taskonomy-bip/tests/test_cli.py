"""The command line: tables, JSON, sweeps, and one line on stderr for every user error."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from taskonomy_bip import demo_problem, solve
from taskonomy_bip._glpk import glpsol_command
from taskonomy_bip._released import DEMO_AFFINITIES
from taskonomy_bip.cli import main

DEMO = [
    "--target-only",
    "rgb2depth",
    "class_1000",
    "--source-only",
    "jigsaw",
    "--transform",
    "identity",
]


@pytest.fixture
def demo_file(tmp_path: Path) -> Path:
    path = tmp_path / "demo.json"
    path.write_text(json.dumps(DEMO_AFFINITIES))
    return path


def test_solve_prints_a_table(demo_file: Path, capsys: pytest.CaptureFixture) -> None:
    code = main(
        ["solve", "--affinities", str(demo_file), "--budget", "2", "--max-order", "2", *DEMO]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "roots (2): autoencoder, rgb2sfnorm" in out
    assert "rgb2sfnorm + autoencoder" in out and "status optimal" in out


def test_solve_json_matches_the_library(
    demo_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    dot, saved = tmp_path / "t.dot", tmp_path / "out" / "t.json"
    code = main(
        [
            "solve",
            "--affinities",
            str(demo_file),
            "--budget",
            "2",
            "--max-order",
            "2",
            "--json",
            "--dot",
            str(dot),
            "--output",
            str(saved),
            *DEMO,
        ]
    )
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    expected = solve(demo_problem(), 2, 2)
    assert data["status"] == "optimal" and data["objective"] == pytest.approx(expected.objective)
    assert data["roots"] == list(expected.roots)
    assert data["transfers"]["class_1000"] == ["autoencoder"]
    assert "dominated" in data["preprocessing"]
    assert json.loads(saved.read_text())["roots"] == data["roots"]
    assert dot.read_text().startswith("digraph")


def test_importance_changes_the_answer(demo_file: Path, capsys: pytest.CaptureFixture) -> None:
    main(
        [
            "solve",
            "--affinities",
            str(demo_file),
            "--budget",
            "2",
            "--max-order",
            "1",
            "--json",
            "--importance",
            "class_1000=10",
            "autoencoder=0",
            *DEMO,
        ]
    )
    data = json.loads(capsys.readouterr().out)
    assert data["values"]["class_1000"] == pytest.approx(4.0)


def test_sweep(demo_file: Path, capsys: pytest.CaptureFixture) -> None:
    code = main(
        [
            "sweep",
            "--affinities",
            str(demo_file),
            "--budgets",
            "2",
            "3",
            "--max-orders",
            "1",
            "2",
            "--json",
            *DEMO,
        ]
    )
    rows = json.loads(capsys.readouterr().out)["solutions"]
    assert code == 0 and [(r["budget"], r["max_order"]) for r in rows] == [
        (2, 1),
        (2, 2),
        (3, 1),
        (3, 2),
    ]


def test_infeasible_exits_non_zero(demo_file: Path, capsys: pytest.CaptureFixture) -> None:
    code = main(["solve", "--affinities", str(demo_file), "--budget", "1", *DEMO])
    captured = capsys.readouterr()
    assert code == 2 and "status infeasible" in captured.out
    assert captured.err.count("\n") == 1 and "infeasible" in captured.err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--targets", "zebra"], "unknown task(s) in targets: zebra"),
        (["--importance", "rgb2depth"], "write TASK=NUMBER"),
        (["--cost", "jigsaw=-1"], "costs must be finite and >= 0"),
        (["--budget", "-3"], "budget must be"),
    ],
)
def test_bad_input_is_one_line(
    demo_file: Path, capsys: pytest.CaptureFixture, extra: list[str], message: str
) -> None:
    code = main(["solve", "--affinities", str(demo_file), *DEMO, *extra])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and message in err and "Traceback" not in err


def test_bad_files(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    evil = tmp_path / "evil.pkl"
    evil.write_bytes(pickle.dumps({"a__b": print}))
    nan = tmp_path / "nan.json"
    nan.write_text('{"self__b": 0.5, "a__b": NaN}')
    for path, message in [
        (tmp_path / "none.json", "cannot read"),
        (evil, "refusing builtins"),
        (nan, "is nan"),
    ]:
        assert main(["solve", "--affinities", str(path)]) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err


def test_transfer_into_a_source_only_task_is_reported(tmp_path: Path, capsys) -> None:
    path = tmp_path / "a.json"
    path.write_text(json.dumps({"self__a": 0.5, "a__b": 0.3, "self__b": 0.4}))
    assert main(["solve", "--affinities", str(path), "--targets", "b", "--source-only", "b"]) == 1
    assert "both as targets and as source-only" in capsys.readouterr().err


def test_missing_glpsol(demo_file: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("TASKONOMY_GLPSOL", "/nonexistent/glpsol")
    glpsol_command.cache_clear()
    try:
        assert main(["solve", "--affinities", str(demo_file), "--budget", "2", *DEMO]) == 1
    finally:
        glpsol_command.cache_clear()
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "TASKONOMY_GLPSOL=/nonexistent/glpsol is not a program" in err


def test_help_for_each_command(capsys: pytest.CaptureFixture) -> None:
    for command in ("solve", "sweep"):
        with pytest.raises(SystemExit) as done:
            main([command, "--help"])
        assert done.value.code == 0
        assert "--affinities" in capsys.readouterr().out


@pytest.mark.parametrize("mask", [0o022, 0o002])
def test_written_files_get_the_umask_mode(demo_file: Path, tmp_path: Path, mask: int) -> None:
    import os

    dot, saved = tmp_path / "t.dot", tmp_path / "t.json"
    old = os.umask(mask)
    try:
        args = ["solve", "--affinities", str(demo_file), "--budget", "2", *DEMO]
        assert main([*args, "--dot", str(dot), "--output", str(saved)]) == 0
    finally:
        os.umask(old)
    for path in (dot, saved):
        assert path.stat().st_mode & 0o777 == 0o666 & ~mask, path.name
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.json", "t.dot", "t.json"]
