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
    damaged = tmp_path / "damaged.zarr"
    damaged.mkdir()
    (damaged / "zarr.json").write_text("{")
    assert main(["info", str(damaged)]) == 2
    (tmp_path / "a_file").write_text("")
    assert main(["synth", str(tmp_path / "a_file" / "x.zarr"), "--buildings", "3"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 5 and all(line.startswith("taskonomy-data ") for line in err)
    assert "is not a readable Zarr store" in err[3]
    assert "a_file/x.zarr: Not a directory; choose another path" in err[4]


def test_show_and_the_store_get_the_umask_mode(full_store, tmp_path):
    # Files a user shares (a contact sheet, the store's chunks) get 0666 & ~umask, not 0600.
    import os

    store, _ = full_store
    out = tmp_path / "sheet.png"
    for mask in (0o022, 0o002):
        old = os.umask(mask)
        try:
            assert main(["show", store.url, "--sample", "0", "--out", str(out)]) == 0
        finally:
            os.umask(old)
        assert out.stat().st_mode & 0o777 == 0o666 & ~mask
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    chunks = [p for p in Path(store.url).rglob("*") if p.is_file()]
    assert chunks and all(p.stat().st_mode & 0o600 == 0o600 for p in chunks)
    assert all(p.stat().st_mode & 0o044 == 0o044 & ~os.umask(os.umask(0)) for p in chunks)


def test_export_then_ingest_from_the_command_line(tmp_path, capsys):
    from taskonomy_data import open_store
    from taskonomy_data.synth import synthesize

    store = synthesize(str(tmp_path / "s.zarr"), buildings=3, resolution=32, progress=False)
    release = tmp_path / "release"
    assert main(["export", store.url, str(release), "--layout", "domain"]) == 0
    assert "views in the domain-first release layout" in capsys.readouterr().out
    assert main(["export", store.url, str(release)]) == 2  # not a new folder
    assert "is not empty" in capsys.readouterr().err
    building = store.buildings("val")[0]
    (release / "reshading/taskonomy" / building / "point_0_view_0_domain_reshading.png").unlink()
    csv = str(release / "train_val_test_export.csv")
    target = str(tmp_path / "in.zarr")
    assert main(["ingest", str(release), target, "--split", csv]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "lacks reshading (tasks reshade)" in line and "--skip-bad" in line
    assert not Path(target).exists()
    assert main(["ingest", str(release), target, "--split", csv, "--skip-bad"]) == 0
    ingested = open_store(target)
    assert ingested.samples("val") == store.samples("val") - 1
    assert len(ingested.provenance["ingest"]["skipped"]) == 1
