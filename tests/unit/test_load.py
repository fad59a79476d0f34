"""The loader: YAML 1.2 scalars, located diagnostics, refusals of hostile input."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from compiler.errors import FilmError
from compiler.load import MAX_BYTES, load_film


def problems(text: str) -> list[tuple[str, int, int]]:
    with pytest.raises(FilmError) as info:
        load_film("film.yaml", text=text)
    return [(d.code, d.line, d.col) for d in info.value.diagnostics]


def test_yaml12_scalars() -> None:
    doc = load_film("f", text="a: 0:24\nb: no\nc: off\nd: y\ne: 1:30:00\nf: 12.5\ng: 0x10\nh: true\ni: ~\nj: 010\n")
    assert doc.data == {"a": "0:24", "b": "no", "c": "off", "d": "y", "e": "1:30:00", "f": 12.5, "g": 16,
                        "h": True, "i": None, "j": 10}


def test_source_map_points_at_values_and_keys() -> None:
    doc = load_film("f", text="film:\n  title: x\nshots:\n  - id: s01\n    size:   WS\n")
    assert doc.locate("/shots/0/size") == (5, 13)
    assert doc.locate("/shots/0/size", key=True) == (5, 5)
    assert doc.locate("/shots/0/missing") == (4, 5)  # nearest located ancestor


def test_duplicate_key_names_both_places() -> None:
    with pytest.raises(FilmError) as info:
        load_film("f", text="a: 1\nb:\n  c: 1\n  c: 2\n")
    d = info.value.diagnostics[0]
    assert (d.code, d.line, d.col) == ("L111", 4, 3)
    assert "line 3, column 3" in d.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ("L105", 1, 1)),
        ("# only a comment\n", ("L105", 1, 1)),
        ("- a\n- b\n", ("L106", 1, 1)),
        ("just text\n", ("L106", 1, 1)),
        ("a:\n\tb: 1\n", ("L104", 2, 1)),
        ("a: b: c\n", ("L101", 1, 5)),
        ("a: [1, 2\n", ("L101", 1, 4)),  # where the list opens
        ("a: !!python/object:os.system x\n", ("L113", 1, 4)),
        ("a: &x [*x]\n", ("L107", 1, 1)),
        ("? [a, b]\n: 1\n", ("L110", 1, 3)),
    ],
)
def test_bad_documents(text: str, expected: tuple[str, int, int]) -> None:
    assert problems(text)[0] == expected


def test_not_utf8_is_located(tmp_path: Path) -> None:
    p = tmp_path / "film.yaml"
    p.write_bytes(b"version: 1\nfilm: {title: caf\xe9}\n")
    with pytest.raises(FilmError) as info:
        load_film(p)
    d = info.value.diagnostics[0]
    assert (d.code, d.line, d.col) == ("L102", 2, 18)


def test_utf16_and_binary_are_refused(tmp_path: Path) -> None:
    p = tmp_path / "film.yaml"
    p.write_bytes("version: 1\n".encode("utf-16"))
    with pytest.raises(FilmError) as info:
        load_film(p)
    assert info.value.diagnostics[0].code == "L102"
    p.write_bytes(b"version: 1\n\x00\x01\x02")
    with pytest.raises(FilmError) as info:
        load_film(p)
    assert info.value.diagnostics[0].code == "L102"


def test_bom_is_accepted(tmp_path: Path) -> None:
    p = tmp_path / "film.yaml"
    p.write_bytes(b"\xef\xbb\xbfversion: 1\n")
    assert load_film(p).data == {"version": 1}


def test_billion_laughs_is_refused_fast() -> None:
    text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    prev = "a"
    for n in "bcdefghijk":
        text += f"{n}: &{n} [" + ",".join([f"*{prev}"] * 9) + "]\n"
        prev = n
    started = time.process_time()
    assert problems(text)[0][0] == "L107"
    assert time.process_time() - started < 5  # a guard against hanging, not a benchmark


def test_small_aliases_are_fine() -> None:
    doc = load_film("f", text="a: &s [x, y]\nb: *s\n")
    assert doc.data == {"a": ["x", "y"], "b": ["x", "y"]}


def test_oversized_file_is_refused_before_parsing(tmp_path: Path) -> None:
    p = tmp_path / "film.yaml"
    with p.open("wb") as f:
        f.truncate(MAX_BYTES + 1)
    with pytest.raises(FilmError) as info:
        load_film(p)
    assert info.value.diagnostics[0].code == "L103"


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(FilmError) as info:
        load_film(tmp_path / "nope.yaml")
    assert info.value.diagnostics[0].code == "L100"
    with pytest.raises(FilmError) as info:
        load_film(tmp_path)
    assert info.value.diagnostics[0].code == "L100"


def test_control_characters_are_removed_with_a_located_warning() -> None:
    text = ('film: {title: "Bad\\0title\\e]0;retitled\\a end"}\n'
            'lyrics: "line\\r\\nnext \\u202eevil\\x9b2J"\n'
            '"k\\x1bey": plain\n'
            'ok: "tabs\\tand\\nnewlines stay"\n')
    doc = load_film("f", text=text)
    assert doc.data == {"film": {"title": "Badtitle]0;retitled end"}, "lyrics": "line\nnext evil2J",
                        "key": "plain", "ok": "tabs\tand\nnewlines stay"}
    assert [(d.code, d.severity, d.line, d.col) for d in doc.warnings] == [
        ("L114", "warning", 1, 15), ("L114", "warning", 2, 9), ("L114", "warning", 3, 1)]
    assert "U+0000" in doc.warnings[0].message and "U+001B" in doc.warnings[0].message


def test_control_character_rule_is_one_for_every_output(tmp_path: Path) -> None:
    """What load removed never reaches prompts, jobs, the render script or `filmc show`."""
    import re

    from tests.conftest import run_cli

    (tmp_path / "film.yaml").write_text(
        'version: 1\nfilm: {title: "T\\0\\e]0;x\\a", aspect: "16:9"}\n'
        'song:\n  duration: "0:08"\n  sections: [{id: intro, tag: Intro, start: 0, lyrics: "la \\x1b[31mla"}]\n'
        'targets: {image: [mystic], video: [kling]}\n'
        'shots: [{id: s01, section: intro, subject: "waves \\x9b31m", background_motion: spray}]\n', encoding="utf-8")
    res = run_cli(["validate", str(tmp_path)])
    assert res.exit_code == 0 and res.stderr.count("warning[L114]") == 3
    assert run_cli(["build", str(tmp_path)]).exit_code == 0
    shown = run_cli(["show", str(tmp_path), "s01"])
    bad = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
    assert shown.exit_code == 0 and not bad.search(shown.stdout)
    for f in (tmp_path / "build").rglob("*"):
        if f.is_file() and f.suffix in {".txt", ".jsonl", ".json", ".sh", ".srt", ".md", ".csv", ".ffgraph"}:
            assert not bad.search(f.read_text(encoding="utf-8")), f


def test_a_pipe_in_place_of_film_yaml_is_refused_without_blocking(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    os.mkfifo(tmp_path / "film.yaml")
    proc = subprocess.run([sys.executable, "-c", "from compiler.cli import main; main()", "validate", str(tmp_path)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert "error[L100]" in proc.stderr and "pipe" in proc.stderr


def test_a_colon_inside_a_flow_mapping_value_hints_at_quotes() -> None:
    with pytest.raises(FilmError) as info:
        load_film("f", text="shots:\n  - {id: s01, subject: she says: go}\n")
    (d,) = info.value.diagnostics
    assert (d.code, d.line) == ("L101", 2) and d.hint and "must be quoted" in d.hint


def test_a_misnamed_film_file_points_at_the_film_yaml_beside_it(tmp_path: Path) -> None:
    (tmp_path / "film.yaml").write_text("version: 1\n")
    with pytest.raises(FilmError) as info:
        load_film(tmp_path / "film.yml")
    [d] = info.value.diagnostics
    assert d.code == "L100" and d.hint == f"did you mean {tmp_path / 'film.yaml'}?"


@pytest.mark.parametrize(("value", "opened", "closer"), [("[quiet, calm", "list", "]"), ("{a: quiet, b: calm", "mapping", "}")])
def test_a_bracket_left_open_is_reported_where_it_opens(tmp_path: Path, value: str, opened: str, closer: str) -> None:
    p = tmp_path / "film.yaml"
    p.write_text(f"version: 1\nfilm:\n  title: t\n  mood: {value}\n  aspect: 16:9\n")
    with pytest.raises(FilmError) as info:
        load_film(p)
    [d] = info.value.diagnostics
    assert (d.code, d.line, d.col) == ("L101", 4, 9)
    assert f"the {opened} opened here" in d.message and (d.hint or "").endswith(f"close it with '{closer}' where the {opened} ends")


def test_a_mistake_inside_a_list_that_spans_lines_is_reported_where_it_is(tmp_path: Path) -> None:
    """A list closed on a later line is not an unclosed bracket: the mistake is placed where YAML found it."""
    p = tmp_path / "film.yaml"
    p.write_text("version: 1\nfilm:\n  title: t\n  mood: [quiet,\n    calm, dark: x: y]\n")
    with pytest.raises(FilmError) as info:
        load_film(p)
    [d] = info.value.diagnostics
    assert (d.code, d.line) == ("L101", 5) and "opened here" not in d.message
