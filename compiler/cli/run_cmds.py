"""Generation commands that spend: run (send the jobs), takes (what came back), select (choose one)."""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from ..errors import EXIT_SIGNAL
from ..pipeline.options import Loading
from ..plurals import noun, plural
from . import EXIT_INPUT, State, film_arg, load_options, main


def _verbose(ctx: click.Context) -> bool:
    state = ctx.find_object(State)
    return bool(state and state.verbosity > 0)


def _quiet(ctx: click.Context) -> bool:
    state = ctx.find_object(State)
    return bool(state and state.verbosity < 0)


@main.command(short_help="Generate the takes for real: send the jobs, poll, download.")
@film_arg
@click.option("--target", "-t", "targets", multiple=True, help="Only this target (repeatable; default: the film's).")
@click.option("--select", help="Only these shots: ids, globs (s0*) or section:<id>, comma-separated.")
@click.option("--takes", type=click.IntRange(1, 20), default=1, show_default=True,
              help="Good takes wanted per job; jobs that have them are skipped.")
@click.option("--max-cost", type=click.FloatRange(min=0), help="Stop sending before this much would be spent "
              "(done plus in flight, in the prices' currency).")
@click.option("--concurrency", type=click.IntRange(1, 64), help="Tasks in flight per provider (default: the "
              "provider's own limit from target.yaml).")
@click.option("--dry-run", is_flag=True, help="Show what would be sent and what it costs; send nothing.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask before spending (for scripts).")
@click.option("--resubmit-unknown", is_flag=True, help="Send again the creates whose outcome is unknown (check the "
              "provider's dashboard first: each may already have been made and billed).")
