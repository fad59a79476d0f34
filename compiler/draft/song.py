"""`filmc draft song`: the song's sections and timed lyric lines, heard in its audio, snapped to the beat grid."""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..plurals import plural
from ..resolve import Production
from ..yamledit import FilmEdit
from .answer import Parsed
from .client import Audio, Request
from .facts import facts_text, film_facts, instructions
from .run import Merged, refuse
from .schema import array, definition, obj, only

KIND = "song"
ADDS_SECTIONS = True  # sections it adds have no shots yet: a warning, not a reason to refuse
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"


def answer_schema() -> dict[str, Any]:
    section = only(definition("section"), ("id", "tag", "start", "lines"), ("id", "tag", "start"))
    return obj({"sections": array(section, "The song's sections in the order they are heard.", 1)}, ["sections"])


def request(prod: Production, options: Mapping[str, Any]) -> tuple[Request, dict[str, Any]]:
    import os
    import stat

    film = prod.film
    if not film.song.audio:
        raise refuse(prod, "D710", "the song has no audio file to listen to", "/song", key=True,
                     hint="add 'audio: audio/song.mp3' under song:")
    raw = film.song.audio
    path = film.root / raw if not os.path.isabs(raw) else Path(raw)
    try:
        st = os.stat(path)
    except OSError:
        raise refuse(prod, "D715", f"the song's audio file is missing: '{raw}'", "/song/audio") from None
    if not stat.S_ISREG(st.st_mode):
        raise refuse(prod, "D715", f"the song's audio '{raw}' is not a regular file", "/song/audio")
    facts = film_facts(prod)
    task = (f"The audio part is the song ({prod.song_duration:.1f} s). Map its sections and sung lines with "
            "their start times in seconds.")
    return Request(instructions(KIND), [facts_text(facts), task], {}, audio=Audio(path, prod.song_duration),
                   temperature=0.2), answer_schema()


def snap(t: float, beats: Sequence[float]) -> float:
    """The nearest beat (times are kept when there is no grid)."""
    if not beats:
        return t
    j = bisect.bisect_left(beats, t)
    near = [beats[k] for k in (j - 1, j) if 0 <= k < len(beats)]
    return min(near, key=lambda b: abs(b - t))


def _r(x: float) -> float:
    return round(x, 3)


def merge(parsed: Parsed, prod: Production, edit: FilmEdit, options: Mapping[str, Any]) -> Merged:
    import re

    out = Merged()
    drafted = parsed.data["sections"]
    beats = prod.beats
    end = prod.song_duration
    existing = prod.film.song.sections
    # starts: the first at 0, each snapped to its nearest beat when that keeps them in order
    starts: list[float] = []
    for k, d in enumerate(drafted):
        t = float(d["start"])
        if t >= end:
            raise parsed.refuse("D707", f"section {k + 1} ('{d['id']}') starts at {t:g} s, at or after the end of "
                                f"the song ({end:g} s)", f"/sections/{k}/start")
        if k == 0:
            t = 0.0
        elif beats:
            b = snap(t, beats)
            t = b if b > starts[-1] and b < end else t
        if starts and t <= starts[-1]:
            raise parsed.refuse("D707", f"section {k + 1} ('{d['id']}') starts at {t:g} s, not after the one before "
                                f"({starts[-1]:g} s)", f"/sections/{k}/start")
        starts.append(_r(t))
    ids: list[str] = []
    for k, d in enumerate(drafted):
        sid = existing[k].id if k < len(existing) else d["id"]
        if not re.match(ID_PATTERN, sid):
            raise parsed.refuse("D707", f"'{sid}' is not a valid section id", f"/sections/{k}/id")
        if sid in ids or (k >= len(existing) and sid in {s.id for s in existing}):
            sid = _fresh(sid, {*ids, *(s.id for s in existing)})
        ids.append(sid)
    snapped = sum(1 for k, d in enumerate(drafted) if k and abs(float(d["start"]) - starts[k]) > 1e-6)
    if beats and snapped:
        out.notes.append(f"{plural(snapped, 'section start')} moved to the nearest beat")
    for k, d in enumerate(drafted):
        sec_end = starts[k + 1] if k + 1 < len(starts) else end
        lines = []
        for n, ln in enumerate(d.get("lines") or ()):
            at = float(ln["at"])
            if beats:
                at = snap(at, beats)
            at = min(max(at, starts[k]), sec_end)
            if at >= sec_end:
                out.notes.append(f"{ids[k]}: line {n + 1} ('{ln['text'][:30]}') lies past the section's end; dropped")
                continue
            lines.append({"at": _r(at), "text": ln["text"]})
        values: dict[str, Any] = {"start": starts[k]}
        if d.get("tag"):
            values["tag"] = d["tag"].strip("[] ")
        if k < len(existing):
            base = ("song", "sections", k)
            was = existing[k]
            if abs(was.start - values["start"]) < 1e-6:  # the same time: the creator's spelling stays
                del values["start"]
            if values.get("tag") == was.tag:
                values.pop("tag")
            for key, v in values.items():
                edit.set((*base, key), v, after=("start", "id") if key == "tag" else ("id",))
            same = was.timed and [(round(ln.at or 0.0, 3), ln.text) for ln in was.lines] == [
                (ln["at"], ln["text"]) for ln in lines]
            if lines and not same:
                edit.set((*base, "lines"), lines, after=("lyrics", "tag", "start"))
                if existing[k].lines and not existing[k].timed:
                    edit.delete((*base, "lyrics"))
                    out.notes.append(f"{ids[k]}: its lyrics became timed lines")
        else:
            new = {"id": ids[k], **({"tag": values["tag"]} if "tag" in values else {}), "start": starts[k]}
            if lines:
                new["lines"] = lines
            edit.append(("song", "sections"), new)
    if len(existing) > len(drafted):
        out.notes.append("sections not heard in the audio were left as they are: "
                         + ", ".join(s.id for s in existing[len(drafted):]))
    return out


def _fresh(base: str, taken: set[str]) -> str:
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"
