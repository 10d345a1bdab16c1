"""The task bank: every task network of a run applied to one uploaded image, as pictures."""

from __future__ import annotations

import base64
import io
import threading
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, UnidentifiedImageError

MAX_SIDE = 4096
MAX_PIXELS = 4096 * 4096  # checked from the header, before a single pixel is decoded
FORMATS = ("PNG", "JPEG")


class BadImage(ValueError):
    """An upload that is not a usable PNG/JPEG; the message says why and what to send."""


def read_image(data: bytes) -> Image.Image:
    """Decode and bound an upload: PNG or JPEG, each side at most ``MAX_SIDE`` pixels and at
    most ``MAX_PIXELS`` in all, so a decompression bomb is refused from its header.

    >>> buffer = io.BytesIO()
    >>> Image.new("L", (8, 4)).save(buffer, format="PNG")
    >>> read_image(buffer.getvalue()).size
    (8, 4)
    """
    if not data:
        raise BadImage("the upload is empty: send a PNG or JPEG file in the 'image' field")
    try:
        image = Image.open(io.BytesIO(data), formats=FORMATS)
        width, height = image.size
        if max(width, height) > MAX_SIDE or width * height > MAX_PIXELS:
            raise BadImage(
                f"the image is {width}x{height}: send one at most {MAX_SIDE} pixels a side"
            )
        image.load()
        return image.convert("RGB")
    except BadImage:
        raise
    except UnidentifiedImageError:
        raise BadImage(
            "the upload is not a PNG or JPEG image, or is cut short: send a whole PNG or JPEG"
        ) from None
    except Image.DecompressionBombError:
        raise BadImage(
            f"the image claims more pixels than PIL will decode: send one at most {MAX_SIDE} "
            "pixels a side"
        ) from None
    except (OSError, ValueError) as error:
        # truncated data, a zTXt/iCCP chunk that inflates past PIL's limit, an odd mode
        raise BadImage(f"the upload is not a readable PNG/JPEG image ({error})") from None


def _png(array: np.ndarray) -> str:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _scaled(x: np.ndarray) -> np.ndarray:
    low, high = np.nanpercentile(x, 1), np.nanpercentile(x, 99)
    return (np.clip((x - low) / max(high - low, 1e-8), 0, 1) * 255).astype(np.uint8)


_PALETTE = (np.random.default_rng(0).integers(40, 256, (256, 3))).astype(np.uint8)


def render(kind: str, output: np.ndarray) -> dict[str, Any]:
    """One network's output for one image as a picture (pixel kinds) or top scores (others)."""
    if kind == "pixel_classes":
        return {"image": _png(_PALETTE[output.argmax(0) % 256])}
    if kind in ("pixel_regression", "pixel_embedding"):
        channels = output[:3] if output.shape[0] >= 3 else output[:1].repeat(3, 0)
        return {"image": _png(_scaled(np.moveaxis(channels, 0, -1)))}
    order = np.argsort(-output)[:5]
    return {"scores": [[int(i), float(output[i])] for i in order]}


class TaskBank:
    """The single-image task networks saved under ``RUN/networks/``."""

    def __init__(self, run_dir: str | Path) -> None:
        from taskonomy_models import load_network

        folder = Path(run_dir) / "networks"
        paths = sorted(folder.glob("*.pt")) if folder.is_dir() else []
        self.networks = {}
        for path in paths:
            network = load_network(path)
            if network.task.images_per_sample == 1 and network.in_channels == 3:
                self.networks[network.task.name] = network
        if not self.networks:
            raise ValueError(f"no single-image task network in {folder}: run the pipeline first")
        self._lock = threading.Lock()

    def tasks(self) -> list[dict[str, Any]]:
        return [
            {"task": name, "kind": n.task.kind, "size": list(n.image_size)}
            for name, n in self.networks.items()
        ]

    def predict(self, data: bytes) -> dict[str, Any]:
        """Outputs of every network for one PNG/JPEG, with the resized inputs it was given."""
        from taskonomy_models import predict

        image = read_image(data)
        inputs, outputs = {}, []
        with self._lock:  # the networks are shared; torch runs them one at a time
            for name, network in self.networks.items():
                h, w = network.image_size
                resized = np.asarray(image.resize((w, h), Image.Resampling.BILINEAR))
                inputs[f"{w}x{h}"] = _png(resized)
                x = np.moveaxis(resized.astype(np.float32) / 255, -1, 0)[None]
                out = predict(network, x, device="cpu")[0]
                outputs.append(
                    {"task": name, "kind": network.task.kind, **render(network.task.kind, out)}
                )
        return {"inputs": inputs, "outputs": outputs}
