"""Export a store (the built-in synthetic one included) in the original release's layout.

Every per-view task becomes one file per view with the release's folder, token and encoding
(``_release.RELEASE_DOMAINS``); the camera, vanishing points and room box become a
``point_info`` JSON; array masks become ``mask_valid`` PNGs (omnidata's domain); the building
lists become ``train_val_test_export.csv`` in the release's split format. Multi-view tasks have no
files: ingest rebuilds them from ``point_info``, as for the release.

Two layouts: ``"building"`` (``<building>/<folder>/point_P_view_V_domain_T.ext``, the release)
and ``"domain"`` (``<folder>/taskonomy/<building>/...``, as omnidata's downloader writes). The
export goes to ``<out>.partial`` and is renamed to ``out`` when complete.

>>> import tempfile
>>> from taskonomy_data.synth import synthesize
>>> tmp = tempfile.mkdtemp()
>>> store = synthesize(tmp + "/s.zarr", buildings=3, resolution=32, progress=False)
>>> out = export(store, tmp + "/release")
>>> sorted(p.name for p in (out / store.buildings("train")[0]).iterdir())[:3]
['class_object', 'class_scene', 'class_selected']
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from taskonomy_data._release import (
    CODECS,
    DOMAIN_OF_TASK,
    FROM_POINT_INFO,
    MASK_VALID,
    POINT_INFO,
    ReleaseDomain,
    point_info_record,
    room_labels,
)

LAYOUTS = ("building", "domain")
SPLIT_CSV = "train_val_test_export.csv"


def view_folder(root: Path, layout: str, building: str, folder: str) -> Path:
    """Where a building's files of one domain go in ``layout``."""
    if layout == "building":
        return root / building / folder
    return root / folder / "taskonomy" / building


