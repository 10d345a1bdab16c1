"""`taskonomy run`: dataset -> networks -> representations -> readouts -> beam -> affinities ->
taxonomy sweep and evaluation -> report, each stage a folder of the run that is skipped when its
settings and inputs are unchanged.

>>> # run_pipeline(profile("tiny"), Path("runs/tiny"))  ->  Path("runs/tiny/report/index.html")
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

import taskonomy_ahp as ahp
import taskonomy_bip as bip
import taskonomy_models as tm
from taskonomy_data import open_store

from . import estimates, jobs, plots, pruning, stability
from .analysis import first_order_matrix, split_key
from .config import RunConfig, validate
from .estimates import make_estimates
from .evaluation import evaluation_sections
from .executor import Executor
from .report import Section, write_report
from .rundir import RunDir, Stage, atomic_path, read_json, recorded_seconds, write_json
from .seeds import seed_config, seed_folder, seeds_section
from .taskdata import covered_tuples, model_task, read_task, subset, with_ground_truth

# Relative cost of one job of each stage, for the overall progress bar and its time estimate.
WEIGHTS = {
    "dataset": 10,
    "networks": 5,
    "representations": 1,
    "readouts": 8,
    "beam": 16,
    "pruned_readouts": 3,
    "pruned_beam": 6,
}


class Progress:
    """One bar over the whole run (jobs weighted by their usual cost), whose rate gives the
    estimate of the time left."""

    def __init__(self, cfg: RunConfig):
        sources, targets = len(cfg.tasks.sources), len(cfg.tasks.targets)
        self.jobs = {
            "dataset": 4,
            "networks": sources,
            "representations": sources + 1,
            "readouts": targets,
            "beam": targets if cfg.transfer.max_order > 1 else 0,
        }
        if pruning_experiment(cfg):
            self.jobs |= {"pruned_readouts": targets, "pruned_beam": self.jobs["beam"]}
        self.counted: dict[str, float] = {}
        total = sum(WEIGHTS[name] * n for name, n in self.jobs.items())
        self.bar = tqdm(total=round(total, 1), desc="taskonomy", unit="work", position=0)

    def job_done(self, stage: str) -> Callable[[], None]:
        def done() -> None:
            self.counted[stage] = self.counted.get(stage, 0) + WEIGHTS[stage]
            self.bar.update(WEIGHTS[stage])

        return done

    def stage_done(self, stage: str) -> None:
        """Count what is left of a finished stage (all of it when it was up to date)."""
        rest = WEIGHTS.get(stage, 0) * self.jobs.get(stage, 0) - self.counted.get(stage, 0)
        if rest > 0:
            self.counted[stage] = self.counted.get(stage, 0) + rest
            self.bar.update(rest)

    def close(self) -> None:
        self.bar.close()


#: Bumped when a stage's outputs change form, so that a run made by an older version redoes
#: that stage (and, through the digests, what follows) instead of reading outputs it lacks.
OUTPUT_VERSIONS = {"readouts": 3, "beam": 2, "evaluation": 4, "predictions": 2}


def run_pipeline(cfg: RunConfig, out: Path, log: Callable[[str], None] = tqdm.write) -> Path:
    """Run (or resume) every stage under `out`; return the report's path."""
    check(cfg)
    out = Path(out)
    run = RunDir(out)
    write_json(out / "config.resolved.json", cfg.to_dict())
    timings: dict[str, float] = {}  # each stage's seconds when it ran, reused or not
    progress = Progress(cfg)
    start = time.perf_counter()

    def timed(name: str, settings: Any, upstream: tuple[Stage, ...], body) -> Stage:
        if name in OUTPUT_VERSIONS:
            settings = {**settings, "outputs": OUTPUT_VERSIONS[name]}
        stage = run.run_stage(name, settings, upstream, body, log=log)
        timings[name] = stage.seconds
        progress.stage_done(name)
        return stage

    try:
        with Executor(cfg.compute) as executor:
            data = timed("dataset", dataset_settings(cfg), (), lambda s: make_dataset(cfg, s))
            store_url = read_json(data.path / "_done.json")["store"]
            indices = split_indices(cfg, store_url)
            nets = timed(
                "networks",
                {"train": cfg.section("train"), "sources": cfg.tasks.sources, "seed": cfg.seed},
                (data,),
                lambda s: train_networks(cfg, s, store_url, indices, executor, progress),
            )
            reps = timed(
                "representations",
                {
                    "encoder": cfg.train.encoder,
                    "seed": cfg.seed,
                    "indices": indices_digest(indices),
                },
                (nets,),
                lambda s: represent(cfg, s, store_url, nets, indices, executor, progress),
            )
            est = timed(
                "estimates",
                {
                    "methods": cfg.estimates.methods,
                    "pixels_per_image": cfg.estimates.pixels_per_image,
                    "targets": cfg.tasks.targets,
                },
                (reps,),
                lambda s: make_estimates(cfg, s, store_url, reps, indices, executor),
            )
            args = (store_url, nets, reps, indices, executor, progress)
            k = cfg.transfer.prune_top_k
            first = timed(
                "readouts",
                {"transfer": cfg.section("transfer"), "targets": cfg.tasks.targets}
                | ({"prune_by": cfg.estimates.prune_by} if k else {}),
                (reps, est) if k else (reps,),
                lambda s: first_order(cfg, s, *args, keep=kept(cfg, est, k)),
            )
            beam = timed(
                "beam",
                {"transfer": cfg.section("transfer")},
                (first,),
                lambda s: higher_order(cfg, s, first, *args),
            )
            pruned = None
            if pruning_experiment(cfg):
                k = cfg.estimates.prune_top_k
                settings = {"k": k, "by": cfg.estimates.prune_by}
                pruned_first = timed(
                    "pruned_readouts",
                    {"transfer": cfg.section("transfer"), "targets": cfg.tasks.targets} | settings,
                    (reps, est),
                    lambda s: first_order(
                        cfg, s, *args, keep=kept(cfg, est, k), name="pruned_readouts"
                    ),
                )
                pruned_beam = timed(
                    "pruned_beam",
                    {"transfer": cfg.section("transfer")},
                    (pruned_first,),
                    lambda s: higher_order(cfg, s, pruned_first, *args, name="pruned_beam"),
                )
                pruned = (pruned_first, pruned_beam)
            aff = timed("affinities", {}, (first, beam), lambda s: affinities(cfg, s, first, beam))
            boot = timed(
                "bootstrap",
                {
                    "replicates": cfg.taxonomy.bootstrap,
                    "by": cfg.taxonomy.bootstrap_by,
                    "seed": cfg.seed,
                },
                (first, beam),
                lambda s: bootstrap(cfg, s, first, beam),
            )
            evaluation = timed(
                "evaluation",
                {
                    "taxonomy": cfg.section("taxonomy"),
                    "novel": cfg.tasks.novel,
                    "prune": cfg.section("estimates"),
                },
                (aff, est, boot, beam, *(pruned or ())),
                lambda s: evaluate(cfg, s, aff, first, est, boot, beam, pruned),
            )
            samples = timed(
                "predictions",
                {},
                (nets, evaluation, first, beam),
                lambda s: predictions(cfg, s, store_url, nets, evaluation, first, beam, indices),
            )
    finally:
        progress.close()
    for seed in cfg.taxonomy.seeds:
        log(f"[seeds] the first-order analysis again with seed {seed}")
        folder = seed_folder(out, seed)
        run_pipeline(seed_config(cfg, seed), folder, log=log)
        timings[f"seed {seed}"] = sum(recorded_seconds(folder).values())
    report = out / "report"
    write_report_page(cfg, report, data, nets, first, aff, evaluation, samples, timings)
    log(f"finished in {time.perf_counter() - start:.0f} s")
    return report / "index.html"


