"""`[tasks.NAME]` tables: a task Taskonomy does not have, declared without code, or one clear
message for a bad table."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from taskonomy_tools import config
from taskonomy_tools.cli import main
from taskonomy_tools.customtasks import custom_task, register_custom_tasks
from taskonomy_tools.pipeline import check

GOOD = {"kind": "dense", "channels": 1, "encoding": "unit16", "loss": "l1"}


def _cfg(table, **tasks):
    base = config.profile("tiny")
    targets = [*base.tasks.targets, "glossiness"]
    return config.build(
        {
            "dataset": {"kind": "ingest", "source": "/nowhere"},
            "tasks": {"targets": targets, **tasks, "glossiness": table},
        },
        base,
    )


def test_a_table_becomes_a_target_task():
    cfg = _cfg(GOOD)
    assert cfg.tasks.custom == {"glossiness": GOOD}
    check(cfg)
    from taskonomy_data import get_task

    assert get_task("glossiness").encoding == "uint16_unit"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kind": "hologram"}, "kind = 'hologram' does not fit encoding 'unit16'"),
        ({"kind": None}, "lacks ['kind']"),
        ({"encoding": "jpeg"}, "encoding = 'jpeg'; choose one of"),
        ({"channels": 3}, "unit16 files hold one channel, not 3"),
        ({"channels": 0}, "channels = 0; give a positive integer"),
        ({"loss": "hinge"}, "loss = 'hinge'"),
        ({"colour": "red"}, "unknown settings ['colour']"),
    ],
)
def test_a_bad_table_gets_one_message(change, message):
    table = {k: v for k, v in (GOOD | change).items() if v is not None}
    with pytest.raises(ValueError, match=r"\[tasks.glossiness\]") as error:
        check(_cfg(table))
    assert message in str(error.value)


def test_a_new_task_cannot_be_a_source_nor_shadow_a_taskonomy_task():
    base = config.profile("tiny")
    with pytest.raises(ValueError, match="can only be a target"):
        check(_cfg(GOOD, sources=[*base.tasks.sources, "glossiness"]))
    with pytest.raises(ValueError, match="already a task"):
        register_custom_tasks({"rgb2depth": GOOD})


def test_the_generator_cannot_label_a_new_task():
    cfg = config.build({"dataset": {"kind": "synthetic"}}, _cfg(GOOD))
    with pytest.raises(ValueError, match='kind = "ingest"'):
        check(cfg)


def test_channels_that_disagree_with_the_files(tmp_path):
    from taskonomy_data import BadFileError, ingest

    for folder, pixels in (("rgb", np.zeros((8, 8, 3), np.uint8)), ("shine", np.zeros((8, 8)))):
        (tmp_path / "b" / folder).mkdir(parents=True)
        name = f"point_0_view_0_domain_{folder}.png"
        Image.fromarray(pixels.astype(np.uint8)).save(tmp_path / "b" / folder / name)
    spec, domain = custom_task(
        "shine", {"kind": "dense", "channels": 3, "encoding": "unit8", "loss": "l1"}
    )
    with pytest.raises(BadFileError, match=r"not fit task shine.*1 channels, the task needs 3"):
        ingest(tmp_path, str(tmp_path / "s.zarr"), tasks=["rgb", spec], domains=[domain])


def test_the_command_line_names_the_table(tmp_path, capsys):
    run = tmp_path / "run.toml"
    run.write_text('profile = "tiny"\n[tasks.glossiness]\nkind = "dense"\nchannels = 1\n')
    assert main(["run", str(run), "--out", str(tmp_path / "out")]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "[tasks.glossiness] lacks ['encoding', 'loss']" in line
