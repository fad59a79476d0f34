"""The edit: aspect and resolution, beat snapping, subtitles, cards within the song, transitions within shots."""

from __future__ import annotations

from ..diagnostics import Collector
from ..model import Film
from ..timeline import EPS


def check_edit(film: Film, diags: Collector, song_length: float | None) -> None:
    e = film.edit
    song = film.song
    sides = film.info.aspect.split(":")
    try:
        if len(sides) != 2 or min(float(x) for x in sides) <= 0:
            raise ValueError
    except ValueError:
        diags.error("V296", f"/film/aspect: '{film.info.aspect}' is not an aspect ratio", "/film/aspect",
                    hint="width:height with both above 0, e.g. \"16:9\"")
    res = film.info.resolution
    if res and (res[0] % 2 or res[1] % 2):
        diags.error("V295", f"/film/resolution: {res[0]}x{res[1]} has an odd side; video encoders need even sizes",
                    "/film/resolution", hint=f"use [{res[0] + res[0] % 2}, {res[1] + res[1] % 2}]")
    if e.snap == "beats" and not song.bpm and not song.beats:
        diags.error("V290", "/edit/snap: snapping to beats needs a beat grid", "/edit/snap",
                    hint="set song.bpm (and beat_offset), list song.beats, or run 'filmc beats FILM'")
    if song.bpm and song.beats:
        diags.warning("V291", "/song/beats: both bpm and beats are set; the explicit beats are used", "/song/beats", key=True)
    if e.subtitles in ("burn", "sidecar") and not any(s.lines for s in song.sections):
        diags.warning("V292", "/edit/subtitles: subtitles are on but no section has lyrics or lines",
                      "/edit/subtitles")
    end = song_length
    for c in e.cards:
        if isinstance(c.at, float) and end is not None and c.at + c.duration > end + EPS:
            diags.error("V293", f"{c.pointer}/at: the card at {c.at:g} s runs past the end of the song ({end:g} s)",
                        f"{c.pointer}/at", hint="use 'at: end' for a card after the song")
        if c.fade * 2 > c.duration + EPS:
            diags.error("V294", f"{c.pointer}/fade: fading in and out ({c.fade:g} s each) takes longer than the card "
                        f"({c.duration:g} s)", f"{c.pointer}/fade")
    for s in song.sections:
        if s.timed and s.pointer and diags.source and f"{s.pointer}/lyrics" in getattr(diags.source, "values", {}):
            diags.warning("V282", f"{s.pointer}: section '{s.id}' has both lyrics and timed lines; the lines are used",
                          f"{s.pointer}/lyrics", key=True)


def check_transitions(film: Film, durations: dict[str, float], diags: Collector) -> None:
    shots = film.shots
    for i, shot in enumerate(shots):
        tr = shot.transition
        if tr.into == "cut" and tr.out == "cut":
            continue
        d = durations.get(shot.id, 0.0)
        if tr.duration > d + EPS:
            diags.error("V250", f"{shot.pointer}/transition: the {tr.into if tr.into != 'cut' else tr.out} lasts "
                        f"{tr.duration:g} s, longer than shot '{shot.id}' ({d:.3f} s)", f"{shot.pointer}/transition",
                        hint=f"use a duration of at most {d:.2f}")
        if tr.into == "dissolve" and i > 0 and tr.duration > durations.get(shots[i - 1].id, 0.0) + EPS:
            prev = shots[i - 1]
            diags.error("V250", f"{shot.pointer}/transition: the dissolve lasts {tr.duration:g} s, longer than the "
                        f"shot before it, '{prev.id}' ({durations.get(prev.id, 0.0):.3f} s)", f"{shot.pointer}/transition")
        if tr.out == "dissolve" and i + 1 < len(shots) and tr.duration > durations.get(shots[i + 1].id, 0.0) + EPS:
            nxt = shots[i + 1]
            diags.error("V250", f"{shot.pointer}/transition: the dissolve lasts {tr.duration:g} s, longer than the "
                        f"next shot, '{nxt.id}' ({durations.get(nxt.id, 0.0):.3f} s)", f"{shot.pointer}/transition")