@load_options
@click.pass_context
def run(ctx: click.Context, film: str, targets: tuple[str, ...], select: str | None, takes: int,
        max_cost: float | None, concurrency: int | None, dry_run: bool, yes: bool, resubmit_unknown: bool,
        allow_outside_paths: bool) -> None:
    """Generate FILM's takes for real: send the compiled jobs, poll, download into takes/.

    Shows what it is about to send and what it will cost, asks on a terminal (--yes in
    scripts), then sends. Every create is recorded in .filmc/ledger.jsonl before it leaves,
    and the provider's task id as soon as it answers: stop at any point (Ctrl-C) and run
    again to resume; nothing is paid twice. Keys come from the environment
    (FREEPIK_API_KEY, BFL_API_KEY, KLING_ACCESS_KEY + KLING_SECRET_KEY, RUNWAYML_API_SECRET,
    LUMAAI_API_KEY, MINIMAX_API_KEY, FAL_KEY, REPLICATE_API_TOKEN, GEMINI_API_KEY or GOOGLE_API_KEY);
    COMFYUI_URL lists ComfyUI
    servers; FILMC_<PROVIDER>_BASE_URL points a provider elsewhere.

    \b
    Examples:
      filmc run my-film --dry-run                 # what would be sent, and the cost
      filmc run my-film --target mystic --select s01,s02
      filmc run my-film --takes 3 --max-cost 5 --yes
    """
    with _terminate_as_interrupt():
        _run(ctx, film, targets, select, takes, max_cost, concurrency, dry_run, yes, resubmit_unknown,
             allow_outside_paths)


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM and SIGHUP stop a run as Ctrl-C does (before, during or after the sending); restored after."""
    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    old = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)


def _run(ctx: click.Context, film: str, targets: tuple[str, ...], select: str | None, takes: int,
         max_cost: float | None, concurrency: int | None, dry_run: bool, yes: bool, resubmit_unknown: bool,
         allow_outside_paths: bool) -> None:
    from ..errors import UsageError
    from ..pipeline.run import make_reporter, plan_run, run_jobs
    from ..secrets import redactor

    plan = plan_run(Loading(film, allow_outside_paths), targets=targets, select=select, takes=takes,
                    resubmit_unknown=resubmit_unknown, max_cost=max_cost)
    for t in plan.no_api:
        click.echo(f"{t}: no API; its prompts are in build/prompts/{t}.md for its own app", err=True)
    for job, why in sorted(plan.held.items()):
        click.echo(f"not sent: {job}: {why}", err=True)
    if plan.missing:
        for p, names in sorted(plan.missing.items()):
            click.echo(f"filmc: {'warning' if dry_run else 'error'}: {p} needs {', '.join(names)} in the environment",
                       err=True)
        if not dry_run:
            click.echo("nothing was sent", err=True)
            ctx.exit(EXIT_INPUT)
    summary = plan.summary
    # --dry-run's listing is the output asked for (stdout); a real run's is the progress before it sends (stderr)
    click.echo(summary.text(listing=dry_run or _verbose(ctx)), err=not dry_run)
    if dry_run or not summary.sends and not summary.resume:
        if not dry_run and summary.blocked:
            for job in summary.blocked:
                click.echo(f"  {job}: a create of unknown outcome: check the provider's dashboard, then "
                           "'filmc run --resubmit-unknown' to send it again", err=True)
            ctx.exit(EXIT_INPUT)
        if not summary.sends and not summary.resume and not dry_run:
            click.echo("nothing to send: " + ("every job has its takes" if not summary.waiting else
                                              f"{plural(len(summary.waiting), 'job')} "
                                              f"{noun(len(summary.waiting), 'waits', 'wait')} for an image"), err=True)
        return
    if summary.sends and not yes:
        if not sys.stdin.isatty():
            raise UsageError("nothing was sent: confirm spending with --yes (filmc run asks only on a terminal)")
        if not click.confirm("send these jobs?", default=False, err=True):
            click.echo("nothing was sent", err=True)
            return
    redact = redactor(os.environ)
    reporter = make_reporter(plan, redact, quiet=_quiet(ctx))
    try:
        result = run_jobs(plan, reporter, max_cost=max_cost, concurrency=concurrency, redact=redact)
    except KeyboardInterrupt as e:
        reporter.close()
        unknown = getattr(e, "unknown", 0)
        if unknown:
            one = unknown == 1
            click.echo(f"stopped: {plural(unknown, 'create')} sent without an answer {'is' if one else 'are'} of "
                       "unknown outcome: check the provider's dashboard, then 'filmc run --resubmit-unknown' sends "
                       f"{'it' if one else 'them'} again", err=True)
        from ..pipeline.run import ledger_file

        click.echo(f"stopped: tasks already sent are in {ledger_file(film)}; 'filmc run {film}' again collects them "
                   "(never sending them twice)", err=True)
        ctx.exit(EXIT_SIGNAL + int(getattr(e, "signum", signal.SIGINT)))
    reporter.close()
    _report(ctx, result, film)


def _report(ctx: click.Context, result: Any, film: str) -> None:
    from ..secrets import redactor

    redact = redactor(os.environ)  # a provider may quote a key back in its reasons
    by: dict[str, list[Any]] = {}
    for o in result.outcomes.values():
        by.setdefault(o.state, []).append(o)
    parts = [f"{len(v)} {k}" for k, v in sorted(by.items())]
    spent = ", ".join(f"{v:.2f} {k}" for k, v in sorted(result.spent.items()))
    unknown = f"{plural(result.unpriced, 'generation')} of unknown price"
    if result.unpriced:
        spent = f"{spent} plus {unknown}" if spent else f"an unknown amount ({unknown})"
    sent = f" ({plural(result.submitted, 'create')} sent)" if by.get("done") else ""
    click.echo(f"run: {', '.join(parts) or 'nothing to do'}{sent}; spent {spent or 'nothing'}", err=True)
    for state in ("failed", "unknown", "skipped", "stopped", "waiting"):
        for o in sorted(by.get(state, []), key=lambda x: x.job):
            click.echo(redact(f"  {o.job}: {state}: {o.reason}"), err=True)
    if by.get("done"):
        click.echo(f"next: filmc takes {film} lists the takes; filmc select {film} SHOT TARGET/N (e.g. kling/1) "
                   "puts one in the cut", err=True)
    if any(s in by for s in ("failed", "unknown", "skipped", "stopped", "waiting")):
        ctx.exit(EXIT_INPUT)


def _json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True)
