"""What each shot shows: which shots an edit takes (--select), a shot's first-frame image, the later segments of
an extended shot, its grade and its slate's text. Reads the file system only to see which takes exist."""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path

from ..diagnostics import Collector
from ..errors import UsageError
from ..model import Grade
from ..output_names import job_id
from ..paths import inside_film, special_file
from ..resolve import Production, ResolvedShot
from ..timeline import format_time
from .clips import SlateText

IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")


def select_shots(prod: Production, select: str | None, *, option: str | None = "--select") -> tuple[ResolvedShot, ...]:
    """Shots matching `s01,s02`, globs `s0*`, or `section:<id>`; UsageError when a term matches nothing (naming the
    `option` the terms came from; None: a command's SHOT argument)."""
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
            raise UsageError((f"{option}: '{t}' matches no shot" if option else f"no shot '{t}' in the film")
                             + (f" ({hint})" if hint else ""))
        chosen.update(hit)
    return tuple(s for s in prod.shots if s.id in chosen)


def find_image(prod: Production, shot: ResolvedShot, c: Collector | None = None, *,
               present: frozenset[str] | None = None) -> tuple[Path, str] | None:
    """A shot's first-frame image: its take when that is an image, else takes/<id>.<ext> or
    takes/<id>.<image target>.<ext> (how the generation stage names image results).

    The film's path policy holds for these too: a link to a file outside the film's folder (without
    --allow-outside-paths) or a pipe, socket or device is ignored, with a warning on `c`. `present`: the names
    in takes/ (takes_names), when the caller looks for many shots."""
    root = prod.film.root
    take = shot.shot.take
    if take and take.lower().endswith(IMAGE_EXTS) and (root / take).is_file():
        return root / take, take
    if present is None:
        present = takes_names(root)
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

    found = newest_image(root, shot.id, prod.film.targets.image)
    return (root / found, found) if found else None


def takes_names(root: Path) -> frozenset[str]:
    """The names in takes/ (one directory read, not one stat per shot and extension)."""
    try:
        return frozenset(os.listdir(root / "takes"))
    except OSError:
        return frozenset()


def later_segments(prod: Production, s: ResolvedShot, take: str, c: Collector) -> tuple[str, ...]:
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
    return tuple(chain.takes)


def merge_grade(base: Grade | None, over: Grade | None) -> Grade | None:
    """The film's grade with a world's on top (each value the world sets wins)."""
    if base is None:
        return over
    if over is None:
        return base

    def pick(b: float | None, o: float | None) -> float | None:
        return o if o is not None else b

    return Grade(over.lut if over.lut is not None else base.lut, pick(base.brightness, over.brightness),
                 pick(base.contrast, over.contrast), pick(base.saturation, over.saturation),
                 pick(base.gamma, over.gamma))


def slate_text(prod: Production, s: ResolvedShot) -> SlateText:
    """What a shot's slate says: id; number, section and times; framing; place, cast and subject; the lyric."""
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
