"""Take commands: takes (what came back, per shot and target), select (choose one for the cut)."""

from __future__ import annotations

import json
import sys

import click

from ..pipeline.options import Loading
from . import film_arg, load_options, main, report


@main.command(short_help="List the takes of each shot: generated, dropped in, selected.")
@film_arg
@click.argument("shot", required=False)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format (json: data on stdout).")
@click.option("--check", is_flag=True, help="Run the quality checks on takes the ledger has no result for "
              "(files dropped in, say); nothing is stored.")
@load_options
@click.pass_context
def takes(ctx: click.Context, film: str, shot: str | None, fmt: str, check: bool, allow_outside_paths: bool) -> None:
    """List FILM's takes per shot and target (SHOT: ids, globs like s0* or section:<id>).

    Takes are what `filmc run` downloaded (.filmc/ledger.jsonl: provider, model, quality
    checks, when), media files dropped into takes/<shot>/ (takes/<shot>/<target>/ for a
    target), and the names takes/<shot>.<ext> and takes/<shot>.<target>.<ext>. Marked: the
    shot's take: (*), the first-frame image render uses, takes made from an older prompt,
    takes whose file is gone. An extended shot's takes are marked with their segment ("segment
    2 of 2"); the later segments render plays after the shot's take are marked (+). Failed
    and unknown generations are counted per job.

    \b
    Examples:
      filmc takes my-film
      filmc takes my-film s03 --check
      filmc takes my-film --format json
    """
    from ..pipeline.takes import list_takes

    ctx.meta["filmc.format"] = fmt
    listing = list_takes(Loading(film, allow_outside_paths), shot=shot, check=check)
    if fmt == "json":
        click.echo(json.dumps(listing.as_dict(), indent=2, ensure_ascii=False, sort_keys=True))
        return
    report(listing.warnings, None)
    from ..jobs.takes_text import print_rich, render_plain

    single = bool(shot) and len(listing.shots) == 1
    if sys.stdout.isatty():
        print_rich(listing, film=film, single=single)
    else:
        click.echo(render_plain(listing, film=film, single=single), nl=False)


@main.command(short_help="Choose a shot's take: write it into film.yaml.")
@film_arg
@click.argument("shot")
@click.argument("take", required=False)
@click.option("--clear", is_flag=True, help="Remove the shot's take: (render shows its first frame or a slate).")
@click.option("--force", is_flag=True, help="Select a take that failed the quality checks.")
@click.option("--dry-run", is_flag=True, help="Show the change to film.yaml; write nothing.")
@load_options
def select(film: str, shot: str, take: str | None, clear: bool, force: bool, dry_run: bool,
           allow_outside_paths: bool) -> None:
    """Write TAKE into SHOT's take: in FILM's film.yaml (only that line changes).

    TAKE is what `filmc takes` lists: <target>/<n> (kling/3), a number n (a take of the
    shot's video target), or the path of a media file in the film's folder. A take that
    failed the quality checks is refused unless --force; a file the ledger has no check for
    is checked now. Prints the change to film.yaml.

    \b
    Examples:
      filmc select my-film s03 2
      filmc select my-film s03 runway/1
      filmc select my-film s03 takes/s03/from-the-web.mp4
      filmc select my-film s03 --clear
    """
    from ..pipeline.takes import choose_take

    sel = choose_take(Loading(film, allow_outside_paths), shot, take, clear=clear, force=force, dry_run=dry_run)
    for note in sel.notes:
        click.echo(f"note: {note}", err=True)
    if not sel.diff:
        click.echo(f"{shot}: take: is already {sel.before}" if sel.before else f"{shot} has no take:", err=True)
        click.echo("film.yaml is unchanged", err=True)
        return
    click.echo(sel.diff, nl=not sel.diff.endswith("\n"))
    was = f" (was {sel.before})" if sel.before else ""
    click.echo(f"{shot}: take: {sel.after}{was}" if sel.after else f"{shot}: take: removed{was}", err=True)
    if dry_run:
        click.echo("dry run: film.yaml was not written", err=True)
