"""run: one ffmpeg process with progress; the output appears only when the render succeeded.

ffmpeg writes a temp file in the output's folder which replaces the output at the end
(`os.replace`); a failure, Ctrl-C or a crash of ffmpeg deletes it, so there is never a
half-written film where the creator expects one.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import tempfile
import threading
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import FilmcError
from ..interrupt import child_options, interruptible, stop_group, watched_group
from ..progress import PlainProgress, RichProgress
from .stale import part_prefix

if TYPE_CHECKING:
    from .clips import ShotClip


class RenderError(FilmcError):
    """ffmpeg failed: a one-line reason, and the tail of its log for -v."""

    def __init__(self, message: str, log: Sequence[str] = ()):
        super().__init__(message)
        self.log = list(log)
        self.failed: list[ShotClip] = []  # the clips whose take or image the log blames


_TIME = re.compile(r"^out_time_(?:us|ms)=(\d+)$")


def _error_line(log: Sequence[str]) -> str:
    for line in reversed(log):
        s = line.strip()
        if s and not s.startswith(("Conversion failed", "Exiting with")):
            return s
    return "no message"


def _default_mode(path: Path) -> None:
    """mkstemp makes a private (0600) file: give the film the mode a normally created file has."""
    mask = os.umask(0)
    os.umask(mask)
    with contextlib.suppress(OSError):
        path.chmod(0o666 & ~mask)


def run_ffmpeg(exe: str, args: Sequence[str], output: Path, *, total: float,
               progress: PlainProgress | RichProgress | None = None) -> None:
    """Run ffmpeg with `args` (whose last item is the output placeholder '{out}') into `output`, atomically.

    ffmpeg runs in its own process group: a signal to filmc (see interrupt.py) stops it, and the temp file
    goes with it."""
    output.parent.mkdir(parents=True, exist_ok=True)
    with interruptible():
        fd, tmp_name = tempfile.mkstemp(prefix=part_prefix(output), suffix=".part", dir=output.parent)
        os.close(fd)
        tmp = Path(tmp_name)
        argv = [exe, "-progress", "pipe:1", "-nostats", "-loglevel", "error",
                *[a.replace("{out}", str(tmp)) if a.endswith("{out}") else a for a in args]]
        log: deque[str] = deque(maxlen=60)
        proc = None
        ok = False
        try:
            try:
                proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, errors="replace", bufsize=1,
                                        **child_options())  # type: ignore[call-overload]  # options as a dict: Popen's overloads cannot match it
            except OSError as e:
                raise RenderError(f"cannot run ffmpeg ({exe}): {e.strerror or e}") from None
            with watched_group(proc.pid):
                _follow(proc, log, progress)
                rc = proc.wait()
            if rc != 0:
                raise RenderError(f"ffmpeg failed (exit code {rc}): {_error_line(log)}", log)
            if not tmp.is_file() or tmp.stat().st_size == 0:
                raise RenderError("ffmpeg wrote no output", log)
            _default_mode(tmp)
            os.replace(tmp, output)
            ok = True
        finally:
            try:
                if progress is not None:
                    with contextlib.suppress(Exception):
                        progress.close()
            finally:  # (a second stop while the bar closes still stops ffmpeg and removes its file)
                if proc is not None and proc.poll() is None:  # interrupted: stop ffmpeg before deleting its file
                    stop_group(proc)
                if not ok:
                    with contextlib.suppress(OSError):
                        tmp.unlink()


def _follow(proc: subprocess.Popen[str], log: deque[str], progress: PlainProgress | RichProgress | None) -> None:
    """Read ffmpeg's progress (stdout) until it ends; its log (stderr) goes into `log` on the side."""
    assert proc.stdout is not None and proc.stderr is not None
    stderr = proc.stderr
    reader = threading.Thread(target=lambda: log.extend(stderr), daemon=True)
    reader.start()
    for line in proc.stdout:
        m = _TIME.match(line.strip())
        if m and progress is not None:
            progress(int(m.group(1)) / 1e6)
    reader.join(timeout=5)
