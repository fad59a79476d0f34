"""Ids are unique, and every name a film uses (section, world, location, character, wardrobe) is defined."""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..diagnostics import Collector, did_you_mean
from ..model import Film, Shot


def check_ids(film: Film, diags: Collector) -> None:
    for kind, items in (("section", film.song.sections), ("shot", film.shots)):
        first: dict[str, str] = {}
        for it in items:
            if it.id in first:
                line = diags.source.locate(first[it.id])[0] if diags.source else 0
                diags.error("V201", f"duplicate {kind} id '{it.id}' (first used at line {line})", f"{it.pointer}/id",
                            hint=f"every {kind} needs its own id")
            else:
                first[it.id] = f"{it.pointer}/id"


def unknown_ref(diags: Collector, code: str, kind: str, value: str, choices: Iterable[str], ptr: str) -> None:
    choices = list(choices)
    if not choices and any(d.code == "V101" and d.hint == f"did you mean '{kind}s'?" for d in diags.items):
        return  # `charaters:` (reported, with its fix): every reference to what it defines is not a mistake of its own
    hint = did_you_mean(value, choices) or (f"no {kind}s are defined" if not choices else None)
    diags.error(code, f"{ptr}: unknown {kind} '{value}'", ptr, hint=hint)


def check_refs(film: Film, diags: Collector, *, sections_known: bool = True) -> None:
    """Every id a film refers to exists (sections only when every section was read: `sections_known`)."""
    sections = {s.id for s in film.song.sections}
    worlds = film.concept.worlds
    for s in film.song.sections:
        if s.world and s.world not in worlds:
            unknown_ref(diags, "V214", "world", s.world, worlds, f"{s.pointer}/world")
    for shot in film.shots:
        p = shot.pointer
        if sections_known and shot.section not in sections:
            unknown_ref(diags, "V210", "section", shot.section, sections, f"{p}/section")
        if shot.location and shot.location not in film.locations:
            unknown_ref(diags, "V213", "location", shot.location, film.locations, f"{p}/location")
        if shot.world and shot.world not in worlds:
            unknown_ref(diags, "V214", "world", shot.world, worlds, f"{p}/world")
        seen: set[str] = set()
        for j, member in enumerate(shot.cast):
            cp = f"{p}/cast/{j}"
            char = film.characters.get(member.id)
            if char is None:
                unknown_ref(diags, "V211", "character", member.id, film.characters, cp + "/id" if _is_obj(diags, cp) else cp)
                continue
            if member.id in seen:
                diags.warning("V215", f"{cp}: character '{member.id}' is listed twice in shot '{shot.id}'", cp)
            seen.add(member.id)
            w = member.wardrobe
            if w and w not in char.wardrobe and re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", w):
                unknown_ref(diags, "V212", f"wardrobe of character '{member.id}'", w, char.wardrobe, f"{cp}/wardrobe")
    # shots of a section must be contiguous and in song order: the song is the clock
    order = {s.id: i for i, s in enumerate(film.song.sections)}
    placed = [(shot, order[shot.section]) for shot in film.shots if shot.section in order]
    in_order = _in_order([idx for _, idx in placed])
    hint = "list shots in song order: the shots of each section together, sections in the order of song.sections"
    following: list[Shot | None] = [None] * len(placed)  # the closest shot in order after each place
    after: Shot | None = None
    for n in range(len(placed) - 1, -1, -1):
        following[n] = after
        if n in in_order:
            after = placed[n][0]
    before: Shot | None = None  # the closest shot in order before
    for n, (shot, idx) in enumerate(placed):
        if n in in_order:
            before = shot
            continue
        after = following[n]
        if before is not None and order[before.section] > idx:
            where = f"comes after shot '{before.id}' of the later section '{before.section}'"
        elif after is not None:
            where = f"comes before shot '{after.id}' of the earlier section '{after.section}'"
        else:
            continue
        diags.error("V216", f"{shot.pointer}/section: shot '{shot.id}' (section '{shot.section}') {where}",
                    f"{shot.pointer}/section", hint=hint)


def _in_order(sections: list[int]) -> set[int]:
    """The places of a longest run of the list (not necessarily adjacent) whose sections never go back: the shots
    out of it are the fewest that are out of song order (one shot moved to another section is the one reported, not
    every shot after it). Of runs as long, the one that keeps the earlier shots (the list is read from its end)."""
    import bisect

    last = len(sections) - 1
    tails: list[int] = []  # the smallest last (negated) section of a run of each length so far ...
    ends: list[int] = []  # ... and the place of that last shot
    back = [-1] * len(sections)  # the place before each shot in its run
    for n, idx in enumerate(-x for x in reversed(sections)):
        k = bisect.bisect_right(tails, idx)
        back[n] = ends[k - 1] if k else -1
        if k == len(tails):
            tails.append(idx)
            ends.append(n)
        else:
            tails[k] = idx
            ends[k] = n
    out: set[int] = set()
    n = ends[-1] if ends else -1
    while n >= 0:
        out.add(last - n)
        n = back[n]
    return out


def _is_obj(diags: Collector, ptr: str) -> bool:
    src = diags.source
    return bool(src) and f"{ptr}/id" in getattr(src, "values", {})
