"""A contact sheet: one sample's labels for every task, drawn so a person can check them.

Images as images; depth-like maps grey (near is dark, invalid magenta); normals as RGB of
``(n + 1) / 2``; segmentations with random colours (semantic with a fixed palette and a legend);
distributions as bar charts; vanishing points as lines converging on them; the room layout as
the room box's wireframe; poses, egomotion and matching as the views involved with their labels.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from taskonomy_data._registry import task_names
from taskonomy_data.synth._camera import matrix_from_euler, project
from taskonomy_data.synth._pairs import building_pairs
from taskonomy_data.synth._render import POINTS_PER_BUILDING, VIEWS_PER_POINT, render_sample
from taskonomy_data.synth._scene import OBJECT_CLASSES, ROOM_TYPES
from taskonomy_data.synth._views import plan_building

TILE = 176
TITLE = 30
INVALID = np.array([1.0, 0.0, 1.0])


def _pil():
    try:
        from PIL import Image, ImageDraw
    except ImportError:
        raise ImportError(
            "contact_sheet draws with Pillow: pip install 'taskonomy-data[images]'"
        ) from None
    return Image, ImageDraw


def _grey(plane: np.ndarray, mask: np.ndarray, invert: bool = False) -> np.ndarray:
    valid = plane[mask] if mask.any() else plane.ravel()
    lo, hi = float(np.percentile(valid, 1)), float(np.percentile(valid, 99))
    x = np.clip((plane - lo) / (hi - lo or 1), 0, 1)
    x = 1 - x if invert else x
    return np.where(mask[..., None], x[..., None].repeat(3, -1), INVALID)


def _palette(labels: np.ndarray, seed: int = 3) -> np.ndarray:
    colours = np.random.default_rng(seed).uniform(0.15, 1.0, (int(labels.max()) + 1, 3))
    return colours[labels]


SEMANTIC_COLOURS = np.vstack(
    [[0, 0, 0], [0.55, 0.55, 0.55], np.random.default_rng(11).uniform(0.2, 1, (16, 3))]
)


def _to_image(rgb: np.ndarray, size: int = TILE):
    Image, _ = _pil()
    array = (np.clip(rgb, 0, 1) * 255).astype(np.uint8)
    return Image.fromarray(array).resize((size, size), Image.Resampling.NEAREST)


def _bars(values: np.ndarray, names: list[str], top: int = 5):
    Image, ImageDraw = _pil()
    tile = Image.new("RGB", (TILE, TILE), "white")
    draw = ImageDraw.Draw(tile)
    order = np.argsort(-values)[:top]
    for i, k in enumerate(order):
        y = 8 + i * 32
        draw.rectangle([4, y + 12, 4 + int(values[k] * (TILE - 10)), y + 26], fill=(70, 120, 200))
        draw.text((4, y), f"{names[k] if k < len(names) else k} {values[k]:.2f}", fill="black")
    return tile


def _overlay_lines(rgb: np.ndarray, lines: list[tuple[tuple, tuple, tuple]]):
    _, ImageDraw = _pil()
    tile = _to_image(rgb * 0.7 + 0.3)
    draw = ImageDraw.Draw(tile)
    for a, b, colour in lines:
        draw.line([tuple(np.asarray(a) * TILE), tuple(np.asarray(b) * TILE)], fill=colour, width=2)
    return tile


def _vanishing_lines(vp: np.ndarray, fov: float) -> list:
    lines = []
    colours = [(230, 40, 40), (40, 180, 40), (40, 80, 230)]
    for axis, colour in zip(vp.reshape(3, 3), colours, strict=True):
        direction = axis if axis[2] < 0 else -axis
        for s in np.linspace(0.15, 0.85, 4):
            start = np.array([s, 1 - s]) if abs(direction[2]) > 1e-4 else np.array([s, s])
            if abs(direction[2]) > 1e-4:
                (vp_px,), _ = project(direction[None], fov, 1)
                step = start - vp_px
            else:
                step = np.array([direction[0], -direction[1]])
            step = step / (np.linalg.norm(step) or 1)
            lines.append((start - 3 * step, start + 3 * step, colour))
    return lines


def _layout_lines(layout: np.ndarray, fov: float) -> list:
    centre, rotation, extent = layout[:3], matrix_from_euler(layout[3:6]), layout[6:]
    corners = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)]) / 2
    cam = (centre + corners * extent) @ rotation  # world offsets -> camera frame (R.T @ p)
    lines = []
    for i in range(8):
        for j in range(i + 1, 8):
            if np.count_nonzero(corners[i] != corners[j]) != 1:
                continue
            a, b = cam[i], cam[j]
            near = -0.05
            if a[2] > near and b[2] > near:
                continue
            if a[2] > near or b[2] > near:  # clip the edge at the near plane
                t = (near - a[2]) / (b[2] - a[2])
                a, b = (a + t * (b - a), b) if a[2] > near else (a, a + t * (b - a))
            (pa, pb), _ = project(np.array([a, b]), fov, 1)
            lines.append((pa, pb, (255, 200, 0)))
    return lines


def _views(images: list[np.ndarray], text: str):
    Image, ImageDraw = _pil()
    tile = Image.new("RGB", (TILE, TILE), "white")
    n = len(images)
    size = TILE // 2 - 2
    for i, image in enumerate(images):
        thumb = _to_image(image, size)
        d = ImageDraw.Draw(thumb)
        c = size // 2
        d.line([(c - 5, c), (c + 5, c)], fill=(255, 0, 0))
        d.line([(c, c - 5), (c, c + 5)], fill=(255, 0, 0))
        x = (i % 2) * (size + 4) if n > 1 else TILE // 4
        tile.paste(thumb, (x, (i // 2) * (size + 4)))
    ImageDraw.Draw(tile).multiline_text(
        (2, TILE // 2 + 4 if n <= 2 else TILE - 40), text, fill="black", spacing=1
    )
    return tile


def _pose_text(pose: np.ndarray) -> str:
    r, t = np.degrees(pose[:3]), pose[3:]
    return f"rot deg {r[0]:.0f} {r[1]:.0f} {r[2]:.0f}\ntrans m {t[0]:.2f} {t[1]:.2f} {t[2]:.2f}"


def contact_sheet(
    path: str | os.PathLike,
    *,
    building: int = 0,
    point: int = 0,
    view: int = 0,
    resolution: int = 128,
    seed: int = 0,
    points_per_building: int = POINTS_PER_BUILDING,
    views_per_point: int = VIEWS_PER_POINT,
) -> Path:
    """Write a PNG showing every task's label for one synthetic sample; return its path.

    >>> import tempfile
    >>> contact_sheet(tempfile.mkdtemp() + "/sheet.png", resolution=32).suffix
    '.png'
    """
    Image, ImageDraw = _pil()
    kw = {
        "resolution": resolution,
        "seed": seed,
        "points_per_building": points_per_building,
        "views_per_point": views_per_point,
    }
    s = render_sample(building, point, view, self_supervised=True, **kw)
    plan = plan_building(seed, building, points_per_building, views_per_point)
    pairs = building_pairs(plan, 0, seed + building)
    me = point * views_per_point + view

    def rgb_of(index: int) -> np.ndarray:
        p, v = divmod(int(index), views_per_point)
        return render_sample(building, p, v, tasks=[], **kw)["rgb"].transpose(1, 2, 0)

    def pick(task: str) -> int:
        index = pairs[task][0]
        rows = np.flatnonzero((index == me).any(1))
        return int(rows[0]) if len(rows) else 0

    rgb = s["rgb"].transpose(1, 2, 0)
    mask = lambda name: s[f"{name}_mask"][0]  # noqa: E731
    fov = float(s["camera"][6])
    tiles: dict[str, tuple[object, str]] = {}
    tiles["rgb"] = (_to_image(rgb), "input image")
    tiles["autoencoder"] = (_to_image(rgb), "target = image")
    tiles["denoise"] = (_to_image(s["noisy_rgb"].transpose(1, 2, 0)), "input: noisy")
    tiles["colorization"] = (_to_image(s["grayscale"].transpose(1, 2, 0)), "input: grey")
    tiles["impainting_whole"] = (_to_image(s["center_masked"].transpose(1, 2, 0)), "input: masked")
    tiles_img = s["jigsaw_tiles"].transpose(0, 2, 3, 1)
    h = tiles_img.shape[1]
    grid = np.ones((3 * h + 4, 3 * h + 4, 3))
    for i, t in enumerate(tiles_img):
        r, c = divmod(i, 3)
        grid[r * (h + 2) : r * (h + 2) + h, c * (h + 2) : c * (h + 2) + h] = t
    tiles["jigsaw"] = (_to_image(grid), f"permutation {int(s['jigsaw'])}/100")
    tiles["class_selected"] = (_bars(s["class_selected"], list(OBJECT_CLASSES)), "100-way soft")
    k = np.tanh(s["curvature"] / 4)
    curv = np.stack([0.5 + 0.5 * k[0], 0.5 + 0.5 * k[1], np.full_like(k[0], 0.5)], -1)
    tiles["curvature"] = (
        _to_image(np.where(mask("curvature")[..., None], curv, INVALID)),
        "k1 red, k2 green",
    )
    for name, text in [
        ("edge2d", "Canny on RGB"),
        ("edge3d", "depth jumps"),
        ("keypoint2d", "Hessian response"),
        ("keypoint3d", "normal corners"),
        ("reshade", "light at camera"),
    ]:
        tiles[name] = (_to_image(_grey(s[name][0], mask(name))), text)
    tiles["rgb2depth"] = (
        _to_image(_grey(s["rgb2depth"][0], mask("rgb2depth"))),
        "z-buffer, far=white",
    )
    tiles["rgb2mist"] = (
        _to_image(_grey(s["rgb2mist"][0], mask("rgb2mist"))),
        "distance, far=white",
    )
    normals = np.where(
        mask("rgb2sfnorm")[..., None], (s["rgb2sfnorm"].transpose(1, 2, 0) + 1) / 2, INVALID
    )
    tiles["rgb2sfnorm"] = (_to_image(normals), "camera frame (n+1)/2")
    tiles["segment2d"] = (
        _to_image(_palette(s["segment2d"])),
        f"{s['segment2d'].max() + 1} segments",
    )
    seg25 = np.where(mask("segment25d")[..., None], _palette(s["segment25d"]), INVALID)
    tiles["segment25d"] = (_to_image(seg25), f"{s['segment25d'].max() + 1} segments")
    sem = s["segmentsemantic"]
    present = [OBJECT_CLASSES[c - 2] for c in np.unique(sem) if c >= 2][:3]
    tiles["segmentsemantic"] = (_to_image(SEMANTIC_COLOURS[sem]), ", ".join(present) or "room only")
    tiles["class_1000"] = (_bars(s["class_1000"], list(OBJECT_CLASSES)), "1000-way soft")
    tiles["class_places"] = (_bars(s["class_places"], list(ROOM_TYPES), 3), "63-way soft")
    tiles["vanishing_point"] = (
        _overlay_lines(rgb, _vanishing_lines(s["vanishing_point"], fov)),
        "room x red, y green, z blue",
    )
    tiles["room_layout"] = (_overlay_lines(rgb, _layout_lines(s["room_layout"], fov)), "room box")
    for task in ("fix_pose", "non_fixated_pose"):
        row = pick(task)
        a, b = pairs[task][0][row]
        tiles[task] = (
            _views([rgb_of(a), rgb_of(b)], _pose_text(pairs[task][1][row])),
            "pose of right in left",
        )
    row = pick("ego_motion")
    views = [rgb_of(i) for i in pairs["ego_motion"][0][row]]
    poses = pairs["ego_motion"][1][row].reshape(3, 6)
    text = "\n".join(
        f"t{i}{(i + 1) % 3} m " + " ".join(f"{x:.2f}" for x in p[3:]) for i, p in enumerate(poses)
    )
    tiles["ego_motion"] = (_views(views, text), "triplet a, b, c")
    index, labels = pairs["point_match"]
    pos, neg = int(np.argmax(labels == 1)), int(np.argmax(labels == 0))
    images = [rgb_of(i) for i in (*index[pos], *index[neg])]
    tiles["point_match"] = (_views(images, ""), "top: match 1, bottom: 0")

    names = ["rgb", *[n for n in task_names() if n != "rgb"]]
    columns = 6
    rows = -(-len(names) // columns)
    sheet = Image.new("RGB", (columns * (TILE + 6), rows * (TILE + TITLE + 6)), "white")
    draw = ImageDraw.Draw(sheet)
    for i, name in enumerate(names):
        tile, caption = tiles[name]
        x, y = (i % columns) * (TILE + 6) + 3, (i // columns) * (TILE + TITLE + 6) + 3
        draw.text((x, y), name, fill="black")
        draw.text((x, y + 13), caption, fill=(90, 90, 90))
        sheet.paste(tile, (x, y + TITLE))
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp.png")
    sheet.save(tmp)
    os.replace(tmp, path)
    return path
