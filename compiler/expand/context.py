"""The data a target's templates see for one shot: every fact once, already in words."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ..capabilities import Capabilities
from ..model import Camera
from ..refs import RefPlan
from ..resolve import Production, ResolvedShot
from ..targets import TargetDef
from . import grammar as gr
from . import prose
from .avoid import FACE, HANDS
from .framing import DETAIL, FACE_ONLY
from .ref_context import merged_options, ref_plan, reference_sentence, refs_context
from .vocab import ANGLE_WORDS, MOTION_DEFECTS, SIZE_WORDS


def short_description(text: str) -> str:
    """Enough of a description to re-identify the subject in a motion prompt: its first clause."""
    first = text.split(";")[0].strip()
    if len(first) > 80:
        cut = first.find(" with ", 20)
        first = first[:cut] if cut > 0 else first[:80].rsplit(" ", 1)[0]
    return first.rstrip(",. ")


def generation(target: TargetDef, rs: ResolvedShot, film_options: dict[str, Any] | None = None) -> dict[str, Any]:
    """How long to generate: the shot's (or the film's) asked length, else the smallest the target allows
    covering the shot (plus trim); an extended shot has one length per segment (`lengths`, see segments.py)."""
    from ..segments import segment_lengths

    need = rs.duration * rs.shot.speed + rs.shot.trim_in
    own = rs.shot.generate.get(target.name, {})
    asked = own.get("duration", (film_options or {}).get("duration"))
    if target.kind != "video" or not target.durations or rs.shot.mode == "still":
        return {"duration": None, "segments": 1, "needed": round(need, 3), "lengths": [None]}
    durations = target.durations_for({**(film_options or {}), **own})  # (Hailuo at 1080P: 6 s only)
    lengths, _ = segment_lengths(durations, need, rs.shot, target.name, float(asked) if asked is not None else None)
    return {"duration": lengths[0], "segments": len(lengths), "needed": round(need, 3), "lengths": lengths}


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


def _by_caps(make: Callable[[Capabilities, Any], dict[str, Any]], caps: Capabilities, value: Any) -> dict[str, Any]:
    """make(caps, value), made once per compile (see _BY_CAPS)."""
    key = (make, id(caps), value)
    hit = _BY_CAPS.get(key)
    if hit is not None and hit[0] is caps:
        return hit[1]
    made = make(caps, value)
    _BY_CAPS[key] = (caps, made)
    return made


def _camera(caps: Capabilities, cam: Camera | None) -> dict[str, Any] | None:
    """A camera move in a target's words."""
    return _by_caps(_camera_words, caps, cam) if cam is not None else None


def _camera_words(caps: Capabilities, cam: Camera) -> dict[str, Any]:
    phrases = caps.camera
    phrase = phrases.get(cam.move) if phrases else None
    return {
        "move": cam.move, "speed": cam.speed, "text": str(cam), "phrase": phrase,
        "expressible": cam.move in phrases and phrases.get(cam.move) is not None if phrases else True,
        "sentence": prose.camera_clause(cam),
    }


# The times of day a screenplay slug ends with ("INT. KITCHEN - NIGHT"); other tails name a place or a moment.
SLUG_TIMES = frozenset(("day", "night", "dawn", "dusk", "morning", "evening", "afternoon", "midday", "noon",
                        "midnight", "sunset", "sunrise", "twilight", "golden hour", "magic hour", "blue hour",
                        "first light", "late night", "early morning", "late afternoon"))


def _time(rs: ResolvedShot) -> str | None:
    """The shot's time of day; else the one its location's slug ends with ('INT. KITCHEN - NIGHT' -> 'night')."""
    if rs.shot.time:
        return rs.shot.time
    slug = rs.location.slug if rs.location else None
    if slug and " - " in slug:
        tail = slug.rsplit(" - ", 1)[1].strip().lower()
        if tail in SLUG_TIMES:
            return tail
    return None


def look(prod: Production, rs: ResolvedShot) -> dict[str, Any]:
    """The look cascade: the film's style always, a world's style added; palette and lighting shot > world > film."""
    concept, world, shot = prod.film.concept, rs.world, rs.shot
    style = list(dict.fromkeys([*concept.style, *(world.style if world else ())]))
    return {
        "style": style,
        "palette": shot.palette or (world.palette if world and world.palette else concept.palette),
        "lighting": shot.lighting or (world.lighting if world and world.lighting else concept.lighting),
        "avoid": list(dict.fromkeys(concept.avoid + (world.avoid if world else ()))),
    }


