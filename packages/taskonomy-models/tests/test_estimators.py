"""Transferability estimators against independent computations, and on targets with a known best
source: a target that is a linear function of one source's features (plus noise)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from taskonomy_models import estimate_transferability, hscore, logme_score, ridge_score
from taskonomy_models._estimators import _ledoit_wolf, logme_evidence

METHODS = ("logme", "hscore", "ridge")


def _log_evidence(alpha: float, beta: float, f: np.ndarray, y: np.ndarray) -> float:
    """log p(y | F, alpha, beta) of the Bayesian linear model, straight from its definition:
    y ~ N(0, I/beta + F F^T / alpha)."""
    n = f.shape[0]
    cov = np.eye(n) / beta + f @ f.T / alpha
    _, logdet = np.linalg.slogdet(cov)
    return -0.5 * (n * np.log(2 * np.pi) + logdet + y @ np.linalg.solve(cov, y))


@pytest.mark.parametrize("shape", [(60, 5), (30, 40)])
def test_logme_fixed_point_is_the_maximum_evidence(shape):
    scipy_optimize = pytest.importorskip("scipy.optimize")
    rng = np.random.default_rng(1)
    f = rng.standard_normal(shape)
    y = f @ rng.standard_normal(shape[1]) * 0.3 + 0.5 * rng.standard_normal(shape[0])
    ev, alpha, beta = logme_evidence(torch.from_numpy(f), torch.from_numpy(y[:, None]))
    res = scipy_optimize.minimize(
        lambda p: -_log_evidence(np.exp(p[0]), np.exp(p[1]), f, y),
        x0=[0.0, 0.0],
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 5000},
    )
    n = shape[0]
    assert float(ev[0]) == pytest.approx(-res.fun / n, rel=1e-6)
    assert float(ev[0]) == pytest.approx(_log_evidence(float(alpha), float(beta), f, y) / n)
    assert np.log(float(alpha)) == pytest.approx(res.x[0], abs=1e-3)
    assert np.log(float(beta)) == pytest.approx(res.x[1], abs=1e-3)
    assert logme_score(f, y) == pytest.approx(float(ev[0]))


def test_logme_classification_is_mean_over_one_hot_columns():
    rng = np.random.default_rng(2)
    f, y = rng.standard_normal((50, 4)), rng.integers(0, 3, 50)
    columns = [logme_score(f, (y == k).astype(np.float64)) for k in range(3)]
    assert logme_score(f, y) == pytest.approx(np.mean(columns))


def test_hscore_matches_its_definition_without_shrinkage():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 4, 200)
    f = rng.standard_normal((200, 6)) + np.eye(4, 6)[y]
    cov_f = np.cov(f, rowvar=False, bias=True)
    means = np.stack([f[y == k].mean(0) for k in range(4)])
    cov_g = np.cov(means[y], rowvar=False, bias=True)
    naive = np.trace(np.linalg.inv(cov_f) @ cov_g)
    assert hscore(f, y, shrinkage=False) == pytest.approx(naive, rel=1e-9)


def test_hscore_shrinkage_is_ledoit_wolf():
    rng = np.random.default_rng(4)
    y = rng.integers(0, 3, 40)
    f = rng.standard_normal((40, 30)) + np.eye(3, 30)[y]
    x = f - f.mean(0)
    n, d = x.shape
    s = x.T @ x / n
    mu = np.trace(s) / d
    # Ledoit & Wolf (2004), Lemma 3.2-3.4: d2 = |S - mu I|^2 / d, b2 = min(d2, mean |x x^T - S|^2)
    d2 = np.sum((s - mu * np.eye(d)) ** 2) / d
    b2 = min(d2, np.mean([np.sum((np.outer(r, r) - s) ** 2) / d for r in x]) / n)
    gamma = b2 / d2
    assert _ledoit_wolf(torch.from_numpy(x)) == pytest.approx(gamma, rel=1e-9)
    shrunk = (1 - gamma) * s + gamma * mu * np.eye(d)
    g = np.stack([x[y == k].mean(0) for k in range(3)])[y]
    expected = np.trace(np.linalg.inv(shrunk) @ ((1 - gamma) * g.T @ g / n))
    assert hscore(f, y) == pytest.approx(expected, rel=1e-8)
    assert np.isfinite(hscore(f[:20], y[:20]))  # n < d: the plain covariance is singular


@pytest.mark.parametrize("lam", [0.0, 3.0])
def test_ridge_matches_lstsq_on_each_fold(lam):
    rng = np.random.default_rng(5)
    n, folds = 53, 4
    f = rng.standard_normal((n, 7))
    y = f @ rng.standard_normal((7, 2)) + 0.3 * rng.standard_normal((n, 2)) + 2.0
    order = np.random.default_rng(9).permutation(n)
    sq = 0.0
    for held in np.array_split(order, folds):
        train = np.setdiff1d(order, held)
        x, t = f[train], y[train]
        xm, tm = x.mean(0), t.mean(0)
        a = np.vstack([x - xm, np.sqrt(lam) * np.eye(7)])
        b = np.vstack([t - tm, np.zeros((7, 2))])
        w = np.linalg.lstsq(a, b, rcond=None)[0]
        sq += np.sum(((f[held] - xm) @ w + tm - y[held]) ** 2)
    expected = -sq / (n * 2)
    assert ridge_score(f, y, folds=folds, lam=lam, seed=9) == pytest.approx(expected, rel=1e-9)
    chosen = ridge_score(f, y, folds=folds, seed=9)  # lambda by leave-one-out: about as good
    assert chosen >= expected - 0.05 * abs(expected)


def _sources(n: int, rng: np.random.Generator, shape=(8, 2, 2)) -> dict[str, np.ndarray]:
    return {s: rng.standard_normal((n, *shape)).astype(np.float16) for s in ("a", "b", "c")}


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("kind", ["vector", "classes"])
def test_linear_target_of_one_source_ranks_it_first(method, kind):
    rng = np.random.default_rng(6)
    reps = _sources(300, rng)
    flat = reps["b"].reshape(300, -1).astype(np.float64)
    z = flat @ rng.standard_normal((flat.shape[1], 3)) + 0.3 * rng.standard_normal((300, 3))
    if kind == "vector":
        task = {"name": "t", "kind": "vector", "channels": 3, "loss": "l2"}
        labels = z.astype(np.float32)
    else:
        task = {"name": "t", "kind": "classes", "channels": 3, "loss": "cross_entropy"}
        labels = z.argmax(1)
    scores = estimate_transferability(task, reps, labels, method=method)
    assert set(scores) == {"a", "b", "c"}
    assert max(scores, key=scores.get) == "b", scores


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("kind", ["pixel_regression", "pixel_classes"])
def test_dense_adapter_ranks_the_generating_source_first(method, kind):
    rng = np.random.default_rng(7)
    n, px = 40, 16
    reps = _sources(n, rng, (8, 4, 4))
    cells = reps["c"].astype(np.float64).repeat(px // 4, 2).repeat(px // 4, 3)  # (n, 8, 16, 16)
    z = np.einsum("nchw,ck->nkhw", cells, rng.standard_normal((8, 2)))
    z += 0.3 * rng.standard_normal(z.shape)
    masks = rng.random((n, 1, px, px)) > 0.3
    if kind == "pixel_regression":
        task = {"name": "t", "kind": kind, "channels": 2, "loss": "l1"}
        labels = z.astype(np.float32)
    else:
        task = {"name": "t", "kind": kind, "channels": 2, "loss": "cross_entropy"}
        labels = z.argmax(1)
    scores = estimate_transferability(task, reps, labels, masks, method=method, seed=3)
    assert max(scores, key=scores.get) == "c", scores


def test_dense_adapter_respects_masks():
    """Labels are NaN / out of range wherever masked: a single masked pixel sampled would fail."""
    rng = np.random.default_rng(8)
    reps = _sources(10, rng, (8, 2, 2))
    masks = np.zeros((10, 1, 8, 8), bool)
    masks[:, :, :4, :] = True
    labels = rng.standard_normal((10, 1, 8, 8)).astype(np.float32)
    labels[~masks] = np.nan
    task = {"name": "t", "kind": "pixel_regression", "channels": 1, "loss": "l1"}
    for method in METHODS:
        scores = estimate_transferability(task, reps, labels, masks, method=method)
        assert all(np.isfinite(v) for v in scores.values())
    with pytest.raises(ValueError, match="NaN"):
        estimate_transferability(task, reps, labels)


def test_seed_redraws_pixels_and_scores_are_reproducible():
    rng = np.random.default_rng(10)
    reps = _sources(12, rng, (8, 2, 2))
    labels = rng.standard_normal((12, 1, 8, 8)).astype(np.float32)
    task = {"name": "t", "kind": "pixel_regression", "channels": 1, "loss": "l1"}
    first = estimate_transferability(task, reps, labels, seed=1, pixels_per_image=8)
    assert first == estimate_transferability(task, reps, labels, seed=1, pixels_per_image=8)
    assert first != estimate_transferability(task, reps, labels, seed=2, pixels_per_image=8)


def test_multi_image_representations_are_concatenated():
    rng = np.random.default_rng(11)
    reps = {s: rng.standard_normal((100, 2, 8, 1, 1)).astype(np.float16) for s in "ab"}
    labels = reps["a"].reshape(100, -1)[:, [0, 9]].astype(np.float32)  # one value from each image
    task = {"name": "p", "kind": "vector", "channels": 2, "loss": "l2", "images_per_sample": 2}
    scores = estimate_transferability(task, reps, labels, method="ridge")
    assert scores["a"] > -0.01 > scores["b"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("nan", "representations of 'a' hold NaN"),
        ("length", r"shape \(9, 8, 2, 2\), expected \(10, C, h, w\)"),
        ("method", "unknown method 'bogus'; use one of"),
        ("embedding", "pixel_embedding targets"),
        ("empty", "no representations given"),
    ],
)
def test_bad_input_is_one_clear_value_error(change, message):
    rng = np.random.default_rng(12)
    reps = _sources(10, rng)
    labels = rng.standard_normal((10, 3)).astype(np.float32)
    task = {"name": "t", "kind": "vector", "channels": 3, "loss": "l2"}
    method = "logme"
    if change == "nan":
        reps["a"][3, 0, 0, 0] = np.nan
    elif change == "length":
        reps["b"] = reps["b"][:9]
    elif change == "method":
        method = "bogus"
    elif change == "embedding":
        task = {"name": "t", "kind": "pixel_embedding", "channels": 4, "loss": "metric"}
    else:
        reps = {}
    with pytest.raises(ValueError, match=message):
        estimate_transferability(task, reps, labels, method=method)


def test_per_method_functions_refuse_bad_arrays():
    f = np.zeros((5, 3))
    with pytest.raises(ValueError, match="5 feature rows but targets of shape"):
        logme_score(f, np.zeros(4))
    with pytest.raises(ValueError, match="features hold NaN"):
        hscore(np.full((5, 3), np.nan), np.zeros(5, np.int64))
    with pytest.raises(ValueError, match="folds must be between 2"):
        ridge_score(f, np.zeros(5), folds=9)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("kind", ["vector", "pixel_classes"])
def test_gpu_scores_match_cpu(kind):
    rng = np.random.default_rng(13)
    reps = _sources(60, rng, (8, 2, 2))
    if kind == "vector":
        task = {"name": "t", "kind": kind, "channels": 2, "loss": "l2"}
        labels = rng.standard_normal((60, 2)).astype(np.float32)
    else:
        task = {"name": "t", "kind": kind, "channels": 3, "loss": "cross_entropy"}
        labels = rng.integers(0, 3, (60, 8, 8))
    for method in METHODS:
        cpu = estimate_transferability(task, reps, labels, method=method)
        gpu = estimate_transferability(task, reps, labels, method=method, device="cuda")
        assert gpu == pytest.approx(cpu, rel=1e-6)


def test_asking_for_a_missing_gpu_is_a_clear_error():
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(ValueError, match="no CUDA GPU is visible"):
        logme_score(np.ones((4, 2)), np.ones(4), device="cuda")
