"""`taskonomy ablate` (one-setting variants reusing the base's stages) and `taskonomy compare`."""

import csv

import numpy as np
import pytest

from taskonomy_tools import config
from taskonomy_tools.ablation import TREE_ONLY, ablate, parse_vary
from taskonomy_tools.analysis import TaskTree
from taskonomy_tools.cli import main
from taskonomy_tools.compare import agreement, branches
from taskonomy_tools.evaluation import TASK_GROUPS
from taskonomy_tools.rundir import read_json, recorded_seconds


def test_parse_vary_reads_toml_values():
    assert parse_vary("dataset.resolution=32,64") == ("dataset.resolution", [32, 64])
    assert parse_vary("train.lr=1e-3") == ("train.lr", [0.001])
    assert parse_vary('train.encoder="small"') == ("train.encoder", ["small"])
    assert parse_vary("train.encoder=small") == ("train.encoder", ["small"])
    assert parse_vary("seed=1,2") == ("seed", [1, 2])
    with pytest.raises(ValueError, match=r"write SECTION\.SETTING=V1,V2"):
        parse_vary("train.epochs")


@pytest.fixture(scope="module")
def ablated(tmp_path_factory):
    """The tiny profile and one variant that retrains only the readouts."""
    out = tmp_path_factory.mktemp("ablation")
    lines: list[str] = []
    results = ablate(config.profile("tiny"), [("transfer.epochs", [2])], out, log=lines.append)
    return out, results, lines


def test_a_variant_reuses_the_base_and_the_table_matches_each_run(ablated):
    tmp_path, results, lines = ablated
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
        tree = TaskTree(summary["tree"]["tasks"], np.asarray(summary["tree"]["linkage"]))
        assert float(row["rand_index"]) == round(tree.group_agreement(TASK_GROUPS), 3)
        assert int(row["transferred"]) == len(summary["gain_at_budget"]["gain"])
        assert int(row["above_band"]) == result.above_band <= result.budgets


def test_a_rerun_keeps_the_seconds_each_run_cost(ablated):
    tmp_path, results, lines = ablated
    base, variant = results
    assert base.seconds > 0
    # the variant reused the base's networks: their time counts in its cost, as in the base's
    trained = recorded_seconds(tmp_path / "base")["networks"]
    assert recorded_seconds(tmp_path / "transfer.epochs=2")["networks"] == trained > 0
    assert variant.seconds > trained
    again = ablate(config.profile("tiny"), [("transfer.epochs", [2])], tmp_path, log=lines.append)
    assert [r.seconds for r in again] == [base.seconds, variant.seconds]


def test_a_bad_variant_is_refused_before_any_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "base.toml").write_text('profile = "tiny"\n')
    argv = ["ablate", "base.toml", "--vary", "train.epochs=4,0", "--out", "abl"]
    assert main(argv) == 2
    assert "[train] epochs = 0: must be an integer >= 1" in capsys.readouterr().err
    assert not (tmp_path / "abl").exists()


def test_compare_counts_shared_branches_roots_and_sources(ablated, tmp_path, capsys):
    out, _, _ = ablated
    runs = [out / "base", out / "transfer.epochs=2"]
    same = agreement([runs[0], runs[0]], budget=2)
    assert same.branch_share == 1.0 and same.same_roots
    assert all(share == 1.0 for share in same.same_source.values())
    result = agreement(runs, budget=2)
    trees = []
    for run in runs:
        tree = read_json(run / "evaluation" / "evaluation.json")["tree"]
        trees.append(branches(TaskTree(tree["tasks"], np.asarray(tree["linkage"]))))
    a, b = trees
    assert result.branch_share == pytest.approx((len(a & b) / len(a) + len(a & b) / len(b)) / 2)
    assert result.common_branches == sorted(sorted(c) for c in a & b)
    rows = [
        next(
            r
            for r in read_json(run / "evaluation" / "evaluation.json")["sweep"]
            if r["budget"] == 2 and r["max_order"] == 1
        )
        for run in runs
    ]
    assert result.same_roots == (sorted(rows[0]["roots"]) == sorted(rows[1]["roots"]))
    for target, share in result.same_source.items():
        agree = rows[0]["choices"][target] == rows[1]["choices"][target]
        assert share == (1.0 if agree else 0.5)
    assert (
        main(["compare", *map(str, runs), "--budget", "2", "--json", str(tmp_path / "a.json")]) == 0
    )
    assert "Across 2 runs" in capsys.readouterr().out
    assert read_json(tmp_path / "a.json")["branch_share"] == pytest.approx(result.branch_share)


def test_compare_refuses_what_it_cannot_compare(ablated, tmp_path, capsys):
    out, _, _ = ablated
    assert main(["compare", str(out / "base")]) == 2
    assert main(["compare", str(out / "base"), str(tmp_path)]) == 2
    assert main(["compare", str(out / "base"), str(out / "base"), "--budget", "99"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert "compare needs at least two run folders" in err[0]
    assert "has no evaluation/evaluation.json: finish that run first" in err[1]
    assert "has no solved taxonomy at budget 99, order 1" in err[2]


def test_always_together_is_the_components_of_pairs_shared_in_every_run():
    from taskonomy_tools.seeds import always_together

    together = np.array(
        [[1, 1, 0, 0], [1, 1, 1, 0], [0, 1, 1, 0.5], [0, 0, 0.5, 1]], dtype=float
    )  # a-b and b-c always, c-d in half the runs
    assert always_together(together, ["a", "b", "c", "d"]) == [["a", "b", "c"]]
    assert always_together(np.eye(3), ["a", "b", "c"]) == []
