"""The song: its length (declared, or the audio file's), sections in order within it, lyric lines within their
section, and shots that fill each section. The timeline itself is compiler.timeline's: this locates its facts."""

from __future__ import annotations

from collections.abc import Collection

from ..diagnostics import Collector
from ..model import Film
from ..paths import inside_film
from ..plurals import plural
from ..timeline import EPS, OrderProblem, SectionSpan, Timeline, song_timeline


def check_song(film: Film, diags: Collector, probe_audio: bool, allow_outside: bool = False, *,
               incomplete: Collection[str] = ()) -> tuple[Timeline | None, bool]:
    """Section order and bounds, the song length, and how shots fill sections (not judged while some section or
    shot could not be read: `incomplete`, whose problems the schema check reported).

    Returns the timeline (None when the song's length is unknown) and whether its shots' spans are sound (no
    problem reported here), so that checks of shot lengths can rely on them.
    """
    song = film.song
    duration = _song_length(film, diags, probe_audio, allow_outside)
    if duration is None:
        if (not song.audio and "song" not in incomplete
                and not any(d.pointer == "/song/duration" for d in diags.items)):
            diags.error("V233", "/song: no audio and no duration: the song's length is unknown", "/song", key=True,
                        hint="add 'duration: 3:20' (or an 'audio:' file)")
        return None, False
    if duration <= 0:
        diags.error("V233", "/song/duration: the song must last longer than 0 s", "/song/duration")
        return None, False
    timeline = song_timeline(film, duration)
    if timeline.unclocked or "sections" in incomplete or "shots" in incomplete:
        return timeline, False
    for problem in timeline.order:
        _order(problem, duration, diags)
    if timeline.order:
        return timeline, False
    for span in timeline.sections:
        s = span.section
        for ln in s.lines:
            if ln.at is not None and not (span.start - EPS <= ln.at < span.end + EPS):
                diags.warning("V281", f"{ln.pointer}/at: lyric line at {ln.at:g} s lies outside section '{s.id}' "
                              f"({span.start:g}–{span.end:g} s)", f"{ln.pointer}/at")
    if timeline.unplaced:
        return timeline, False  # the unknown section is reported; a fill report would only mislead
    ok = True
    for span in timeline.sections:
        s = span.section
        length = span.length
        for shot in (sp.shot for sp in span.shots):
            if shot.duration is not None and shot.duration <= EPS:
                diags.error("V241", f"{shot.pointer}/duration: shot '{shot.id}' must last longer than 0 s",
                            f"{shot.pointer}/duration")
                ok = False
        if span.fill == "empty":
            if film.shots:
                diags.error("V240", f"{s.pointer}: section '{s.id}' ({length:.3f} s) has no shots", s.pointer, key=True,
                            hint=f"add shots with section: {s.id}")
                ok = False
        elif span.fill == "over":
            over = -span.surplus
            diags.error("V240", f"{s.pointer}: section '{s.id}' is over-filled by {over:.3f} s: its shots last "
                        f"{length + over:.3f} s, the section {length:.3f} s", s.pointer, key=True,
                        hint="shorten some shots" + (", or leave the duration off some to share the rest"
                                                     if not span.free else "") + _longest(span))
            ok = False
        elif span.fill == "no-room":
            diags.error("V240", f"{s.pointer}: section '{s.id}' has no time left for {plural(span.free, 'shot')} without a "
                        "duration", s.pointer, key=True, hint="shorten the shots with a duration" + _longest(span))
            ok = False
        elif span.fill == "under":
            diags.error("V240", f"{s.pointer}: section '{s.id}' is under-filled by {span.surplus:.3f} s: its shots "
                        f"last {length - span.surplus:.3f} s, the section {length:.3f} s", s.pointer, key=True,
                        hint="lengthen a shot, add one, or leave the duration off a shot so it takes the rest")
            ok = False
    if not film.shots and not diags.has_errors:
        diags.warning("V242", "/shots: the film has no shots yet", "/shots", key=True,
                      hint="add shots (filmc timeline shows how they share the song)")
    return timeline, ok


def _song_length(film: Film, diags: Collector, probe_audio: bool, allow_outside: bool) -> float | None:
    """The declared duration, or the audio file's when there is one (V234 when they disagree, V236 unreadable)."""
    song = film.song
    duration = song.duration
    if song.audio and probe_audio:
        audio = inside_film(film.root, song.audio, allow_outside)
        if audio is not None and audio.is_file():
            from ..probe import ProbeError, media_duration

            try:
                real = media_duration(audio)
            except ProbeError as e:
                diags.error("V236", f"/song/audio: cannot read '{song.audio}' as audio: {e}", "/song/audio",
                            hint="use an audio file ffmpeg reads (wav, mp3, ogg, flac, m4a)")
                real = None
            if real is not None:
                if duration is None:
                    duration = real
                elif abs(real - duration) > 0.1:
                    diags.error("V234", f"/song/duration: {duration:g} s, but the audio file is {real:.3f} s long",
                                "/song/duration", hint=f"set duration: {real:.2f} (or remove it: the audio decides)")
                    duration = real
    return duration


def _order(problem: OrderProblem, duration: float, diags: Collector) -> None:
    s, prev = problem.section, problem.previous
    if problem.kind == "first-not-at-0":
        diags.error("V231", f"{s.pointer}/start: the first section must start at 0, not {s.start:g}",
                    f"{s.pointer}/start", hint="add an intro section at 0, or set this start to 0")
    elif problem.kind == "not-after-previous" and prev is not None:
        diags.error("V231", f"{s.pointer}/start: section '{s.id}' starts at {s.start:g} s, not after "
                    f"'{prev.id}' ({prev.start:g} s)", f"{s.pointer}/start",
                    hint="sections are listed in song order and each starts after the one before")
    elif problem.kind == "past-end":
        diags.error("V232", f"{s.pointer}/start: section '{s.id}' starts at {s.start:g} s, at or after the end of "
                    f"the song ({duration:g} s)", f"{s.pointer}/start")


def _longest(span: SectionSpan) -> str:
    """The section's shots that have a duration, longest first (where to look when it is over-filled)."""
    timed = sorted(((sp.shot.duration, sp.shot.id) for sp in span.shots if sp.shot.duration is not None),
                   key=lambda x: (-x[0], x[1]))
    if not timed:
        return ""
    shown = ", ".join(f"{shot} ({d:g} s)" for d, shot in timed[:4])
    return f"; those with a duration, longest first: {shown}{', ...' if len(timed) > 4 else ''}"
