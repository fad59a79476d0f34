"""`filmc run`: plan what would be sent and what it costs (nothing leaves), then send, poll and download."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .options import Loading

if TYPE_CHECKING:
    from pathlib import Path

    from ..jobs.run import Prepared, Summary
    from ..jobs.runner import Charge, RunResult


@dataclass(frozen=True, slots=True)
class RunPlan:
    """What a run would do, known before anything is sent: the prepared jobs, what each costs, the summary the
    creator confirms, and the environment variables missing for the providers it would use."""

    prep: Prepared
    summary: Summary
    charge: Callable[[Mapping[str, Any]], Charge | None]
    missing: dict[str, list[str]]  # provider -> variables to set (only providers this run would use)
    takes: int
    resubmit_unknown: bool

    @property
    def held(self) -> dict[str, str]:
        return self.prep.held

    @property
    def no_api(self) -> list[str]:
        return self.prep.no_api

    def totals(self) -> dict[str, int]:
        """Jobs per target, for the progress display."""
        out: dict[str, int] = {}
        for j in self.prep.sendable:
            out[j["target"]] = out.get(j["target"], 0) + 1
        return out


def ledger_file(film: str) -> Path:
    """The ledger of a film (as the creator named it: a film.yaml or its folder)."""
    from ..paths import film_path
    from ..store.ledger import LEDGER

    return film_path(film).parent / LEDGER


def plan_run(loading: Loading, *, targets: Sequence[str] = (), select: str | None = None, takes: int = 1,
             resubmit_unknown: bool = False, max_cost: float | None = None) -> RunPlan:
    """Compile as `build` does, bind each job to its provider, read the ledger and price what would be sent."""
    from ..errors import UsageError
    from ..jobs.run import prepare_run, pricing, summarize

    prep = prepare_run(loading.film, targets=list(targets) or None, select=select, allow_outside=loading.allow_outside)
    if select:
        from ..edit.shots import select_shots

        select_shots(prep.plan.prod, select)  # a term that matches no shot: UsageError, with the id it may have meant
        if not prep.jobs and not prep.no_api:
            raise UsageError(f"--select '{select}' matches no job")
    used = {j["provider"] for j in prep.sendable}
    charge = pricing(prep)
    return RunPlan(prep, summarize(prep, takes, charge, resubmit_unknown, max_cost), charge,
                   {p: v for p, v in prep.missing.items() if p in used}, takes, resubmit_unknown)


def run_jobs(plan: RunPlan, reporter: Any, *, max_cost: float | None = None, concurrency: int | None = None,
             redact: Callable[[str], str] = lambda s: s) -> RunResult:
    """Send what the plan counted (never more creates than it showed), poll, download, check each take."""
    from ..jobs.run import quality_check, run_prepared
    from ..jobs.runner import RunOptions

    opts = RunOptions(takes=plan.takes, max_cost=max_cost, concurrency=concurrency,
                      resubmit_unknown=plan.resubmit_unknown, qc=quality_check(plan.prep),
                      max_creates=plan.summary.sends)
    return run_prepared(plan.prep, opts, reporter, price=plan.charge, redact=redact)


def make_reporter(plan: RunPlan, redact: Callable[[str], str], *, quiet: bool = False) -> Any:
    """The run's progress display: a live table on a terminal, a line per event otherwise."""
    from ..jobs.progress import make_reporter as make

    return make(plan.totals(), redact, quiet=quiet)
