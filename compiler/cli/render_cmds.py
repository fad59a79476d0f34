"""Edit commands: render (the film or its animatic), beats (tempo into film.yaml), export (OTIO, FCP7 XML)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..pipeline.options import Loading
from ..plurals import plural
from . import State, film_arg, load_options, main, report

if TYPE_CHECKING:
    from ..diagnostics import Diagnostic
    from ..pipeline.render import RenderStart


def _verbosity(ctx: click.Context) -> int:
    state = ctx.find_object(State)
    return state.verbosity if state else 0


def _size(value: str | None) -> tuple[int, int] | None:
    if not value:
        return None
    m = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", value)
    if not m or int(m[1]) < 16 or int(m[2]) < 16:
        raise click.BadParameter(f"'{value}' is not a size like 1280x720", param_hint="--size")
    w, h = int(m[1]), int(m[2])
    if w % 2 or h % 2:
        raise click.BadParameter(f"{w}x{h} has an odd side; video encoders need even sizes", param_hint="--size")
    return w, h


@main.command()
@film_arg
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Output file (default: edit.output.file, else build/film.mp4; build/animatic.mp4 with --animatic).")
@click.option("--animatic", is_flag=True, help="Slates and first-frame images only (no takes): check pacing for free.")
@click.option("--select", help="Only these shots, with their piece of the song: ids, globs (s0*) or section:<id>.")
@click.option("--size", "size", metavar="WxH", help="Override the frame size, e.g. 640x360.")
@click.option("--fps", type=click.FloatRange(1, 120), help="Override the frame rate.")
@click.option("--subtitles", type=click.Choice(["none", "burn", "sidecar"]), help="Override edit.subtitles.")
@load_options
@click.pass_context
def render(ctx: click.Context, film: str, output: Path | None, animatic: bool, select: str | None, size: str | None,
           fps: float | None, subtitles: str | None, allow_outside_paths: bool) -> None:
    """Render FILM over its song with one ffmpeg run.

    Each shot shows its selected take (trimmed, reversed, sped up, scaled to the frame),
    else its first-frame image with a camera-like move, else a slate (shot id, section,
    framing, action, lyric). Title cards, fades, dissolves, subtitles and grades come from
    film.yaml. A bare film.yaml already renders a watchable animatic with music.

    \b
    Examples:
      filmc render specs/lighthouse-keeper --animatic
      filmc render film.yaml -o cut.mp4
      filmc render film.yaml --select section:chorus1 --size 640x360
      FFMPEG=/usr/bin/ffmpeg filmc render film.yaml
    """
    from ..pipeline.render import OutputRefused, render_film
    from ..progress import make_progress

    verbosity = _verbosity(ctx)

    def started(start: RenderStart) -> None:
        if start.warnings and verbosity >= 0:
            report(start.warnings, dict(start.sources))
        if verbosity >= 0:
            click.echo(f"rendering {start.output} ({start.width}x{start.height}, {start.fps:g} fps, "
                       f"{start.seconds:.2f} s): {plural(start.takes, 'take')}, {plural(start.images, 'image')}, "
                       f"{plural(start.slates, 'slate')}",
                       err=True)

    dims = _size(size)
    try:
        done = render_film(Loading(film, allow_outside_paths), output=output, animatic=animatic, select=select, size=dims, fps=fps,
                           subtitles=subtitles, on_start=started,
                           progress=lambda total: make_progress(total, "render", quiet=verbosity < 0))
    except OutputRefused as e:
        if e.option:
            raise click.BadParameter(str(e), param_hint=e.option) from None
        raise
    if verbosity >= 0:
        click.echo(f"wrote {done.output}" + (f" and {done.srt}" if done.srt else ""))
        click.echo(_next_step(film, {"take": done.takes, "image": done.images, "slate": done.slates}, animatic),
                   err=True)


def _next_step(film: str, kinds: dict[str, int], animatic: bool) -> str:
    """What a creator does after this render: fill the slates with generated media, or cut the final film."""
    if kinds["slate"]:
        return (f"next: open it and adjust film.yaml (filmc show {film} SHOT prints a shot's prompts); then "
                f"filmc cost {film} says what generating costs and filmc run {film} generates the first frames and "
                f"clips into takes/ (or save your own as takes/<shot>.png and takes/<shot>.mp4); filmc select "
                f"{film} SHOT TAKE puts a clip in the cut in place of its slate")
    if kinds["image"]:
        return (f"next: filmc takes {film} lists the clips generated; filmc select {film} SHOT TAKE puts one in the "
                "cut in place of its still")
    if animatic:
        return f"next: every shot has a take; filmc render {film} renders the final cut"
    return f"next: filmc export {film} --format otio (or fcp7) opens the cut in an editor"


@main.command(short_help="Detect the song's tempo and first beat; fill in or check song.bpm.")
@film_arg
@click.option("--write", is_flag=True, help="Also replace a bpm or beat_offset already set that disagrees with "
              "the detection (values not set are always filled in).")
@click.option("--dry-run", is_flag=True, help="Show what would change (a diff of film.yaml); write nothing.")
@load_options
@click.pass_context
def beats(ctx: click.Context, film: str, write: bool, dry_run: bool, allow_outside_paths: bool) -> None:
    """Detect the song's tempo and first beat; report them beside song.bpm and song.beat_offset.

    A value not set yet is written into FILM. A value you set is only reported (with how far it
    drifts from the detected beats) and replaced only with --write. Every change is shown as a
    diff of film.yaml; comments and formatting are kept, only the two values change (or are
    added under song:). Needs librosa: pip install '.[beats]' in a checkout.

    \b
    Examples:
      filmc beats specs/lighthouse-keeper            # report; fill in what is not set
      filmc beats film.yaml --write --dry-run        # what --write would change
      filmc beats film.yaml --write && filmc timeline film.yaml
    """
    from ..pipeline.render import beats_film

    verbosity = _verbosity(ctx)

    def warn(warnings: Sequence[Diagnostic], sources: Mapping[str, Sequence[str]]) -> None:
        if verbosity > 0:
            report(warnings, dict(sources))

    done = beats_film(Loading(film, allow_outside_paths), write=write, dry_run=dry_run, warn=warn)
    if verbosity >= 0:
        click.echo(f"{done.audio}: {done.bpm:g} BPM, first beat at {done.beat_offset:g} s "
                   f"(confidence {done.confidence:.2f}: {plural(done.beats, 'beat')})")
        for line in done.lines:
            click.echo("  " + line)
        if done.changed:
            click.echo(done.diff, nl=False)
        if done.written:
            click.echo(f"wrote {done.display}")
        elif done.changed:
            click.echo(f"dry run: {done.display} not changed")
        else:
            click.echo(f"{done.display} unchanged")
    if done.explicit_beats:
        click.echo("note: song.beats (an explicit list) is set and wins over bpm; remove it to use this grid",
                   err=True)


@main.command(short_help="Export the edit as an editor timeline (OTIO or FCP7 XML).")
@film_arg
@click.option("--format", "fmt", type=click.Choice(["otio", "fcp7"]), default="otio", show_default=True,
              help="otio: OpenTimelineIO (DaVinci Resolve); fcp7: Final Cut Pro 7 XML (Premiere).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Output file (default: build/film.otio or build/film.xml beside film.yaml).")
@load_options
@click.pass_context
def export(ctx: click.Context, film: str, fmt: str, output: Path | None, allow_outside_paths: bool) -> None:
    """Export FILM's edit as an editor timeline: one clip per shot (named after the shot id, with
    its take, image or a slate still), dissolves, the song on an audio track, section markers.

    Slates and title cards are written as PNG stills beside the timeline (slates/).

    \b
    Examples:
      filmc export specs/lighthouse-keeper                 # build/film.otio
      filmc export film.yaml --format fcp7 -o cut.xml
    """
    from ..pipeline.render import OutputRefused, export_film

    verbosity = _verbosity(ctx)

    def warn(warnings: Sequence[Diagnostic], sources: Mapping[str, Sequence[str]]) -> None:
        if verbosity >= 0:
            report(warnings, dict(sources))

    try:
        done = export_film(Loading(film, allow_outside_paths), fmt=fmt, output=output, warn=warn)
    except OutputRefused as e:
        raise click.BadParameter(str(e), param_hint=e.option) from None
    if verbosity >= 0:
        click.echo(f"wrote {done.output} ({plural(done.clips, 'clip')})")
