"""The installed `filmc` command (compiler.cli:console): it ends the process without freeing the build's objects one
by one, yet its exit code, its output and the exit handlers are those of a normal exit."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from compiler import __version__

ROOT = Path(__file__).resolve().parents[2]
CONSOLE = "import sys; from compiler.cli import console; sys.argv[0] = 'filmc'; console()"


def _filmc(*args: str, cwd: Path, before: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", before + CONSOLE, *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


def test_the_installed_command_is_console() -> None:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'filmc = "compiler.cli:console"' in text


def test_output_and_exit_code_of_a_success(tmp_path: Path) -> None:
    r = _filmc("--version", cwd=tmp_path)
    assert r.returncode == 0 and __version__ in r.stdout


def test_a_build_writes_everything_and_says_so(tmp_path: Path) -> None:
    film = tmp_path / "film"
    shutil.copytree(ROOT / "specs" / "lighthouse-keeper", film, ignore=shutil.ignore_patterns("build"))
    r = _filmc("build", str(film), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (film / "build" / "manifest.json").is_file() and (film / "build" / "jobs").is_dir()
    assert r.stdout or r.stderr  # the summary was flushed before the process ended
    again = _filmc("build", str(film), cwd=tmp_path)
    assert again.returncode == 0 and "Traceback" not in again.stderr


def test_an_input_error_keeps_its_exit_code_and_message(tmp_path: Path) -> None:
    (tmp_path / "film.yaml").write_text("version: 1\nfilm: {title: x\n", encoding="utf-8")
    r = _filmc("validate", str(tmp_path), cwd=tmp_path)
    assert r.returncode == 1
    assert "film.yaml:" in r.stderr and "error[" in r.stderr and "Traceback" not in r.stderr


def test_a_usage_error_exits_2(tmp_path: Path) -> None:
    r = _filmc("no-such-command", cwd=tmp_path)
    assert r.returncode == 2 and "no-such-command" in r.stderr


def test_exit_handlers_run_and_their_output_is_flushed(tmp_path: Path) -> None:
    r = _filmc("--version", cwd=tmp_path, before="import atexit; atexit.register(lambda: print('handler ran')); ")
    assert r.returncode == 0
    assert r.stdout.splitlines()[-1] == "handler ran"


@pytest.mark.parametrize("fd", [1, 2])
def test_a_closed_stream_keeps_the_exit_code(tmp_path: Path, fd: int) -> None:
    """`filmc --version >&-`: started with stdout (or stderr) closed, Python has no stream to flush."""
    r = subprocess.run([sys.executable, "-c", CONSOLE, "--version"], cwd=tmp_path, capture_output=True, text=True,
                       timeout=120, preexec_fn=lambda: os.close(fd))  # noqa: PLW1509 (closes one descriptor)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
