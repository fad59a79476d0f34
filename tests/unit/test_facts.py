"""Each film.yaml fact has one Python statement (compiler/model.py): the camera moves, the transitions, the shot
sizes and angles, and the defaults. The schemas, the prompt vocabulary, the codes table and the docs are checked
against it here, so a move or a default added in one place and not the others fails."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from compiler import model
from compiler.codes import CODES
from compiler.expand.vocab import ANGLE_WORDS, CAMERA_DIRECTIONS, CAMERA_WORDS, SIZE_WORDS
from compiler.model import ANGLES, CAMERA_MOVES, SIZES, TRANSITIONS
from compiler.targets import builtin_targets

ROOT = Path(__file__).resolve().parents[2]
FILM = json.loads((ROOT / "schema" / "film.schema.json").read_text(encoding="utf-8"))
TARGET = json.loads((ROOT / "schema" / "target.schema.json").read_text(encoding="utf-8"))
DOCS = (ROOT / "docs" / "film-yaml.md").read_text(encoding="utf-8")


def _doc_row(key: str) -> str:
    rows = [line for line in DOCS.splitlines() if line.startswith(f"| `{key}` |")]
    assert rows, f"docs/film-yaml.md has no row for `{key}`"
    return rows[0]


def test_camera_moves_are_the_models() -> None:
    assert TARGET["$defs"]["move"]["enum"] == list(CAMERA_MOVES)
    assert TARGET["$defs"]["cameraMap"]["required"] == list(CAMERA_MOVES)
    assert list(CAMERA_WORDS) == list(CAMERA_MOVES) and list(CAMERA_DIRECTIONS) == list(CAMERA_MOVES)
    camera = FILM["$defs"]["shot"]["properties"]["camera"]["description"]
    assert "one of: " + ", ".join(CAMERA_MOVES) + ";" in camera
    assert "`" + " ".join(CAMERA_MOVES) + "`" in _doc_row("camera")
    assert " ".join(CAMERA_MOVES) in CODES["V280"][1]


@pytest.mark.parametrize("name", sorted(t.name for t in builtin_targets().values() if t.capabilities.camera))
def test_a_built_in_camera_map_names_every_move(name: str) -> None:
    assert list(builtin_targets()[name].capabilities.camera) == list(CAMERA_MOVES)


def test_transitions_are_the_models() -> None:
    assert FILM["$defs"]["transition_kind"]["enum"] == list(TRANSITIONS)
    row = _doc_row("transition")
    for kinds in re.findall(r"(?:in|out): ([a-z|]+)", row):
        assert sorted(kinds.split("|")) == sorted(TRANSITIONS)
    assert f"`{model.default(model.Transition, 'into')}` (default)" in row


def test_sizes_and_angles_are_the_models() -> None:
    shot = FILM["$defs"]["shot"]["properties"]
    assert shot["size"]["enum"] == list(SIZES) and list(SIZE_WORDS) == list(SIZES)
    assert shot["angle"]["enum"] == list(ANGLES) and list(ANGLE_WORDS) == list(ANGLES)


# Every `default` in the film schema, and the dataclass field it is filled into.
DEFAULTS: dict[str, tuple[type, str]] = {
    "/properties/film/properties/aspect": (model.FilmInfo, "aspect"),
    "/properties/film/properties/fps": (model.FilmInfo, "fps"),
    "/properties/film/properties/keep_rate": (model.FilmInfo, "keep_rate"),
    "/properties/song/properties/beat_offset": (model.Song, "beat_offset"),
    "/properties/edit/properties/subtitles": (model.Edit, "subtitles"),
    "/properties/edit/properties/snap": (model.Edit, "snap"),
    "/$defs/output/properties/crf": (model.Output, "crf"),
    "/$defs/output/properties/preset": (model.Output, "preset"),
    "/$defs/transition_full/properties/in": (model.Transition, "into"),
    "/$defs/transition_full/properties/out": (model.Transition, "out"),
    "/$defs/transition_full/properties/duration": (model.Transition, "duration"),
    "/$defs/shot/properties/allow_names": (model.Shot, "allow_names"),
    "/$defs/shot/properties/reverse": (model.Shot, "reverse"),
    "/$defs/shot/properties/speed": (model.Shot, "speed"),
    "/$defs/shot/properties/extend": (model.Shot, "extend"),
    "/$defs/shot/properties/mode": (model.Shot, "mode"),
    "/$defs/card/properties/duration": (model.Card, "duration"),
    "/$defs/card/properties/fade": (model.Card, "fade"),
}
# A grade's adjustments are None in the model when unset: the renderer then leaves them out, which is the neutral
# value the schema states (brightness 0, contrast/saturation/gamma 1).
NEUTRAL = {"/$defs/grade/properties/" + k: v for k, v in
           (("brightness", 0), ("contrast", 1), ("saturation", 1), ("gamma", 1))}


def _schema_defaults(node: Any, ptr: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    if isinstance(node, dict):
        if "default" in node and "/examples" not in ptr:
            out[ptr] = node["default"]
        for k, v in node.items():
            if k not in ("examples",):
                out.update(_schema_defaults(v, f"{ptr}/{k}"))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.update(_schema_defaults(v, f"{ptr}/{i}"))
    return out


def test_every_schema_default_is_the_dataclass_default() -> None:
    found = _schema_defaults(FILM)
    assert set(found) == set(DEFAULTS) | set(NEUTRAL), "a default in the schema with no dataclass field (or gone)"
    for ptr, (cls, name) in DEFAULTS.items():
        assert found[ptr] == model.default(cls, name), ptr
    assert {p: found[p] for p in NEUTRAL} == NEUTRAL


def test_the_builder_fills_in_the_dataclass_defaults(tmp_path: Path) -> None:
    """A film that sets none of the defaulted fields gets the dataclass defaults (validate/build.py reads them)."""
    from compiler.load import load_film
    from compiler.validate import validate_film

    film = tmp_path / "film.yaml"
    film.write_text("version: 1\nfilm: {title: T}\nsong:\n  sections: [{id: a, start: 0}]\n  duration: 10\n"
                    "targets: {image: [flux]}\nshots:\n  - {id: s1, section: a, subject: a lighthouse,"
                    " transition: {in: fade}}\nedit:\n  cards: [{text: Hi, at: start}]\n  output: {}\n",
                    encoding="utf-8")
    f = validate_film(load_film(film), probe_audio=False).film
    shot, card = f.shots[0], f.edit.cards[0]
    assert (f.info.aspect, f.info.fps, f.info.keep_rate) == tuple(
        model.default(model.FilmInfo, n) for n in ("aspect", "fps", "keep_rate"))
    assert (shot.transition.out, shot.transition.duration) == (model.default(model.Transition, "out"),
                                                               model.default(model.Transition, "duration"))
    assert (shot.speed, shot.mode, shot.trim_in) == tuple(model.default(model.Shot, n)
                                                          for n in ("speed", "mode", "trim_in"))
    assert (card.duration, card.fade) == (model.default(model.Card, "duration"), model.default(model.Card, "fade"))
    assert (f.edit.output.crf, f.edit.output.preset) == (20, "medium")
    assert (f.edit.subtitles, f.edit.snap, f.song.beat_offset) == ("none", "none", 0.0)
