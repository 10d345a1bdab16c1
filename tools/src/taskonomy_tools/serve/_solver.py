"""Affinity loading, request validation and cached solving for the solver page."""

from __future__ import annotations

import json
import math
import queue
import threading
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from taskonomy_bip import Problem, Taxonomy, load_affinities

TRANSFORMS = ("sqrt", "identity")
MAX_BUDGET = 1000.0
MAX_ORDER = 5
TIME_LIMIT = 5.0
MODELS_PER_PROBLEM = 4  # built Pyomo models kept per problem, for concurrent solves
RELEASED_SOURCE_ONLY = ("colorization", "impainting_whole", "jigsaw", "random")
RELEASED_UNUSED = ("class_selected",)
_SPECIAL = {"self", "pixels"}


class BadRequest(ValueError):
    """A request the solver cannot answer; its message names the problem and the fix."""


def default_affinities() -> Path | None:
    """The released 16k numbers, if `../shared/taskonomy-2018` (or TASKONOMY_2018_DIR) exists."""
    import os

    root = os.environ.get("TASKONOMY_2018_DIR")
    base = Path(root) if root else Path(__file__).resolve().parents[5] / "shared/taskonomy-2018"
    path = base / "json" / "all_affinities_16k.json"
    return path if path.is_file() else None


def _affinity_file(path: Path) -> Path:
    if path.is_dir():
        for name in (
            "json/all_affinities_16k.json",
            "all_affinities_16k.json",
            "affinities.json",
            "results/affinities/all_affinities_16k.pkl",  # read by bip's restricted unpickler
        ):
            if (path / name).is_file():
                return path / name
        raise ValueError(f"no affinity file in {path}: pass the JSON file itself")
    return path


def _win_rates(path: Path, name: str) -> dict[str, float]:
    # all_affinities_16k.json -> wins_vs_pixels_16k.json; a run's affinities.json -> wins_vs_pixels
    suffix = path.stem.removeprefix("all_affinities") if path.stem.startswith("all_") else ""
    candidate = path.parent / f"wins_vs_{name}{suffix}.json"
    if not candidate.is_file():
        return {}
    return load_affinities(candidate)  # a damaged file is one clear error, not a traceback


def _checked(affinities: Mapping[str, float]) -> dict[str, float]:
    """Given affinities as plain floats; NaN, infinite or negative values are refused."""
    out = {}
    for key, value in affinities.items():
        number = float(value)
        if not (math.isfinite(number) and number >= 0):
            raise ValueError(f"affinity {key!r} is {number}: affinities are finite and >= 0")
        out[str(key)] = number
    return out


