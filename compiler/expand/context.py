"""The data a target's templates see for one shot: every fact once, already in words."""

from __future__ import annotations

import math
from typing import Any

from ..resolve import Production, ResolvedShot
from ..targets import TargetDef
from .vocab import ANGLE_WORDS, CAMERA_WORDS, SIZE_WORDS, SPEED_WORDS


def short_description(text: str) -> str:
    """Enough of a description to re-identify the subject in a motion prompt: its first clause."""
    first = text.split(";")[0].strip()
    if len(first) > 80:
        cut = first.find(" with ", 20)
        first = first[:cut] if cut > 0 else first[:80].rsplit(" ", 1)[0]
    return first.rstrip(",. ")


def merged_options(prod: Production, target: TargetDef, rs: ResolvedShot) -> dict[str, Any]:
    """Target defaults < film options < the shot's `generate` (duration excluded: it is computed)."""
    opts = dict(target.defaults)
    opts.update({k: v for k, v in prod.film.targets.options.get(target.name, {}).items() if k != "duration"})
    opts.update({k: v for k, v in rs.shot.generate.get(target.name, {}).items() if k != "duration"})
    return opts


def generation(target: TargetDef, rs: ResolvedShot, film_options: dict[str, Any] | None = None) -> dict[str, Any]:
    """How long to generate: the shot's (or the film's) asked length, else the smallest the target allows
    covering the shot (plus trim)."""
    need = rs.duration * rs.shot.speed + rs.shot.trim_in
    asked = rs.shot.generate.get(target.name, {}).get("duration", (film_options or {}).get("duration"))
    if target.kind != "video" or not target.durations:
        return {"duration": None, "segments": 1, "needed": round(need, 3)}
    if asked is not None:
        length = float(asked)
    else:
        length = target.generation_duration(need) or target.durations[-1]
    segments = 1
    if rs.shot.extend and need > length + 1e-6:
        segments = math.ceil(need / length - 1e-9)
    return {"duration": length, "segments": segments, "needed": round(need, 3)}


def typed_duration(value: float | None, kind: str | None) -> Any:
    """A duration the way a provider's API types it: "5", 5 or "5s"."""
    if value is None:
        return None
    n = int(value) if float(value).is_integer() else value
    if kind == "string":
        return str(n)
    if kind == "seconds-suffix":
        return f"{n}s"
    return n


def camera(target: TargetDef, rs: ResolvedShot) -> dict[str, Any] | None:
    cam = rs.shot.camera
    if cam is None:
        return None
    phrases = target.capabilities.get("camera") or {}
    phrase = phrases.get(cam.move) if phrases else None
    sentence = CAMERA_WORDS[cam.move]
    if cam.speed and cam.move not in ("static", "handheld"):
        verb_at = sentence.find(" ", len("the camera "))
        sentence = sentence[:verb_at] + " " + SPEED_WORDS[cam.speed] + sentence[verb_at:] if verb_at > 0 else sentence
    return {
        "move": cam.move, "speed": cam.speed, "text": str(cam), "phrase": phrase,
        "expressible": cam.move in phrases and phrases.get(cam.move) is not None if phrases else True,
        "sentence": sentence,
    }


def shot_context(prod: Production, target: TargetDef, rs: ResolvedShot) -> dict[str, Any]:
    film = prod.film
    shot = rs.shot
    world = rs.world
    concept = film.concept
    size = SIZE_WORDS.get(shot.size or "", None)
    angle = ANGLE_WORDS.get(shot.angle or "", None)
    framing = " ".join(x for x in (angle, size) if x)  # "high-angle medium-wide shot"
    cast = []
    for f in rs.cast:
        c = f.character
        text = c.description + (f", wearing {f.wardrobe}" if f.wardrobe else "")
        cast.append({
            "id": c.id, "description": c.description, "wardrobe": f.wardrobe, "action": f.member.action,
            "expression": f.member.expression, "motion": f.member.motion, "text": text,
            "short": short_description(c.description),
        })
    loc = rs.location
    return {
        "id": shot.id, "number": rs.number, "section": rs.section.id, "tag": rs.section.tag,
        "start": round(rs.start, 3), "end": round(rs.end, 3), "duration": round(rs.duration, 3),
        "size": shot.size, "size_words": size, "angle": shot.angle, "angle_words": angle, "framing": framing,
        "camera": camera(target, rs),
        "location": {"id": loc.id, "slug": loc.slug, "description": loc.description} if loc else None,
        "time": shot.time,
        "world": world.id if world else None,
        "style": list(world.style if world and world.style else concept.style),
        "palette": (world.palette if world and world.palette else concept.palette),
        "lighting": (world.lighting if world and world.lighting else concept.lighting),
        "avoid": list(dict.fromkeys(concept.avoid + (world.avoid if world else ()))),
        "cast": cast,
        "subject": shot.subject, "background": shot.background, "background_motion": shot.background_motion,
        "mood": list(shot.mood), "details": list(shot.details),
        "lyrics": [ln.text for ln in rs.lines],
        "transition": {"in": shot.transition.into, "out": shot.transition.out, "duration": shot.transition.duration},
    }


def film_context(prod: Production) -> dict[str, Any]:
    f = prod.film
    return {"title": f.info.title, "aspect": f.info.aspect, "fps": f.info.fps,
            "resolution": list(prod.resolution), "motifs": list(f.concept.motifs)}


def target_context(prod: Production, target: TargetDef) -> dict[str, Any]:
    caps = target.capabilities
    aspects = caps.get("aspects") or {}
    return {
        "name": target.name, "kind": target.kind,
        "aspect": aspects.get(prod.film.info.aspect),
        "prompt_max_chars": caps.get("prompt_max_chars"),
        "negative_prompt": bool(caps.get("negative_prompt")),
        "camera_style": caps.get("camera_style", "words"),
        "camera_max": caps.get("camera_max"),
    }
