"""Ingest of the original dataset's layout into a store.

Two layouts are recognised, from a folder or from tar archives in it (extracted safely):
``<building>/<folder>/point_P_view_V_domain_T.<ext>`` (the release) and
``<folder>/taskonomy/<building>/point_P_view_V_domain_T.<ext>`` (omnidata's downloader). A file's
domain is its folder, checked against the file token (``_release.RELEASE_DOMAINS``: the folder
``segment_semantic`` holds ``..._domain_segmentsemantic.png``). The multi-view tasks (fixated and
non-fixated pose, egomotion, point matching) are rebuilt from the ``point_info`` cameras with the
generator's rules (``_multiview``). Splits come from a building CSV (a released name or a path).

Everything is checked before anything is written: a missing domain, a view that lacks a file, a
``point_info`` that lacks a field the tasks need and (with ``skip_bad``) an unreadable file end in
one message naming the files, the tasks and the flag; with ``skip_bad`` those views are left out
and listed in the store's provenance. The store is written under ``<url>.partial`` and renamed
into place when complete; a rerun resumes a ``.partial`` store (the plan is a pure function of
the files). Images at another resolution are resized: RGB bilinearly, every label with nearest
neighbour.
"""

from __future__ import annotations

import csv
import json
import os
import re
import tarfile
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from taskonomy_data._multiview import MULTIVIEW_TASKS, multiview_samples
from taskonomy_data._registry import TaskSpec, resolve_tasks
from taskonomy_data._release import (
    CODECS,
    FROM_POINT_INFO,
    MASK_VALID,
    POINT_INFO,
    POINT_INFO_FIELDS,
    RELEASE_DOMAINS,
    ReleaseDomain,
    point_info_values,
    room_labels,
)
from taskonomy_data._store import DatasetStore, create_store

FILE_RE = re.compile(r"point_(\d+)_view_(\d+)_domain_(\w+?)\.(png|npy|json)$")
EXAMPLES = 3  # files named in a message


class BadFileError(ValueError):
    """A file of the source that cannot be decoded."""


@dataclass(frozen=True, order=True)
class View:
    building: str
    point: int
    view: int

    def __str__(self) -> str:
        return f"{self.building}/point_{self.point}_view_{self.view}"


def default_splits_dir() -> Path:
    env = os.environ.get("TASKONOMY_2018_DIR")
    root = (
        Path(env) if env else Path(__file__).resolve().parents[4].parent / "shared/taskonomy-2018"
    )
    return root / "splits"


def read_split_csv(name: str | os.PathLike, splits_dir: str | Path | None = None) -> dict[str, str]:
    """Building -> split ('train', 'val' or 'test') from a released split name (``tiny``,
    ``medium``, ``full``, ``fullplus``: ``train_val_test_<name>.csv``) or a CSV file's path."""
    given = Path(name)
    if given.suffix == ".csv":
        path = given
    else:
        path = Path(splits_dir or default_splits_dir()) / f"train_val_test_{name}.csv"
    if not path.is_file():
        raise ValueError(
            f"no split file {path}; give a CSV path, or pass splits_dir= / set TASKONOMY_2018_DIR"
        )
    text = path.read_text().splitlines()  # the released files use bare \r line ends
    out = {}
    for row in csv.DictReader(text):
        if "id" not in row:
            raise ValueError(f"{path}: a split CSV needs the columns id,train,val,test")
        for split in ("train", "val", "test"):
            if (row.get(split) or "0").strip() == "1":
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


def scan(
    source: Path, domains: Sequence[ReleaseDomain] = RELEASE_DOMAINS
) -> dict[str, dict[View, Path]]:
    """Folder -> view -> file, for both layouts. A file whose token does not belong to its
    folder's domain raises a ValueError (it would otherwise be a silently lost task)."""
    by_folder = {d.folder: d for d in domains}
    found: dict[str, dict[View, Path]] = {}
    for path in source.rglob("point_*_domain_*"):
        match = FILE_RE.search(path.name)
        if not match or not path.is_file():
            continue
        parts = path.relative_to(source).parts
        if len(parts) >= 4 and parts[-3] == "taskonomy":
            folder, building = parts[-4], parts[-2]
        elif len(parts) >= 3:
            folder, building = parts[-2], parts[-3]
        else:
            continue
        domain = by_folder.get(folder)
        if domain is None:
            continue
        if match[3] not in domain.tokens or match[4] != domain.ext:
            raise ValueError(
                f"{path}: the folder {folder!r} holds *_domain_{domain.token}.{domain.ext} "
                f"files, not {match[3]}.{match[4]}; fix the file or add its token to the domain"
            )
        found.setdefault(folder, {})[View(building, int(match[1]), int(match[2]))] = path
    return found


