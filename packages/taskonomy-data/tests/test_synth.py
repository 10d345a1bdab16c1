"""The synthetic generator: geometric consistency of the labels, determinism, resumability."""

from __future__ import annotations

import signal
import subprocess
import sys

import numpy as np
import pytest
import zarr

from taskonomy_data import get_task, open_store, task_names
from taskonomy_data.cli import main
from taskonomy_data.synth import (
    compose_poses,
    contact_sheet,
    jigsaw_permutations,
    plan_building,
    relative_pose,
    render_sample,
    reshade,
    split_buildings,
    synthesize,
)
from taskonomy_data.synth._camera import camera_rays, matrix_from_euler, unit_rays
from taskonomy_data.synth._raycast import cast

SMALL = {"resolution": 32, "points_per_building": 3, "views_per_point": 3, "progress": False}
DECODED = {
    "image": lambda s, r: ((s.channels, r, r), np.float32),
    "dense": lambda s, r: ((s.channels, r, r), np.float32),
    "labels": lambda s, r: ((r, r), np.int64),
    "segments": lambda s, r: ((r, r), np.int64),
    "class": lambda s, r: ((), np.int64),
    "soft_class": lambda s, r: ((s.channels,), np.float32),
    "vector": lambda s, r: ((s.channels,), np.float32),
}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth") / "s.zarr"
    return synthesize(str(out), buildings=2, seed=3, scheduler="sync", **SMALL)


@pytest.fixture(scope="module")
def views():
    """A few 64-pixel views with every label, as render_sample returns them."""
    return [render_sample(b, p, v, resolution=64, seed=1) for b, p, v in [(0, 0, 0), (1, 2, 1)]]


def _arrays(url: str) -> dict[str, bytes]:
    root = zarr.open_group(url, mode="r")
    return {
        f"{split}/{name}": array[...].tobytes()
        for split, group in root.groups()
        for name, array in group.arrays()
    }


def test_every_registry_task_has_a_label_of_the_registry_shape(store):
    resolution = store.resolution
    for split in store.splits:
        assert store.pending(split) == []
        n = store.samples(split)
        for name in task_names():
            spec = get_task(name)
            if spec.multiview:
                pairs = store.read_pairs(split, name, slice(None))
                shape, dtype = DECODED[spec.kind](spec, resolution)
                m = store.pair_count(split, name)
                assert m > 0 and pairs["views"].shape == (m, spec.images), name
                assert pairs[name].shape == (m, *shape) and pairs[name].dtype == dtype, name
                assert pairs[f"{name}_mask"].all(), name
                continue
            batch = store.read(split, [name], slice(None))
            shape, dtype = DECODED[spec.kind](spec, resolution)
            if not spec.stored:  # self-supervised: the label is the image
                shape, dtype = (3, resolution, resolution), np.float32
            assert batch[name].shape == (n, *shape) and batch[name].dtype == dtype, name
            assert np.isfinite(batch[name]).all(), name


def test_render_sample_matches_the_store(store):
    index = 4
    b, p, v = store.read("train", ["rgb"], [index])["ids"][0]
    sample = render_sample(int(b), int(p), int(v), seed=3, resolution=32,
                           points_per_building=3, views_per_point=3)  # fmt: skip
    batch = store.read("train", ["rgb", "rgb2depth", "segmentsemantic"], [index])
    np.testing.assert_allclose(batch["rgb"][0], sample["rgb"], atol=1 / 255)
    np.testing.assert_allclose(batch["rgb2depth"][0], np.nan_to_num(sample["rgb2depth"]) *
                               batch["rgb2depth_mask"][0], atol=1 / 512)  # fmt: skip
    np.testing.assert_array_equal(batch["segmentsemantic"][0], sample["segmentsemantic"])


def test_splits_never_share_a_building(store):
    names = [set(store.buildings(s)) for s in store.splits]
    assert sum(map(len, names)) == len(set().union(*names)) == 2
    assert split_buildings(8) == {"train": [0, 1, 2, 3, 4, 5], "val": [6], "test": [7]}
    assert split_buildings(2) == {"train": [0], "val": [1]}


