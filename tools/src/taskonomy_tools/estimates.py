"""Cheap transferability estimates beside the trained readouts (issue #14).

Before any readout is trained, every (source, target) pair gets a score from each estimator of
``taskonomy_models`` (LogME, shrunk H-score, k-fold ridge), computed on the cached
representations of the transfer images in seconds. After the tournaments, each estimator is
compared with the AHP affinities of the trained first-order readouts: per target, Spearman's
rank correlation over the sources, whether the top source agrees, how many of the top three
agree; and the taxonomy regret: the BIP solved with the estimator's order of the sources
(each target's trained first-order affinities handed to its sources in the estimator's order, so
only the order comes from the estimator), its choices scored on the trained affinities, against
the optimum, per budget. Pruning to the k best-estimated sources per target is evaluated the
same way: the optimum over the pruned transfers against the full one, and the readouts saved.

>>> rank_transplant({"a": 3.0, "b": 1.0, "c": 2.0}, {"a": 0.1, "b": 0.5, "c": 0.2})
{'a': 0.5, 'c': 0.2, 'b': 0.1}
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .rundir import read_json, write_json

HEADER = ("estimator", "Spearman", "top-1", "top-3", "mean regret")
#: Target kinds the estimators cannot score (per-image segment ids mean nothing across images).
UNSCORED_KINDS = ("pixel_embedding",)


def estimate_job(
    store_url: str,
    target: str,
    sources: Sequence[str],
    reps_url: str,
    transfer_index: Sequence[int],
    represented: Mapping[str, list[int]],
    methods: Sequence[str],
    pixels_per_image: int,
    seed: int,
) -> dict[str, Any]:
    """Every method's score of every source for one target, and each method's seconds."""
    import taskonomy_models as tm
    from taskonomy_data import open_store

    from .jobs import load_representations
    from .taskdata import gather_codes, model_task, read_task, tuple_views, with_ground_truth

    store = open_store(store_url)
    spec = model_task(store.spec(target).to_dict())
    if spec["kind"] in UNSCORED_KINDS:
        return {"target": target, "skipped": f"{spec['kind']} targets have no estimate"}
    _, labels, masks, keep = with_ground_truth(*read_task(store, "val", target, transfer_index))
    codes = load_representations(reps_url, list(sources), "transfer")
    if spec["images_per_sample"] > 1:
        views = tuple_views(store, "val", target, transfer_index)[keep]
        reps = {s: gather_codes(r, views, represented["transfer"]) for s, r in codes.items()}
    else:
        reps = {s: r[keep] for s, r in codes.items()}
    scores, seconds = {}, {}
    for method in methods:
        start = time.perf_counter()
        scores[method] = tm.estimate_transferability(
            spec, reps, labels, masks, method=method, seed=seed, pixels_per_image=pixels_per_image
        )
        seconds[method] = time.perf_counter() - start
    return {"target": target, "scores": scores, "seconds": seconds}


def make_estimates(cfg, stage, store_url: str, reps, indices, executor) -> dict[str, Any]:
    """The estimates stage: one job per target, all estimators; ``estimates.json``."""
    from .pipeline import represented, sample_index
    from .rundir import read_json as read

    if not cfg.estimates.methods:
        write_json(stage.path / "estimates.json", {"scores": {}, "seconds": {}, "skipped": {}})
        return {"methods": []}
    reps_url = read(reps.path / "_done.json")["store"]
    sources = [*cfg.tasks.sources, "random"]
    settings = (cfg.estimates.methods, cfg.estimates.pixels_per_image, cfg.seed)
    views = represented(indices)
    args = [
        (store_url, t, sources, reps_url, sample_index(indices, t, "transfer"), views, *settings)
        for t in cfg.tasks.targets
    ]
    results = executor.map(estimate_job, args, "estimates")
    out: dict[str, Any] = {"scores": {m: {} for m in cfg.estimates.methods}, "seconds": {}}
    out["skipped"] = {r["target"]: r["skipped"] for r in results if "skipped" in r}
    for result in results:
        for method, by_source in result.get("scores", {}).items():
            for source, score in by_source.items():
                out["scores"][method][f"{source}__{result['target']}"] = score
        for method, seconds in result.get("seconds", {}).items():
            out["seconds"][method] = out["seconds"].get(method, 0.0) + seconds
    write_json(stage.path / "estimates.json", out)
    return {"methods": list(cfg.estimates.methods)}


def rank_transplant(scores: Mapping[str, float], trained: Mapping[str, float]) -> dict[str, float]:
    """The trained values handed out in the estimator's order: the best-estimated key gets the
    largest trained value, and so on (ties by key)."""
    by_estimate = sorted(scores, key=lambda k: (-scores[k], k))
    values = sorted(trained.values(), reverse=True)
    return dict(zip(by_estimate, values, strict=True))


def _first_order(affinities: Mapping[str, float], target: str, sources: Sequence[str]):
    return {f"{s}__{target}": affinities[f"{s}__{target}"] for s in sources if s != target}


def compare(
    bip,
    estimates: Mapping[str, Any],
    affinities: Mapping[str, float],
    sources: Sequence[str],
    targets: Sequence[str],
    budgets: Sequence[int],
    prune_top_k: int,
    transform: str = "identity",
) -> dict[str, Any]:
    """Per method: Spearman, top-1 and top-3 agreement per target, and regret per budget."""
    from scipy.stats import spearmanr

    scored = [t for t in targets if t not in estimates.get("skipped", {})]
    trained_sources = [s for s in sources if s != "random"]
    problem_of = _problem_factory(bip, trained_sources, targets, transform)
    optimum = _objectives(bip, problem_of(dict(affinities)), budgets, affinities, targets)
    share = min(1.0, prune_top_k / max(1, len(sources)))
    out: dict[str, Any] = {
        "targets": scored,
        "optimum": optimum,
        "methods": {},
        "pruned_share": share,
    }
    for method, scores in estimates["scores"].items():
        per_target = {}
        replaced = dict(affinities)
        pruned = {k: v for k, v in affinities.items() if k.count("__") != 1 or k.startswith("self")}
        for t in scored:
            trained = _first_order(affinities, t, sources)
            est = {k: scores[k] for k in trained}
            rho = spearmanr(list(est.values()), list(trained.values())).statistic
            best_trained = sorted(trained, key=lambda k: -trained[k])
            best_est = sorted(est, key=lambda k: -est[k])
            per_target[t] = {
                "spearman": float(rho) if np.isfinite(rho) else 0.0,
                "top1": best_est[0] == best_trained[0],
                "top3": len(set(best_est[:3]) & set(best_trained[:3])) / 3,
            }
            replaced.update(rank_transplant(est, trained))
            keep = set(best_est[:prune_top_k])
            pruned.update({k: v for k, v in affinities.items() if _uses_only(k, keep, t)})
        for t in targets:  # targets without an estimate keep every transfer in the pruned run
            if t not in scored:
                pruned.update({k: v for k, v in affinities.items() if k.endswith(f"__{t}")})
        chosen = _choices(bip, problem_of(replaced), budgets)
        achieved = {b: _score(c, affinities, targets) for b, c in chosen.items()}
        pruned_opt = _objectives(bip, problem_of(pruned), budgets, affinities, targets)
        out["methods"][method] = {
            "per_target": per_target,
            "spearman": float(np.mean([v["spearman"] for v in per_target.values()])),
            "top1": float(np.mean([v["top1"] for v in per_target.values()])),
            "top3": float(np.mean([v["top3"] for v in per_target.values()])),
            "regret": {b: _regret(optimum[b], achieved[b]) for b in budgets},
            "pruned_regret": {b: _regret(optimum[b], pruned_opt[b]) for b in budgets},
            "seconds": estimates["seconds"].get(method, float("nan")),
        }
    return out


def _uses_only(key: str, keep: set[str], target: str) -> bool:
    """Whether a transfer into `target` uses only kept first-order sources (any order)."""
    *srcs, tgt = key.split("__")
    return (
        tgt == target
        and srcs[0] not in ("self", "pixels")
        and all(f"{s}__{target}" in keep for s in srcs)
    )


def _problem_factory(bip, sources, targets, transform):
    def make(affinities: dict[str, float]):
        usable = {k: v for k, v in affinities.items() if not k.startswith(("pixels__", "random"))}
        return bip.Problem.from_affinities(
            usable,
            transform=transform,
            source_only=tuple(s for s in sources if s not in targets),
            target_only=tuple(t for t in targets if t not in sources),
        )

    return make


def _choices(bip, problem, budgets) -> dict[int, dict[str, str] | None]:
    out = {}
    for solution in bip.sweep(problem, budgets=list(budgets), max_orders=[problem.max_order]):
        ok = solution.status in ("optimal", "time_limit") and solution.choices
        out[solution.budget] = dict(solution.choices) if ok else None
    return out


def _score(choices, affinities, targets) -> float:
    if choices is None:
        return float("nan")
    return float(sum(affinities[choices[t]] for t in targets))


def _objectives(bip, problem, budgets, affinities, targets) -> dict[int, float]:
    return {b: _score(c, affinities, targets) for b, c in _choices(bip, problem, budgets).items()}


def _regret(optimum: float, achieved: float) -> float:
    """The share of the optimum's summed affinity lost (0 = as good)."""
    if not np.isfinite(optimum) or not np.isfinite(achieved) or optimum <= 0:
        return float("nan")
    return float(max(0.0, (optimum - achieved) / optimum))


