import json
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

from taskonomy_models import (
    TrainConfig,
    build_network,
    load_network,
    per_sample_losses,
    predict,
    save_network,
    train_task_network,
)

FAST = dict(batch_size=16, lr=3e-3, lr_final=1e-3, progress=False, threads=2)


KINDS = ["pixel_regression", "pixel_classes", "pixel_embedding", "vector", "classes", "pose"]


@pytest.mark.parametrize("kind", KINDS)
def test_every_output_kind_trains_and_its_loss_falls(kind, synth):
    task, images, labels = synth.dataset(kind, n=64)
    steps: list[float] = []
    config = TrainConfig(epochs=12, **FAST)
    net = train_task_network(
        task, images, labels, config=config, on_step=lambda s, v: steps.append(v)
    )
    assert len(steps) == 12 * 4
    assert np.mean(steps[-4:]) < 0.7 * np.mean(steps[:4])
    fresh = build_network(task, "tiny", (32, 32), seed=1)
    trained = per_sample_losses(net, images, labels, device="cpu")
    assert trained.shape == (64,)
    assert trained.mean() < per_sample_losses(fresh, images, labels, device="cpu").mean()


def _train(synth, workdir, on_step=None):
    task, images, labels = synth.dataset("pixel_regression", n=32)
    config = TrainConfig(
        epochs=3, batch_size=8, checkpoint_every=3, seed=5, device="cpu", progress=False
    )
    return train_task_network(task, images, labels, config=config, workdir=workdir, on_step=on_step)


class Killed(Exception):
    pass


def test_killed_training_resumes_to_the_same_weights(tmp_path, synth):
    whole = _train(synth, tmp_path / "whole")

    def kill(step, _loss):
        if step == 7:  # last checkpoint at step 6: one step is lost and redone
            raise Killed

    with pytest.raises(Killed):
        _train(synth, tmp_path / "killed", kill)
    saved = torch.load(tmp_path / "killed" / "checkpoint.pt", weights_only=True)
    assert saved["step"] == 6
    resumed = _train(synth, tmp_path / "killed")
    for (name, a), b in zip(whole.state_dict().items(), resumed.state_dict().values(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=name)
    log = [
        json.loads(line)
        for line in (tmp_path / "whole" / "metrics.jsonl").read_text().split("\n")
        if line
    ]
    assert [r["epoch"] for r in log] == [1, 2, 3]
    assert {"loss", "lr", "samples_per_s"} <= set(log[0])


def test_seeded_runs_agree_and_other_seeds_differ(synth):
    task, images, labels = synth.dataset("vector", n=32)
    run = lambda seed: train_task_network(  # noqa: E731
        task,
        images,
        labels,
        config=TrainConfig(epochs=1, batch_size=8, seed=seed, device="cpu", progress=False),
    )
    a, b, c = run(0), run(0), run(1)
    wa, wb, wc = (n.decoder.layers[-1].weight for n in (a, b, c))
    assert torch.equal(wa, wb) and not torch.equal(wa, wc)


def test_resuming_a_different_run_is_refused(tmp_path, synth):
    _train(synth, tmp_path)
    task, images, labels = synth.dataset("pixel_regression", n=32)
    with pytest.raises(ValueError, match="different run"):
        train_task_network(
            task, images, labels, config=TrainConfig(epochs=4, progress=False), workdir=tmp_path
        )


def test_save_and_load_with_weights_only(tmp_path, synth):
    task, images, labels = synth.dataset("classes", n=16)
    net = train_task_network(task, images, labels, config=TrainConfig(epochs=1, progress=False))
    save_network(net, tmp_path / "net.pt")
    blob = torch.load(tmp_path / "net.pt", weights_only=True)
    assert blob["architecture"]["task"]["name"] == "hue"
    again = load_network(tmp_path / "net.pt")
    np.testing.assert_array_equal(predict(net, images), predict(again, images))
    assert not list(tmp_path.glob(".net.pt.*"))  # no temporary left behind


def test_predict_gives_probabilities_for_classes_and_maps_for_pixels(synth):
    task, images, _ = synth.dataset("pixel_classes", n=5)
    probs = predict(build_network(task, "tiny", (32, 32), seed=0), images, batch_size=2)
    assert probs.shape == (5, 2, 32, 32) and probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(1), 1, rtol=1e-5)
    pose_task = synth.tasks["pose"]
    out = predict(build_network(pose_task, "tiny", (32, 32), seed=0), synth.images(3, k=2))
    assert out.shape == (3, 6)


