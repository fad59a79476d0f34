"""Interactive commands load only what they use: `filmc validate` and `filmc show` in a fresh interpreter."""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

from compiler.cli import COMMAND_MODULES, main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "specs" / "lighthouse-keeper"

# Run the CLI as `filmc` does, then print which modules it loaded (stdout: the command's own output first).
WRAPPER = """
import json, sys
from compiler.cli import main
sys.argv = ["filmc", *sys.argv[1:]]
try:
    main()
except SystemExit as e:
    code = e.code
print("\\n@@modules@@" + json.dumps(sorted(sys.modules)))
"""

# Modules no validation needs: templates, prompt grammar, the edit, jobs, HTTP, rich output, the full JSON Schema
# validator (only an invalid document needs it), the schema compiler (once its validators are cached).
NOT_FOR_VALIDATE = ("jinja2", "jsonschema", "fastjsonschema", "rich", "httpx", "ruamel", "asyncio", "numpy", "lemminflect",
                    "opentimelineio", "google", "difflib", "subprocess", "compiler.expand", "compiler.edit", "compiler.timelines", "compiler.beats",
                    "compiler.emit", "compiler.jobs", "compiler.draft", "compiler.board", "compiler.cli.render_cmds",
                    "compiler.cli.run_cmds", "compiler.cli.draft_cmds", "compiler.cli.build_cmds")


def run_filmc(*args: str, cache: Path | None = None) -> tuple[str, set[str]]:
    env = dict(os.environ)
    if cache is not None:
        env["XDG_CACHE_HOME"] = str(cache)
    proc = subprocess.run([sys.executable, "-c", WRAPPER, *args], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    out, _, mods = proc.stdout.rpartition("\n@@modules@@")
    return out, set(json.loads(mods))


def loaded(modules: set[str], name: str) -> bool:
    return any(m == name or m.startswith(name + ".") for m in modules)


def test_validate_loads_no_heavy_module(tmp_path: Path) -> None:
    run_filmc("validate", str(EXAMPLE), cache=tmp_path)  # the first run fills the caches (compiled schemas)
    out, modules = run_filmc("validate", str(EXAMPLE), cache=tmp_path)
    assert "ok (22 shots" in out
    assert [name for name in NOT_FOR_VALIDATE if loaded(modules, name)] == []


def test_show_answers_from_the_lexicon_index(tmp_path: Path) -> None:
    """The first `show` makes the index; the next one reads it and never loads lemminflect (nor numpy), with the
    same prompts."""
    film = tmp_path / "film"  # without a build/ folder: show compiles the shot (a build's cache would answer it)
    shutil.copytree(EXAMPLE, film, ignore=shutil.ignore_patterns("build", "*.py"))
    first, _ = run_filmc("show", str(film), "s04", cache=tmp_path)
    assert list((tmp_path / "filmc" / "lexicon").glob("*.sqlite"))
    again, modules = run_filmc("show", str(film), "s04", cache=tmp_path)
    assert again == first
    heavy = ("lemminflect", "numpy", "jsonschema", "fastjsonschema", "asyncio", "httpx", "rich", "ruamel", "google",
             "opentimelineio", "compiler.edit", "compiler.timelines", "compiler.beats", "compiler.jobs", "compiler.draft", "compiler.board")
    assert [name for name in heavy if loaded(modules, name)] == []


# Run `filmc validate` counting the texts compiled as code (dataclasses' generated methods among them).
COUNTING = """
import builtins, sys
compiled = []
real = builtins.compile
def counting(source, filename, mode, *args, **kwargs):
    if isinstance(source, str) and mode == "exec":
        compiled.append(source)
    return real(source, filename, mode, *args, **kwargs)
builtins.compile = counting
from compiler.cli import main
sys.argv = ["filmc", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
import compiler.model
print("@@compiled@@", len(compiled), compiler.model.Shot("s01", "intro", 0) == compiler.model.Shot("s01", "intro", 0))
"""


def test_a_second_start_compiles_no_dataclass_method(tmp_path: Path) -> None:
    """The methods dataclasses writes for the package's classes are compiled by the first start only; the next
    one runs them from the cache, and they work the same."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    counts = []
    for _ in range(2):
        proc = subprocess.run([sys.executable, "-c", COUNTING, "validate", str(EXAMPLE)], capture_output=True,
                              text=True, env=env, cwd=ROOT, timeout=120)
        assert proc.returncode == 0, proc.stderr
        count, equal = proc.stdout.rsplit("@@compiled@@", 1)[1].split()
        assert equal == "True"
        counts.append(int(count))
    assert counts[0] > 100  # every __init__, __eq__, __repr__ ... of the classes validate uses
    assert counts[1] == 0
    assert list((tmp_path / "filmc" / "code").rglob("compiler.model.bin"))


def test_a_damaged_code_cache_is_compiled_again(tmp_path: Path) -> None:
    """A cache file that is not one (cut short, overwritten) is ignored, and written again."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    cmd = [sys.executable, "-c", COUNTING, "validate", str(EXAMPLE)]
    subprocess.run(cmd, check=True, capture_output=True, env=env, cwd=ROOT, timeout=120)
    files = list((tmp_path / "filmc" / "code").rglob("*.bin"))
    assert files
    for n, path in enumerate(files):
        path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2] if n % 2 else b"not a cache")
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    count, equal = proc.stdout.rsplit("@@compiled@@", 1)[1].split()
    assert int(count) > 100 and equal == "True"
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert proc.stdout.rsplit("@@compiled@@", 1)[1].split()[0] == "0"


