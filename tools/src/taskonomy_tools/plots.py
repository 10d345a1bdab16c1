"""The report's figures, each written as a PNG (matplotlib, Agg backend, no screen needed)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib
import matplotlib.ticker

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
    xlabel: str = "source",
    ylabel: str = "target",
    limits: tuple[float, float] | None = None,
) -> Path:
    """A (rows x cols) matrix as a labelled heatmap; NaN cells are left blank."""
    values = np.log10(np.where(matrix > 0, matrix, np.nan)) if log else matrix
    height = max(3.0, 0.28 * len(rows) + 1.5)
    width = max(4.0, 0.28 * len(cols) + 2.5)
    fig, ax = plt.subplots(figsize=(width, height))
    vmin, vmax = limits or (None, None)
    image = ax.imshow(
        np.ma.masked_invalid(values), cmap="viridis", aspect="auto", vmin=vmin, vmax=vmax
    )
    ax.set_xticks(range(len(cols)), cols, rotation=90, fontsize=8)
    ax.set_yticks(range(len(rows)), rows, fontsize=8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
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
    root_labels: Mapping[str, str] | None = None,
    edge_frequency: Mapping[str, float] | None = None,
) -> Path:
    """Roots on the left, targets on the right; a transfer is a fan of arrows into its target.

    `transfers` maps each target solved by transfer to its source tasks; `labels` and
    `root_labels` add a note to a target's or a root's name. With `edge_frequency`
    (``"source->target"`` -> share of bootstrap replicates choosing that edge) each arrow is
    drawn as thick and as opaque as that share.
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
            note = ((labels if column == 1 else root_labels) or {}).get(name)
            ax.text(
                column,
                y,
                f"{name}  {note}" if note else name,
                ha="right" if column == 0 else "left",
                va="center",
                fontsize=8,
                bbox={"boxstyle": "round,pad=0.25", "fc": face, "ec": "0.5"},
            )
    cmap = plt.get_cmap("tab10")
    for i, target in enumerate(targets):
        color = cmap(i % 10)
        for source in transfers[target]:
            share = None if edge_frequency is None else edge_frequency.get(f"{source}->{target}", 0)
            style = (
                {"lw": 1.0, "alpha": 0.8}
                if share is None
                else {"lw": 0.4 + 2.6 * share, "alpha": 0.25 + 0.75 * share}
            )
            ax.annotate(
                "",
                xy=(0.98, ypos[1.0, target]),
                xytext=(0.02, ypos[0.0, source]),
                arrowprops={"arrowstyle": "->", "color": color, **style},
            )
    ax.set_xlim(-0.45, 1.75)
    ax.set_ylim(0, 1)
    ax.axis("off")
    ax.set_title(title, fontsize=10)
    return save(fig, path)


