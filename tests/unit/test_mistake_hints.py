"""The hint fits the mistake: a misspelt key in a block mapping gets "did you mean", a comma in `{ }` the quoting
advice, a key or list item indented one space off the line it should line up with says so."""

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


def problems(tmp_path: Path, text: str) -> list[tuple[str, int, int, str]]:
    p = tmp_path / "film.yaml"
    p.write_text(text)
    with pytest.raises(FilmError) as info:
        validate_film(load_film(p, display="film.yaml"))
    return [(d.code, d.line, d.col, d.hint or "") for d in info.value.diagnostics if d.severity == "error"]


def line_of(text: str, needle: str) -> int:
    return text.splitlines().index(needle) + 1


@pytest.mark.parametrize("value", ["", " shore"])
def test_a_misspelt_key_in_a_block_mapping_is_asked_about(tmp_path: Path, value: str) -> None:
    text = starter(tmp_path)
    edited = text.replace("    location: shore\n", f"    locaton:{value}\n", 1)
    (code, line, col, hint), *_ = problems(tmp_path, edited)
    assert (code, line, col) == ("V101", line_of(edited, f"    locaton:{value}"), 5)
    assert "did you mean 'location'?" in hint and "comma" not in hint


def test_an_unknown_key_like_none_lists_the_keys(tmp_path: Path) -> None:
    text = starter(tmp_path)
    edited = text.replace("    location: shore\n", "    zzzz:\n", 1)
    (code, line, col, hint), *_ = problems(tmp_path, edited)
    assert (code, line, col) == ("V101", line_of(edited, "    zzzz:"), 5)
    assert "location" in hint and "subject" in hint and "comma" not in hint


def test_a_comma_in_a_flow_mapping_keeps_the_quoting_hint(tmp_path: Path) -> None:
    text = starter(tmp_path)
    old = "action: walking along the waterline,"
    edited = text.replace(old, "action: walking along, the waterline,")
    ((code, line, col, hint),) = problems(tmp_path, edited)
    row = next(i for i, t in enumerate(edited.splitlines(), 1) if "walking along, the" in t)
    assert (code, line, col) == ("V101", row, edited.splitlines()[row - 1].index("the waterline") + 1)
    assert 'action: "walking along, the waterline"' in hint


# (old line, new line, the line it should line up with): keys and list items one space too far or too little.
INDENTS = {
    "key one space too far": ("    size: EWS", "     size: EWS", "    section: intro"),
    "key one space too little": ("    size: EWS", "   size: EWS", "    section: intro"),
    "key two spaces too far": ("    angle: high", "      angle: high", "    size: EWS"),
    "top-level child one too far": ("  palette: muted blues and greys", "   palette: muted blues and greys",
                                    "  style: [cinematic, realistic]"),
    "top-level child one too little": ("  palette: muted blues and greys", " palette: muted blues and greys",
                                       "  style: [cinematic, realistic]"),
    "list item one too far": ("  - id: s02", "   - id: s02", "  - id: s01"),
    "list item one too little": ("  - id: s02", " - id: s02", "  - id: s01"),
    "section key one too far": ("      tag: Verse", "       tag: Verse", "    - id: verse1"),
}


@pytest.mark.parametrize("name", list(INDENTS))
def test_an_indentation_mistake_says_which_lines_do_not_line_up(tmp_path: Path, name: str) -> None:
    old, new, other = INDENTS[name]
    text = starter(tmp_path)
    lines = text.splitlines()
    assert old in lines
    at = lines.index(old)
    edited = "\n".join([*lines[:at], new, *lines[at + 1:]]) + "\n"
    ((code, line, col, hint),) = problems(tmp_path, edited)
    indent = len(new) - len(new.lstrip(" "))
    assert (code, line, col) == ("L101", at + 1, indent + 1)
    assert "line up" in hint and "quote" not in hint and "bracket" not in hint
    msg = load_error(tmp_path, edited)
    assert f"line {line_of(edited, other)} above" in msg  # names the line it does not line up with


def load_error(tmp_path: Path, text: str) -> str:
    p = tmp_path / "film.yaml"
    p.write_text(text)
    with pytest.raises(FilmError) as info:
        load_film(p, display="film.yaml")
    return info.value.diagnostics[0].message


def test_the_first_key_sets_the_indentation_the_next_one_misses(tmp_path: Path) -> None:
    """`name:` one space short, `short:` below it as the starter has it: YAML takes name's indentation for the
    mapping's, so the error is at `short:`, and it names both lines."""
    text = starter(tmp_path)
    edited = text.replace("\n    name: Mara ", "\n   name: Mara ")
    ((code, line, col, hint),) = problems(tmp_path, edited)
    short = next(i for i, t in enumerate(edited.splitlines(), 1) if t.startswith("    short: woman"))
    assert (code, line, col) == ("L101", short, 5)
    assert f"line {short - 1} " in load_error(tmp_path, edited) and "line up" in hint


@pytest.mark.parametrize(("old", "new", "hint"), [
    ("    subject: waves folding onto dark sand", "    subject: waves: folding onto dark sand", "must be quoted"),
    ("    subject: waves folding onto dark sand", "    subject: [waves, folding", "unclosed"),
    ('  title: "Untitled Film"', '  title: "Untitled \\xZZ Film"', "backslash starts an escape"),
    ('  title: "Untitled Film"', '  title: "C:\\films\\sea"', "backslash starts an escape"),
])
def test_quoting_mistakes_keep_their_hints(tmp_path: Path, old: str, new: str, hint: str) -> None:
    text = starter(tmp_path)
    assert old in text
    ((code, _, _, got),) = problems(tmp_path, text.replace(old, new))
    assert code == "L101" and hint in got and "line up" not in got


