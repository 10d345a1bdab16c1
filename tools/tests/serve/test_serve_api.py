import pytest

from taskonomy_tools.serve import create_app
from taskonomy_tools.serve._app import MAX_UPLOAD_BYTES


def test_solve_released_default_budget(client):
    r = client.post("/api/solve", json={"budget": 6, "max_order": 3})
    assert r.status_code == 200
    sol = r.json()
    assert sol["status"] == "optimal"
    assert len(sol["roots"]) <= 6
    assert "class_selected" not in sol["transfers"]
    # Every target is solved by roots only, and gain/quality come from the win-rate files.
    for target, sources in sol["transfers"].items():
        assert all(s in sol["roots"] or s == "self" for s in sources)
        quality = sol["quality"][target]
        assert 0 <= quality <= 1
        if sources == ["self"]:
            assert quality == pytest.approx(0.5)  # full supervision against itself
    assert sol["objective"] == pytest.approx(sum(sol["values"].values()))


def test_budget_changes_the_answer(client):
    small = client.post("/api/solve", json={"budget": 2, "max_order": 1}).json()
    large = client.post("/api/solve", json={"budget": 10, "max_order": 1}).json()
    assert large["objective"] > small["objective"]
    assert len(large["roots"]) > len(small["roots"])


def test_importance_cost_and_transform_reach_the_model(client):
    base = {"targets": ["rgb2depth", "edge2d"], "budget": 1, "max_order": 1}
    plain = client.post("/api/solve", json=base).json()
    weighted = client.post("/api/solve", json=base | {"importance": {"rgb2depth": 10}}).json()
    # Values are importance x performance, and weighting depth can only improve its transfer.
    assert weighted["values"]["rgb2depth"] >= 10 * plain["values"]["rgb2depth"] - 1e-9
    pricey = client.post("/api/solve", json=base | {"cost": dict.fromkeys(plain["roots"], 2)})
    assert not set(pricey.json()["roots"]) & set(plain["roots"])
    ident = client.post("/api/solve", json=base | {"transform": "identity"}).json()
    assert ident["objective"] < plain["objective"]  # sqrt raises values below 1


def test_infeasible_is_an_answer_not_an_error(client):
    r = client.post("/api/solve", json={"budget": 0, "max_order": 1})
    assert r.status_code == 200
    assert r.json()["status"] == "infeasible"
    assert "budget" in r.json()["message"]


BAD = [
    ({"budget": "six"}, "budget"),
    ({"budget": True}, "budget"),
    ({"budget": 1e300}, "budget"),
    ({"budget": -1}, "budget"),
    ({"max_order": 2.5}, "max_order"),
    ({"max_order": 99}, "max_order"),
    ({"targets": []}, "empty"),
    ({"targets": "rgb2depth"}, "list"),
    ({"targets": ["no_such_task"]}, "no_such_task"),
    ({"targets": ["jigsaw"], "source_only": ["jigsaw"]}, "jigsaw"),
    ({"unused": ["nope"]}, "nope"),
    ({"transform": "log"}, "transform"),
    ({"importance": {"rgb2depth": "high"}}, "importance"),
    ({"importance": ["rgb2depth"]}, "importance"),
    ({"cost": {"ghost": 1}}, "ghost"),
    ({"colour": "blue"}, "colour"),
]


@pytest.mark.parametrize(("body", "word"), BAD)
def test_bad_solve_requests_get_422_naming_the_problem(client, body, word):
    r = client.post("/api/solve", json=body)
    assert r.status_code == 422
    assert word in r.json()["error"]


@pytest.mark.parametrize("raw", [b"", b"{", b"[1, 2]", b"null", b"\xff\xfe", b'"text"'])
def test_malformed_bodies_get_4xx(client, raw):
    r = client.post("/api/solve", content=raw, headers={"content-type": "application/json"})
    assert 400 <= r.status_code < 500
    assert r.json()["error"]


def test_oversized_bodies_are_refused_and_server_goes_on(client):
    r = client.post("/api/solve", content=b"{" + b" " * 200_000 + b"}")
    assert r.status_code == 413
    r = client.post("/api/predict", files={"image": ("big.png", b"\0" * (50 * 2**20), "image/png")})
    assert r.status_code == 413
    assert MAX_UPLOAD_BYTES < 50 * 2**20
    assert client.post("/api/solve", json={"budget": 3}).status_code == 200


def test_predict_without_run_says_how_to_start(client):
    r = client.post("/api/predict", files={"image": ("x.txt", b"not an image", "text/plain")})
    assert r.status_code == 404
    assert "--run" in r.json()["error"]


def test_wrong_methods_and_paths_are_json_4xx(client):
    assert client.get("/api/solve").status_code == 405
    assert client.get("/nowhere").status_code == 404
    assert client.get("/nowhere").json()["error"]


def test_openapi_documents_both_endpoints(client):
    schema = client.get("/openapi.json").json()
    assert {"/api/solve", "/api/predict"} <= set(schema["paths"])
    props = schema["components"]["schemas"]["SolveRequest"]["properties"]
    assert {"targets", "budget", "max_order", "transform", "importance", "cost"} <= set(props)


def test_any_run_affinities_work():
    from starlette.testclient import TestClient

    app = create_app(affinities={"self__a": 0.8, "b__a": 0.5, "self__b": 0.9, "a__b": 0.3})
    c = TestClient(app)
    info = c.get("/api/info").json()
    assert info["tasks"] == ["a", "b"] and not info["has_win_rates"]
    body = {"budget": 2, "max_order": 1, "source_only": [], "unused": []}
    assert sorted(c.post("/api/solve", json=body).json()["roots"]) == ["a", "b"]


def test_missing_affinities_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("TASKONOMY_2018_DIR", str(tmp_path))
    with pytest.raises(ValueError, match="--affinities"):
        create_app()
