import json
import os
from pathlib import Path

import pytest

from taskonomy_models import beam_candidates, competitor_name


def released_dir() -> Path:
    default = Path(__file__).resolve().parents[3] / ".." / "shared" / "taskonomy-2018"
    return Path(os.environ.get("TASKONOMY_2018_DIR", default))


def test_default_beam_sizes():
    cands = beam_candidates([f"s{i}" for i in range(10)])
    orders = [len(c) for c in cands]
    assert (orders.count(2), orders.count(3), orders.count(4)) == (10, 10, 15)
    assert all(s in {f"s{i}" for i in range(6)} for c in cands for s in c)
    assert len(set(cands)) == 35


def test_configurable_and_checked():
    assert len(beam_candidates(list("abcdefg"), {5: 7})) == 21
    assert len(beam_candidates(list("abcdefg"), {2: 3, 3: 3, 4: 0})) == 4
    with pytest.raises(ValueError, match="twice"):
        beam_candidates(["a", "a", "b"])
    with pytest.raises(ValueError, match="order >= 2"):
        beam_candidates(list("abc"), {1: 3})


def test_beam_reproduces_the_released_higher_order_transfers():
    root = released_dir() / "json"
    if not root.is_dir():
        pytest.skip(f"released Taskonomy numbers not found at {root}")
    affinities = json.loads((root / "all_affinities_16k.json").read_text())
    ranked = json.loads((root / "ranked_first_order_transfers.json").read_text())
    exact, checked = [], 0
    for target, ranking in ranked.items():
        released = {
            k for k in affinities if k.endswith(f"__{target}") and 3 <= len(k.split("__")) <= 5
        }
        if not released:
            continue
        ours = {competitor_name(c, target) for c in beam_candidates(ranking)}
        checked += 1
        if ours == released:
            exact.append(target)
    # All but two of the 21 targets with higher orders match; the release is irregular there:
    # non_fixated_pose lacks the 4 triples with room_layout, and segmentsemantic_rb holds extra
    # sets with class_places, which is not in its published top 6.
    assert checked == 21 and len(exact) == 19
    assert "non_fixated_pose" not in exact and "segmentsemantic_rb" not in exact