def ingest(
    source: str | Path,
    url: str,
    *,
    split: str | os.PathLike | None = None,
    tasks: Iterable[str | TaskSpec] | None = None,
    domains: Sequence[ReleaseDomain] = (),
    resolution: int | None = None,
    skip_bad: bool = False,
    splits_dir: str | Path | None = None,
    progress: bool = False,
    scheduler: str = "threads",
    chunk_samples: int | None = None,
    shard_samples: int | None = None,
) -> DatasetStore:
    """Ingest the original layout found under ``source`` (a folder, or one holding .tar files).

    ``split`` names a building CSV (tiny, medium, full, fullplus, or a path to one); without it,
    every building goes into one split called ``all``. ``tasks`` defaults to every task whose
    domain is found (with ``point_info``: the vectors and the multi-view tasks too). ``domains``
    adds domains of tasks the release does not have (``ReleaseDomain`` rows, their specs given
    in ``tasks``). Incomplete or damaged views stop the ingest with one message unless
    ``skip_bad``: then they are left out and listed in the provenance under ``skipped``.
    ``chunk_samples`` and ``shard_samples`` set the store's layout (see ``create_store``).
    """
    source = Path(source)
    if not source.exists():
        raise ValueError(f"source {source} does not exist")
    table = (*RELEASE_DOMAINS, *domains)
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
            for folder, views in scan(root, table).items():
                found.setdefault(folder, {}).update(views)
        plan = _plan(found, table, tasks, split, splits_dir, skip_bad, scheduler, str(source))
        layout = {"chunk_samples": chunk_samples, "shard_samples": shard_samples}
        return _write(plan, url, resolution, scheduler, progress, layout)


@dataclass
class _Plan:
    specs: list[TaskSpec]
    folders: dict[str, ReleaseDomain]  # task -> the domain its file comes from
    groups: dict[str, list[View]]
    files: dict[View, dict[str, Path]]  # view -> folder -> file
    infos: dict[View, dict[str, np.ndarray]]
    rooms: dict[View, int]
    provenance: dict[str, Any]


def _plan(
    found: Mapping[str, Mapping[View, Path]],
    table: Sequence[ReleaseDomain],
    tasks: Iterable[str | TaskSpec] | None,
    split: str | os.PathLike | None,
    splits_dir: str | Path | None,
    skip_bad: bool,
    scheduler: str,
    source: str,
) -> _Plan:
    of_task = {d.task: d for d in table if d.task}
    has_info = POINT_INFO.folder in found
    if "rgb" not in found:
        raise ValueError(
            f"no rgb images under {source} (expected <building>/rgb/point_P_view_V_domain_rgb.png "
            "or rgb/taskonomy/<building>/...); is this the original layout?"
        )
    derived = (*FROM_POINT_INFO, *MULTIVIEW_TASKS)
    if tasks is None:
        wanted = [t for t, d in of_task.items() if d.folder in found]
        wanted += list(derived) if has_info else []
    else:
        wanted = list(tasks)
    specs = resolve_tasks(["rgb", *wanted])
    names = [s.name for s in specs]
    unknown = [n for n in names if n not in of_task and n not in derived and _stored(n, specs)]
    if unknown:
        raise ValueError(
            f"tasks {unknown} have no domain in the release table; add a [tasks.NAME] domain "
            "(folder, token, encoding) for each"
        )
    missing = {
        n: of_task[n].folder
        for n in names
        if n in of_task and of_task[n].folder not in found and _stored(n, specs)
    }
    missing |= {n: POINT_INFO.folder for n in names if n in derived and not has_info}
    if missing:
        listed = ", ".join(f"{t} (folder {f})" for t, f in missing.items())
        raise ValueError(
            f"tasks requested but their domains are not under {source}: {listed}; "
            "download those domains, or leave the tasks out (--tasks)"
        )
    folders = {n: of_task[n] for n in names if n in of_task and _stored(n, specs)}
    needed = [*dict.fromkeys(d.folder for d in folders.values())]
    needed += [POINT_INFO.folder] if has_info else []
    views = sorted(set().union(*(found[f] for f in needed)))
    problems: dict[View, list[str]] = {}
    for view in views:
        lacking = [f for f in needed if view not in found[f]]
        if lacking:
            problems[view] = [f"lacks {', '.join(lacking)} (tasks {_tasks_of(lacking, folders)})"]
    optional = [MASK_VALID.folder] if MASK_VALID.folder in found else []
    files = {
        v: {f: found[f][v] for f in (*needed, *optional) if v in found[f]}
        for v in views
        if v not in problems
    }
    infos, bad = _read_point_infos(files, names, scheduler) if has_info else ({}, {})
    for view, message in bad.items():
        problems.setdefault(view, []).append(message)
    if skip_bad:
        for view, message in _unreadable(files, folders, problems, scheduler).items():
            problems.setdefault(view, []).append(message)
    if problems and not skip_bad:
        examples = "; ".join(f"{v}: {' '.join(p)}" for v, p in sorted(problems.items())[:EXAMPLES])
        raise ValueError(
            f"{len(problems)} of {len(views)} views under {source} are incomplete or damaged "
            f"({examples}{'; ...' if len(problems) > EXAMPLES else ''}); rerun with --skip-bad "
            "(skip_bad=True) to leave them out, or ingest fewer tasks (--tasks)"
        )
    files = {v: f for v, f in files.items() if v not in problems}
    assignment = read_split_csv(split, splits_dir) if split is not None else None
    groups: dict[str, list[View]] = {}
    for view in sorted(files):
        name = "all" if assignment is None else assignment.get(view.building)
        if name:
            groups.setdefault(name, []).append(view)
    if not groups:
        raise ValueError(f"no complete views under {source} belong to the split {split!r}")
    skipped = [
        {"view": str(v), "problem": " ".join(p), "files": sorted(map(str, _files_of(v, found)))}
        for v, p in sorted(problems.items())
    ]
    return _Plan(
        specs=specs,
        folders=folders,
        groups=groups,
        files=files,
        infos=infos,
        rooms=_rooms(infos, files) if has_info else {},
        provenance={
            "ingest": {
                "source": source,
                "split": None if split is None else str(split),
                "skipped": skipped,
            }
        },
    )