def _shot_text(rs: ResolvedShot, lk: dict[str, Any], time: str | None) -> str:
    """Everything the shot itself asks to be seen (for avoid terms that would contradict it)."""
    sh = rs.shot
    bits = [sh.subject, sh.subject_motion, sh.background, sh.background_motion, time, sh.palette, sh.lighting,
            rs.location.description if rs.location else None, *sh.mood, *sh.details,
            *(x for m in sh.cast for x in (m.action, m.motion))]
    if rs.world and rs.world.lighting and not sh.lighting:
        bits.append(rs.world.lighting)
    return " ".join(b for b in bits if b)


def _video_camera(caps: Capabilities, moves: tuple[Camera, ...]) -> dict[str, Any]:
    """What a video prompt says of the camera, within what a target can express (no camera holds still, as in the
    animatic: every dialect says so in its own way)."""
    return _by_caps(_camera_plan_words, caps, moves)


def _camera_plan_words(caps: Capabilities, moves: tuple[Camera, ...]) -> dict[str, Any]:
    plan = prose.camera_plan(moves or (Camera("static"),), caps)
    return {
        "camera": prose.camera_sentence(plan.kept),          # "The camera tracks the subject, then pans left."
        "direction": prose.camera_direction(plan.kept),      # "Track the subject, then pan left."
        "commands": list(plan.commands),                     # the target's own commands, when it has all of them
        "concepts": list(plan.commands) if len(plan.kept) == 1 else [],  # a concept holds for the whole clip
        "dropped": [str(m) for m in plan.dropped],
    }


def _video_people(rs: ResolvedShot, persons: list[prose.Person], motion: list[str], framing: str) -> dict[str, Any]:
    return {
        "motion": motion or prose.idle_sentences(persons),
        "introductions": prose.introductions(persons, framing),
        "introductions_brief": prose.introductions(
            persons, framing, [prose.brief(p, short_description(f.character.description))
                               for p, f in zip(persons, rs.cast)]),
    }


def _video_defects(rs: ResolvedShot, persons: list[prose.Person], shot_text: str) -> list[str]:
    """Motion defects worth a negative (the shot's avoid terms come first in a negative: see shot_context)."""
    camera_text = " ".join(str(m) for m in rs.shot.moves)
    return prose.defect_terms(MOTION_DEFECTS, f"{shot_text} {camera_text}",  # a face in view:
                              people_in_frame=any(p.seen.face for p in persons))


# What a shot's context holds whatever the target, made once per shot for one compile (expand_production clears
# it): keyed by the identity of the production and the resolved shot (both kept alive here, so an id is not reused).
_SHARED: dict[tuple[int, int], tuple[Production, ResolvedShot, dict[str, Any]]] = {}
_SEGMENTS: dict[tuple[int, int], tuple[ResolvedShot, ResolvedShot]] = {}
# What a target's capabilities make of a camera move (or a shot's moves), made once per compile: shots share their
# moves far more often than not. Keyed by what makes it, the capabilities' identity (kept alive here) and the moves.
_BY_CAPS: dict[tuple[Callable[..., Any], int, Any], tuple[Capabilities, dict[str, Any]]] = {}


def forget_shots() -> None:
    """Start a compile: what was made for the shots of an earlier one is dropped."""
    _SHARED.clear()
    _SEGMENTS.clear()
    _BY_CAPS.clear()


def remembered_segment(rs: ResolvedShot, n: int, make: Callable[[ResolvedShot, int], ResolvedShot]) -> ResolvedShot:
    """Segment `n` of a shot made once per compile (`make(rs, n)`), so its context is shared among targets."""
    hit = _SEGMENTS.get((id(rs), n))
    if hit is not None and hit[0] is rs:
        return hit[1]
    seg = make(rs, n)
    _SEGMENTS[(id(rs), n)] = (rs, seg)
    return seg


def _people_part(rs: ResolvedShot, persons: list[prose.Person], subject: str | None,
                 framing: str) -> dict[str, Any]:
    """What the characters (as the prose names them) make of the context: it changes when a target cites them
    by tag."""
    shot = rs.shot
    cast = []
    for f, person in zip(rs.cast, persons):
        c = f.character
        text = c.description + (f", wearing {f.wardrobe}" if f.wardrobe else "")
        cast.append({
            "id": c.id, "description": c.description, "wardrobe": f.wardrobe, "action": f.member.action,
            "expression": f.member.expression, "motion": f.member.motion, "view": f.member.view or "front",
            "text": text, "short": short_description(c.description), **prose.as_dict(person),
        })
    subjects = [p.intro for p in persons] + ([subject] if subject and not persons else [])
    lines = prose.cast_sentences(persons)
    if subject and persons:
        lines.append(gr.sentence(f"the frame also holds {subject}"))
    motion = prose.motion_sentences(persons)
    if shot.subject_motion:
        motion.extend(gr.sentence(x) for x in gr.sentences(shot.subject_motion))
    if shot.background_motion:
        motion.extend(gr.sentence(x) for x in gr.sentences(shot.background_motion))
    return {"cast": cast, "subjects": subjects, "lines": lines, "video": _video_people(rs, persons, motion, framing)}


