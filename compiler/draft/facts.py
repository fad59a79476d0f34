"""The film's facts as the model gets them: one JSON object, names left out (they never reach a model)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..model import ANGLES, CAMERA_MOVES, SIZES, Shot
from ..resolve import Production

INSTRUCTIONS = Path(__file__).parent / "instructions"


def instructions(kind: str) -> str:
    """The system instruction of a draft: the common rules, then the task (our own text files)."""
    rules = (INSTRUCTIONS / "rules.md").read_text(encoding="utf-8")
    rules = (rules.replace("{sizes}", ", ".join(SIZES)).replace("{angles}", ", ".join(ANGLES))
             .replace("{camera_moves}", ", ".join(CAMERA_MOVES)))
    return rules.rstrip() + "\n\n" + (INSTRUCTIONS / f"{kind}.md").read_text(encoding="utf-8").rstrip() + "\n"


def _r(x: float) -> float:
    return round(x, 3)


def shot_facts(s: Shot, start: float | None = None, end: float | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": s.id, "section": s.section}
    if start is not None and end is not None:
        out["start"], out["seconds"] = _r(start), _r(end - start)
    for k in ("size", "angle", "location", "time", "world", "subject", "background", "background_motion"):
        v = getattr(s, k)
        if v:
            out[k] = v
    if s.camera:
        out["camera"] = str(s.camera)
    if s.cast:
        out["cast"] = [{k: v for k, v in (("id", m.id), ("wardrobe", m.wardrobe), ("action", m.action),
                                          ("expression", m.expression), ("motion", m.motion)) if v}
                       for m in s.cast]
    if s.mood:
        out["mood"] = list(s.mood)
    if s.details:
        out["details"] = list(s.details)
    return out


def film_facts(prod: Production) -> dict[str, Any]:
    """Everything a draft may build on: title, story, the song's sections and lyrics, the concept, characters
    (id, description, wardrobe; never the name), locations and the shots already there."""
    f = prod.film
    song: dict[str, Any] = {"seconds": _r(prod.song_duration)}
    if f.song.bpm:
        song["bpm"], song["first_beat"] = f.song.bpm, _r(f.song.beat_offset)
    elif f.song.beats:
        song["beats"] = [_r(b) for b in f.song.beats]
    sections = []
    for rs in prod.sections:
        s = rs.section
        d: dict[str, Any] = {"id": s.id, "start": _r(rs.start), "end": _r(rs.end), "seconds": _r(rs.end - rs.start)}
        if s.tag:
            d["tag"] = s.tag
        if s.world:
            d["world"] = s.world
        if s.timed:
            d["lines"] = [{"at": _r(ln.at or 0.0), "text": ln.text} for ln in s.lines]
        elif s.lines:
            d["lyrics"] = "\n".join(ln.text for ln in s.lines)
        sections.append(d)
    song["sections"] = sections
    c = f.concept
    concept: dict[str, Any] = {}
    if c.style:
        concept["style"] = list(c.style)
    for k in ("palette", "lighting"):
        if getattr(c, k):
            concept[k] = getattr(c, k)
    if c.avoid:
        concept["avoid"] = list(c.avoid)
    if c.motifs:
        concept["motifs"] = list(c.motifs)
    if c.worlds:
        concept["worlds"] = [{k: v for k, v in (("id", w.id), ("style", list(w.style) or None),
                                                ("palette", w.palette), ("lighting", w.lighting),
                                                ("avoid", list(w.avoid) or None)) if v}
                             for w in c.worlds.values()]
    facts: dict[str, Any] = {"title": f.info.title}
    if f.info.logline:
        facts["logline"] = f.info.logline
    facts["aspect"] = f.info.aspect
    if f.story:
        facts["story"] = f.story
    facts["song"] = song
    if concept:
        facts["concept"] = concept
    facts["characters"] = [{"id": ch.id, "description": ch.description,
                            **({"wardrobe": dict(ch.wardrobe)} if ch.wardrobe else {})}
                           for ch in f.characters.values()]
    facts["locations"] = [{k: v for k, v in (("id", lo.id), ("slug", lo.slug), ("description", lo.description)) if v}
                          for lo in f.locations.values()]
    facts["shots"] = [shot_facts(rs.shot, rs.start, rs.end) for rs in prod.shots]
    return facts


def facts_text(facts: dict[str, Any]) -> str:
    return json.dumps(facts, ensure_ascii=False, indent=1)
