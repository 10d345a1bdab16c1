"""taskonomy-data: the Taskonomy task registry, a Zarr dataset store, fast readers and ingest.

>>> from taskonomy_data import get_task
>>> get_task("depth_zbuffer").encoding
'depth_uint16'
"""

from taskonomy_data._check import check_store
from taskonomy_data._encoding import ENCODINGS, Encoding, get_encoding
from taskonomy_data._export import export
from taskonomy_data._ingest import BadFileError, ingest, read_split_csv
from taskonomy_data._reader import EpochReader
from taskonomy_data._registry import (
    TASKS,
    TaskSpec,
    get_task,
    register_task,
    resolve_tasks,
    task_names,
    unregister_task,
)
from taskonomy_data._release import RELEASE_DOMAINS, ReleaseDomain
from taskonomy_data._store import (
    CAMERA_FIELDS,
    SCHEMA_VERSION,
    DatasetStore,
    create_store,
    default_layout,
    open_store,
)

__version__ = "0.1.0"
_SYNTH = ("contact_sheet", "render_sample", "synthesize")


def __getattr__(name: str):
    # The synthetic generator (scipy, scikit-image) is imported only when it is used.
    if name in _SYNTH:
        from taskonomy_data import synth

        return getattr(synth, name)
    raise AttributeError(f"module 'taskonomy_data' has no attribute {name!r}")


__all__ = [
    "CAMERA_FIELDS",
    "ENCODINGS",
    "RELEASE_DOMAINS",
    "SCHEMA_VERSION",
    "TASKS",
    "BadFileError",
    "DatasetStore",
    "Encoding",
    "EpochReader",
    "ReleaseDomain",
    "TaskSpec",
    "check_store",
    "contact_sheet",
    "create_store",
    "default_layout",
    "export",
    "get_encoding",
    "get_task",
    "ingest",
    "open_store",
    "read_split_csv",
    "register_task",
    "render_sample",
    "resolve_tasks",
    "synthesize",
    "task_names",
    "unregister_task",
]