def _angle(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    cos = (a * b).sum(0) / np.linalg.norm(a, axis=0) / np.linalg.norm(b, axis=0)
    return np.degrees(np.arccos(np.clip(cos, -1, 1)))


def test_normals_agree_with_normals_from_depth(views):
    errors = []
    for s in views:
        fov, res = float(s["camera"][6]), s["rgb"].shape[-1]
        points = s["rgb2depth"][0][..., None] * camera_rays(res, fov).reshape(res, res, 3)
        points = np.moveaxis(points, -1, 0)
        du = (points[:, 1:-1, 2:] - points[:, 1:-1, :-2]) / 2
        dv = (points[:, 2:, 1:-1] - points[:, :-2, 1:-1]) / 2
        from_depth = np.cross(du, dv, axis=0)
        from_depth /= np.linalg.norm(from_depth, axis=0, keepdims=True)
        normals = s["rgb2sfnorm"]
        inner = normals[:, 1:-1, 1:-1]
        from_depth *= np.sign((from_depth * inner).sum(0, keepdims=True))
        # away from edges: the true normal is the same (< 2 degrees) at the 4 neighbours
        smooth = s["rgb2sfnorm_mask"][0, 1:-1, 1:-1].copy()
        for dy, dx in [(0, 1), (0, -1), (1, 0), (-1, 0)]:
            shifted = normals[:, 1 + dy : normals.shape[1] - 1 + dy,
                              1 + dx : normals.shape[2] - 1 + dx]  # fmt: skip
            smooth &= _angle(inner, shifted) < 2
        assert smooth.mean() > 0.5
        errors.append(_angle(from_depth, inner)[smooth])
    assert np.median(np.concatenate(errors)) < 2.0


def test_distance_is_depth_over_cosine_of_the_ray_angle(views):
    for s in views:
        res, fov = s["rgb"].shape[-1], float(s["camera"][6])
        rays = camera_rays(res, fov).reshape(res, res, 3)
        cosine = 1 / np.linalg.norm(rays, axis=-1)  # rays have z = -1
        valid = s["rgb2depth_mask"][0]
        np.testing.assert_allclose(
            s["rgb2mist"][0][valid], (s["rgb2depth"][0] / cosine)[valid], rtol=1e-5
        )
        assert np.array_equal(valid, s["rgb2mist_mask"][0])


def test_reshading_is_the_documented_function(views):
    for s in views:
        res, fov = s["rgb"].shape[-1], float(s["camera"][6])
        rays = camera_rays(res, fov).reshape(res, res, 3)
        valid = s["reshade_mask"][0]
        expected = reshade(np.moveaxis(s["rgb2sfnorm"], 0, -1), rays, s["rgb2mist"][0])
        np.testing.assert_allclose(s["reshade"][0][valid], expected[valid], atol=1e-5)
        assert 0 < s["reshade"][0][valid].mean() < 1


def test_poses_compose_to_the_identity_around_a_triplet(store):
    for split in store.splits:
        ego = store.read_pairs(split, "ego_motion", slice(None))["ego_motion"]
        for label in ego:
            ab, bc, ca = label.reshape(3, 6).astype(np.float64)
            loop = compose_poses(compose_poses(ab, bc), ca)
            np.testing.assert_allclose(loop, 0, atol=1e-4)


def test_pose_labels_match_the_camera_records(store):
    cameras = store.root["train"]["camera"][...].astype(np.float64)
    pairs = store.read_pairs("train", "fix_pose", slice(None))
    for (a, b), label in zip(pairs["views"], pairs["fix_pose"], strict=True):
        ra, rb = matrix_from_euler(cameras[a, 3:6]), matrix_from_euler(cameras[b, 3:6])
        expected = relative_pose(ra, cameras[a, :3], rb, cameras[b, :3])
        np.testing.assert_allclose(label, expected, atol=1e-3)
        np.testing.assert_allclose(cameras[a, 7:], cameras[b, 7:])  # one fixation point


def test_point_matching_positives_see_one_point_at_both_centres(store):
    ids = store.read("train", ["rgb"], slice(None))["ids"]
    cameras = store.root["train"]["camera"][...].astype(np.float64)
    pairs = store.read_pairs("train", "point_match", slice(None))
    building = store.buildings("train")[0]
    plan = plan_building(3, int(building.rsplit("-", 1)[1]), 3, 3)
    assert set(pairs["point_match"].tolist()) == {0, 1}
    for (a, b), label in zip(pairs["views"], pairs["point_match"], strict=True):
        centres = []
        for i in (a, b):
            rotation = matrix_from_euler(cameras[i, 3:6])
            scene = plan.scenes[plan.point_room[ids[i, 1]]]
            hit = cast(scene, cameras[i, None, :3], (rotation @ [0, 0, -1.0])[None])
            centres.append(hit.point[0])
        gap = np.linalg.norm(centres[0] - centres[1])
        assert gap < 0.02 if label == 1 else gap > 0.5


def test_labels_are_sensible(views):
    for s in views:
        assert s["rgb"].std() > 0.03
        assert s["edge2d"].max() == 1
        assert 1 < s["segment2d"].max() < 64**2 / 4 and s["segment25d"].max() > 1
        np.testing.assert_allclose(s["class_places"].sum(), 1, atol=1e-5)
        vp = s["vanishing_point"].reshape(3, 3)
        np.testing.assert_allclose(vp @ vp.T, np.eye(3), atol=1e-5)
    assert any(set(np.unique(s["segmentsemantic"])) - {0, 1} for s in views)  # objects seen
    assert max(s["edge3d"].max() for s in views) > 0.5
    assert np.abs(views[0]["rgb"] - views[1]["rgb"]).mean() > 0.05


def test_same_seed_same_bytes_other_seed_other_scenes(store, tmp_path):
    again = synthesize(str(tmp_path / "again.zarr"), buildings=2, seed=3, scheduler="threads",
                       **SMALL)  # fmt: skip
    a, b = _arrays(store.url), _arrays(again.url)
    assert a.keys() == b.keys() and all(a[k] == b[k] for k in a)
    other = synthesize(str(tmp_path / "other.zarr"), buildings=2, seed=4, tasks=["depth"],
                       scheduler="sync", **SMALL)  # fmt: skip
    assert sorted(other.specs) == ["rgb", "rgb2depth"]
    rgb = store.read("train", ["rgb"], slice(None))["rgb"]
    assert np.abs(rgb - other.read("train", ["rgb"], slice(None))["rgb"]).mean() > 0.05


KILLED = """
import os, signal, sys
from taskonomy_data import DatasetStore
from taskonomy_data.synth import synthesize
write = DatasetStore.write
calls = []
def dying_write(self, *args, **kwargs):
    write(self, *args, **kwargs)
    calls.append(1)
    if len(calls) == 2:
        os.kill(os.getpid(), signal.SIGKILL)
DatasetStore.write = dying_write
synthesize(sys.argv[1], buildings=2, seed=5, resolution=32, points_per_building=3,
           views_per_point=3, chunk_samples=4, scheduler="sync", progress=False)
"""


def test_killed_run_resumes_to_the_same_bytes(tmp_path):
    url = str(tmp_path / "k.zarr")
    proc = subprocess.run([sys.executable, "-c", KILLED, url], timeout=300)
    assert proc.returncode == -signal.SIGKILL
    store = open_store(url)
    assert any(store.pending(s) for s in store.splits)
    kwargs = {**SMALL, "buildings": 2, "seed": 5, "chunk_samples": 4, "scheduler": "sync"}
    resumed = synthesize(url, **kwargs)
    assert not any(resumed.pending(s) for s in resumed.splits)
    clean = synthesize(str(tmp_path / "clean.zarr"), **kwargs)
    a, b = _arrays(resumed.url), _arrays(clean.url)
    assert a.keys() == b.keys() and all(a[k] == b[k] for k in a)


def test_jigsaw_permutations_are_fixed_and_far_apart():
    perms = jigsaw_permutations()
    assert perms.shape == (100, 9) and len({tuple(p) for p in perms}) == 100
    distance = (perms[:, None] != perms[None]).sum(-1)[np.triu_indices(100, 1)]
    assert distance.min() >= 6
    assert perms[0].tolist() == list(range(9)) and distance[0] == 9  # greedy: far from identity
    inputs = render_sample(resolution=36, tasks=[], self_supervised=True)
    tiles = inputs["jigsaw_tiles"]
    first = perms[int(inputs["jigsaw"])][0]
    r, c = divmod(int(first), 3)
    np.testing.assert_array_equal(
        tiles[0], inputs["rgb"][:, r * 12 : r * 12 + 12, c * 12 : c * 12 + 12]
    )


def test_rays_and_cli_errors(tmp_path, capsys):
    assert unit_rays(32).shape == (32 * 32, 3)
    assert main(["synth", str(tmp_path / "x.zarr"), "--resolution", "20"]) == 2
    assert main(["synth", str(tmp_path / "y.zarr"), "--buildings", "0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(line.startswith("taskonomy-data synth: error:") for line in err)
    with pytest.raises(ValueError, match="resolution"):
        render_sample(resolution=300)


def test_contact_sheet(tmp_path):
    pytest.importorskip("PIL")
    from PIL import Image

    path = contact_sheet(tmp_path / "sheet.png", resolution=32)
    with Image.open(path) as image:
        assert image.size[0] > 6 * 100 and image.size[1] > 5 * 100
