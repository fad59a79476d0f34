"""A film's own target templates run within a time budget, and refused includes say why."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ..conftest import CASES, ROOT

BASE = (CASES / "base.yaml").read_text()
FILMC = [sys.executable, "-c", "from compiler.cli import main; main()"]


def user_target(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "targets" / "mystic"
    folder.mkdir(parents=True)
    for f in (ROOT / "targets" / "mystic").iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    for name, text in files.items():
        (folder / name).write_text(text)
    (tmp_path / "film.yaml").write_text(BASE)
    return tmp_path


def build_json(folder: Path) -> list[dict]:
    """`filmc lint --format json` in a child process that must end within a minute."""
    r = subprocess.run([*FILMC, "lint", "--format", "json", "film.yaml"], cwd=folder, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr
    return json.loads(r.stdout)["diagnostics"]


@pytest.mark.parametrize(("template", "line"), [
    ("a quiet room\n{% for a in range(10**5) %}{% for b in range(10**5) %}{% endfor %}{% endfor %}\n", 2),
    ("{% set r = range(100000) | list %}\n\n{% for a in r %}{% for b in r %}{% endfor %}{% endfor %}\n", 3),
    ("{% macro f(n) %}\n{% if n > 0 %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}\n{% endmacro %}\n{{ f(60) }}\n", 2),
])
def test_endless_templates_stop_with_a_located_error(tmp_path: Path, template: str, line: int) -> None:
    diags = build_json(user_target(tmp_path, {"prompt.j2": template}))
    assert [(d["code"], d["file"], d["line"]) for d in diags] == [("T305", "targets/mystic/prompt.j2", line)]
    assert "'s01'" in diags[0]["message"]


def test_a_template_that_fills_memory_is_stopped(tmp_path: Path) -> None:
    import resource

    def limit() -> None:  # a safety net for the machine running the test, far above what filmc may use
        resource.setrlimit(resource.RLIMIT_AS, (6 << 30, 6 << 30))

    folder = user_target(tmp_path, {"prompt.j2": "a room\n{% for i in range(100000) %}{{ 'x' * 100000 }}{% endfor %}\n"})
    r = subprocess.run([*FILMC, "lint", "--format", "json", "film.yaml"], cwd=folder, capture_output=True, text=True,
                       timeout=60, preexec_fn=limit)
    assert r.returncode == 1, r.stderr
    diags = json.loads(r.stdout)["diagnostics"]
    assert [(d["code"], d["file"], d["line"]) for d in diags] == [("T306", "targets/mystic/prompt.j2", 2)]


def test_a_huge_range_ends(tmp_path: Path) -> None:
    template = "{% for a in range(10**6) %}{% for b in range(10**6) %}x{% endfor %}{% endfor %}"
    diags = build_json(user_target(tmp_path, {"prompt.j2": template}))
    assert diags and all(d["file"] == "targets/mystic/prompt.j2" and d["line"] == 1 for d in diags)


def test_endless_include_names_the_included_template(tmp_path: Path) -> None:
    folder = user_target(tmp_path, {"prompt.j2": "a room\n{% include 'slow.j2' %}\n",
                                    "slow.j2": "x\n\n{% for a in range(10**5) %}{% for b in range(10**5) %}"
                                               "{% endfor %}{% endfor %}\n"})
    diags = build_json(folder)
    assert [(d["code"], d["file"], d["line"]) for d in diags] == [("T305", "targets/mystic/slow.j2", 3)]


@pytest.mark.parametrize("name", ["../x", "/etc/passwd", "link.j2"])
def test_refused_include_says_it_leaves_the_target_folder(tmp_path: Path, name: str) -> None:
    folder = user_target(tmp_path, {"prompt.j2": "line one\n{% include '" + name + "' %}\n"})
    (tmp_path / "targets" / "x").write_text("outside")
    (tmp_path / "targets" / "mystic" / "link.j2").symlink_to(tmp_path / "targets" / "x")
    diags = build_json(folder)
    assert {(d["code"], d["file"], d["line"], d["col"]) for d in diags} == {("T303", "targets/mystic/prompt.j2", 2, 1)}
    assert all("outside the target folder" in d["message"] and "no template" not in d["message"] for d in diags)
    assert "outside" not in json.dumps(diags).replace("outside the target folder", "")


def test_missing_include_is_named(tmp_path: Path) -> None:
    diags = build_json(user_target(tmp_path, {"prompt.j2": "line one\n{% include 'nothere.j2' %}\n"}))
    assert {(d["code"], d["file"], d["line"]) for d in diags} == {("T300", "targets/mystic/prompt.j2", 2)}
    assert all("nothere.j2" in d["message"] for d in diags)


def pattern_target(tmp_path: Path, pattern: str, value: str) -> Path:
    folder = user_target(tmp_path, {})
    yml = folder / "targets" / "mystic" / "target.yaml"
    text = yml.read_text()
    assert "  properties:\n    model:\n" in text
    yml.write_text(text.replace("  properties:\n    model:\n", "  properties:\n    look:\n      type: string\n"
                                "      description: a house look\n      pattern: " + json.dumps(pattern) + "\n"
                                "    model:\n", 1))
    film = BASE.replace("targets: {image: [mystic], video: [kling]}",
                        "targets:\n  image: [mystic]\n  video: [kling]\n  options:\n    mystic: {look: " + json.dumps(value) + "}")
    assert film != BASE
    (folder / "film.yaml").write_text(film)
    return folder


def validate_json(folder: Path) -> list[dict]:
    r = subprocess.run([*FILMC, "validate", "--format", "json", "film.yaml"], cwd=folder, capture_output=True,
                       text=True, timeout=60)
    assert "Traceback" not in r.stderr
    return json.loads(r.stdout)["diagnostics"]


@pytest.mark.parametrize("pattern", ["^(a+)+$", "^(a|a)*$", "^(a|aa)+$", "^(\\w+\\s?)*$"])
def test_a_backtracking_pattern_cannot_hang_validate(tmp_path: Path, pattern: str) -> None:
    """Each either fails to match at once or is given up on: a located error at the film's value, not a hang."""
    diags = validate_json(pattern_target(tmp_path, pattern, "a" * 34 + "!"))
    assert [(d["code"] in ("V106", "V285"), d["file"], d["line"]) for d in diags] == [(True, "film.yaml", 31)]
    if diags[0]["code"] == "V285":
        assert "targets/mystic/target.yaml" in diags[0]["hint"]


