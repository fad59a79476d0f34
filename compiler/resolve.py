"""resolve: Film -> Production (references bound, defaults cascaded, the timeline from the song).

The song is the master clock: every shot's start and end come from its section's start
and the shots' durations. Title cards `at: start` are a pre-roll before the song.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .diagnostics import Collector, Diagnostic
from .load import Document
from .model import Card, CastMember, Character, Film, Location, Section, Shot, World
from .targets import TargetDef
from .timeline import EPS, TimedLine
from .validate import Validated

__all__ = ["InFrame", "Production", "ResolvedSection", "ResolvedShot", "TimedLine", "resolve_production",
           "timeline_data"]

_ASPECT_720 = {"16:9": (1280, 720), "9:16": (720, 1280), "1:1": (720, 720), "4:3": (960, 720),
               "3:4": (720, 960), "21:9": (1680, 720), "2.39:1": (1720, 720), "4:5": (720, 900)}


@dataclass(frozen=True, slots=True)
class InFrame:
    """A character in a shot, with the wardrobe it wears there."""

    member: CastMember
    character: Character
    wardrobe: str | None  # the wardrobe text for this shot


@dataclass(frozen=True, slots=True)
class ResolvedShot:
    """A shot placed on the timeline: its section, screen position, song times and cast."""

    shot: Shot
    section: Section
    number: int  # 1-based screen position
    start: float  # song time
    end: float
    world: World | None
    location: Location | None
    cast: tuple[InFrame, ...]
    lines: tuple[TimedLine, ...]
    id: str = field(init=False, repr=False, compare=False)  # the shot's (read tens of times per shot by a build)

    def __post_init__(self) -> None:
        object.__setattr__(self, "id", self.shot.id)

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class ResolvedSection:
    """A section placed on the timeline, with its shots."""

    section: Section
    start: float
    end: float
    shots: tuple[str, ...]


@dataclass(frozen=True)
class Production:
    """The resolved film: sections and shots on the timeline, lyric lines and every known target."""

    film: Film
    targets: Mapping[str, TargetDef]  # every known target (built-in and the film's own)
    sections: tuple[ResolvedSection, ...]
    shots: tuple[ResolvedShot, ...]
    lines: tuple[TimedLine, ...]
    beats: tuple[float, ...]
    song_duration: float
    preroll: float  # seconds of `at: start` cards before the song
    postroll: float  # seconds of `at: end` cards after it
    resolution: tuple[int, int]
    fps: float
    warnings: tuple[Diagnostic, ...] = ()
    doc: Document | None = None  # film.yaml's text and source map, for located errors in later stages
    allow_outside: bool = False  # --allow-outside-paths (media found later follow the same path policy)

    def collector(self) -> Collector:
        """A Collector that locates JSON pointers in film.yaml (for errors found after validation)."""
        return Collector(self.doc.display if self.doc else str(self.film.path), self.doc)

    def sources(self) -> dict[str, list[str]]:
        return {self.doc.display: self.doc.lines} if self.doc else {}

    @property
    def total_duration(self) -> float:
        return self.preroll + self.song_duration + self.postroll

    def shot(self, shot_id: str) -> ResolvedShot:
        index: dict[str, ResolvedShot] | None = self.__dict__.get("_index")
        if index is None:
            index = {s.id: s for s in self.shots}
            object.__setattr__(self, "_index", index)
        return index[shot_id]

    def cards(self, at: str) -> tuple[Card, ...]:
        if at == "overlay":
            return tuple(c for c in self.film.edit.cards if not isinstance(c.at, str))
        return tuple(c for c in self.film.edit.cards if c.at == at)


def _resolution(film: Film) -> tuple[int, int]:
    if film.info.resolution:
        return film.info.resolution
    if film.info.aspect in _ASPECT_720:
        return _ASPECT_720[film.info.aspect]
    w, h = (float(x) for x in film.info.aspect.split(":"))
    if w >= h:
        return (int(round(720 * w / h / 2)) * 2, 720)
    return (720, int(round(720 * h / w / 2)) * 2)


def _wardrobe(member: CastMember, char: Character, world: World | None) -> str | None:
    w = member.wardrobe
    if w:
        return char.wardrobe.get(w, w)
    if world and world.id in char.wardrobe:
        return char.wardrobe[world.id]
    return char.wardrobe.get("default")


def resolve_production(validated: Validated) -> Production:
    """Bind references and place every shot on the validated film's timeline (compiler.timeline's)."""
    film = validated.film
    timeline = validated.timeline
    if timeline is None:
        raise ValueError("the song's length is unknown (validation should have said so)")
    placed: list[tuple[Shot, Section, float, float, World | None, Location | None, tuple[InFrame, ...],
                       tuple[TimedLine, ...]]] = []
    sections: list[ResolvedSection] = []
    all_lines: list[TimedLine] = []
    for span in timeline.sections:
        sec = span.section
        all_lines += span.lines
        sections.append(ResolvedSection(sec, span.start, span.end, tuple(sp.shot.id for sp in span.shots)))
        for sp in span.shots:
            shot, a, b = sp.shot, sp.start, sp.end
            world = film.concept.worlds.get(shot.world or sec.world or "")
            cast = tuple(InFrame(m, film.characters[m.id], _wardrobe(m, film.characters[m.id], world))
                         for m in shot.cast if m.id in film.characters)
            in_shot = tuple(ln for ln in span.lines if ln.start < b - EPS and ln.end > a + EPS)
            placed.append((shot, sec, a, b, world, film.locations.get(shot.location or ""), cast, in_shot))
    placed.sort(key=lambda p: p[0].index)  # numbered in the order of the shot list
    ordered = [ResolvedShot(shot, sec, i + 1, a, b, world, location, cast, lines)
               for i, (shot, sec, a, b, world, location, cast, lines) in enumerate(placed)]
    pre = sum(c.duration for c in film.edit.cards if c.at == "start")
    post = sum(c.duration for c in film.edit.cards if c.at == "end")
    return Production(film, validated.targets, tuple(sections), tuple(ordered), tuple(all_lines), timeline.beats,
                      timeline.duration, pre, post, _resolution(film), film.info.fps, validated.warnings,
                      validated.doc, validated.allow_outside)


def timeline_data(prod: Production) -> list[dict[str, Any]]:
    """The timeline as plain data (`filmc timeline --format json`)."""
    out = []
    for s in prod.shots:
        out.append({
            "id": s.id, "number": s.number, "section": s.section.id,
            "start": round(s.start, 6), "end": round(s.end, 6), "duration": round(s.duration, 6),
            "film_start": round(s.start + prod.preroll, 6), "film_end": round(s.end + prod.preroll, 6),
            "world": s.world.id if s.world else None,
            "lyrics": [ln.text for ln in s.lines],
        })
    return out
