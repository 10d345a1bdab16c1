import numpy as np
import pytest
import torch

from taskonomy_models import TaskSpec, TrainConfig, train_task_network
from taskonomy_models._train import batch_loss

ONE = TrainConfig(epochs=1, batch_size=4, progress=False)


def test_image_and_label_counts_must_match(synth):
    task, images, labels = synth.dataset("vector", n=8)
    with pytest.raises(ValueError, match="7 labels for 8 samples"):
        train_task_network(task, images, labels[:7], config=ONE)


def test_pixel_labels_must_match_the_image_grid(synth):
    task, images, labels = synth.dataset("pixel_regression", n=8)
    with pytest.raises(ValueError, match=r"expected float \(N, 1, H, W\) for 32x32 images"):
        train_task_network(task, images, labels[:, :, :16, :16], config=ONE)


def test_image_layout_must_match_images_per_sample(synth):
    task, _, labels = synth.dataset("pose", n=8)
    with pytest.raises(ValueError, match=r"expected \(N, 2, C, H, W\)"):
        train_task_network(task, synth.images(8), labels, config=ONE)


def test_unknown_loss_is_refused():
    with pytest.raises(ValueError, match=r"unknown loss 'l3'; use one of \['cross_entropy'"):
        train_task_network(
            {"name": "a", "kind": "vector", "channels": 3, "loss": "l3"},
            np.zeros((4, 3, 32, 32), np.float32),
            np.zeros((4, 3), np.float32),
        )


def test_fully_masked_samples_are_refused_before_training(synth):
    task, images, labels = synth.dataset("pixel_regression", n=8)
    masks = np.ones((8, 1, 32, 32), bool)
    masks[[2, 5]] = False
    with pytest.raises(ValueError, match=r"2 sample\(s\) are fully masked \(e.g. \[2, 5\]\)"):
        train_task_network(task, images, labels, masks, config=ONE)


def test_an_all_masked_batch_raises_instead_of_a_nan_loss():
    task = TaskSpec("v", "vector", 2, "l1")
    with pytest.raises(ValueError, match="every sample of a batch is fully masked"):
        batch_loss(task, torch.zeros(3, 2), torch.ones(3, 2), torch.zeros(3, dtype=torch.bool))


def test_nan_labels_are_refused_where_valid_and_ignored_where_masked(synth):
    task, images, labels = synth.dataset("pixel_regression", n=8)
    labels = labels.copy()
    labels[3, 0, 4, 4] = np.nan
    with pytest.raises(ValueError, match=r"labels of samples \[3\] hold NaN"):
        train_task_network(task, images, labels, config=ONE)
    masks = np.ones((8, 1, 32, 32), bool)
    masks[3, 0, 4, 4] = False
    steps = []
    train_task_network(
        task, images, labels, masks, config=ONE, on_step=lambda s, v: steps.append(v)
    )
    assert steps and np.isfinite(steps).all()


def test_class_ids_out_of_range_are_refused(synth):
    task, images, labels = synth.dataset("classes", n=8)
    labels = labels.copy()
    labels[1] = 7
    with pytest.raises(ValueError, match=r"samples \[1\] are outside \[0, 3\)"):
        train_task_network(task, images, labels, config=ONE)


def test_masks_of_the_wrong_shape_are_refused(synth):
    task, images, labels = synth.dataset("vector", n=8)
    with pytest.raises(ValueError, match=r"expected bool \(8,\)"):
        train_task_network(task, images, labels, np.ones((8, 1)), config=ONE)


def test_a_diverging_loss_stops_training(synth):
    task, images, labels = synth.dataset("vector", n=8)
    with pytest.raises(FloatingPointError, match="lower the learning rate"):
        train_task_network(task, images * np.float32(1e38), labels, config=ONE)


@pytest.mark.parametrize("mask", [0o022, 0o002])
def test_saved_networks_get_the_umask_mode(tmp_path, mask):
    import os

    from taskonomy_models import build_network, save_network

    net = build_network(
        {"name": "edge2d", "kind": "pixel_regression", "channels": 1, "loss": "l1"},
        "tiny",
        (32, 32),
        seed=0,
    )
    old = os.umask(mask)
    try:
        save_network(net, tmp_path / "n.pt")
    finally:
        os.umask(old)
    assert (tmp_path / "n.pt").stat().st_mode & 0o777 == 0o666 & ~mask
    assert [p.name for p in tmp_path.iterdir()] == ["n.pt"]
