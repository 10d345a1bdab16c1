"""Ingest of the original dataset's layout into a store.

Two layouts are recognised, from a folder or from tar archives in it (extracted safely):
``<building>/<domain>/point_P_view_V_domain_D.<ext>`` (the release) and
``<domain>/taskonomy/<building>/point_P_view_V_domain_D.<ext>`` (the downloader). Only views present
in every requested domain are kept; splits come from the building CSVs. One Dask task decodes and
writes one shard-aligned region, and a rerun resumes (the plan is a pure function of the files).
Images at another resolution are resized: RGB bilinearly, every label with nearest neighbour.
"""

from __future__ import annotations

import csv
import json
import os
import re
import tarfile
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from taskonomy_data._registry import get_task
from taskonomy_data._store import CAMERA_FIELDS, DatasetStore, create_store

FILE_RE = re.compile(r"point_(\d+)_view_(\d+)_domain_(\w+?)\.(png|npy|json)$")
# folder name -> task id; None = not a task of its own (point_info feeds the camera and vectors).
DOMAINS: dict[str, str | None] = {
    "rgb": "rgb",
    "depth_zbuffer": "rgb2depth",
    "depth_euclidean": "rgb2mist",
    "normal": "rgb2sfnorm",
    "principal_curvature": "curvature",
    "edge_texture": "edge2d",
    "edge_occlusion": "edge3d",
    "keypoints2d": "keypoint2d",
    "keypoints3d": "keypoint3d",
    "reshading": "reshade",
    "segment_unsup2d": "segment2d",
    "segment_unsup25d": "segment25d",
    "segment_semantic": "segmentsemantic",
    "class_object": "class_1000",
    "class_scene": "class_places",
    "point_info": None,
}
FROM_POINT_INFO = ("vanishing_point", "room_layout")


class BadFileError(ValueError):
    """A file of the source that cannot be decoded."""


@dataclass(frozen=True)
class View:
    building: str
    point: int
    view: int


def default_splits_dir() -> Path:
    env = os.environ.get("TASKONOMY_2018_DIR")
    root = (
        Path(env) if env else Path(__file__).resolve().parents[4].parent / "shared/taskonomy-2018"
    )
    return root / "splits"


def read_split_csv(name: str, splits_dir: str | Path | None = None) -> dict[str, str]:
    """Building -> split ('train', 'val' or 'test') from ``train_val_test_<name>.csv``."""
    path = Path(splits_dir or default_splits_dir()) / f"train_val_test_{name}.csv"
    if not path.is_file():
        raise ValueError(f"no split file {path}; pass splits_dir= or set TASKONOMY_2018_DIR")
    text = path.read_text().splitlines()  # the released files use bare \r line ends
    out = {}
    for row in csv.DictReader(text):
        for split in ("train", "val", "test"):
            if row.get(split, "0").strip() == "1":
                out[row["id"].strip()] = split
    return out


def safe_extract(archive: Path, into: Path) -> None:
    """Extract a tar archive refusing absolute paths, '..', links and devices outside ``into``."""
    with tarfile.open(archive) as tar:
        root = into.resolve()
        for member in tar.getmembers():
            target = (root / member.name).resolve()
            if not target.is_relative_to(root) or member.isdev():
                raise ValueError(f"{archive}: unsafe member {member.name!r}; refusing to extract")
            if member.issym() or member.islnk():
                link = (target.parent / member.linkname).resolve()
                if os.path.isabs(member.linkname) or not link.is_relative_to(root):
                    raise ValueError(f"{archive}: link {member.name!r} points outside; refusing")
        tar.extractall(root, filter="data")


def scan(source: Path) -> dict[str, dict[View, Path]]:
    """Domain -> view -> file, for both layouts."""
    found: dict[str, dict[View, Path]] = {}
    for path in source.rglob("point_*_domain_*"):
        match = FILE_RE.search(path.name)
        if not match or not path.is_file():
            continue
        point, view, domain = int(match[1]), int(match[2]), match[3]
        parts = path.relative_to(source).parts
        if len(parts) >= 4 and parts[-3] == "taskonomy":
            building = parts[-2]
        elif len(parts) >= 3:
            building = parts[-3]
        else:
            continue
        found.setdefault(domain, {})[View(building, point, view)] = path
    return found


