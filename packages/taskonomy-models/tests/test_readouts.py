import numpy as np
import pytest
import torch

from taskonomy_models import (
    TaskSpec,
    TrainConfig,
    build_network,
    extract_representations,
    per_sample_losses,
    train_pixels_baseline,
    train_readouts,
)
from taskonomy_models._readouts import Readout, _clip_bounds

CONFIG = TrainConfig(
    epochs=3, batch_size=8, lr=3e-3, seed=3, device="cpu", progress=False, threads=2
)
VECTOR = {"name": "t", "kind": "vector", "channels": 3, "loss": "l2"}
PIXELS = {"name": "t", "kind": "pixel_regression", "channels": 2, "loss": "l1"}
POSE = {"name": "t", "kind": "vector", "channels": 6, "loss": "pose", "images_per_sample": 2}


def representations(n, k=1, seed=0, sources="abc"):
    rng = np.random.default_rng(seed)
    shape = (n, 8, 4, 4) if k == 1 else (n, k, 8, 4, 4)
    return {s: rng.standard_normal(shape).astype(np.float16) for s in sources}


def labels_for(task, reps, n):
    """Labels that depend on source 'a' (a readout of 'a' can learn them)."""
    a = reps["a"].astype(np.float32)
    if task["kind"] == "pixel_regression":
        up = a[:, :2].repeat(4, axis=2).repeat(4, axis=3)
        return np.tanh(up)
    if task.get("images_per_sample", 1) == 2:
        return np.concatenate([a[:, 0, :6, 0, 0] - a[:, 1, :6, 0, 0]], 1) * 0.3
    return a[:, :3].mean((2, 3))


@pytest.mark.parametrize("task", [VECTOR, PIXELS, POSE], ids=["vector", "pixels", "pose"])
def test_batched_readouts_reproduce_readouts_trained_alone(task):
    k = task.get("images_per_sample", 1)
    train, test = representations(24, k, 0), representations(10, k, 1)
    ytr, yte = labels_for(task, train, 24), labels_for(task, test, 10)
    competitors = [("a",), ("b",), ("c",), ("a", "b"), ("b", "c")]
    batched = train_readouts(task, competitors, train, ytr, test, yte, config=CONFIG)
    assert batched.names == ["a__t", "b__t", "c__t", "a__b__t", "b__c__t"]
    assert batched.losses.shape == (5, 10) and np.isfinite(batched.losses).all()
    for i, comp in enumerate(competitors):
        alone = train_readouts(task, [comp], train, ytr, test, yte, config=CONFIG)
        # float32 kernels sum in another order when grouped; Adam amplifies that a little.
        np.testing.assert_allclose(batched.losses[i], alone.losses[0], rtol=1e-3, atol=1e-5)
    # Readouts of different sources did learn different things.
    assert not np.allclose(batched.losses[0], batched.losses[1])


def test_chunked_batches_give_the_same_losses():
    train, test = representations(24), representations(10, seed=1)
    ytr, yte = labels_for(VECTOR, train, 24), labels_for(VECTOR, test, 10)
    comps = [("a",), ("b",), ("c",)]
    whole = train_readouts(VECTOR, comps, train, ytr, test, yte, config=CONFIG)
    chunked = train_readouts(VECTOR, comps, train, ytr, test, yte, config=CONFIG, chunk=2)
    np.testing.assert_allclose(whole.losses, chunked.losses, rtol=2e-4, atol=1e-6)


def test_an_informative_source_beats_noise():
    train, test = representations(160), representations(40, seed=1)
    ytr, yte = labels_for(VECTOR, train, 160), labels_for(VECTOR, test, 40)
    config = TrainConfig(epochs=15, batch_size=16, lr=3e-3, progress=False)
    res = train_readouts(VECTOR, [("a",), ("b",)], train, ytr, test, yte, config=config).as_dict()
    assert np.mean(res["a__t"] < res["b__t"]) > 0.75


def test_readout_clips_outliers_to_five_sigma():
    rep = representations(64)["a"]
    rep[0, 0, 0, 0] = 6e4  # an outlier far beyond 5 sigma
    low, high = _clip_bounds(torch.from_numpy(rep))
    others = torch.from_numpy(rep[:, 1:]).float()
    assert 0 < high[0] < 6e4 and low[0] < 0
    torch.testing.assert_close(
        high[1:], others.mean((0, 2, 3)) + 5 * others.std((0, 2, 3)), rtol=0.02, atol=0.02
    )
    readout = Readout(TaskSpec.from_dict(VECTOR), 8, (4, 4), 0).eval()
    readout.low.copy_(low)
    readout.high.copy_(high)
    x = torch.from_numpy(rep[:4]).float()
    clean = x.clone()
    clean[0, 0, 0, 0] = high[0]
    torch.testing.assert_close(readout(x), readout(clean))


