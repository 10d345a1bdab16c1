"""The report's figures, each written as a PNG (matplotlib, Agg backend, no screen needed)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from scipy.cluster.hierarchy import dendrogram

from .analysis import TaskTree


def save(fig: plt.Figure, path: Path) -> Path:
    """Write the figure atomically (temporary name, then rename) and close it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
    fig.savefig(tmp, dpi=110, bbox_inches="tight")
    plt.close(fig)
    os.replace(tmp, path)
    return path


def heatmap(
    matrix: np.ndarray,
    rows: Sequence[str],
    cols: Sequence[str],
    title: str,
    path: Path,
    *,
    log: bool = False,
    colorbar_label: str = "",
) -> Path:
    """A (rows x cols) matrix as a labelled heatmap; NaN cells are left blank."""
    values = np.log10(np.where(matrix > 0, matrix, np.nan)) if log else matrix
    height = max(3.0, 0.28 * len(rows) + 1.5)
    width = max(4.0, 0.28 * len(cols) + 2.5)
    fig, ax = plt.subplots(figsize=(width, height))
    image = ax.imshow(np.ma.masked_invalid(values), cmap="viridis", aspect="auto")
    ax.set_xticks(range(len(cols)), cols, rotation=90, fontsize=8)
    ax.set_yticks(range(len(rows)), rows, fontsize=8)
    ax.set_xlabel("source")
    ax.set_ylabel("target")
    ax.set_title(title)
    bar = fig.colorbar(image, ax=ax, shrink=0.8)
    bar.set_label(("log10 " if log else "") + colorbar_label)
    return save(fig, path)


def tree_plot(tree: TaskTree, title: str, path: Path, colors: Mapping[str, str] | None = None):
    """The task similarity tree as a dendrogram, leaves coloured by group when given."""
    fig, ax = plt.subplots(figsize=(7, max(3.0, 0.26 * len(tree.tasks))))
    dendrogram(tree.linkage, labels=tree.tasks, orientation="left", ax=ax, color_threshold=0)
    for label in ax.get_ymajorticklabels():
        label.set_color((colors or {}).get(label.get_text(), "black"))
    ax.set_title(title)
    ax.set_xlabel("Ward distance between normalised transfer profiles")
    return save(fig, path)


def curves(
    budgets: Sequence[int],
    series: Mapping[str, Sequence[float]],
    title: str,
    ylabel: str,
    path: Path,
    *,
    band: tuple[Sequence[float], Sequence[float]] | None = None,
    band_label: str = "",
    reference: float | None = 0.5,
) -> Path:
    """Lines over the supervision budget, with an optional shaded percentile band."""
    fig, ax = plt.subplots(figsize=(6, 3.8))
    if band is not None:
        ax.fill_between(budgets, band[0], band[1], color="0.8", label=band_label)
    for label, values in series.items():
        ax.plot(budgets, values, marker="o", markersize=3, label=label)
    if reference is not None:
        ax.axhline(reference, color="0.4", linestyle=":", linewidth=1)
    ax.set_xlabel("supervision budget (tasks trained from scratch)")
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, 1)
    ax.set_title(title)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return save(fig, path)


def taxonomy_graph(
    roots: Sequence[str],
    transfers: Mapping[str, Sequence[str]],
    title: str,
    path: Path,
    *,
    labels: Mapping[str, str] | None = None,
) -> Path:
    """Roots on the left, targets on the right; a transfer is a fan of arrows into its target.

    `transfers` maps each target solved by transfer to its source tasks.
    """
    targets = sorted(transfers)
    roots = sorted(roots)
    height = max(3.0, 0.34 * max(len(roots), len(targets), 1) + 1.2)
    fig, ax = plt.subplots(figsize=(7.5, height))
    ypos = {}
    for column, names in ((0.0, roots), (1.0, targets)):
        for i, name in enumerate(names):
            y = 1 - (i + 0.5) / max(len(names), 1)
            ypos[column, name] = y
            face = "#fde0a6" if column == 0 else "#cfe3f7"
            ax.text(
                column,
                y,
                name,
                ha="right" if column == 0 else "left",
                va="center",
                fontsize=8,
                bbox={"boxstyle": "round,pad=0.25", "fc": face, "ec": "0.5"},
            )
    cmap = plt.get_cmap("tab10")
    for i, target in enumerate(targets):
        color = cmap(i % 10)
        for source in transfers[target]:
            ax.annotate(
                "",
                xy=(0.98, ypos[1.0, target]),
                xytext=(0.02, ypos[0.0, source]),
                arrowprops={"arrowstyle": "->", "color": color, "lw": 1.0, "alpha": 0.8},
            )
        if labels and target in labels:
            ax.text(1.42, ypos[1.0, target], labels[target], fontsize=7, va="center", color="0.3")
    ax.set_xlim(-0.45, 1.75)
    ax.set_ylim(0, 1)
    ax.axis("off")
    ax.set_title(title, fontsize=10)
    return save(fig, path)
