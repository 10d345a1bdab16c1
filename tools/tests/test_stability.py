"""Error bars in the pipeline: intervals saved and read back, the fallback from a cluster
bootstrap with too few buildings, and selection frequencies of the taxonomy over replicates."""

from __future__ import annotations

import numpy as np
import pytest

import taskonomy_ahp as ahp
import taskonomy_bip as bip
from taskonomy_tools import stability

TARGETS = ("a", "b", "c")


def _losses(n: int = 60, seed: int = 0) -> dict[str, dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    out = {}
    for t in TARGETS:
        competitors = {f"{s}__{t}": rng.random(n) + 0.3 * i for i, s in enumerate(TARGETS)}
        competitors[f"self__{t}"] = rng.random(n) * 0.5
        out[t] = competitors
    return out


def _problem(affinities: dict[str, float]) -> bip.Problem:
    return bip.Problem.from_affinities(affinities)


def test_intervals_read_back_as_written(tmp_path):
    losses = _losses()
    groups = {t: np.repeat(np.arange(6), 10) for t in TARGETS}
    info = stability.bootstrap_stage(losses, groups, 20, seed=3, out=tmp_path)
    assert info == {"replicates": 20, "groups": dict.fromkeys(TARGETS, 6), "by": "group"}
    back = stability.load_intervals(tmp_path)
    direct = ahp.bootstrap_affinities(losses, 20, groups=groups, seed=3)
    assert back.estimate == direct.estimate and back.low == direct.low
    for b in (0, 7, 19):
        assert back.replicate(b) == pytest.approx(direct.replicate(b), abs=0)
    lines = (tmp_path / "affinity_intervals.csv").read_text().splitlines()
    assert lines[0] == "target,key,order,affinity,low,high"
    assert len(lines) == 1 + len(direct.estimate)


def test_too_few_buildings_resample_samples_and_say_so(tmp_path):
    losses = _losses()
    two_buildings = {t: np.repeat([0, 1], 30) for t in TARGETS}
    info = stability.bootstrap_stage(losses, two_buildings, 30, seed=0, out=tmp_path)
    assert info["by"] == "sample" and info["groups"] == dict.fromkeys(TARGETS, 2)
    by_sample = ahp.bootstrap_affinities(losses, 30, seed=0)
    assert stability.load_intervals(tmp_path).low == by_sample.low
    section = stability.intervals_section(
        stability.load_intervals(tmp_path), TARGETS, info["groups"], False, tmp_path
    )
    assert "whole buildings cannot be drawn" in section.paragraphs[0]
    assert (tmp_path / "affinity_intervals.png").stat().st_size > 1000


def test_identical_replicates_choose_every_root_and_edge_every_time():
    affinities = ahp.affinity_table(_losses()).affinities
    main = bip.solve(_problem(affinities), budget=1, max_order=1)
    chosen = {(1, 1): (main.roots, main.choices)}
    result = stability.replicate_stability(bip, [_problem(affinities)] * 4, chosen, None)[1, 1]
    assert result.solved == 4 and result.same_roots == 1.0
    assert all(result.root_frequency[r] == 1.0 for r in main.roots)
    assert set(result.transfer_frequency.values()) == {1.0}
    edges = {
        f"{s}->{t}"
        for t, k in main.choices.items()
        if not k.startswith("self__")
        for s in k.split("__")[:-1]
    }
    assert edges and {e: result.edge_frequency[e] for e in edges} == dict.fromkeys(edges, 1.0)


def test_frequencies_count_the_replicates_that_changed_their_root():
    affinities = ahp.affinity_table(_losses()).affinities
    main = bip.solve(_problem(affinities), budget=1, max_order=1)
    (root,) = main.roots
    # Replicates where the root is useless as a source: another root wins there.
    other = dict(affinities)
    for key in other:
        if key.startswith(f"{root}__"):
            other[key] = 1e-6
    problems = [_problem(affinities)] * 3 + [_problem(other)]
    result = stability.replicate_stability(
        bip, problems, {(1, 1): (main.roots, main.choices)}, None
    )[1, 1]
    assert result.same_roots == 0.75 and result.root_frequency[root] == 0.75
    assert sum(result.root_frequency.values()) == pytest.approx(1.0)
    sentence = stability.roots_sentence(result)
    assert sentence.startswith("Budget 1 (order <= 1): the same root in 75% of 4 replicates")
    assert f"{root} in 75% (instead: " in sentence


def test_stable_roots_read_as_such():
    s = stability.Stability(1, 2, 10, ("a", "b"), {"a": 1.0, "b": 0.96, "c": 0.3}, 0.9, {}, {})
    assert stability.roots_sentence(s) == (
        "Budget 1 (order <= 2): the same 2 roots in 90% of 10 replicates; each in at least 95% "
        "(also: c 30%)."
    )
    none = stability.Stability(3, 1, 0, (), {}, 0.0, {}, {})
    assert "no replicate has a feasible taxonomy" in stability.roots_sentence(none)
