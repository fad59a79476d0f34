"""Every command that loads a film takes the same loading options."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from compiler.cli import main

from ..conftest import CASES, run_cli

BASE = (CASES / "base.yaml").read_text()
LOADING = ["validate", "timeline", "build", "show", "lint", "lock", "diff", "render", "export", "beats"]


def test_every_loading_command_has_the_same_options() -> None:
    shapes = set()
    for name in LOADING:
        cmd = main.commands[name]
        opts = [p for p in cmd.params if isinstance(p, click.Option) and "--allow-outside-paths" in p.opts]
        assert len(opts) == 1, name
        shapes.add((tuple(opts[0].opts), opts[0].name, opts[0].is_flag, opts[0].help))
    assert len(shapes) == 1


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A film whose character reference image lies beside, not inside, its folder."""
    (tmp_path / "ref.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    film = tmp_path / "film"
    film.mkdir()
    text = BASE.replace("    wardrobe: {default: a grey wool coat, dream: a yellow dress}\n",
                        "    wardrobe: {default: a grey wool coat, dream: a yellow dress}\n    refs: [../ref.png]\n")
    assert text != BASE
    (film / "film.yaml").write_text(text)
    return film


@pytest.mark.parametrize("args", [["show", "{film}", "s01"], ["lint", "{film}"], ["lock", "{film}"]])
def test_outside_paths_are_allowed_when_asked(outside: Path, args: list[str]) -> None:
    argv = [a.format(film=outside) for a in args]
    refused = run_cli(argv)
    assert refused.exit_code == 1 and "error[V260]" in refused.stderr
    allowed = run_cli([*argv, "--allow-outside-paths"])
    assert "V260" not in allowed.stderr + allowed.stdout
    assert allowed.exit_code == (1 if args[0] == "lint" else 0), allowed.stderr


def test_diff_allows_outside_paths_when_asked(outside: Path) -> None:
    assert run_cli(["lock", str(outside), "--allow-outside-paths"]).exit_code == 0
    assert run_cli(["diff", str(outside), "--check"]).exit_code == 1
    r = run_cli(["diff", str(outside), "--check", "--allow-outside-paths"])
    assert r.exit_code == 0, r.stderr
