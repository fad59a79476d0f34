"""The edit's commands in order: render (resolve -> plan -> media check -> one ffmpeg run), export (resolve ->
plan -> an editor timeline) and beats (detect the song's tempo -> write it into film.yaml). Each returns a typed
result the CLI prints; what to show before a long step (warnings, what is about to render) goes to a callback."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..beats.detect import BeatsError
from ..diagnostics import Diagnostic
from ..edit.run import RenderError
from ..errors import UsageError
from ..interrupt import Interrupted, interruptible
from ..paths import build_folder
from ..timelines.errors import ExportError, ExportStopped
from .options import Loading

if TYPE_CHECKING:
    from ..edit.clips import EditPlan
    from ..progress import PlainProgress, RichProgress
    from ..resolve import Production

__all__ = ["BeatsError", "BeatsResult", "Exported", "ExportError", "Interrupted", "OutputRefused", "RenderError",
           "RenderStart", "Rendered", "beats_film", "export_film", "render_film"]

Sources = Mapping[str, Sequence[str]]
Warn = Callable[[Sequence[Diagnostic], Sources], None]  # warnings to show now (before a long step)
ProgressFactory = Callable[[float], "PlainProgress | RichProgress | None"]  # seconds of output -> progress


class OutputRefused(UsageError):
    """An output the command will not write; `option` names the option that gave it (None: the default)."""

    def __init__(self, message: str, option: str | None) -> None:
        super().__init__(message)
        self.option = option


@dataclass(frozen=True)
class RenderStart:
    """What is about to render (shown before ffmpeg starts)."""

    output: Path
    width: int
    height: int
    fps: float
    seconds: float
    takes: int
    images: int
    slates: int
    warnings: tuple[Diagnostic, ...]
    sources: Sources


@dataclass(frozen=True)
class Rendered:
    output: Path
    srt: Path | None  # the sidecar subtitles
    seconds: float  # length of the output
    takes: int
    images: int
    slates: int
    animatic: bool


def _check_output(prod: Production, out: Path, option: str | None) -> None:
    """Refuse an output over a file the film reads, or not a video file (edit.output.file was checked by
    validate, located; -o and the default output are checked here)."""
    from ..validate.outputs import output_problem

    problem = output_problem(prod.film, out, str(out))
    if problem is None:
        return
    code, message, hint = problem
    raise OutputRefused(f"{message} ({hint})" if option else f"[{code}] {message} ({hint})", option)


def _counts(plan: EditPlan) -> dict[str, int]:
    return {k: sum(1 for c in plan.clips if c.source == k) for k in ("take", "image", "slate")}


def render_film(loading: Loading, *, output: Path | None = None, animatic: bool = False, select: str | None = None,
                size: tuple[int, int] | None = None, fps: float | None = None, subtitles: str | None = None,
                on_start: Callable[[RenderStart], None] | None = None,
                progress: ProgressFactory | None = None) -> Rendered:
    """Render FILM over its song with one ffmpeg run into `output` (default: edit.output.file, else
    build/film.mp4; build/animatic.mp4 for an animatic).

    FilmError for problems in the film or its media (located; R105 when ffmpeg fails on a take or image),
    OutputRefused for an output it must not write, RenderError when ffmpeg fails otherwise (with its log),
    Interrupted when a signal stops it (nothing is written then)."""
    from ..edit import default_output, edit_warnings, plan_edit, render_plan
    from ..edit.graph import MUXERS
    from ..edit.media import check_media
    from ..edit.render import render_failure

    if output is not None and output.suffix.lower() not in MUXERS:
        raise OutputRefused(f"'{output.name}': write a {', '.join(sorted(MUXERS))} file", "-o/--output")
    with interruptible():
        prod = loading.resolve()
        out = output or default_output(prod, animatic)
        _check_output(prod, out, "-o/--output" if output is not None else None)
        plan = plan_edit(prod, animatic=animatic, select=select, size=size, fps=fps, subtitles=subtitles)
        media = check_media(plan, prod)
        kinds = _counts(plan)
        if on_start is not None:
            on_start(RenderStart(out, plan.width, plan.height, plan.fps, plan.duration, kinds["take"],
                                 kinds["image"], kinds["slate"],
                                 tuple(edit_warnings(prod.warnings, plan.warnings, media.items)), prod.sources()))
        try:
            done = render_plan(plan, out, progress=progress(plan.duration) if progress else None)
        except RenderError as e:
            located = render_failure(e, prod, plan)
            if located is not None:
                raise located from None
            raise
    return Rendered(done.output, done.srt, done.seconds, kinds["take"], kinds["image"], kinds["slate"], animatic)


@dataclass(frozen=True)
class Exported:
    output: Path
    clips: int
    warnings: tuple[Diagnostic, ...]
    sources: Sources


def export_film(loading: Loading, *, fmt: str = "otio", output: Path | None = None,
                warn: Warn | None = None) -> Exported:
    """Write FILM's edit as an editor timeline (`fmt`: otio | fcp7) to `output` (default: build/film.otio or
    build/film.xml), slate and card stills into slates/ beside it.

    ExportError (or RenderError) when the timeline or its stills cannot be written (with ffmpeg's log when it
    failed), OutputRefused for an output over a file the film reads."""
    from ..edit import edit_warnings, plan_edit
    from ..timelines.export import export_timeline
    from ..validate.outputs import input_at

    prod = loading.resolve()
    out = output or build_folder(prod.film.root) / ("film.otio" if fmt == "otio" else "film.xml")
    what = input_at(prod.film, out)
    if what:
        raise OutputRefused(f"'{out}' is {what}: the export would replace it", "-o/--output")
    plan = plan_edit(prod)
    warnings = tuple(edit_warnings(plan.warnings))
    if warn is not None and warnings:
        warn(warnings, prod.sources())
    try:
        with interruptible():
            n = export_timeline(prod, plan, out, fmt)
    except Interrupted as e:
        raise ExportStopped(e.signum, late=e.late) from None
    return Exported(out, n, warnings, prod.sources())


@dataclass(frozen=True)
class BeatsResult:
    display: str  # film.yaml as the creator named it
    audio: str  # song.audio as written
    bpm: float  # detected
    beat_offset: float
    confidence: float
    beats: int
    lines: tuple[str, ...]  # per value: what is set, what was detected, what happens
    diff: str  # of film.yaml ('' when unchanged)
    changed: bool
    written: bool
    explicit_beats: bool  # song.beats is set (and wins over bpm)


def beats_film(loading: Loading, *, write: bool = False, dry_run: bool = False,
               warn: Warn | None = None) -> BeatsResult:
    """Detect the song's tempo and first beat; fill in song.bpm and beat_offset where they are not set, and
    replace set values that disagree only with `write`. FilmError (R301-R304) for a song it cannot read or
    that has no steady beat; BeatsError (R303) when librosa is not installed."""
    from ..beats.detect import detect_beats
    from ..beats.plan import plan_beats
    from ..beats.song import song_file, validated_song
    from ..yamledit import FilmEdit

    film, path = loading.film, loading.path
    edit = FilmEdit.open(path, display=str(film if not Path(film).is_dir() else path))
    song_film, warnings, unusable = validated_song(edit.doc, allow_outside=loading.allow_outside)
    sources = {edit.display: edit.doc.lines}
    if warnings and warn is not None:
        warn(warnings, sources)
    audio = song_file(song_film, edit.doc)
    raw_song = edit.data.get("song")
    song: dict[str, object] = raw_song if isinstance(raw_song, dict) else {}

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
            raise
        from ..diagnostics import Collector
        from ..errors import FilmError

        c = Collector(edit.display, edit.doc)
        c.error(e.code, f"/song/audio: {e}", "/song/audio",
                hint="use an audio file ffmpeg reads" if e.code == "R303" else "set song.bpm and beat_offset by hand")
        raise FilmError(c.items, sources) from None
    plan = plan_beats(det, set_bpm, set_offset, replace=write)
    for key in ("bpm", "beat_offset"):
        if key in plan.write:
            edit.set(("song", key), plan.write[key], after=("bpm", "duration", "audio") if key == "beat_offset"
                     else ("duration", "audio"))
    result = edit.commit(dry_run=dry_run)
    return BeatsResult(edit.display, song_film.song.audio or "", det.bpm, det.beat_offset, det.confidence, det.beats,
                       tuple(plan.lines), result.diff, result.changed, result.written, bool(song.get("beats")))
