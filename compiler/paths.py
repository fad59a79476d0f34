"""One path policy for every command: the files a film reads stay inside its folder and are regular files.

A path in film.yaml is relative to the folder holding it. `inside_film` says whether a path
(as written, or one filmc derives such as takes/<id>.png) may be used: its real location,
symlinks resolved, must lie inside that folder unless the creator passed
`--allow-outside-paths`. `special_file` names what a path is when it is not a regular file
(a named pipe would block the first open() forever), and `open_regular` opens a file
without ever blocking on one.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

from .errors import FilmcError

MAX_PATH = 1024  # characters: longer paths are never usable

# What `filmc render` can write (H.264 + AAC): the output file's extension and ffmpeg's muxer for it.
VIDEO_OUTPUTS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska"}


def film_path(path: str | Path) -> Path:
    """A film.yaml path from what the user typed (the file, or the folder holding film.yaml)."""
    p = Path(path)
    if p.is_dir():
        return p / "film.yaml"
    return p


def build_folder(root: Path) -> Path:
    """build/ beside film.yaml (`root`: the film's folder): where build, render and export write by default."""
    return root / "build"


def usable(path: str) -> bool:
    """False for a path no file system takes: a NUL character, or over MAX_PATH characters."""
    return "\x00" not in path and len(path) <= MAX_PATH


def inside_film(root: Path, path: str | Path, allow_outside: bool = False) -> Path | None:
    """The real location of `path` (relative to `root`, the folder holding film.yaml), or None when the
    policy refuses it: an absolute path, `~`, `..` out of the folder, or a symlink whose target lies
    outside. With allow_outside any usable path is accepted (absolute paths and `~` too).

    The file need not exist: only where it is (or would be) matters. Callers that write the path into
    outputs should keep the film's spelling (root / path); the returned path is for checks and opening.
    """
    text = str(path)
    if not usable(text):
        return None
    absolute = os.path.isabs(text) or text.startswith("~")
    if absolute and not allow_outside:
        return None
    candidate = Path(os.path.expanduser(text)) if absolute else root / text
    try:
        real = candidate.resolve()
    except (OSError, RuntimeError, ValueError):  # a symlink loop, or a path the OS refuses
        return None
    if allow_outside:
        return real
    try:
        root_real = root.resolve()
    except (OSError, RuntimeError, ValueError):
        return None
    return real if real.is_relative_to(root_real) else None


_KINDS = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"))


def special_file(path: Path) -> str | None:
    """What `path` is when it exists but is neither a regular file nor a folder ('a named pipe (FIFO)', ...);
    None for a regular file, a folder or a missing path. Never opens the path (stat does not block)."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return None
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    return next((what for test, what in _KINDS if test(mode)), "not a regular file")


class NotRegularFile(OSError, FilmcError):
    pass


def open_regular(path: Path) -> BinaryIO:
    """Open a regular file for reading; NotRegularFile for a pipe, socket, device or folder (without
    blocking: the open is non-blocking and the opened file is checked before any read)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            what = "a folder" if stat.S_ISDIR(mode) else special_file(path) or "not a regular file"
            raise NotRegularFile(f"{path} is {what}")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
