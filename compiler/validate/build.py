"""Raw film data -> model dataclasses.

Runs after the schema check, also on documents that failed it (so semantic problems are
reported in the same pass): ill-typed values are skipped here, the schema already said why.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..diagnostics import Collector, did_you_mean
from ..model import (
    CAMERA_MOVES,
    CAMERA_SPEEDS,
    MODES,
    PRONOUNS,
    TRANSITIONS,
    VIEWS,
    Camera,
    Card,
    CastMember,
    Character,
    Concept,
    Edit,
    Film,
    FilmInfo,
    Grade,
    Location,
    LyricLine,
    Output,
    PromptOverride,
    Section,
    Segment,
    Shot,
    Song,
    Targets,
    Transition,
    World,
    default,
)
from ..plurals import plural
from ..timeline import TimeError, parse_time

_SEQUENCE = re.compile(r",|;|\bthen\b|\band\b", re.IGNORECASE)  # between the moves of a camera sequence


def _s(v: object) -> str | None:
    return v if isinstance(v, str) else None


def _num(v: object, default: float | None = None) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else default


def _texts(v: object) -> tuple[str, ...]:
    if isinstance(v, str):
        return (v,) if v.strip() else ()
    if isinstance(v, list):
        return tuple(x for x in v if isinstance(x, str) and x.strip())
    return ()


def _paths(v: object) -> tuple[str, ...] | None:
    """A `refs:` pick: None when not written (the default applies), () for `[]` (none)."""
    if v is None:
        return None
    return _texts(v)


def _map(v: object) -> dict[str, Any]:
    return v if isinstance(v, dict) else {}


def _list(v: object) -> list[Any]:
    return v if isinstance(v, list) else []


class Builder:
    def __init__(self, data: dict[str, Any], path: Path, diags: Collector):
        self.data = data
        self.path = path
        self.diags = diags
        # Parts of the film some item of which could not be built ("song", "sections", "shots"): the schema check
        # reported why, at its place; the checks that judge a part as a whole skip it rather than report the
        # consequences (a shot "in an unknown section" whose section has no id, a section left unfilled).
        self.incomplete: set[str] = set()
        self._moves: dict[str, tuple[Camera, ...]] = {}  # camera texts read without a mistake, and their moves

    def time(self, v: object, ptr: str, default: float | None = None) -> float | None:
        if v is None:
            return default
        try:
            return parse_time(v)
        except TimeError as e:
            self.diags.error("V230", f"{ptr}: {e}", ptr, hint=e.hint)
            return default

    def grade(self, v: object) -> Grade | None:
        g = _map(v)
        if not g:
            return None
        return Grade(_s(g.get("lut")), _num(g.get("brightness")), _num(g.get("contrast")),
                     _num(g.get("saturation")), _num(g.get("gamma")))

    def film(self) -> Film:
        d = self.data
        if not isinstance(d.get("song"), dict):
            self.incomplete.add("song")
        return Film(
            path=self.path,
            root=self.path.parent,
            info=self.info(_map(d.get("film"))),
            song=self.song(_map(d.get("song"))),
            story=_s(d.get("story")),
            concept=self.concept(_map(d.get("concept"))),
            characters=self.characters(_map(d.get("characters"))),
            locations=self.locations(_map(d.get("locations"))),
            targets=self.targets(_map(d.get("targets"))),
            shots=self.shots(_list(d.get("shots"))),
            edit=self.edit(_map(d.get("edit"))),
        )

    def info(self, f: dict[str, Any]) -> FilmInfo:
        res = f.get("resolution")
        resolution = None
        if isinstance(res, list) and len(res) == 2 and all(isinstance(x, int) and not isinstance(x, bool) for x in res):
            resolution = (int(res[0]), int(res[1]))
        return FilmInfo(
            title=_s(f.get("title")) or "",
            logline=_s(f.get("logline")),
            aspect=_s(f.get("aspect")) or default(FilmInfo, "aspect"),
            resolution=resolution,
            fps=_num(f.get("fps")) or default(FilmInfo, "fps"),
            keep_rate=_num(f.get("keep_rate")) or default(FilmInfo, "keep_rate"),
        )

    def song(self, s: dict[str, Any]) -> Song:
        sections = []
        if not isinstance(s.get("sections"), list):
            self.incomplete.add("sections")
        for i, sec in enumerate(_list(s.get("sections"))):
            if not isinstance(sec, dict) or not isinstance(sec.get("id"), str):
                self.incomplete.add("sections")
                continue
            ptr = f"/song/sections/{i}"
            lines: list[LyricLine] = []
            timed = False
            if isinstance(sec.get("lines"), list):
                timed = True
                for j, ln in enumerate(sec["lines"]):
                    if isinstance(ln, dict) and isinstance(ln.get("text"), str):
                        at = self.time(ln.get("at"), f"{ptr}/lines/{j}/at")
                        if at is not None:
                            lines.append(LyricLine(at, ln["text"], f"{ptr}/lines/{j}"))
            elif isinstance(sec.get("lyrics"), str):
                lines = [LyricLine(None, t.strip(), f"{ptr}/lyrics") for t in sec["lyrics"].splitlines()
                         if t.strip() and not (t.strip().startswith("[") and t.strip().endswith("]"))]
            start = self.time(sec.get("start"), f"{ptr}/start")
            if start is None:
                start = float("nan")
            sections.append(Section(sec["id"], start, _s(sec.get("tag")), tuple(lines), timed,
                                    _s(sec.get("world")), ptr))
        beats = []
        for i, b in enumerate(_list(s.get("beats"))):
            t = self.time(b, f"/song/beats/{i}")
            if t is not None:
                beats.append(t)
        return Song(
            sections=tuple(sections),
            audio=_s(s.get("audio")),
            duration=self.time(s.get("duration"), "/song/duration"),
            bpm=_num(s.get("bpm")),
            beat_offset=self.time(s.get("beat_offset"), "/song/beat_offset") or default(Song, "beat_offset"),
            beats=tuple(beats),
        )

    def concept(self, c: dict[str, Any]) -> Concept:
        worlds = {}
        for wid, w in _map(c.get("worlds")).items():
            w = _map(w)
            worlds[wid] = World(wid, _texts(w.get("style")), _s(w.get("palette")), _s(w.get("lighting")),
                                _texts(w.get("avoid")), self.grade(w.get("grade")), f"/concept/worlds/{wid}",
                                _texts(w.get("refs")))
        return Concept(_texts(c.get("style")), _s(c.get("palette")), _s(c.get("lighting")),
                       _texts(c.get("avoid")), worlds, _texts(c.get("motifs")))

    def characters(self, cs: dict[str, Any]) -> dict[str, Character]:
        out = {}
        for cid, c in cs.items():
            c = _map(c)
            wr = c.get("wardrobe")
            wardrobe = {"default": wr} if isinstance(wr, str) else {k: v for k, v in _map(wr).items() if isinstance(v, str)}
            pronoun = c.get("pronoun") if c.get("pronoun") in PRONOUNS else None
            out[cid] = Character(cid, _s(c.get("description")) or "", _s(c.get("name")), wardrobe,
                                 _texts(c.get("refs")), f"/characters/{cid}", _s(c.get("short")), pronoun)
        return out

    def locations(self, ls: dict[str, Any]) -> dict[str, Location]:
        out = {}
        for lid, loc in ls.items():
            loc = _map(loc)
            out[lid] = Location(lid, _s(loc.get("description")) or "", _s(loc.get("slug")),
                                _texts(loc.get("refs")), f"/locations/{lid}")
        return out

    def targets(self, t: dict[str, Any]) -> Targets:
        def names(v: object) -> tuple[str, ...]:
            return tuple(x for x in _list(v) if isinstance(x, str))

        options = {k: v for k, v in _map(t.get("options")).items() if isinstance(v, dict)}
        return Targets(names(t.get("image")), names(t.get("video")), options)

    def moves(self, v: object, ptr: str) -> tuple[Camera, ...]:
        """A camera move, or a short sequence: `tracking, then pan-left` or a list of moves."""
        if isinstance(v, str):
            known = self._moves.get(v)  # (a film says the same few moves over and over)
            if known is not None:
                return known
            pieces = [p.strip() for p in _SEQUENCE.split(v)]
            parts = [(p, ptr) for p in pieces if p]
        elif isinstance(v, list):
            parts = [(x, f"{ptr}/{i}") for i, x in enumerate(v)]
        else:
            return ()
        if len(parts) > 4:
            self.diags.error("V107", f"{ptr}: a camera sequence of {plural(len(parts), 'move')}; at most 4", ptr,
                             hint="a clip has time for a move or two: split the shot, or keep the moves that matter")
            return ()
        found = len(self.diags.items)
        out = [self.camera(x, p) for x, p in parts]
        moves = tuple(c for c in out if c is not None)
        if isinstance(v, str) and len(self.diags.items) == found:  # (a text with a mistake is reported each time)
            self._moves[v] = moves
        return moves

    def camera(self, v: object, ptr: str) -> Camera | None:
        if not isinstance(v, str) or not v.strip():
            return None
        words = v.strip().lower().replace("_", "-").split()
        speed = words[0] if len(words) > 1 and words[0] in CAMERA_SPEEDS else None
        move = "-".join(words[1:] if speed else words)
        if move not in CAMERA_MOVES:
            allowed = list(CAMERA_MOVES) + [f"{s} {m}" for s in CAMERA_SPEEDS for m in CAMERA_MOVES]
            self.diags.error("V280", f"{ptr}: unknown camera move '{v}'", ptr,
                             hint=did_you_mean(v, allowed) or "moves: " + ", ".join(CAMERA_MOVES) + " (optionally 'slow '/'fast ' first)")
            return None
        return Camera(move, speed)

    def shots(self, items: list[Any]) -> tuple[Shot, ...]:
        out = []
        no_transition = Transition()
        default_mode, default_trim, default_speed = default(Shot, "mode"), default(Shot, "trim_in"), \
            default(Shot, "speed")
        for i, s in enumerate(items):
            if not isinstance(s, dict) or not isinstance(s.get("id"), str) or not isinstance(s.get("section"), str):
                self.incomplete.add("shots")
                continue
            get = s.get
            ptr = f"/shots/{i}"
            cast = []
            for c in _list(get("cast")):
                if isinstance(c, str):
                    cast.append(CastMember(c))
                elif isinstance(c, dict) and isinstance(c.get("id"), str):
                    cg = c.get
                    view = cg("view")
                    cast.append(CastMember(c["id"], _s(cg("wardrobe")), _s(cg("action")), _s(cg("expression")),
                                           _s(cg("motion")), view if view in VIEWS else None, _paths(cg("refs"))))
            tr = get("transition")
            if tr is None:
                transition = no_transition
            elif isinstance(tr, str) and tr in TRANSITIONS:
                transition = Transition(into=tr)
            elif isinstance(tr, dict):
                into = str(tr["in"]) if tr.get("in") in TRANSITIONS else default(Transition, "into")
                out_ = str(tr["out"]) if tr.get("out") in TRANSITIONS else default(Transition, "out")
                transition = Transition(into, out_, _num(tr.get("duration")) or default(Transition, "duration"))
            else:
                transition = no_transition
            prompt = {}
            for t, p in _map(get("prompt")).items():
                if isinstance(p, str):
                    prompt[t] = PromptOverride(text=p)
                elif isinstance(p, dict):
                    prompt[t] = PromptOverride(_s(p.get("image")), _s(p.get("video")), _s(p.get("negative")))
            dur = self.time(get("duration"), f"{ptr}/duration")
            ext = get("extend")
            if isinstance(ext, list):
                segments = tuple(
                    Segment(_s(x.get("motion")), self.camera(x.get("camera"), f"{ptr}/extend/{j}/camera"),
                            self.time(x.get("duration"), f"{ptr}/extend/{j}/duration"))
                    for j, x in enumerate(ext) if isinstance(x, dict))
                for j, seg in enumerate(segments):
                    if seg.duration is not None and seg.duration <= 0:
                        self.diags.error("V105", f"{ptr}/extend/{j}/duration: a segment of {seg.duration:g} s",
                                         f"{ptr}/extend/{j}/duration", hint="give it a length greater than 0, or "
                                         "leave `duration` out to share what is left with the other segments")
            else:
                segments = ()
            moves = self.moves(get("camera"), f"{ptr}/camera")
            trim = get("trim")  # (after the camera: its mistakes are reported in the order of the fields)
            trim_in = self.time(trim.get("in"), f"{ptr}/trim/in") if isinstance(trim, dict) else None
            mode = get("mode")
            generate = get("generate")
            speed = get("speed")
            out.append(Shot(
                id=s["id"], section=s["section"], index=i, duration=dur,
                size=_s(get("size")), angle=_s(get("angle")),
                moves=moves, location=_s(get("location")), time=_s(get("time")), world=_s(get("world")),
                palette=_s(get("palette")), lighting=_s(get("lighting")),
                subject_motion=_s(get("subject_motion")),
                mode=str(mode) if mode in MODES else default_mode,
                cast=tuple(cast), subject=_s(get("subject")), background=_s(get("background")),
                background_motion=_s(get("background_motion")),
                mood=_texts(get("mood")), details=_texts(get("details")), transition=transition,
                generate={k: v for k, v in generate.items() if isinstance(v, dict)} if isinstance(generate, dict)
                else {},
                prompt=prompt, take=_s(get("take")),
                trim_in=trim_in or default_trim,
                reverse=get("reverse") is True, speed=_num(speed) or default_speed if speed is not None
                else default_speed,
                extend=ext is True or bool(segments), segments=segments, notes=_s(get("notes")), pointer=ptr,
                allow_names=get("allow_names") is True,
                refs=_paths(get("refs")), end_frame=_s(get("end_frame")),
            ))
        return tuple(out)

    def edit(self, e: dict[str, Any]) -> Edit:
        cards = []
        for i, c in enumerate(_list(e.get("cards"))):
            if not isinstance(c, dict) or not isinstance(c.get("text"), str):
                continue
            at = c.get("at")
            at_v: str | float | None = at if at in ("start", "end") else self.time(at, f"/edit/cards/{i}/at")
            if at_v is None:
                continue
            fade = _num(c.get("fade"))
            cards.append(Card(c["text"], at_v, _num(c.get("duration")) or default(Card, "duration"),
                              default(Card, "fade") if fade is None else fade, f"/edit/cards/{i}"))
        o = _map(e.get("output"))
        crf = o.get("crf")
        output = Output(_s(o.get("file")),
                        crf if isinstance(crf, int) and not isinstance(crf, bool) else default(Output, "crf"),
                        _s(o.get("preset")) or default(Output, "preset"))
        return Edit(tuple(cards), _s(e.get("subtitles")) or default(Edit, "subtitles"), self.grade(e.get("grade")),
                    _s(e.get("snap")) or default(Edit, "snap"), output)
