"""Foundation commands: init, validate, timeline, schema, explain."""

from __future__ import annotations

import json
from pathlib import Path

import click

from . import EXIT_INPUT, State, format_option, load_options, main, report


def _film_arg() -> click.Argument:
    return click.argument("film", default="film.yaml", type=click.Path(dir_okay=True, path_type=str))


@main.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--title", default="Untitled Film", help="The film's title.")
@click.option("--force", is_flag=True, help="Overwrite an existing film.yaml.")
def init(directory: Path, title: str, force: bool) -> None:
    """Write a commented starter film.yaml into DIRECTORY (default: here).

    \b
    Example:
      filmc init my-film --title "Salt and Static"
    """
    from ..starter import write_starter

    target = directory / "film.yaml"
    if target.exists() and not force:
        raise click.UsageError(f"{target} already exists (use --force to overwrite)")
    write_starter(directory, title)
    click.echo(f"wrote {target}; next: filmc validate {directory}")


@main.command()
@_film_arg()
@click.option("--strict", is_flag=True, help="Warnings fail too (exit code 1).")
@load_options
@format_option
@click.pass_context
def validate(ctx: click.Context, film: str, strict: bool, allow_outside_paths: bool, fmt: str) -> None:
    """Check FILM (a film.yaml, or its folder) and report every problem.

    \b
    Examples:
      filmc validate film.yaml
      filmc validate specs/lighthouse-keeper --strict
      filmc validate film.yaml --format json | jq .diagnostics
    """
    from ..pipeline import resolve_film

    ctx.meta["filmc.format"] = fmt
    prod = resolve_film(film, allow_outside=allow_outside_paths)
    lines = prod.film.path.read_text(encoding="utf-8").splitlines() if prod.warnings else []
    sources = {d.file: lines for d in prod.warnings}
    state = ctx.find_object(State)
    quiet = state is not None and state.verbosity < 0
    if fmt == "json" or strict or not quiet:  # -q silences warnings, unless --strict makes them fail the run
        report(prod.warnings, sources, fmt)
    if fmt == "text":
        if not quiet:
            from ..validate.times import format_time

            click.echo(f"{film}: ok ({len(prod.shots)} shots, {len(prod.sections)} sections, "
                       f"{format_time(prod.song_duration)})")
    if strict and prod.warnings:
        ctx.exit(EXIT_INPUT)


@main.command()
@_film_arg()
@load_options
@format_option
@click.pass_context
def timeline(ctx: click.Context, film: str, allow_outside_paths: bool, fmt: str) -> None:
    """Print the resolved timeline of FILM: sections and shots with start, end, duration and lyrics.

    Times are song times (m:ss.fff); title cards `at: start` play before the song.

    \b
    Examples:
      filmc timeline film.yaml
      filmc timeline film.yaml --format json
    """
    from ..pipeline import resolve_film
    from ..resolve import timeline_data

    ctx.meta["filmc.format"] = fmt
    prod = resolve_film(film, allow_outside=allow_outside_paths)
    if fmt == "json":
        click.echo(json.dumps(timeline_data(prod), indent=2, ensure_ascii=False))
        return
    from ..timeline_text import render_timeline

    click.echo(render_timeline(prod), nl=False)


@main.command()
@click.option("--target", "target", is_flag=True, help="Print the schema of target.yaml instead.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to a file.")
def schema(target: bool, output: Path | None) -> None:
    """Print the JSON Schema of film.yaml (for editors and other tools).

    \b
    Example:
      filmc schema -o .filmc/film.schema.json
    """
    from ..resources import schema_path

    text = schema_path("target" if target else "film").read_text(encoding="utf-8")
    if output:
        from ..fsutil import write_atomic

        write_atomic(output, text)
    else:
        click.echo(text, nl=False)


@main.command()
@click.argument("code", required=False)
def explain(code: str | None) -> None:
    """Explain a diagnostic CODE (e.g. V240); without a code, list them all."""
    from ..codes import CODES
    from ..codes import explain as explain_code

    if not code:
        for c, (title, _) in sorted(CODES.items()):
            click.echo(f"{c}  {title}")
        return
    text = explain_code(code)
    if text is None:
        raise click.UsageError(f"unknown code '{code}' (run 'filmc explain' for the list)")
    click.echo(text, nl=False)