def _stored(name: str, specs: Sequence[TaskSpec]) -> bool:
    spec = next(s for s in specs if s.name == name)
    return spec.stored and not spec.multiview


def _tasks_of(folders: Iterable[str], by_task: Mapping[str, ReleaseDomain]) -> str:
    names = [t for t, d in by_task.items() if d.folder in folders]
    return ", ".join(names) or "camera, vectors and multi-view tasks"


def _files_of(view: View, found: Mapping[str, Mapping[View, Path]]) -> list[Path]:
    return [views[view] for views in found.values() if view in views]


def _read_point_infos(
    files: Mapping[View, Mapping[str, Path]], tasks: Sequence[str], scheduler: str
) -> tuple[dict[View, dict[str, np.ndarray]], dict[View, str]]:
    """Every view's camera, vectors and room box; and, per bad view, what is wrong."""
    import dask

    needs = {f for f, users in POINT_INFO_FIELDS.items() if set(users) & {"camera", *tasks}}
    views = list(files)
    chunks = [views[i : i + 2048] for i in range(0, len(views), 2048)]
    parts = dask.compute(
        *[dask.delayed(_point_infos)(c, {v: files[v] for v in c}, needs) for c in chunks],
        scheduler=scheduler,
    )
    infos: dict[View, dict[str, np.ndarray]] = {}
    bad: dict[View, str] = {}
    for good, wrong in parts:
        infos.update(good)
        bad.update(wrong)
    return infos, bad


def _point_infos(views, files, needs) -> tuple[dict, dict]:
    good, bad = {}, {}
    for view in views:
        path = files[view][POINT_INFO.folder]
        try:
            info = json.loads(path.read_text())
            if not isinstance(info, dict):
                raise ValueError("not a JSON object")
        except (OSError, UnicodeDecodeError, ValueError) as error:
            bad[view] = f"{path} cannot be read ({error})"
            continue
        lacking = sorted(f for f in needs if f not in info)
        if lacking:
            users = sorted({u for f in lacking for u in POINT_INFO_FIELDS[f]})
            bad[view] = f"{path} lacks {', '.join(lacking)} (needed by {', '.join(users)})"
            continue
        try:
            values = point_info_values(info, path)
        except ValueError as error:
            bad[view] = str(error)
            continue
        values["room"] = np.array(str(info.get("room", "")))
        good[view] = values
    return good, bad