# -- configuration checks --------------------------------------------------------------------


def check(cfg: RunConfig) -> None:
    """Reject a configuration that cannot run, before any work is done."""
    validate(cfg)
    sources, targets = set(cfg.tasks.sources), set(cfg.tasks.targets)
    if not sources:
        raise ValueError("[tasks] sources is empty; name at least one task to train")
    if not targets:
        raise ValueError("[tasks] targets is empty; name at least one task to solve")
    from taskonomy_data import get_task

    from .customtasks import register_custom_tasks

    register_custom_tasks(cfg.tasks.custom)
    novel = sorted(set(cfg.tasks.custom) & sources)
    if novel:
        raise ValueError(
            f"[tasks.{novel[0]}] is a task Taskonomy does not have: it can only be a target "
            "(transfers to it are read out from the sources); remove it from [tasks] sources"
        )
    if cfg.tasks.custom and cfg.dataset.kind == "synthetic":
        raise ValueError(
            f"the built-in generator cannot label {sorted(cfg.tasks.custom)}; write them in the "
            'release layout and set [dataset] kind = "ingest" with source = that folder'
        )
    for name in sorted(sources | targets):
        try:
            spec = get_task(name)
        except (KeyError, ValueError):
            raise ValueError(
                f"unknown task {name!r} in [tasks]; see `taskonomy-data info`"
            ) from None
        model_task(spec.to_dict())
    tiled = sorted(t for t in targets if get_task(t).input == "jigsaw_tiles")
    if tiled:
        raise ValueError(
            f"{tiled[0]} can only be a source (as in Taskonomy): its samples are tiles of a "
            "view, which the other tasks' representations do not cover - remove it from "
            "[tasks] targets"
        )
    if not sources & targets:
        raise ValueError(
            "no target is also a source: Quality compares transfers with a target's own "
            "network, so name at least one task in both [tasks] sources and targets"
        )
    if cfg.tasks.novel and cfg.tasks.novel not in targets:
        raise ValueError(f"[tasks] novel = {cfg.tasks.novel!r} must be one of the targets")
    pruning_on = cfg.transfer.prune_top_k or cfg.estimates.prune_top_k
    if pruning_on and cfg.estimates.methods and cfg.estimates.prune_by not in cfg.estimates.methods:
        raise ValueError(
            f"[estimates] prune_by = {cfg.estimates.prune_by!r} must be one of [estimates] "
            f"methods {list(cfg.estimates.methods)}"
        )
    if cfg.transfer.prune_top_k and not cfg.estimates.methods:
        raise ValueError(
            "[transfer] prune_top_k needs the estimates that rank the sources: set [estimates] "
            'methods (e.g. ["logme"])'
        )
    if cfg.taxonomy.bootstrap < 0 or cfg.taxonomy.bootstrap == 1:
        raise ValueError("[taxonomy] bootstrap must be 0 (no error bars) or >= 2 replicates")


