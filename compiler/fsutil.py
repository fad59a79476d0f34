"""Atomic, deterministic file writes."""

from __future__ import annotations

import os
from pathlib import Path


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
    tmp = f"{path.parent}/.{path.name}.{os.getpid()}.tmp"
    try:
        try:
            f = open(tmp, "wb")  # noqa: SIM115
        except FileNotFoundError:  # the folder is new: make it only then (one syscall saved per file)
            path.parent.mkdir(parents=True, exist_ok=True)
            f = open(tmp, "wb")  # noqa: SIM115
        with f:
            f.write(raw)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return True


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists (one of another user counts as alive): temp files named after a
    process are swept only when it is gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: someone else's process
        return True
    return True
