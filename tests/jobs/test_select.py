"""`filmc select`: a take written into a shot's `take:` in film.yaml, through the real CLI on real files."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ..conftest import ROOT, run_cli
from .takesfilm import BLACK, Ledger, current_jobs, image, make_film, video


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """s01: kling 1-2 and runway 1 (runway/1 failed QC), a black file dropped in; s02 (flow style): kling 1-2;
    s03: kling/1 downloaded and deleted since."""
    root = make_film(tmp_path_factory.mktemp("select") / "film")
    led = Ledger(root, current_jobs(root))
    t = root / "takes"
    for job, n, qc in (("s01.kling", 1, (True, [])), ("s01.kling", 2, (True, [])), ("s01.runway", 1, (False, BLACK)),
                       ("s02.kling", 1, (True, [])), ("s02.kling", 2, None)):
        led.attempt(job, n, qc=qc)
        shot, target = job.split(".")
        video(t / shot / target / f"{n}.mp4", black=qc is not None and not qc[0])
    led.attempt("s03.kling", 1, qc=(True, []))
    video(t / "s01" / "web.mp4", black=True)
    image(t / "s01" / "still.png", "red")
    return root


@pytest.fixture
def film(template: Path, tmp_path: Path) -> Path:
    root = tmp_path / "film"
    shutil.copytree(template, root)
    return root


def select(film: Path, *args: str, cwd: Path | None = None):  # type: ignore[no-untyped-def]
    return run_cli(["select", str(film), *args], cwd=cwd)


def changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    import difflib

    return [(ln[0], ln[1:]) for ln in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
            if ln[:1] in "+-" and not ln.startswith(("+++", "---"))]


def located(stderr: str, code: str) -> tuple[int, int]:
    m = re.search(rf"film\.yaml:(\d+):(\d+): error\[{code}\]", stderr)
    assert m, stderr
    return int(m[1]), int(m[2])


def test_a_number_selects_the_take_of_the_shots_video_target(film: Path) -> None:
    before = (film / "film.yaml").read_text()
    r = select(film, "s02", "2")
    assert r.exit_code == 0, r.stderr
    after = (film / "film.yaml").read_text()
    # flow style: the mapping keeps its form, only its line changes
    assert changed_lines(before, after) == [
        ("-", "  - {id: s02, section: a, camera: tracking, subject: a boat in the swell}"),
        ("+", "  - {id: s02, section: a, take: takes/s02/kling/2.mp4, camera: tracking, subject: a boat in the swell}")]
    assert r.stdout.startswith("--- ") and "+  - {id: s02" in r.stdout  # the diff
    assert "s02: take: takes/s02/kling/2.mp4" in r.stderr
    # the ledger had no QC for it: it was checked now (a good take)
    data = run_cli(["takes", str(film), "s02", "--format", "json"]).json()
    [take] = [t for g in data["shots"][0]["targets"] for t in g["takes"] if t["selected"]]  # type: ignore[index]
    assert take["ref"] == "kling/2"
    assert run_cli(["validate", str(film)]).exit_code == 0


def test_a_block_style_shot_gets_a_take_line_and_keeps_its_comments(film: Path) -> None:
    before = (film / "film.yaml").read_text()
    r = select(film, "s01", "kling/1")
    assert r.exit_code == 0, r.stderr
    after = (film / "film.yaml").read_text()
    assert changed_lines(before, after) == [("+", "    take: takes/s01/kling/1.mp4")]
    assert "    duration: 3   # the opening\n    take: takes/s01/kling/1.mp4\n" in after
    # selecting another replaces the value in place; the same again changes nothing
    assert select(film, "s01", "kling/2").exit_code == 0
    assert changed_lines(after, (film / "film.yaml").read_text()) == [
        ("-", "    take: takes/s01/kling/1.mp4"), ("+", "    take: takes/s01/kling/2.mp4")]
    again = select(film, "s01", "kling/2")
    assert again.exit_code == 0 and again.stdout == "" and "unchanged" in again.stderr


def test_an_ambiguous_number_lists_the_choices(film: Path) -> None:
    before = (film / "film.yaml").read_text()
    r = select(film, "s01", "1")
    assert r.exit_code == 1
    assert located(r.stderr, "C522") == (10, 9)  # at the shot's id
    assert "kling/1, runway/1" in r.stderr
    assert (film / "film.yaml").read_text() == before


def test_unknown_takes_and_shots(film: Path) -> None:
    r = select(film, "s01", "7")
    assert r.exit_code == 1 and "error[C521]" in r.stderr and "kling/1, kling/2, runway/1" in r.stderr
    r = select(film, "s01", "kling/7")
    assert r.exit_code == 1 and "error[C521]" in r.stderr
    r = select(film, "s9", "1")
    assert r.exit_code == 1 and "error[C520]" in r.stderr and "s01, s02, s03" in r.stderr
    assert located(r.stderr, "C520") == (9, 1)  # at `shots:`
    r = select(film, "s001", "1")
    assert r.exit_code == 1 and "did you mean 's01'?" in r.stderr
    r = select(film, "s01", "takes/s01/nothing.mp4")
    assert r.exit_code == 1 and "error[C521]" in r.stderr
    r = select(film, "s01")
    assert r.exit_code == 2  # neither a take nor --clear


def test_a_take_that_failed_qc_needs_force(film: Path) -> None:
    before = (film / "film.yaml").read_text()
    r = select(film, "s01", "runway/1")
    assert r.exit_code == 1 and "error[C525]" in r.stderr and "is black" in r.stderr and "--force" in r.stderr
    assert (film / "film.yaml").read_text() == before
    r = select(film, "s01", "runway/1", "--force")
    assert r.exit_code == 0, r.stderr
    assert "take: takes/s01/runway/1.mp4" in (film / "film.yaml").read_text()
    assert "failed the quality checks" in r.stderr


def test_a_dropped_in_file_is_checked_before_it_is_selected(film: Path) -> None:
    r = select(film, "s01", "takes/s01/web.mp4")  # black: the check runs now and refuses it
    assert r.exit_code == 1 and "error[C525]" in r.stderr and "C515" in r.stderr
    # a still image is a take too (render shows it for the whole shot); named from the shot's folder
    r = select(film, "s01", "still.png")
    assert r.exit_code == 0, r.stderr
    assert "take: takes/s01/still.png" in (film / "film.yaml").read_text()


def test_paths_relative_to_here_absolute_and_outside(film: Path, tmp_path: Path) -> None:
    r = select(film, "s01", "film/takes/s01/kling/2.mp4", cwd=film.parent)  # relative to the current folder
    assert r.exit_code == 0, r.stderr
    assert "take: takes/s01/kling/2.mp4" in (film / "film.yaml").read_text()
    r = select(film, "s02", str(film / "takes" / "s02" / "kling" / "1.mp4"))  # absolute, inside
    assert r.exit_code == 0, r.stderr
    assert "take: takes/s02/kling/1.mp4," in (film / "film.yaml").read_text()
    outside = video(tmp_path / "elsewhere" / "clip.mp4", 6.0)
    before = (film / "film.yaml").read_text()
    r = select(film, "s03", str(outside))
    assert r.exit_code == 1 and "error[C523]" in r.stderr and "--allow-outside-paths" in r.stderr
    (film / "takes" / "s03").mkdir(parents=True, exist_ok=True)
    (film / "takes" / "s03" / "link.mp4").symlink_to(outside)  # inside by name, outside in fact
    r = select(film, "s03", "takes/s03/link.mp4")
    assert r.exit_code == 1 and "error[C523]" in r.stderr
    assert (film / "film.yaml").read_text() == before
    r = select(film, "s03", str(outside), "--allow-outside-paths")
    assert r.exit_code == 0, r.stderr
    assert f"take: {outside}" in (film / "film.yaml").read_text()


def test_files_that_are_not_takes_are_refused(film: Path) -> None:
    (film / "takes" / "s01" / "notes.mp4").mkdir()
    r = select(film, "s01", "takes/s01/notes.mp4")
    assert r.exit_code == 1 and "error[C524]" in r.stderr and "a folder" in r.stderr
    r = select(film, "s01", "film.yaml")
    assert r.exit_code == 1 and "error[C524]" in r.stderr and "not a picture or video" in r.stderr
    r = select(film, "s03", "kling/1")  # the ledger's take, deleted since
    assert r.exit_code == 1 and "error[C524]" in r.stderr and "gone" in r.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_refused_without_blocking(film: Path) -> None:
    os.mkfifo(film / "takes" / "s01" / "pipe.mp4")
    r = subprocess.run([sys.executable, "-c", "from compiler.cli import main; main()", "select", str(film), "s01",
                        "takes/s01/pipe.mp4"], capture_output=True, text=True, timeout=60, cwd=ROOT,
                       env={**os.environ, "NO_COLOR": "1"})
    assert r.returncode == 1 and "error[C524]" in r.stderr and "pipe" in r.stderr


def test_clear_and_dry_run(film: Path) -> None:
    assert select(film, "s01", "kling/1").exit_code == 0
    with_take = (film / "film.yaml").read_text()
    r = select(film, "s01", "kling/2", "--dry-run")
    assert r.exit_code == 0 and "+    take: takes/s01/kling/2.mp4" in r.stdout and "dry run" in r.stderr
    assert (film / "film.yaml").read_text() == with_take
    r = select(film, "s01", "--clear")
    assert r.exit_code == 0, r.stderr
    assert "take:" not in (film / "film.yaml").read_text().split("- {id: s02")[0]
    assert "-    take: takes/s01/kling/1.mp4" in r.stdout
    r = select(film, "s01", "--clear")
    assert r.exit_code == 0 and r.stdout == "" and "unchanged" in r.stderr
    assert select(film, "s02", "1").exit_code == 0
    r = select(film, "s02", "--clear")  # flow style
    assert r.exit_code == 0
    assert "  - {id: s02, section: a, camera: tracking, subject: a boat in the swell}\n" in (
        film / "film.yaml").read_text()


def test_a_linked_film_yaml_stays_a_link_and_keeps_its_mode(film: Path) -> None:
    real = film / "real-film.yaml"
    (film / "film.yaml").rename(real)
    (film / "film.yaml").symlink_to("real-film.yaml")
    real.chmod(0o640)
    r = select(film, "s01", "kling/2")
    assert r.exit_code == 0, r.stderr
    assert (film / "film.yaml").is_symlink() and "take: takes/s01/kling/2.mp4" in real.read_text()
    assert real.stat().st_mode & 0o777 == 0o640


def test_render_uses_the_selected_take(film: Path) -> None:
    assert select(film, "s01", "kling/2").exit_code == 0
    r = run_cli(["render", str(film), "--select", "s01", "-o", str(film / "out.mp4")])
    assert r.exit_code == 0, r.stderr
    assert "1 take, 0 images, 0 slates" in r.stderr
