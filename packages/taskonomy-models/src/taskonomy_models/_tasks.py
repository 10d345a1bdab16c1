"""Task descriptions passed in as plain data: what a network predicts and how it is scored."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from ._losses import LOSSES

KINDS = ("pixel_regression", "pixel_classes", "pixel_embedding", "vector", "classes")
PIXEL_KINDS = ("pixel_regression", "pixel_classes", "pixel_embedding")


@dataclass(frozen=True)
class TaskSpec:
    """One task: its output kind, output size, loss and images per sample.

    ``channels`` is the number of output channels (pixel regression, embedding dimension,
    vector length) or the number of classes (pixel classes, classes). ``class_weights`` (one per
    class) rebalance the cross-entropy.

    >>> t = TaskSpec.from_dict({"name": "depth", "kind": "pixel_regression", "channels": 1,
    ...                         "loss": "l1"})
    >>> t.is_pixelwise, t.images_per_sample
    (True, 1)
    """

    name: str
    kind: str
    channels: int
    loss: str
    images_per_sample: int = 1
    class_weights: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if not self.name or "__" in self.name:
            raise ValueError(
                f"task name {self.name!r} must be non-empty and contain no '__' "
                "(it separates sources in competitor names)"
            )
        if self.kind not in KINDS:
            raise ValueError(f"task {self.name!r}: unknown kind {self.kind!r}; use one of {KINDS}")
        if self.loss not in LOSSES:
            raise ValueError(
                f"task {self.name!r}: unknown loss {self.loss!r}; use one of {sorted(LOSSES)}"
            )
        if int(self.channels) < 1:
            raise ValueError(f"task {self.name!r}: channels must be >= 1, got {self.channels}")
        if int(self.images_per_sample) < 1:
            raise ValueError(
                f"task {self.name!r}: images_per_sample must be >= 1, got {self.images_per_sample}"
            )
        allowed = LOSSES[self.loss].kinds
        if self.kind not in allowed:
            raise ValueError(
                f"task {self.name!r}: loss {self.loss!r} does not fit kind {self.kind!r}; "
                f"it is for {allowed}"
            )
        if self.class_weights is not None:
            if self.kind not in ("pixel_classes", "classes"):
                raise ValueError(f"task {self.name!r}: class_weights need a classes kind")
            if len(self.class_weights) != self.channels:
                raise ValueError(
                    f"task {self.name!r}: {len(self.class_weights)} class_weights for "
                    f"{self.channels} classes; give one weight per class"
                )
            object.__setattr__(self, "class_weights", tuple(float(w) for w in self.class_weights))
        object.__setattr__(self, "channels", int(self.channels))
        object.__setattr__(self, "images_per_sample", int(self.images_per_sample))

    @property
    def is_pixelwise(self) -> bool:
        return self.kind in PIXEL_KINDS

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TaskSpec:
        """Build from plain data; unknown keys are ignored so richer registries can be passed."""
        missing = [k for k in ("name", "kind", "channels", "loss") if k not in data]
        if missing:
            raise ValueError(f"task description {dict(data)!r} lacks {missing}")
        weights = data.get("class_weights")
        return cls(
            name=str(data["name"]),
            kind=str(data["kind"]),
            channels=int(data["channels"]),
            loss=str(data["loss"]),
            images_per_sample=int(data.get("images_per_sample", 1)),
            class_weights=None if weights is None else tuple(float(w) for w in weights),
        )

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["class_weights"] = None if self.class_weights is None else list(self.class_weights)
        return out


def as_task(task: TaskSpec | Mapping[str, Any]) -> TaskSpec:
    return task if isinstance(task, TaskSpec) else TaskSpec.from_dict(task)


def competitor_name(sources: Sequence[str], target: str) -> str:
    """The released naming: sources joined by ``__``, target last (``s1__s2__t``)."""
    return "__".join([*sources, target])
