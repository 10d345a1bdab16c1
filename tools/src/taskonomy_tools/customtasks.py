"""Tasks Taskonomy does not have, declared in the run configuration: no code needed.

A ``[tasks.NAME]`` table registers a task for ingest (its files' folder, token and encoding in
the release layout), readouts and the report. It is a target with no network of its own (the
paper's novel task): the transfers to it are read out from the sources' representations.

```toml
[tasks.coarse_depth]
kind = "dense"          # dense | labels | class | soft_class | vector
channels = 1
folder = "coarse_depth" # default: the task's name; the file token defaults to the folder
encoding = "depth16"    # how its files are written, see ENCODINGS
loss = "l1"
```

>>> spec, domain = custom_task("coarse_depth", {"kind": "dense", "channels": 1,
...                                             "encoding": "depth16", "loss": "l1"})
>>> spec.encoding, spec.mask, domain.file_name(3, 1)
('depth_uint16', 'encoded', 'point_3_view_1_domain_coarse_depth.png')
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: file encoding -> (store encoding, mask rule, kinds it fits, file extension)
ENCODINGS: dict[str, tuple[str, str, tuple[str, ...], str]] = {
    "unit8": ("uint8_unit", "none", ("dense", "image"), "png"),
    "grey8": ("uint8_unit", "none", ("dense",), "png"),
    "unit16": ("uint16_unit", "none", ("dense",), "png"),
    "depth16": ("depth_uint16", "encoded", ("dense",), "png"),
    "normal8": ("uint8_centred", "none", ("dense",), "png"),
    "curvature8": ("float16", "none", ("dense",), "png"),
    "ids8": ("uint8_label", "encoded", ("labels",), "png"),
    "ids16": ("uint16_segments", "none", ("segments",), "png"),
    "distribution": ("float16", "encoded", ("soft_class", "vector"), "npy"),
}
LOSSES = ("l1", "l2", "cross_entropy", "kl_divergence", "metric_embedding")
REQUIRED = ("kind", "channels", "encoding", "loss")
OPTIONAL = ("folder", "token", "description")


def custom_task(name: str, table: Mapping[str, Any]):
    """The registry spec and release-layout domain of one ``[tasks.NAME]`` table."""
    from taskonomy_data import ReleaseDomain, TaskSpec

    where = f"[tasks.{name}]"
    if not isinstance(table, Mapping):
        raise ValueError(f"{where} must be a table of settings (kind, channels, encoding, loss)")
    missing = [k for k in REQUIRED if k not in table]
    if missing:
        raise ValueError(f"{where} lacks {missing}; a new task needs {list(REQUIRED)}")
    unknown = sorted(set(table) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise ValueError(f"{where}: unknown settings {unknown}; known: {[*REQUIRED, *OPTIONAL]}")
    encoding = table["encoding"]
    if encoding not in ENCODINGS:
        raise ValueError(f"{where} encoding = {encoding!r}; choose one of {sorted(ENCODINGS)}")
    stored, mask, kinds, ext = ENCODINGS[encoding]
    kind = table["kind"]
    if kind not in kinds:
        raise ValueError(
            f"{where} kind = {kind!r} does not fit encoding {encoding!r} (which holds {kinds})"
        )
    channels = table["channels"]
    if not isinstance(channels, int) or isinstance(channels, bool) or channels < 1:
        raise ValueError(f"{where} channels = {channels!r}; give a positive integer")
    if table["loss"] not in LOSSES:
        raise ValueError(f"{where} loss = {table['loss']!r}; choose one of {list(LOSSES)}")
    if kind in ("dense", "image") and encoding in ("unit8", "normal8", "curvature8"):
        limit = 2 if encoding == "curvature8" else 3
        if channels > limit:
            raise ValueError(f"{where}: {encoding} files hold at most {limit} channels")
    elif kind == "dense" and channels != 1 and encoding in ("grey8", "unit16", "depth16"):
        raise ValueError(f"{where}: {encoding} files hold one channel, not {channels}")
    folder = str(table.get("folder", name))
    token = str(table.get("token", folder))
    try:
        spec = TaskSpec(
            name,
            kind,
            channels,
            stored,
            table["loss"],
            mask=mask,
            description=str(table.get("description", f"{name} (declared in the run's [tasks])")),
        )
    except ValueError as error:
        raise ValueError(f"{where}: {error}") from None
    codec = "unit8" if encoding == "unit8" else encoding
    domain = ReleaseDomain(folder, (token,), ext, name, codec, in_release=False)
    return spec, domain


def register_custom_tasks(custom: Mapping[str, Mapping[str, Any]]) -> list:
    """Register every ``[tasks.NAME]`` task in this process's registry; return their domains.

    A name that is already a Taskonomy task is refused (it would silently change that task).
    """
    from taskonomy_data import get_task, register_task

    domains = []
    for name, table in custom.items():
        spec, domain = custom_task(name, table)
        try:
            existing = get_task(name)
        except (KeyError, ValueError):
            existing = None
        if existing is not None and existing != spec:
            raise ValueError(f"[tasks.{name}]: {name!r} is already a task; choose another name")
        register_task(spec, replace=True)
        domains.append(domain)
    return domains
