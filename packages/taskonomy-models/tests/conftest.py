"""Tiny synthetic data for every output kind: learnable from 32x32 images in a few steps."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch

torch.set_num_threads(2)

TASKS = {
    "pixel_regression": {"name": "gray", "kind": "pixel_regression", "channels": 1, "loss": "l1"},
    "pixel_classes": {
        "name": "bright",
        "kind": "pixel_classes",
        "channels": 2,
        "loss": "cross_entropy",
        "class_weights": [1.0, 2.0],
    },
    "pixel_embedding": {"name": "seg", "kind": "pixel_embedding", "channels": 4, "loss": "metric"},
    "vector": {"name": "colour", "kind": "vector", "channels": 3, "loss": "l2"},
    "classes": {"name": "hue", "kind": "classes", "channels": 3, "loss": "cross_entropy"},
    "pose": {
        "name": "pose",
        "kind": "vector",
        "channels": 6,
        "loss": "pose",
        "images_per_sample": 2,
    },
}


def make_images(n: int, px: int = 32, seed: int = 0, k: int = 1) -> np.ndarray:
    """A random colour per image plus a bright square and noise, channels-first in [0, 1]."""
    rng = np.random.default_rng(seed)
    shape = (n, k, 3, px, px)
    base = rng.uniform(0, 0.6, (n, k, 3, 1, 1))
    x = base + rng.uniform(0, 0.1, shape)
    for i in range(n):
        for j in range(k):
            r, c = rng.integers(0, px // 2, 2)
            x[i, j, :, r : r + px // 2, c : c + px // 2] += 0.3
    x = np.clip(x, 0, 1).astype(np.float32)
    return x[:, 0] if k == 1 else x


def make_labels(kind: str, images: np.ndarray) -> np.ndarray:
    if kind == "pixel_regression":
        return images.mean(1, keepdims=True)
    if kind == "pixel_classes":
        return (images.mean(1) > images.mean((1, 2, 3))[:, None, None]).astype(np.int64)
    if kind == "pixel_embedding":
        return (images[:, 0] > images[:, 0].mean((1, 2))[:, None, None]).astype(np.int64)
    if kind == "vector":
        return images.mean((2, 3))
    if kind == "classes":
        return images.mean((2, 3)).argmax(1).astype(np.int64)
    if kind == "pose":
        m = images.mean((3, 4))  # (N, 2, 3)
        return np.concatenate([m[:, 0] - m[:, 1], m[:, 0] + m[:, 1]], axis=1).astype(np.float32)
    raise KeyError(kind)


def dataset(kind: str, n: int = 48, px: int = 32, seed: int = 0):
    task = TASKS[kind]
    images = make_images(n, px, seed, task.get("images_per_sample", 1))
    return task, images, make_labels(kind, images)


@pytest.fixture
def synth() -> SimpleNamespace:
    """The helpers above (test modules cannot import conftest under --import-mode=importlib)."""
    return SimpleNamespace(tasks=TASKS, dataset=dataset, images=make_images, labels=make_labels)
