from __future__ import annotations

from pathlib import Path

import pytest

from taskonomy_tools import config


def test_profiles_differ_where_they_should() -> None:
    demo, tiny, full = config.profile("demo"), config.profile("tiny"), config.profile("full")
    assert tiny.dataset.buildings < demo.dataset.buildings < full.dataset.buildings
    assert set(tiny.tasks.targets) <= set(full.tasks.targets)
    assert set(demo.tasks.targets) < set(full.tasks.targets) and len(full.tasks.targets) == 22
    with pytest.raises(ValueError, match="unknown profile"):
        config.profile("huge")


def test_toml_overrides_a_profile(tmp_path: Path) -> None:
    path = tmp_path / "run.toml"
    path.write_text('profile = "tiny"\n[train]\nepochs = 7\nlr = 1\n[taxonomy]\norders = [1]\n')
    cfg = config.load(path)
    assert cfg.train.epochs == 7 and cfg.train.lr == 1.0 and cfg.taxonomy.orders == (1,)
    assert cfg.dataset == config.profile("tiny").dataset


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[train]\nepoch = 3\n", "unknown setting train.epoch"),
        ("[trian]\nepochs = 3\n", "unknown configuration section"),
        ("[train]\nepochs = 'many'\n", "train.epochs must be an integer"),
        ("[train\n", "not valid TOML"),
    ],
)
def test_bad_configuration_is_named(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "run.toml"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        config.load(path)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        config.load(tmp_path / "nope.toml")


def test_every_profile_passes_the_pipeline_checks() -> None:
    from taskonomy_tools.pipeline import check

    for name in config.PROFILES:
        check(config.profile(name))


@pytest.mark.parametrize(
    ("tasks", "message"),
    [
        ({"targets": ["jigsaw", "rgb2depth"]}, "jigsaw can only be a source"),
        ({"sources": ["rgb2depth"], "targets": ["edge2d"]}, "no target is also a source"),
        ({"targets": ["rgb2dpth"]}, "unknown task 'rgb2dpth'"),
    ],
)
def test_impossible_task_lists_are_refused_before_any_work(tasks, message) -> None:
    from taskonomy_tools.pipeline import check

    with pytest.raises(ValueError, match=message):
        check(config.build({"tasks": tasks}, config.profile("tiny")))


@pytest.mark.parametrize(
    ("taxonomy", "message"),
    [
        ({"bootstrap": 1}, "bootstrap must be 0"),
        ({"bootstrap": -5}, "bootstrap must be 0"),
        ({"bootstrap_by": "scene"}, "bootstrap_by = 'scene'"),
    ],
)
def test_bad_bootstrap_settings_are_refused_before_any_work(taxonomy, message) -> None:
    from taskonomy_tools.pipeline import check

    with pytest.raises(ValueError, match=message):
        check(config.build({"taxonomy": taxonomy}, config.profile("tiny")))
