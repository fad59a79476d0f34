"""`filmc draft lyrics`: lyrics for the song's sections, in Suno-style structure, from the story."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..resolve import Production
from ..yamledit import FilmEdit
from .answer import Parsed
from .client import Request
from .facts import facts_text, film_facts, instructions
from .run import Merged, refuse
from .schema import array, definition, obj, only

KIND = "lyrics"


def answer_schema() -> dict[str, Any]:
    section = only(definition("section"), ("id", "tag", "lyrics"), ("id", "tag", "lyrics"))
    return obj({"sections": array(section, "Every section of the song, in order, with its tag and lyrics.")},
               ["sections"])


def request(prod: Production, options: Mapping[str, Any]) -> tuple[Request, dict[str, Any]]:
    film = prod.film
    has_lyrics = any(s.lines for s in film.song.sections)
    if not (film.story and film.story.strip()) and not has_lyrics:
        raise refuse(prod, "D710", "nothing to write lyrics from: the film has no story and no lyrics", "/song",
                      key=True, hint="write the story in prose under 'story: |' first")
    facts = film_facts(prod)
    ids = [s.id for s in film.song.sections]
    task = (f"Write the lyrics for these sections, in this order: {', '.join(ids)}. Each section's length in "
            "seconds is in the facts.")
    return (Request(instructions(KIND), [facts_text(facts), task], {}, temperature=0.9,
                    extra={"enums": {"sections[].id": ids}}), answer_schema())


def merge(parsed: Parsed, prod: Production, edit: FilmEdit, options: Mapping[str, Any]) -> Merged:
    out = Merged()
    sections = {s.id: i for i, s in enumerate(prod.film.song.sections)}
    drafted = parsed.data["sections"]
    for k, d in enumerate(drafted):
        if d["id"] not in sections:
            raise parsed.refuse("D708", f"the answer names a section '{d['id']}' the song does not have",
                                f"/sections/{k}/id", hint="sections: " + ", ".join(sections))
    for d in drafted:
        i = sections[d["id"]]
        sec = prod.film.song.sections[i]
        tag = (d.get("tag") or "").strip("[] ")
        if tag and tag != sec.tag:
            edit.set(("song", "sections", i, "tag"), tag, after=("id",))
        text = d.get("lyrics", "").strip("\n")
        if sec.timed:
            out.notes.append(f"{sec.id}: has timed lines; its lyrics were left as they are")
            continue
        if not text.strip():
            if sec.lines:
                out.notes.append(f"{sec.id}: the draft has no lyrics here (instrumental); the old ones were kept")
            continue
        if text != "\n".join(ln.text for ln in sec.lines):
            edit.set(("song", "sections", i, "lyrics"), text + "\n", after=("world", "start", "tag"))
    missing = [s.id for s in prod.film.song.sections if s.id not in {d["id"] for d in drafted}]
    if missing:
        out.notes.append("no lyrics drafted for: " + ", ".join(missing))
    return out