def dataset_settings(cfg: RunConfig) -> dict[str, Any]:
    tasks = sorted({"rgb", *cfg.tasks.sources, *cfg.tasks.targets})
    return {"dataset": cfg.section("dataset"), "tasks": tasks}


# -- stages ----------------------------------------------------------------------------------


def make_dataset(cfg: RunConfig, stage: Stage) -> dict[str, Any]:
    ds = cfg.dataset
    if ds.kind == "store":
        store = open_store(ds.source)
        url = ds.source
    elif ds.kind == "synthetic":
        from taskonomy_data import synthesize

        url = str((stage.path / "store.zarr").resolve())
        store = synthesize(
            url,
            buildings=ds.buildings,
            resolution=ds.resolution,
            seed=ds.seed,
            tasks=dataset_settings(cfg)["tasks"],
        )
    elif ds.kind == "ingest":
        from taskonomy_data import default_layout, ingest

        from .customtasks import register_custom_tasks

        url = str((stage.path / "store.zarr").resolve())
        store = ingest(
            ds.source,
            url,
            split=ds.split or None,
            tasks=dataset_settings(cfg)["tasks"],
            domains=register_custom_tasks(cfg.tasks.custom),
            resolution=ds.resolution,
            progress=True,
            # The generator's layout (a shard per chunk): the epoch reader's order, and so
            # training, is then the same as on the built-in data.
            chunk_samples=default_layout(ds.resolution)[0],
            shard_samples=default_layout(ds.resolution)[0],
        )
    else:
        raise ValueError(f"[dataset] kind = {ds.kind!r}; use 'synthetic', 'ingest' or 'store'")
    missing = [t for t in dataset_settings(cfg)["tasks"] if not _has_task(store, t)]
    if missing:
        raise ValueError(f"the dataset at {url} has no labels for {missing}")
    for split in ("train", "val", "test"):
        if split not in store.splits or store.samples(split) == 0:
            raise ValueError(f"the dataset at {url} has no {split!r} samples; add buildings")
    return {"store": url, "samples": {s: store.samples(s) for s in store.splits}}


def _dataset_sentence(cfg: RunConfig, samples: dict[str, int]) -> str:
    ds = cfg.dataset
    if ds.kind == "synthetic":
        where = f"synthetic, {ds.buildings} buildings at {ds.resolution} px"
    elif ds.kind == "ingest":
        split = f", split {Path(ds.split).name}" if ds.split else ""
        where = f"ingested from {ds.source}{split}, at {ds.resolution} px"
    else:
        where = f"the store {ds.source}"
    views = ", ".join(f"{n} {split}" for split, n in sorted(samples.items()))
    return f"Dataset: {where}: {views} views."


def _declared_tasks(cfg: RunConfig) -> list[str]:
    """One sentence on the [tasks.NAME] tasks, which Taskonomy does not have."""
    if not cfg.tasks.custom:
        return []
    described = "; ".join(
        f"{name} ({t['kind']}, {t['channels']} channel(s), {t['encoding']} files in "
        f"{t.get('folder', name)}/)"
        for name, t in cfg.tasks.custom.items()
    )
    return [
        f"Declared in the configuration ([tasks.NAME]), targets with no network of their own, "
        f"so ranked by transfers alone (the paper's novel task): {described}."
    ]


def _has_task(store, task: str) -> bool:
    try:
        store.spec(task)
    except (KeyError, ValueError):
        return False
    return True