class Solver:
    """The affinities of one run (or the released numbers), with cached models and solutions."""

    def __init__(self, affinities: Path | str | Mapping[str, float], cache_size: int = 64) -> None:
        if isinstance(affinities, Mapping):
            self.affinities = _checked(affinities)
            self.gain, self.quality, self.source = {}, {}, "given"
        else:
            path = _affinity_file(Path(affinities))
            self.affinities = load_affinities(path)
            self.gain = _win_rates(path, "pixels")
            self.quality = _win_rates(path, "task")
            self.source = path.name
        keys = [k.split("__") for k in self.affinities]
        self.tasks = sorted({t for parts in keys for t in parts if t not in _SPECIAL})
        self.targets = sorted({parts[-1] for parts in keys} - _SPECIAL)
        self.defaults = {
            "source_only": [t for t in RELEASED_SOURCE_ONLY if t in self.tasks],
            "unused": [t for t in RELEASED_UNUSED if t in self.tasks],
            "budget": 6,
            "max_order": 3,
            "transform": "sqrt",
        }
        self._cache_size = cache_size
        self._models: OrderedDict[str, _Pool] = OrderedDict()
        self._solutions: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def info(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "tasks": self.tasks,
            "targets": self.targets,
            "defaults": self.defaults,
            "has_win_rates": bool(self.gain or self.quality),
            "limits": {"max_budget": MAX_BUDGET, "max_order": MAX_ORDER, "time_limit": TIME_LIMIT},
        }

    def parse(self, body: Any) -> dict[str, Any]:
        """Validate a solve request; raise `BadRequest` naming the first problem found."""
        if not isinstance(body, dict):
            raise BadRequest("the request body must be a JSON object")
        allowed = {
            "targets",
            "source_only",
            "unused",
            "budget",
            "max_order",
            "transform",
            "importance",
            "cost",
        }
        if unknown := sorted(set(body) - allowed):
            raise BadRequest(f"unknown field(s) {unknown}: use only {sorted(allowed)}")
        out: dict[str, Any] = {}
        for name in ("source_only", "unused"):
            out[name] = self._names(body.get(name, self.defaults[name]), name)
        taken = set(out["source_only"]) | set(out["unused"])
        targets = body.get("targets")
        if targets is None:
            out["targets"] = [t for t in self.targets if t not in taken]
        else:
            out["targets"] = self._names(targets, "targets")
            if not out["targets"]:
                raise BadRequest("targets is empty: pick at least one target task")
            if bad := sorted(set(out["targets"]) - set(self.targets)):
                raise BadRequest(f"no transfer into {bad} in the affinities: not possible targets")
            if clash := sorted(set(out["targets"]) & taken):
                raise BadRequest(f"{clash} are targets and also source-only/unused: pick one")
        if not out["targets"]:
            raise BadRequest("no target left after removing source-only and unused tasks")
        out["budget"] = self._number(
            body.get("budget", self.defaults["budget"]), "budget", 0, MAX_BUDGET
        )
        order = body.get("max_order", self.defaults["max_order"])
        if not isinstance(order, int) or isinstance(order, bool) or not 1 <= order <= MAX_ORDER:
            raise BadRequest(f"max_order must be an integer from 1 to {MAX_ORDER}, not {order!r}")
        out["max_order"] = order
        transform = body.get("transform", self.defaults["transform"])
        if transform not in TRANSFORMS:
            raise BadRequest(f"transform must be one of {list(TRANSFORMS)}, not {transform!r}")
        out["transform"] = transform
        for name in ("importance", "cost"):
            out[name] = self._weights(body.get(name, {}), name)
        return out

    def _names(self, value: Any, name: str) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise BadRequest(f"{name} must be a list of task names")
        if unknown := sorted(set(value) - set(self.tasks)):
            raise BadRequest(f"unknown task(s) {unknown} in {name}: known tasks are {self.tasks}")
        return sorted(set(value))

    def _number(self, value: Any, name: str, low: float, high: float) -> float:
        number = isinstance(value, int | float) and not isinstance(value, bool)
        try:
            number = number and math.isfinite(value)
        except OverflowError:  # an integer of hundreds of digits
            number = False
        if not number:
            raise BadRequest(f"{name} must be a finite number, not {value!r:.40}")
        if not low <= value <= high:
            raise BadRequest(f"{name} must be between {low:g} and {high:g}, not {value:g}")
        return float(value)

    def _weights(self, value: Any, name: str) -> dict[str, float]:
        if not isinstance(value, dict):
            raise BadRequest(f"{name} must be an object mapping task names to numbers")
        if unknown := sorted(set(value) - set(self.tasks)):
            raise BadRequest(f"unknown task(s) {unknown} in {name}")
        return {k: self._number(v, f"{name}[{k}]", 0, 1000) for k, v in sorted(value.items())}

    def _pool(self, req: dict[str, Any]) -> _Pool:
        key = json.dumps({k: v for k, v in req.items() if k not in ("budget", "max_order")})
        with self._lock:
            if key in self._models:
                self._models.move_to_end(key)
                return self._models[key]
        try:
            problem = Problem.from_affinities(
                self.affinities,
                targets=req["targets"],
                source_only=req["source_only"],
                unused=req["unused"],
                transform=req["transform"],
                importance=req["importance"],
                supervision_cost=req["cost"],
            )
        except ValueError as error:
            raise BadRequest(str(error)) from None
        with self._lock:
            pool = self._models.setdefault(key, _Pool(problem))
            while len(self._models) > self._cache_size:
                self._models.popitem(last=False)
        return pool

    def solve(self, body: Any) -> dict[str, Any]:
        """Validate and solve one request; the answer is `Solution.to_dict` plus annotations.

        >>> s = Solver({"self__a": 0.8, "b__a": 0.5, "self__b": 0.9, "a__b": 0.3})
        >>> s.solve({"budget": 1, "max_order": 1, "source_only": [], "unused": []})["roots"]
        ['b']
        """
        req = self.parse(body)
        key = json.dumps(req, sort_keys=True)
        with self._lock:
            if key in self._solutions:
                self._solutions.move_to_end(key)
                return self._solutions[key]
        solution = self._pool(req).solve(req["budget"], req["max_order"])
        data = solution.to_dict()
        data["request"] = req
        data["gain"] = {t: self.gain.get(k) for t, k in solution.choices.items()}
        data["quality"] = {t: self.quality.get(k) for t, k in solution.choices.items()}
        with self._lock:
            self._solutions[key] = data
            while len(self._solutions) > 16 * self._cache_size:
                self._solutions.popitem(last=False)
        return data


class _Pool:
    """Built models of one problem; a Pyomo model is not safe to solve from two threads at once."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self._free: queue.Queue[Taxonomy] = queue.Queue()
        self._built = 0
        self._lock = threading.Lock()

    def solve(self, budget: float, max_order: int) -> Any:
        try:
            taxonomy = self._free.get_nowait()
        except queue.Empty:
            with self._lock:
                build = self._built < MODELS_PER_PROBLEM
                self._built += build
            taxonomy = Taxonomy(self.problem) if build else self._free.get()
        try:
            return taxonomy.solve(budget, max_order, time_limit=TIME_LIMIT)
        finally:
            self._free.put(taxonomy)
