"""plan: Production -> EditPlan (which picture each shot uses, where it sits, how it joins its neighbours).

Pure: reads the file system only to see which takes and first-frame images exist.
Every time on the output timeline is a frame number, so the film is exactly as long as
the timeline (title cards included) and cuts land on frames.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from ..diagnostics import Collector
from ..errors import FilmError
from ..model import Card
from ..resolve import Production, ResolvedShot
from .clips import AudioPlan, CardClip, Clip, Cue, EditPlan, Overlay, Run, ShotClip, ShotSource
from .joins import check_joins, join
from .shots import IMAGE_EXTS, find_image, later_segments, merge_grade, select_shots, slate_text, takes_names

# Slate colours, one per section in song order (then repeating): dark enough for white text.
PALETTE = ("0x2e4a62", "0x6b3a5b", "0x2f6b55", "0x7a4a23", "0x4a3f7a", "0x6b2f2f", "0x2f5f6b", "0x5a5a2a")


def frame_rate(fps: float) -> str:
    """ffmpeg's spelling of a frame rate: NTSC rates as n*1000/1001, others as a reduced fraction."""
    ntsc = fps * 1001 / 1000
    if abs(ntsc - round(ntsc)) < 0.005 and abs(fps - round(fps)) > 0.001:
        return f"{round(ntsc) * 1000}/1001"
    f = Fraction(fps).limit_denominator(1001)
    return str(f.numerator) if f.denominator == 1 else f"{f.numerator}/{f.denominator}"


def _runs(prod: Production, shots: tuple[ResolvedShot, ...], selected: bool) -> tuple[Run, ...]:
    if not selected:
        return (Run(0.0, prod.song_duration, prod.preroll),)
    runs: list[Run] = []
    out = 0.0
    prev: ResolvedShot | None = None
    for s in shots:
        if prev is not None and s.number == prev.number + 1 and runs:
            runs[-1] = Run(runs[-1].start, s.end, runs[-1].out)
        else:
            if runs:
                out += runs[-1].end - runs[-1].start
            runs.append(Run(s.start, s.end, out))
        prev = s
    return tuple(runs)


def _map(runs: tuple[Run, ...], a: float, b: float) -> list[tuple[float, float]]:
    """Output-time pieces of the song interval [a, b)."""
    out = []
    for r in runs:
        lo, hi = max(a, r.start), min(b, r.end)
        if hi > lo + 1e-9:
            out.append((r.out + lo - r.start, r.out + hi - r.start))
    return out


class _Frames:
    """Output seconds -> frames at the render's rate; a shot's song time through the run that plays it."""

    def __init__(self, fps: float, shots: tuple[ResolvedShot, ...], runs: tuple[Run, ...]) -> None:
        self.fps = fps
        self.run_of: dict[str, Run] = {}
        for s in shots:
            for r in runs:
                if r.start - 1e-9 <= s.start and s.end <= r.end + 1e-9:
                    self.run_of[s.id] = r

    def __call__(self, t: float) -> int:
        return round(t * self.fps + 1e-9)

    def song(self, s: ResolvedShot, t: float) -> int:
        r = self.run_of[s.id]
        return self(r.out + t - r.start)


