"""The run folder: one subfolder per stage, skipped when its inputs and settings are unchanged.

A stage's *digest* hashes its settings and its upstream stages' digests. The stage folder holds
`_settings.json` (the digest it is being built for, written first) and `_done.json` (written last,
atomically). A folder whose settings digest differs is wiped before the stage runs again; a folder
with the right settings but no `_done.json` keeps the jobs that finished, so a killed run resumes
where it stopped. Every file is written under a temporary name and renamed into place.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np


def digest_of(value: Any) -> str:
    """A short, stable hash of JSON-serialisable `value`.

    >>> digest_of({"b": 1, "a": [1, 2]}) == digest_of({"a": [1, 2], "b": 1})
    True
    """
    text = json.dumps(value, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def umask_file_mode() -> int:
    """The mode a new file gets under this process's umask (``0o666 & ~umask``).

    ``mkstemp`` creates its file 0600; a file renamed into place gets this mode instead, so
    others the user shares with can read it. Read from /proc where it exists (no umask change,
    so safe beside other threads).

    >>> umask_file_mode() & 0o600
    384
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


@contextmanager
def atomic_path(path: Path):
    """Yield a temporary path beside `path`; rename it into place only if the block succeeds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, umask_file_mode())
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_json(path: Path, value: Any) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(value, indent=2, sort_keys=True, default=_to_builtin) + "\n")
    return path


def read_json(path: Path) -> Any:
    return json.loads(Path(path).read_text())


def write_arrays(path: Path, **arrays: np.ndarray) -> Path:
    """Save named arrays as one .npz, atomically."""
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez(f, **arrays)
    return path


def read_arrays(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def _to_builtin(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


@dataclass(frozen=True)
class Stage:
    """One stage's folder and digest."""

    name: str
    path: Path
    digest: str

    @property
    def done(self) -> bool:
        marker = self.path / "_done.json"
        return marker.exists() and read_json(marker).get("digest") == self.digest

    def prepare(self) -> None:
        """Make the folder ready for this digest: keep finished jobs of the same settings only."""
        settings = self.path / "_settings.json"
        if self.path.exists() and (
            not settings.exists() or read_json(settings).get("digest") != self.digest
        ):
            shutil.rmtree(self.path)
        self.path.mkdir(parents=True, exist_ok=True)
        if not settings.exists():
            write_json(settings, {"digest": self.digest})

    @property
    def seconds(self) -> float:
        """A finished stage's wall time: from its first file (the settings) to its last (done).

        File times travel with a copied run folder, so a reused stage keeps its own time.
        """
        done, started = (self.path / "_done.json").stat(), (self.path / "_settings.json").stat()
        return done.st_mtime - started.st_mtime

    def finish(self, summary: dict[str, Any] | None = None) -> None:
        write_json(self.path / "_done.json", {"digest": self.digest, **(summary or {})})


def recorded_seconds(run: Path) -> dict[str, float]:
    """Each finished stage's wall time under the run folder `run` (see `Stage.seconds`)."""
    out = {}
    for marker in sorted(Path(run).glob("*/_done.json")):
        if (marker.parent / "_settings.json").exists():
            stage = Stage(marker.parent.name, marker.parent, digest="")
            out[stage.name] = round(stage.seconds, 3)
    return out


class RunDir:
    """The folder of one run; stages are created in pipeline order."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def stage(self, name: str, settings: Any, upstream: tuple[Stage, ...] = ()) -> Stage:
        digest = digest_of({"settings": settings, "upstream": [s.digest for s in upstream]})
        return Stage(name=name, path=self.root / name, digest=digest)

    def run_stage(
        self,
        name: str,
        settings: Any,
        upstream: tuple[Stage, ...],
        body: Callable[[Stage], dict[str, Any] | None],
        log: Callable[[str], None] = print,
    ) -> Stage:
        """Run `body(stage)` unless the stage is already done for these settings and inputs."""
        stage = self.stage(name, settings, upstream)
        if stage.done:
            log(f"[{name}] up to date, skipped")
            return stage
        stage.prepare()
        log(f"[{name}] running")
        stage.finish(body(stage))
        return stage