def test_unusable_cache_still_makes_the_classes(tmp_path: Path) -> None:
    """Where the cache cannot be written (XDG_CACHE_HOME is a file), the methods are compiled each time."""
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    env = {**os.environ, "XDG_CACHE_HOME": str(blocked)}
    for _ in range(2):
        proc = subprocess.run([sys.executable, "-c", COUNTING, "validate", str(EXAMPLE)], capture_output=True,
                              text=True, env=env, cwd=ROOT, timeout=120)
        assert proc.returncode == 0, proc.stderr
        assert proc.stderr == ""
        count, equal = proc.stdout.rsplit("@@compiled@@", 1)[1].split()
        assert int(count) > 100 and equal == "True"


def test_the_classes_show_makes_have_docstrings(tmp_path: Path) -> None:
    """Every dataclass `filmc show` and `filmc validate` make states what it is: without a docstring, dataclasses
    writes one from the class's signature (inspect.signature) at every start."""
    import dataclasses

    modules: set[str] = set()
    for args in (("validate", str(EXAMPLE)), ("show", str(EXAMPLE), "s04")):
        modules |= run_filmc(*args, cache=tmp_path)[1]
    undocumented = []
    for name in sorted(m for m in modules if m == "compiler" or m.startswith("compiler.")):
        for cls in vars(importlib.import_module(name)).values():
            if isinstance(cls, type) and dataclasses.is_dataclass(cls) and cls.__module__ == name:
                if not cls.__dict__.get("__doc__") or cls.__doc__.startswith(cls.__name__ + "("):
                    undocumented.append(f"{name}.{cls.__name__}")
    assert undocumented == []


WORDS = ["polishes", "polishing", "hunched", "lit", "ran", "run", "leaves", "her", "eyes", "closing", "glances",
         "sat", "Aaron", "Paris", "'d", "xyzzying", "crying", "dial", "lighthouse", "the", "is", "being"]


def test_the_index_answers_as_lemminflect_does() -> None:
    lemminflect = pytest.importorskip("lemminflect")
    from compiler.expand.lexicon import VERB_TAGS, all_lemmas, inflection

    for word in WORDS:
        assert all_lemmas(word.lower()) == lemminflect.getAllLemmas(word.lower()), word
        for lemma in {word, word.lower(), *(x for v in lemminflect.getAllLemmas(word.lower()).values() for x in v)}:
            for tag in (*VERB_TAGS, "NNS", "JJR"):
                assert inflection(lemma, tag) == (lemminflect.getInflection(lemma, tag) or ()), (lemma, tag)


