"""`taskonomy gpu-check` end to end at tiny size on the CPU: one command, one JSON of figures."""

from __future__ import annotations

import json

import pytest

from taskonomy_tools.cli import main
from taskonomy_tools.gpucheck import bf16_peak_tflops, check_config

TINY = """
[dataset]
resolution = 32
[tasks]
sources = ["rgb2depth", "edge2d", "autoencoder", "class_places"]
targets = ["rgb2depth", "edge2d", "class_places"]
novel = "edge2d"
[train]
encoder = "tiny"
max_train_samples = 48
threads = 1
batch_size = 8
[transfer]
transfer_samples = 48
test_samples = 48
beam_pairs = 1
beam_triples = 0
beam_quads = 0
max_order = 2
[taxonomy]
orders = [1, 2]
random_taxonomies = 5
"""


def test_gpu_check_writes_every_figure(tmp_path, capsys):
    overrides = tmp_path / "tiny.toml"
    overrides.write_text(TINY)
    out = tmp_path / "figures" / "gpu_check.json"
    args = [str(overrides), "--json", str(out), "--buildings", "4", "--steps", "4"]
    assert main(["gpu-check", *args, "--batch-sizes", "4,8"]) == 0
    figures = json.loads(out.read_text())
    assert figures["device"]["type"] == "cpu"
    assert figures["device"]["bf16_dense_peak_tflops"] is None
    assert "no fraction" in figures["device"]["fraction_note"]
    assert [t["batch_size"] for t in figures["training"]] == [4, 8]
    for t in figures["training"]:
        assert t["task"] == "rgb2depth" and t["steps_timed"] >= 4
        assert t["images_per_s"] > 0 and t["model_flops_per_image"] > 0
        rate = t["images_per_s"] * t["model_flops_per_image"]
        assert t["model_flops_per_s"] == pytest.approx(rate)
        assert t["fraction_of_bf16_peak"] is None
    # Counted per batch, so per image the same at both batch sizes.
    small, large = figures["training"]
    assert small["model_flops_per_image"] == pytest.approx(large["model_flops_per_image"])
    assert figures["extraction"]["images_per_s"] > 0
    readouts = figures["readouts"]
    assert readouts["readouts"] == 5  # four sources and the random baseline
    assert readouts["recompute_seconds"] > readouts["seconds"] > 0
    assert set(figures["pipeline"]["stages"]) >= {"networks", "readouts", "affinities"}
    assert figures["config"]["sources"] == 4 and figures["config"]["buildings"] == 4
    assert "gpu-check on CPU" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--buildings", "2"], "--buildings must be >= 3"),
        (["--epochs", "9"], "--epochs must be 1-5"),
        (["--batch-sizes", "8,x"], "--batch-sizes"),
        (["--steps", "0"], "--steps must be >= 1"),
    ],
)
def test_bad_options_are_one_line(tmp_path, capsys, args, message):
    overrides = tmp_path / "tiny.toml"
    overrides.write_text(TINY)
    code = main(["gpu-check", str(overrides), "--json", str(tmp_path / "g.json"), *args])
    assert code != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]
    assert not (tmp_path / "g.json").exists()


def test_the_check_is_the_full_profile_shortened():
    cfg = check_config({}, buildings=5, epochs=2, cuda=True)
    assert cfg.train.encoder == "resnet50" and cfg.dataset.resolution == 128
    assert cfg.dataset.buildings == 5 and cfg.train.epochs == cfg.transfer.epochs == 2
    assert len(cfg.tasks.targets) == 22 and cfg.compute.gpus_per_worker == 1
    assert check_config({}, 5, 1, cuda=False).compute.scheduler == "serial"


def test_peaks_by_card_name():
    assert bf16_peak_tflops("NVIDIA H200") == 989.0
    assert bf16_peak_tflops("NVIDIA H100 PCIe") == 756.0
    assert bf16_peak_tflops("Some Future Card") is None
