"""The path every new creator takes: init -> validate --strict -> build -> render --animatic, with the real command."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

FILMC = shutil.which("filmc", path=str(Path(sys.executable).parent)) or "filmc"


def filmc(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run([FILMC, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_starter_path_from_an_empty_folder(tmp_path: Path) -> None:
    init = filmc("init", "my-film", "--title", "Salt and Static", cwd=tmp_path)
    assert init.returncode == 0, init.stderr
    film = tmp_path / "my-film"
    assert (film / "film.yaml").is_file() and (film / ".filmc" / "film.schema.json").is_file()

    validate = filmc("validate", "--strict", "my-film", cwd=tmp_path)
    assert validate.returncode == 0, validate.stderr
    assert "warning" not in validate.stderr

    build = filmc("build", "my-film", cwd=tmp_path)
    assert build.returncode == 0, build.stderr
    sheet = (film / "build" / "prompts" / "kling.md").read_text()
    assert [line.split(":")[0] for line in sheet.splitlines() if line.startswith("## ")] == [
        f"## s0{i}" for i in range(1, 6)]
    assert (film / "build" / "jobs").is_dir() and (film / "build" / "manifest.json").is_file()

    render = filmc("render", "my-film", "--animatic", cwd=tmp_path)
    assert render.returncode == 0, render.stderr
    animatic = film / "build" / "animatic.mp4"
    assert animatic.is_file() and animatic.stat().st_size > 10_000
    # the creator is told where the animatic is and what comes next
    assert str(Path("my-film") / "build" / "animatic.mp4") in render.stdout + render.stderr
    assert "next:" in render.stdout + render.stderr


@pytest.mark.parametrize("title", ['A "quoted" \\ title', "two\nlines", "tab\there", "#not a comment: really"])
def test_starter_title_is_quoted_whatever_it_holds(tmp_path: Path, title: str) -> None:
    assert filmc("init", "f", "--title", title, cwd=tmp_path).returncode == 0
    res = filmc("validate", "--strict", "f", "--format", "json", cwd=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr


def test_output_cut_short_by_a_pipe_is_not_an_error(tmp_path: Path) -> None:
    """`filmc show FILM s06 | head -1`: the reader has gone before filmc writes; filmc stops quietly."""
    example = Path(__file__).resolve().parent.parent / "specs" / "lighthouse-keeper"
    read_end, write_end = os.pipe()
    os.close(read_end)  # nobody will read: every write fails with EPIPE
    try:
        proc = subprocess.run([FILMC, "show", str(example), "s06"], stdout=write_end, stderr=subprocess.PIPE,
                              env={**os.environ, "NO_COLOR": "1"}, timeout=60)
    finally:
        os.close(write_end)
    err = proc.stderr.decode()
    assert proc.returncode == 0, err
    assert "error" not in err and "Traceback" not in err
