"""End to end at tiny size: every stage runs, reruns skip, a killed run resumes to the same
outputs, and a 2-worker Dask cluster gives the same affinities as a serial run."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from taskonomy_data import open_store
from taskonomy_tools import config
from taskonomy_tools.jobs import read_losses, read_test_buildings
from taskonomy_tools.pipeline import run_pipeline
from taskonomy_tools.taskdata import covered_tuples, subset

TINY = config.profile("tiny")
FINAL = (
    "affinities/affinities.json",
    "affinities/wins_vs_pixels.json",
    "evaluation/taxonomy_sweep.csv",
)


@pytest.fixture(scope="module")
def serial_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("serial")
    start = time.perf_counter()
    report = run_pipeline(TINY, out, log=lambda m: None)
    elapsed = time.perf_counter() - start
    print(f"tiny serial run: {elapsed:.1f} s")
    assert report == out / "report" / "index.html"
    return out


def test_every_stage_writes_its_outputs(serial_run):
    for stage in (
        "dataset",
        "networks",
        "representations",
        "readouts",
        "beam",
        "affinities",
        "bootstrap",
        "evaluation",
        "predictions",
    ):
        assert (serial_run / stage / "_done.json").exists(), stage
    html = (serial_run / "report" / "index.html").read_text()
    for figure in (
        "affinities.png",
        "before_ahp.png",
        "task_tree.png",
        "gain_curve.png",
        "significance.png",
        "samples.png",
        "transfers.png",
        "novel_task.png",
        "affinity_intervals.png",
    ):
        assert figure in html
        assert (serial_run / "report" / figure).stat().st_size > 1000


def test_affinities_are_a_distribution_per_target(serial_run):
    affinities = json.loads((serial_run / "affinities" / "affinities.json").read_text())
    by_target: dict[str, float] = {}
    for key, value in affinities.items():
        by_target[key.rsplit("__", 1)[-1]] = by_target.get(key.rsplit("__", 1)[-1], 0) + value
    assert sorted(by_target) == sorted(TINY.tasks.targets)
    assert all(math.isclose(total, 1.0, rel_tol=1e-9) for total in by_target.values())
    # higher-order readouts from the beam took part in the tournaments
    assert any(key.count("__") == 2 for key in affinities)


def test_multi_view_tasks_are_trained_and_solved_on_their_view_tuples(serial_run):
    store = open_store(str(serial_run / "dataset" / "store.zarr"))
    test_views = subset(store.samples("test"), TINY.transfer.test_samples)
    for target in ("fix_pose", "point_match"):
        losses = read_losses(str(serial_run / "readouts" / "losses.zarr"), target)
        tuples = covered_tuples(store, "test", target, test_views, TINY.transfer.test_samples)
        assert all(len(v) == len(tuples) for v in losses.values())  # one loss per view tuple
        assert f"pixels__{target}" in losses and "rgb2depth__" + target in losses
    # fix_pose has a network of its own: a 'self' competitor, and a source for other targets
    assert "self__fix_pose" in read_losses(str(serial_run / "readouts" / "losses.zarr"), "fix_pose")
    assert "fix_pose__rgb2depth" in read_losses(
        str(serial_run / "readouts" / "losses.zarr"), "rgb2depth"
    )
    # point_match has none: its Quality is undefined, and the report says so
    html = (serial_run / "report" / "index.html").read_text()
    assert "point_match have none" in html


def test_a_rerun_skips_every_stage(serial_run):
    messages: list[str] = []
    start = time.perf_counter()
    run_pipeline(TINY, serial_run, log=messages.append)
    assert time.perf_counter() - start < 30
    skipped = [m for m in messages if m.endswith("up to date, skipped")]
    stages = [p for p in serial_run.iterdir() if (p / "_done.json").exists()]
    assert len(skipped) == len(stages) >= 12, messages  # every stage, pruning and bootstrap too


def test_changing_a_setting_reruns_only_downstream_stages(serial_run, tmp_path):
    import shutil

    copy = tmp_path / "run"
    shutil.copytree(serial_run, copy)
    networks_before = (copy / "networks" / "_done.json").stat().st_mtime_ns
    changed = config.build({"taxonomy": {"random_taxonomies": 10}}, TINY)
    run_pipeline(changed, copy, log=lambda m: None)
    assert (copy / "networks" / "_done.json").stat().st_mtime_ns == networks_before
    evaluation = json.loads((copy / "evaluation" / "_done.json").read_text())
    assert (
        evaluation["digest"]
        != json.loads((serial_run / "evaluation" / "_done.json").read_text())["digest"]
    )


def test_a_run_of_an_older_output_format_redoes_the_changed_stages(
    serial_run, tmp_path, monkeypatch
):
    import shutil

    from taskonomy_tools import pipeline

    copy = tmp_path / "run"
    shutil.copytree(serial_run, copy)
    before = {s: (copy / s / "_done.json").stat().st_mtime_ns for s in ("networks", "readouts")}
    monkeypatch.setitem(pipeline.OUTPUT_VERSIONS, "evaluation", 99)
    run_pipeline(TINY, copy, log=lambda m: None)
    after = {s: (copy / s / "_done.json").stat().st_mtime_ns for s in ("networks", "readouts")}
    assert after == before  # upstream stages kept
    redone = json.loads((copy / "evaluation" / "_done.json").read_text())["digest"]
    assert redone != json.loads((serial_run / "evaluation" / "_done.json").read_text())["digest"]
    assert (copy / "report" / "transfers.png").exists()


def _outputs(run: Path) -> dict[str, str]:
    return {name: (run / name).read_text() for name in FINAL}


def test_kill_and_resume_gives_identical_outputs(serial_run, tmp_path):
    cfg_file = tmp_path / "tiny.toml"
    cfg_file.write_text('profile = "tiny"\n')
    out = tmp_path / "killed"
    command = [sys.executable, "-m", "taskonomy_tools.cli", "run", str(cfg_file), "--out", str(out)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Kill -9 in the middle of Step II, once some readouts are written and others are not.
    deadline = time.time() + 240
    while time.time() < deadline and not (out / "readouts" / "losses.zarr").exists():
        time.sleep(0.2)
    time.sleep(1.0)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert not (out / "report" / "index.html").exists()
    finished = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert _outputs(out) == _outputs(serial_run)


def test_dask_cluster_gives_the_serial_affinities(serial_run, tmp_path):
    cluster = config.build({"compute": {"scheduler": "local", "workers": 2}}, TINY)
    run_pipeline(cluster, tmp_path / "dask", log=lambda m: None)
    assert _outputs(tmp_path / "dask") == _outputs(serial_run)


def test_the_full_dictionary_runs_at_tiny_size(tmp_path):
    """Taskonomy's 22 targets and 25 trained sources (pairs, triplets, tiles, soft classes,
    segments) through every stage, at the smallest sizes."""
    small = config.build(
        {
            "dataset": {"buildings": 6, "resolution": 32},
            "train": {"encoder": "tiny", "epochs": 1, "max_train_samples": 96, "threads": 1},
            "transfer": {
                "transfer_samples": 64,
                "test_samples": 64,
                "epochs": 1,
                "beam_pairs": 2,
                "beam_triples": 0,
                "beam_quads": 0,
                "max_order": 2,
            },
            "taxonomy": {"orders": [1, 2], "random_taxonomies": 10},
            "compute": {"scheduler": "serial", "gpus_per_worker": 0},
        },
        config.profile("full"),
    )
    run_pipeline(small, tmp_path, log=lambda m: None)
    affinities = json.loads((tmp_path / "affinities" / "affinities.json").read_text())
    assert {k.rsplit("__", 1)[1] for k in affinities} == set(small.tasks.targets)
    sources = {s for k in affinities for s in k.split("__")[:-1]}
    assert sources == {*small.tasks.sources, "random", "self"}
    assert (tmp_path / "report" / "samples.png").stat().st_size > 1000


def test_a_runs_files_get_the_umask_mode(serial_run):
    # mkstemp makes 0600 files; a report shared on a group machine or a web server needs the
    # mode the user's umask gives (test_file_modes.py checks the writers under several umasks).
    from taskonomy_tools.rundir import umask_file_mode

    expected = umask_file_mode()
    report = serial_run / "report"
    assert (report / "index.html").is_file()
    files = [p for p in serial_run.rglob("*") if p.is_file()]
    wrong = {str(p.relative_to(serial_run)): oct(p.stat().st_mode & 0o777) for p in files}
    wrong = {k: v for k, v in wrong.items() if int(v, 8) != expected}
    assert not wrong, f"expected {oct(expected)}"


def test_estimates_sit_beside_the_trained_readouts(serial_run):
    est = json.loads((serial_run / "estimates" / "estimates.json").read_text())
    assert set(est["scores"]) == set(TINY.estimates.methods)
    sources = [*TINY.tasks.sources, "random"]
    scored = [t for t in TINY.tasks.targets if t not in est["skipped"]]
    assert scored
    for scores in est["scores"].values():
        assert {f"{s}__{t}" for s in sources for t in scored} == set(scores)
        assert all(math.isfinite(v) for v in scores.values())
    comparison = json.loads((serial_run / "evaluation" / "estimates_comparison.json").read_text())
    for result in comparison["methods"].values():
        assert -1 <= result["spearman"] <= 1 and 0 <= result["top1"] <= 1
    html = (serial_run / "report" / "index.html").read_text()
    assert "Cheap estimates vs trained readouts" in html and "agreed best" in html


def test_error_bars_come_from_the_test_samples_buildings(serial_run):
    store = open_store(str(serial_run / "dataset" / "store.zarr"))
    losses_url = str(serial_run / "readouts" / "losses.zarr")
    test_views = subset(store.samples("test"), TINY.transfer.test_samples)
    ids = store.read("test", [], test_views)["ids"]
    depth = read_test_buildings(losses_url, "rgb2depth")
    assert np.array_equal(depth, ids[:, 0])  # every view has depth: one building per loss
    tuples = covered_tuples(store, "test", "fix_pose", test_views, TINY.transfer.test_samples)
    first_views = store.read_pairs("test", "fix_pose", tuples)["views"][:, 0]
    pose = read_test_buildings(losses_url, "fix_pose")
    assert np.array_equal(pose, store.read("test", [], first_views)["ids"][:, 0])
    assert len(pose) == len(read_losses(losses_url, "fix_pose")["self__fix_pose"])
    # The tiny profile has too few test buildings for a cluster bootstrap, and the report says so.
    boot = json.loads((serial_run / "bootstrap" / "_done.json").read_text())
    assert boot["replicates"] == TINY.taxonomy.bootstrap and boot["by"] == "sample"
    stable = json.loads((serial_run / "report" / "stability.json").read_text())
    top = max(TINY.taxonomy.orders)
    budgets = {s["budget"] for s in stable if s["max_order"] == top}
    assert budgets == set(range(1, len(budgets) + 1)) and len(budgets) >= 3
    for s in stable:
        assert 0 <= s["same_roots"] <= 1 and s["solved"] == TINY.taxonomy.bootstrap
        assert all(0 < f <= 1 for f in s["root_frequency"].values())
    html = (serial_run / "report" / "index.html").read_text()
    assert "Error bars" in html and "whole buildings cannot be drawn" in html
    assert html.count(f"of {TINY.taxonomy.bootstrap} replicates") >= len(
        budgets
    )  # one sentence per budget


def _first_order_sources(url: str, target: str) -> set[str]:
    keys = [k.split("__") for k in read_losses(url, target)]
    return {k[0] for k in keys if len(k) == 2} - {"random", "pixels", "self"}


def test_the_pruning_experiment_trains_only_the_best_estimated_sources(serial_run):
    est = json.loads((serial_run / "estimates" / "estimates.json").read_text())
    k, by = TINY.estimates.prune_top_k, TINY.estimates.prune_by
    url = str(serial_run / "pruned_readouts" / "losses.zarr")
    for target in TINY.tasks.targets:
        kept = _first_order_sources(url, target)
        if target in est["skipped"]:
            assert kept == set(TINY.tasks.sources) - {target}
            continue
        scores = {s: est["scores"][by][f"{s}__{target}"] for s in TINY.tasks.sources}
        ranked = sorted((s for s in scores if s != target), key=lambda s: (-scores[s], s))
        assert kept == set(ranked[:k]), target
        full = read_losses(str(serial_run / "readouts" / "losses.zarr"), target)
        assert set(read_losses(url, target)) >= {f"pixels__{target}", f"random__{target}"}
        assert len(read_losses(url, target)) < len(full)
    comparison = json.loads((serial_run / "evaluation" / "pruning.json").read_text())
    regrets = [r["regret"] for r in comparison["budgets"]]
    assert any(math.isfinite(r) for r in regrets)
    assert all(0 <= r <= 1 for r in regrets if math.isfinite(r))
    html = (serial_run / "report" / "index.html").read_text()
    assert f"Pruning by {by}" in html and "saved" in html


def test_a_pruned_run_trains_k_sources_per_target_and_its_beam_from_them(serial_run, tmp_path):
    import shutil

    copy = tmp_path / "run"
    shutil.copytree(serial_run, copy)
    shutil.rmtree(copy / "pruned_readouts")
    shutil.rmtree(copy / "pruned_beam")
    networks_before = (copy / "networks" / "_done.json").stat().st_mtime_ns
    pruned = config.build({"transfer": {"prune_top_k": 2}}, TINY)
    run_pipeline(pruned, copy, log=lambda m: None)
    assert (copy / "networks" / "_done.json").stat().st_mtime_ns == networks_before
    assert not (copy / "pruned_readouts").exists()  # the run itself is the pruned one
    est = json.loads((copy / "estimates" / "estimates.json").read_text())
    beam = json.loads((copy / "beam" / "_done.json").read_text())
    for target in TINY.tasks.targets:
        kept = _first_order_sources(str(copy / "readouts" / "losses.zarr"), target)
        assert len(kept) == (len(TINY.tasks.sources) - 1 if target in est["skipped"] else 2)
        for candidate in beam["candidates"][target]:
            assert set(candidate) <= kept
    html = (copy / "report" / "index.html").read_text()
    assert "Pruning by" not in html and "This run trained only the 2 sources per target" in html


def test_other_seeds_rerun_the_first_order_analysis_into_the_report(serial_run, tmp_path):
    import shutil

    from taskonomy_tools.compare import agreement

    out = tmp_path / "run"
    shutil.copytree(serial_run, out)
    cfg = config.build({"taxonomy": {"seeds": [3]}}, TINY)
    lines: list[str] = []
    run_pipeline(cfg, out, log=lines.append)
    assert "[networks] up to date, skipped" in lines  # the main run's stages are reused
    seed_run = out / "seeds" / "seed3"
    resolved = json.loads((seed_run / "config.resolved.json").read_text())
    assert (resolved["seed"], resolved["dataset"]["seed"]) == (3, 3)
    assert resolved["transfer"]["max_order"] == 1 and resolved["taxonomy"]["seeds"] == []
    assert not (seed_run / "seeds").exists()
    page = (out / "report" / "index.html").read_text()
    assert "Across seeds" in page and (out / "report" / "seeds_together.png").is_file()
    sweep = json.loads((out / "evaluation" / "evaluation.json").read_text())["sweep"]
    result = agreement([out, seed_run], budget=min(5, max(r["budget"] for r in sweep)), order=1)
    agree = sum(share == 1.0 for share in result.same_source.values())
    assert f"{agree} of {len(result.same_source)} targets get the same source" in page
    assert set(result.same_source.values()) <= {0.5, 1.0}