def split_indices(cfg: RunConfig, store_url: str) -> dict[str, Any]:
    """The views each step uses: `train` (of the train split), `transfer` (of val) and `test`;
    and under `tuples`, per multi-view task, its samples (tuples of views) of each: the transfer
    and test tuples are those whose views all have representations."""
    store = open_store(store_url)
    views = {
        "train": subset(store.samples("train"), cfg.train.max_train_samples).tolist(),
        "transfer": subset(store.samples("val"), cfg.transfer.transfer_samples).tolist(),
        "test": subset(store.samples("test"), cfg.transfer.test_samples).tolist(),
    }
    tuples = {}
    for task in sorted({*cfg.tasks.sources, *cfg.tasks.targets}):
        if store.spec(task).multiview:
            chosen = {
                "train": subset(store.pair_count("train", task), cfg.train.max_train_samples),
                "transfer": covered_tuples(
                    store, "val", task, views["transfer"], cfg.transfer.transfer_samples
                ),
                "test": covered_tuples(
                    store, "test", task, views["test"], cfg.transfer.test_samples
                ),
            }
            tuples[task] = {step: index.tolist() for step, index in chosen.items()}
    return views | {"tuples": tuples}


def sample_index(indices: dict[str, Any], task: str, step: str) -> list[int]:
    """The samples of `task` that `step` ("train", "transfer", "test") uses."""
    return indices["tuples"].get(task, indices)[step]


def indices_digest(indices: dict[str, Any]) -> dict[str, Any]:
    views = {k: v for k, v in indices.items() if k != "tuples"}
    return {k: [len(v), v[:3], v[-3:]] for k, v in views.items()}


def train_networks(cfg, stage, store_url, indices, executor, progress) -> dict[str, Any]:
    train = cfg.section("train")
    job_args = [
        (
            store_url,
            t,
            sample_index(indices, t, "train"),
            train,
            cfg.seed,
            str(stage.path / f"{t}.pt"),
        )
        for t in cfg.tasks.sources
    ]
    done = progress.job_done("networks")
    results = executor.map(jobs.train_network_job, job_args, "task networks", on_done=done)
    return {"networks": {r["task"]: f"{r['task']}.pt" for r in results}}


def represent(cfg, stage, store_url, nets, indices, executor, progress) -> dict[str, Any]:
    url = jobs.create_output_store(str(stage.path / "representations.zarr"))
    splits = {"transfer": ("val", indices["transfer"]), "test": ("test", indices["test"])}
    job_args = [
        (store_url, s, str(nets.path / f"{s}.pt"), splits, cfg.train.encoder, cfg.seed, url)
        for s in cfg.tasks.sources
    ] + [(store_url, jobs.RANDOM, None, splits, cfg.train.encoder, cfg.seed, url)]
    done = progress.job_done("representations")
    executor.map(jobs.represent_job, job_args, "representations", on_done=done)
    return {"store": url}


def kept(cfg: RunConfig, est: Stage, k: int) -> dict[str, list[str]] | None:
    """The sources each target's first-order readouts keep when pruning to `k` (None: all)."""
    if not k:
        return None
    scores = estimates.load(est)
    return pruning.kept_sources(
        scores, cfg.tasks.targets, cfg.tasks.sources, k, cfg.estimates.prune_by
    )


def pruning_experiment(cfg: RunConfig) -> bool:
    """Whether the run trains the pruned readouts beside the full ones (to compare them)."""
    return bool(cfg.estimates.prune_top_k and cfg.estimates.methods) and not (
        cfg.transfer.prune_top_k
    )


def first_order(
    cfg, stage, store_url, nets, reps, indices, executor, progress, keep=None, name="readouts"
) -> dict[str, Any]:
    """Step II, first order: every source's readout per target (or only `keep[target]`'s)."""
    url = jobs.create_output_store(str(stage.path / "losses.zarr"))
    reps_url = read_json(reps.path / "_done.json")["store"]
    transfer = cfg.section("transfer") | {
        "encoder": cfg.train.encoder,
        "device": cfg.train.device,
        "threads": cfg.train.threads,
    }
    job_args = []
    for t in cfg.tasks.targets:
        chosen = cfg.tasks.sources if keep is None else keep[t]
        competitors = [(s,) for s in chosen] + [(jobs.RANDOM,)]
        network = str(nets.path / f"{t}.pt") if t in cfg.tasks.sources else None
        args = (store_url, t, competitors, reps_url, *readout_indices(indices, t))
        job_args.append((*args, transfer, cfg.seed, url, True, network, represented(indices)))
    done = progress.job_done(name)
    executor.map(jobs.readout_job, job_args, f"first-order readouts ({name})", on_done=done)
    # Transfers trained: neither random nor a target's readout of its own representation.
    trained = sum(sum(c[0] not in (jobs.RANDOM, a[1]) for c in a[2]) for a in job_args)
    return {"store": url, "transfer": transfer, "first_order_readouts": trained}


