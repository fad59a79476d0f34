"""One error hierarchy: every exception a command can raise to the creator is a FilmcError, printed one way."""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import compiler
from compiler.errors import EXIT_INPUT, EXIT_USAGE, FilmcError, FilmError, UsageError
from compiler.probe import ffmpeg_exe
from tests.render.conftest import TINY, make_audio

SKIP = ("compiler._data",)


def _package_exceptions() -> list[type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for info in pkgutil.walk_packages(compiler.__path__, "compiler."):
        if info.name.startswith(SKIP):
            continue
        module = importlib.import_module(info.name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, BaseException) and obj.__module__ == info.name:
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return list(found.values())


def test_every_public_exception_of_the_package_is_a_filmc_error() -> None:
    classes = _package_exceptions()
    names = {c.__name__ for c in classes}
    # the ones a command can raise to the creator are there (the walk finds them)
    assert {"FilmError", "UsageError", "YamlEditError", "RenderError", "ExportError", "BeatsError", "Interrupted",
            "FontMissing", "ProviderError", "MissingKey", "FrameError", "TemplateFailure", "TimeError",
            "ProbeError", "LedgerBusy"} <= names
    from compiler.interrupt import Interrupted

    stray = sorted(f"{c.__module__}.{c.__qualname__}" for c in classes
                   if not issubclass(c, (FilmcError, Interrupted)) and not c.__name__.startswith("_"))
    assert stray == []  # private control flow (`_Name`) may stay outside; nothing else


def test_a_stop_is_no_exception() -> None:
    """A stop by a signal is a BaseException, as KeyboardInterrupt is: no `except Exception` (ours, a library's,
    Jinja's) takes it for a failure. The CLI prints it as an error without diagnostics."""
    from compiler.interrupt import Interrupted
    from compiler.pipeline.build import BuildStopped

    assert not issubclass(Interrupted, Exception) and issubclass(BuildStopped, Interrupted)
    with pytest.raises(Interrupted):
        try:
            raise BuildStopped(2)
        except Exception:  # noqa: BLE001
            pytest.fail("a stop was caught as an Exception")
    assert BuildStopped(2).shown.startswith("filmc: stopped (interrupted by SIGINT)")
    assert BuildStopped(15).exit_code == 128 + 15 and BuildStopped(15).diagnostics == ()


# A command whose stop lands where Python cannot raise it as it is: in a finaliser (printed and dropped), or while
# a class is made (wrapped in a RuntimeError). The block still ends in the stop.
_LANDING = """
import os, signal, sys
from compiler.cli import main
from compiler.interrupt import interruptible

class Finalized:
    def __del__(self):
        os.kill(os.getpid(), signal.SIGTERM)

class Landing:
    def __set_name__(self, owner, name):
        os.kill(os.getpid(), signal.SIGTERM)

where = sys.argv[1]


@main.command("demo")
def demo() -> None:
    with interruptible():
        if where == "finaliser":
            x = Finalized()
            del x
        else:
            class Made:
                x = Landing()
        print("went on", where)

sys.argv = ["filmc", "demo"]
main()
"""


@pytest.mark.parametrize(("where", "out", "line"), [
    ("finaliser", "went on finaliser\n", "filmc: stopped (interrupted by SIGTERM) as the work ended: what it wrote is "
                                         "whole\n"),
    ("class", "", "filmc: stopped (interrupted by SIGTERM): nothing written\n"),
])
def test_a_stop_python_cannot_raise_where_it_lands_still_stops_the_command(where: str, out: str, line: str) -> None:
    r = subprocess.run([sys.executable, "-c", _LANDING, where], capture_output=True, text=True, timeout=60)
    assert r.returncode == 128 + 15, r.stderr
    assert (r.stdout, r.stderr) == (out, line)  # (no "Exception ignored", no traceback)


_HANDLED = """
import os, signal, sys
from compiler.interrupt import Interrupted, interruptible

def handled():
    try:
        with interruptible():
            os.kill(os.getpid(), signal.SIGTERM)
            sum(range(10**6))
    except Interrupted:
        print("handled")

with interruptible():
    handled()
print("went on")
try:
    with interruptible():
        handled()
        os.kill(os.getpid(), signal.SIGINT)  # a later signal in the same block is not lost: the block ends in it
        sum(range(10**6))
        print("to the end")
except Interrupted as e:
    print(e, e.late)
with interruptible():  # a later block of the same process stops again, at once
    os.kill(os.getpid(), signal.SIGHUP)
    sum(range(10**6))
"""


_NESTED_LATE = """
import os, signal
from compiler.interrupt import Interrupted, interruptible

class Finalized:
    def __del__(self):
        os.kill(os.getpid(), signal.SIGTERM)

try:
    with interruptible():
        with interruptible():
            x = Finalized()
            del x
        print("the outer block's work after the inner one")
except Interrupted as e:
    print(e, e.late)
"""


def test_a_late_stop_is_late_only_for_the_block_whose_work_ran_to_its_end() -> None:
    """A stop dropped in an inner block ends it late; the outer block, cut short, is not said to have finished."""
    r = subprocess.run([sys.executable, "-c", _NESTED_LATE], capture_output=True, text=True, timeout=60)
    assert r.stdout == "interrupted by SIGTERM False\n", (r.stdout, r.stderr)


def test_a_stop_handled_inside_a_block_stays_handled() -> None:
    r = subprocess.run([sys.executable, "-c", _HANDLED], capture_output=True, text=True, timeout=60)
    assert r.stdout == "handled\nwent on\nhandled\nto the end\ninterrupted by SIGINT True\n", r.stdout
    assert r.stderr.rstrip().endswith("Interrupted: interrupted by SIGHUP"), r.stderr


def test_exit_codes_follow_one_rule() -> None:
    from compiler.interrupt import Interrupted

    assert FilmError([]).exit_code == EXIT_INPUT
    assert UsageError("x").exit_code == EXIT_USAGE
    assert Interrupted(15).exit_code == 128 + 15
    for c in _package_exceptions():
        if issubclass(c, UsageError):
            assert c.exit_code == EXIT_USAGE, c
    for c in _package_exceptions():
        if issubclass(c, FilmcError) and not issubclass(c, UsageError):
            assert c.exit_code == EXIT_INPUT, c


def test_an_os_error_of_filmc_is_still_an_os_error() -> None:
    from compiler.paths import NotRegularFile

    e = NotRegularFile("/dev/null is a device")
    assert isinstance(e, OSError) and isinstance(e, FilmcError)
    assert e.diagnostics == () and e.exit_code == EXIT_INPUT and e.shown == "filmc: error: /dev/null is a device"




@pytest.fixture
def failing_ffmpeg(tmp_path: Path) -> dict[str, str]:
    """The real ffmpeg, given an option it does not know when it renders (its probes run as they are)."""
    script = tmp_path / "ffmpeg"
    script.write_text(f'#!/bin/sh\ncase " $* " in *" -progress "*) exec "{ffmpeg_exe()}" -filmc-no-such-option '
                      f'"$@";; esac\nexec "{ffmpeg_exe()}" "$@"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return {**os.environ, "FFMPEG": str(script)}


def _filmc(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from compiler.cli import main; main()", *args],
                          capture_output=True, text=True, env=env, cwd=cwd, timeout=120)


def test_a_failed_ffmpeg_is_one_line_and_its_log_comes_with_v(tmp_path: Path, failing_ffmpeg: dict[str, str]) -> None:
    (tmp_path / "film.yaml").write_text(TINY)
    make_audio(tmp_path / "song.wav", 3)
    r = _filmc("render", "--animatic", env=failing_ffmpeg, cwd=tmp_path)
    assert r.returncode == EXIT_INPUT, r.stderr
    lines = r.stderr.splitlines()
    assert lines[-2].startswith("filmc: error: ffmpeg failed (exit code ")
    assert lines[-1] == "  (run with -v to see ffmpeg's log)"
    assert "Traceback" not in r.stderr and not (tmp_path / "build" / "animatic.mp4").exists()
    v = _filmc("-v", "render", "--animatic", env=failing_ffmpeg, cwd=tmp_path)
    assert v.returncode == EXIT_INPUT
    said = v.stderr.split("ffmpeg said:\n", 1)[1]
    assert "filmc-no-such-option" in said and all(ln.startswith("  ") for ln in said.splitlines())
