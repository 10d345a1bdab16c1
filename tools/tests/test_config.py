from __future__ import annotations

from pathlib import Path

import pytest

from taskonomy_tools import config


def test_profiles_differ_where_they_should() -> None:
    demo, tiny = config.profile("demo"), config.profile("tiny")
    assert tiny.dataset.buildings < demo.dataset.buildings
    assert set(tiny.tasks.targets) <= set(demo.tasks.targets)
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
        ("[train]\nepochs = 'many'\n", "train.epochs must be a int"),
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