def readout_indices(indices: dict[str, Any], target: str) -> tuple[list[int], list[int]]:
    return sample_index(indices, target, "transfer"), sample_index(indices, target, "test")


def represented(indices: dict[str, Any]) -> dict[str, list[int]]:
    """The views that the representation store holds codes of, per split name."""
    return {"transfer": indices["transfer"], "test": indices["test"]}


def single_sources(losses: dict[str, np.ndarray], leave_out: tuple[str, ...]) -> dict[str, str]:
    """`{key: source}` of the first-order competitors whose source is not in `leave_out`."""
    firsts = {key: split_key(key)[0] for key in losses}
    return {k: s[0] for k, s in firsts.items() if len(s) == 1 and s[0] not in leave_out}


def first_order_ranking(losses: dict[str, np.ndarray], target: str) -> list[str]:
    """Sources of `target` ranked by their first-order tournament (best first), as the beam."""
    keys = single_sources(losses, ("self", "pixels"))
    table = ahp.affinity_table({target: {k: losses[k] for k in keys}})
    ranked = sorted(keys, key=lambda k: -table.affinities[k])
    return [keys[k] for k in ranked if keys[k] not in (target, jobs.RANDOM)]


def higher_order(
    cfg, stage, first, store_url, nets, reps, indices, executor, progress, name="beam"
) -> dict[str, Any]:
    url = jobs.create_output_store(str(stage.path / "losses.zarr"))
    first_info = read_json(first.path / "_done.json")
    reps_url = read_json(reps.path / "_done.json")["store"]
    beam = {2: cfg.transfer.beam_pairs, 3: cfg.transfer.beam_triples, 4: cfg.transfer.beam_quads}
    beam = {k: v for k, v in beam.items() if k <= cfg.transfer.max_order and v > 0}
    job_args, candidates = [], {}
    for t in cfg.tasks.targets:
        ranking = first_order_ranking(jobs.read_losses(first_info["store"], t), t)
        sets = tm.beam_candidates(ranking, beam) if beam else []
        candidates[t] = [list(c) for c in sets]
        if sets:
            args = (store_url, t, sets, reps_url, *readout_indices(indices, t))
            job_args.append(
                (*args, first_info["transfer"], cfg.seed, url, False, None, represented(indices))
            )
    done = progress.job_done(name)
    executor.map(jobs.readout_job, job_args, f"higher-order readouts ({name})", on_done=done)
    return {"store": url, "candidates": candidates, "trained": [a[1] for a in job_args]}


def transfer_losses(cfg: RunConfig, first: Stage, beam: Stage) -> dict[str, dict[str, Any]]:
    """Per target, every competitor's per-sample test losses: first order and the beam."""
    first_url = read_json(first.path / "_done.json")["store"]
    beam_info = read_json(beam.path / "_done.json")
    losses = {}
    for t in cfg.tasks.targets:
        losses[t] = jobs.read_losses(first_url, t)
        if t in beam_info["trained"]:
            losses[t] |= jobs.read_losses(beam_info["store"], t)
    return losses


def tournaments(losses: dict[str, dict[str, Any]]) -> tuple[ahp.AffinityTable, dict, dict]:
    """The affinity table, Gain (win rates against pixels) and Quality (against self)."""
    table = ahp.affinity_table(losses)
    gain = ahp.win_rates(losses, "pixels")  # every target has its first-order pixels baseline
    with_self = {t: v for t, v in losses.items() if f"self__{t}" in v}
    return table, gain, ahp.win_rates(with_self, "self")


def affinities(cfg: RunConfig, stage: Stage, first: Stage, beam: Stage) -> dict[str, Any]:
    losses = transfer_losses(cfg, first, beam)
    table, gain, quality = tournaments(losses)
    # "Before AHP": each transfer's mean test loss relative to training from scratch.
    before = {
        k: float(np.nanmean(v) / np.nanmean(losses[t][f"pixels__{t}"]))
        for t in losses
        for k, v in losses[t].items()
    }
    write_json(stage.path / "affinities.json", table.affinities)
    write_json(stage.path / "wins_vs_pixels.json", gain)
    write_json(stage.path / "wins_vs_task.json", quality)
    write_json(stage.path / "loss_vs_pixels.json", before)
    write_json(stage.path / "consistency_ratio.json", table.consistency_ratio)
    with atomic_path(stage.path / "affinities.csv") as tmp, open(tmp, "w") as f:
        f.write("target,key,order,affinity,gain,quality\n")
        for row in table.rows():
            key = row["key"]
            f.write(
                f"{row['target']},{key},{row['order']},{row['affinity']:.6g},"
                f"{gain.get(key, float('nan')):.4f},{quality.get(key, float('nan')):.4f}\n"
            )
    return {"competitors": len(table.affinities)}