def ingest(
    source: str | Path,
    url: str,
    *,
    split: str | None = None,
    tasks: Iterable[str] | None = None,
    resolution: int | None = None,
    skip_bad: bool = False,
    splits_dir: str | Path | None = None,
    progress: bool = False,
    scheduler: str = "threads",
) -> DatasetStore:
    """Ingest the original layout found under ``source`` (a folder, or one holding .tar files).

    ``split`` names a building CSV (tiny, medium, full, fullplus); without it, every building
    goes into one split called ``all``. ``tasks`` defaults to every task whose domain is found.
    An undecodable file stops the ingest naming it, unless ``skip_bad``: then its views are left
    out and listed in the provenance under ``skipped``.
    """
    source = Path(source)
    if not source.exists():
        raise ValueError(f"source {source} does not exist")
    with tempfile.TemporaryDirectory(prefix="taskonomy-ingest-") as tmp:
        archives = sorted(source.glob("*.tar*")) if source.is_dir() else [source]
        roots = [source] if source.is_dir() else []
        for archive in archives:
            if tarfile.is_tarfile(archive):
                into = Path(tmp) / archive.name.split(".")[0]
                into.mkdir(exist_ok=True)
                safe_extract(archive, into)
                roots.append(into)
        found: dict[str, dict[View, Path]] = {}
        for root in roots:
            for domain, views in scan(root).items():
                found.setdefault(domain, {}).update(views)
        return _ingest_found(
            found,
            url,
            split,
            tasks,
            resolution,
            skip_bad,
            splits_dir,
            progress,
            scheduler,
            str(source),
        )


def _ingest_found(
    found: Mapping[str, Mapping[View, Path]],
    url: str,
    split: str | None,
    tasks: Iterable[str] | None,
    resolution: int | None,
    skip_bad: bool,
    splits_dir: str | Path | None,
    progress: bool,
    scheduler: str,
    source: str,
) -> DatasetStore:
    import dask

    by_task = {DOMAINS[d]: d for d in found if DOMAINS.get(d)}
    if "rgb" not in by_task:
        raise ValueError(f"no rgb images found under {source}; is this the original layout?")
    wanted = [get_task(t).name for t in tasks] if tasks is not None else list(by_task)
    has_info = "point_info" in found
    if has_info and tasks is None:
        wanted += list(FROM_POINT_INFO)
    missing = [t for t in wanted if t not in by_task and not (t in FROM_POINT_INFO and has_info)]
    if missing:
        raise ValueError(f"tasks {missing} requested but their domains are not under {source}")
    domains = [by_task[t] for t in wanted if t in by_task] + (["point_info"] if has_info else [])
    domains = list(dict.fromkeys(["rgb", *domains]))
    views = set.intersection(*(set(found[d]) for d in domains))
    assignment = read_split_csv(split, splits_dir) if split else None
    skipped: list[str] = []
    if skip_bad:
        checks = [dask.delayed(_bad_files)(v, {d: found[d][v] for d in domains}) for v in views]
        for bad in dask.compute(*checks, scheduler=scheduler):
            skipped.extend(bad)
        bad_views = {_view_of(Path(p)) for p in skipped}
        views = {v for v in views if v not in bad_views}
    groups: dict[str, list[View]] = {}
    for v in sorted(views, key=lambda v: (v.building, v.point, v.view)):
        name = "all" if assignment is None else assignment.get(v.building)
        if name:
            groups.setdefault(name, []).append(v)
    if not groups:
        raise ValueError(f"no complete views under {source} belong to the split {split!r}")
    first = next(iter(groups.values()))[0]
    resolution = resolution or _image_size(found["rgb"][first])
    store = create_store(
        url,
        resolution=resolution,
        tasks=wanted,
        splits={
            name: {"samples": len(vs), "buildings": sorted({v.building for v in vs})}
            for name, vs in groups.items()
        },
        provenance={"ingest": {"source": source, "split": split, "skipped": sorted(skipped)}},
        exist_ok=True,
    )
    writes = []
    for name, vs in groups.items():
        index = {b: i for i, b in enumerate(store.buildings(name))}
        regions = store.regions(name)
        for r in store.pending(name):
            start, stop = regions[r]
            files = [{d: found[d][v] for d in domains} for v in vs[start:stop]]
            writes.append(
                dask.delayed(_write_region)(store, name, start, vs[start:stop], files, index)
            )
    _compute(writes, scheduler, progress)
    return store


def _compute(tasks: list[Any], scheduler: str, progress: bool) -> None:
    import dask

    if progress:
        from dask.diagnostics import ProgressBar

        with ProgressBar():
            dask.compute(*tasks, scheduler=scheduler)
    else:
        dask.compute(*tasks, scheduler=scheduler)


def _view_of(path: Path) -> View:
    match = FILE_RE.search(path.name)
    assert match is not None
    parts = path.parts
    building = parts[-2] if parts[-3] == "taskonomy" else parts[-3]
    return View(building, int(match[1]), int(match[2]))


def _image_size(path: Path) -> int:
    from PIL import Image

    with Image.open(path) as image:
        return image.size[0]


def _bad_files(view: View, files: Mapping[str, Path]) -> list[str]:
    bad = []
    for domain, path in files.items():
        try:
            _load(domain, path, None)
        except BadFileError:
            bad.append(str(path))
    return bad


