"""The task bank: /api/predict on a tiny run, its bad inputs, and the page in Chromium."""

import io

import numpy as np
import pytest
from PIL import Image
from starlette.testclient import TestClient

from taskonomy_tools.serve import create_app


def _image(fmt="PNG", size=(50, 40)) -> bytes:
    buffer = io.BytesIO()
    pixels = np.random.default_rng(1).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    Image.fromarray(pixels).save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def bank(run_dir, released_file):
    return TestClient(create_app(run_dir=run_dir, affinities=released_file))


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_every_network_answers_with_a_picture_or_scores(bank, fmt):
    r = bank.post("/api/predict", files={"image": ("x", _image(fmt), "image/png")})
    assert r.status_code == 200
    data = r.json()
    assert list(data["inputs"]) == ["32x32"]
    kinds = {o["task"]: o for o in data["outputs"]}
    assert set(kinds) == {"edge2d", "segmentsemantic", "class_places"}
    for task in ("edge2d", "segmentsemantic"):
        assert kinds[task]["image"].startswith("data:image/png;base64,")
    scores = kinds["class_places"]["scores"]
    assert len(scores) == 5 and sum(p for _, p in scores) == pytest.approx(1, abs=1e-5)


BAD_UPLOADS = [
    ({"image": ("x.txt", b"hello, not an image", "text/plain")}, 415),
    ({"image": ("x.png", b"", "image/png")}, 415),
    ({"image": ("x.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "image/gif")}, 415),
    ({"image": ("x.png", _image()[:60], "image/png")}, 415),
    ({"image": ("x.bmp", _image("BMP"), "image/bmp")}, 415),
    ({"picture": ("x.png", _image(), "image/png")}, 422),
    ({"image": ("x.png", _image(size=(5000, 2)), "image/png")}, 415),
]


@pytest.mark.parametrize(("files", "status"), BAD_UPLOADS)
def test_bad_uploads_are_4xx_and_server_goes_on(bank, files, status):
    r = bank.post("/api/predict", files=files)
    assert r.status_code == status, r.text
    assert r.json()["error"]
    ok = bank.post("/api/predict", files={"image": ("x", _image(), "image/png")})
    assert ok.status_code == 200


def test_non_multipart_and_50_mb_uploads(bank):
    r = bank.post("/api/predict", content=b"raw", headers={"content-type": "text/plain"})
    assert 400 <= r.status_code < 500
    huge = {"image": ("big.png", b"\x89PNG" + b"\0" * (50 * 2**20), "image/png")}
    assert bank.post("/api/predict", files=huge).status_code == 413


def test_taskbank_page_in_chromium(run_dir, released_file, browser, artifacts, tmp_path):
    import threading
    import time

    import uvicorn

    app = create_app(run_dir=run_dir, affinities=released_file)
    server = uvicorn.Server(uvicorn.Config(app, port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        picture = tmp_path / "photo.png"
        picture.write_bytes(_image(size=(120, 90)))
        page = browser.new_page(viewport={"width": 1000, "height": 600})
        page.goto(f"http://127.0.0.1:{port}/taskbank")
        page.set_input_files("#image", str(picture))
        page.wait_for_selector("#outputs figure")
        assert page.locator("#outputs img.output").count() == 2
        assert page.locator("#outputs ol.output li").count() == 5
        assert "32x32" in page.locator("#inputs").inner_text()
        page.screenshot(path=str(artifacts / "taskbank.png"), full_page=True)
    finally:
        server.should_exit = True
        thread.join(timeout=5)


def test_run_without_networks_is_one_clear_error(tmp_path, released_file):
    with pytest.raises(ValueError, match="no single-image task network"):
        create_app(run_dir=tmp_path, affinities=released_file)
