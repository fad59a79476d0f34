"""plan: Production -> EditPlan (which picture each shot uses, where it sits, how it joins its neighbours).

Pure: reads the file system only to see which takes and first-frame images exist.
Every time on the output timeline is a frame number, so the film is exactly as long as
the timeline (title cards included) and cuts land on frames.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from ..diagnostics import Collector, Diagnostic
from ..errors import FilmError, UsageError
from ..model import Camera, Grade
from ..output_names import job_id
from ..paths import inside_film, special_file
from ..resolve import Production, ResolvedShot
from ..timeline import format_time

IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")
# Slate colours, one per section in song order (then repeating): dark enough for white text.
PALETTE = ("0x2e4a62", "0x6b3a5b", "0x2f6b55", "0x7a4a23", "0x4a3f7a", "0x6b2f2f", "0x2f5f6b", "0x5a5a2a")


@dataclass(frozen=True, slots=True)
class SlateText:
    title: str  # the shot id
    meta: str  # number, section, times
    framing: str  # size, angle, camera
    body: str  # location, action or subject
    lyric: str  # the lyric line(s) sung over the shot


@dataclass(frozen=True, slots=True)
class Clip:
    """One piece of the picture track: a shot (take, image or slate) or a full-frame title card."""

    kind: str  # "shot" | "card"
    id: str  # the shot id, or card-<n>
    source: str  # "take" | "image" | "slate" | "card"
    start: int  # first frame on the output timeline (nominal, i.e. the cut point)
    end: int  # frame after the last one
    color: str = "0x000000"
    media: Path | None = None  # the take or image
    media_rel: str | None = None  # as written in film.yaml
    pointer: str = ""
    pre: int = 0  # frames shown before `start` (first half of a dissolve with the clip before)
    post: int = 0  # frames shown after `end` (the clip after dissolves into them)
    dissolve_in: int = 0  # frames of crossfade with the clip before (0: a cut)
    fade_in: int = 0  # frames of fade from black
    fade_out: int = 0  # frames of fade to black
    trim_in: float = 0.0
    reverse: bool = False
    speed: float = 1.0
    camera: Camera | None = None
    grade: Grade | None = None
    lut: Path | None = None
    slate: SlateText | None = None
    text: str = ""  # a card's text
    song_start: float | None = None
    song_end: float | None = None
    number: int = 0
    section: str = ""
    segments: tuple[Path, ...] = ()  # an extended shot's later segments, played after `media` (in order)
    segments_rel: tuple[str, ...] = ()  # ... relative to the film's folder

    @property
    def frames(self) -> int:
        """Frames this clip renders (its nominal length plus dissolve handles)."""
        return self.end - self.start + self.pre + self.post

    @property
    def nominal(self) -> int:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class Overlay:
    """Text drawn over the picture: an `at: <time>` card, or a burned-in subtitle."""

    kind: str  # "card" | "cue"
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


def frame_rate(fps: float) -> str:
    """ffmpeg's spelling of a frame rate: NTSC rates as n*1000/1001, others as a reduced fraction."""
    ntsc = fps * 1001 / 1000
    if abs(ntsc - round(ntsc)) < 0.005 and abs(fps - round(fps)) > 0.001:
        return f"{round(ntsc) * 1000}/1001"
    f = Fraction(fps).limit_denominator(1001)
    return str(f.numerator) if f.denominator == 1 else f"{f.numerator}/{f.denominator}"


def select_shots(prod: Production, select: str | None) -> tuple[ResolvedShot, ...]:
    """Shots matching `s01,s02`, globs `s0*`, or `section:<id>`; UsageError when a term matches nothing."""
    if not select:
        return prod.shots
    terms = [t.strip() for t in select.split(",") if t.strip()]
    chosen: set[str] = set()
    for t in terms:
        if t.startswith("section:"):
            hit = [s.id for s in prod.shots if s.section.id == t[8:]]
        else:
            hit = [s.id for s in prod.shots if fnmatch.fnmatchcase(s.id, t)]
        if not hit:
            from ..diagnostics import did_you_mean

            pool = [f"section:{s.section.id}" for s in prod.sections] if t.startswith("section:") else [s.id for s in prod.shots]
            hint = did_you_mean(t, pool)
            raise UsageError(f"--select: '{t}' matches no shot" + (f" ({hint})" if hint else ""))
        chosen.update(hit)
    return tuple(s for s in prod.shots if s.id in chosen)


