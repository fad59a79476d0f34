"""Generation commands: cost (before spending), stats (after)."""

from __future__ import annotations

import json
import sys

import click

from ..pipeline.options import Loading
from . import film_arg, load_options, main


@main.command(short_help="What the generation jobs will cost, before spending.")
@film_arg
@click.option("--target", "-t", "targets", multiple=True, help="Only this target (repeatable; default: the film's targets).")
@click.option("--select", help="Only these shots: ids, globs (s0*) or section:<id>, comma-separated.")
@click.option("--takes", type=click.IntRange(min=1), default=1, show_default=True,
              help="Kept takes wanted per job; generations = takes / keep_rate.")
@click.option("--rate", "rates", multiple=True, metavar="FROM:TO=X",
              help="Also give the total in TO, with 1 FROM = X TO (repeatable), e.g. EUR:USD=1.08.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format (json: data on stdout).")
@load_options
@click.pass_context
def cost(ctx: click.Context, film: str, targets: tuple[str, ...], select: str | None, takes: int,
         rates: tuple[str, ...], fmt: str, allow_outside_paths: bool) -> None:
    """Estimate what generating FILM's jobs will cost, before anything is spent.

    Per job: takes / keep_rate generations (film.keep_rate, default 0.34: only that share is
    kept) x the target's price for the job's provider and options (per second: x the length).
    Amounts stay in their currency (USD, EUR); --rate converts the total. Jobs without a known
    price are listed, and the total is then a lower bound. Nothing is written.

    \b
    Examples:
      filmc cost specs/lighthouse-keeper
      filmc cost film.yaml --target runway --select section:chorus1 --takes 2
      filmc cost film.yaml --rate EUR:USD=1.08 --format json
    """
    from ..pipeline.spend import estimate_cost

    ctx.meta["filmc.format"] = fmt
    result = estimate_cost(Loading(film, allow_outside_paths), targets=targets, select=select, takes=takes,
                           rates=rates)
    est, name = result.estimate, result.title
    if fmt == "json":
        click.echo(json.dumps(est.as_dict(), indent=2, ensure_ascii=False))
        return
    from ..jobs.cost_text import print_rich, render_plain

    if sys.stdout.isatty():
        print_rich(est, name)
    else:
        click.echo(render_plain(est, name), nl=False)


@main.command(short_help="What the generations took: counts, keep rate, spend, times.")
@film_arg
@click.option("--format", "fmt", type=click.Choice(["text", "md", "json"]), default="text", show_default=True,
              help="text, md (the making-of table to publish) or json (data on stdout).")
@click.pass_context
def stats(ctx: click.Context, film: str, fmt: str) -> None:
    """What FILM's generations took, from its ledger (.filmc/ledger.jsonl).

    Per target and model: generations that produced a take, kept takes (a shot's take: points
    at one), failures, unknown outcomes; the keep rate; spend per currency; generation and
    queue time (median and total); failures by reason.

    \b
    Examples:
      filmc stats my-film
      filmc stats my-film --format md >> MAKING-OF.md
    """
    from ..pipeline.spend import film_stats
    from . import report

    ctx.meta["filmc.format"] = "json" if fmt == "json" else "text"
    st = film_stats(Loading(film))
    if fmt == "json":
        data = st.as_dict()
        data["warnings"] = [d.as_dict() for d in st.skipped]
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    report(list(st.skipped), None)
    from ..jobs.stats_text import render_md, render_text

    render = render_md if fmt == "md" else render_text
    click.echo(render(st), nl=False)
