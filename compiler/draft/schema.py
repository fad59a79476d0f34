"""The answer's schema, derived from the film schema: once as JSON Schema (to check the answer with), once in
Gemini's OpenAPI subset (to send as the response schema).

Our film schema has forms Gemini's response schemas cannot say: `$ref`, a time that is a number *or* a string,
text *or* a list, maps keyed by id (`characters: {id: {...}}`), patterns, `additionalProperties: false`. An
answer is therefore asked for in one narrowed form of each value (times in seconds, lists of texts, lists of
`{id, ...}`), checked in that form, then turned back into film.yaml's form by the draft that asked.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any, cast

# Which branch of an anyOf the answer uses, by the definition that holds the anyOf.
_BRANCH = {"time": "number", "text_or_list": "array"}
_DROP = ("examples", "default", "$id", "$schema", "title")


@cache
def film_schema() -> dict[str, Any]:
    from ..resources import load_schema

    return load_schema("film")


def _inline(node: Any, defs: Mapping[str, Any], via: str | None = None) -> Any:
    """$refs inlined and each anyOf narrowed to the one form an answer uses."""
    if isinstance(node, list):
        return [_inline(x, defs) for x in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        out = _inline(copy.deepcopy(defs[name]), defs, name)
        if "description" in node:
            out["description"] = node["description"]
        return out
    if "anyOf" in node:
        branches = [_inline(b, defs) for b in node["anyOf"]]
        want = _BRANCH.get(via or "")
        pick = next((b for b in branches if want and b.get("type") == want), None)
        if pick is None:  # objects over strings (cast members over bare ids, {in, out} over "fade")
            pick = next((b for b in branches if b.get("type") == "object"), branches[0])
        pick = dict(pick)
        if "description" in node and "description" not in pick:
            pick["description"] = node["description"]
        return pick
    return {k: _inline(v, defs) for k, v in node.items() if k not in _DROP and k != "$defs"}


def definition(name: str) -> dict[str, Any]:
    """A film schema definition ($defs/<name>), narrowed to the answer's forms."""
    s = film_schema()
    return cast(dict[str, Any], _inline(copy.deepcopy(s["$defs"][name]), s["$defs"], name))


def prop(*path: str) -> dict[str, Any]:
    """A property of the film schema by its path of property names (song, sections), narrowed."""
    s = film_schema()
    node: Any = s
    for p in path:
        node = node["properties"][p] if "properties" in node else node
    return cast(dict[str, Any], _inline(copy.deepcopy(node), s["$defs"]))


def obj(properties: Mapping[str, Any], required: Sequence[str] = (), description: str | None = None
        ) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "properties": dict(properties), "additionalProperties": False}
    if required:
        out["required"] = list(required)
    if description:
        out["description"] = description
    return out


def array(items: dict[str, Any], description: str | None = None, min_items: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "array", "items": items}
    if description:
        out["description"] = description
    if min_items is not None:
        out["minItems"] = min_items
    return out


def only(node: dict[str, Any], keep: Sequence[str], required: Sequence[str] = ()) -> dict[str, Any]:
    """An object schema with only some of its properties (in that order)."""
    out = dict(node)
    props = node.get("properties", {})
    out["properties"] = {k: props[k] for k in keep if k in props}
    out["required"] = [r for r in required if r in out["properties"]]
    if not out["required"]:
        out.pop("required")
    return out


# ---------------------------------------------------------------- Gemini's form

_TYPES = {"object": "OBJECT", "array": "ARRAY", "string": "STRING", "number": "NUMBER", "integer": "INTEGER",
          "boolean": "BOOLEAN"}


def to_gemini(node: Mapping[str, Any], enums: Mapping[str, Sequence[str]] | None = None, at: str = ""
              ) -> dict[str, Any]:
    """Gemini's response schema for a narrowed JSON Schema. `enums` pins the values of the strings at some
    paths ("shots[].section"): the model is held to ids that exist (the answer is still checked for them)."""
    out: dict[str, Any] = {}
    t = node.get("type")
    if isinstance(t, str):
        out["type"] = _TYPES[t]
    if "description" in node:
        out["description"] = node["description"]
    if "const" in node:
        out["type"], out["enum"] = "STRING", [str(node["const"])]
    if "enum" in node:
        out["enum"] = [str(v) for v in node["enum"]]
    if enums and at in enums and enums[at]:
        out["enum"] = [str(v) for v in enums[at]]
        out["format"] = "enum"
    elif "enum" in out:
        out["format"] = "enum"
    for k_json, k_api in (("minimum", "minimum"), ("maximum", "maximum"), ("minItems", "min_items"),
                          ("maxItems", "max_items"), ("minLength", "min_length")):
        if k_json in node:
            out[k_api] = node[k_json]
    if "exclusiveMinimum" in node and "minimum" not in node:
        out["minimum"] = node["exclusiveMinimum"]
    if t == "object":
        props = node.get("properties", {})
        out["properties"] = {k: to_gemini(v, enums, f"{at}.{k}" if at else k) for k, v in props.items()}
        out["property_ordering"] = list(props)
        if node.get("required"):
            out["required"] = list(node["required"])
    if t == "array" and "items" in node:
        out["items"] = to_gemini(node["items"], enums, at + "[]")
    return out


def drop_unpinned(node: dict[str, Any], enums: Mapping[str, Sequence[str]], at: str = "") -> dict[str, Any]:
    """Remove properties whose pinned id list is empty (no locations yet: no `location` to ask for)."""
    if node.get("type") == "object":
        props = {}
        for k, v in node.get("properties", {}).items():
            path = f"{at}.{k}" if at else k
            if path in enums and not enums[path]:
                continue
            props[k] = drop_unpinned(v, enums, path)
        node = {**node, "properties": props}
        if "required" in node:
            node["required"] = [r for r in node["required"] if r in props]
    if node.get("type") == "array" and "items" in node:
        items = node["items"]
        if at + "[]" in enums and not enums[at + "[]"]:
            return node
        node = {**node, "items": drop_unpinned(items, enums, at + "[]")}
    return node