def find_image(prod: Production, shot: ResolvedShot, c: Collector | None = None) -> tuple[Path, str] | None:
    """A shot's first-frame image: its take when that is an image, else takes/<id>.<ext> or
    takes/<id>.<image target>.<ext> (how the generation stage names image results).

    The film's path policy holds for these too: a link to a file outside the film's folder (without
    --allow-outside-paths) or a pipe, socket or device is ignored, with a warning on `c`."""
    root = prod.film.root
    take = shot.shot.take
    if take and take.lower().endswith(IMAGE_EXTS) and (root / take).is_file():
        return root / take, take
    present = _takes(root)
    if not present:
        return None
    stems = [shot.id] + [f"{shot.id}.{t}" for t in prod.film.targets.image]
    for stem in stems:
        for ext in IMAGE_EXTS:
            if f"{stem}{ext}" in present:
                rel = f"takes/{stem}{ext}"
                if inside_film(root, rel, prod.allow_outside) is None:
                    if c is not None:
                        c.warning("R204", f"{shot.shot.pointer}: shot '{shot.id}': first-frame image '{rel}' leads "
                                  "outside the film's folder (a link): not used", f"{shot.shot.pointer}/id",
                                  hint="copy the image into takes/ (or pass --allow-outside-paths)")
                    continue
                kind = special_file(root / rel)
                if kind:
                    if c is not None:
                        c.warning("R205", f"{shot.shot.pointer}: shot '{shot.id}': first-frame image '{rel}' is "
                                  f"{kind}, not a regular file: not used", f"{shot.shot.pointer}/id")
                    continue
                if (root / rel).is_file():
                    return root / rel, rel
    from ..store.takes import newest_image  # else filmc run's newest good one: takes/<id>/<image target>/<n>.<ext>

    rel = newest_image(root, shot.id, prod.film.targets.image)
    return (root / rel, rel) if rel else None


def _takes(root: Path) -> frozenset[str]:
    """The names in takes/ (one directory read, not one stat per shot and extension)."""
    try:
        return frozenset(os.listdir(root / "takes"))
    except OSError:
        return frozenset()


def _later_segments(prod: Production, s: ResolvedShot, take: str, c: Collector) -> tuple[str, ...]:
    """The takes of an extended shot's later segments that follow its segment-1 `take:`, with a warning (R106) when
    one of them has no take yet."""
    from ..expand.context import generation
    from ..store.segment_takes import chain_for

    counts = {}
    for name in prod.film.targets.video:
        t = prod.targets.get(name)
        if t is not None and t.kind == "video":
            counts[name] = int(generation(t, s, prod.film.targets.options.get(name))["segments"])
    chain = chain_for(prod.film.root, s.id, take, counts)
    if chain is None:
        return ()
    if chain.missing:
        shown = "segment 1" if chain.missing == 2 else f"segments 1-{chain.missing - 1}"
        c.warning("R106", f"{s.shot.pointer}: extended shot '{s.id}': segment {chain.missing} of {chain.count} "
                  f"({job_id(s.id, chain.target, chain.missing)}) has no take yet: the edit plays {shown} and holds "
                  "the last frame", f"{s.shot.pointer}/extend",
                  hint=f"filmc run makes it (filmc run FILM --select {s.id})")
    return chain.takes


def _merge_grade(base: Grade | None, over: Grade | None) -> Grade | None:
    if base is None:
        return over
    if over is None:
        return base
    return Grade(*(o if o is not None else b for b, o in
                   ((base.lut, over.lut), (base.brightness, over.brightness), (base.contrast, over.contrast),
                    (base.saturation, over.saturation), (base.gamma, over.gamma))))


