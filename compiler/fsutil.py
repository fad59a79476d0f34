"""Atomic, deterministic file writes."""

from __future__ import annotations

import os
from pathlib import Path

_made: set[str] = set()


def _ensure_dir(folder: Path) -> None:
    key = str(folder)
    if key not in _made:
        folder.mkdir(parents=True, exist_ok=True)
        _made.add(key)


def write_atomic(path: Path, data: str | bytes, *, compare: bool = True) -> bool:
    """Write via a temp file + os.replace; returns False (touching nothing) when the content is unchanged.

    compare=False skips reading the old content (the caller knows it differs or is absent).
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if compare:
        try:
            if path.read_bytes() == raw:
                return False
        except OSError:
            pass
    _ensure_dir(path.parent)
    tmp = f"{path.parent}/.{path.name}.{os.getpid()}.tmp"
    try:
        with open(tmp, "wb") as f:
            f.write(raw)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return True
