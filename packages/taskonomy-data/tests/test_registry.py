import dataclasses
import json

import numpy as np
import pytest

from taskonomy_data import (
    ENCODINGS,
    TASKS,
    TaskSpec,
    get_task,
    register_task,
    task_names,
    unregister_task,
)

SECTION_4 = [
    "autoencoder",
    "denoise",
    "colorization",
    "impainting_whole",
    "jigsaw",
    "class_selected",
    "curvature",
    "edge2d",
    "edge3d",
    "keypoint2d",
    "keypoint3d",
    "reshade",
    "rgb2depth",
    "rgb2mist",
    "rgb2sfnorm",
    "segment2d",
    "segment25d",
    "segmentsemantic",
    "class_1000",
    "class_places",
    "vanishing_point",
    "room_layout",
    "fix_pose",
    "non_fixated_pose",
    "ego_motion",
    "point_match",
]


def test_registry_holds_the_26_tasks_of_section_4_plus_rgb():
    assert sorted(task_names()) == sorted([*SECTION_4, "rgb"])
    assert task_names("input") == ["rgb"]
    assert sorted(task_names("source")) == [
        "class_selected",
        "colorization",
        "impainting_whole",
        "jigsaw",
    ]


@pytest.mark.parametrize(
    ("alias", "name"),
    [
        ("segmentsemantic_rb", "segmentsemantic"),
        ("vanishing_point_well_defined", "vanishing_point"),
        ("depth_zbuffer", "rgb2depth"),
        ("depth_euclidean", "rgb2mist"),
        ("normal", "rgb2sfnorm"),
        ("principal_curvature", "curvature"),
        ("edge_texture", "edge2d"),
        ("edge_occlusion", "edge3d"),
        ("keypoints2d", "keypoint2d"),
        ("keypoints3d", "keypoint3d"),
        ("reshading", "reshade"),
        ("segment_unsup2d", "segment2d"),
        ("segment_unsup25d", "segment25d"),
        ("segment_semantic", "segmentsemantic"),
        ("class_object", "class_1000"),
        ("class_scene", "class_places"),
        ("rgb", "rgb"),
    ],
)
def test_aliases_resolve_to_canonical_ids(alias, name):
    assert get_task(alias).name == name


def test_multi_image_tasks_and_input_formation():
    assert {n: get_task(n).images for n in SECTION_4 if get_task(n).images > 1} == {
        "jigsaw": 9,
        "fix_pose": 2,
        "non_fixated_pose": 2,
        "ego_motion": 3,
        "point_match": 2,
    }
    assert get_task("denoise").input == "noisy_rgb"
    assert get_task("colorization").input == "grayscale"
    assert get_task("impainting_whole").input == "center_masked"
    assert get_task("jigsaw").input == "jigsaw_tiles"
    assert not get_task("jigsaw").stored and get_task("fix_pose").multiview


@pytest.mark.parametrize("name", sorted(TASKS))
def test_spec_round_trips_through_json(name):
    spec = get_task(name)
    again = TaskSpec.from_dict(json.loads(json.dumps(spec.to_dict())))
    assert again == spec
    assert spec.encoding in ENCODINGS


def test_dataset_may_override_a_size():
    spec = dataclasses.replace(get_task("class_1000"), channels=12)
    assert spec.stored_shape(64) == (12,) and get_task("class_1000").channels == 1000


def test_register_a_new_task_in_a_few_lines():
    spec = register_task(
        TaskSpec(
            "albedo",
            kind="dense",
            channels=3,
            encoding="uint8_unit",
            loss="l1",
            mask="array",
            aliases=("intrinsic_albedo",),
        )
    )
    try:
        assert get_task("intrinsic_albedo") is spec
        with pytest.raises(ValueError, match="already registered"):
            register_task(spec)
    finally:
        unregister_task("albedo")
    with pytest.raises(ValueError, match="unknown task 'albedo'"):
        get_task("albedo")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "mesh"}, "kind must be"),
        ({"encoding": "png"}, "encoding must be"),
        ({"mask": "encoded", "encoding": "uint8_unit"}, "carries no mask"),
        ({"channels": 0}, "channels"),
    ],
)
def test_bad_specs_are_refused(kwargs, message):
    base = {"name": "x", "kind": "dense", "channels": 1, "encoding": "uint8_unit", "loss": "l1"}
    with pytest.raises(ValueError, match=message):
        TaskSpec(**{**base, **kwargs})


def test_depth_encoding_follows_the_release():
    codec = ENCODINGS["depth_uint16"]
    stored = codec.encode(np.array([0.0, 1.0, np.inf, 500.0]), np.array([1, 1, 1, 0], bool))
    assert stored.tolist() == [0, 512, 65535, 65535]
    values, mask = codec.decode(np.array([512, 64499, 64500, 65535], np.uint16))
    assert mask.tolist() == [True, True, False, False]
    assert values[0] == 1.0


def test_normals_are_127_128_centred():
    codec = ENCODINGS["uint8_centred"]
    assert codec.encode(np.array([-1.0, 0.0, 1.0]), None).tolist() == [0, 127, 255]
    assert codec.decode(np.array([127, 255], np.uint8))[0].tolist() == [0.0, 1.0]