def bootstrap(cfg: RunConfig, stage: Stage, first: Stage, beam: Stage) -> dict[str, Any]:
    """Error bars: every affinity on `[taxonomy] bootstrap` replicates of the test set."""
    if not cfg.taxonomy.bootstrap:
        return {"replicates": 0}
    first_url = read_json(first.path / "_done.json")["store"]
    groups = (
        {t: jobs.read_test_buildings(first_url, t) for t in cfg.tasks.targets}
        if cfg.taxonomy.bootstrap_by == "building"
        else None
    )
    losses = transfer_losses(cfg, first, beam)
    return stability.bootstrap_stage(losses, groups, cfg.taxonomy.bootstrap, cfg.seed, stage.path)


def evaluate(
    cfg: RunConfig,
    stage: Stage,
    aff: Stage,
    first: Stage,
    est: Stage,
    boot: Stage,
    beam: Stage,
    pruned: tuple[Stage, Stage] | None = None,
) -> dict[str, Any]:
    affinity = read_json(aff.path / "affinities.json")
    gain = read_json(aff.path / "wins_vs_pixels.json")
    quality = read_json(aff.path / "wins_vs_task.json")
    before = read_json(aff.path / "loss_vs_pixels.json")
    sources, targets = cfg.tasks.sources, cfg.tasks.targets

    def problem_of(values: dict[str, float]) -> bip.Problem:
        named = {name for key in values for name in key.split("__")}
        return bip.Problem.from_affinities(
            values,
            transform=cfg.taxonomy.transform,
            source_only=tuple(s for s in sources if s not in targets and s in named),
            target_only=tuple(t for t in targets if t not in sources),
        )

    problem = problem_of(affinity)
    boot_info = read_json(boot.path / "_done.json")
    intervals = stability.load_intervals(boot.path) if boot_info["replicates"] else None
    replicates = (
        [problem_of(intervals.replicate(b)) for b in range(intervals.n_boot)] if intervals else None
    )
    orders = tuple(o for o in cfg.taxonomy.orders if o <= cfg.transfer.max_order)
    b_matrix, b_rows, b_cols = first_order_matrix(before, targets=list(targets))
    sections, summary = evaluation_sections(
        bip=bip,
        problem=problem,
        affinities=affinity,
        gain=gain,
        quality=quality,
        targets=list(targets),
        quality_targets=[t for t in targets if t in sources],
        out=stage.path,
        orders=orders,
        curve_orders=sorted({orders[0], orders[-1]}),
        graph_budgets=sorted({2, max(2, len(sources) // 3), max(2, len(sources) // 2)}),
        random_samples=cfg.taxonomy.random_taxonomies,
        seed=cfg.seed,
        time_limit=cfg.taxonomy.time_limit,
        before=(b_matrix, b_rows, b_cols, "mean test loss / from-scratch loss"),
        replicate_problems=replicates,
    )
    if intervals is not None:
        shutil.copy2(boot.path / "affinity_intervals.csv", stage.path / "affinity_intervals.csv")
        section = stability.intervals_section(
            intervals,
            list(targets),
            boot_info["groups"],
            boot_info["by"] == "group",
            stage.path,
            leave_out=lambda key: key.startswith(("self__", f"{jobs.RANDOM}__")),
        )
        sections.insert(1, section)  # after the affinities
    novel = novel_task(cfg, stage, aff, first) if cfg.tasks.novel else None
    if cfg.estimates.methods and not cfg.transfer.prune_top_k:  # needs every readout
        comparison = estimates.compare(
            bip,
            estimates.load(est),
            affinity,
            sources=[*sources, jobs.RANDOM],
            targets=list(targets),
            budgets=list(range(1, len(sources) + 1)),
            prune_top_k=cfg.estimates.prune_top_k,
            transform=cfg.taxonomy.transform,
        )
        write_json(stage.path / "estimates_comparison.json", comparison)
        # The first-order readouts' wall time: from their stage's first file to its last.
        readout_seconds = first.seconds
        section = estimates.estimates_section(
            comparison, readout_seconds, cfg.estimates.prune_top_k
        )
        if section is not None:
            sections.append(section)
    if cfg.transfer.prune_top_k:
        trained = read_json(first.path / "_done.json")["first_order_readouts"]
        full = sum(len([s for s in sources if s != t]) for t in targets)
        seconds = first.seconds + beam.seconds
        by = cfg.estimates.prune_by
        sections.append(
            pruning.pruned_run_section(cfg.transfer.prune_top_k, by, trained, full, seconds)
        )
    if pruned is not None:
        full = {"affinities": affinity, "gain": gain, "quality": quality}
        sections.append(compare_pruned(cfg, stage, problem_of, full, (first, beam), pruned))
    write_json(stage.path / "sections.json", [s.__dict__ for s in sections])
    return {"novel": novel, "mixed": summary["tree"]["mixed"], "shown": summary["gain_at_budget"]}


def compare_pruned(cfg, stage, problem_of, full, full_stages, pruned) -> Section:
    """The pruning experiment: the pruned readouts' taxonomy against the full run's."""
    table, gain, quality = tournaments(transfer_losses(cfg, *pruned))
    targets = list(cfg.tasks.targets)
    comparison = pruning.compare_runs(
        bip,
        problem_of,
        full,
        {"affinities": table.affinities, "gain": gain, "quality": quality},
        budgets=list(range(1, len(cfg.tasks.sources) + 1)),
        max_order=max(o for o in cfg.taxonomy.orders if o <= cfg.transfer.max_order),
        targets=targets,
        quality_targets=[t for t in targets if t in cfg.tasks.sources],
    )
    write_json(stage.path / "pruning.json", comparison)
    trained = tuple(
        read_json(s.path / "_done.json")["first_order_readouts"]
        for s in (pruned[0], full_stages[0])
    )
    seconds = tuple(sum(s.seconds for s in run) for run in (pruned, full_stages))
    return pruning.pruning_section(
        comparison, cfg.estimates.prune_top_k, cfg.estimates.prune_by, trained, seconds
    )


def novel_task(cfg: RunConfig, stage: Stage, aff: Stage, first: Stage) -> dict[str, Any]:
    """The novel-task experiment: `novel` has no network of its own and little data; how do
    readouts from the other tasks' representations compare with training it from scratch?"""
    novel = cfg.tasks.novel
    gain = read_json(aff.path / "wins_vs_pixels.json")
    losses = jobs.read_losses(read_json(first.path / "_done.json")["store"], novel)
    others = single_sources(losses, (novel, "self"))
    table = ahp.affinity_table({novel: {k: losses[k] for k in others}}, exclude=())
    rates = {s: gain[k] for k, s in others.items() if k in gain and s != "pixels"}
    plots.bars(
        rates,
        f"Novel task {novel}: readouts from other tasks vs training from scratch",
        "win rate against the from-scratch network on the same data",
        stage.path / "novel_task.png",
    )
    ranked = sorted(table.affinities, key=lambda k: -table.affinities[k])
    result = {
        "task": novel,
        "win_rate_vs_scratch": rates,
        "affinity_rank": ranked,
        "scratch_rank": ranked.index(f"pixels__{novel}") + 1,
    }
    write_json(stage.path / "novel_task.json", result)
    return result


def predictions(cfg, stage, store_url, nets, evaluation, first, beam, indices) -> dict[str, Any]:
    """Each task network, and each transfer that the report's taxonomy chose, on three test
    images beside the input and the ground truth."""
    store = open_store(store_url)
    stride = jobs.encoder_stride(cfg.train.encoder)
    rows = []
    for task in cfg.tasks.sources:
        network = tm.load_network(nets.path / f"{task}.pt")
        multiview = store.spec(task).multiview
        count = store.pair_count("test", task) if multiview else store.samples("test")
        index = subset(count, 24)
        images, labels, shown = _test_samples(store, task, index, stride, _first_three)
        predicted = np.asarray(tm.predict(network, images))
        kind = model_task(store.spec(task).to_dict())["kind"]
        rows.append((task, kind, list(zip(shown, labels, predicted, strict=True))))
    plots.sample_grid(rows, "Task-specific networks on test images", stage.path / "samples.png")
    chosen = read_json(evaluation.path / "_done.json")["shown"]
    stores = [read_json(s.path / "_done.json")["store"] for s in (first, beam)]
    rows = []
    for target, key in sorted(chosen["choices"].items()):
        if key.startswith("self__"):
            continue  # a root: its own network, shown above
        predicted = next((p[key] for p in (_kept(u, target) for u in stores) if key in p), None)
        if predicted is None:
            continue  # readouts of a run made before outputs were kept
        index = sample_index(indices, target, "test")
        _, labels, shown = _test_samples(store, target, index, stride, jobs.shown_samples)
        kind = model_task(store.spec(target).to_dict())["kind"]
        name = f"{target}\nfrom {' + '.join(split_key(key)[0])}"
        triples = zip(shown, labels, predicted.astype(np.float32), strict=True)
        rows.append((name, kind, list(triples)))
    if rows:
        title = (
            f"Transfers chosen at budget {chosen['budget']}, order <= {chosen['order']}, "
            "on test images"
        )
        plots.sample_grid(rows, title, stage.path / "transfers.png")
    return {"figure": "samples.png", "transfers": len(rows)}


def _test_samples(store, task, index, stride, positions: Callable[[int], list[int]]):
    """(inputs, labels, inputs as pictures) of the test samples of `task` among those of `index`
    with ground truth, at `positions(their count)`; view tuples and tiles become one picture."""
    images, labels, _, _ = with_ground_truth(*read_task(store, "test", task, index, stride=stride))
    at = positions(len(labels))
    images, labels = images[at], labels[at]
    shown = [plots.montage(views) for views in images] if images.ndim == 5 else list(images)
    return images, labels, shown


def _first_three(n: int) -> list[int]:
    """Of 24 spread test samples with ground truth, the task networks show the first three."""
    return list(range(min(n, 3)))


def _kept(url: str, target: str) -> dict[str, np.ndarray]:
    """A losses store's kept readout outputs for `target` (none if it has no readouts there)."""
    try:
        return jobs.read_predictions(url, target)
    except KeyError:
        return {}


# -- report ----------------------------------------------------------------------------------


def write_report_page(cfg, folder, data, nets, first, aff, evaluation, samples, timings) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for stage in (evaluation, samples):
        for png in stage.path.glob("*.png"):
            shutil.copy2(png, folder / png.name)
    for name in ("affinities.json", "wins_vs_pixels.json", "wins_vs_task.json", "affinities.csv"):
        shutil.copy2(aff.path / name, folder / name)
    for name in ("taxonomy_sweep.csv", "evaluation.json"):
        shutil.copy2(evaluation.path / name, folder / name)
    for name in ("affinity_intervals.csv", "stability.json"):
        if (evaluation.path / name).exists():
            shutil.copy2(evaluation.path / name, folder / name)
    info = read_json(data.path / "_done.json")
    done = read_json(evaluation.path / "_done.json")
    sections = [Section(**s) for s in read_json(evaluation.path / "sections.json")]
    across_seeds = seeds_section(cfg, folder.parent, folder)
    if across_seeds is not None:
        sections.append(across_seeds)
    intro = Section(
        "This run",
        paragraphs=[
            _dataset_sentence(cfg, info["samples"]),
            f"{len(cfg.tasks.sources)} task networks ({cfg.train.encoder} encoder, "
            f"{cfg.train.epochs} epochs); readouts trained on "
            f"{cfg.transfer.transfer_samples or 'all'} validation images, tested on "
            f"{cfg.transfer.test_samples or 'all'} test images; "
            f"transfers up to order {cfg.transfer.max_order}.",
            *_declared_tasks(cfg),
        ],
        tables=[(("stage", "seconds"), [(k, round(v, 1)) for k, v in timings.items()])],
    )
    transfers = []
    if (samples.path / "transfers.png").exists():
        shown = done["shown"]
        transfers.append(
            Section(
                "What the chosen transfers predict",
                paragraphs=[
                    f"The taxonomy at budget {shown['budget']} (order <= {shown['order']}) "
                    "solves these targets by transfer: each row is the chosen readout from "
                    "frozen representations, trained on the little transfer data."
                ],
                figures=[("transfers.png", "Input, ground truth and the transfer's output.")],
            )
        )
    step1 = Section(
        "Task-specific networks",
        figures=[("samples.png", "Input, ground truth and prediction per task on test images.")],
    )
    extra = []
    novel = done.get("novel")
    if novel:
        best = max(novel["win_rate_vs_scratch"], key=novel["win_rate_vs_scratch"].get)
        rate = novel["win_rate_vs_scratch"][best]
        extra.append(
            Section(
                "Novel task",
                verdicts=[
                    (
                        f"{novel['task']} read out from {best} beats training from scratch on "
                        f"{rate:.0%} of the test images; scratch ranks {novel['scratch_rank']} "
                        f"of {len(novel['affinity_rank'])} in the tournament.",
                        rate > 0.5,
                    )
                ],
                paragraphs=[
                    f"{novel['task']} is treated as a new task with only the transfer data: no "
                    "network of its own, only readouts from the other tasks' frozen "
                    "representations, against a network trained from scratch on the same data."
                ],
                figures=[("novel_task.png", "Win rate of each source's readout against scratch.")],
            )
        )
    files = Section(
        "Numbers",
        paragraphs=[
            "affinities.json, wins_vs_pixels.json and wins_vs_task.json use the released "
            "format (s1__s2__t -> value), so `taskonomy analyze --affinities ... --gain ... "
            "--quality ...` and the solver read them; affinities.csv, taxonomy_sweep.csv and "
            "evaluation.json hold the rest."
        ],
    )
    return write_report(
        folder / "index.html",
        "Taskonomy: task transfer on the built-in synthetic dataset"
        if cfg.dataset.kind == "synthetic"
        else "Taskonomy run",
        "Which tasks transfer to which, the taxonomy that supervises the fewest tasks for the "
        "most, and how it compares with random choices.",
        [intro, step1, *sections, *transfers, *extra, files],
    )