def _cards(cards: Sequence[Card], t: float, frame: _Frames, clips: list[Clip]) -> float:
    """Full-frame title cards from time t, one after another, appended to `clips`; returns where they end."""
    for card in cards:
        a, b = frame(t), frame(t + card.duration)
        fade = min(frame(card.fade), (b - a) // 2)
        n = sum(isinstance(c, CardClip) for c in clips) + 1
        clips.append(CardClip(id=f"card-{n}", start=a, end=b, pointer=card.pointer, text=card.text,
                              fade_in=fade, fade_out=fade))
        t += card.duration
    return t


def _shot(prod: Production, s: ResolvedShot, color: str, frame: _Frames, animatic: bool, c: Collector,
          present: frozenset[str]) -> ShotClip:
    """A shot's clip: its take (not in an animatic), else its first-frame image, else a slate."""
    film, shot = prod.film, s.shot
    root = film.root
    source: ShotSource = "slate"
    media, rel = None, None
    take = shot.take
    if take and not take.lower().endswith(IMAGE_EXTS) and not animatic:
        if (root / take).is_file():
            source, media, rel = "take", root / take, take
        else:
            c.warning("R201", f"{shot.pointer}/take: shot '{shot.id}': take '{take}' not found; "
                      "using its first-frame image or a slate", f"{shot.pointer}/take")
    if source == "slate":
        img = find_image(prod, s, c, present=present)
        if img:
            source, media, rel = "image", img[0], img[1]
        elif take and take.lower().endswith(IMAGE_EXTS) and not (root / take).is_file():
            c.warning("R201", f"{shot.pointer}/take: shot '{shot.id}': image '{take}' not found; using a slate",
                      f"{shot.pointer}/take")
    segments: tuple[str, ...] = ()
    if source == "take" and rel is not None and (shot.extend or shot.segments):
        segments = later_segments(prod, s, rel, c)
    grade = merge_grade(film.edit.grade, s.world.grade if s.world else None) if source != "slate" else None
    return ShotClip(
        id=shot.id, source=source, start=frame.song(s, s.start), end=frame.song(s, s.end), color=color,
        media=media, media_rel=rel, pointer=shot.pointer, trim_in=shot.trim_in, reverse=shot.reverse,
        speed=shot.speed, camera=shot.camera, grade=grade, lut=(root / grade.lut) if grade and grade.lut else None,
        slate=slate_text(prod, s), song_start=s.start, song_end=s.end, number=s.number, section=s.section.id,
        segments=tuple(root / p for p in segments), segments_rel=segments)


def plan_edit(prod: Production, *, animatic: bool = False, select: str | None = None,
              size: tuple[int, int] | None = None, fps: float | None = None,
              subtitles: str | None = None) -> EditPlan:
    """The edit of a resolved film: FilmError for problems found only now (rounding to frames)."""
    film = prod.film
    rate_f = float(fps or prod.fps)
    width, height = size or prod.resolution
    c = prod.collector()
    shots = select_shots(prod, select)
    selected = bool(select)
    runs = _runs(prod, shots, selected)
    frame = _Frames(rate_f, shots, runs)

    clips: list[Clip] = []
    _cards(() if selected else prod.cards("start"), 0.0, frame, clips)  # title cards before the song
    section_index = {sec.section.id: i for i, sec in enumerate(prod.sections)}
    present = takes_names(film.root)
    for s in shots:
        color = PALETTE[section_index[s.section.id] % len(PALETTE)]
        clips.append(_shot(prod, s, color, frame, animatic, c, present))
    # title cards after the song
    t = _cards(() if selected else prod.cards("end"), prod.preroll + prod.song_duration, frame, clips)
    total = frame(t) if not selected else frame(runs[-1].out + runs[-1].end - runs[-1].start) if runs else 0
    clips = join(clips, prod, rate_f)
    check_joins(clips, rate_f, c)
    if c.has_errors:
        raise FilmError(c.items, prod.sources())

    overlays: list[Overlay] = []
    for card in prod.cards("overlay"):
        at = float(card.at)
        for a, b in _map(runs, at, at + card.duration):
            overlays.append(Overlay("card", card.text, frame(a) / rate_f, frame(b) / rate_f,
                                    min(card.fade, (b - a) / 2), card.pointer))
    cues: list[Cue] = []
    for ln in prod.lines:
        for a, b in _map(runs, ln.start, ln.end):
            cues.append(Cue(frame(a) / rate_f, frame(b) / rate_f, ln.text))
    mode = subtitles or film.edit.subtitles
    if mode == "burn":
        overlays += [Overlay("cue", q.text, q.start, q.end) for q in cues]
    root = film.root
    audio = AudioPlan((root / film.song.audio) if film.song.audio else None, film.song.audio, runs,
                      0.0 if selected else prod.preroll)
    out = film.edit.output
    return EditPlan(film.info.title, root, width, height, rate_f, frame_rate(rate_f), total, tuple(clips),
                    tuple(overlays), tuple(cues), audio, mode, animatic, out.crf,
                    "veryfast" if animatic else out.preset, selected, tuple(c.items))
