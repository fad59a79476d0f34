"""The built-in target data: targets/*/target.yaml against schema/target.schema.json, and their internal consistency."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator, Draft202012Validator

from compiler.model import CAMERA_MOVES

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_PATH = ROOT / "schema" / "target.schema.json"
TARGET_FILES = sorted((ROOT / "targets").glob("*/target.yaml"))

BUILT_IN = {
    "mystic": "image",
    "flux": "image",
    "gemini-image": "image",
    "midjourney": "image",
    "comfyui": "image",
    "kling": "video",
    "runway": "video",
    "luma": "video",
    "hailuo": "video",
    "veo": "video",
}
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def ids(paths: list[Path]) -> list[str]:
    return [p.parent.name for p in paths]


def test_schema_is_valid(schema: dict[str, Any]) -> None:
    Draft202012Validator.check_schema(schema)
    Draft7Validator.check_schema(schema)  # only keywords common with draft 7


def test_all_built_in_targets_exist() -> None:
    assert set(ids(TARGET_FILES)) >= set(BUILT_IN)


@pytest.mark.parametrize("path", TARGET_FILES, ids=ids(TARGET_FILES))
def test_target_file(path: Path, schema: dict[str, Any]) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# "), "must start with a comment naming its sources in apis.md"
    data = load(path)

    errors = sorted(Draft202012Validator(schema).iter_errors(data), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)

    name = path.parent.name
    assert data["name"] == name
    if name in BUILT_IN:
        assert data["kind"] == BUILT_IN[name]

    options = data["options"]
    Draft7Validator.check_schema(options)
    option_validator = Draft7Validator(options)
    props = options["properties"]

    # defaults are valid options, and agree with the schema's own `default`
    errs = [e.message for e in option_validator.iter_errors(data["defaults"])]
    assert not errs, errs
    for key, value in data["defaults"].items():
        if "default" in props[key]:
            assert props[key]["default"] == value, key
    # every schema `default` is itself a valid value
    for key, prop in props.items():
        if "default" in prop:
            errs = [e.message for e in option_validator.iter_errors({key: prop["default"]})]
            assert not errs, (key, errs)

    caps = data["capabilities"]
    if data["kind"] == "video":
        durations = caps["durations"]
        assert durations == sorted(set(durations)), "durations must be ascending and unique"
        assert set(caps["camera"]) == set(CAMERA_MOVES), "camera must map every film camera move"
        assert "duration" in props, "shots[].generate.<target>.duration must be accepted"
        assert props["duration"]["enum"] == durations
    else:
        assert "durations" not in caps
        assert caps["camera_style"] == "none"

    if caps["camera_style"] == "brackets":
        for move, value in caps["camera"].items():
            if value is not None:
                commands = re.findall(r"\[([^\[\]]+)\]", value)
                assert commands and "".join(f"[{c}]" for c in commands) == value, move
                assert sum(len(c.split(",")) for c in commands) <= caps["camera_max"], move
    if caps["camera_style"] == "concepts":
        for move, value in caps["camera"].items():
            assert value is None or re.fullmatch(r"[a-z][a-z0-9_]*", value), move

    def check_when(when: dict[str, Any], where: str) -> None:
        for key, value in when.items():
            if key == "generation":  # the shot's generation mode, matched like an option
                from compiler.model import MODES

                assert set(value if isinstance(value, list) else [value]) <= set(MODES), where
                continue
            assert key in props, f"{where}: unknown option {key}"
            for v in value if isinstance(value, list) else [value]:
                errs = [e.message for e in option_validator.iter_errors({key: v})]
                assert not errs, (where, key, errs)

    for pname, provider in data["providers"].items():
        for part in ("base_url", "submit", "poll"):
            text_ = provider[part] if part == "base_url" else provider[part]["path"]
            for ph in PLACEHOLDER.findall(text_):
                allowed = set(props) | ({"task_id"} if part == "poll" else set())
                assert ph in allowed, f"{pname}.{part}: unknown placeholder {{{ph}}}"
        for i, route in enumerate(provider.get("routes", [])):
            where = f"{pname}.routes[{i}]"
            check_when(route["when"], where)
            for opt in route.get("options", []):
                assert opt in props, f"{where}: unknown option {opt}"
            for ph in PLACEHOLDER.findall(route["poll"]["path"]):
                assert ph in set(props) | {"task_id"}, where
    for i, price in enumerate(data["prices"]):
        if data["providers"]:
            assert price["provider"] in data["providers"], f"prices[{i}]"
        check_when(price.get("when", {}), f"prices[{i}]")


def test_aspect_keys_are_quoted_strings() -> None:
    # YAML 1.1 reads an unquoted 16:9 as the sexagesimal integer 969
    for path in TARGET_FILES:
        for key in load(path)["capabilities"]["aspects"]:
            assert isinstance(key, str), (path.parent.name, key)


@pytest.mark.parametrize("path", TARGET_FILES, ids=lambda p: p.parent.name)
def test_durations_when_fits_the_target(path: Path) -> None:
    from compiler.targets import durations_when_problems

    assert durations_when_problems(yaml.safe_load(path.read_text(encoding="utf-8"))) == []


def test_a_durations_when_that_would_never_match_is_refused(tmp_path: Path) -> None:
    import shutil

    from compiler.errors import FilmError
    from compiler.targets import load_targets

    shutil.copytree(ROOT / "targets" / "hailuo", tmp_path / "targets" / "hailuo")
    target = tmp_path / "targets" / "hailuo" / "target.yaml"
    text = target.read_text(encoding="utf-8").replace(
        "    - {when: {resolution: [1080P]}, durations: [6]}",
        "    - {when: {resolution: [1080p]}, durations: [6]}\n    - {when: {size: [big]}, durations: [12]}")
    target.write_text(text, encoding="utf-8")
    with pytest.raises(FilmError) as e:
        load_targets(tmp_path)["hailuo"]
    found = [(d.code, d.pointer, d.message.split(": ", 1)[1]) for d in e.value.diagnostics]
    assert found == [
        ("V226", "/capabilities/durations_when/0/when/resolution", "resolution is never '1080p'"),
        ("V226", "/capabilities/durations_when/1/when/size", "'size' is not one of the target's options"),
        ("V226", "/capabilities/durations_when/1/durations", "12 s: not in `durations`")], found


def test_durations_when_may_name_the_provider() -> None:
    from compiler.targets import durations_when_problems

    data = yaml.safe_load((ROOT / "targets" / "hailuo" / "target.yaml").read_text(encoding="utf-8"))
    data["capabilities"]["durations_when"] = [{"when": {"provider": ["freepik"]}, "durations": [6]}]
    assert durations_when_problems(data) == []
    data["capabilities"]["durations_when"] = [{"when": {"provider": ["nobody"]}, "durations": [6]}]
    assert [p[1] for p in durations_when_problems(data)] == ["provider is never 'nobody'"]
