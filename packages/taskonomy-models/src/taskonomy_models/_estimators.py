"""Cheap transferability estimators from cached representations: seconds, not readout training.

Three scores, higher = the source transfers better to the target (#14):

- ``logme``: LogME (You et al., ICML 2021), the log marginal evidence per sample of a Bayesian
  linear model from features to each target column, maximised over the prior precision alpha and
  noise precision beta by the paper's fixed-point iteration on one SVD of the features. Continuous
  targets: one model per target column; classes: one per class on its one-hot column (as in the
  paper); the score is the mean over columns.
- ``hscore``: H-score (Bao et al., 2019), tr(cov(f)^-1 cov(E[f|y])), with the feature covariance
  shrunk by Ledoit-Wolf as in Ibrahim et al. (ICLR 2022), which keeps it stable when the feature
  dimension approaches the sample count. It needs discrete labels: each continuous target column is
  cut into ``bins`` quantile bins and the scores of the columns are averaged.
- ``ridge``: closed-form ridge regression ("linear MSE") with an intercept, k-fold validated;
  score = minus the mean squared error on the held-out folds (classes: on one-hot targets). Each
  training fold picks its ridge lambda from a grid by exact leave-one-out (closed form on the SVD).

Dense targets (pixel kinds) go through one adapter: ``pixels_per_image`` valid pixels (mask True)
are drawn at random from each target map, without replacement, the same pixels for every source,
and each is paired with the representation cell (C values) covering it: cell (y*h//H, x*w//W).
Non-pixel targets use the whole representation flattened (k images: concatenated). Soft class
labels count as their most likely class. Metric-learning targets (``pixel_embedding``: segment ids
that mean nothing across images) have no column to regress and are refused.

Everything runs in float64 with torch, on the CPU unless a ``device`` is given.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import torch
from torch import Tensor

from ._data import ArrayLike, check_labels, check_masks, take
from ._device import resolve_device
from ._tasks import TaskSpec, as_task

METHODS = ("logme", "hscore", "ridge")
RIDGE_GRID = tuple(10.0**p for p in range(-4, 5))  # x mean squared singular value of the fold


def logme_score(features: ArrayLike, targets: ArrayLike, device: str | None = None) -> float:
    """LogME: mean over target columns of the maximised log evidence per sample.

    ``targets``: int (n,) class ids (one-hot columns) or float (n,) / (n, K) continuous values.

    >>> rng = np.random.default_rng(0)
    >>> f = rng.standard_normal((200, 5))
    >>> good = logme_score(f, f @ np.arange(5.0) + 0.1 * rng.standard_normal(200))
    >>> bad = logme_score(f, rng.standard_normal(200))
    >>> good > bad
    True
    """
    f, y = _inputs(features, targets, device)
    return float(logme_evidence(f, _columns(y))[0].mean())


def logme_evidence(f: Tensor, y: Tensor, iterations: int = 100) -> tuple[Tensor, Tensor, Tensor]:
    """Per column of ``y`` (n, K): (evidence / n, alpha, beta) at the fixed point.

    The fixed point (MacKay's updates, LogME Algorithm 1) is a stationary point of the evidence:
    gamma = sum beta s_i / (alpha + beta s_i), alpha = gamma / |m|^2,
    beta = (n - gamma) / |y - F m|^2, with m = beta (alpha + beta F^T F)^-1 F^T y.
    """
    n, d = f.shape
    _, sv, vh = torch.linalg.svd(f, full_matrices=False)
    s = sv**2  # nonzero eigenvalues of F^T F; the other d - len(s) are 0
    proj = vh @ (f.T @ y)  # (r, K): V^T F^T y
    y2 = (y**2).sum(0)
    alpha = torch.ones(y.shape[1], dtype=f.dtype, device=f.device)
    beta = torch.ones_like(alpha)

    def posterior(alpha: Tensor, beta: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        denom = alpha + beta * s[:, None]  # (r, K)
        mv = beta * proj / denom  # m in the basis V
        m2 = (mv**2).sum(0)
        # |y - F m|^2 = |y|^2 - 2 m^T F^T y + m^T F^T F m, in the basis V
        resid = (y2 - 2 * (mv * proj).sum(0) + (s[:, None] * mv**2).sum(0)).clamp_min(1e-300)
        gamma = (beta * s[:, None] / denom).sum(0)
        return m2, resid, gamma, denom

    for _ in range(iterations):
        m2, resid, gamma, _ = posterior(alpha, beta)
        new_alpha = gamma / m2.clamp_min(1e-300)
        new_beta = (n - gamma) / resid
        done = ((new_alpha / new_beta) / (alpha / beta) - 1).abs().max() < 1e-10
        alpha, beta = new_alpha, new_beta
        if done:
            break
    m2, resid, _, denom = posterior(alpha, beta)
    evidence = (
        d / 2 * alpha.log()
        + n / 2 * beta.log()
        - n / 2 * np.log(2 * np.pi)
        - beta / 2 * resid
        - alpha / 2 * m2
        - 0.5 * (denom.log().sum(0) + (d - len(s)) * alpha.log())
    )
    return evidence / n, alpha, beta


def hscore(
    features: ArrayLike,
    targets: ArrayLike,
    shrinkage: bool = True,
    bins: int = 10,
    device: str | None = None,
) -> float:
    """H-score tr(cov(f)^-1 cov(E[f|y])); cov(f) Ledoit-Wolf shrunk unless ``shrinkage=False``.

    ``targets``: int (n,) class ids, or float (n,) / (n, K) values cut into ``bins`` quantile bins
    per column (scores averaged over columns). With shrinkage gamma the score is
    tr(((1 - gamma) cov + gamma mu I)^-1 (1 - gamma) cov(E[f|y])) (Ibrahim et al., 2022).
    Features close to white noise (isotropic covariance) get gamma near 1, so a score near 0:
    the shrunk score ranks sources whose features have structure, as learned codes do.

    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 3, 300)
    >>> f_good = rng.standard_normal((300, 4)) + 3 * np.eye(3, 4)[y]
    >>> hscore(f_good, y) > hscore(rng.standard_normal((300, 4)), y)
    True
    """
    f, y = _inputs(features, targets, device)
    f = f - f.mean(0)
    if y.dtype == torch.int64:
        classes = [y]
    else:
        classes = [_quantile_bins(col, bins) for col in _columns(y).T]
    cov = f.T @ f / f.shape[0]
    gamma = _ledoit_wolf(f) if shrinkage else 0.0
    mu = torch.trace(cov) / f.shape[1]
    shrunk = (1 - gamma) * cov + gamma * mu * torch.eye(f.shape[1], dtype=f.dtype, device=f.device)
    inverse = torch.linalg.pinv(shrunk, hermitian=True)
    scores = []
    for labels in classes:
        k = int(labels.max()) + 1
        sums = torch.zeros(k, f.shape[1], dtype=f.dtype, device=f.device).index_add_(0, labels, f)
        counts = torch.bincount(labels, minlength=k).to(f.dtype).clamp_min(1)
        g = (sums / counts[:, None])[labels]  # E[f | y] per sample; f is centred, so is g
        cov_g = g.T @ g / f.shape[0]
        scores.append(torch.trace(inverse @ ((1 - gamma) * cov_g)))
    return float(torch.stack(scores).mean())


def ridge_score(
    features: ArrayLike,
    targets: ArrayLike,
    folds: int = 5,
    lam: float | None = None,
    seed: int = 0,
    device: str | None = None,
) -> float:
    """Minus the k-fold validation MSE of closed-form ridge regression with an intercept.

    Folds: ``np.array_split(np.random.default_rng(seed).permutation(n), folds)``. Features and
    targets are centred on each training fold; ridge minimises |Xw - y|^2 + lam |w|^2. ``lam``
    None: per training fold, the value of ``RIDGE_GRID`` x the mean squared singular value with
    the least exact leave-one-out error. Classes (int ids) are regressed as one-hot columns.

    >>> rng = np.random.default_rng(0)
    >>> f = rng.standard_normal((200, 5))
    >>> y = f @ np.arange(5.0) + 0.1 * rng.standard_normal(200)
    >>> ridge_score(f, y) > ridge_score(rng.standard_normal((200, 5)), y)
    True
    """
    f, y = _inputs(features, targets, device)
    y = _columns(y)
    n = f.shape[0]
    if not 2 <= folds <= n:
        raise ValueError(f"folds must be between 2 and the {n} samples, got {folds}")
    order = np.random.default_rng(seed).permutation(n)
    errors = 0.0
    for held in np.array_split(order, folds):
        train = torch.from_numpy(np.setdiff1d(order, held)).to(f.device)
        held_t = torch.from_numpy(held).to(f.device)
        x, t = f[train], y[train]
        fm, tm = x.mean(0), t.mean(0)
        x, t = x - fm, t - tm
        u, sv, vh = torch.linalg.svd(x, full_matrices=False)
        ut = u.T @ t
        chosen = lam if lam is not None else _loo_lambda(u, sv, ut, t)
        w = vh.T @ (sv[:, None] / (sv[:, None] ** 2 + chosen) * ut)
        pred = (f[held_t] - fm) @ w + tm
        errors += float(((pred - y[held_t]) ** 2).sum())
    return -errors / (n * y.shape[1])


def _loo_lambda(u: Tensor, sv: Tensor, ut: Tensor, t: Tensor) -> float:
    """The grid lambda with the least leave-one-out MSE: residual_i / (1 - H_ii), on the SVD."""
    scale = float((sv**2).mean()) if len(sv) else 1.0
    best, best_err = RIDGE_GRID[0] * scale, np.inf
    for g in RIDGE_GRID:
        lam = g * scale
        shrink = sv**2 / (sv**2 + lam)
        fitted = u @ (shrink[:, None] * ut)
        leverage = (u**2 @ shrink).clamp_max(1 - 1e-12)
        err = float((((t - fitted) / (1 - leverage)[:, None]) ** 2).mean())
        if err < best_err:
            best, best_err = lam, err
    return best


Estimator = Callable[..., float]
ESTIMATORS: dict[str, Estimator] = {"logme": logme_score, "hscore": hscore, "ridge": ridge_score}


def estimate_transferability(
    task_spec: TaskSpec | Mapping[str, Any],
    representations: Mapping[str, ArrayLike],
    labels: ArrayLike,
    masks: ArrayLike | None = None,
    method: str = "logme",
    seed: int = 0,
    pixels_per_image: int = 64,
    device: str | None = None,
) -> dict[str, float]:
    """One score per source for target ``task_spec``; higher = expected to transfer better.

    ``representations``: source -> (N, C, h, w) or (N, k, C, h, w) codes, as
    :func:`extract_representations` gives them; ``labels`` and ``masks`` as for
    :func:`train_readouts`. Pixel targets are sampled (``pixels_per_image`` per image, ``seed``);
    see the module docstring for each method and the dense adapter.

    >>> rng = np.random.default_rng(0)
    >>> reps = {s: rng.standard_normal((64, 8, 2, 2)).astype(np.float16) for s in "ab"}
    >>> y = reps["a"].reshape(64, -1)[:, :3].astype(np.float32)
    >>> task = {"name": "t", "kind": "vector", "channels": 3, "loss": "l2"}
    >>> scores = estimate_transferability(task, reps, y, method="ridge")
    >>> max(scores, key=scores.get)
    'a'
    """
    if method not in ESTIMATORS:
        raise ValueError(f"unknown method {method!r}; use one of {METHODS}")
    task = as_task(task_spec)
    if task.kind == "pixel_embedding":
        raise ValueError(
            f"task {task.name!r}: pixel_embedding targets (per-image segment ids) have no values "
            "to estimate against; score them with train_readouts"
        )
    if not representations:
        raise ValueError("no representations given; pass {source: (N, C, h, w) array}")
    n = labels.shape[0]
    reps = {s: _representation(s, r, n, task) for s, r in representations.items()}
    if task.is_pixelwise:
        grid = tuple(int(v) for v in labels.shape[-2:])
        check_labels(task, labels, n, grid)
        check_masks(task, masks, n, grid)
        feats, y = _dense_pairs(reps, labels, masks, pixels_per_image, seed)
    else:
        check_labels(task, labels, n, None)
        check_masks(task, masks, n, None)
        keep = slice(None) if masks is None else np.asarray(masks)
        feats = {s: r.reshape(n, -1)[keep] for s, r in reps.items()}
        y = np.asarray(labels)[keep]
    if task.kind in ("classes", "pixel_classes") and not np.issubdtype(y.dtype, np.integer):
        y = y.argmax(1)  # soft labels: the most likely class
    estimator = ESTIMATORS[method]
    extra = {"seed": seed} if method == "ridge" else {}
    return {s: estimator(f, y, device=device, **extra) for s, f in feats.items()}


def _dense_pairs(
    reps: dict[str, np.ndarray],
    labels: ArrayLike,
    masks: ArrayLike | None,
    per_image: int,
    seed: int,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The dense adapter: per image, up to ``per_image`` random valid pixels, each paired with
    the representation cell covering it (the same pixels for every source)."""
    if per_image < 1:
        raise ValueError(f"pixels_per_image must be >= 1, got {per_image}")
    rng = np.random.default_rng(seed)
    n, (hh, ww) = labels.shape[0], labels.shape[-2:]
    feats: dict[str, list[np.ndarray]] = {s: [] for s in reps}
    ys = []
    for start in range(0, n, 256):
        block = slice(start, min(start + 256, n))
        y = take(labels, block)
        b = y.shape[0]
        valid = np.ones((b, hh * ww), bool) if masks is None else take(masks, block).reshape(b, -1)
        keys = np.where(valid, rng.random((b, hh * ww)), np.inf)
        pick = np.argsort(keys, axis=1)[:, :per_image]
        ok = np.take_along_axis(valid, pick, 1)
        rows = np.broadcast_to(np.arange(b)[:, None], pick.shape)[ok]
        py, px = pick[ok] // ww, pick[ok] % ww
        if y.ndim == 4:  # (b, c, H, W) values or distributions -> (pairs, c)
            ys.append(y[rows, :, py, px])
        else:  # (b, H, W) class ids
            ys.append(y[rows, py, px])
        for s, r in reps.items():
            h, w = r.shape[-2:]
            feats[s].append(r[start + rows, :, py * h // hh, px * w // ww])
    return {s: np.concatenate(v) for s, v in feats.items()}, np.concatenate(ys)


def _representation(source: str, rep: ArrayLike, n: int, task: TaskSpec) -> np.ndarray:
    """One source's codes as float32 (N, C', h, w), k images' channels side by side."""
    r = np.asarray(rep, dtype=np.float32)
    if r.ndim == 5:
        r = r.reshape(r.shape[0], -1, *r.shape[-2:])
    if r.ndim != 4 or r.shape[0] != n:
        raise ValueError(
            f"representations of {source!r} have shape {r.shape}, expected ({n}, C, h, w) or "
            f"({n}, k, C, h, w) to match the {n} labels of target {task.name!r}"
        )
    if not np.isfinite(r).all():
        bad = np.flatnonzero(~np.isfinite(r.reshape(n, -1)).all(1))
        raise ValueError(
            f"representations of {source!r} hold NaN/inf (samples {bad[:5].tolist()}); "
            "re-extract them or drop those samples"
        )
    return r


def _inputs(features: ArrayLike, targets: ArrayLike, device: str | None) -> tuple[Tensor, Tensor]:
    """float64 (n, d) features and int64 (n,) or float64 targets on ``device``, checked."""
    dev = resolve_device(device or "cpu")
    f, y = np.asarray(features), np.asarray(targets)
    if f.ndim != 2 or f.shape[0] < 2:
        raise ValueError(f"features must be (n >= 2, d), got shape {f.shape}")
    if y.shape[:1] != f.shape[:1] or y.ndim > 2:
        raise ValueError(
            f"{f.shape[0]} feature rows but targets of shape {y.shape}; give one target row "
            "(a class id or a value vector) per feature row"
        )
    if not np.isfinite(f).all():
        raise ValueError("features hold NaN/inf; re-extract them or drop those rows")
    if np.issubdtype(y.dtype, np.integer):
        if y.ndim != 1 or y.min() < 0:
            raise ValueError("integer targets must be (n,) class ids >= 0")
        yt = torch.from_numpy(y.astype(np.int64))
    elif np.issubdtype(y.dtype, np.floating):
        if not np.isfinite(y).all():
            raise ValueError("targets hold NaN/inf; mask those entries or fix the labels")
        yt = torch.from_numpy(y.astype(np.float64))
    else:
        raise ValueError(f"targets must be integer class ids or float values, got {y.dtype}")
    return torch.from_numpy(f.astype(np.float64)).to(dev), yt.to(dev)


def _columns(y: Tensor) -> Tensor:
    """(n, K) float64 target columns: one-hot for class ids."""
    if y.dtype == torch.int64:
        return torch.nn.functional.one_hot(y).to(torch.float64)
    return y.reshape(y.shape[0], -1)


def _quantile_bins(column: Tensor, bins: int) -> Tensor:
    """Class ids 0.. of a continuous column cut at its quantiles (ties share a bin)."""
    edges = torch.quantile(
        column, torch.linspace(0, 1, bins + 1, dtype=column.dtype, device=column.device)[1:-1]
    )
    ids = torch.bucketize(column.contiguous(), edges.unique())
    return torch.unique(ids, return_inverse=True)[1]


def _ledoit_wolf(x: Tensor) -> float:
    """Ledoit-Wolf shrinkage coefficient of centred ``x`` (n, d), as scikit-learn computes it."""
    n, d = x.shape
    x2 = x**2
    trace_diag = x2.sum(0) / n
    mu = trace_diag.sum() / d
    beta_ = (x2.T @ x2).sum()
    delta_ = ((x.T @ x) ** 2).sum() / n**2
    beta = (beta_ / n - delta_) / (d * n)
    delta = (delta_ - 2 * mu * trace_diag.sum() + d * mu**2) / d
    beta = torch.minimum(beta, delta)
    return 0.0 if float(delta) == 0 else float(beta / delta)
