"""A template is read once per command; the next command in the same process (`filmc board --serve`) sees a
template edited since, imported ones too."""

from __future__ import annotations

from pathlib import Path

from compiler.expand import expand_production
from compiler.loading import resolve_film

from .test_template_limits import user_target


def _prompts(folder: Path) -> set[str]:
    plan = expand_production(resolve_film(folder / "film.yaml"), targets=["mystic"])
    return {p.text for p in plan.prompts}


def test_an_imported_template_edited_between_commands_is_read_again(tmp_path: Path) -> None:
    folder = user_target(tmp_path, {"prompt.j2": '{% import "parts.j2" as parts %}{{ parts.words() }} a room',
                                    "parts.j2": "{% macro words() %}first{% endmacro %}"})
    assert _prompts(folder) == {"first a room"}
    (folder / "targets" / "mystic" / "parts.j2").write_text("{% macro words() %}second{% endmacro %}")
    assert _prompts(folder) == {"second a room"}
