"""The executor: serial and Dask runs give the same results; GPU workers each see one device."""

from __future__ import annotations

import os

import pytest

from taskonomy_tools.config import ComputeConfig
from taskonomy_tools.executor import Executor, gpu_devices


def _square(x: int) -> int:
    return x * x


def _visible_devices(_: int) -> str:
    return os.environ.get("CUDA_VISIBLE_DEVICES", "")


def test_serial_and_local_cluster_agree_and_keep_order():
    jobs = [(i,) for i in range(7)]
    with Executor(ComputeConfig(scheduler="serial")) as serial:
        expected = serial.map(_square, jobs, "serial")
    with Executor(ComputeConfig(scheduler="local", workers=2)) as cluster:
        assert cluster.workers == 2
        assert cluster.map(_square, jobs, "cluster") == expected == [i * i for i in range(7)]


def test_gpu_workers_each_see_their_own_device(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1")  # as on a 2-GPU machine
    compute = ComputeConfig(scheduler="local", workers=2, gpus_per_worker=1)
    with Executor(compute) as cluster:
        seen = cluster.map(_visible_devices, [(i,) for i in range(8)], "gpu", gpu=True)
        info = cluster.client.scheduler_info()["workers"].values()
        assert all(w["resources"] == {"GPU": 1} for w in info)
    assert set(seen) <= {"0", "1"} and seen


def test_an_unreachable_scheduler_is_one_clear_error():
    unreachable = Executor(ComputeConfig(scheduler="tcp://127.0.0.1:9"))
    with pytest.raises(ValueError, match="cannot reach the Dask scheduler"):
        unreachable.__enter__()


def test_gpu_workers_take_this_process_devices_at_most_one_each():
    assert gpu_devices(2, visible="4,6,7") == ["4", "6"]
    assert gpu_devices(3, visible=None, count=1) == ["0"]  # not a worker on a missing GPU
    for visible, count in (("", None), ("-1", None), (None, 0)):
        with pytest.raises(ValueError, match="no CUDA GPU is visible"):
            gpu_devices(2, visible=visible, count=count)
