"""Load: 200 solve requests from 8 concurrent clients on loopback, on the released 16k numbers."""

import json
import statistics
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from starlette.testclient import TestClient

from taskonomy_tools.serve import create_app


def test_200_requests_from_8_clients_all_correct(server, released_file, artifacts):
    bodies = [{"budget": 1 + (7 * i) % 26, "max_order": 1 + i % 4} for i in range(200)]
    reference = TestClient(create_app(affinities=released_file))

    def ask(body):
        request = urllib.request.Request(
            server + "/api/solve", json.dumps(body).encode(), {"content-type": "application/json"}
        )
        start = time.perf_counter()
        with urllib.request.urlopen(request, timeout=60) as response:
            data = json.load(response)
        return time.perf_counter() - start, body, data

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(ask, bodies))
    for _, body, data in results:
        expected = reference.post("/api/solve", json=body).json()
        assert data["status"] == expected["status"]
        if expected["status"] == "optimal":
            assert abs(data["objective"] - expected["objective"]) < 1e-6
            assert data["cost"] <= body["budget"]
    latencies = sorted(r[0] * 1000 for r in results)
    p95 = latencies[int(0.95 * len(latencies)) - 1]
    median = statistics.median(latencies)
    line = f"200 requests, 8 clients: median {median:.1f} ms, p95 {p95:.1f} ms"
    (artifacts / "load.txt").write_text(line + "\n")
    print(line)
