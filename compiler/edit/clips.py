"""The edit plan's data: the clips of the picture track (a shot, or a full-frame title card), the text drawn
over them, the lyric cues and the pieces of the song. Every time on the output timeline is a frame number."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Literal

from ..diagnostics import Diagnostic
from ..model import Camera, Grade

ShotSource = Literal["take", "image", "slate"]


@dataclass(frozen=True, slots=True)
class SlateText:
    title: str  # the shot id
    meta: str  # number, section, times
    framing: str  # size, angle, camera
    body: str  # location, action or subject
    lyric: str  # the lyric line(s) sung over the shot


@dataclass(frozen=True, slots=True)
class ClipBase:
    """What every piece of the picture track has: where it sits and how it joins its neighbours."""

    id: str  # the shot id, or card-<n>
    start: int  # first frame on the output timeline (nominal, i.e. the cut point)
    end: int  # frame after the last one
    color: str = "0x000000"  # the background of a slate or card
    pointer: str = ""  # where it is in film.yaml
    pre: int = 0  # frames shown before `start` (first half of a dissolve with the clip before)
    post: int = 0  # frames shown after `end` (the clip after dissolves into them)
    dissolve_in: int = 0  # frames of crossfade with the clip before (0: a cut)
    fade_in: int = 0  # frames of fade from black
    fade_out: int = 0  # frames of fade to black

    @property
    def frames(self) -> int:
        """Frames this clip renders (its nominal length plus dissolve handles)."""
        return self.end - self.start + self.pre + self.post

    @property
    def nominal(self) -> int:
        return self.end - self.start


@dataclass(frozen=True, slots=True, kw_only=True)
class CardClip(ClipBase):
    """A full-frame title card (`at: start` or `at: end`): its text centred on black."""

    kind: ClassVar[Literal["card"]] = "card"
    source: ClassVar[Literal["card"]] = "card"
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ShotClip(ClipBase):
    """A shot: its take, else its first-frame image, else a slate."""

    kind: ClassVar[Literal["shot"]] = "shot"
    source: ShotSource
    slate: SlateText
    number: int  # the shot's number in the film (1-based)
    section: str
    song_start: float  # song seconds
    song_end: float
    media: Path | None = None  # the take or image
    media_rel: str | None = None  # as written in film.yaml
    trim_in: float = 0.0
    reverse: bool = False
    speed: float = 1.0
    camera: Camera | None = None
    grade: Grade | None = None
    lut: Path | None = None
    segments: tuple[Path, ...] = ()  # an extended shot's later segments, played after `media` (in order)
    segments_rel: tuple[str, ...] = ()  # ... relative to the film's folder


Clip = ShotClip | CardClip


@dataclass(frozen=True, slots=True)
class Overlay:
    """Text drawn over the picture: an `at: <time>` card, or a burned-in subtitle."""

    kind: Literal["card", "cue"]
    text: str
    start: float  # output seconds
    end: float
    fade: float = 0.0
    pointer: str = ""


@dataclass(frozen=True, slots=True)
class Cue:
    start: float  # output seconds
    end: float
    text: str


@dataclass(frozen=True, slots=True)
class Run:
    """A stretch of the song that plays uninterrupted: song [start, end) at output time `out`."""

    start: float
    end: float
    out: float


@dataclass(frozen=True, slots=True)
class AudioPlan:
    path: Path | None  # None: silence
    rel: str | None
    runs: tuple[Run, ...]  # the song pieces, in output order
    delay: float  # output seconds before the first piece (the `at: start` cards)


@dataclass(frozen=True)
class EditPlan:
    title: str
    root: Path  # the folder holding film.yaml
    width: int
    height: int
    fps: float
    rate: str  # the frame rate as ffmpeg reads it ("24", "24000/1001")
    frames: int  # total frames of the output
    clips: tuple[Clip, ...]
    overlays: tuple[Overlay, ...]  # cards at song times, then subtitles (when burned)
    cues: tuple[Cue, ...]  # lyric subtitles on the output timeline
    audio: AudioPlan
    subtitles: str  # none | burn | sidecar
    animatic: bool
    crf: int
    preset: str
    selected: bool  # only some shots (--select)
    warnings: tuple[Diagnostic, ...] = field(default=())

    @property
    def duration(self) -> float:
        return self.frames / self.fps

    def seconds(self, frame: int) -> float:
        return frame / self.fps

    def shots(self) -> tuple[ShotClip, ...]:
        return tuple(c for c in self.clips if isinstance(c, ShotClip))