_NO_HANDS = (*FACE_ONLY, "EWS")
_NO_BODY = (*FACE_ONLY, *DETAIL)  # (a figure's limbs and gait are out of frame, but for an insert of the feet)


def _shot_part(prod: Production, rs: ResolvedShot) -> dict[str, Any]:
    """The part of a shot's context no target changes (see _SHARED)."""
    key = (id(prod), id(rs))
    hit = _SHARED.get(key)
    if hit is not None and hit[0] is prod and hit[1] is rs:
        return hit[2]
    shot = rs.shot
    lk = look(prod, rs)
    time = _time(rs)
    persons = prose.people([(f.character, f.member, f.wardrobe) for f in rs.cast], shot.size)
    # (hands too small to go wrong in an extreme wide shot)
    hands = any(p.seen.view == "hands" or (p.seen.view in ("front", "side", "partial") and shot.size not in _NO_HANDS)
                for p in persons) or any(HANDS.search(f"{m.action or ''} {m.motion or ''}") for m in shot.cast)
    people_shown = bool(persons) or prose.mentions_people(" ".join(x for x in (shot.subject, shot.background) if x))
    shot_text = _shot_text(rs, lk, time)
    subject_text = shot.subject or ""
    someone = prose.mentions_people(subject_text)  # (without a cast: the subject says who is in frame)
    faces = any(p.seen.face for p in persons) if persons else bool(FACE.search(subject_text)) or (
        someone and shot.size not in (*DETAIL, "EWS"))
    avoid = prose.avoid_terms(lk["avoid"], shot_text, people_in_frame=people_shown,
                              hands_in_view=hands if persons else people_shown,
                              faces_in_view=faces or (not persons and people_shown and not someone))
    # what a negative's body defects may name: the cast as framed; without a cast, what the subject names
    in_view = {"people": bool(persons) or someone,
               "bodies": any((not p.seen.detail and shot.size not in _NO_BODY) or p.seen.view == "feet"
                             for p in persons) if persons else someone and shot.size not in _NO_BODY,
               "faces": faces,
               "hands": hands if persons else bool(HANDS.search(subject_text))}
    subject = prose.describe_subject(shot.subject)
    loc = rs.location
    looks = prose.look_sentences(lk["style"], lk["palette"], lk["lighting"], list(shot.mood))
    framing = prose.framing(shot.size, shot.angle)
    defects = _video_defects(rs, persons, f"{shot_text} {' '.join(lk['style'])}")
    part: dict[str, Any] = {
        "lk": lk, "time": time, "persons": persons, "avoid": avoid, "subject": subject, "framing": framing,
        "in_view": in_view,
        "people": _people_part(rs, persons, subject, framing),
        "defects": prose.merged_avoid(avoid, defects)[len(avoid):],  # not "distorted face" twice
        "image": {
            # A detail shot keeps the place out: room cues make a model widen the frame.
            "setting": gr.sentence(f"the setting is {loc.description}") if loc and shot.size not in DETAIL else "",
            "time": prose.time_sentence(time) if time else "",
            "background": prose.background_sentence(shot.background) if shot.background else "",
            "style": looks.get("style", ""), "palette": looks.get("palette", ""),
            "lighting": looks.get("lighting", ""), "mood": looks.get("mood", ""),
            "details": [gr.sentence(d) for d in shot.details],
            "positive": prose.positive_terms(avoid, people_in_frame=people_shown),
        },
        "segment_sentences": [prose.camera_sentence((seg.camera,)) if seg.camera else "" for seg in shot.segments],
        "camera_sentence": prose.camera_sentence(shot.moves),
    }
    part["image_all"] = _image(part["people"], part)  # (a target citing characters by tag makes its own)
    part["base"] = _base(rs, part)
    _SHARED[key] = (prod, rs, part)
    return part


