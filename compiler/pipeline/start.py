"""`filmc init`: a commented starter film.yaml that validates as written."""

from __future__ import annotations

from pathlib import Path


def init_film(directory: Path, title: str, *, force: bool = False) -> Path:
    """Write DIRECTORY/film.yaml (and what comes with it); refused over an existing film.yaml unless `force`."""
    from ..errors import UsageError
    from ..starter import write_starter

    target = directory / "film.yaml"
    if target.exists() and not force:
        raise UsageError(f"{target} already exists (use --force to overwrite)")
    write_starter(directory, title)
    return target