def estimates_section(comparison: Mapping[str, Any], readout_seconds: float, prune_top_k: int):
    """The report's section: agreement with the trained readouts, regret, time."""
    from .report import Section

    methods = comparison["methods"]
    if not methods:
        return None
    best = max(methods, key=lambda m: methods[m]["spearman"])
    budgets = sorted(next(iter(methods.values()))["regret"])
    rows = [
        (
            m,
            v["spearman"],
            v["top1"],
            v["top3"],
            float(np.nanmean(list(v["regret"].values()))),
            float(np.nanmean(list(v["pruned_regret"].values()))),
            v["seconds"],
        )
        for m, v in methods.items()
    ]
    regret_rows = [
        (b, *(methods[m]["regret"][b] for m in methods), methods[best]["pruned_regret"][b])
        for b in budgets
    ]
    n_targets = len(comparison["targets"])
    total = sum(v["seconds"] for v in methods.values())
    return Section(
        "Cheap estimates vs trained readouts",
        paragraphs=[
            f"Before training any readout, each estimator scored every (source, target) pair from "
            f"the cached representations ({total:.1f} s for all {len(methods)} estimators, "
            f"against {readout_seconds:.0f} s for the first-order readouts). On this data "
            f"{best} agreed best with the trained readouts: mean Spearman "
            f"{methods[best]['spearman']:.2f} over {n_targets} targets, top source right for "
            f"{methods[best]['top1']:.0%} of them.",
            "Regret: the taxonomy solved with an estimator's order of the sources (each target's "
            "trained first-order affinities handed to its sources in that order), scored on the "
            "trained affinities, as the share of the optimum's summed affinity it loses. Pruned: "
            f"only the {prune_top_k} best-estimated sources per target (and their "
            f"combinations) kept: {comparison['pruned_share']:.0%} of the first-order readouts "
            f"would be trained (about {comparison['pruned_share'] * readout_seconds:.0f} s of "
            f"{readout_seconds:.0f} s).",
        ],
        tables=[
            ((*HEADER, f"regret pruned to {prune_top_k}", "seconds"), rows),
            (("budget", *(f"regret {m}" for m in methods), f"pruned ({best})"), regret_rows),
        ],
    )


def load(stage) -> dict[str, Any]:
    return read_json(stage.path / "estimates.json")
