"""Generation commands: cost (before spending), stats (after)."""

from __future__ import annotations

import json
import sys

import click

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
    from ..compiling import read_cache
    from ..errors import UsageError
    from ..expand import expand_production, select_shots
    from ..jobs.cost import estimate, parse_rate
    from ..loading import film_path, resolve_film

    ctx.meta["filmc.format"] = fmt
    conv: dict[str, tuple[str, float]] = {}
    for text in rates:
        try:
            src, dst, value = parse_rate(text)
        except ValueError as e:
            raise UsageError(str(e)) from None
        conv[src] = (dst, value)
    if len({dst for dst, _ in conv.values()}) > 1:
        raise UsageError("every --rate must convert to the same currency")
    prod = resolve_film(film, allow_outside=allow_outside_paths)
    if select and not select_shots(prod, select):
        raise UsageError(f"--select '{select}' matches no shot (ids, globs like s0*, or section:<id>)")
    # The last build's compiled shots make this fast; nothing is written.
    plan = expand_production(prod, targets=list(targets) or None, select=select,
                             cache=read_cache(film_path(film).parent / "build"))
    est = estimate([j.as_dict() for j in plan.jobs], prod.targets, takes=takes, keep_rate=prod.film.info.keep_rate,
                   options={k: v["options"] for k, v in plan.contexts.items()},
                   sections={s.id: s.section.id for s in plan.shots}, rates=conv)
    if fmt == "json":
        click.echo(json.dumps(est.as_dict(), indent=2, ensure_ascii=False))
        return
    from ..jobs.cost_text import print_rich, render_plain

    name = prod.film.info.title
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
    from ..jobs.stats import film_stats
    from ..loading import film_path
    from . import report

    ctx.meta["filmc.format"] = "json" if fmt == "json" else "text"
    path = film_path(film)
    st = film_stats(path)
    if fmt == "json":
        data = st.as_dict()
        data["warnings"] = [d.as_dict() for d in st.skipped]
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    report(list(st.skipped), None)
    from ..jobs.stats_text import render_md, render_text

    render = render_md if fmt == "md" else render_text
    click.echo(render(st), nl=False)
