"""Every bad input to ``taskonomy analyze`` and ``taskonomy serve``: one line on stderr, exit 2,
no traceback, no report folder, and no code from a pickle ever run.

Each row of "Bad input: what each entry point answers" in tools/README.md for these two commands
is one case here.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import subprocess
import sys
from pathlib import Path

import pytest

from taskonomy_tools.cli import main
from taskonomy_tools.released import analyze_released

GOOD = {"self__a": 0.8, "b__a": 0.5, "self__b": 0.9, "a__b": 0.3}
THREE = ["--affinities", "{good}", "--gain", "{good}", "--quality", "{good}"]


class _RunsCode:
    """A pickle whose loading calls ``func(*args)``."""

    def __init__(self, func: object, *args: object) -> None:
        self.func, self.args = func, args

    def __reduce__(self) -> tuple:
        return self.func, self.args


def _evil(marker: Path) -> bytes:
    """A released-looking pickle that creates ``marker`` when a plain unpickler loads it."""
    return pickle.dumps({"self__b": 0.5, "a__b": _RunsCode(os.system, f"touch '{marker}'")})


def _one_line(capsys: pytest.CaptureFixture) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and "usage:" not in err, err
    return err


def _exit_code(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as done:
        return int(done.code or 0)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """A good affinity file, used for all three of --affinities, --gain and --quality."""
    good = tmp_path / "good.json"
    good.write_text(json.dumps(GOOD))
    return {"affinities": good, "gain": good, "quality": good}


@pytest.fixture(autouse=True)
def _never_serve(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bad `serve` input must fail before the server starts; a started server is a failure."""

    def started(*args: object, **kwargs: object) -> None:
        raise AssertionError("uvicorn.run was reached")

    monkeypatch.setattr("uvicorn.run", started)


def test_the_payload_is_live(tmp_path: Path) -> None:
    pickle.loads(_evil(tmp_path / "m"))
    assert (tmp_path / "m").exists()


@pytest.mark.parametrize("which", ["affinities", "gain", "quality"])
def test_a_malicious_pickle_runs_nothing_in_analyze(
    tmp_path: Path, files: dict[str, Path], capsys: pytest.CaptureFixture, which: str
) -> None:
    marker, evil, out = tmp_path / "marker", tmp_path / "evil.pkl", tmp_path / "out"
    evil.write_bytes(_evil(marker))
    given = files | {which: evil}
    argv = ["analyze", "--out", str(out)]
    for name, path in given.items():
        argv += [f"--{name}", str(path)]
    assert main(argv) == 2
    assert re.search(r"refusing (posix|os)\.system", _one_line(capsys))
    with pytest.raises(ValueError, match="refusing"):
        analyze_released(**given, out=out)
    assert not marker.exists() and not out.exists()


@pytest.mark.parametrize("which", ["all_affinities", "wins_vs_pixels", "wins_vs_task"])
def test_a_malicious_pickle_in_a_released_folder_runs_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture, which: str
) -> None:
    """The authors' `results/` layout (pickles only): each of the three files is loaded safely."""
    marker, folder, out = tmp_path / "marker", tmp_path / "released", tmp_path / "out"
    for sub, name in [
        ("affinities", "all_affinities"),
        ("winrates", "wins_vs_pixels"),
        ("winrates", "wins_vs_task"),
    ]:
        path = folder / "results" / sub / f"{name}_16k.pkl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(_evil(marker) if name == which else pickle.dumps(GOOD))
    assert main(["analyze", "--released", str(folder), "--out", str(out)]) == 2
    assert "refusing" in _one_line(capsys)
    assert not marker.exists() and not out.exists()