def test_every_command_is_listed_with_its_module() -> None:
    """The table that loads a command's module on demand names every command, with the module declaring it."""
    for module in sorted(set(COMMAND_MODULES.values())):
        importlib.import_module(f"compiler.cli.{module}")
    declared = {name: cmd.callback.__module__.rsplit(".", 1)[1] for name, cmd in dict.items(main.commands)
                if isinstance(cmd, click.Command) and cmd.callback is not None}
    assert declared == COMMAND_MODULES


def test_show_without_a_usable_cache(tmp_path: Path) -> None:
    """Where no cache can be written (XDG_CACHE_HOME is a file), show asks lemminflect itself: the same prompts."""
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    film = tmp_path / "film"  # without a build/ folder: show compiles the shot
    shutil.copytree(EXAMPLE, film, ignore=shutil.ignore_patterns("build", "*.py"))
    plain, modules = run_filmc("show", str(film), "s04", cache=blocked)
    assert loaded(modules, "lemminflect")
    indexed, _ = run_filmc("show", str(film), "s04", cache=tmp_path / "cache")
    assert plain == indexed


def test_show_after_a_build_answers_from_it_without_templates(tmp_path: Path) -> None:
    """The last build's compiled shots answer `show`: the same text, and Jinja is never loaded."""
    film = tmp_path / "film"
    shutil.copytree(EXAMPLE, film, ignore=shutil.ignore_patterns("build", "*.py"))
    compiled, _ = run_filmc("show", str(film), "s04", cache=tmp_path)
    run_filmc("build", str(film), cache=tmp_path)
    cached, modules = run_filmc("show", str(film), "s04", cache=tmp_path)
    assert cached == compiled
    assert not loaded(modules, "jinja2")


@pytest.mark.skipif(not (Path(sys.executable).parent / "filmc").is_file() or os.name != "posix",
                    reason="needs the installed filmc command")
@pytest.mark.parametrize("name", ["SIGINT", "SIGTERM"])
def test_ctrl_c_while_the_command_starts_is_a_stop_not_a_traceback(tmp_path: Path, name: str) -> None:
    """Ctrl-C (or SIGTERM) at any moment of the installed command's start: once filmc's code runs, the stop line and
    exit 128 + the signal's number, never a traceback out of filmc's modules nor an end without a word (Python's own
    start, before them, is Python's)."""
    import signal
    import time

    sig = getattr(signal, name)

    script = Path(sys.executable).parent / "filmc"
    (tmp_path / "film.yaml").write_text("film: {title: t}\n")
    stops = 0
    for delay in (0.005, 0.01, 0.015, 0.02, 0.03, 0.04, 0.06, 0.08, 0.12):
        proc = subprocess.Popen([str(script), "validate", "film.yaml"], cwd=tmp_path, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(delay)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
        assert "/compiler/" not in err and "Aborted!" not in err, err  # no frame of filmc's code, no click abort
        if "filmc: stopped" in err:
            stops += 1
            assert proc.returncode == 128 + sig and err.startswith(f"filmc: stopped (interrupted by {name})"), err
    assert stops  # (some signal came while filmc's code loaded or ran)


def test_ctrl_c_that_python_wraps_is_still_a_stop() -> None:
    """A KeyboardInterrupt raised while Python makes a class (a module loading as the command starts) reaches the CLI
    wrapped in a RuntimeError: it is a stop (its line, exit 130), not an internal error."""
    from click.testing import CliRunner

    from compiler.cli import FilmcGroup

    group = FilmcGroup(name="filmc")

    @group.command("slow")
    def slow() -> None:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as e:
            raise RuntimeError("Error calling __set_name__ on 'Field' instance") from e

    result = CliRunner().invoke(group, ["slow"])
    assert result.exit_code == 130, result.output
    assert "filmc: stopped (interrupted by SIGINT)" in result.output and "internal error" not in result.output
