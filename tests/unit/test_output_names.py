"""Shot ids whose output names collide, or are too long for a file system, are located validate errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler.errors import FilmError
from compiler.expand import expand_production
from compiler.load import load_film
from compiler.loading import resolve_film
from compiler.output_names import MAX_ID_LENGTH, MAX_NAME_BYTES, jobs_file, sheet_file, shot_names
from compiler.validate import validate_film

from ..conftest import CASES, run_cli

BASE = (CASES / "base.yaml").read_text()


def errors(tmp_path: Path, text: str) -> list:
    p = tmp_path / "film.yaml"
    p.write_text(text)
    with pytest.raises(FilmError) as info:
        validate_film(load_film(p, display="film.yaml"))
    return [d for d in info.value.diagnostics if d.severity == "error"]


@pytest.mark.parametrize(("second", "first"), [("S02", "s02"), ("s02.mystic", "s02")])
def test_colliding_ids_point_at_the_second_and_name_the_first(tmp_path: Path, second: str, first: str) -> None:
    found = errors(tmp_path, BASE.replace("  - id: s03\n", f"  - id: {second}\n"))
    assert [(d.code, d.line, d.col) for d in found] == [("V283", 41, 9)]
    assert f"'{first}'" in (found[0].hint or "") and "line 35" in (found[0].hint or "")


def test_the_second_id_is_located_whichever_comes_first(tmp_path: Path) -> None:
    text = BASE.replace("  - id: s02\n", "  - id: S03\n")
    found = errors(tmp_path, text)
    assert [(d.code, d.line) for d in found] == [("V283", 41)]
    assert "'S03'" in (found[0].hint or "")


def test_an_id_like_another_shots_negative_prompt_is_fine(tmp_path: Path) -> None:
    """No file is named after a shot and a target's negative prompt: the sheet holds every prompt."""
    p = tmp_path / "film.yaml"
    p.write_text(BASE.replace("  - id: s03\n", "  - id: s02.negative\n"))
    validate_film(load_film(p, display="film.yaml"))


def test_an_id_too_long_for_a_file_name(tmp_path: Path) -> None:
    found = errors(tmp_path, BASE.replace("  - id: s03\n", "  - id: " + "x" * 300 + "\n"))
    assert [(d.code, d.line, d.col) for d in found] == [("V284", 41, 9)]


def test_longest_allowed_id_builds(tmp_path: Path) -> None:
    long_id = "x" * MAX_ID_LENGTH
    (tmp_path / "film.yaml").write_text(BASE.replace("  - id: s03\n", f"  - id: {long_id}\n"))
    r = run_cli(["build", "film.yaml"], cwd=tmp_path)
    assert r.exit_code == 0, r.stderr
    assert f"## {long_id}:" in (tmp_path / "build" / sheet_file("kling")).read_text()
    assert all(len(n.rsplit("/", 1)[-1].encode()) < MAX_NAME_BYTES for n in shot_names(long_id, ["midjourney"], []))


def test_names_checked_are_the_names_built(tmp_path: Path) -> None:
    """validate's names come from the function the build names its files with."""
    (tmp_path / "film.yaml").write_text(BASE)
    assert run_cli(["build", "film.yaml"], cwd=tmp_path).exit_code == 0
    plan = expand_production(resolve_film(tmp_path / "film.yaml"))
    named = {n for s in plan.shots for n in shot_names(s.id, [t.name for t in plan.targets], [])}
    assert {j.job for j in plan.jobs} <= {n[4:] for n in named if n.startswith("job ")}
    for t in plan.targets:
        assert (tmp_path / "build" / sheet_file(t.name)).is_file()
    built = {p.relative_to(tmp_path / "build").as_posix() for p in (tmp_path / "build" / "jobs").rglob("*")}
    assert built == {jobs_file(t.name) for t in plan.targets if any(j.target == t.name for j in plan.jobs)}


def test_a_shot_named_like_a_title_card(tmp_path: Path) -> None:
    text = BASE.replace("  - id: s03\n", "  - id: Card-1\n") + "edit:\n  cards:\n    - {text: Case Film, at: start}\n"
    found = errors(tmp_path, text)
    assert [(d.code, d.line, d.col) for d in found] == [("V283", 41, 9)]


def test_ids_said_to_give_distinct_names_never_share_one() -> None:
    """distinct_names lets validate skip making every shot's names: whenever it says so, no two shots' names are one
    file on a case-insensitive disk (the names compared here are shot_names' and the title cards' stills)."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from compiler.output_names import card_clip_id, distinct_names, still_file

    pieces = st.sampled_from(["s", "S", "1", "01", ".", "flux", "FLUX", "kling", "card-", "card", "-", "2", "ß", "ss"])
    ids = st.lists(st.lists(pieces, min_size=1, max_size=4).map("".join), min_size=1, max_size=5)

    @given(ids)
    @settings(max_examples=400, deadline=None)
    def check(shots: list[str]) -> None:
        if not distinct_names(shots):
            return
        owners: dict[str, str] = {still_file(card_clip_id(n)).casefold(): f"card {n}" for n in range(1, 4)}
        for shot in shots:
            for name in shot_names(shot, ["flux", "kling"], ["flux"]):
                assert owners.setdefault(name.casefold(), shot) == shot, (shot, name)

    check()