def interval_panels(
    panels: Mapping[str, Sequence[tuple[str, float, float, float]]], title: str, path: Path
) -> Path:
    """One small panel per target: its competitors' values with intervals, best on top.

    `panels` maps a target to ``(label, estimate, low, high)`` rows, best first; each panel's
    x axis starts at 0, so an interval's width reads against its value.
    """
    columns = 3
    rows = max(1, -(-len(panels) // columns))
    height = max(len(v) for v in panels.values()) if panels else 1
    fig, axes = plt.subplots(
        rows, columns, figsize=(12, rows * (0.32 * height + 0.9)), squeeze=False
    )
    for ax in axes.ravel()[len(panels) :]:
        ax.axis("off")
    for ax, (target, items) in zip(axes.ravel(), panels.items(), strict=False):
        y = np.arange(len(items))[::-1]
        values = np.array([[v, lo, hi] for _, v, lo, hi in items], dtype=float)
        ax.hlines(y, values[:, 1], values[:, 2], color="#4a7fb5", lw=2)
        ax.plot(values[:, 0], y, "o", color="#1f3f6b", markersize=3)
        ax.set_yticks(y, [label for label, *_ in items], fontsize=7)
        ax.set_xlim(0, float(np.nanmax(values)) * 1.08)
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(3))
        ax.xaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%.3g"))
        ax.tick_params(axis="x", labelsize=7)
        ax.set_title(target, fontsize=9)
        ax.grid(alpha=0.3, axis="x")
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return save(fig, path)


def _panel(ax: plt.Axes, kind: str, value: np.ndarray) -> None:
    """Draw one label or prediction the way people look at that kind of task."""
    value = np.asarray(value, dtype=np.float32)
    ax.set_xticks([])
    ax.set_yticks([])
    if kind in ("vector", "classes"):
        ax.bar(range(value.size), value.ravel(), color="#4a7fb5")
        ax.set_ylim(min(0.0, float(value.min())), max(1e-6, float(value.max())) * 1.1)
        return
    if kind == "pixel_classes" and value.ndim == 3:
        value = value.argmax(0)
    if kind == "pixel_embedding" and value.ndim == 3:
        flat = value.reshape(value.shape[0], -1).T
        flat = flat - flat.mean(0)
        top = np.linalg.svd(flat, full_matrices=False)[2][:3]
        rgb = (flat @ top.T).T.reshape(-1, *value.shape[1:])
        low, high = rgb.min((1, 2), keepdims=True), rgb.max((1, 2), keepdims=True)
        ax.imshow(np.moveaxis((rgb - low) / np.maximum(high - low, 1e-6), 0, -1))
        return
    if value.ndim == 2:  # class or segment ids
        ax.imshow(value, cmap="tab20", interpolation="nearest", vmin=0, vmax=19)
        return
    if value.shape[0] == 3:
        ax.imshow(np.clip(np.moveaxis(value, 0, -1), 0, 1))
        return
    ax.imshow(value[0], cmap="gray" if value.shape[0] == 1 else "coolwarm")


def montage(images: np.ndarray) -> np.ndarray:
    """k images (k, C, H, W) as one (C, rows * H, cols * W): 3 x 3 for jigsaw's nine tiles, else
    side by side, with a 1-pixel white gap.

    >>> montage(np.zeros((9, 3, 4, 4))).shape
    (3, 14, 14)
    """
    k, c, h, w = images.shape
    cols = 3 if k == 9 else k
    rows = -(-k // cols)
    out = np.ones((c, rows * (h + 1) - 1, cols * (w + 1) - 1), dtype=images.dtype)
    for i, image in enumerate(images):
        r, q = divmod(i, cols)
        out[:, r * (h + 1) : r * (h + 1) + h, q * (w + 1) : q * (w + 1) + w] = image
    return out


def sample_grid(
    rows: Sequence[tuple[str, str, Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]]]],
    title: str,
    path: Path,
) -> Path:
    """One row per task: for each sample the input image, the ground truth and the prediction.

    `rows` holds `(task name, trainer kind, [(rgb, truth, prediction), ...])`.
    """
    samples = max(len(r[2]) for r in rows)
    fig, axes = plt.subplots(
        len(rows),
        3 * samples,
        figsize=(1.35 * 3 * samples, 1.35 * len(rows) + 0.6),
        squeeze=False,
        layout="constrained",
    )
    for r, (name, kind, triples) in enumerate(rows):
        if kind == "classes":
            # A class index as one-hot; many classes: show the dozen that the shown samples'
            # ground truth weighs most, then those predicted most.
            triples = [
                (rgb, np.eye(len(pred))[int(truth)] if np.ndim(truth) == 0 else truth, pred)
                for rgb, truth, pred in triples
            ]
            weight = np.sum([t[1] for t in triples], axis=0) * 1e3
            shown = np.sort(np.argsort(-(weight + np.sum([t[2] for t in triples], axis=0)))[:12])
            triples = [(rgb, truth[shown], pred[shown]) for rgb, truth, pred in triples]
        for s, (rgb, truth, prediction) in enumerate(triples):
            _panel(axes[r, 3 * s], "pixel_regression", rgb)
            _panel(axes[r, 3 * s + 1], kind, truth)
            _panel(axes[r, 3 * s + 2], kind, prediction)
        axes[r, 0].set_ylabel(name, fontsize=8, rotation=0, ha="right", va="center")
    for s in range(samples):
        for c, label in enumerate(("input", "truth", "prediction")):
            axes[0, 3 * s + c].set_title(label, fontsize=8)
    fig.suptitle(title, fontsize=10)
    return save(fig, path)


def bars(values: Mapping[str, float], title: str, xlabel: str, path: Path) -> Path:
    """Horizontal bars, largest first, with a 0.5 reference line (win rates)."""
    names = sorted(values, key=values.get)
    fig, ax = plt.subplots(figsize=(6, max(2.5, 0.3 * len(names) + 1)))
    ax.barh(names, [values[n] for n in names], color="#4a7fb5")
    ax.axvline(0.5, color="0.4", linestyle=":", linewidth=1)
    ax.set_xlim(0, 1)
    ax.set_xlabel(xlabel)
    ax.set_title(title, fontsize=10)
    ax.tick_params(labelsize=8)
    return save(fig, path)
