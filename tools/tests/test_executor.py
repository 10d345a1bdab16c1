"""The executor: serial and Dask runs give the same results; GPU workers each see one device."""

from __future__ import annotations

import os

from taskonomy_tools.config import ComputeConfig
from taskonomy_tools.executor import Executor


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


def test_gpu_workers_each_see_their_own_device():
    compute = ComputeConfig(scheduler="local", workers=2, gpus_per_worker=1)
    with Executor(compute) as cluster:
        seen = cluster.map(_visible_devices, [(i,) for i in range(8)], "gpu", gpu=True)
        info = cluster.client.scheduler_info()["workers"].values()
        assert all(w["resources"] == {"GPU": 1} for w in info)
    assert set(seen) <= {"0", "1"} and seen


def test_an_unreachable_scheduler_is_one_clear_error():
    import pytest

    unreachable = Executor(ComputeConfig(scheduler="tcp://127.0.0.1:9"))
    with pytest.raises(ValueError, match="cannot reach the Dask scheduler"):
        unreachable.__enter__()
