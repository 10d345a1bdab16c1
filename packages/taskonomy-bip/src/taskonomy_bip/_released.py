"""The authors' released numbers: safe loading, their default partition, and a small demo."""

from __future__ import annotations

import importlib
import io
import json
import math
import pickle
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ._problem import Problem

# The authors' web solver: 22 targets, these source-only, class_selected left out.
RELEASED_SOURCE_ONLY = ("colorization", "impainting_whole", "jigsaw", "random")
RELEASED_UNUSED = ("class_selected",)

MAX_FILE_BYTES = 64 << 20

_SCALAR = importlib.import_module(
    "numpy._core.multiarray" if hasattr(np, "_core") else "numpy.core.multiarray"
).scalar
_ALLOWED = {
    ("numpy.core.multiarray", "scalar"): _SCALAR,
    ("numpy._core.multiarray", "scalar"): _SCALAR,
    ("numpy", "dtype"): np.dtype,
}


class _NumbersOnly(pickle.Unpickler):
    """An unpickler that can build numpy scalars and nothing else (no code can run).

    The released pickles (protocol 3, Python 2-era dicts of float64) name exactly two globals:
    ``numpy.core.multiarray.scalar`` and ``numpy.dtype``; dicts, strings and bytes are opcodes,
    not globals. Every other global - ``os.system``, ``builtins.eval``, a numpy array
    constructor - is refused before it is called.
    """

    def find_class(self, module: str, name: str) -> object:
        try:
            return _ALLOWED[module, name]
        except KeyError:
            raise pickle.UnpicklingError(
                f"refusing {module}.{name}: only numbers (numpy scalars) are allowed"
            ) from None


def load_affinities(path: str | Path) -> dict[str, float]:
    """Read released-format numbers (``{"s1__s2__t": value}``) from a JSON or pickle file.

    Pickles go through a restricted unpickler that accepts numpy scalars only.

    >>> import tempfile, json, os
    >>> with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
    ...     json.dump({"a__b": 0.25, "self__b": 0.75}, f)
    >>> load_affinities(f.name)
    {'a__b': 0.25, 'self__b': 0.75}
    >>> os.remove(f.name)
    """
    path = Path(path)
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)  # bounded: /dev/zero or a huge file is refused
    except OSError as err:
        raise ValueError(f"cannot read {path}: {err.strerror or err}; check the path") from None
    if len(raw) > MAX_FILE_BYTES:
        raise ValueError(
            f"{path} is over {MAX_FILE_BYTES >> 20} MiB: not an affinity file (the released "
            "ones are under 1 MiB); check the path"
        )
    try:
        if raw[:1] == b"\x80" or path.suffix in (".pkl", ".pickle"):
            data = _NumbersOnly(io.BytesIO(raw), encoding="latin1").load()
        else:
            data = json.loads(raw)
    except (
        pickle.UnpicklingError,
        json.JSONDecodeError,
        UnicodeDecodeError,
        EOFError,
        RecursionError,
        ValueError,
        TypeError,
        AttributeError,
        IndexError,
    ) as err:
        raise ValueError(
            f"{path} is not an affinity file (JSON or numbers-only pickle): {err}"
        ) from None
    return _as_numbers(data, path)


def _as_numbers(data: object, path: Path) -> dict[str, float]:
    if not isinstance(data, Mapping):
        raise ValueError(f"{path} holds a {type(data).__name__}, not a {{key: number}} mapping")
    out = {}
    for key, value in data.items():
        if (
            not isinstance(key, str)
            or isinstance(value, bool)
            or not isinstance(value, int | float | np.number)
        ):
            raise ValueError(f"{path}: entry {key!r}: {value!r} is not a number keyed by a string")
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise ValueError(f"{path}: entry {key!r} is {number}; fix or drop it")
        if number < 0:
            raise ValueError(
                f"{path}: entry {key!r} is {number}: affinities and win rates are >= 0; "
                "fix or drop it"
            )
        out[key] = number
    return out


def released_problem(path: str | Path, transform: str = "sqrt", **kwargs: object) -> Problem:
    """The authors' default problem from a released affinity file (JSON or pickle).

    22 targets; colorization, impainting_whole, jigsaw and random source-only; class_selected
    unused; ``p = sqrt(affinity)`` clipped to [1e-5, 1] like their web solver (pass
    ``transform="identity"`` for the paper's text). Extra keywords go to `Problem.from_affinities`.
    """
    affinities = load_affinities(path)
    options: dict = {"source_only": RELEASED_SOURCE_ONLY, "unused": RELEASED_UNUSED} | kwargs
    named = {t for k in affinities for t in k.split("__")}
    for key in ("source_only", "unused"):
        options[key] = tuple(t for t in options[key] if t in named)  # type: ignore[union-attr]
    return Problem.from_affinities(affinities, transform=transform, **options)


DEMO_AFFINITIES: dict[str, float] = {
    "self__autoencoder": 0.7,
    "self__rgb2sfnorm": 0.8,
    "rgb2sfnorm__autoencoder": 0.2,
    "jigsaw__autoencoder": 0.25,
    "autoencoder__rgb2sfnorm": 0.3,
    "rgb2sfnorm__rgb2sfnorm": 0.1,
    "rgb2sfnorm__rgb2depth": 0.5,
    "rgb2sfnorm__autoencoder__rgb2depth": 0.6,
    "autoencoder__class_1000": 0.4,
    "jigsaw__class_1000": 0.3,
    "autoencoder__rgb2sfnorm__class_1000": 0.35,
}


def demo_problem() -> Problem:
    """A small built-in problem: 4 targets (2 target-only), jigsaw source-only, orders 1-2.

    >>> p = demo_problem()
    >>> p.targets
    ('autoencoder', 'class_1000', 'rgb2depth', 'rgb2sfnorm')
    >>> p.target_only, p.source_only
    (('class_1000', 'rgb2depth'), ('jigsaw',))
    """
    return Problem.from_affinities(
        DEMO_AFFINITIES, target_only=("rgb2depth", "class_1000"), source_only=("jigsaw",)
    )