def export(
    store: Any,
    out: str | os.PathLike,
    *,
    layout: str = "building",
    progress: bool = False,
    scheduler: str = "threads",
) -> Path:
    """Write every split of ``store`` to ``out`` in the release layout; return ``out``."""
    import dask

    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, not {layout!r}")
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise ValueError(f"{out} exists and is not empty; choose a new folder")
    partial = out.with_name(out.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    tasks = [s.name for s in store.view_tasks() if s.name in DOMAIN_OF_TASK]
    vectors = [t for t in FROM_POINT_INFO if t in store.specs]
    array_masked = [t for t in tasks if store.spec(t).mask == "array"]
    jobs = []
    for split in store.splits:
        views = _split_views(store, split)
        for start, stop in store.regions(split):
            what = (tasks, vectors, array_masked)
            job = dask.delayed(_export_region, pure=True)
            jobs.append(job(store, split, start, stop, views, partial, layout, what))
    _run(jobs, scheduler, progress)
    _write_split_csv(store, partial / SPLIT_CSV)
    if out.exists():
        out.rmdir()
    partial.rename(out)
    return out


def _run(jobs: list[Any], scheduler: str, progress: bool) -> None:
    import dask

    if progress:
        from dask.diagnostics import ProgressBar

        with ProgressBar():
            dask.compute(*jobs, scheduler=scheduler)
    else:
        dask.compute(*jobs, scheduler=scheduler)


def _write_split_csv(store: Any, path: Path) -> None:
    rows = ["id,train,val,test"]
    for split in store.splits:
        flags = ",".join("1" if split == s else "0" for s in ("train", "val", "test"))
        rows += [f"{b},{flags}" for b in store.buildings(split)]
    path.write_text("\r".join(rows) + "\r")  # the released CSVs end lines with a bare \r


def _split_views(store: Any, split: str) -> dict[str, Any]:
    """What every view of a split needs beside its own files: building names, cameras, rooms."""
    group = store.root[split]
    camera, ids = group["camera"][:].astype(np.float64), group["ids"][:]
    rooms = np.zeros(len(ids), np.int64)
    if "room_layout" in group:  # the room box in world coordinates identifies the room
        layout = group["room_layout"][:].astype(np.float64)
        centre = layout[:, :3] + camera[:, :3]
        boxes = np.concatenate([centre - layout[:, 6:9] / 2, centre + layout[:, 6:9] / 2], axis=1)
        for b in np.unique(ids[:, 0]):
            rooms[ids[:, 0] == b] = room_labels(boxes[ids[:, 0] == b])
    names = store.buildings(split) or [f"building_{b}" for b in range(int(ids[:, 0].max()) + 1)]
    return {"buildings": names, "camera": camera, "ids": ids, "rooms": rooms}


def _export_region(
    store: Any,
    split: str,
    start: int,
    stop: int,
    views: dict[str, Any],
    root: Path,
    layout: str,
    what: tuple[list[str], list[str], list[str]],
) -> None:
    tasks, vectors, array_masked = what
    batch = store.read(split, [*tasks, *vectors], slice(start, stop))
    all_ids, everything = views["ids"], views["camera"]
    for row, (b, point, view) in enumerate(batch["ids"].tolist()):
        building = views["buildings"][b]
        where = (root, layout, building, point, view)

        for task in tasks:
            spec, domain = store.spec(task), DOMAIN_OF_TASK[task]
            mask = batch.get(f"{task}_mask")
            mask = None if mask is None or spec.mask == "none" else mask[row]
            content = CODECS[domain.codec].to_file(batch[task][row], mask)
            _put(where, domain, content)
        if array_masked:
            valid = np.logical_and.reduce([batch[f"{t}_mask"][row, 0] for t in array_masked])
            _put(where, MASK_VALID, (valid * 255).astype(np.uint8))
        same = all_ids[:, 0] == b
        info = point_info_record(
            everything[start + row],
            batch["vanishing_point"][row] if "vanishing_point" in vectors else None,
            batch["room_layout"][row] if "room_layout" in vectors else None,
            point=point,
            view=view,
            room=f"room_{views['rooms'][start + row]}",
            resolution=store.resolution,
            nonfixated_points=_points_in_view(
                everything[start + row], everything[same], all_ids[same, 1]
            ),
        )
        if "vanishing_point" in vectors and not batch["vanishing_point_mask"][row]:
            info.pop("vanishing_points_gaussian_sphere", None)
        if "room_layout" in vectors and not batch["room_layout_mask"][row]:
            info.pop("bounding_box_ranges", None)
        _put(where, POINT_INFO, info)


def _points_in_view(camera: np.ndarray, cameras: np.ndarray, points: np.ndarray) -> list[int]:
    """Fixation points of the building (other views' cameras) inside this view's frustum.

    Occlusion is not tested: the release's list comes from its renderer, which we do not have.
    """
    from taskonomy_data._poses import matrix_from_euler  # numpy only

    rotation = matrix_from_euler(camera[3:6].astype(np.float64))
    unique, first = np.unique(points, return_index=True)
    location = cameras[first, 7:10].astype(np.float64)
    local = (location - camera[:3]) @ rotation  # world -> camera frame
    half = np.tan(float(camera[6]) / 2)
    front = local[:, 2] < -1e-6
    depth = np.where(front, -local[:, 2], 1.0)
    inside = front & (np.abs(local[:, 0] / depth) < half) & (np.abs(local[:, 1] / depth) < half)
    return sorted(int(p) for p in unique[inside])


def _put(where: tuple[Path, str, str, int, int], domain: ReleaseDomain, content: Any) -> None:
    root, layout, building, point, view = where
    folder = view_folder(root, layout, building, domain.folder)
    folder.mkdir(parents=True, exist_ok=True)
    write = {"png": _write_png, "npy": _write_npy, "json": _write_json}[domain.ext]
    write(folder / domain.file_name(point, view), content)


def _write_png(path: Path, pixels: np.ndarray) -> None:
    from PIL import Image

    Image.fromarray(np.ascontiguousarray(pixels)).save(path, compress_level=1)  # uint16: I;16


def _write_npy(path: Path, values: np.ndarray) -> None:
    np.save(path, values)


def _write_json(path: Path, info: dict[str, Any]) -> None:
    path.write_text(json.dumps(info, indent=1))
