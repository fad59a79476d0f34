"""`filmc draft concept`: the visual concept (style, palette, lighting, avoid, worlds, motifs) and the
characters' canonical descriptions, from the story and the lyrics."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..resolve import Production
from ..yamledit import FilmEdit
from .answer import Parsed
from .client import Request
from .facts import facts_text, film_facts, instructions
from .run import Merged, refuse
from .schema import array, definition, obj, only, prop

KIND = "concept"


def answer_schema() -> dict[str, Any]:
    concept = prop("concept")
    world = only(definition("world"), ("style", "palette", "lighting", "avoid"))
    world = {**world, "properties": {"id": definition("id"), **world["properties"]}, "required": ["id"]}
    character = {"type": "object", "additionalProperties": False, "required": ["id", "description"],
                 "properties": {"id": definition("id"), "description": definition("character")["properties"][
                     "description"]}}
    props = {k: concept["properties"][k] for k in ("style", "palette", "lighting", "avoid", "motifs")}
    props["worlds"] = array(world, "Named looks of the film; reuse the ids of the worlds that exist.")
    props["characters"] = array(character, "One canonical description per character of the facts.")
    return obj(props, ["style", "palette", "lighting", "avoid", "motifs", "characters"])


def request(prod: Production, options: Mapping[str, Any]) -> tuple[Request, dict[str, Any]]:
    film = prod.film
    if not (film.story and film.story.strip()) and not any(s.lines for s in film.song.sections):
        raise refuse(prod, "D710", "nothing to draw a concept from: the film has no story and no lyrics", "/song",
                     key=True, hint="write the story in prose under 'story: |' first")
    task = "Draft the visual concept and one canonical description for each character."
    return Request(instructions(KIND), [facts_text(film_facts(prod)), task], {}, temperature=0.8,
                   extra={"enums": {"characters[].id": list(film.characters)}}), answer_schema()


def merge(parsed: Parsed, prod: Production, edit: FilmEdit, options: Mapping[str, Any]) -> Merged:
    out = Merged()
    data = parsed.data
    chars = prod.film.characters
    for n, ch in enumerate(data.get("characters") or ()):
        if ch["id"] not in chars:
            raise parsed.refuse("D708", f"the answer describes a character '{ch['id']}' the film does not have",
                                f"/characters/{n}/id", hint=("characters: " + ", ".join(chars)) if chars else
                                "the film has no characters yet: add them (id and a first description) first")
    has_concept = isinstance(edit.get(("concept",)), dict)
    fields = {k: data[k] for k in ("style", "palette", "lighting", "avoid", "motifs") if data.get(k)}
    worlds = {w["id"]: {k: v for k, v in w.items() if k != "id" and v} for w in data.get("worlds") or ()}
    if not has_concept:
        value: dict[str, Any] = dict(fields)
        if worlds:
            value["worlds"] = worlds
        edit.set(("concept",), value, after=("story", "song"))
    else:
        for k, v in fields.items():
            if edit.get(("concept", k)) != v and not (isinstance(v, list) and edit.get(("concept", k)) == v[0]
                                                      and len(v) == 1):
                edit.set(("concept", k), v, after=("style", "palette", "lighting", "avoid"))
        if worlds:
            if not isinstance(edit.get(("concept", "worlds")), dict):
                edit.set(("concept", "worlds"), worlds, after=("avoid", "lighting", "palette", "style"))
            else:
                for wid, w in worlds.items():
                    if edit.get(("concept", "worlds", wid)) is None:
                        edit.set(("concept", "worlds", wid), w)
                        out.notes.append(f"world {wid}: new")
                    else:
                        for k, v in w.items():
                            if edit.get(("concept", "worlds", wid, k)) != v:
                                edit.set(("concept", "worlds", wid, k), v, after=("style", "palette", "lighting"))
    for ch in data.get("characters") or ():
        text = " ".join(ch["description"].split())
        if text != " ".join(chars[ch["id"]].description.split()):
            edit.set(("characters", ch["id"], "description"), text, after=("name",))
    missing = [c for c in chars if c not in {ch["id"] for ch in data.get("characters") or ()}]
    if missing:
        out.notes.append("no description drafted for: " + ", ".join(missing))
    return out
