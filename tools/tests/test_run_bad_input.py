"""`taskonomy run` and `taskonomy demo` on bad configurations: one line, exit 2, nothing written.

Each row here is a row of the bad-input table in tools/README.md.
"""

from pathlib import Path

import pytest

from taskonomy_tools.cli import main

TINY = 'profile = "tiny"\n'

BAD_CONFIGS = [
    ("[transfer]\nbogus = 1\n", "unknown setting transfer.bogus; known: ["),
    ("[data]\nbuildings = 3\n", "unknown configuration section or key 'data'"),
    ("[transfer\n", "is not valid TOML: Expected ']'"),
    ('profile = "huge"\n', "unknown profile 'huge'; choose one of ['demo', 'full', 'tiny']"),
    ('[taxonomy]\nbootstrap = "many"\n', "taxonomy.bootstrap must be an integer, not 'many'"),
    ("[taxonomy]\nbootstrap = nan\n", "taxonomy.bootstrap must be an integer, not nan"),
    ("[taxonomy]\nbootstrap = 1\n", "bootstrap must be 0 (no error bars) or >= 2"),
    ("[dataset]\nbuildings = -3\n", "[dataset] buildings = -3: must be an integer >= 1"),
    ("[dataset]\nbuildings = 2\n", "the generator needs at least 3, one for each"),
    ("[dataset]\nresolution = 8\n", "[dataset] resolution = 8: the generator draws 32 to 256"),
    ("[dataset]\nresolution = 1e9\n", "dataset.resolution must be an integer, not 1000000000.0"),
    ('[dataset]\nkind = "ingest"\n', '[dataset] kind = "ingest" needs source ='),
    ('[dataset]\nkind = "s3"\n', "[dataset] kind = 's3': use one of synthetic, ingest, store"),
    ("[train]\nepochs = 0\n", "[train] epochs = 0: must be an integer >= 1"),
    ("[train]\nlr = -1.0\n", "[train] lr = -1.0: must be a finite number > 0"),
    ("[transfer]\nlr = nan\n", "[transfer] lr = nan: must be a finite number > 0"),
    ("[taxonomy]\ntime_limit = inf\n", "[taxonomy] time_limit = inf: must be a finite number"),
    ("[taxonomy]\norders = [0]\n", "[taxonomy] orders = [0]: give whole numbers >= 1"),
    ("[taxonomy]\nseeds = [0, 1]\n", "seeds = [0, 1] holds the run's own seed (0)"),
    ("[taxonomy]\nseeds = [1, 1]\n", "seeds = [1, 1]: give distinct whole numbers >= 0"),
    ("[taxonomy]\nseeds = [2]\norders = [2]\n", "seeds compares first-order taxonomies: add 1"),
    ('[taxonomy]\ntransform = "cube"\n', "transform = 'cube': use one of identity, sqrt"),
    ("[transfer]\nprune_top_k = -1\n", "[transfer] prune_top_k = -1: must be an integer >= 0"),
    ('[estimates]\nprune_by = "leep"\n', "prune_by = 'leep' must be one of [estimates] methods"),
    ("[compute]\nworkers = 0\n", "[compute] workers = 0: must be an integer >= 1"),
    ('[compute]\nscheduler = "mpi"\n', "[compute] scheduler = 'mpi': use 'serial', 'local' or"),
    ('[tasks]\ntargets = ["zebra"]\n', "unknown task 'zebra' in [tasks]"),
    ("[tasks]\nsources = []\n", "[tasks] sources is empty"),
]


def _run(tmp_path: Path, monkeypatch, capsys, argv: list[str]) -> str:
    monkeypatch.chdir(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written
    return err[0]


@pytest.mark.parametrize(("text", "message"), BAD_CONFIGS)
def test_a_bad_configuration_is_one_line_and_writes_nothing(
    tmp_path, monkeypatch, capsys, text, message
):
    config = tmp_path / "run.toml"
    config.write_text(("" if text.startswith("profile") else TINY) + text)
    line = _run(tmp_path, monkeypatch, capsys, ["run", "run.toml"])
    assert line.startswith("taskonomy run: error: ")
    assert message in line


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: None, "configuration file run.toml does not exist"),
        (lambda p: p.mkdir(), "cannot read run.toml: Is a directory; give a TOML file"),
        (lambda p: p.write_bytes(b"\xff\xfe[train]"), "run.toml is not UTF-8 text"),
    ],
)
def test_an_unreadable_configuration_file(tmp_path, monkeypatch, capsys, make, message):
    make(tmp_path / "run.toml")
    line = _run(tmp_path, monkeypatch, capsys, ["run", "run.toml"])
    assert message in line


def test_a_run_folder_under_a_file_and_bad_command_line_options(tmp_path, monkeypatch, capsys):
    (tmp_path / "run.toml").write_text(TINY)
    (tmp_path / "afile").write_text("")
    line = _run(tmp_path, monkeypatch, capsys, ["run", "run.toml", "--out", "afile/x"])
    assert "--out afile/x: afile is a file; give a folder for the run" in line
    line = _run(tmp_path, monkeypatch, capsys, ["run", "run.toml", "--workers", "0"])
    assert "[compute] workers = 0: must be an integer >= 1" in line
    line = _run(tmp_path, monkeypatch, capsys, ["demo", "--profile", "huge"])
    assert line.startswith("taskonomy demo: error: unknown profile 'huge'")
