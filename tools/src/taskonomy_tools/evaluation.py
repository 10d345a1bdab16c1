"""Taxonomy evaluation (paper Figs. 9, 11, 13): sweeps, Gain/Quality curves, significance, tree.

Shared by `taskonomy analyze` (released numbers) and `taskonomy run` (our own numbers): both hand
over affinities and win rates as released-format dicts, and get report sections back.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from . import plots
from .analysis import first_order_matrix, score_choices, task_tree
from .report import Section
from .rundir import atomic_path, write_json
from .stability import replicate_stability, stability_section, write_stability

# The grouping the paper reports (TASKONOMY.md section 3), by released id and by our ids.
TASK_GROUPS: dict[str, tuple[str, ...]] = {
    "3D": (
        "rgb2sfnorm",
        "curvature",
        "rgb2depth",
        "rgb2mist",
        "edge3d",
        "reshade",
        "keypoint3d",
        "segment25d",
    ),
    "2D": (
        "edge2d",
        "keypoint2d",
        "segment2d",
        "autoencoder",
        "denoise",
        "colorization",
        "impainting_whole",
    ),
    "geometric": (
        "fix_pose",
        "non_fixated_pose",
        "point_match",
        "ego_motion",
        "room_layout",
        "vanishing_point_well_defined",
        "vanishing_point",
    ),
    "semantic": (
        "class_1000",
        "class_places",
        "segmentsemantic_rb",
        "segmentsemantic",
        "class_selected",
    ),
}
GROUP_COLORS = {"3D": "#1f5fa8", "2D": "#c0392b", "geometric": "#7d3c98", "semantic": "#1e8449"}


def task_colors(tasks: Sequence[str]) -> dict[str, str]:
    return {t: GROUP_COLORS[g] for g, members in TASK_GROUPS.items() for t in members if t in tasks}


@dataclass(frozen=True)
class SweepRow:
    budget: int
    max_order: int
    status: str
    objective: float
    gain: float
    quality: float
    roots: tuple[str, ...]
    choices: dict[str, str]


def run_sweep(
    bip,
    problem,
    budgets: Sequence[int],
    orders: Sequence[int],
    gain: Mapping[str, float],
    quality: Mapping[str, float],
    targets: Sequence[str],
    time_limit: float | None = None,
    quality_targets: Sequence[str] | None = None,
) -> list[SweepRow]:
    """Solve every (budget, order) with one reused model and score the chosen transfers: Gain
    over `targets`, Quality over `quality_targets` (default: the same; only targets with a
    network of their own have a Quality)."""
    quality_targets = targets if quality_targets is None else quality_targets
    solutions = bip.sweep(
        problem, budgets=list(budgets), max_orders=list(orders), time_limit=time_limit
    )
    rows = []
    for solution in solutions:
        feasible = solution.status in ("optimal", "time_limit") and solution.choices
        rows.append(
            SweepRow(
                budget=solution.budget,
                max_order=solution.max_order,
                status=solution.status,
                objective=float(solution.objective) if feasible else float("nan"),
                gain=score_choices(solution.choices, gain, targets) if feasible else float("nan"),
                quality=score_choices(solution.choices, quality, quality_targets)
                if feasible
                else float("nan"),
                roots=tuple(solution.roots),
                choices=dict(solution.choices),
            )
        )
    return rows


def significance(
    bip,
    problem,
    budgets: Sequence[int],
    max_order: int,
    quality: Mapping[str, float],
    targets: Sequence[str],
    samples: int,
    seed: int,
) -> dict[int, tuple[float, float, float]]:
    """Per budget, the 5th, 50th and 95th percentile of Quality over random feasible taxonomies."""
    bands = {}
    for budget in tqdm(budgets, desc="random taxonomies", unit="budget", leave=False):
        draws = bip.random_taxonomies(
            problem, budget=budget, max_order=max_order, n=samples, seed=seed + budget
        )
        scores = [score_choices(s.choices, quality, targets) for s in draws]
        if scores:
            lo, mid, hi = np.percentile(scores, [5, 50, 95])
            bands[budget] = (float(lo), float(mid), float(hi))
    return bands


def write_sweep_csv(path: Path, rows: Sequence[SweepRow]) -> None:
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(
            ["budget", "max_order", "status", "objective", "gain", "quality", "roots", "transfers"]
        )
        for r in rows:
            transfers = " ".join(sorted(v for v in r.choices.values() if not v.startswith("self")))
            writer.writerow(
                [
                    r.budget,
                    r.max_order,
                    r.status,
                    r.objective,
                    r.gain,
                    r.quality,
                    " ".join(r.roots),
                    transfers,
                ]
            )


def evaluation_sections(
    *,
    bip,
    problem,
    affinities: Mapping[str, float],
    gain: Mapping[str, float],
    quality: Mapping[str, float],
    targets: Sequence[str],
    out: Path,
    orders: Sequence[int],
    curve_orders: Sequence[int],
    graph_budgets: Sequence[int],
    random_samples: int,
    seed: int,
    time_limit: float | None,
    before: tuple[np.ndarray, list[str], list[str], str] | None = None,
    quality_targets: Sequence[str] | None = None,
    replicate_problems: Sequence | None = None,
) -> tuple[list[Section], dict]:
    """Compute every evaluation, write figures/CSV/JSON under `out`, return report sections.

    Quality is scored over `quality_targets` (default: `targets`), those with a network of
    their own. With `replicate_problems` (the problem on each bootstrap replicate of the
    affinities) the taxonomy is solved on each at every budget of the top order and at the
    graphs' budgets, and the graphs show how often each edge and root is chosen."""
    n = len({*problem_roots_candidates(problem)})
    budgets = list(range(1, n + 1))
    scored = list(targets if quality_targets is None else quality_targets)
    rows = run_sweep(bip, problem, budgets, orders, gain, quality, targets, time_limit, scored)
    write_sweep_csv(out / "taxonomy_sweep.csv", rows)
    top_order = max(orders)
    bands = significance(bip, problem, budgets, top_order, quality, scored, random_samples, seed)
    by = {(r.budget, r.max_order): r for r in rows}
    stable = {}
    if replicate_problems:
        wanted = {(b, top_order) for b in budgets} | {
            (b, o) for b in graph_budgets for o in curve_orders
        }
        chosen = {k: (by[k].roots, by[k].choices) for k in sorted(wanted) if k in by}
        chosen = {k: v for k, v in chosen.items() if v[1]}
        stable = replicate_stability(bip, replicate_problems, chosen, time_limit)
        write_stability(out / "stability.json", stable)

    sections = []
    # Affinities
    matrix, row_names, col_names = first_order_matrix(affinities, targets=targets)
    figs = []
    if before is not None:
        b_matrix, b_rows, b_cols, b_label = before
        plots.heatmap(
            b_matrix,
            b_rows,
            b_cols,
            f"Before AHP: {b_label}",
            out / "before_ahp.png",
            colorbar_label=b_label,
        )
        figs.append(("before_ahp.png", f"Before normalisation: {b_label}."))
    plots.heatmap(
        matrix,
        row_names,
        col_names,
        "After AHP: first-order affinities",
        out / "affinities.png",
        log=True,
        colorbar_label="affinity",
    )
    figs.append(
        (
            "affinities.png",
            "First-order affinities after AHP (log scale; each target's "
            "row, with higher orders, self and random, sums to 1).",
        )
    )
    sections.append(
        Section(
            "Affinities",
            paragraphs=[
                "Per-target tournaments turn per-sample losses into win-rate matrices; the "
                "principal eigenvector of each W/W^T ranks that target's sources on one "
                "ordinal scale."
            ],
            figures=figs,
        )
    )

    # Task tree
    tree = task_tree(affinities)
    plots.tree_plot(tree, "Task similarity tree", out / "task_tree.png", task_colors(tree.tasks))
    verdict = tree.separates({g: m for g, m in TASK_GROUPS.items()})
    present = {g: sorted(set(m) & set(tree.tasks)) for g, m in TASK_GROUPS.items()}
    mixed = {g: v for g, v in verdict.items() if v and present[g]}
    groups_text = "; ".join(f"{g}: {', '.join(m)}" for g, m in present.items() if m)
    sections.append(
        Section(
            "Task similarity tree",
            verdicts=[
                (
                    (
                        "The 3D, 2D, geometric and semantic tasks fall into separate branches."
                        if not mixed
                        else "Not fully separated. "
                        + " ".join(
                            f"The smallest branch holding every {g} task also holds {', '.join(v)}."
                            for g, v in mixed.items()
                        )
                    ),
                    not mixed,
                )
            ],
            paragraphs=[
                "Agglomerative (Ward) clustering of tasks by how they transfer out: each "
                "task's column of the first-order affinity matrix, log-scaled and standardised "
                f"per target. Groups (leaf colours): {groups_text}."
            ],
            figures=[("task_tree.png", "Tasks that transfer out alike are joined first.")],
        )
    )

    # Gain / Quality curves
    curve_figs = []
    for metric in ("gain", "quality"):
        series = {
            f"order <= {o}": [getattr(by[b, o], metric) for b in budgets]
            for o in curve_orders
            if (budgets[0], o) in by
        }
        name = f"{metric}_curve.png"
        plots.curves(
            budgets,
            series,
            f"{metric.title()} of the chosen transfers",
            "Gain (win rate vs pixels)" if metric == "gain" else "Quality (win rate vs self)",
            out / name,
        )
        curve_figs.append((name, f"Mean {metric} over targets as the budget grows."))
    table = [
        (b, o, by[b, o].status, by[b, o].gain, by[b, o].quality, " ".join(by[b, o].roots))
        for b in budgets
        for o in curve_orders
        if (b, o) in by
    ]
    middle = sorted(graph_budgets)[len(graph_budgets) // 2]
    chosen = by.get((middle, top_order))
    transferred = {
        t: gain[k]
        for t, k in (chosen.choices if chosen else {}).items()
        if not k.startswith("self__") and k in gain
    }
    helped = sorted(t for t, g in transferred.items() if g > 0.5)
    gain_verdicts = (
        [
            (
                f"Budget {middle}, order <= {top_order}: the chosen transfer beats training from "
                f"scratch (Gain > 0.5) for {len(helped)} of the {len(transferred)} targets solved "
                "by transfer"
                + (
                    f"; not for {', '.join(sorted(set(transferred) - set(helped)))}."
                    if len(helped) < len(transferred)
                    else "."
                ),
                len(helped) > len(transferred) / 2,
            )
        ]
        if transferred
        else []
    )
    sections.append(
        Section(
            "Gain and Quality",
            verdicts=gain_verdicts,
            paragraphs=[
                "Gain: fraction of test samples on which the chosen transfer beats a network "
                "trained from scratch on the same little data (> 0.5: transfer helped). Quality: "
                "fraction on which it beats the fully supervised network (0.5: as good). Targets "
                "that are roots count with their own network."
                + (
                    f" Quality is averaged over the {len(scored)} targets that have a network of "
                    f"their own; {', '.join(t for t in targets if t not in scored)} have none."
                    if len(scored) < len(targets)
                    else ""
                )
            ],
            figures=curve_figs,
            tables=[(("budget", "max order", "status", "gain", "quality", "roots"), table)],
        )
    )

    # Significance
    band_budgets = sorted(bands)
    beats = [b for b in band_budgets if by[b, top_order].quality > bands[b][2]]
    plots.curves(
        budgets,
        {"taxonomy (optimal)": [by[b, top_order].quality for b in budgets]},
        f"Quality against random feasible taxonomies (order <= {top_order})",
        "Quality (win rate vs self)",
        out / "significance.png",
        band=([bands[b][0] for b in band_budgets], [bands[b][2] for b in band_budgets])
        if band_budgets == budgets
        else None,
        band_label="random taxonomies, 5th-95th percentile",
    )
    share = len(beats) / max(len(band_budgets), 1)
    sections.append(
        Section(
            "Significance",
            verdicts=[
                (
                    f"The taxonomy's Quality is above the 95th percentile of {random_samples} "
                    f"random feasible taxonomies for {len(beats)} of {len(band_budgets)} budgets.",
                    share > 0.5,
                )
            ],
            figures=[("significance.png", "Each random taxonomy uses the same budget and order.")],
        )
    )

    # Taxonomy graphs
    graph_figs = []
    for budget in graph_budgets:
        for order in curve_orders:
            row = by.get((budget, order))
            if row is None or not row.choices:
                continue
            transfers = {
                t: k.split("__")[:-1] for t, k in row.choices.items() if not k.startswith("self__")
            }
            name = f"taxonomy_b{budget}_o{order}.png"
            labels = {t: f"Q {quality[k]:.2f}" for t, k in row.choices.items() if k in quality}
            shares = stable.get((budget, order))
            if shares is not None:
                for t, share in shares.transfer_frequency.items():
                    if t in transfers:
                        labels[t] = f"{labels[t]}, {share:.0%}" if t in labels else f"{share:.0%}"
            plots.taxonomy_graph(
                row.roots,
                transfers,
                f"Budget {budget}, order <= {order}: Quality "
                f"{row.quality:.2f}, Gain {row.gain:.2f}",
                out / name,
                labels=labels,
                root_labels={r: f"{shares.root_frequency.get(r, 0):.0%}" for r in row.roots}
                if shares
                else None,
                edge_frequency=shares.edge_frequency if shares else None,
            )
            graph_figs.append(
                (
                    name,
                    f"Roots (left) are trained with full supervision; every "
                    f"other target reads out from them. Budget {budget}, order {order}."
                    + (
                        f" Percentages: share of the {shares.solved} bootstrap replicates that "
                        "choose the same root or the same transfer; arrows are as thick as "
                        "the share choosing that edge."
                        if shares
                        else ""
                    ),
                )
            )
    sections.append(
        Section(
            "Taxonomies",
            paragraphs=[
                "Left: the tasks trained from scratch (roots). Right: targets "
                "solved by transfer, labelled with their Quality."
            ],
            figures=graph_figs,
        )
    )

    if stable:
        sections.append(stability_section(stable, top_order))

    summary = {
        "gain_at_budget": {
            "budget": middle,
            "order": top_order,
            "gain": transferred,
            "choices": dict(chosen.choices) if chosen else {},
        },
        "sweep": [r.__dict__ for r in rows],
        "significance": {str(b): v for b, v in bands.items()},
        "tree": {"tasks": tree.tasks, "linkage": tree.linkage.tolist(), "mixed": mixed},
    }
    write_json(out / "evaluation.json", summary)
    return sections, summary


def problem_roots_candidates(problem) -> list[str]:
    """Tasks that can be trained from scratch (the budget never needs to exceed their count)."""
    return list(problem.sources)
