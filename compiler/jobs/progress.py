"""What a run shows while it works: on a terminal a bar per target and a line per job in flight (rich);
otherwise one plain line per change of state."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from typing import Any, TextIO

FINAL = ("done", "failed", "unknown", "skipped", "stopped", "waiting")


class PlainReporter:
    def __init__(self, stream: TextIO | None = None, redact: Callable[[str], str] = lambda s: s):
        self.stream = stream or sys.stderr
        self.redact = redact

    def job(self, job: str, target: str, state: str, detail: str = "") -> None:
        self.line(f"{job}: {state}" + (f" ({detail})" if detail else ""))

    def line(self, text: str) -> None:
        print(self.redact(text), file=self.stream, flush=True)

    def close(self) -> None:
        pass


class RichReporter:
    """Live view: one bar per target (jobs finished of jobs), below it the jobs in flight with their state."""

    def __init__(self, totals: Mapping[str, int], redact: Callable[[str], str] = lambda s: s):
        from rich.console import Console, Group
        from rich.live import Live
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
        from rich.table import Table

        self._Group, self._Table = Group, Table
        self.redact = redact
        self.console = Console(stderr=True)
        self.bars = Progress(TextColumn("[bold]{task.description:<12}"), BarColumn(), MofNCompleteColumn(),
                             TimeElapsedColumn(), console=self.console)
        self.tasks = {t: self.bars.add_task(t, total=n) for t, n in totals.items()}
        self.flight: dict[str, tuple[str, str]] = {}
        self.live = Live(self._render(), console=self.console, refresh_per_second=4, transient=False)
        self.live.start()

    def _render(self) -> Any:
        table = self._Table.grid(padding=(0, 2))
        for job, (state, detail) in list(self.flight.items())[-12:]:
            table.add_row(job, state, detail[:80])
        return self._Group(self.bars, table)

    def job(self, job: str, target: str, state: str, detail: str = "") -> None:
        detail = self.redact(detail)
        if state in FINAL:
            self.flight.pop(job, None)
            if target in self.tasks:
                self.bars.advance(self.tasks[target])
            if state != "done":
                self.console.print(f"{job}: {state}" + (f" ({detail})" if detail else ""))
        else:
            self.flight[job] = (state, detail)
        self.live.update(self._render())

    def line(self, text: str) -> None:
        self.console.print(self.redact(text))

    def close(self) -> None:
        self.live.stop()


def make_reporter(totals: Mapping[str, int], redact: Callable[[str], str], quiet: bool = False
                  ) -> PlainReporter | RichReporter:
    if sys.stderr.isatty() and not quiet:
        return RichReporter(totals, redact)
    return PlainReporter(redact=redact)