def test_a_malicious_pickle_runs_nothing_in_serve(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    marker = tmp_path / "marker"
    evil = tmp_path / "evil.pkl"
    evil.write_bytes(_evil(marker))
    folder = tmp_path / "released" / "results" / "affinities"
    folder.mkdir(parents=True)
    (folder / "all_affinities_16k.pkl").write_bytes(_evil(marker))
    for given in (evil, tmp_path / "released"):
        assert main(["serve", "--affinities", str(given)]) == 2
        assert "refusing" in _one_line(capsys)
    assert not marker.exists()


def test_released_pickles_still_load_in_serve(released_dir: Path) -> None:
    from taskonomy_tools.serve import create_app

    pytest.importorskip("starlette")
    create_app(affinities=released_dir / "results" / "affinities" / "all_affinities_16k.pkl")
    create_app(affinities=released_dir / "json" / "all_affinities_16k.json")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"self__a": 0.8, "b__a": 0.5', "is not an affinity file"),
        (b"", "is not an affinity file"),
        (b"\x80\x04\x95", "is not an affinity file"),  # a truncated pickle
        (b'{"self__a": 0.8, "b__a": NaN}', "is nan"),
        (b'{"self__a": 0.8, "b__a": -0.5}', "are >= 0"),
        (b'{"self__a": 0.8, "b__a": "high"}', "is not a number"),
        (b"[" * 100_000, "is not an affinity file"),
    ],
)
@pytest.mark.parametrize("which", ["affinities", "gain", "quality"])
def test_bad_files_in_analyze(
    tmp_path: Path,
    files: dict[str, Path],
    capsys: pytest.CaptureFixture,
    content: bytes,
    message: str,
    which: str,
) -> None:
    bad, out = tmp_path / "bad.json", tmp_path / "out"
    bad.write_bytes(content)
    argv = ["analyze", "--out", str(out)]
    for name, path in (files | {which: bad}).items():
        argv += [f"--{name}", str(path)]
    assert main(argv) == 2
    assert message in _one_line(capsys)
    assert not out.exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([], "give --released FOLDER, or all of --affinities, --gain and --quality"),
        (["--released", "{tmp}"], "holds neither json/all_affinities_16k.json"),
        (["--released", "{good}"], "holds neither json/all_affinities_16k.json"),
        (["--released", "{released}", "--variant", "2k"], "unknown variant '2k'"),
        (
            ["--affinities", "{tmp}/none.json", "--gain", "{good}", "--quality", "{good}"],
            "cannot read",
        ),
        (
            ["--affinities", "{good}", "--gain", "{tmp}", "--quality", "{good}"],
            "Is a directory; check the path",
        ),
        (
            [
                "--affinities",
                "{good}",
                "--gain",
                "{good}",
                "--quality",
                "{good}",
                "--out",
                "{good}",
            ],
            "is a file: give a folder",
        ),
        (["--transform", "cube"], "invalid choice: 'cube'"),
        ([*THREE, "--out", "{good}/report"], "cannot create --out"),
    ],
)
def test_bad_options_in_analyze(
    tmp_path: Path,
    files: dict[str, Path],
    released_dir: Path,
    capsys: pytest.CaptureFixture,
    extra: list[str],
    message: str,
) -> None:
    names = {"tmp": tmp_path, "good": files["affinities"], "released": released_dir}
    argv = ["analyze", *[e.format(**names) for e in extra]]
    if "--out" not in argv:
        argv += ["--out", str(tmp_path / "out")]
    assert _exit_code(argv) == 2
    assert message in _one_line(capsys)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--affinities", "{tmp}/none.json"], "cannot read"),
        (["--affinities", "{bad}"], "is not an affinity file"),
        (["--affinities", "{tmp}"], "no affinity file in"),
        (["--affinities", "{good}", "--run", "{tmp}"], "no single-image task network"),
        (["--affinities", "{good}", "--port", "99999"], "'99999' is not a port"),
        (["--affinities", "{good}", "--port", "http"], "'http' is not a port"),
    ],
)
def test_bad_options_in_serve(
    tmp_path: Path,
    files: dict[str, Path],
    capsys: pytest.CaptureFixture,
    extra: list[str],
    message: str,
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"a__b": ')
    names = {"tmp": tmp_path, "good": files["affinities"], "bad": bad}
    assert _exit_code(["serve", *[e.format(**names) for e in extra]]) == 2
    assert message in _one_line(capsys)


def test_unknown_command_is_one_line(capsys: pytest.CaptureFixture) -> None:
    assert _exit_code(["analyse"]) == 2
    assert "invalid choice: 'analyse'" in _one_line(capsys)


@pytest.mark.parametrize("command", ["analyze", "serve"])
def test_missing_glpsol_is_one_line_before_anything_is_written(
    tmp_path: Path, files: dict[str, Path], command: str
) -> None:
    """A fresh process (the solver lookup is cached per process) with no usable glpsol."""
    good = str(files["affinities"])
    out = tmp_path / "out"
    args = {
        "analyze": ["--affinities", good, "--gain", good, "--quality", good, "--out", str(out)],
        "serve": ["--affinities", good, "--port", "0"],
    }[command]
    env = dict(os.environ, TASKONOMY_GLPSOL=str(tmp_path / "no-glpsol"))
    done = subprocess.run(
        [sys.executable, "-m", "taskonomy_tools.cli", command, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "the taxonomy solver cannot run" in done.stderr and "TASKONOMY_GLPSOL" in done.stderr
    assert not out.exists()


def test_a_port_in_use_is_one_line(files: dict[str, Path]) -> None:
    """uvicorn's own answer, in a fresh process (this one has `uvicorn.run` patched away)."""
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        args = ["serve", "--port", port, "--affinities", str(files["affinities"])]
        done = subprocess.run(
            [sys.executable, "-m", "taskonomy_tools.cli", *args],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode != 0 and done.stderr.count("\n") == 1, done.stderr
    assert "address already in use" in done.stderr and "Traceback" not in done.stderr
