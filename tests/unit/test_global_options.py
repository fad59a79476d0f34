"""-v, -q and --traceback work before the command and after it alike (`filmc -q build` = `filmc build -q`)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import run_cli


@pytest.fixture
def film(tmp_path: Path) -> Path:
    assert run_cli(["init", str(tmp_path / "f")]).exit_code == 0
    return tmp_path / "f"


@pytest.mark.parametrize("flags", [["-q"], ["-v"], ["--traceback"], ["-q", "-q"], ["-v", "--traceback"]])
@pytest.mark.parametrize("command", [["validate"], ["build"], ["timeline"], ["lint"], ["cost"]])
def test_the_global_flags_mean_the_same_after_the_command(film: Path, command: list[str], flags: list[str]) -> None:
    before = run_cli([*flags, *command, str(film)])
    shutil.rmtree(film / "build", ignore_errors=True)  # the second build writes what the first did
    after = run_cli([*command, str(film), *flags])
    assert after.exit_code == before.exit_code == 0, after.stderr
    assert (after.stdout, after.stderr) == (before.stdout, before.stderr)


def test_quiet_and_verbose_after_the_command_take_effect(film: Path) -> None:
    assert "ok (5 shots" in run_cli(["validate", str(film)]).stdout
    assert run_cli(["validate", str(film), "-q"]).stdout == ""
    built = run_cli(["build", str(film), "-v"])
    assert built.exit_code == 0 and "wrote " in built.stdout and "prompts/kling.md" in built.stdout
    assert run_cli(["build", str(film), "--quiet"]).stdout == ""


def test_a_subgroups_commands_take_them_too(film: Path) -> None:
    for args in (["targets", "list", "-q"], ["targets", "show", "kling", "-v"], ["-q", "targets", "list"]):
        res = run_cli(args)
        assert res.exit_code == 0, res.stderr


def test_each_commands_help_lists_them_once() -> None:
    for command in (["build"], ["validate"], ["run"], ["targets", "show"]):
        text = run_cli([*command, "--help"]).stdout
        assert text.count("--quiet") == 1 and text.count("--verbose") == 1 and text.count("--traceback") == 1


@pytest.fixture
def failing_command():  # type: ignore[no-untyped-def]
    """A command that fails as a bug would, registered on the real group for the test (and removed after)."""

    from compiler.cli import main

    @main.command("fail-for-test")
    def fail() -> None:
        raise RuntimeError("a bug")

    yield "fail-for-test"
    del main.commands["fail-for-test"]


def test_traceback_after_the_command_shows_it(failing_command: str) -> None:
    plain = run_cli([failing_command])
    assert plain.exit_code == 3 and "Traceback" not in plain.stderr and "--traceback" in plain.stderr
    for args in (["--traceback", failing_command], [failing_command, "--traceback"]):
        res = run_cli(args)
        assert res.exit_code == 3 and "Traceback (most recent call last)" in res.stderr, args
