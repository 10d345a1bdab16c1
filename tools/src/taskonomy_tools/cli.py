"""`taskonomy`: Taskonomy's four steps end to end, the analysis of released numbers, the web app.

Errors a user can fix end in one line on stderr and exit status 2; a bug still shows its traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import NoReturn

from . import __version__

EPILOG = """examples:
  taskonomy demo                               # built-in synthetic data, ~7 min on a 2-core CPU
  taskonomy run my-run.toml --out runs/mine    # your own configuration (TOML)
  taskonomy analyze --released ../shared/taskonomy-2018 --out runs/released
  taskonomy serve --affinities ../shared/taskonomy-2018
  taskonomy gpu-check --json runs/gpu_check.json   # the `full` profile, shortened, timed
"""


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad option is one line on stderr (the problem and ``--help``), exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}; see {self.prog} --help\n")


def port_number(text: str) -> int:
    """A TCP port for ``--port``: an integer from 0 (any free port) to 65535.

    >>> port_number("8000")
    8000
    """
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port: give 0-65535, e.g. 8000")
    return port


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="taskonomy",
        description="Measure how vision tasks transfer, build a taxonomy, and report it.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add_run_options(sub: argparse.ArgumentParser, default_out: str) -> None:
        sub.add_argument(
            "--out",
            type=Path,
            default=Path(default_out),
            help=f"run folder (default: {default_out}); rerunning resumes it",
        )
        sub.add_argument(
            "--scheduler",
            default=None,
            help="'serial', 'local' (a local Dask cluster) or a Dask scheduler "
            "address such as tcp://10.0.0.5:8786 (default: from the config)",
        )
        sub.add_argument(
            "--workers",
            type=int,
            default=None,
            help="workers of the local Dask cluster (with --scheduler local)",
        )

    run = commands.add_parser(
        "run",
        help="run the whole pipeline from a TOML configuration",
        description="Dataset -> task networks -> representations -> "
        "readouts -> per-sample losses -> AHP affinities -> taxonomy sweep "
        "-> evaluation -> report. Stages whose inputs are unchanged are "
        "skipped, so a killed run resumes.",
    )
    run.add_argument("config", type=Path, help='TOML file: `profile = "demo"` plus overrides')
    add_run_options(run, "runs/run")

    demo = commands.add_parser(
        "demo",
        help="the pipeline on the built-in synthetic data",
        description="The default profile on the built-in synthetic "
        "dataset, sized to finish within 15 minutes on a 2-core CPU (about 7 here).",
    )
    demo.add_argument("--profile", default="demo", help="demo (default), tiny or full")
    add_run_options(demo, "runs/demo")

    ablate = commands.add_parser(
        "ablate",
        help="what moves the task tree: one setting changed at a time",
        description="Run a configuration (first-order transfers only), then once per value of "
        "each --vary with only that setting changed, and tabulate the task tree's intruders, "
        "the budgets above the random band and the Gains in OUT/ablation.csv. A variant reuses "
        "the base run's stages that its change leaves alone.",
    )
    ablate.add_argument("config", type=Path, help="the base TOML configuration")
    ablate.add_argument(
        "--vary",
        action="append",
        default=[],
        metavar="SECTION.SETTING=V1,V2",
        help="values to try for one setting, e.g. train.epochs=24 (repeatable)",
    )
    ablate.add_argument("--out", type=Path, default=Path("runs/ablation"))

    compare = commands.add_parser(
        "compare",
        help="how much of the task tree and of a taxonomy survives across runs (seeds)",
        description="Compare two or more finished runs (e.g. the same configuration with other "
        "seeds): the tree branches they share, and the roots and sources they choose at one "
        "budget.",
    )
    compare.add_argument("runs", type=Path, nargs="+", help="run folders")
    compare.add_argument("--budget", type=int, default=5, help="the taxonomy's budget (5)")
    compare.add_argument("--order", type=int, default=None, help="max order (default: highest)")
    compare.add_argument("--json", type=Path, default=None, help="also write the figures here")

    analyze = commands.add_parser(
        "analyze",
        help="task tree, taxonomies and plots from released affinities",
        description="Analyse affinities and win rates in the released format "
        "(`s1__s2__t` -> value), e.g. the authors' ../shared/taskonomy-2018.",
    )
    analyze.add_argument(
        "--released",
        type=Path,
        default=None,
        help="a folder in the authors' layout (json/ or results/)",
    )
    analyze.add_argument("--affinities", type=Path, default=None, help="affinities JSON/pickle")
    analyze.add_argument(
        "--gain", type=Path, default=None, help="win rates against pixels (wins_vs_pixels*)"
    )
    analyze.add_argument(
        "--quality", type=Path, default=None, help="win rates against self (wins_vs_task*)"
    )
    analyze.add_argument("--variant", default="16k", help="with --released: 16k (default) or 1k")
    analyze.add_argument(
        "--transform",
        default="sqrt",
        choices=("identity", "sqrt"),
        help="affinity -> performance, as the authors' solver (default: sqrt)",
    )
    analyze.add_argument("--out", type=Path, default=Path("runs/released"))

    check = commands.add_parser(
        "gpu-check",
        help="a shortened `full` profile end to end, with its throughput figures in one JSON",
        description="Runs the `full` profile (every task, ResNet-50 at 128 px) on a few "
        "buildings for 1-2 epochs end to end, then times one task's network training (bf16 "
        "autocast, channels_last on CUDA), representation extraction and first-order readouts, "
        "counts the model FLOPs of a training batch and writes the figures, peak GPU memory and "
        "the fraction of the card's bf16 dense peak to one JSON file.",
    )
    check.add_argument(
        "config", type=Path, nargs="?", default=None, help="optional TOML overrides, applied last"
    )
    check.add_argument("--json", type=Path, required=True, help="where the figures go")
    check.add_argument("--buildings", type=int, default=6, help="synthetic buildings (default 6)")
    check.add_argument("--epochs", type=int, default=1, help="network and readout epochs (1)")
    check.add_argument("--steps", type=int, default=30, help="timed training steps (30)")
    check.add_argument(
        "--batch-sizes",
        default="",
        help="training batch sizes to time, comma-separated (default: the profile's)",
    )
    check.add_argument(
        "--workdir", type=Path, default=None, help="keep the run here (default: a temporary one)"
    )

    serve = commands.add_parser("serve", help="the interactive solver and task-bank pages")
    serve.add_argument("--run", type=Path, default=None, help="a pipeline run folder")
    serve.add_argument(
        "--affinities",
        type=Path,
        default=None,
        help="an affinities file or a folder in the authors' layout",
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=port_number, default=8000, help="0-65535 (default 8000)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return dispatch(args)
    except (ValueError, OSError) as error:  # a bad file, folder or option: the user can fix it
        print(f"taskonomy {args.command}: error: {_user_message(error)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"taskonomy {args.command}: interrupted; run it again to resume", file=sys.stderr)
        return 130


def _user_message(error: Exception) -> str:
    """An OSError as 'PATH: reason; choose another path' rather than '[Errno 20] ...'."""
    if isinstance(error, OSError) and error.filename and error.strerror:
        return f"cannot use {error.filename}: {error.strerror}; choose another path"
    return str(error)


def _check_run_folder(out: Path) -> None:
    for folder in (out, *out.parents):
        if folder.exists():
            if not folder.is_dir():
                raise ValueError(f"--out {out}: {folder} is a file; give a folder for the run")
            return


def dispatch(args: argparse.Namespace) -> int:
    if args.command == "analyze":
        from .released import analyze_released

        report = analyze_released(
            released=args.released,
            affinities=args.affinities,
            gain=args.gain,
            quality=args.quality,
            variant=args.variant,
            transform=args.transform,
            out=args.out,
        )
        print(f"report: {report}")
        return 0
    if args.command in ("run", "demo"):
        from . import config as config_module
        from .pipeline import run_pipeline

        if args.command == "run":
            cfg = config_module.load(args.config)
        else:
            cfg = config_module.profile(args.profile)
        compute = {}
        if args.scheduler is not None:
            compute["scheduler"] = args.scheduler
        if args.workers is not None:
            compute["workers"] = args.workers
        if compute:
            cfg = config_module.build({"compute": compute}, cfg)
        _check_run_folder(args.out)
        report = run_pipeline(cfg, args.out)
        print(f"report: {report}")
        return 0
    if args.command == "ablate":
        from . import config as config_module
        from .ablation import ablate, parse_vary

        varies = [parse_vary(v) for v in args.vary]
        _check_run_folder(args.out)
        results = ablate(config_module.load(args.config), varies, args.out)
        for r in results:
            print(
                f"{r.variant}: {r.intruders} intruders, Quality above the band at "
                f"{r.above_band}/{r.budgets} budgets, Gain > 0.5 for "
                f"{r.gain_over_half}/{r.transferred} ({r.seconds:.0f} s)"
            )
        print(f"table: {args.out / 'ablation.csv'}")
        return 0
    if args.command == "compare":
        import dataclasses

        from .compare import agreement
        from .rundir import write_json

        result = agreement(args.runs, args.budget, args.order)
        print(result.sentence())
        for target, share in result.same_source.items():
            print(f"  {target}: {share:.0%} of runs agree on its source")
        if args.json is not None:
            write_json(args.json, dataclasses.asdict(result))
        return 0
    if args.command == "gpu-check":
        return gpu_check(args)
    if args.command == "serve":
        try:
            from .serve import serve
        except ImportError as error:
            raise ValueError(f"the web app is unavailable ({error})") from None
        from .released import check_solver

        check_solver()
        serve(run_dir=args.run, affinities=args.affinities, host=args.host, port=args.port)
        return 0
    raise AssertionError(args.command)


def gpu_check(args: argparse.Namespace) -> int:
    import torch

    from .config import read_toml
    from .gpucheck import check_config, run_gpu_check

    overrides = read_toml(args.config) if args.config is not None else {}
    try:
        sizes = tuple(int(b) for b in args.batch_sizes.split(",") if b.strip())
    except ValueError:
        raise ValueError(
            f"--batch-sizes {args.batch_sizes!r}: give integers, e.g. 32,128"
        ) from None
    cfg = check_config(overrides, args.buildings, args.epochs, torch.cuda.is_available())
    run_gpu_check(cfg, args.json, args.workdir, args.steps, sizes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