def _rooms(infos: Mapping[View, Mapping[str, np.ndarray]], files: Iterable[View]) -> dict:
    """Room index per view within its building: the ``room`` field, else the room box."""
    out: dict[View, int] = {}
    by_building: dict[str, list[View]] = {}
    for view in sorted(v for v in files if v in infos):
        by_building.setdefault(view.building, []).append(view)
    for views in by_building.values():
        named = [str(infos[v]["room"]) for v in views]
        if all(named):
            index = {name: i for i, name in enumerate(dict.fromkeys(named))}
            labels = [index[n] for n in named]
        else:
            boxes = []
            for v in views:
                camera, layout = infos[v]["camera"], infos[v]["room_layout"].astype(np.float64)
                centre = layout[:3] + camera[:3]
                boxes.append(np.concatenate([centre - layout[6:] / 2, centre + layout[6:] / 2]))
            labels = room_labels(np.array(boxes)).tolist()
        out.update(zip(views, labels, strict=True))
    return out


def _unreadable(files, folders, problems, scheduler: str) -> dict[View, str]:
    """Per view, the files among those the tasks need that cannot be decoded."""
    import dask

    checks = [dask.delayed(_bad_files)(v, files[v], folders) for v in files if v not in problems]
    out = {}
    for view, message in dask.compute(*checks, scheduler=scheduler):
        if message:
            out[view] = message
    return out


def _bad_files(view: View, files: Mapping[str, Path], folders: Mapping[str, ReleaseDomain]):
    bad = []
    for task, domain in folders.items():
        try:
            _load(files[domain.folder], task, None)
        except BadFileError as error:
            bad.append(str(error).split(";")[0])
    return view, "; ".join(bad)


def _load(path: Path, task: str, resolution: int | None) -> np.ndarray:
    """One file's pixels (or ``.npy`` array), resized to ``resolution``; BadFileError if damaged."""
    try:
        if path.suffix == ".npy":
            return np.load(path, allow_pickle=False)
        from PIL import Image

        with Image.open(path) as image:
            image.load()
            if resolution and image.size != (resolution, resolution):
                smooth = Image.Resampling.BILINEAR if task == "rgb" else Image.Resampling.NEAREST
                image = image.resize((resolution, resolution), smooth)
            return np.asarray(image)
    except Exception as error:
        raise BadFileError(
            f"cannot read {path} (task {task}; {type(error).__name__}: {error}); "
            "rerun with --skip-bad to leave its view out"
        ) from None


def _decode(path: Path, spec: TaskSpec, domain: ReleaseDomain, resolution: int):
    pixels = _load(path, spec.name, None if domain.ext == "npy" else resolution)
    try:
        values, mask = CODECS[domain.codec].from_file(pixels, spec.channels)
    except ValueError as error:
        raise BadFileError(
            f"{path} does not fit task {spec.name} ({error}); check the task's channels "
            "and encoding"
        ) from None
    if spec.kind in ("image", "dense") and values.shape[1:] != (resolution, resolution):
        raise BadFileError(f"{path}: {values.shape} pixels, expected {resolution} a side")
    return values, mask


def _write(
    plan: _Plan,
    url: str,
    resolution: int | None,
    scheduler: str,
    progress: bool,
    layout: Mapping[str, int | None],
) -> DatasetStore:
    import dask

    first = next(iter(plan.groups.values()))[0]
    resolution = resolution or _image_size(plan.files[first]["rgb"])
    pairs = {name: _multiview(plan, views) for name, views in plan.groups.items()}
    splits = {
        name: {
            "samples": len(views),
            "buildings": sorted({v.building for v in views}),
            "pairs": {t: len(index) for t, (index, _) in pairs[name].items()},
        }
        for name, views in plan.groups.items()
    }
    local = "://" not in url or url.startswith("file://")
    final = Path(url.removeprefix("file://")) if local else None
    target = url if not local or final.exists() else str(final) + ".partial"
    store = create_store(
        target,
        resolution=resolution,
        tasks=plan.specs,
        splits=splits,
        provenance=plan.provenance,
        exist_ok=True,
        **layout,
    )
    writes = []
    for name, views in plan.groups.items():
        index = {b: i for i, b in enumerate(store.buildings(name))}
        regions = store.regions(name)
        for r in store.pending(name):
            start, stop = regions[r]
            region = _region(plan, views[start:stop])
            writes.append(dask.delayed(_write_region)(store, region, name, start, index))
    _compute(writes, scheduler, progress)
    for name, by_task in pairs.items():
        for task, (index, labels) in by_task.items():
            if task not in store.specs:
                continue
            regions = store.regions(name, task)
            for r in store.pending(name, task):
                a, b = regions[r]
                store.write_pairs(name, task, a, index[a:b], labels[a:b])
    if target != url:
        os.replace(target, final)
        from taskonomy_data._store import open_store

        store = open_store(str(final), mode="r+")
    return store


