"""Validation: structure of diagnostics (code, line, column), not their wording."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler.errors import FilmError
from compiler.load import load_film
from compiler.resolve import resolve_production
from compiler.timeline import TimeError, parse_time
from compiler.validate import validate_film

BASE = (Path(__file__).resolve().parent.parent / "cases" / "base.yaml").read_text()


def check(tmp_path: Path, text: str):
    p = tmp_path / "film.yaml"
    p.write_text(text)
    return validate_film(load_film(p, display="film.yaml"))


def found(tmp_path: Path, text: str) -> list[tuple[str, int, int]]:
    with pytest.raises(FilmError) as info:
        check(tmp_path, text)
    return sorted((d.code, d.line, d.col) for d in info.value.diagnostics if d.severity == "error")


def test_base_is_valid(tmp_path: Path) -> None:
    v = check(tmp_path, BASE)
    assert [s.id for s in v.film.shots] == ["s01", "s02", "s03", "s04"]
    assert v.warnings == ()


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("shots:\n", "shot:\n", ("V101", 28, 1)),
        ("    size: CU\n", "    size: XCU\n", ("V104", 43, 11)),
        ("    section: chorus1\n", "    section: chorus\n", ("V210", 46, 14)),
        ("cast: [keeper]", "cast: [keper]", ("V211", 44, 12)),
        ('start: "0:10"', 'start: "1:75"', ("V230", 10, 14)),
        ("    section: verse1\n    duration: 4\n", "    section: verse1\n    duration: 12\n", ("V240", 8, 7)),
        ("camera: slow push-in", "camera: slow push", ("V280", 32, 13)),
        ("video: [kling]", "video: [klingg]", ("V217", 27, 36)),
    ],
)
def test_located(tmp_path: Path, old: str, new: str, expected: tuple[str, int, int]) -> None:
    assert old in BASE
    assert found(tmp_path, BASE.replace(old, new, 1)) == [expected]


def test_all_problems_at_once(tmp_path: Path) -> None:
    text = BASE.replace("shots:\n", "shots:\n", 1).replace("    size: CU\n", "    size: XCU\n").replace(
        "cast: [keeper]", "cast: [keper]").replace("camera: orbit-left", "camera: orbit")
    codes = [c for c, _, _ in found(tmp_path, text)]
    assert codes == ["V104", "V211", "V280"]


def test_hints_name_close_matches(tmp_path: Path) -> None:
    (tmp_path / "film.yaml").write_text(BASE.replace("    section: chorus1\n", "    section: chorus\n"))
    with pytest.raises(FilmError) as info:
        validate_film(load_film(tmp_path / "film.yaml"))
    assert info.value.diagnostics[0].hint == "did you mean 'chorus1'?"


def test_paths_stay_inside(tmp_path: Path) -> None:
    film = tmp_path / "film"
    film.mkdir()
    (tmp_path / "secret.ogg").write_bytes(b"x")
    for bad in ("../secret.ogg", "/etc/passwd", "audio/../../secret.ogg"):
        text = BASE.replace("  duration: 30\n", f"  audio: {bad}\n  duration: 30\n")
        assert [c for c, _, _ in found(film, text)] == ["V260"]


def test_fill_and_timeline(tmp_path: Path) -> None:
    prod = resolve_production(check(tmp_path, BASE))
    spans = [(s.id, s.start, s.end) for s in prod.shots]
    assert spans == [("s01", 0, 10), ("s02", 10, 14), ("s03", 14, 20), ("s04", 20, 30)]
    assert [ln.text for ln in prod.shot("s02").lines] == ["first line"]
    assert prod.shot("s04").world and prod.shot("s04").world.id == "dream"
    assert prod.shot("s04").cast[0].wardrobe == "a yellow dress"  # the world's wardrobe
    assert prod.shot("s03").cast[0].wardrobe == "a grey wool coat"


def test_start_cards_are_a_preroll(tmp_path: Path) -> None:
    text = BASE + "edit:\n  cards:\n    - {text: Hello, at: start, duration: 2}\n    - {text: Bye, at: end}\n"
    prod = resolve_production(check(tmp_path, text))
    assert (prod.preroll, prod.postroll, prod.total_duration) == (2, 3, 35)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [(12.5, 12.5), ("0:24", 24), ("1:05.250", 65.25), ("1:00:00.5", 3600.5), ("7", 7), (0, 0)],
)
def test_times(value: object, seconds: float) -> None:
    assert parse_time(value) == seconds


@pytest.mark.parametrize("value", ["1:75", "1:5", "abc", -1, True, "1:60:00", None])
def test_bad_times(value: object) -> None:
    with pytest.raises(TimeError):
        parse_time(value)


def test_generation_checks_see_snapped_cuts(tmp_path: Path) -> None:
    text = ("version: 1\nfilm: {title: x}\nsong: {duration: 20, bpm: 60, beat_offset: 0.6, sections: [{id: a, start: 0}]}\n"
            "targets: {video: [kling]}\nshots:\n  - {id: s01, section: a}\n  - {id: s02, section: a}\nedit: {snap: beats}\n")
    assert [c for c, _, _ in found(tmp_path, text)] == ["V223"]


def test_asked_generation_shorter_than_the_shot(tmp_path: Path) -> None:
    text = BASE.replace("    camera: orbit-left\n", "    camera: orbit-left\n    generate: {kling: {duration: 5}}\n")
    assert [c for c, _, _ in found(tmp_path, text)] == ["V223"]


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf", "1" + "0" * 400])
def test_non_finite_numbers_are_refused(tmp_path: Path, value: str) -> None:
    codes = [c for c, _, _ in found(tmp_path, BASE.replace("  bpm: 120", f"  bpm: {value}"))]
    assert codes == ["L112"]


@pytest.mark.parametrize(
    ("old", "new", "code"),
    [
        ('aspect: "16:9"', 'aspect: "16:0"', "V296"),
        ("  duration: 30\n", '  audio: "a\\0b.ogg"\n  duration: 30\n', "V261"),  # NUL removed at load (L114)
        ("  duration: 30\n", "  audio: " + "x" * 5000 + ".ogg\n  duration: 30\n", "V260"),
        ("targets: {image", "edit: {output: {file: ../../x.mp4}}\ntargets: {image", "V260"),
    ],
)
def test_hostile_values_are_diagnostics(tmp_path: Path, old: str, new: str, code: str) -> None:
    assert old in BASE
    assert [c for c, _, _ in found(tmp_path, BASE.replace(old, new, 1))] == [code]


def test_unquoted_comma_in_a_flow_mapping_hints_at_quotes(tmp_path: Path) -> None:
    text = BASE.replace("cast: [keeper]", "cast: [{id: keeper, action: runs, looks back}]")
    with pytest.raises(FilmError) as info:
        check(tmp_path, text)
    (d,) = [d for d in info.value.diagnostics if d.severity == "error"]
    assert (d.code, d.pointer) == ("V101", "/shots/2/cast/0/looks back")
    assert d.hint and 'action: "runs, looks back"' in d.hint


def test_one_shot_moved_to_a_later_section_is_the_one_out_of_order(tmp_path: Path) -> None:
    """V216 names the fewest shots out of song order: one shot given a later section in the middle of its own is
    reported, not every shot of its own section after it."""
    more = "".join(f"  - id: s03{c}\n    section: verse1\n    cast: [keeper]\n" for c in "bc")
    text = BASE.replace("  - id: s04\n", more + "  - id: s04\n")  # verse1 has three shots after s02
    text = text.replace("    section: verse1\n", "    section: chorus1\n", 1)  # s02, between intro and verse1
    with pytest.raises(FilmError) as info:
        check(tmp_path, text)
    v216 = [d for d in info.value.diagnostics if d.code == "V216"]
    assert [(d.pointer, d.line) for d in v216] == [("/shots/1/section", 36)]
    assert "comes before shot 's03' of the earlier section 'verse1'" in v216[0].message


def test_the_shots_reported_out_of_order_are_the_fewest_that_are() -> None:
    """Whatever the order, the shots V216 keeps are in song order, and no longer such run exists."""
    import itertools

    from compiler.validate.ids import _in_order

    for seq in itertools.chain.from_iterable(itertools.product(range(3), repeat=n) for n in range(7)):
        kept = sorted(_in_order(list(seq)))
        values = [seq[i] for i in kept]
        assert values == sorted(values)
        longest = max((len(c) for r in range(len(seq) + 1) for c in itertools.combinations(seq, r)
                       if list(c) == sorted(c)), default=0)
        assert len(kept) == longest, seq


def test_a_camera_text_said_twice_is_read_for_each_shot(tmp_path: Path) -> None:
    """Shots that say the same camera get the same moves; a mistake said twice is reported at both shots."""
    cameras = [line for line in BASE.splitlines() if line.strip().startswith("camera:")]
    assert len(cameras) >= 2
    same = BASE.replace(cameras[1], cameras[1].split("camera:")[0] + "camera: tracking, then pan-left", 1)
    same = same.replace(cameras[0], cameras[0].split("camera:")[0] + "camera: tracking, then pan-left", 1)
    moving = [s.moves for s in check(tmp_path, same).film.shots if s.moves]
    assert len(moving) == 2 and moving[0] == moving[1] and [str(m) for m in moving[1]] == ["tracking", "pan-left"]
    wrong = same.replace("camera: tracking, then pan-left", "camera: tracking, then pan-lft")
    assert [c for c, _, _ in found(tmp_path, wrong)] == ["V280", "V280"]
