"""Run independent jobs serially or on Dask's distributed scheduler, with one progress bar.

Jobs are top-level functions of plain arguments that write their own outputs (atomically) and
return a small summary, so a serial run and a cluster run produce the same files.

Known pitfalls handled here (KNOWN.md): Dask worker processes are daemonic by default, and a
job that starts DataLoader workers then fails, so `distributed.worker.daemon` is switched off; Dask
never pins GPUs, so GPU jobs ask for a `GPU` resource and each worker process is given one device by
the cluster's launcher (one worker per GPU with its own CUDA_VISIBLE_DEVICES, as dask-cuda does).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from tqdm.auto import tqdm

from .config import ComputeConfig


def local_cluster(compute: ComputeConfig):
    """A fixed-size cluster on this machine. With GPUs, one worker process per GPU, each seeing
    only its own device (CUDA_VISIBLE_DEVICES) and offering one `GPU` resource, as dask-cuda."""
    from distributed import LocalCluster, Nanny, Scheduler, SpecCluster

    if not compute.gpus_per_worker:
        return LocalCluster(
            n_workers=compute.workers,
            threads_per_worker=compute.threads_per_worker,
            processes=True,
            dashboard_address=None,
        )
    devices = gpu_devices(compute.workers)
    workers = {
        f"gpu-{i}": {
            "cls": Nanny,
            "options": {
                "nthreads": compute.threads_per_worker,
                "resources": {"GPU": 1},
                "env": {"CUDA_VISIBLE_DEVICES": device},
            },
        }
        for i, device in enumerate(devices)
    }
    scheduler = {"cls": Scheduler, "options": {"dashboard_address": None}}
    return SpecCluster(workers=workers, scheduler=scheduler)


def gpu_devices(workers: int, visible: str | None = None, count: int | None = None) -> list[str]:
    """The `CUDA_VISIBLE_DEVICES` value of each GPU worker: one device each, taken from this
    process's own visible devices (its `CUDA_VISIBLE_DEVICES`, else all `count` GPUs), at most
    one worker per device - a worker given a device that does not exist would silently train on
    the CPU.

    >>> gpu_devices(2, visible="3,5"), gpu_devices(4, visible=None, count=2)
    (['3', '5'], ['0', '1'])
    """
    if visible is None:
        visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        devices = [d.strip() for d in visible.split(",") if d.strip() and d.strip() != "-1"]
    else:
        if count is None:
            import torch

            count = torch.cuda.device_count()
        devices = [str(i) for i in range(count)]
    if not devices:
        raise ValueError(
            "gpus_per_worker = 1 but no CUDA GPU is visible; set [compute] gpus_per_worker = 0 "
            "or run where a GPU is"
        )
    return devices[:workers]


class Executor(AbstractContextManager):
    """`map(fn, argument_tuples)` in order, serially or on a Dask cluster."""

    def __init__(self, compute: ComputeConfig):
        self.compute = compute
        self.client = None
        self._cluster_context: AbstractContextManager = nullcontext()

    def __enter__(self) -> Executor:
        if self.compute.scheduler == "serial":
            return self
        import dask
        from distributed import Client

        dask.config.set({"distributed.worker.daemon": False})
        if self.compute.scheduler == "local":
            cluster = local_cluster(self.compute)
            self._cluster_context = cluster
            self.client = Client(cluster)
        else:
            try:
                self.client = Client(self.compute.scheduler, timeout="20s")
            except OSError as error:
                raise ValueError(
                    f"cannot reach the Dask scheduler at {self.compute.scheduler}: {error}; "
                    "start one with `dask scheduler` or use scheduler = 'local'"
                ) from None
        return self

    def __exit__(self, *exc: object) -> None:
        if self.client is not None:
            self.client.close()
        self._cluster_context.__exit__(*exc)  # type: ignore[arg-type]

    @property
    def workers(self) -> int:
        if self.client is None:
            return 1
        return max(1, len(self.client.scheduler_info().get("workers", {})))

    def map(
        self,
        fn: Callable[..., Any],
        jobs: Sequence[tuple],
        desc: str,
        gpu: bool = False,
        on_done: Callable[[], None] | None = None,
    ) -> list[Any]:
        """Results of `fn(*args)` for every tuple of `jobs`, in order; `on_done` after each."""
        if not jobs:
            return []
        on_done = on_done or (lambda: None)
        if self.client is None:
            results = []
            for args in tqdm(jobs, desc=desc, unit="job", leave=False):
                results.append(fn(*args))
                on_done()
            return results
        from distributed import as_completed

        resources = {"GPU": 1} if gpu and self.compute.gpus_per_worker else None
        futures = [self.client.submit(fn, *args, pure=False, resources=resources) for args in jobs]
        with tqdm(total=len(futures), desc=desc, unit="job", leave=False) as bar:
            for _ in as_completed(futures):
                bar.update()
                on_done()
        return self.client.gather(futures)
