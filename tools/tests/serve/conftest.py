import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn
from starlette.testclient import TestClient

from taskonomy_tools.serve import create_app

ROOT = Path(__file__).resolve().parents[3]


def released_dir() -> Path:
    return Path(os.environ.get("TASKONOMY_2018_DIR", ROOT.parent / "shared" / "taskonomy-2018"))


@pytest.fixture(scope="session")
def released_file() -> Path:
    path = released_dir() / "json" / "all_affinities_16k.json"
    if not path.is_file():
        pytest.skip(f"released numbers not found at {path}")
    return path


@pytest.fixture(scope="session")
def client(released_file):
    return TestClient(create_app(affinities=released_file))


@pytest.fixture(scope="session")
def server(released_file):
    """The app served by uvicorn on a free loopback port, for the browser and load tests."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(create_app(affinities=released_file), port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory) -> Path:
    folder = os.environ.get("TASKONOMY_ARTIFACTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def browser():
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.skip("chromium is not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    args = [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=args)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory) -> Path:
    """A tiny run folder: three task networks of different kinds, trained for a few steps."""
    models = pytest.importorskip("taskonomy_models")
    import numpy as np
    import torch

    torch.set_num_threads(1)
    run = tmp_path_factory.mktemp("run")
    rng = np.random.default_rng(0)
    images = rng.random((8, 3, 32, 32), dtype=np.float32)
    tasks = [
        (
            {"name": "edge2d", "kind": "pixel_regression", "channels": 1, "loss": "l1"},
            images.mean(1, keepdims=True),
        ),
        (
            {
                "name": "segmentsemantic",
                "kind": "pixel_classes",
                "channels": 4,
                "loss": "cross_entropy",
            },
            (images[:, 0] * 4).astype(np.int64).clip(0, 3),
        ),
        (
            {"name": "class_places", "kind": "classes", "channels": 5, "loss": "cross_entropy"},
            np.arange(8) % 5,
        ),
    ]
    for spec, labels in tasks:
        net = models.build_network(spec, "tiny", (32, 32), seed=0)
        opt = torch.optim.Adam(net.parameters(), 1e-3)
        x = torch.from_numpy(images)
        for _ in range(3):
            out = net(x)
            y = torch.from_numpy(labels)
            if spec["loss"] == "l1":
                loss = (out - y).abs().mean()
            else:
                loss = torch.nn.functional.cross_entropy(out, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        models.save_network(net, run / "networks" / f"{spec['name']}.pt")
    return run
