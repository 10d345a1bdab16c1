"""The ``taskonomy-data`` command line: info, check, ingest, export, show, synth."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np


def _info(args: argparse.Namespace) -> int:
    from taskonomy_data import open_store

    store = open_store(args.store)
    meta = store.meta
    print(
        f"{store.url}: schema {meta['schema_version']}, {store.resolution} px, "
        f"chunks of {store.chunk_samples} samples, shards of {store.shard_samples}"
    )
    for split in store.splits:
        pending = len(store.pending(split))
        pairs = {t: m for t, m in meta["splits"][split]["pairs"].items() if m}
        print(
            f"  {split}: {store.samples(split)} views, {len(store.buildings(split))} buildings"
            + (f", pairs {pairs}" if pairs else "")
            + (f", {pending} regions pending" if pending else "")
        )
    for spec in store.specs.values():
        where = "stored" if spec.stored else f"from {spec.domain}"
        print(f"  {spec.name:18s} {spec.kind:10s} {spec.channels:5d} {spec.encoding:15s} {where}")
    print("  provenance: " + json.dumps(store.provenance)[:500])
    return 0


def _check(args: argparse.Namespace) -> int:
    from taskonomy_data import check_store

    faults = check_store(args.store)
    for fault in faults:
        print(fault, file=sys.stderr)
    print(f"{args.store}: {'OK' if not faults else f'{len(faults)} faults'}")
    return 1 if faults else 0


def _ingest(args: argparse.Namespace) -> int:
    from taskonomy_data import ingest

    tasks = args.tasks.split(",") if args.tasks else None
    store = ingest(
        args.source,
        args.store,
        split=args.split,
        tasks=tasks,
        resolution=args.resolution,
        skip_bad=args.skip_bad,
        progress=True,
    )
    print(store)
    return 0


def _export(args: argparse.Namespace) -> int:
    from taskonomy_data import export, open_store

    store = open_store(args.store)
    out = export(store, args.out, layout=args.layout, progress=True)
    views = sum(store.samples(s) for s in store.splits)
    print(f"{out}: {views} views in the {args.layout}-first release layout, splits in "
          f"{out / 'train_val_test_export.csv'}")  # fmt: skip
    return 0


def _synth(args: argparse.Namespace) -> int:
    try:
        from taskonomy_data.synth import synthesize  # type: ignore[import-not-found]
    except ImportError:
        raise ValueError(
            "the synthetic generator (taskonomy_data.synth) is not installed in this build"
        ) from None
    synthesize(args.store, buildings=args.buildings, resolution=args.resolution, seed=args.seed)
    return 0


def _tile(value: np.ndarray, mask: np.ndarray, kind: str) -> np.ndarray | None:
    """One decoded sample as an (H, W, 3) uint8 image, or None when it is not an image."""
    if kind in ("labels", "segments"):
        palette = np.random.default_rng(0).integers(0, 256, (int(value.max()) + 1, 3))
        rgb = palette[value].astype(np.float32) / 255
    elif kind in ("image", "dense"):
        channels = value.shape[0]
        if channels == 3 and value.min() < 0:
            rgb = (value.transpose(1, 2, 0) + 1) / 2
        elif channels == 3:
            rgb = value.transpose(1, 2, 0)
        else:
            plane = value[0]
            valid = plane[mask[0]] if mask[0].any() else plane
            lo, hi = float(valid.min()), float(valid.max())
            rgb = np.repeat(((plane - lo) / (hi - lo or 1))[..., None], 3, axis=2)
    else:
        return None
    rgb = np.where(mask[0][..., None], np.clip(rgb, 0, 1), [1.0, 0.0, 1.0])
    return (rgb * 255).astype(np.uint8)


def _show(args: argparse.Namespace) -> int:
    from PIL import Image, ImageDraw

    from taskonomy_data import open_store

    store = open_store(args.store)
    split = args.split or store.splits[0]
    if not 0 <= args.sample < store.samples(split):
        raise ValueError(f"--sample must lie in [0, {store.samples(split)}) for split {split!r}")
    specs = store.view_tasks()
    batch = store.read(split, [s.name for s in specs], [args.sample])
    tiles = []
    for spec in specs:
        tile = _tile(batch[spec.name][0], batch[f"{spec.name}_mask"][0], spec.kind)
        if tile is not None:
            tiles.append((spec.name, Image.fromarray(tile).resize((128, 128), Image.NEAREST)))
    columns = min(4, len(tiles))
    rows = -(-len(tiles) // columns)
    sheet = Image.new("RGB", (columns * 132, rows * 146), "white")
    draw = ImageDraw.Draw(sheet)
    for i, (name, tile) in enumerate(tiles):
        x, y = (i % columns) * 132 + 2, (i // columns) * 146 + 2
        sheet.paste(tile, (x, y + 14))
        draw.text((x, y), name, fill="black")
    out = Path(args.out or f"sample_{split}_{args.sample}.png")
    tmp = out.with_name(f".{out.name}.tmp.png")
    sheet.save(tmp)
    os.replace(tmp, out)
    b, p, v = batch["ids"][0]
    building = store.buildings(split)[b] if store.buildings(split) else b
    print(f"{out}: {len(tiles)} tasks of {split} sample {args.sample} ({building}, {p}, {v})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="taskonomy-data", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    info = sub.add_parser("info", help="describe a store")
    info.add_argument("store")
    info.set_defaults(run=_info)
    check = sub.add_parser("check", help="validate a store; non-zero exit on any fault")
    check.add_argument("store")
    check.set_defaults(run=_check)
    ingest = sub.add_parser("ingest", help="ingest the original dataset layout")
    ingest.add_argument("source", help="folder of the original layout, or of .tar archives")
    ingest.add_argument("store")
    ingest.add_argument(
        "--split",
        help="building split: tiny, medium, full, fullplus (the released CSVs) or a CSV path",
    )
    ingest.add_argument("--tasks", help="comma-separated tasks (default: every domain found)")
    ingest.add_argument("--resolution", type=int, help="resize to this many pixels a side")
    ingest.add_argument(
        "--skip-bad",
        action="store_true",
        help="leave out incomplete or damaged views (listed in the store's provenance)",
    )
    ingest.set_defaults(run=_ingest)
    export = sub.add_parser("export", help="write a store in the original release layout")
    export.add_argument("store")
    export.add_argument("out", help="a new folder")
    export.add_argument(
        "--layout",
        choices=["building", "domain"],
        default="building",
        help="building-first (<building>/<domain>/, the release) or domain-first "
        "(<domain>/taskonomy/<building>/, omnidata's downloader)",
    )
    export.set_defaults(run=_export)
    show = sub.add_parser("show", help="contact sheet PNG of one sample's tasks")
    show.add_argument("store")
    show.add_argument("--sample", type=int, default=0)
    show.add_argument("--split")
    show.add_argument("--out", help="PNG path (default sample_<split>_<N>.png)")
    show.set_defaults(run=_show)
    synth = sub.add_parser("synth", help="generate a synthetic dataset")
    synth.add_argument("store")
    synth.add_argument("--buildings", type=int, default=8)
    synth.add_argument("--resolution", type=int, default=64)
    synth.add_argument("--seed", type=int, default=0)
    synth.set_defaults(run=_synth)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; user errors print one line on stderr and return 2."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, ImportError, FileNotFoundError) as error:
        print(f"taskonomy-data {args.command}: error: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # a path under a file, a read-only folder, a full disk
        where = f" {error.filename}" if error.filename else ""
        print(
            f"taskonomy-data {args.command}: error: cannot write or read{where}: "
            f"{error.strerror or error}; choose another path",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":
    sys.exit(main())
