"""The validated film as frozen dataclasses: what every stage after `validate` works on.

Times are seconds (float); text-or-list fields are tuples of strings; each object keeps
its JSON pointer so later stages can still point at the line a value came from.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from functools import cache
from pathlib import Path
from typing import Any

TRANSITIONS = ("cut", "fade", "dissolve")  # fade: through black; dissolve: a crossfade with the neighbour
SIZES = ("EWS", "WS", "MWS", "MS", "MCU", "CU", "ECU", "OTS", "POV", "INSERT")
ANGLES = ("eye-level", "low", "high", "dutch", "overhead")
CAMERA_MOVES = (
    "static", "push-in", "pull-out", "zoom-in", "zoom-out", "pan-left", "pan-right",
    "tilt-up", "tilt-down", "dolly-in", "dolly-out", "truck-left", "truck-right", "tracking",
    "crane-up", "crane-down", "orbit-left", "orbit-right", "handheld",
)
CAMERA_SPEEDS = ("slow", "fast")
PRONOUNS = ("he", "she", "they", "it")
VIEWS = ("front", "side", "back", "silhouette", "hands", "feet", "partial")
MODES = ("image-to-video", "still", "text-to-video")
NEXT_FRAME = "next"  # end_frame: the next shot's first frame
REF_KINDS = ("character", "location", "style", "object")  # what a reference image shows


@dataclass(frozen=True, slots=True)
class Camera:
    """A camera move, with its speed."""

    move: str  # one of CAMERA_MOVES
    speed: str | None = None  # slow | fast | None

    def __str__(self) -> str:
        return f"{self.speed} {self.move}" if self.speed else self.move


@dataclass(frozen=True, slots=True)
class Grade:
    """A colour grade: a LUT, and brightness, contrast, saturation and gamma."""

    lut: str | None = None
    brightness: float | None = None
    contrast: float | None = None
    saturation: float | None = None
    gamma: float | None = None


@dataclass(frozen=True, slots=True)
class World:
    """A named look (concept.worlds) that sections and shots can switch to, in place of the film's own."""

    id: str
    style: tuple[str, ...] = ()
    palette: str | None = None
    lighting: str | None = None
    avoid: tuple[str, ...] = ()
    grade: Grade | None = None
    pointer: str = ""
    refs: tuple[str, ...] = ()  # style references: images of the look


@dataclass(frozen=True, slots=True)
class Concept:
    """The film's visual concept: its look, its worlds and motifs."""

    style: tuple[str, ...] = ()
    palette: str | None = None
    lighting: str | None = None
    avoid: tuple[str, ...] = ()
    worlds: dict[str, World] = field(default_factory=dict)
    motifs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LyricLine:
    """A lyric line of a section, at a song time or untimed."""

    at: float | None  # song time; None for untimed lyrics (spread over the section)
    text: str
    pointer: str = ""


@dataclass(frozen=True, slots=True)
class Section:
    """A song section: where it starts, its lyrics and its world."""

    id: str
    start: float
    tag: str | None = None
    lines: tuple[LyricLine, ...] = ()
    timed: bool = False
    world: str | None = None
    pointer: str = ""


@dataclass(frozen=True, slots=True)
class Song:
    """The song the film is cut to: its sections, audio and beat grid."""

    sections: tuple[Section, ...]
    audio: str | None = None
    duration: float | None = None
    bpm: float | None = None
    beat_offset: float = 0.0
    beats: tuple[float, ...] = ()


@dataclass(frozen=True, slots=True)
class Character:
    """A character: how prompts describe, name and dress them, and their reference images."""

    id: str
    description: str
    name: str | None = None
    wardrobe: dict[str, str] = field(default_factory=dict)  # a plain text wardrobe is {"default": text}
    refs: tuple[str, ...] = ()
    pointer: str = ""
    short: str | None = None  # "old keeper": how prompts name the character after the first mention
    pronoun: str | None = None  # one of PRONOUNS


@dataclass(frozen=True, slots=True)
class Location:
    """A location: its description and reference images."""

    id: str
    description: str
    slug: str | None = None
    refs: tuple[str, ...] = ()
    pointer: str = ""


@dataclass(frozen=True, slots=True)
class Targets:
    """The image and video targets the film compiles for, with the film's options for each."""

    image: tuple[str, ...] = ()
    video: tuple[str, ...] = ()
    options: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CastMember:
    """A character in a shot: what they wear, do, show and which references go with them."""

    id: str
    wardrobe: str | None = None
    action: str | None = None
    expression: str | None = None
    motion: str | None = None
    view: str | None = None  # one of VIEWS; None is seen from the front
    refs: tuple[str, ...] | None = None  # the character's references in this shot (None: all of them)


