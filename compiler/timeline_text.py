"""The timeline as a human-readable table (`filmc timeline`)."""

from __future__ import annotations

from typing import Any

from .model import Shot
from .plurals import plural
from .resolve import Production
from .timeline import format_time


def render_timeline(prod: Production) -> str:
    out: list[str] = []
    film = prod.film
    out.append(f"{film.info.title}: {plural(len(prod.shots), 'shot')}, song {format_time(prod.song_duration)}"
               + (f", {prod.preroll:g} s of title cards before the song" if prod.preroll else "")
               + (f", {prod.postroll:g} s after it" if prod.postroll else ""))
    by_id = {s.id: s for s in prod.shots}
    for sec in prod.sections:
        tag = f" [{sec.section.tag}]" if sec.section.tag else ""
        world = f"  world: {sec.section.world}" if sec.section.world else ""
        out.append("")
        out.append(f"{sec.section.id}{tag}  {format_time(sec.start)} - {format_time(sec.end)}  "
                   f"({sec.end - sec.start:.3f} s){world}")
        for sid in sec.shots:
            s = by_id[sid]
            bits = [x for x in (s.shot.size, s.shot.angle, s.shot.camera_text or None) if x]
            out.append(f"  {s.id:<10} {format_time(s.start)} - {format_time(s.end)}  {s.duration:7.3f} s  "
                       + " ".join(bits))
            for ln in s.lines:
                out.append(f"  {'':<10} \u266a {ln.text}")
    return "\n".join(out) + "\n"


def look_lines(prod: Production, shot_id: str) -> list[str]:
    """The look a shot's prompts carry (style, palette, lighting, avoid), and where each part comes from.

    The film's style is always there and a world's adds to it; palette and lighting come from the shot, else its
    world, else the film: this makes that visible.
    """
    rs = prod.shot(shot_id)
    concept, world, shot = prod.film.concept, rs.world, rs.shot
    if world is None:
        src = "film"
    else:
        where = "shot" if shot.world else f"section {rs.section.id}"
        src = f"world {world.id} (from the {where})"
    out = [f"look: {src}"]
    style = list(dict.fromkeys([*concept.style, *(world.style if world else ())]))
    if style:
        added = [s for s in (world.style if world else ()) if s not in concept.style]
        out.append(f"  style: {', '.join(style)}" + (f"   (world {world.id} adds: {', '.join(added)})"
                                                       if world and added and concept.style else ""))
    for name in ("palette", "lighting"):
        own, mine, base = getattr(shot, name), getattr(world, name) if world else None, getattr(concept, name)
        value = own or mine or base
        if not value:
            continue
        line = f"  {name}: {value}"
        if own and (mine or base):
            line += f"   (the shot's own, instead of {'world ' + world.id if mine and world else 'the film'}'s: " \
                    f"{mine or base})"
        elif mine and base and world:
            line += f"   (world {world.id} replaces the film's: {base})"
        out.append(line)
    avoid = list(dict.fromkeys(concept.avoid + (world.avoid if world else ())))
    if avoid:
        out.append(f"  avoid: {', '.join(avoid)}")
    return out


def mode_lines(shot: Shot) -> list[str]:
    """How a shot is generated, when it is not the default image-to-video single clip: its mode, and for an
    extended shot each segment's motion and camera (the lengths depend on the target: see each prompt)."""
    out = []
    if shot.mode != "image-to-video":
        out.append(f"mode: {shot.mode}" + {"still": " (an image only: the edit holds it for the shot's length)",
                                           "text-to-video": " (no image: the video prompt carries the look)"}
                   .get(shot.mode, ""))
    if shot.extend:
        out.append("extend: segments chained from the last frame of the one before")
        camera = shot.camera_text or "no camera move"
        out.append(f"  1: the shot's own motion; {camera}")
        if not shot.segments:
            out.append("  2...: the same, as many as the shot needs")
        for n, seg in enumerate(shot.segments, start=2):
            length = f"{seg.duration:g} s" if seg.duration is not None else "what is left"
            motion = seg.motion or "the shot's own motion"
            out.append(f"  {n}: {motion}; {seg.camera or camera}; {length}")
    return out


def refs_lines(small: dict[str, Any]) -> list[str]:
    """What a shot sends a target besides its prompt: "refs: image 1 refs/keeper.png (the keeper), …", what the
    model left out and why, and the end frame."""
    out = []
    refs = small.get("refs") or []
    if refs:
        out.append("refs: " + ", ".join(f"{r['cite'] or r['n']}: {r['path']} ({r['label']})" for r in refs))
    left = small.get("refs_left_out") or []
    whys = {why for _, why in left}
    if left and not refs and len(whys) == 1:
        out.append(f"refs: none sent (this model {next(iter(whys))})")
    elif left:
        out.append("refs left out: " + "; ".join(f"{path} ({why})" for path, why in left))
    if small.get("end_frame_dropped"):
        out.append("end frame: not sent (validate says why: V278)")
    if small.get("end_frame"):
        end = small["end_frame"]
        out.append("end frame: " + ("the next shot's first frame" if end == "next" else end))
    return out