def _slate_text(prod: Production, s: ResolvedShot) -> SlateText:
    shot = s.shot
    tag = f" [{s.section.tag}]" if s.section.tag else ""
    meta = (f"#{s.number}/{len(prod.shots)}   {s.section.id}{tag}   "
            f"{format_time(s.start)} - {format_time(s.end)}   ({s.duration:.2f} s)")
    framing = "  \u00b7  ".join(x for x in (shot.size, shot.angle, shot.camera_text or None) if x)
    body: list[str] = []
    place = " \u2014 ".join(x for x in ((s.location.slug or s.location.id) if s.location else None, shot.time) if x)
    if place:
        body.append(place)
    for m in s.cast:
        who = m.character.name or m.character.id
        what = "; ".join(x for x in (m.member.action, m.member.expression) if x)
        body.append(f"{who}: {what}" if what else who)
    if shot.subject:
        body.append(shot.subject)
    lyric = " / ".join(ln.text for ln in s.lines)
    return SlateText(shot.id, meta, framing, "\n".join(body), f"\u266a {lyric}" if lyric else "")


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
    run_of = {}
    for s in shots:
        for r in runs:
            if r.start - 1e-9 <= s.start and s.end <= r.end + 1e-9:
                run_of[s.id] = r

    def frame(t: float) -> int:
        return round(t * rate_f + 1e-9)

    def song_frame(s: ResolvedShot, t: float) -> int:
        r = run_of[s.id]
        return frame(r.out + t - r.start)

    clips: list[Clip] = []
    # Title cards before the song.
    t = 0.0
    start_cards = () if selected else prod.cards("start")
    end_cards = () if selected else prod.cards("end")

    def add_cards(cards: tuple, t: float) -> float:  # type: ignore[type-arg]
        """Full-frame title cards from time t, one after another; returns where they end."""
        for card in cards:
            a, b = frame(t), frame(t + card.duration)
            fade = min(frame(card.fade), (b - a) // 2)
            clips.append(Clip("card", f"card-{sum(c.kind == 'card' for c in clips) + 1}", "card", a, b,
                              pointer=card.pointer, text=card.text, fade_in=fade, fade_out=fade))
            t += card.duration
        return t

    t = add_cards(start_cards, t)
    # The shots.
    section_index = {sec.section.id: i for i, sec in enumerate(prod.sections)}
    root = film.root
    for s in shots:
        shot = s.shot
        source, media, rel = "slate", None, None
        take = shot.take
        if take and not take.lower().endswith(IMAGE_EXTS) and not animatic:
            if (root / take).is_file():
                source, media, rel = "take", root / take, take
            else:
                c.warning("R201", f"{shot.pointer}/take: shot '{shot.id}': take '{take}' not found; "
                          "using its first-frame image or a slate", f"{shot.pointer}/take")
        if source == "slate":
            img = find_image(prod, s, c)
            if img:
                source, media, rel = "image", img[0], img[1]
            elif take and take.lower().endswith(IMAGE_EXTS) and not (root / take).is_file():
                c.warning("R201", f"{shot.pointer}/take: shot '{shot.id}': image '{take}' not found; using a slate",
                          f"{shot.pointer}/take")
        segments: tuple[str, ...] = ()
        if source == "take" and rel is not None and (s.shot.extend or s.shot.segments):
            segments = _later_segments(prod, s, rel, c)
        grade = _merge_grade(film.edit.grade, s.world.grade if s.world else None) if source != "slate" else None
        lut = (root / grade.lut) if grade and grade.lut else None
        a, b = song_frame(s, s.start), song_frame(s, s.end)
        clips.append(Clip(
            "shot", shot.id, source, a, b, PALETTE[section_index[s.section.id] % len(PALETTE)], media, rel,
            shot.pointer, trim_in=shot.trim_in, reverse=shot.reverse, speed=shot.speed, camera=shot.camera,
            grade=grade, lut=lut, slate=_slate_text(prod, s), song_start=s.start, song_end=s.end,
            number=s.number, section=s.section.id, segments=tuple(root / p for p in segments),
            segments_rel=segments))
    # Title cards after the song.
    t = prod.preroll + prod.song_duration
    t = add_cards(end_cards, t)
    total = frame(t) if not selected else frame(runs[-1].out + runs[-1].end - runs[-1].start) if runs else 0
    clips = _join(clips, prod, rate_f)
    _check(clips, prod, rate_f, c)
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
    audio_path = (root / film.song.audio) if film.song.audio else None
    audio = AudioPlan(audio_path, film.song.audio, runs, 0.0 if selected else prod.preroll)
    out = film.edit.output
    return EditPlan(film.info.title, root, width, height, rate_f, frame_rate(rate_f), total, tuple(clips),
                    tuple(overlays), tuple(cues), audio, mode, animatic, out.crf,
                    "veryfast" if animatic else out.preset, selected, tuple(c.items))


def _join(clips: list[Clip], prod: Production, fps: float) -> list[Clip]:
    """Work out fades and dissolves between neighbouring clips (a dissolve is centred on the cut)."""
    from dataclasses import replace

    out = list(clips)
    shots = {s.id: s for s in prod.shots}
    for i, cl in enumerate(out):
        if cl.kind != "shot":
            continue
        tr = shots[cl.id].shot.transition
        prev = out[i - 1] if i > 0 else None
        nxt = out[i + 1] if i + 1 < len(out) else None
        prev_adj = prev is not None and prev.kind == "shot" and prev.number == cl.number - 1
        next_adj = nxt is not None and nxt.kind == "shot" and nxt.number == cl.number + 1
        fade_in = fade_out = 0
        if tr.into == "fade" or (tr.into == "dissolve" and not prev_adj):
            fade_in = round(tr.duration * fps)
        if tr.out == "fade" or (tr.out == "dissolve" and not next_adj):
            fade_out = round(tr.duration * fps)
        out[i] = replace(cl, fade_in=min(fade_in, cl.nominal), fade_out=min(fade_out, cl.nominal))
    for i in range(1, len(out)):
        a, b = out[i - 1], out[i]
        if a.kind != "shot" or b.kind != "shot" or b.number != a.number + 1:
            continue
        ta, tb = shots[a.id].shot.transition, shots[b.id].shot.transition
        d = max(ta.duration if ta.out == "dissolve" else 0.0, tb.duration if tb.into == "dissolve" else 0.0)
        frames = round(d * fps)
        if frames <= 0:
            continue
        half = frames // 2
        # a dissolve replaces any fade at this cut
        out[i - 1] = replace(a, post=half, fade_out=0)
        out[i] = replace(b, pre=frames - half, dissolve_in=frames, fade_in=0)
    return out


def _check(clips: list[Clip], prod: Production, fps: float, c) -> None:  # type: ignore[no-untyped-def]
    for i, cl in enumerate(clips):
        if cl.kind != "shot":
            continue
        if cl.nominal < 1:
            c.error("R110", f"{cl.pointer}: shot '{cl.id}' lasts {(cl.song_end or 0) - (cl.song_start or 0):.3f} s, "
                    f"less than one frame at {fps:g} fps", f"{cl.pointer}/id",
                    hint="lengthen the shot or remove it")
            continue
        d_out = clips[i + 1].dissolve_in if i + 1 < len(clips) else 0
        used = (cl.dissolve_in - cl.pre) + (d_out - cl.post)
        if used > cl.nominal:
            c.error("R111", f"{cl.pointer}/transition: the dissolves into and out of shot '{cl.id}' overlap: they "
                    f"take {used / fps:.3f} s of it, and it lasts {cl.nominal / fps:.3f} s at {fps:g} fps",
                    f"{cl.pointer}/transition", hint="shorten a dissolve, or lengthen the shot")
