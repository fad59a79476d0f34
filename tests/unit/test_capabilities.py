"""Target capabilities are typed, and each setting is declared once (compiler/capabilities.py): the target schema's
property names, required names and defaults, the docs' settings table and the parsed built-in targets agree with
the declarations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from compiler.capabilities import (
    CAMERA_STYLES,
    Capabilities,
    PromptBudget,
    RefCaps,
    parse_capabilities,
    settings,
    settings_table,
)
from compiler.targets import builtin_targets

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "schema" / "target.schema.json").read_text(encoding="utf-8"))
CAPS = SCHEMA["$defs"]["capabilities"]
DEFAULTS = Capabilities().as_data()


def test_the_schema_names_exactly_the_declared_settings() -> None:
    assert list(CAPS["properties"]) == [f.name for f in settings()]
    assert set(CAPS["required"]) == {f.name for f in settings() if f.metadata["required"]}


@pytest.mark.parametrize("name", [f.name for f in settings() if not f.metadata["required"]])
def test_the_schema_default_is_the_declared_default(name: str) -> None:
    assert "default" in CAPS["properties"][name], f"schema capabilities.{name} states no default"
    assert CAPS["properties"][name]["default"] == DEFAULTS[name]


def test_the_schema_types_are_the_declared_types() -> None:
    json_types = {"bool": "boolean", "int": "integer", "int | None": ["integer", "null"], "str": "string"}
    for f in settings():
        want = json_types.get(str(f.type))
        if want is not None:
            assert CAPS["properties"][f.name].get("type") == want, f.name
    assert CAPS["properties"]["camera_style"]["enum"] == list(CAMERA_STYLES)


def test_the_docs_table_is_the_declarations() -> None:
    docs = (ROOT / "docs" / "prompts.md").read_text(encoding="utf-8")
    assert "\n".join(settings_table()) in docs


def test_a_setting_left_out_takes_its_declared_default() -> None:
    caps = parse_capabilities({"aspects": {}, "prompt_max_chars": None, "negative_prompt": False,
                               "camera_style": "none"})
    assert caps == Capabilities()
    assert caps.prompt_chunks == 1 and caps.description == "verbatim" and caps.references is None
    assert caps.end_frame is False and caps.camera_max is None and caps.graph_prompts == {}


def _json(data: Any) -> Any:
    return json.loads(json.dumps(data))


@pytest.mark.parametrize("name", sorted(builtin_targets()))
def test_a_built_in_target_parses_to_what_its_yaml_says(name: str) -> None:
    t = builtin_targets()[name]
    raw = yaml.safe_load((t.folder / "target.yaml").read_text(encoding="utf-8"))["capabilities"]
    got = t.capabilities.as_data()
    assert set(got) == set(DEFAULTS)
    for key, value in raw.items():
        if key == "models":
            continue
        want = False if key == "references" and value is False else value
        if key == "references" and isinstance(value, dict):  # the block's own keys; the rest take RefCaps defaults
            got[key] = {k: v for k, v in got[key].items() if k in value}
        if key == "end_frame" and isinstance(value, dict):
            want = {k: v if isinstance(v, list) else [v] for k, v in value.items()}
        assert got[key] == _json(want), key
    for key in set(DEFAULTS) - set(raw):
        assert got[key] == DEFAULTS[key], key
    for model, over in (raw.get("models") or {}).items():
        typed = t.capabilities.models[model]
        if "end_frame" in over:
            assert t.end_frame_when(model) == (over["end_frame"] if isinstance(over["end_frame"], bool)
                                               else {k: list(v) for k, v in over["end_frame"].items()})
        if over.get("references") is False:
            assert typed.references is None
        elif "references" in over:
            assert isinstance(typed.references, RefCaps) and typed.references.max == over["references"]["max"]


def test_per_model_references_merge_over_the_targets_block() -> None:
    caps = parse_capabilities({"references": {"max": 3, "per_kind": {"style": 1}, "cite": "image"},
                               "models": {"mini": {"references": {"max": 1, "kinds": ["character"]}},
                                          "plain": {"references": False}, "old": {"end_frame": False}},
                               "end_frame": {"mode": "pro"}, "prompt_budget": {"tokens": 75}})
    mini = caps.models["mini"].references
    assert mini == RefCaps(max=1, kinds=("character",), per_kind=(("style", 1),), cite="image")
    assert caps.models["plain"].references is None
    assert caps.models["old"].references == caps.references and caps.models["old"].end_frame is False
    assert caps.models["mini"].end_frame == {"mode": ("pro",)}
    assert caps.prompt_budget == PromptBudget("tokens", 75)


def test_provider_settings_defaults_are_the_schemas() -> None:
    from compiler.capabilities import default_of
    from compiler.target_providers import runner_settings

    props = SCHEMA["$defs"]["provider"]["properties"]
    for f in runner_settings():
        value = default_of(f)
        if value is None:  # derived from another setting, or unknown: the schema states no default
            assert "default" not in props[f.name], f.name
        else:
            assert _json(props[f.name]["default"]) == _json(value), f.name


@pytest.mark.parametrize("name", sorted(builtin_targets()))
def test_a_built_in_targets_providers_parse_to_what_its_yaml_says(name: str) -> None:
    from compiler.target_providers import Provider, env_names, runner_settings

    t = builtin_targets()[name]
    raw = yaml.safe_load((t.folder / "target.yaml").read_text(encoding="utf-8"))["providers"] or {}
    assert list(t.providers) == list(raw)
    for pname, block in raw.items():
        p = t.providers[pname]
        assert isinstance(p, Provider) and p.name == pname and dict(p.spec) == block
        assert p.auth.scheme == block["auth"]["scheme"] and p.auth.env == env_names(block["auth"].get("env"))
        for f in runner_settings():
            if f.name in block:
                assert _json(getattr(p, f.name)) == _json(block[f.name]), (pname, f.name)


@pytest.mark.parametrize("name", sorted(builtin_targets()))
def test_a_built_in_targets_options_are_typed(name: str) -> None:
    t = builtin_targets()[name]
    raw = yaml.safe_load((t.folder / "target.yaml").read_text(encoding="utf-8"))
    props, defaults = raw["options"]["properties"], raw["defaults"] or {}
    assert [o.name for o in t.option_defs] == list(props)
    for o in t.option_defs:
        assert o.has_default == (o.name in defaults or "default" in props[o.name])
        if o.name in defaults:
            assert o.default == defaults[o.name]
        assert o.choices == tuple(props[o.name].get("enum") or ())
        assert o.help == str(props[o.name].get("description") or "").strip()
    assert t.option("no such option") is None
