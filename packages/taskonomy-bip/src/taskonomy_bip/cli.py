"""The ``taskonomy-bip`` command line: ``solve`` one taxonomy, ``sweep`` budgets x orders."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from ._problem import TRANSFORMS, Problem
from ._released import RELEASED_SOURCE_ONLY, RELEASED_UNUSED, load_affinities
from ._solve import SOLVERS, Taxonomy, sweep


class _OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad option is one line on stderr (the problem and ``--help``), exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}; see {self.prog} --help\n")


def _parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(
        prog="taskonomy-bip",
        description="Plan which tasks to supervise under a budget (Taskonomy's taxonomy BIP).",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    common = _OneLineParser(add_help=False)
    common.add_argument(
        "--affinities",
        required=True,
        type=Path,
        help="released-format affinities, JSON or pickle ('s1__s2__t': value)",
    )
    common.add_argument(
        "--transform",
        choices=TRANSFORMS,
        default="sqrt",
        help="affinity -> performance (default sqrt, as the authors' web solver)",
    )
    common.add_argument(
        "--targets",
        nargs="+",
        metavar="TASK",
        help="tasks to solve (default: every task transferred into)",
    )
    common.add_argument(
        "--source-only",
        nargs="+",
        metavar="TASK",
        default=None,
        help=f"tasks that only serve as sources (default: {' '.join(RELEASED_SOURCE_ONLY)})",
    )
    common.add_argument(
        "--target-only",
        nargs="+",
        metavar="TASK",
        default=(),
        help="targets that cannot be supervised",
    )
    common.add_argument(
        "--unused",
        nargs="+",
        metavar="TASK",
        default=None,
        help=f"tasks left out (default: {' '.join(RELEASED_UNUSED)})",
    )
    common.add_argument(
        "--importance",
        nargs="+",
        metavar="TASK=WEIGHT",
        default=(),
        help="weight of a target in the objective (default 1)",
    )
    common.add_argument(
        "--cost",
        nargs="+",
        metavar="TASK=COST",
        default=(),
        help="supervision cost of a source (default 1)",
    )
    common.add_argument("--solver", choices=list(SOLVERS), default="glpk")
    common.add_argument("--time-limit", type=float, default=None, metavar="SECONDS")
    common.add_argument("--json", action="store_true", help="print one JSON object")
    common.add_argument("--output", type=Path, help="also write the JSON result to this file")

    one = commands.add_parser(
        "solve",
        parents=[common],
        help="solve one taxonomy",
        description="Solve one taxonomy and print it as a table.",
    )
    one.add_argument("--budget", type=float, default=6.0, help="supervision budget (default 6)")
    one.add_argument("--max-order", type=int, default=5, help="largest transfer order (default 5)")
    one.add_argument("--dot", type=Path, help="also write the taxonomy as Graphviz DOT")

    many = commands.add_parser(
        "sweep",
        parents=[common],
        help="solve budgets x maximum orders",
        description="Solve every budget x maximum order with one model.",
    )
    many.add_argument(
        "--budgets",
        nargs="+",
        type=float,
        default=None,
        help="budgets (default 1..number of sources)",
    )
    many.add_argument("--max-orders", nargs="+", type=int, default=[1, 2, 3, 4, 5])
    return parser


def _pairs(items: Sequence[str], what: str) -> dict[str, float]:
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            out[name] = float(value)
        except ValueError:
            sep = ""
        if not sep or not name:
            raise ValueError(f"bad {what} {item!r}: write TASK=NUMBER, e.g. rgb2depth=2")
    return out


def _problem(args: argparse.Namespace) -> Problem:
    affinities = load_affinities(args.affinities)
    named = {t for k in affinities for t in k.split("__")}
    source_only = args.source_only
    if source_only is None:
        source_only = [t for t in RELEASED_SOURCE_ONLY if t in named]
    unused = args.unused if args.unused is not None else [t for t in RELEASED_UNUSED if t in named]
    return Problem.from_affinities(
        affinities,
        targets=args.targets,
        source_only=source_only,
        target_only=args.target_only,
        unused=unused,
        transform=args.transform,
        importance=_pairs(args.importance, "--importance"),
        supervision_cost=_pairs(args.cost, "--cost"),
    )


def _umask_file_mode() -> int:
    """The mode a new file gets under this process's umask (``0o666 & ~umask``).

    ``mkstemp`` creates its file 0600; a file renamed into place gets this mode instead, so
    others the user shares with can read it. Read from /proc where it exists (no umask change,
    so safe beside other threads).
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return 0o666 & ~int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def _check_writable(path: Path | None, option: str) -> None:
    """Refuse an output path that cannot be a file, before any work is done."""
    if path is None:
        return
    if path.is_dir():
        raise ValueError(f"{option} {path} is a folder: give a file name, e.g. {path / 'out'}")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ValueError(f"{option} {path}: {parent} is a file, not a folder")
            break


def _write(path: Path, text: str) -> None:
    """Write atomically: a temporary file in the same folder, renamed into place."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    except OSError as err:
        raise ValueError(
            f"cannot write {path}: {err.strerror or err}; choose a writable path"
        ) from None
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.chmod(tmp, _umask_file_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _run(args: argparse.Namespace) -> int:
    _check_writable(args.output, "--output")
    _check_writable(getattr(args, "dot", None), "--dot")
    problem = _problem(args)
    if args.command == "solve":
        taxonomy = Taxonomy(problem, args.solver)
        solution = taxonomy.solve(args.budget, args.max_order, args.time_limit)
        data = solution.to_dict() | {"preprocessing": str(taxonomy.reduction)}
        if args.dot:
            _write(args.dot, solution.to_dot())
        text = json.dumps(data) if args.json else solution.to_table()
        solutions = [solution]
    else:
        budgets = args.budgets or list(range(1, len(problem.sources) + 1))
        solutions = sweep(problem, budgets, args.max_orders, args.solver, args.time_limit)
        data = {"solutions": [s.to_dict() for s in solutions]}
        text = json.dumps(data) if args.json else _sweep_table(solutions)
    if args.output:
        _write(args.output, json.dumps(data, indent=1) + "\n")
    print(text, end="" if text.endswith("\n") else "\n")
    failed = [s for s in solutions if s.status not in ("optimal", "time_limit")]
    if failed:
        first = failed[0].message or "no feasible taxonomy"
        more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
        print(f"taskonomy-bip: {first}{more}", file=sys.stderr)
        return 2
    return 0


def _sweep_table(solutions) -> str:
    lines = [f"{'budget':>6} {'order':>5} {'status':<10} {'objective':>10} {'gap':>6}  roots"]
    for s in solutions:
        objective = "" if math.isnan(s.objective) else f"{s.objective:.5f}"
        gap = "" if math.isnan(s.gap) else f"{s.gap:.1%}"
        lines.append(
            f"{s.budget:>6g} {s.max_order:>5} {s.status:<10} {objective:>10} {gap:>6}  "
            f"{' '.join(s.roots)}"
        )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; user errors end in one line on stderr and exit status 1."""
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except (ValueError, RuntimeError, ImportError, OSError) as err:
        print(f"taskonomy-bip: error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
