import numpy as np
import pytest

from taskonomy_data import EpochReader, open_store


def _view_names(store):
    return [s.name for s in store.specs.values() if not s.multiview]


def test_epoch_reader_round_trips_and_covers_each_sample_once(full_store):
    store, written = full_store
    reader = EpochReader(
        store.url, "train", _view_names(store), batch_size=6, buffer_samples=8, read_samples=4
    )
    batches = list(reader)
    assert [len(b["index"]) for b in batches] == [6, 6, 6, 2] and len(reader) == 4
    index = np.concatenate([b["index"] for b in batches])
    assert sorted(index) == list(range(20))
    w = written["train"]
    for batch in batches:
        for name, value in w["values"].items():
            np.testing.assert_array_equal(batch[name], value[batch["index"]], err_msg=name)
            if w["masks"][name] is not None:
                np.testing.assert_array_equal(
                    batch[f"{name}_mask"], w["masks"][name][batch["index"]]
                )
        np.testing.assert_array_equal(batch["ids"], w["ids"][batch["index"]])


def test_shuffle_changes_with_epoch_and_is_reproducible(full_store):
    store, _ = full_store
    reader = EpochReader(store, "train", ["rgb"], batch_size=4, seed=3)
    first = np.concatenate([b["index"] for b in reader])
    again = np.concatenate([b["index"] for b in reader])
    reader.set_epoch(1)
    other = np.concatenate([b["index"] for b in reader])
    assert first.tolist() == again.tolist() and first.tolist() != other.tolist()
    plain = EpochReader(store, "train", ["rgb"], batch_size=4, shuffle=False, drop_last=True)
    assert np.concatenate([b["index"] for b in plain]).tolist() == list(range(20))


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_dataloader_workers(full_store, method):
    torch = pytest.importorskip("torch")
    store, written = full_store
    reader = EpochReader(f"file://{store.url}", "train", ["rgb", "rgb2depth"], batch_size=4)
    loader = torch.utils.data.DataLoader(
        reader.as_torch_dataset(), batch_size=None, num_workers=2, multiprocessing_context=method
    )
    seen = []
    for batch in loader:
        idx = batch["index"].numpy()
        np.testing.assert_array_equal(batch["rgb"].numpy(), written["train"]["values"]["rgb"][idx])
        seen.extend(idx.tolist())
    assert sorted(seen) == list(range(20))


def test_batch_reads_by_index_keep_the_order_asked(full_store):
    store, written = full_store
    batch = open_store(store.url).read("train", ["edge2d"], [19, 0, 19, 7])
    np.testing.assert_array_equal(
        batch["edge2d"], written["train"]["values"]["edge2d"][[19, 0, 19, 7]]
    )
