import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from taskonomy_models import LOSSES, TaskSpec


def loss(name, *args):
    values, weight = LOSSES[name].fn(*args)
    return values, weight


def test_l1_averages_valid_pixels_of_each_sample():
    pred = torch.zeros(2, 1, 2, 2)
    target = torch.tensor([[[[1.0, 2.0], [3.0, 100.0]]], [[[1.0, 1.0], [1.0, 1.0]]]])
    mask = torch.ones(2, 1, 2, 2, dtype=torch.bool)
    mask[0, 0, 1, 1] = False
    values, weight = loss("l1", pred, target, mask, None)
    torch.testing.assert_close(values, torch.tensor([2.0, 1.0]))
    torch.testing.assert_close(weight, torch.tensor([3.0, 4.0]))


def test_l2_on_vectors_with_a_masked_sample():
    pred, target = torch.zeros(3, 2), torch.tensor([[1.0, 3.0], [2.0, 2.0], [5.0, 5.0]])
    values, weight = loss("l2", pred, target, torch.tensor([True, True, False]), None)
    torch.testing.assert_close(values[:2], torch.tensor([5.0, 4.0]))
    assert weight.tolist() == [1.0, 1.0, 0.0]


def test_cross_entropy_soft_one_hot_equals_hard_and_matches_torch_with_weights():
    torch.manual_seed(0)
    logits, ids = torch.randn(2, 4, 3, 3), torch.randint(0, 4, (2, 3, 3))
    w = torch.tensor([1.0, 2.0, 0.5, 3.0])
    hard, _ = loss("cross_entropy", logits, ids, None, w)
    soft, _ = loss("cross_entropy", logits, F.one_hot(ids, 4).permute(0, 3, 1, 2).float(), None, w)
    torch.testing.assert_close(hard, soft)
    for i in range(2):
        ref = F.cross_entropy(logits[i : i + 1], ids[i : i + 1], weight=w)
        torch.testing.assert_close(hard[i], ref)


def test_pose_wraps_angles():
    target = torch.tensor([[0.1, -3.0, 1.0, 1.0, 2.0, 3.0]])
    pred = target.clone()
    pred[0, :3] += 2 * math.pi
    assert loss("pose", pred, target, None, None)[0].item() == pytest.approx(0, abs=1e-10)
    pred[0, 3] += 1.0
    assert loss("pose", pred, target, None, None)[0].item() == pytest.approx(1 / 6, rel=1e-5)


def test_pose_refuses_vectors_that_are_not_poses():
    with pytest.raises(ValueError, match="6k values"):
        loss("pose", torch.zeros(1, 5), torch.zeros(1, 5), None, None)


def test_metric_loss_rewards_embeddings_that_separate_segments():
    seg = torch.zeros(1, 8, 8, dtype=torch.int64)
    seg[:, :, 4:] = 1
    good = torch.zeros(1, 2, 8, 8)
    good[:, 0] = seg.float() * 3.0
    bad = torch.zeros(1, 2, 8, 8)
    assert loss("metric", good, seg, None, None)[0].item() == pytest.approx(0.0, abs=1e-6)
    assert loss("metric", bad, seg, None, None)[0].item() > 0.4


def test_task_refuses_unknown_loss_and_mismatched_kind():
    with pytest.raises(ValueError, match="unknown loss 'hinge'"):
        TaskSpec.from_dict({"name": "a", "kind": "vector", "channels": 2, "loss": "hinge"})
    with pytest.raises(ValueError, match="does not fit kind"):
        TaskSpec.from_dict({"name": "a", "kind": "classes", "channels": 2, "loss": "l1"})
    with pytest.raises(ValueError, match="one weight per class"):
        TaskSpec.from_dict(
            {
                "name": "a",
                "kind": "classes",
                "channels": 2,
                "loss": "cross_entropy",
                "class_weights": [1.0],
            }
        )


def test_task_round_trips_through_plain_data():
    spec = {
        "name": "seg",
        "kind": "pixel_classes",
        "channels": 3,
        "loss": "cross_entropy",
        "images_per_sample": 1,
        "class_weights": [0.5, 1.0, 2.0],
    }
    assert TaskSpec.from_dict(spec).to_dict() == spec
    assert np.isclose(sum(TaskSpec.from_dict(spec).class_weights), 3.5)