def shot_context(prod: Production, target: TargetDef, rs: ResolvedShot, refs: RefPlan | None = None) -> dict[str, Any]:
    """A shot's context for one target: the part no target changes is made once per shot and compile
    (_shot_part, _base); the camera in the target's words, the references and tag-cited characters per target."""
    shot = rs.shot
    part = _shot_part(prod, rs)
    persons, framing = part["persons"], part["framing"]
    if refs is None:
        refs = ref_plan(prod, target, rs, merged_options(prod, target, rs))
    shot_refs = refs_context(prod, refs, {p.id: p.ref for p in persons}) if refs.refs else []
    people = part["people"]
    tagged = False
    if refs.caps and refs.caps.cite == "tag":  # the model knows the character by its tag: "@keeper"
        tags: dict[str | None, str] = {}
        for r in refs.refs:
            if r.kind == "character":
                tags.setdefault(r.owner, r.tag)  # a character's first ref names it
        if any(p.id in tags for p in persons):
            persons = [replace(p, ref=f"@{tags[p.id]}", intro=f"@{tags[p.id]}, {p.intro}") if p.id in tags else p
                       for p in persons]
            people = _people_part(rs, persons, part["subject"], framing)
            tagged = True
    caps = target.capabilities
    ctx: dict[str, Any] = part["base"].copy()  # (the keys in their order: the target's own values replace None)
    ctx["camera"] = _camera(caps, shot.camera)
    ctx["moves"] = [_camera(caps, m) for m in shot.moves]
    ctx["cast"] = people["cast"]
    ctx["image"] = _image(people, part) if tagged else part["image_all"]
    cam = _video_camera(caps, shot.moves)
    ctx["video"] = {"motion": people["video"]["motion"], **cam, "defects": part["defects"],
                    "introductions": people["video"]["introductions"],
                    "introductions_brief": people["video"]["introductions_brief"]}
    if shot.segments:
        ctx["segments"] = [{"motion": seg.motion, "camera": _camera(caps, seg.camera), "camera_sentence": sentence,
                            "duration": seg.duration}
                           for seg, sentence in zip(shot.segments, part["segment_sentences"])]
    ctx["refs"] = shot_refs
    ctx["reference_sentence"] = reference_sentence(shot_refs)
    return ctx


def _image(people: dict[str, Any], part: dict[str, Any]) -> dict[str, Any]:
    image = {"framing": part["framing"], "subjects": people["subjects"], "lines": people["lines"], **part["image"]}
    return {k: image[k] for k in _IMAGE_KEYS}


def _base(rs: ResolvedShot, part: dict[str, Any]) -> dict[str, Any]:
    """A shot's context but for what a target changes (None in those keys' places, so the order stays)."""
    shot = rs.shot
    lk, time = part["lk"], part["time"]
    size = SIZE_WORDS.get(shot.size or "", None)
    angle = ANGLE_WORDS.get(shot.angle or "", None)
    loc = rs.location
    return {
        "id": shot.id, "number": rs.number, "section": rs.section.id, "tag": rs.section.tag,
        "start": round(rs.start, 3), "end": round(rs.end, 3), "duration": round(rs.duration, 3),
        "size": shot.size, "size_words": size, "angle": shot.angle, "angle_words": angle,
        "framing": " ".join(x for x in (angle, size) if x),  # "high-angle medium-wide shot"
        "mode": shot.mode,
        "camera": None,
        "moves": None,
        "camera_sentence": part["camera_sentence"],
        "location": {"id": loc.id, "slug": loc.slug, "description": loc.description} if loc else None,
        "time": time,
        "world": rs.world.id if rs.world else None,
        "style": lk["style"], "palette": lk["palette"], "lighting": lk["lighting"],
        "avoid": part["avoid"],
        "in_view": part["in_view"],
        "cast": None,
        "subject": part["subject"], "subject_motion": shot.subject_motion,
        "background": shot.background, "background_motion": shot.background_motion,
        "mood": list(shot.mood), "details": list(shot.details),
        "lyrics": [ln.text for ln in rs.lines],
        "transition": {"in": shot.transition.into, "out": shot.transition.out, "duration": shot.transition.duration},
        "image": None,
        "video": None,
        "segments": [],
        "refs": None,
        "reference_sentence": None,
    }


_IMAGE_KEYS = ("framing", "subjects", "lines", "setting", "time", "background", "style", "palette", "lighting",
               "mood", "details", "positive")


def film_context(prod: Production) -> dict[str, Any]:
    f = prod.film
    return {"title": f.info.title, "aspect": f.info.aspect, "fps": f.info.fps,
            "resolution": list(prod.resolution), "motifs": list(f.concept.motifs)}


def target_context(prod: Production, target: TargetDef) -> dict[str, Any]:
    caps = target.capabilities
    return {
        "name": target.name, "kind": target.kind,
        "aspect": caps.aspects.get(prod.film.info.aspect),
        "prompt_max_chars": caps.prompt_max_chars,
        "negative_prompt": caps.negative_prompt,
        "camera_style": caps.camera_style,
        "camera_max": caps.camera_max,
        "prompt_budget": caps.prompt_budget.as_data() if caps.prompt_budget else {},
        "prompt_chunks": caps.prompt_chunks,
    }