def test_a_pattern_given_up_on_is_reported(tmp_path: Path) -> None:
    diags = validate_json(pattern_target(tmp_path, "^(a|a)*$", "a" * 40 + "!"))
    assert [(d["code"], d["line"]) for d in diags] == [("V285", 31)]


def test_option_patterns_still_apply(tmp_path: Path) -> None:
    assert validate_json(pattern_target(tmp_path / "ok", "^[a-z]+$", "noir")) == []
    diags = validate_json(pattern_target(tmp_path / "bad", "^[a-z]+$", "Noir!"))
    assert [(d["code"], d["line"]) for d in diags] == [("V106", 31)]


def test_a_broken_pattern_is_located_in_target_yaml(tmp_path: Path) -> None:
    folder = pattern_target(tmp_path, "^(a+$", "a")
    lines = (folder / "targets" / "mystic" / "target.yaml").read_text().splitlines()
    line = next(i for i, text in enumerate(lines, 1) if text.strip().startswith("pattern:"))
    diags = validate_json(folder)
    assert [(d["code"], d["file"], d["line"]) for d in diags] == [("V224", "targets/mystic/target.yaml", line)]


def test_a_stop_during_a_render_is_a_stop_even_when_jinja_cannot_place_it(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A Ctrl-C that lands on an instruction without a line number makes Jinja's rewrite of the traceback fail
    (CPython 3.11 gives such a frame no line: a TypeError about '<=' and None, raised while the stop is handled);
    the stop is still raised as the stop, not reported as the template's error."""
    import os
    import signal
    import threading

    import jinja2.environment

    from compiler.expand import compile_shot
    from compiler.interrupt import Interrupted, interruptible
    from compiler.loading import resolve_film

    folder = user_target(tmp_path, {"prompt.j2": "a quiet room\n{% for a in range(10**4) %}{% for b in range(10**4) %}"
                                                 "{% endfor %}{% endfor %}\n"})
    prod = resolve_film(folder / "film.yaml")
    real = jinja2.environment.Template.get_corresponding_lineno

    def no_line(self: jinja2.environment.Template, lineno: int) -> int:
        return real(self, None)  # type: ignore[arg-type]  # (what a frame without a line number gives it)

    monkeypatch.setattr(jinja2.environment.Template, "get_corresponding_lineno", no_line)
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    with pytest.raises(Interrupted), interruptible():
        timer.start()
        try:
            compile_shot(prod, "mystic", prod.shots[0].id)
        finally:
            timer.cancel()


def test_a_syntax_error_is_said_once_not_once_per_shot(tmp_path: Path) -> None:
    """A template that does not parse fails every shot the same way: one error, located, not one per shot."""
    folder = user_target(tmp_path, {"prompt.j2": "a quiet room\n{% if shot.id %}x{% endiff %}\n"})
    r = subprocess.run([*FILMC, "build", "film.yaml"], cwd=folder, capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    errors = [line for line in r.stderr.splitlines() if ": error[T301]" in line]
    assert len(errors) == 1 and "targets/mystic/prompt.j2:2:" in errors[0], r.stderr
    assert not (folder / "build").exists()


def test_a_spent_command_budget_is_said_once_and_hides_no_other_error(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Once a command's whole template time is spent every later render stops the same way: that is said once, and
    another target's own template errors are still listed."""
    from compiler.expand import sandbox

    from ..conftest import run_cli

    monkeypatch.setattr(sandbox, "TOTAL_SECONDS", 1.0)  # (the command's budget, 120 s, made short)
    folder = user_target(tmp_path, {"prompt.j2": "a room\n{% if shot.id == 's04' %}{% for a in range(10**5) %}"
                                                 "{% for b in range(10**5) %}{% endfor %}{% endfor %}{% endif %}\n"})
    kling = tmp_path / "targets" / "kling"
    kling.mkdir()
    for f in (ROOT / "targets" / "kling").iterdir():
        (kling / f.name).write_bytes(f.read_bytes())
    (kling / "prompt.j2").write_text("a room {{ 1 / 0 }}\n")
    r = run_cli(["lint", "--format", "json", "film.yaml"], cwd=folder)
    assert r.exit_code == 1
    diags = r.json()["diagnostics"]
    spent = [d for d in diags if d["code"] == "T305"]
    assert len(spent) == 1 and spent[0]["message"].startswith("templates of this command took over 1 s"), diags
    assert "later renders stop the same way" in spent[0]["hint"]
    assert {d["file"] for d in diags if d["code"] == "T301"} == {"targets/kling/prompt.j2"}, diags
