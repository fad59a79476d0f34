"""Generation commands that spend: run (send the jobs), takes (what came back), select (choose one)."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import click

from . import EXIT_INPUT, State, main


def _film_arg() -> click.Argument:
    return click.argument("film", default="film.yaml", type=click.Path(dir_okay=True, path_type=str))


def _quiet(ctx: click.Context) -> bool:
    state = ctx.find_object(State)
    return bool(state and state.verbosity < 0)


@main.command()
@_film_arg()
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
@click.option("--allow-outside-paths", is_flag=True, help="Allow paths outside the film's folder.")
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
    LUMAAI_API_KEY, MINIMAX_API_KEY, FAL_KEY, REPLICATE_API_TOKEN); COMFYUI_URL lists ComfyUI
    servers; FILMC_<PROVIDER>_BASE_URL points a provider elsewhere.

    \b
    Examples:
      filmc run my-film --dry-run                 # what would be sent, and the cost
      filmc run my-film --target mystic --select s01,s02
      filmc run my-film --takes 3 --max-cost 5 --yes
    """
    from ..errors import UsageError
    from ..jobs.cost import job_cost
    from ..jobs.progress import make_reporter
    from ..jobs.run import prepare_run, quality_check, run_prepared
    from ..jobs.runner import Charge, RunOptions
    from ..secrets import redactor

    prep = prepare_run(film, targets=list(targets) or None, select=select, allow_outside=allow_outside_paths)
    quiet = _quiet(ctx)
    if select and not prep.jobs and not prep.no_api:
        raise UsageError(f"--select '{select}' matches no job")
    for t in prep.no_api:
        click.echo(f"{t}: no API; its prompts are in build/prompts/{t}.md for its own app", err=True)
    for job, why in sorted(prep.held.items()):
        click.echo(f"not sent: {job}: {why}", err=True)
    used = {j["provider"] for j in prep.sendable}
    missing = {p: v for p, v in prep.missing.items() if p in used}
    if missing:
        for p, names in sorted(missing.items()):
            click.echo(f"filmc: error: {p} needs {', '.join(names)} in the environment", err=True)
        click.echo("nothing was sent", err=True)
        ctx.exit(EXIT_INPUT)
    targets_by_name = prep.plan.prod.targets
    keep = prep.plan.prod.film.info.keep_rate
    options = {k: v["options"] for k, v in prep.plan.contexts.items()}

    def charge(job: dict[str, Any]) -> Charge | None:
        jc = job_cost(job, targets_by_name.get(job["target"]), keep_rate=keep,
                      options=options.get((job["shot"], job["target"])))
        return Charge(jc.per_generation, jc.price.currency) if jc.price and jc.per_generation is not None else None

    summary = _summary(prep, takes, charge, resubmit_unknown)
    click.echo(summary.text, err=True)
    if dry_run or not summary.to_send and not summary.resume:
        if not dry_run and summary.blocked:
            for job in summary.blocked:
                click.echo(f"  {job}: a create of unknown outcome: check the provider's dashboard, then "
                           "'filmc run --resubmit-unknown' to send it again", err=True)
            ctx.exit(EXIT_INPUT)
        if not summary.to_send and not summary.resume and not dry_run:
            click.echo("nothing to send: every job has its takes", err=True)
        return
    if summary.to_send and not yes:
        if not sys.stdin.isatty():
            raise UsageError("nothing was sent: confirm spending with --yes (filmc run asks only on a terminal)")
        if not click.confirm("send these jobs?", default=False, err=True):
            click.echo("nothing was sent", err=True)
            return
    redact = redactor(os.environ)
    totals: dict[str, int] = {}
    for j in prep.sendable:
        totals[j["target"]] = totals.get(j["target"], 0) + 1
    reporter = make_reporter(totals, redact, quiet=quiet)
    opts = RunOptions(takes=takes, max_cost=max_cost, concurrency=concurrency, resubmit_unknown=resubmit_unknown,
                      qc=quality_check(prep))
    try:
        result = run_prepared(prep, opts, reporter, price=charge, redact=redact)
    except KeyboardInterrupt:
        reporter.close()
        click.echo("stopped: tasks already sent are in .filmc/ledger.jsonl; run again to collect them", err=True)
        ctx.exit(EXIT_INPUT)
    reporter.close()
    _report(ctx, prep, result, film)


class _Summary:
    def __init__(self, text: str, to_send: int, resume: int, blocked: list[str]):
        self.text, self.to_send, self.resume, self.blocked = text, to_send, resume, blocked


def _summary(prep: Any, takes: int, charge: Any, resubmit_unknown: bool) -> _Summary:
    """What the run will do, job by job counted: have their takes, resume, blocked by an unknown create, send."""
    from ..jobs.ledger import LEDGER, read_events, replay

    attempts = replay(read_events(prep.root / LEDGER))
    have = resume = sends = 0
    blocked: list[str] = []
    cost: dict[str, float] = {}
    unpriced = 0
    for j in prep.sendable:
        mine = [a for a in attempts.values() if a.job == j["job"] and a.hash == j["hash"]]
        good = sum(1 for a in mine if a.good)
        open_ = sum(1 for a in mine if a.open and a.state != "intent")
        if any(a.state in ("unknown", "intent") for a in mine) and not resubmit_unknown:
            blocked.append(j["job"])
            continue
        need = max(0, takes - good - open_)
        resume += open_
        if good >= takes:
            have += 1
        sends += need
        c = charge(j) if need else None
        if need and c is None:
            unpriced += need
        elif c is not None:
            cost[c.currency] = cost.get(c.currency, 0.0) + c.amount * need
    lines = [f"{len(prep.sendable)} jobs: {have} have their takes, {resume} tasks to collect, {sends} creates to send"
             + (f", {len(blocked)} waiting on a create of unknown outcome (--resubmit-unknown)" if blocked else "")]
    if sends:
        money = ", ".join(f"{v:.2f} {k}" for k, v in sorted(cost.items())) or "0"
        lines.append(f"this run costs about {money}" + (f" plus {unpriced} creates of unknown price" if unpriced
                                                         else "") + " (prices from target.yaml, with their dates: "
                     "filmc cost)")
    return _Summary("\n".join(lines), sends, resume, blocked)


def _report(ctx: click.Context, prep: Any, result: Any, film: str) -> None:
    from ..secrets import redactor

    redact = redactor(os.environ)  # a provider may quote a key back in its reasons
    by: dict[str, list[Any]] = {}
    for o in result.outcomes.values():
        by.setdefault(o.state, []).append(o)
    parts = [f"{len(v)} {k}" for k, v in sorted(by.items())]
    spent = ", ".join(f"{v:.2f} {k}" for k, v in sorted(result.spent.items())) or "nothing"
    click.echo(f"run: {', '.join(parts) or 'nothing to do'}; spent {spent}", err=True)
    for state in ("failed", "unknown", "skipped", "stopped", "waiting"):
        for o in sorted(by.get(state, []), key=lambda x: x.job):
            click.echo(redact(f"  {o.job}: {state}: {o.reason}"), err=True)
    if by.get("done"):
        click.echo(f"next: filmc takes {film} lists the takes; filmc select {film} SHOT N picks one for the cut",
                   err=True)
    if any(s in by for s in ("failed", "unknown", "skipped", "stopped", "waiting")):
        ctx.exit(EXIT_INPUT)


def _json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True)
