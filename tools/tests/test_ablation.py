"""`taskonomy ablate`: a base run and one-setting variants that reuse the base's stages."""

import csv

import pytest

from taskonomy_tools import config
from taskonomy_tools.ablation import TREE_ONLY, ablate, parse_vary
from taskonomy_tools.cli import main
from taskonomy_tools.rundir import read_json


def test_parse_vary_reads_toml_values():
    assert parse_vary("dataset.resolution=32,64") == ("dataset.resolution", [32, 64])
    assert parse_vary("train.lr=1e-3") == ("train.lr", [0.001])
    assert parse_vary('train.encoder="small"') == ("train.encoder", ["small"])
    assert parse_vary("train.encoder=small") == ("train.encoder", ["small"])
    assert parse_vary("seed=1,2") == ("seed", [1, 2])
    with pytest.raises(ValueError, match=r"write SECTION\.SETTING=V1,V2"):
        parse_vary("train.epochs")


def test_a_variant_reuses_the_base_and_the_table_matches_each_run(tmp_path):
    lines: list[str] = []
    base = config.profile("tiny")
    results = ablate(base, [("transfer.epochs", [2])], tmp_path, log=lines.append)
    assert [r.variant for r in results] == ["base", "transfer.epochs=2"]
    variant_log = lines[lines.index("[ablation] transfer.epochs=2") :]
    assert "[networks] up to date, skipped" in variant_log
    assert "[readouts] running" in variant_log
    resolved = read_json(tmp_path / "transfer.epochs=2" / "config.resolved.json")
    assert resolved["transfer"]["epochs"] == 2
    assert resolved["transfer"]["max_order"] == TREE_ONLY["transfer"]["max_order"]
    with (tmp_path / "ablation.csv").open() as f:
        rows = list(csv.DictReader(f))
    for row, result in zip(rows, results, strict=True):
        summary = read_json(tmp_path / row["variant"] / "evaluation" / "evaluation.json")
        mixed = summary["tree"]["mixed"]
        assert int(row["intruders"]) == sum(len(v) for v in mixed.values())
        assert int(row["transferred"]) == len(summary["gain_at_budget"]["gain"])
        assert int(row["above_band"]) == result.above_band <= result.budgets


def test_a_bad_variant_is_refused_before_any_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "base.toml").write_text('profile = "tiny"\n')
    argv = ["ablate", "base.toml", "--vary", "train.epochs=4,0", "--out", "abl"]
    assert main(argv) == 2
    assert "[train] epochs = 0: must be an integer >= 1" in capsys.readouterr().err
    assert not (tmp_path / "abl").exists()
