"""Foundation commands: init, validate, timeline, schema, explain."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..pipeline.options import Loading
from . import EXIT_INPUT, State, film_arg, format_option, load_options, main, report, show_error


@main.command(short_help="Write a commented starter film.yaml.")
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--title", default="Untitled Film", help="The film's title.")
@click.option("--force", is_flag=True, help="Overwrite an existing film.yaml.")
def init(directory: Path, title: str, force: bool) -> None:
    """Write a commented starter film.yaml into DIRECTORY (default: here).

    \b
    Example:
      filmc init my-film --title "Salt and Static"
    """
    from ..pipeline.start import init_film

    target = init_film(directory, title, force=force)
    click.echo(f"wrote {target}; next: filmc validate {directory}")


@main.command(short_help="Check films and report every problem, located.")
@click.argument("films", nargs=-1, type=click.Path(dir_okay=True, path_type=str))
@click.option("--strict", is_flag=True, help="Warnings fail too (exit code 1).")
@load_options
@format_option
@click.pass_context
def validate(ctx: click.Context, films: tuple[str, ...], strict: bool, allow_outside_paths: bool, fmt: str) -> None:
    """Check FILMS (film.yaml files, or their folders; default film.yaml) and report every problem.

    \b
    Examples:
      filmc validate film.yaml
      filmc validate specs/lighthouse-keeper --strict
      filmc validate films/*/film.yaml          # several films (pre-commit passes them so)
      filmc validate film.yaml --format json | jq .diagnostics
    """
    from ..errors import FilmError, UsageError
    from ..pipeline.check import check_film

    ctx.meta["filmc.format"] = fmt
    paths = list(dict.fromkeys(films)) or ["film.yaml"]
    if fmt == "json" and len(paths) > 1:
        raise UsageError("--format json takes one film at a time")
    state = ctx.find_object(State)
    quiet = state is not None and state.verbosity < 0
    failed = False
    for film in paths:
        try:
            checked = check_film(Loading(film, allow_outside_paths))
        except FilmError as e:
            if len(paths) == 1:  # through the group's handler, as for every command
                raise
            show_error(ctx, e)  # reported as the group reports it; the next film is validated
            failed = True
            continue
        if fmt == "json" or strict or not quiet:  # -q silences warnings, unless --strict makes them fail the run
            report(checked.warnings, checked.sources, fmt)
        failed = failed or bool(strict and checked.warnings)
        if fmt == "text" and not quiet:
            click.echo(checked.ok_line())
    if failed:
        ctx.exit(EXIT_INPUT)


@main.command(short_help="Print when each section and shot plays, with its lyrics.")
@film_arg
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
    from ..pipeline.check import film_timeline

    ctx.meta["filmc.format"] = fmt
    view = film_timeline(Loading(film, allow_outside_paths))
    if fmt == "json":
        click.echo(json.dumps(view.as_data(), indent=2, ensure_ascii=False))
    else:
        click.echo(view.text(), nl=False)


@main.command(short_help="Print the JSON Schema of film.yaml (or of target.yaml).")
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


@main.command(short_help="Explain a diagnostic code, or list them all.")
@click.argument("code", required=False)
def explain(code: str | None) -> None:
    """Explain a diagnostic CODE such as V240; without a code, list every code.

    \b
    Examples:
      filmc explain V240
      filmc explain | grep R2
    """
    from ..codes import all_codes
    from ..codes import explain as explain_code

    if not code:
        for c, (title, _) in sorted(all_codes().items()):
            click.echo(f"{c}  {title}")
        return
    text = explain_code(code)
    if text is None:
        raise click.UsageError(f"unknown code '{code}' (run 'filmc explain' for the list)")
    click.echo(text, nl=False)