def test_an_unclosed_quote_is_pointed_at_where_it_opens(tmp_path: Path) -> None:
    """YAML reads an unclosed quote on to the next quote, lines below, and fails there: the error is placed at the
    quote that opened it."""
    text = starter(tmp_path)
    edited = text.replace("    time: dawn, light drizzle\n", '    time: "dawn, light drizzle\n', 1)
    assert edited != text
    (code, line, col, hint), = problems(tmp_path, edited)
    assert (code, line, col) == ("L101", line_of(edited, '    time: "dawn, light drizzle'), 11)
    assert "close the quote" in hint


def test_a_quote_the_file_ends_in_is_pointed_at_where_it_opens(tmp_path: Path) -> None:
    text = starter(tmp_path)
    edited = text.rstrip("\n") + '\n# the end\n' + "notes: 'an open quote\n"
    (code, line, col, hint), = problems(tmp_path, edited)
    assert (code, line, col) == ("L101", line_of(edited, "notes: 'an open quote"), 8)
    assert "close the quote" in hint


def test_an_undefined_alias_is_named(tmp_path: Path) -> None:
    text = starter(tmp_path)
    edited = text.replace("    time: dawn, light drizzle\n", "    time: *morning\n", 1)
    p = tmp_path / "film.yaml"
    p.write_text(edited)
    with pytest.raises(FilmError) as info:
        load_film(p, display="film.yaml")
    (d,) = info.value.diagnostics
    assert (d.code, d.line) == ("L101", line_of(edited, "    time: *morning")) and "'*morning'" in d.message


def test_a_quoted_value_over_two_lines_is_not_blamed_for_a_mistake_below(tmp_path: Path) -> None:
    text = starter(tmp_path)
    edited = (text.replace('  title: "Untitled Film"\n', '  title: "Untitled\n    Film"\n', 1)
              .replace('  aspect: "16:9"', '  aspect: "16:9" wide', 1))
    assert edited.count("Untitled\n    Film") == 1 and '"16:9" wide' in edited
    (code, line, _col, _hint), = problems(tmp_path, edited)
    assert code == "L101" and line == next(i for i, t in enumerate(edited.splitlines(), 1) if '"16:9" wide' in t)


# (a line put after `after`, the line it should line up with): the line above it is a block scalar's text or a
# value's deeper children, not what it belongs with.
AFTER_DEEPER = {
    "key one too far after lyrics": ("        Second line of the verse", "       world: dream", "      lyrics: |"),
    "key one too little after lyrics": ("        Second line of the verse", "     world: dream", "      lyrics: |"),
    "key one too far after a block list": ("      - {id: hero, action: walking along the waterline",
                                          "     size: MS", "    cast:"),
}


@pytest.mark.parametrize("name", list(AFTER_DEEPER))
def test_an_indentation_mistake_below_deeper_lines_names_the_line_it_belongs_with(tmp_path: Path, name: str) -> None:
    after, new, other = AFTER_DEEPER[name]
    text = starter(tmp_path)
    if name.endswith("block list"):  # the shot's cast as a block list, its item deeper than the shot's keys
        flow = next(t for t in text.splitlines() if t.startswith("    cast: [{id: hero, action: walking along"))
        text = text.replace(flow + "\n", "    cast:\n      - " + flow[len("    cast: ["):-1] + "\n", 1)
    lines = text.splitlines()
    at = next(i for i, t in enumerate(lines) if t.startswith(after))
    edited = "\n".join([*lines[:at + 1], new, *lines[at + 1:]]) + "\n"
    ((code, line, col, hint),) = problems(tmp_path, edited)
    assert (code, line, col) == ("L101", at + 2, len(new) - len(new.lstrip(" ")) + 1)
    assert "line up" in hint
    assert f"line {line_of(edited, other)} above" in load_error(tmp_path, edited)


@pytest.mark.parametrize(("old", "new", "after", "other"), [
    ("  avoid: [text, watermark, extra fingers]\n", "  avoid:\n    - |\n      text, watermark\n     palette2: x\n",
     "     palette2: x", "    - |"),
    ("      lyrics: |\n", "      lyrics: &verse |\n", "        Second line of the verse", "      lyrics: &verse |"),
    ("      lyrics: |\n", "      lyrics: !!str |\n", "        Second line of the verse", "      lyrics: !!str |"),
])
def test_block_text_after_a_dash_an_anchor_or_a_tag_is_not_named(tmp_path: Path, old: str, new: str, after: str,
                                                                 other: str) -> None:
    text = starter(tmp_path).replace(old, new, 1)
    if "lyrics" in old:
        text = text.replace(after + "\n", after + "\n       world: dream\n", 1)
    ((code, _line, _col, _hint),) = problems(tmp_path, text)
    assert code == "L101"
    assert f"line {line_of(text, other)} above" in load_error(tmp_path, text)


def test_a_comment_ending_in_a_block_indicator_starts_no_block_scalar() -> None:
    from compiler.load.yaml_errors import _block_text

    lines = ["shots:", "  - id: s01", "    cast:   # was: >", "      - {id: hero}", "    text: |", "      the text",
             "    angle: high"]
    assert _block_text(lines, len(lines)) == {5}  # the text, not the cast's item


@pytest.mark.parametrize("key", ["characters", "locations"])
def test_a_misspelled_section_of_the_film_is_one_error_not_one_per_reference(tmp_path: Path, key: str) -> None:
    text = starter(tmp_path)
    wrong = key[:4] + key[5:]  # "charcters", "locaions"
    edited = text.replace(f"\n{key}:", f"\n{wrong}:", 1)
    assert edited != text
    ((code, line, _col, hint),) = problems(tmp_path, edited)
    assert (code, line) == ("V101", line_of(edited, f"{wrong}:")) and f"'{key}'" in hint