def _multiview(plan: _Plan, views: list[View]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Multi-view samples of one split from the cameras, building by building."""
    wanted = [s.name for s in plan.specs if s.multiview]
    out: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {t: [] for t in wanted}
    if not wanted:
        return {}
    from taskonomy_data._poses import matrix_from_euler

    start = 0
    while start < len(views):
        building = views[start].building
        stop = start
        while stop < len(views) and views[stop].building == building:
            stop += 1
        group = views[start:stop]
        camera = np.array([plan.infos[v]["camera"] for v in group], np.float64)
        samples = multiview_samples(
            [(v.point, v.view) for v in group],
            camera[:, :3],
            np.array([matrix_from_euler(c[3:6]) for c in camera]),
            np.array([plan.rooms[v] for v in group]),
            camera[:, 7:10],
            start,
            np.random.default_rng([0, start, 7]),
        )
        for task in wanted:
            out[task].append(samples[task])
        start = stop
    return {
        t: (np.concatenate([i for i, _ in parts]), np.concatenate([y for _, y in parts]))
        for t, parts in out.items()
    }


def _compute(tasks: list[Any], scheduler: str, progress: bool) -> None:
    import dask

    if progress:
        from dask.diagnostics import ProgressBar

        with ProgressBar():
            dask.compute(*tasks, scheduler=scheduler)
    else:
        dask.compute(*tasks, scheduler=scheduler)


def _image_size(path: Path) -> int:
    from PIL import Image

    try:
        with Image.open(path) as image:
            return image.size[0]
    except Exception as error:
        raise BadFileError(f"cannot read {path} ({error}); rerun with --skip-bad") from None


def _region(plan: _Plan, views: list[View]) -> dict[str, Any]:
    """What one region's write needs, and no more (Dask walks every argument it is given)."""
    return {
        "views": views,
        "files": [plan.files[v] for v in views],
        "infos": [plan.infos.get(v) for v in views],
        "folders": plan.folders,
    }


def _write_region(
    store: DatasetStore,
    region: Mapping[str, Any],
    split: str,
    start: int,
    building_index: Mapping[str, int],
) -> None:
    specs = store.view_tasks()
    values: dict[str, list[np.ndarray]] = {s.name: [] for s in specs}
    masks: dict[str, list[np.ndarray]] = {}
    cameras = []
    res = store.resolution
    views = region["views"]
    for files, info in zip(region["files"], region["infos"], strict=True):
        if info is not None:
            cameras.append(info["camera"])
        decoded = {}
        for spec in specs:
            if spec.name in FROM_POINT_INFO:
                vector = info[spec.name] if info else np.full(spec.channels, np.nan, np.float32)
                decoded[spec.name] = (vector, np.isfinite(vector).all())
            else:
                domain = region["folders"][spec.name]
                decoded[spec.name] = _decode(files[domain.folder], spec, domain, res)
        valid = _valid_pixels(files, decoded, res)
        for spec in specs:
            value, mask = decoded[spec.name]
            if spec.mask == "array":
                mask = valid
            elif spec.mask == "encoded" and mask is None:
                mask = value != 0 if spec.kind == "labels" else np.isfinite(value)
            values[spec.name].append(value)
            if mask is not None and spec.mask != "none":
                masks.setdefault(spec.name, []).append(np.asarray(mask))
    ids = np.array([[building_index[v.building], v.point, v.view] for v in views])
    store.write(
        split,
        start,
        {t: np.stack(v) for t, v in values.items()},
        masks={t: np.stack(m) for t, m in masks.items()},
        ids=ids,
        camera=np.stack(cameras) if cameras else None,
    )


def _valid_pixels(files: Mapping[str, Path], decoded: Mapping[str, Any], res: int) -> np.ndarray:
    """Where a view's geometry is defined: ``mask_valid``, else where depth has a hit."""
    if MASK_VALID.folder in files:
        pixels = _load(files[MASK_VALID.folder], "mask_valid", res)
        return (pixels[..., 0] if pixels.ndim == 3 else pixels)[None] > 127
    for task in ("rgb2depth", "rgb2mist"):
        if task in decoded:
            return decoded[task][1]
    return np.ones((1, res, res), bool)