def _load(domain: str, path: Path, resolution: int | None) -> Any:
    """Decode one file to its raw array (or dict for point_info); BadFileError if damaged."""
    try:
        if path.suffix == ".json":
            return json.loads(path.read_text())
        if path.suffix == ".npy":
            return np.load(path, allow_pickle=False)
        from PIL import Image

        with Image.open(path) as image:
            image.load()
            if resolution and image.size != (resolution, resolution):
                smooth = Image.Resampling.BILINEAR if domain == "rgb" else Image.Resampling.NEAREST
                image = image.resize((resolution, resolution), smooth)
            return np.asarray(image)
    except Exception as error:
        raise BadFileError(
            f"cannot read {path} ({type(error).__name__}: {error}); "
            "rerun with --skip-bad to leave its view out"
        ) from None


def _channels_first(raw: np.ndarray, channels: int) -> np.ndarray:
    raw = raw[..., None] if raw.ndim == 2 else raw
    return np.moveaxis(raw[..., :channels], -1, 0)


def _unit(top: float, channels: int) -> Callable[[np.ndarray], np.ndarray]:
    return lambda raw: _channels_first(raw, channels).astype(np.float32) / np.float32(top)


def _centred(channels: int) -> Callable[[np.ndarray], np.ndarray]:
    return lambda raw: (_channels_first(raw, channels).astype(np.float32) - 127) / np.float32(128)


def _depth(raw: np.ndarray) -> np.ndarray:
    raw = _channels_first(raw.astype(np.uint16), 1)
    return np.where(raw >= 64500, np.float32(np.nan), raw.astype(np.float32) / np.float32(512))


def _ids(raw: np.ndarray) -> np.ndarray:
    return (raw[..., 0] if raw.ndim == 3 else raw).astype(np.int64)


# task -> decoder of the raw array into the registry's decoded values (NaN = no depth hit).
DECODERS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "rgb": _unit(255, 3),
    "rgb2depth": _depth,
    "rgb2mist": _depth,
    "rgb2sfnorm": _centred(3),
    "curvature": _centred(2),
    "edge2d": _unit(65535, 1),
    "edge3d": _unit(65535, 1),
    "keypoint2d": _unit(65535, 1),
    "keypoint3d": _unit(65535, 1),
    "reshade": _unit(255, 1),
    "segment2d": _ids,
    "segment25d": _ids,
    "segmentsemantic": _ids,
    "class_1000": lambda raw: raw.astype(np.float32).ravel(),
    "class_places": lambda raw: raw.astype(np.float32).ravel(),
}


def point_info_vectors(info: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Camera record, vanishing points and room layout from one ``point_info`` JSON."""
    vp = info["vanishing_points_gaussian_sphere"]
    box = info["bounding_box_ranges"]
    lo = np.array([box[a][0] for a in "xyz"])
    hi = np.array([box[a][1] for a in "xyz"])
    location = np.asarray(info["camera_location"], float)
    rotation = np.asarray(info["camera_rotation_final"], float)
    camera = np.concatenate(
        [location, rotation, [info["field_of_view_rads"]], info["point_location"]]
    )
    assert camera.size == len(CAMERA_FIELDS)
    return {
        "camera": camera.astype(np.float32),
        "vanishing_point": np.concatenate([vp[a] for a in "xyz"]).astype(np.float32),
        # Room box centre relative to the camera, camera orientation, box extents.
        "room_layout": np.concatenate([(lo + hi) / 2 - location, rotation, hi - lo]).astype(
            np.float32
        ),
    }


def _write_region(
    store: DatasetStore,
    split: str,
    start: int,
    views: list[View],
    files: list[Mapping[str, Path]],
    building_index: Mapping[str, int],
) -> None:
    tasks = [s.name for s in store.view_tasks()]
    values: dict[str, list[np.ndarray]] = {t: [] for t in tasks}
    cameras = []
    for view_files in files:
        info = None
        if "point_info" in view_files:
            info = point_info_vectors(_load("point_info", view_files["point_info"], None))
            cameras.append(info["camera"])
        for task in tasks:
            if task in FROM_POINT_INFO:
                values[task].append(info[task] if info else np.full(9, np.nan, np.float32))
                continue
            domain = next(d for d, t in DOMAINS.items() if t == task)
            raw = _load(domain, view_files[domain], store.resolution)
            values[task].append(DECODERS[task](raw))
    ids = np.array([[building_index[v.building], v.point, v.view] for v in views])
    batch = {t: np.stack(v) for t, v in values.items()}
    masks = {t: np.isfinite(v) for t, v in batch.items() if store.spec(t).mask == "encoded"}
    for task, mask in masks.items():
        if store.spec(task).pixelwise:
            masks[task] = mask.all(axis=1, keepdims=True)
        elif mask.ndim > 1:
            masks[task] = mask.all(axis=1)
    if "segmentsemantic" in batch:
        masks["segmentsemantic"] = batch["segmentsemantic"] != 0  # 0 = uncertain
    store.write(
        split, start, batch, masks=masks, ids=ids, camera=np.stack(cameras) if cameras else None
    )
