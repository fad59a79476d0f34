"""Progress of a long step (a render, a build): a bar on a terminal (rich), else plain lines."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import IO

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
