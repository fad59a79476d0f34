"""The song-clocked timeline: where each section and shot starts and ends, and how shots fill their sections.

The song is the master clock. A section runs from its start to the next section's start (the last one to the
end of the song); its shots share that length (`grid.shot_bounds`), snapped to the beat when the edit asks.
This is the one computation of it: validation reads the facts it records (sections out of order, sections over-
or under-filled) to report them, and resolve builds the production from the very same spans.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from ..model import Film, Section, Shot
from .grid import EPS, allocate, beat_grid, shot_bounds

Fill = Literal["ok", "empty", "over", "no-room", "under"]
OrderKind = Literal["first-not-at-0", "not-after-previous", "past-end"]


@dataclass(frozen=True, slots=True)
class TimedLine:
    """A lyric line on the song clock."""

    start: float  # song time
    end: float
    text: str
    section: str


@dataclass(frozen=True, slots=True)
class ShotSpan:
    """A shot on the song clock."""

    shot: Shot
    start: float  # song time
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class SectionSpan:
    """A section on the song clock, its shots' spans and how they fill it."""

    section: Section
    start: float
    end: float
    shots: tuple[ShotSpan, ...]  # in the order of the shot list
    fill: Fill  # "empty": no shots; "over"/"under": the shots' durations do not add up to the section;
    # "no-room": shots without a duration get nothing
    surplus: float  # > 0 under-filled, < 0 over-filled (by the shots' own durations)
    free: int  # shots without a duration (they share what the others leave)
    lines: tuple[TimedLine, ...]

    @property
    def length(self) -> float:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class OrderProblem:
    """A section whose start breaks the song's order: the first not at 0, one not after the one before it, or one
    at or after the end of the song."""

    kind: OrderKind
    section: Section
    previous: Section | None = None


@dataclass(frozen=True)
class Timeline:
    """The song clock: the song's length and beats, and where each section and shot plays."""

    duration: float  # the song's length
    beats: tuple[float, ...]  # the beat grid (song.beats, or song.bpm's), within the song
    order: tuple[OrderProblem, ...]  # when any, the sections have no spans
    sections: tuple[SectionSpan, ...]
    unplaced: tuple[Shot, ...] = ()  # shots naming a section the song does not have (then no spans either)
    unclocked: tuple[Section, ...] = ()  # sections whose start is not a time (then no spans either)

    def shot_spans(self) -> list[ShotSpan]:
        """Every placed shot's span, in the order of the shot list."""
        spans = [sp for sec in self.sections for sp in sec.shots]
        return sorted(spans, key=lambda sp: sp.shot.index)

    def durations(self) -> dict[str, float]:
        return {sp.shot.id: sp.duration for sec in self.sections for sp in sec.shots}


def song_timeline(film: Film, duration: float) -> Timeline:
    """The timeline of `film` over a song `duration` seconds long (> 0)."""
    song = film.song
    beats = beat_grid(song, duration)
    secs = song.sections
    unclocked = tuple(s for s in secs if math.isnan(s.start))
    if unclocked:  # a start that is not a time: reported where it is read
        return Timeline(duration, beats, (), (), unclocked=unclocked)
    order = _order_problems(secs, duration)
    if order:
        return Timeline(duration, beats, order, ())
    by_section: dict[str, list[Shot]] = {s.id: [] for s in secs}
    unplaced = tuple(shot for shot in film.shots if shot.section not in by_section)
    if unplaced:
        return Timeline(duration, beats, (), (), unplaced)
    for shot in film.shots:
        by_section[shot.section].append(shot)
    snap = beats if film.edit.snap == "beats" else ()
    min_gap = 1.0 / film.info.fps
    ends = [s.start for s in secs[1:]] + [duration]
    spans = []
    for sec, end in zip(secs, ends):
        shots = by_section[sec.id]
        fill, surplus, free = _fill(end - sec.start, shots)
        placed: tuple[ShotSpan, ...] = ()
        if shots:
            bounds = shot_bounds(sec.start, end, [sh.duration for sh in shots], snap, min_gap)
            placed = tuple(ShotSpan(sh, a, b) for sh, a, b in zip(shots, bounds, bounds[1:]))
        spans.append(SectionSpan(sec, sec.start, end, placed, fill, surplus, free,
                                 tuple(section_lines(sec, sec.start, end))))
    return Timeline(duration, beats, (), tuple(spans))


def _order_problems(secs: tuple[Section, ...], duration: float) -> tuple[OrderProblem, ...]:
    out: list[OrderProblem] = []
    if secs and secs[0].start > EPS:
        out.append(OrderProblem("first-not-at-0", secs[0]))
    for prev, cur in zip(secs, secs[1:]):
        if cur.start <= prev.start + EPS:
            out.append(OrderProblem("not-after-previous", cur, prev))
    out += [OrderProblem("past-end", s) for s in secs if s.start >= duration - EPS]
    return tuple(out)


def _fill(length: float, shots: list[Shot]) -> tuple[Fill, float, int]:
    """How the shots' durations fill a section `length` long: the verdict, the surplus, the shots without one."""
    if not shots:
        return "empty", length, 0
    durs, surplus = allocate(length, [sh.duration for sh in shots])
    free = sum(1 for sh in shots if sh.duration is None)
    if surplus < -EPS * 10 or (free and length - sum(d for d in durs if d) < -EPS):
        return "over", surplus, free
    if free and surplus <= EPS and all(d <= EPS for d, sh in zip(durs, shots) if sh.duration is None):
        return "no-room", surplus, free
    if surplus > 1e-3:
        return "under", surplus, free
    return "ok", surplus, free


def section_lines(section: Section, start: float, end: float) -> list[TimedLine]:
    """A section's lyric lines on the clock: timed lines from their `at` to the next one; untimed lines share the
    section equally."""
    if not section.lines:
        return []
    if section.timed:
        timed = sorted((ln for ln in section.lines if ln.at is not None), key=lambda ln: ln.at or 0.0)
        out = []
        for k, ln in enumerate(timed):
            at = max(ln.at or 0.0, start)
            nxt = timed[k + 1].at if k + 1 < len(timed) else end
            out.append(TimedLine(at, min(nxt or end, end), ln.text, section.id))
        return [t for t in out if t.end > t.start + EPS]
    step = (end - start) / len(section.lines)
    return [TimedLine(start + k * step, start + (k + 1) * step, ln.text, section.id)
            for k, ln in enumerate(section.lines)]