@pytest.mark.parametrize(
    "size,px,code", [("tiny", 64, 8), ("small", 128, 8), ("resnet50", 256, 16)]
)
def test_encoder_sizes_give_the_documented_code(size, px, code):
    task = {"name": "d", "kind": "pixel_regression", "channels": 1, "loss": "l1"}
    net = build_network(task, size, (px, px), seed=0).eval()
    with torch.no_grad():
        assert net.encode(torch.zeros(1, 3, px, px)).shape == (1, 8, code, code)
        if size != "resnet50":
            assert net(torch.zeros(1, 3, px, px)).shape == (1, 1, px, px)


def test_tiny_fullres_learns_every_upsampling_and_tiny_only_one():
    task = {"name": "d", "kind": "pixel_regression", "channels": 1, "loss": "l1"}
    full = build_network(task, "tiny_fullres", (32, 32), seed=0)
    tiny = build_network(task, "tiny", (32, 32), seed=0)
    assert (full.decoder.scale, tiny.decoder.scale) == (1, 4)
    assert full(torch.zeros(2, 3, 32, 32)).shape == tiny(torch.zeros(2, 3, 32, 32)).shape
    # the same encoder: only the decoder differs
    assert sum(p.numel() for p in full.encoder.parameters()) == sum(
        p.numel() for p in tiny.encoder.parameters()
    )


def test_resnet50_size_matches_the_original_encoder():
    net = build_network(
        {"name": "d", "kind": "vector", "channels": 9, "loss": "l2"}, "resnet50", (256, 256), seed=0
    )
    params = sum(p.numel() for p in net.encoder.parameters())
    assert 23.4e6 < params < 23.8e6  # torchvision ResNet-50 body without fc: 23.5M, +3x3 conv


KILLED_RUN = """
import sys, time
import numpy as np
from taskonomy_models import TrainConfig, train_task_network

x = np.random.default_rng(0).random((32, 3, 32, 32), dtype=np.float32)
task = {"name": "gray", "kind": "pixel_regression", "channels": 1, "loss": "l1"}
config = TrainConfig(epochs=4, batch_size=8, checkpoint_every=1, seed=2, device="cpu",
                     threads=2, progress=False)
slow = lambda step, _: time.sleep(0.3 if step >= 4 else 0)
train_task_network(task, x, x.mean(1, keepdims=True), config=config, workdir=sys.argv[1],
                   on_step=None if len(sys.argv) > 2 else slow)
"""


@pytest.mark.slow
def test_training_killed_by_sigkill_resumes_to_the_same_weights(tmp_path):
    killed = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_RUN, str(killed)])
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            ckpt = killed / "checkpoint.pt"
            if ckpt.exists() and torch.load(ckpt, weights_only=True)["step"] >= 5:
                break
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    step = torch.load(killed / "checkpoint.pt", weights_only=True)["step"]
    assert 5 <= step < 16
    for workdir in (killed, tmp_path / "whole"):  # resume; then one uninterrupted run
        subprocess.run([sys.executable, "-c", KILLED_RUN, str(workdir), "fast"], check=True)
    a = torch.load(killed / "checkpoint.pt", weights_only=True)
    b = torch.load(tmp_path / "whole" / "checkpoint.pt", weights_only=True)
    assert a["step"] == b["step"] == 16
    for name, value in b["model"].items():
        torch.testing.assert_close(a["model"][name], value, rtol=0, atol=0, msg=name)
