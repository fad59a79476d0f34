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
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING

from ..errors import FilmcError
from .interrupt import child_options, interruptible, stop_group, watched_group
from .stale import part_prefix

if TYPE_CHECKING:
    from .plan import Clip


class RenderError(FilmcError):
    """ffmpeg failed: a one-line reason, and the tail of its log for -v."""

    def __init__(self, message: str, log: Sequence[str] = ()):
        super().__init__(message)
        self.log = list(log)
        self.failed: list[Clip] = []  # the clips whose take or image the log blames


Progress = Callable[[float], None]  # seconds of output done


class PlainProgress:
    """Progress as plain lines (not a terminal): one line per 10 %."""

    def __init__(self, total: float, label: str, stream: IO[str] | None = None, unit: str = "s"):
        self.total, self.label, self.stream = max(total, 1e-6), label, stream or sys.stderr
        self.unit = unit
        self.next = 10
        self.t0 = time.monotonic()

    def __call__(self, done: float) -> None:
        pct = int(min(done / self.total, 1.0) * 100)
        if pct >= self.next:
            speed = done / max(time.monotonic() - self.t0, 1e-6)
            print(f"{self.label}: {pct:3d}% ({done:.1f}/{self.total:.1f} s, {speed:.1f}x realtime)" if self.unit == "s"
                  else f"{self.label}: {pct:3d}% ({done:.0f}/{self.total:.0f} {self.unit})", file=self.stream, flush=True)
            self.next = (pct // 10 + 1) * 10

    def close(self) -> None:
        pass


class RichProgress:
    def __init__(self, total: float, label: str, unit: str = "s"):
        from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

        amount = "{task.completed:.1f}/{task.total:.1f} s" if unit == "s" else \
            "{task.completed:.0f}/{task.total:.0f} " + unit.replace("[", "\\[")
        self.p = Progress(TextColumn("[bold]{task.description}"), BarColumn(), TaskProgressColumn(),
                          TextColumn(amount), TimeRemainingColumn(), transient=True)
        self.p.start()
        self.task = self.p.add_task(label, total=total)

    def __call__(self, done: float) -> None:
        self.p.update(self.task, completed=done)

    def close(self) -> None:
        self.p.stop()


def make_progress(total: float, label: str, quiet: bool = False, unit: str = "s") -> PlainProgress | RichProgress | None:
    """Progress over `total` seconds of output (or `total` items of `unit`): a bar on a terminal, else lines."""
    if quiet:
        return None
    if sys.stderr.isatty():
        try:
            return RichProgress(total, label, unit)
        except ImportError:
            pass
    return PlainProgress(total, label, unit=unit)


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
                                        **child_options())  # type: ignore[call-overload]
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
            if progress is not None:
                with contextlib.suppress(Exception):
                    progress.close()
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
