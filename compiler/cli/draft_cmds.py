"""`filmc draft ...`: proposals from Gemini, shown as a diff of film.yaml and written only with --write."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from ..pipeline.draft import DEFAULT_MODEL
from . import film_arg, load_options, main, report

F = TypeVar("F", bound=Callable[..., Any])


def draft_options(f: F) -> F:
    f = click.option("--write", is_flag=True, help="Write the draft into film.yaml (default: only show the diff).")(f)
    f = click.option("--model", metavar="NAME", default=DEFAULT_MODEL, show_default=True, help="The Gemini model.")(f)
    return load_options(f)


@main.group(short_help="Draft lyrics, song timing, concept, storyboard or a prompt with Gemini.")
def draft() -> None:
    """Ask Gemini for a draft of part of FILM; see the diff; write it with --write.

    The creator stays the author: nothing is written without --write, comments and formatting
    of everything else stay byte-identical, and the write is refused if film.yaml changed
    meanwhile. Every answer is checked against the film schema (and must leave a film that
    validates) before anything is written; the raw answer is kept in .filmc/drafts/.

    Needs GEMINI_API_KEY (or GOOGLE_API_KEY). FILMC_GEMINI_BASE_URL points at another server.
    Tokens and the estimated cost are printed and recorded in .filmc/ledger.jsonl (filmc stats).

    \b
    Examples:
      filmc draft lyrics my-film                 # lyrics for the sections, from the story
      filmc draft song my-film --write           # sections and timed lines from the audio
      filmc draft storyboard my-film --section chorus1
      filmc draft prompt my-film s07 --target kling
      filmc draft concept my-film
    """


def _run(ctx: click.Context, kind: str, film: str, model: str | None, write: bool, allow_outside_paths: bool,
         **options: object) -> None:
    from ..pipeline.draft import draft_film
    from ..pipeline.options import Loading

    say = lambda s: click.echo(f"filmc: {s}", err=True)  # noqa: E731
    res = draft_film(kind, Loading(film, allow_outside_paths), model=model, write=write, options=options, say=say)
    if res.shown:
        click.echo(res.shown)
    if res.diff:
        click.echo(res.diff, nl=False)
    else:
        click.echo("the draft changes nothing in film.yaml")
    if res.warnings:
        report(list(res.warnings), None)
    for note in res.notes:
        click.echo(f"note: {note}", err=True)
    if res.written:
        click.echo(f"wrote {res.film}; the answer is in {res.answer_file}", err=True)
    elif res.diff:
        click.echo(f"nothing written: run again with --write to apply this draft (the answer is in "
                   f"{res.answer_file})", err=True)


@draft.command(short_help="Song lyrics for the sections, from the story.")
@film_arg
@draft_options
@click.pass_context
def lyrics(ctx: click.Context, film: str, model: str | None, write: bool, allow_outside_paths: bool) -> None:
    """Draft lyrics for FILM's song sections from its story (and any lyrics already there).

    Each section gets a Suno-style tag ([Verse], [Chorus], ...) and its lyrics; sections with
    timed lines keep them. Start times stay as they are (filmc draft song, or by hand).

    \b
    Example:
      filmc draft lyrics my-film && filmc draft lyrics my-film --write
    """
    _run(ctx, "lyrics", film, model, write, allow_outside_paths)


@draft.command(short_help="Sections and timed lyric lines, heard in the song's audio.")
@film_arg
@draft_options
@click.pass_context
def song(ctx: click.Context, film: str, model: str | None, write: bool, allow_outside_paths: bool) -> None:
    """Draft FILM's song sections (tags, start times) and timed lyric lines from its audio.

    Gemini listens to song.audio: sent inline when shorter than a minute (and under 8 MiB),
    else uploaded through the Files API. Times snap to the beat grid when song.bpm or
    song.beats is set. Existing sections keep their ids (shots refer to them).

    \b
    Example:
      filmc beats my-film --write && filmc draft song my-film
    """
    _run(ctx, "song", film, model, write, allow_outside_paths)


@draft.command(short_help="New shots for sections, in the film.yaml shot format.")
@film_arg
@click.option("--section", "sections", multiple=True, metavar="ID",
              help="A section to storyboard (repeatable; default: every section without shots).")
@draft_options
@click.pass_context
def storyboard(ctx: click.Context, film: str, sections: tuple[str, ...], model: str | None, write: bool,
               allow_outside_paths: bool) -> None:
    """Draft new shots for FILM's sections from its story, lyrics, concept, cast and locations.

    New shots fill the time the section's shots leave; a shot that does not fit is shortened
    or dropped, and the command says which and why. The result always validates.

    \b
    Examples:
      filmc draft storyboard my-film                       # every section without shots
      filmc draft storyboard my-film --section verse2 --write
    """
    _run(ctx, "storyboard", film, model, write, allow_outside_paths, sections=list(sections))


@draft.command(short_help="A polished prompt for one shot and target, as a prompt: override.")
@film_arg
@click.argument("shot")
@click.option("--target", "-t", required=True, help="The target (one of the film's) whose prompt to polish.")
@draft_options
@click.pass_context
def prompt(ctx: click.Context, film: str, shot: str, target: str, model: str | None, write: bool,
           allow_outside_paths: bool) -> None:
    """Draft a polished prompt for SHOT of FILM and one target, as the shot's prompt override.

    It is shown beside the prompt filmc compiles today and checked by the same lint rules
    (names, references to other shots, descriptions, length).

    \b
    Example:
      filmc draft prompt my-film s07 --target kling
    """
    _run(ctx, "prompt", film, model, write, allow_outside_paths, shot=shot, target=target)


@draft.command(short_help="Style, palette, lighting, worlds, motifs and character descriptions.")
@film_arg
@draft_options
@click.pass_context
def concept(ctx: click.Context, film: str, model: str | None, write: bool, allow_outside_paths: bool) -> None:
    """Draft FILM's visual concept and its characters' canonical descriptions from story and lyrics.

    \b
    Example:
      filmc draft concept my-film
    """
    _run(ctx, "concept", film, model, write, allow_outside_paths)