def test_representations_are_computed_once_and_readouts_need_no_encoder(synth):
    task, images, labels = synth.dataset("vector", n=20)
    net = build_network(task, "tiny", (32, 32), seed=0)
    calls = []
    net.encoder.register_forward_hook(lambda *_: calls.append(1))
    reps = extract_representations(net, images, batch_size=8, device="cpu")
    assert len(calls) == 3 and reps.shape == (20, 8, 4, 4) and reps.dtype == np.float16
    with torch.no_grad():
        direct = net.eval().encode(torch.from_numpy(images[:4]))
    np.testing.assert_allclose(reps[:4], direct.numpy(), rtol=1e-3, atol=1e-3)
    calls.clear()
    train_readouts(
        task,
        [("colour",)],
        {"colour": reps[:12]},
        labels[:12],
        {"colour": reps[12:]},
        labels[12:],
        config=CONFIG,
    )
    assert calls == []  # Step II never ran an encoder


def test_extraction_writes_into_a_given_array_and_handles_image_pairs(synth):
    task = synth.tasks["pose"]
    net = build_network(task, "tiny", (32, 32), seed=0)
    out = np.zeros((5, 2, 8, 4, 4), np.float16)
    assert extract_representations(net, synth.images(5, k=2), out=out) is out
    assert np.abs(out).sum() > 0
    with pytest.raises(ValueError, match="expected"):
        extract_representations(net, synth.images(5, k=2), out=np.zeros((5, 8, 4, 4)))


def test_a_pair_network_encodes_single_images_as_a_transfer_source(synth):
    net = build_network(synth.tasks["pose"], "tiny", (32, 32), seed=0)
    pairs = synth.images(5, k=2)
    both = extract_representations(net, pairs)
    first = extract_representations(net, pairs[:, 0])  # single images: (N, C, h, w)
    assert first.shape == (5, 8, 4, 4)
    np.testing.assert_array_equal(first, both[:, 0])


def test_a_network_trained_on_small_tiles_encodes_whole_views(synth):
    net = build_network(synth.tasks["vector"], "tiny", (16, 16), seed=0)
    assert extract_representations(net, synth.images(3, px=32)).shape == (3, 8, 4, 4)
    with pytest.raises(ValueError, match="multiple of the encoder's stride 8"):
        extract_representations(net, synth.images(3, px=36))


def test_readout_inputs_are_checked():
    train, test = representations(24), representations(10, seed=1)
    ytr, yte = labels_for(VECTOR, train, 24), labels_for(VECTOR, test, 10)
    with pytest.raises(ValueError, match="no train representations for source 'z'"):
        train_readouts(VECTOR, [("z",)], train, ytr, test, yte, config=CONFIG)
    with pytest.raises(ValueError, match="expected"):
        train_readouts(VECTOR, [("a",)], train, ytr[:20], test, yte, config=CONFIG)
    with pytest.raises(ValueError, match="distinct"):
        train_readouts(VECTOR, [("a",), ("a",)], train, ytr, test, yte, config=CONFIG)
    bad_grid = np.zeros((24, 2, 12, 12), np.float32)
    with pytest.raises(ValueError, match="power-of-two"):
        train_readouts(PIXELS, [("a",)], train, bad_grid, test, bad_grid[:10], config=CONFIG)


def test_pixels_baseline_and_self_give_per_sample_test_losses(synth):
    task, images, labels = synth.dataset("vector", n=40)
    config = TrainConfig(epochs=8, batch_size=8, lr=3e-3, progress=False)
    pixels = train_pixels_baseline(
        task, images[:24], labels[:24], images[24:], labels[24:], config=config
    )
    untrained = build_network(task, "tiny", (32, 32), seed=0)
    assert pixels.shape == (16,)
    assert pixels.mean() < per_sample_losses(untrained, images[24:], labels[24:]).mean()


