"""The bridge's own inputs: jigsaw tiles agree with the data package's, and fit the encoder."""

from __future__ import annotations

import numpy as np
import pytest

from taskonomy_data.synth._selfsup import jigsaw_tiles as data_package_tiles
from taskonomy_tools.taskdata import jigsaw_tiles


def test_jigsaw_tiles_are_the_data_packages_permuted_cells():
    rgb = np.random.default_rng(0).random((4, 3, 48, 48), dtype=np.float32)
    tiles, permutation = jigsaw_tiles(rgb, np.arange(10, 14), stride=8)  # 16 px cells: uncut
    assert tiles.shape == (4, 9, 3, 16, 16) and len(set(permutation.tolist())) > 1
    for i in range(4):
        np.testing.assert_array_equal(tiles[i], data_package_tiles(rgb[i], int(permutation[i])))
    _, same = jigsaw_tiles(rgb[::-1], np.arange(10, 14), stride=8)
    np.testing.assert_array_equal(same, permutation)  # drawn per sample index, not per image


def test_jigsaw_cells_are_cut_to_the_encoders_stride_at_their_centre():
    rgb = np.random.default_rng(1).random((2, 3, 32, 32), dtype=np.float32)
    tiles, permutation = jigsaw_tiles(rgb, np.arange(2), stride=8)  # 10 px cells -> 8 px
    assert tiles.shape == (2, 9, 3, 8, 8)
    cell = int(np.flatnonzero(_permutations()[permutation[0]] == 0)[0])  # where cell 0 went
    np.testing.assert_array_equal(tiles[0, cell], rgb[0, :, 1:9, 1:9])
    with pytest.raises(ValueError, match="at least 24 px"):
        jigsaw_tiles(rgb[:, :, :20, :20], np.arange(2), stride=8)


def _permutations():
    from taskonomy_data.synth import jigsaw_permutations

    return jigsaw_permutations()
