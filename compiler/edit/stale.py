"""Temp files of a render carry the pid of the filmc that made them, so the next run can remove those of
a render that was killed (SIGKILL, a crash, a power cut) without touching those of a render still running.

    build/.film.mp4.filmc-<pid>-<random>.part     the film while ffmpeg writes it
    $TMPDIR/filmc-render-<pid>-<random>/           the filter graph and its text files
    $TMPDIR/filmc-export-<pid>-<random>/           the slates of an export
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

from ..fsutil import pid_alive

_PART = re.compile(r"^\..+\.filmc-(\d+)-[a-z0-9_]+\.part$")
_TEMP = re.compile(r"^filmc-(?:render|export)-(\d+)-[a-z0-9_]+$")


def part_prefix(output: Path) -> str:
    """mkstemp's prefix for the temp file that becomes `output` (suffix '.part')."""
    return f".{output.name}.filmc-{os.getpid()}-"


def temp_prefix(kind: str) -> str:
    """mkdtemp's prefix for a work folder of `kind` (render | export)."""
    return f"filmc-{kind}-{os.getpid()}-"


def alive(pid: int) -> bool:
    """Whether a process with this pid exists (one of another user counts as alive)."""
    return pid == os.getpid() or pid_alive(pid)


def sweep(output_folder: Path | None = None) -> list[Path]:
    """Remove the .part files in `output_folder` and the work folders in the temp folder left by filmc
    processes that no longer run; returns what was removed."""
    if os.name != "posix":  # os.kill(pid, 0) is not a probe there
        return []
    removed: list[Path] = []
    places = [(Path(tempfile.gettempdir()), _TEMP, True)]
    if output_folder is not None:
        places.append((output_folder, _PART, False))
    for folder, pattern, is_dir in places:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            m = pattern.match(entry.name)
            if not m or alive(int(m.group(1))):
                continue
            try:
                if entry.is_symlink() or entry.is_dir(follow_symlinks=False) != is_dir:
                    continue
                if is_dir:
                    shutil.rmtree(entry.path)
                else:
                    os.unlink(entry.path)
                removed.append(Path(entry.path))
            except OSError:  # another run swept it first, or it is not ours to remove
                continue
    return removed