def test_readouts_train_from_zarr_arrays():
    zarr = pytest.importorskip("zarr")
    train, test = representations(24), representations(10, seed=1)
    ytr, yte = labels_for(VECTOR, train, 24), labels_for(VECTOR, test, 10)
    ztrain = {s: zarr.array(r, chunks=(8, 8, 4, 4)) for s, r in train.items()}
    zlabels = zarr.array(ytr, chunks=(8, 3))
    a = train_readouts(VECTOR, [("a",)], ztrain, zlabels, test, yte, config=CONFIG)
    b = train_readouts(VECTOR, [("a",)], train, ytr, test, yte, config=CONFIG)
    np.testing.assert_array_equal(a.losses, b.losses)


def test_killed_readout_training_resumes_to_the_same_losses(tmp_path):
    train, test = representations(24), representations(10, seed=1)
    ytr, yte = labels_for(VECTOR, train, 24), labels_for(VECTOR, test, 10)
    comps = [("a",), ("b",), ("a", "b")]
    whole = train_readouts(VECTOR, comps, train, ytr, test, yte, config=CONFIG)

    def kill(step, _loss):
        if step == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train_readouts(
            VECTOR, comps, train, ytr, test, yte, config=CONFIG, workdir=tmp_path, on_step=kill
        )
    assert torch.load(tmp_path / "checkpoint.pt", weights_only=True)["step"] == 3
    resumed = train_readouts(VECTOR, comps, train, ytr, test, yte, config=CONFIG, workdir=tmp_path)
    np.testing.assert_array_equal(whole.losses, resumed.losses)


SEMSEG = {
    "name": "t",
    "kind": "pixel_classes",
    "channels": 3,
    "loss": "cross_entropy",
    "class_weights": [0.5, 1.0, 2.0],
}
EMBED = {"name": "t", "kind": "pixel_embedding", "channels": 4, "loss": "metric"}


@pytest.mark.parametrize("task", [SEMSEG, EMBED], ids=["pixel_classes", "pixel_embedding"])
def test_pixel_readouts_ignore_masked_ground_truth(task):
    train, test = representations(16), representations(6, seed=1)
    rng = np.random.default_rng(0)
    ytr = rng.integers(0, 3, (16, 16, 16))
    yte = rng.integers(0, 3, (6, 16, 16))
    mtr = rng.random((16, 1, 16, 16)) > 0.3
    mte = rng.random((6, 1, 16, 16)) > 0.3
    comps = [("a",), ("b", "c")]
    res = train_readouts(task, comps, train, ytr, test, yte, mtr, mte, config=CONFIG)
    assert res.losses.shape == (2, 6) and np.isfinite(res.losses).all()
    ytr2, yte2 = ytr.copy(), yte.copy()
    ytr2[~mtr[:, 0]] = 2 - ytr2[~mtr[:, 0]]  # other labels where masked
    yte2[~mte[:, 0]] = 2 - yte2[~mte[:, 0]]
    again = train_readouts(task, comps, train, ytr2, test, yte2, mtr, mte, config=CONFIG)
    np.testing.assert_array_equal(res.losses, again.losses)
    ytr2[mtr[:, 0]] = 0  # and where valid: the losses move
    moved = train_readouts(task, comps, train, ytr2, test, yte2, mtr, mte, config=CONFIG)
    assert not np.allclose(res.losses, moved.losses)


def test_kept_predictions_are_the_outputs_that_the_losses_score():
    train, test = representations(24), representations(10, seed=1)
    task = {"name": "t", "kind": "classes", "channels": 3, "loss": "cross_entropy"}
    y_train = train["a"][:, :3].astype(np.float32).mean((2, 3)).argmax(1)
    y_test = test["a"][:, :3].astype(np.float32).mean((2, 3)).argmax(1)
    shown = [1, 4, 9]
    result = train_readouts(
        task,
        [("a",), ("b", "c")],
        train,
        y_train,
        test,
        y_test,
        config=CONFIG,
        keep_predictions=shown,
    )
    assert sorted(result.predictions) == ["a__t", "b__c__t"]
    for i, name in enumerate(result.names):
        probabilities = result.predictions[name]
        assert probabilities.shape == (3, 3)
        np.testing.assert_allclose(probabilities.sum(1), 1, rtol=1e-5)
        cross_entropy = -np.log(probabilities[np.arange(3), y_test[shown]])
        np.testing.assert_allclose(cross_entropy, result.losses[i, shown], rtol=1e-3, atol=1e-5)
    with pytest.raises(ValueError, match="index the 10 test samples"):
        train_readouts(task, [("a",)], train, y_train, test, y_test, keep_predictions=[10])
    assert (
        train_readouts(task, [("a",)], train, y_train, test, y_test, config=CONFIG).predictions
        == {}
    )
