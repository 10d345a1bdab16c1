import shutil
from pathlib import Path

from PIL import Image

from taskonomy_data.cli import main


def test_info_check_show(full_store, tmp_path, capsys):
    store, _ = full_store
    assert main(["info", store.url]) == 0
    assert "train: 20 views, 3 buildings" in capsys.readouterr().out
    assert main(["check", store.url]) == 0
    out = tmp_path / "sheet.png"
    assert main(["show", store.url, "--sample", "3", "--out", str(out)]) == 0
    with Image.open(out) as sheet:
        assert sheet.size[0] == 4 * 132 and sheet.size[1] > 146


def test_check_fails_with_a_message_and_no_traceback(full_store, capsys):
    store, _ = full_store
    shutil.rmtree(Path(store.url) / "val" / "rgb")
    assert main(["check", store.url]) == 1
    err = capsys.readouterr().err
    assert "val/rgb: array missing" in err and "Traceback" not in err


def test_user_errors_are_one_line(tmp_path, full_store, capsys):
    store, _ = full_store
    assert main(["info", str(tmp_path / "nope.zarr")]) == 2
    assert main(["show", store.url, "--sample", "99"]) == 2
    assert main(["ingest", str(tmp_path / "nowhere"), str(tmp_path / "x.zarr")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(line.startswith("taskonomy-data ") for line in err)
