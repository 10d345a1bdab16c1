"""`taskonomy serve`: the interactive solver page and its JSON API (Starlette + uvicorn)."""

from __future__ import annotations

from pathlib import Path

from ._app import create_app

__all__ = ["create_app", "serve"]


def serve(
    run_dir: str | Path | None,
    affinities: str | Path | None,
    host: str = "127.0.0.1",
    port: int = 8000,
) -> None:
    """Serve the app with uvicorn until interrupted (loopback unless ``host`` says otherwise).

    >>> callable(serve)
    True
    """
    import uvicorn

    uvicorn.run(create_app(run_dir, affinities), host=host, port=port, log_level="warning")
