"""The timeline as a human-readable table (`filmc timeline`)."""

from __future__ import annotations

from .resolve import Production
from .validate.times import format_time


def render_timeline(prod: Production) -> str:
    out: list[str] = []
    film = prod.film
    out.append(f"{film.info.title}: {len(prod.shots)} shots, song {format_time(prod.song_duration)}"
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
            bits = [x for x in (s.shot.size, s.shot.angle, str(s.shot.camera) if s.shot.camera else None) if x]
            out.append(f"  {s.id:<10} {format_time(s.start)} - {format_time(s.end)}  {s.duration:7.3f} s  "
                       + " ".join(bits))
            for ln in s.lines:
                out.append(f"  {'':<10} \u266a {ln.text}")
    return "\n".join(out) + "\n"
