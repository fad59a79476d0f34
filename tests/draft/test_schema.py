"""The answers' schemas: derived from the film schema, sent in the subset Gemini's structured output takes."""

from __future__ import annotations

from typing import Any

import pytest

from compiler.diagnostics import Collector
from compiler.draft import concept, lyrics, prompt, song, storyboard
from compiler.draft.schema import definition, to_gemini
from compiler.schemacheck import check_schema

GEMINI_KEYS = {"type", "description", "enum", "format", "properties", "property_ordering", "required", "items",
               "minimum", "maximum", "min_items", "max_items", "min_length"}
GEMINI_TYPES = {"OBJECT", "ARRAY", "STRING", "NUMBER", "INTEGER", "BOOLEAN"}


def walk(node: dict[str, Any], at: str = "") -> list[str]:
    bad = [f"{at}: {k}" for k in node if k not in GEMINI_KEYS]
    if node.get("type") not in GEMINI_TYPES:
        bad.append(f"{at}: type {node.get('type')}")
    for k, v in (node.get("properties") or {}).items():
        bad += walk(v, f"{at}.{k}")
    if "items" in node:
        bad += walk(node["items"], at + "[]")
    if node.get("type") == "OBJECT":
        assert node["property_ordering"] == list(node["properties"]), at
    return bad


@pytest.mark.parametrize("kind", [lyrics, song, storyboard, prompt, concept])
def test_every_answer_schema_is_in_geminis_subset(kind: Any) -> None:
    assert walk(to_gemini(kind.answer_schema())) == []


def test_the_storyboard_schema_is_the_film_schemas_shot() -> None:
    shot = storyboard.answer_schema()["properties"]["shots"]["items"]
    film_shot = definition("shot")
    assert shot["properties"]["size"] == film_shot["properties"]["size"]  # the vocabulary, from the film schema
    assert shot["properties"]["cast"]["items"]["properties"].keys() == {"id", "wardrobe", "action", "expression",
                                                                        "motion", "view"}
    assert shot["properties"]["mood"]["type"] == "array"  # text_or_list asked as a list
    assert shot["additionalProperties"] is False and set(shot["required"]) == {"id", "section", "duration", "size",
                                                                               "angle", "camera"}
    sent = to_gemini(storyboard.answer_schema(), {"shots[].location": ["pier"]})
    assert sent["properties"]["shots"]["items"]["properties"]["location"]["enum"] == ["pier"]


def test_song_times_are_asked_in_seconds() -> None:
    section = song.answer_schema()["properties"]["sections"]["items"]
    assert section["properties"]["start"]["type"] == "number"
    assert section["properties"]["lines"]["items"]["properties"]["at"]["type"] == "number"
    c = Collector("answer")
    assert not check_schema({"sections": [{"id": "a", "tag": "Verse", "start": "0:12"}]}, song.answer_schema(), c)
    assert check_schema({"sections": [{"id": "a", "tag": "Verse", "start": 0}]}, song.answer_schema(), Collector("x"))
