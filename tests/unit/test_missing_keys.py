"""A missing required key is reported once, where the item is, with its hint: not again by the checks that would
judge the film without the item (a shot "in an unknown section", a section left unfilled, a song of unknown length)."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler.errors import FilmError
from compiler.load import load_film
from compiler.validate import validate_film
from tests.conftest import run_cli


def starter(tmp_path: Path) -> str:
    assert run_cli(["init", str(tmp_path / "s")]).exit_code == 0
    return (tmp_path / "s" / "film.yaml").read_text()


def errors(tmp_path: Path, text: str) -> list[tuple[str, int, int, str | None]]:
    p = tmp_path / "film.yaml"
    p.write_text(text)
    with pytest.raises(FilmError) as info:
        validate_film(load_film(p, display="film.yaml"))
    return [(d.code, d.line, d.col, d.hint) for d in info.value.diagnostics if d.severity == "error"]


def line_of(text: str, needle: str) -> int:
    return text.splitlines().index(needle) + 1


# Each: what the edit removes (old -> new), and the line whose item lacks the key (found in the edited text).
CASES = {
    "a shot's id": ("  - id: s02\n    section: verse1\n", "  - section: verse1\n", "  - section: verse1", 5),
    "a shot's section": ("  - id: s02\n    section: verse1\n", "  - id: s02\n", "  - id: s02", 5),
    "the first shot's id": ("  - id: s01\n    section: intro\n", "  - section: intro\n", "  - section: intro", 5),
    "a section's id": ("    - id: verse1\n      tag: Verse\n", "    - tag: Verse\n", "    - tag: Verse", 7),
    "the first section's id": ("    - {id: intro, tag: Intro, start: 0}", "    - {tag: Intro, start: 0}",
                               "    - {tag: Intro, start: 0}", 7),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_missing_key_is_reported_once_at_its_item(tmp_path: Path, name: str) -> None:
    old, new, item, col = CASES[name]
    text = starter(tmp_path)
    assert old in text
    edited = text.replace(old, new)
    found = errors(tmp_path, edited)
    assert [(code, line, c) for code, line, c, _ in found] == [("V102", line_of(edited, item), col)]
    assert found[0][3]  # the hint says what the key is


def test_a_missing_song_is_reported_once(tmp_path: Path) -> None:
    text = starter(tmp_path)
    song = text[text.index("song:\n"):text.index("story:")]
    found = errors(tmp_path, text.replace(song, ""))
    assert [(code, line, col) for code, line, col, _ in found] == [("V102", 5, 1)]


def test_missing_sections_are_reported_once(tmp_path: Path) -> None:
    text = starter(tmp_path)
    sections = text[text.index("  sections:"):text.index("story:")]
    edited = text.replace(sections, "\n")
    found = errors(tmp_path, edited)
    assert [(code, line, col) for code, line, col, _ in found] == [("V102", line_of(edited, "song:"), 1)]


def test_a_real_problem_beside_is_still_reported(tmp_path: Path) -> None:
    """Only the consequences are left out: an unknown location in another shot is its own problem."""
    text = starter(tmp_path).replace("  - id: s02\n    section: verse1\n", "  - section: verse1\n")
    text = text.replace("    location: shore\n    cast: [{id: hero, action: looking up",
                        "    location: shorre\n    cast: [{id: hero, action: looking up")
    assert [code for code, *_ in errors(tmp_path, text)] == ["V102", "V213"]
