"""Edit commands: render (the film or its animatic), beats (tempo into film.yaml), export (OTIO, FCP7 XML)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..errors import UsageError
from . import State, film_arg, load_options, main, report

if TYPE_CHECKING:
    from ..resolve import Production



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
    from ..loading import resolve_film
    from ..render import RenderError, default_output, edit_warnings, plan_edit, render_plan
    from ..render.edit import render_failure
    from ..render.graph import MUXERS
    from ..render.interrupt import interruptible
    from ..render.media import check_media
    from ..render.run import make_progress

    dims = _size(size)
    if output is not None and output.suffix.lower() not in MUXERS:
        raise click.BadParameter(f"'{output.name}': write a {', '.join(sorted(MUXERS))} file", param_hint="-o/--output")
    with interruptible():  # a signal: Interrupted, printed by the group (nothing written, exit 128 + signum)
        prod = resolve_film(film, allow_outside=allow_outside_paths)
        out = output or default_output(prod, animatic)
        _check_output(prod, out, "-o/--output" if output is not None else None)
        plan = plan_edit(prod, animatic=animatic, select=select, size=dims, fps=fps, subtitles=subtitles)
        media = check_media(plan, prod)
        warnings = edit_warnings(prod.warnings, plan.warnings, media.items)
        verbosity = _verbosity(ctx)
        if warnings and verbosity >= 0:
            report(warnings, prod.sources())
        kinds = {k: sum(1 for c in plan.clips if c.source == k) for k in ("take", "image", "slate")}
        if verbosity >= 0:
            click.echo(f"rendering {out} ({plan.width}x{plan.height}, {plan.fps:g} fps, {plan.duration:.2f} s): "
                       f"{kinds['take']} takes, {kinds['image']} images, {kinds['slate']} slates", err=True)
        try:
            done = render_plan(plan, out, progress=make_progress(plan.duration, "render", quiet=verbosity < 0))
        except RenderError as e:
            located = render_failure(e, prod, plan)
            if located is not None:
                raise located from None
            raise
    if verbosity >= 0:
        click.echo(f"wrote {done.output}" + (f" and {done.srt}" if done.srt else ""))
        click.echo(_next_step(film, kinds, animatic), err=True)


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


def _check_output(prod: Production, out: Path, option: str | None) -> None:
    """Refuse an output over a file the film reads, or not a video file (edit.output.file was checked by
    validate, located; -o and the default output are checked here)."""
    from ..validate.outputs import output_problem

    problem = output_problem(prod.film, out, str(out))
    if problem is None:
        return
    code, message, hint = problem
    if option:
        raise click.BadParameter(f"{message} ({hint})", param_hint=option)
    raise UsageError(f"[{code}] {message} ({hint})")


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
    added under song:). Needs librosa: pip install -e '.[beats]' in a checkout.

    \b
    Examples:
      filmc beats specs/lighthouse-keeper            # report; fill in what is not set
      filmc beats film.yaml --write --dry-run        # what --write would change
      filmc beats film.yaml --write && filmc timeline film.yaml
    """
    from ..loading import film_path
    from ..render.beats import BeatsError, detect_beats, plan_beats, song_file, validated_song
    from ..yamledit import FilmEdit

    verbosity = _verbosity(ctx)
    path = film_path(film)
    edit = FilmEdit.open(path, display=str(film if not Path(film).is_dir() else path))
    song_film, warnings, unusable = validated_song(edit.doc, allow_outside=allow_outside_paths)
    if warnings and verbosity > 0:
        report(warnings, {edit.display: edit.doc.lines})
    audio = song_file(song_film, edit.doc)
    song = edit.data.get("song") if isinstance(edit.data.get("song"), dict) else {}

    def setting(key: str, value: float | None) -> float | str | None:
        """None: not set; text: set to something validate refuses; else the value (times read as seconds)."""
        if song.get(key) is None:
            return None
        return str(song[key]) if f"/song/{key}" in unusable or value is None else value

    set_bpm = setting("bpm", song_film.song.bpm)
    set_offset = setting("beat_offset", song_film.song.beat_offset)
    try:
        det = detect_beats(audio, hint=set_bpm if isinstance(set_bpm, float | int) else None)
    except BeatsError as e:
        if e.code == "R303" and "librosa" in str(e):
            raise  # nothing in film.yaml to point at
        from ..diagnostics import Collector
        from ..errors import FilmError

        c = Collector(edit.display, edit.doc)
        c.error(e.code, f"/song/audio: {e}", "/song/audio",
                hint="use an audio file ffmpeg reads" if e.code == "R303" else "set song.bpm and beat_offset by hand")
        raise FilmError(c.items, {edit.display: edit.doc.lines}) from None
    plan = plan_beats(det, set_bpm, set_offset, replace=write)
    for key in ("bpm", "beat_offset"):
        if key in plan.write:
            edit.set(("song", key), plan.write[key], after=("bpm", "duration", "audio") if key == "beat_offset"
                     else ("duration", "audio"))
    shown = song_film.song.audio
    if verbosity >= 0:
        click.echo(f"{shown}: {det.bpm:g} BPM, first beat at {det.beat_offset:g} s "
                   f"(confidence {det.confidence:.2f}: {det.beats} beats)")
        for line in plan.lines:
            click.echo("  " + line)
    result = edit.commit(dry_run=dry_run)
    if verbosity >= 0:
        if result.changed:
            click.echo(result.diff, nl=False)
        if result.written:
            click.echo(f"wrote {edit.display}")
        elif result.changed:
            click.echo(f"dry run: {edit.display} not changed")
        else:
            click.echo(f"{edit.display} unchanged")
    if song.get("beats"):
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
    from ..loading import resolve_film
    from ..render import edit_warnings, plan_edit
    from ..render.export import export_timeline
    from ..validate.outputs import input_at

    prod = resolve_film(film, allow_outside=allow_outside_paths)
    out = output or prod.film.root / "build" / ("film.otio" if fmt == "otio" else "film.xml")
    what = input_at(prod.film, out)
    if what:
        raise click.BadParameter(f"'{out}' is {what}: the export would replace it", param_hint="-o/--output")
    plan = plan_edit(prod)
    warnings = edit_warnings(plan.warnings)
    if warnings and _verbosity(ctx) >= 0:
        report(warnings, prod.sources())
    n = export_timeline(prod, plan, out, fmt)  # ExportError, RenderError, Interrupted: printed by the group
    if _verbosity(ctx) >= 0:
        click.echo(f"wrote {out} ({n} clips)")
