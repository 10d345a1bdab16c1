"""Task-specific networks: the shared encoder, a decoder by output kind, saving and loading."""

from __future__ import annotations

import math
import os
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from ._decoders import build_decoder
from ._encoders import Encoder, EncoderConfig, encoder_config
from ._tasks import TaskSpec, as_task

FORMAT = "taskonomy-models/network/1"


class TaskNetwork(nn.Module):
    """Encoder-decoder for one task. Multi-image tasks run the encoder on each image (siamese)
    and concatenate the codes on the channel axis before the decoder."""

    def __init__(
        self,
        task: TaskSpec | dict[str, Any],
        size: str | EncoderConfig = "tiny",
        image_size: tuple[int, int] = (64, 64),
        in_channels: int = 3,
    ) -> None:
        super().__init__()
        self.task = as_task(task)
        self.size = size
        self.config = encoder_config(size)
        self.image_size = (int(image_size[0]), int(image_size[1]))
        self.in_channels = int(in_channels)
        stride = self.config.stride
        if any(s % stride or s < stride for s in self.image_size):
            raise ValueError(
                f"image size {self.image_size} is not a multiple of encoder {size!r}'s stride "
                f"{stride}; resize the images or pick another size"
            )
        self.code_size = (self.image_size[0] // stride, self.image_size[1] // stride)
        self.encoder = Encoder(self.config, self.in_channels)
        code = self.config.code_channels * self.task.images_per_sample
        ups = int(math.log2(stride))
        self.decoder = build_decoder(self.task, code, self.code_size, ups, self.config)

    def encode(self, x: Tensor) -> Tensor:
        """Codes (N, C, h, w), or (N, k, C, h, w) for k images per sample."""
        if x.dim() == 5:
            n, k = x.shape[:2]
            return self.encoder(x.flatten(0, 1)).unflatten(0, (n, k))
        return self.encoder(x)

    def forward(self, x: Tensor) -> Tensor:
        code = self.encode(x)
        if code.dim() == 5:
            code = code.flatten(1, 2)
        return self.decoder(code)[0]

    def architecture(self) -> dict[str, Any]:
        size = self.size if isinstance(self.size, str) else asdict(self.size)
        return {
            "task": self.task.to_dict(),
            "size": size,
            "image_size": list(self.image_size),
            "in_channels": self.in_channels,
        }


def build_network(
    task: TaskSpec | dict[str, Any],
    size: str | EncoderConfig = "tiny",
    image_size: tuple[int, int] = (64, 64),
    in_channels: int = 3,
    seed: int | None = None,
) -> TaskNetwork:
    """A freshly initialised network (seeded when ``seed`` is given; ``random`` baseline).

    >>> net = build_network({"name": "d", "kind": "pixel_regression", "channels": 1,
    ...                      "loss": "l1"}, "tiny", (32, 32), seed=0)
    >>> net(torch.zeros(2, 3, 32, 32)).shape
    torch.Size([2, 1, 32, 32])
    """
    if seed is not None:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return TaskNetwork(task, size, image_size, in_channels)
    return TaskNetwork(task, size, image_size, in_channels)


def _umask_file_mode() -> int:
    """The mode a new file gets under this process's umask (``0o666 & ~umask``).

    ``mkstemp`` creates its file 0600; a file renamed into place gets this mode instead, so
    others the user shares with can read it. Read from /proc where it exists (no umask change,
    so safe beside other threads).
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return 0o666 & ~int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_save(obj: Any, path: str | os.PathLike) -> None:
    """``torch.save`` to a temporary name in the same folder, then rename into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        torch.save(obj, tmp)
        os.chmod(tmp, _umask_file_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_network(network: TaskNetwork, path: str | os.PathLike) -> None:
    """Save architecture and weights (plain data and tensors: loads with weights_only=True)."""
    state = {k: v.detach().cpu() for k, v in network.state_dict().items()}
    atomic_save({"format": FORMAT, "architecture": network.architecture(), "state": state}, path)


def load_network(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> TaskNetwork:
    """Load a network written by :func:`save_network`.

    >>> import tempfile, os
    >>> net = build_network({"name": "c", "kind": "classes", "channels": 3,
    ...                      "loss": "cross_entropy"}, "tiny", (32, 32), seed=0)
    >>> path = os.path.join(tempfile.mkdtemp(), "c.pt")
    >>> save_network(net, path)
    >>> load_network(path).task.name
    'c'
    """
    blob = torch.load(path, map_location=map_location, weights_only=True)
    if not isinstance(blob, dict) or blob.get("format") != FORMAT:
        raise ValueError(f"{path} is not a taskonomy-models network file")
    arch = blob["architecture"]
    size = arch["size"]
    if isinstance(size, dict):
        size = EncoderConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in size.items()})
    net = TaskNetwork(arch["task"], size, tuple(arch["image_size"]), arch["in_channels"])
    net.load_state_dict(blob["state"])
    return net