@dataclass(frozen=True, slots=True)
class Segment:
    """A continuation of an extended shot: what moves in it and how long it is generated."""

    motion: str | None = None
    camera: Camera | None = None
    duration: float | None = None


@dataclass(frozen=True, slots=True)
class Transition:
    """How a shot begins and ends in the edit."""

    into: str = "cut"  # the transition at the start of the shot
    out: str = "cut"  # the transition at its end
    duration: float = 1.0


@dataclass(frozen=True, slots=True)
class PromptOverride:
    """A shot's own prompt text for a target, in place of the compiled one."""

    image: str | None = None
    video: str | None = None
    negative: str | None = None
    text: str | None = None  # the plain-string form: replaces the target's own kind of prompt


@dataclass(frozen=True, slots=True)
class Shot:
    """A shot of the shot list: what is seen, how it is framed and generated, and how the edit uses it."""

    id: str
    section: str
    index: int  # position in the shot list
    duration: float | None = None
    size: str | None = None
    angle: str | None = None
    moves: tuple[Camera, ...] = ()  # the camera: one move, or a short sequence ("tracking, then pan-left")
    location: str | None = None
    time: str | None = None
    palette: str | None = None
    lighting: str | None = None
    world: str | None = None
    cast: tuple[CastMember, ...] = ()
    subject: str | None = None
    subject_motion: str | None = None
    background: str | None = None
    background_motion: str | None = None
    mood: tuple[str, ...] = ()
    details: tuple[str, ...] = ()
    transition: Transition = Transition()
    generate: dict[str, dict[str, Any]] = field(default_factory=dict)
    prompt: dict[str, PromptOverride] = field(default_factory=dict)
    take: str | None = None
    trim_in: float = 0.0
    reverse: bool = False
    speed: float = 1.0
    extend: bool = False
    segments: tuple[Segment, ...] = ()  # extend's continuation segments, when listed
    mode: str = "image-to-video"  # one of MODES
    notes: str | None = None
    pointer: str = ""
    allow_names: bool = False  # prompts may carry a character's name (filmc run sends them)
    refs: tuple[str, ...] | None = None  # the shot's other references (None: the location's, then the world's)
    end_frame: str | None = None  # the clip's last frame: an image of the film, or NEXT_FRAME

    @property
    def camera(self) -> Camera | None:
        """The first camera move (the one an animatic's still frame follows)."""
        return self.moves[0] if self.moves else None

    @property
    def camera_text(self) -> str:
        """The camera as written: `slow push-in`, `tracking, then pan-left`; empty without one."""
        return ", then ".join(str(m) for m in self.moves)


@dataclass(frozen=True, slots=True)
class Card:
    """A text card of the edit: its text, when it shows and for how long."""

    text: str
    at: str | float  # "start" | "end" | song time
    duration: float = 3.0
    fade: float = 0.5
    pointer: str = ""


@dataclass(frozen=True, slots=True)
class Output:
    """The rendered film: its file and encoding."""

    file: str | None = None
    crf: int = 20
    preset: str = "medium"


@dataclass(frozen=True, slots=True)
class Edit:
    """The edit: text cards, subtitles, grade, snapping and output."""

    cards: tuple[Card, ...] = ()
    subtitles: str = "none"
    grade: Grade | None = None
    snap: str = "none"
    output: Output = Output()


@dataclass(frozen=True, slots=True)
class FilmInfo:
    """The film's title, logline, picture format and frame rate, and the share of takes expected to be kept."""

    title: str
    logline: str | None = None
    aspect: str = "16:9"
    resolution: tuple[int, int] | None = None
    fps: float = 24.0
    keep_rate: float = 0.34


@dataclass(frozen=True, slots=True)
class Film:
    """A film.yaml that passed validation."""

    path: Path  # the film.yaml file
    root: Path  # the folder holding it: every relative path is resolved against it
    info: FilmInfo
    song: Song
    story: str | None
    concept: Concept
    characters: dict[str, Character]
    locations: dict[str, Location]
    targets: Targets
    shots: tuple[Shot, ...]
    edit: Edit


@cache
def default(cls: type, name: str) -> Any:
    """The default of field `name` of dataclass `cls`: the one statement of a film.yaml default, which the builder
    (validate/build.py) fills in and the film schema's `default`s are checked against."""
    for f in fields(cls):
        if f.name == name:
            if f.default is not MISSING:
                return f.default
            if f.default_factory is not MISSING:
                return f.default_factory()
            break
    raise KeyError(f"{cls.__name__}.{name} has no default")
