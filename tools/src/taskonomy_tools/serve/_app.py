"""The Starlette application: pages, JSON API, OpenAPI schema and request limits."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ._solver import BadRequest, Solver, default_affinities
from ._taskbank import BadImage, TaskBank

STATIC = Path(__file__).parent / "static"
MAX_JSON_BYTES = 64 * 1024
MAX_UPLOAD_BYTES = 10 * 1024 * 1024


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _read_body(request: Request, limit: int) -> bytes | JSONResponse:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        return _error(413, f"request body over {limit} bytes: send a smaller one")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return _error(413, f"request body over {limit} bytes: send a smaller one")
    return bytes(body)


def create_app(
    run_dir: str | Path | None = None,
    affinities: str | Path | Mapping[str, float] | None = None,
    winrates: Mapping[str, Mapping[str, float]] | None = None,
) -> Starlette:
    """The ASGI app: solver page ``/``, task bank ``/taskbank`` (with ``run_dir``), JSON API
    ``POST /api/solve`` and ``POST /api/predict``, OpenAPI schema at ``/openapi.json``.

    ``affinities`` is a released-format JSON file or folder, or a mapping; by default the run's
    ``affinities.json`` or the authors' released 16k numbers. ``winrates`` may give
    ``{"gain": {...}, "quality": {...}}`` keyed like the affinities.

    >>> from starlette.testclient import TestClient
    >>> app = create_app(affinities={"self__a": 0.8, "b__a": 0.5, "self__b": 0.9, "a__b": 0.3})
    >>> TestClient(app).post("/api/solve", json={"budget": 1, "max_order": 1,
    ...     "source_only": [], "unused": []}).json()["roots"]
    ['b']
    """
    if affinities is None and run_dir is not None:
        found = [Path(run_dir) / f for f in ("affinities/affinities.json", "affinities.json")]
        affinities = next((f for f in found if f.is_file()), None)
    if affinities is None:
        affinities = default_affinities()
    if affinities is None:
        raise ValueError("no affinities: pass --affinities FILE or a --run with affinities.json")
    solver = Solver(affinities)
    bank = TaskBank(run_dir) if run_dir is not None else None
    if winrates:
        solver.gain = dict(winrates.get("gain", {}))
        solver.quality = dict(winrates.get("quality", {}))

    async def solve(request: Request) -> Response:
        body = await _read_body(request, MAX_JSON_BYTES)
        if isinstance(body, Response):
            return body
        try:
            data = json.loads(body)
        except RecursionError:
            return _error(400, "the body is JSON nested too deeply: send a flat JSON object")
        except ValueError as error:  # JSONDecodeError, bad UTF-8, a number over 4300 digits
            return _error(400, f"the body is not valid JSON ({error}): send a JSON object")
        try:
            return JSONResponse(await run_in_threadpool(solver.solve, data))
        except BadRequest as error:
            return _error(422, str(error))
        except RuntimeError as error:  # no glpsol: the server's fault, not the request's
            return _error(503, f"the solver cannot run on this server: {error}")

    async def predict(request: Request) -> Response:
        body = await _read_body(request, MAX_UPLOAD_BYTES)
        if isinstance(body, Response):
            return body
        request._body = body  # Starlette re-reads a buffered body when parsing the form
        if bank is None:
            return _error(404, "the task bank needs a run: start `taskonomy serve --run RUN_DIR`")
        try:
            form = await request.form(max_files=1, max_fields=4)
        except Exception as error:  # malformed multipart bodies raise several types
            return _error(400, f"send multipart/form-data with an 'image' file ({error})")
        upload = form.get("image")
        if upload is None or isinstance(upload, str):
            return _error(422, "no 'image' file in the form: upload a PNG or JPEG as 'image'")
        data = await upload.read()
        try:
            return JSONResponse(await run_in_threadpool(bank.predict, data))
        except BadImage as error:
            return _error(415, str(error))

    async def info(request: Request) -> Response:
        return JSONResponse(solver.info() | {"taskbank": bank.tasks() if bank else None})

    async def taskbank(request: Request) -> Response:
        return FileResponse(STATIC / "taskbank.html")

    async def index(request: Request) -> Response:
        return FileResponse(STATIC / "index.html")

    async def openapi(request: Request) -> Response:
        return JSONResponse(OPENAPI)

    async def not_found(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 500)
        return _error(status, getattr(exc, "detail", "internal error"))

    routes = [
        Route("/", index),
        Route("/taskbank", taskbank),
        Route("/api/info", info),
        Route("/api/solve", solve, methods=["POST"]),
        Route("/api/predict", predict, methods=["POST"]),
        Route("/openapi.json", openapi),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    return Starlette(routes=routes, exception_handlers={404: not_found, 405: not_found})


_ERROR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_NAMES = {"type": "array", "items": {"type": "string"}}
_WEIGHTS = {"type": "object", "additionalProperties": {"type": "number", "minimum": 0}}
OPENAPI: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "taskonomy serve", "version": "0.1.0"},
    "paths": {
        "/api/info": {
            "get": {
                "summary": "Tasks, defaults and limits",
                "responses": {"200": {"description": "tasks and defaults"}},
            }
        },
        "/api/solve": {
            "post": {
                "summary": "Solve the taxonomy BIP for the given arguments",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/SolveRequest"}
                        }
                    },
                },
                "responses": {
                    "200": {"description": "Solution.to_dict() plus request, gain, quality"},
                    "400": {"description": "body is not JSON", **_ERROR},
                    "413": {"description": "body too large", **_ERROR},
                    "422": {"description": "invalid arguments", **_ERROR},
                    "503": {"description": "the solver (glpsol) is missing", **_ERROR},
                },
            }
        },
        "/api/predict": {
            "post": {
                "summary": "Every task network's output for an uploaded PNG/JPEG (needs --run)",
                "requestBody": {
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "properties": {"image": {"type": "string", "format": "binary"}},
                            }
                        }
                    }
                },
                "responses": {
                    "400": {"description": "not a multipart form", **_ERROR},
                    "404": {"description": "no run", **_ERROR},
                    "413": {"description": "upload too large", **_ERROR},
                    "415": {"description": "not a PNG/JPEG, or too many pixels", **_ERROR},
                    "422": {"description": "no 'image' file in the form", **_ERROR},
                },
            }
        },
    },
    "components": {
        "schemas": {
            "Error": {"type": "object", "properties": {"error": {"type": "string"}}},
            "SolveRequest": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "targets": {**_NAMES, "minItems": 1},
                    "source_only": _NAMES,
                    "unused": _NAMES,
                    "budget": {"type": "number", "minimum": 0, "maximum": 1000},
                    "max_order": {"type": "integer", "minimum": 1, "maximum": 5},
                    "transform": {"type": "string", "enum": ["sqrt", "identity"]},
                    "importance": _WEIGHTS,
                    "cost": _WEIGHTS,
                },
            },
        }
    },
}
