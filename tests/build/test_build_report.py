"""What `filmc build` tells the creator: new warnings once, -q quiet, what was compiled, a bar for big builds."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from compiler.expand import select_shots
from compiler.loading import resolve_film

from ..conftest import CASES, ROOT, run_cli

sys.path.insert(0, str(ROOT / "bench"))
from synth import synth_film  # noqa: E402

BASE = (CASES / "base.yaml").read_text()
HAILUO = BASE.replace("targets: {image: [mystic], video: [kling]}", "targets: {image: [mystic], video: [hailuo]}")
FILMC = [sys.executable, "-c", "from compiler.cli import main; main()"]


def codes(stderr: str) -> list[str]:
    return re.findall(r"(?:warning|error)\[(\w+)\]", stderr)


def test_warnings_are_not_repeated_by_the_next_build(tmp_path: Path) -> None:
    (tmp_path / "film.yaml").write_text(HAILUO)
    first = run_cli(["build", "film.yaml"], cwd=tmp_path)
    assert first.exit_code == 0 and "P408" in codes(first.stderr)
    again = run_cli(["build", "film.yaml"], cwd=tmp_path)
    assert again.exit_code == 0 and codes(again.stderr) == []
    shown = len(codes(first.stderr))
    assert re.search(rf"^{shown} warnings unchanged since the last build \(`filmc lint film.yaml` lists them\)$",
                     again.stderr, re.M), again.stderr
    (tmp_path / "film.yaml").write_text(HAILUO.replace("    size: CU\n", "    size: CU\n    camera: orbit-right\n"))
    changed = run_cli(["build", "film.yaml"], cwd=tmp_path)
    assert codes(changed.stderr) == ["P408"]  # only the new one
    assert re.search(r"^\d+ warnings? unchanged since the last build", changed.stderr, re.M), changed.stderr
    listed = run_cli(["lint", "--format", "json", "film.yaml"], cwd=tmp_path).json()["diagnostics"]
    verbose = run_cli(["-v", "build", "film.yaml"], cwd=tmp_path)
    assert len(codes(verbose.stderr)) == len(listed) > 1


def test_a_build_of_one_target_keeps_the_others_warnings_reported(tmp_path: Path) -> None:
    """`build -t mystic` reports mystic's findings only; the full build after it does not show hailuo's again as new."""
    (tmp_path / "film.yaml").write_text(HAILUO)
    first = run_cli(["build", "film.yaml"], cwd=tmp_path)
    assert first.exit_code == 0 and "P408" in codes(first.stderr)
    part = run_cli(["build", "-t", "mystic", "film.yaml"], cwd=tmp_path)
    assert part.exit_code == 0 and "P408" not in codes(part.stderr), part.stderr
    same = run_cli(["build", "-t", "mystic", "film.yaml"], cwd=tmp_path)  # (nothing changed: the recorded answer)
    counts = [re.search(r"wrote (\d+), removed \d+, unchanged (\d+)", x.stdout).groups() for x in (part, same)]
    assert sum(map(int, counts[0])) == int(counts[1][1]) and counts[1][0] == "0", counts  # the same outputs counted
    again = run_cli(["build", "film.yaml"], cwd=tmp_path)
    assert again.exit_code == 0 and codes(again.stderr) == [], again.stderr
    (tmp_path / "film.yaml").write_text(HAILUO.replace("    size: CU\n", "    size: CU\n    camera: orbit-right\n"))
    one = run_cli(["build", "-t", "hailuo", "film.yaml"], cwd=tmp_path)
    assert codes(one.stderr) == ["P408"]  # the new one, once
    full = run_cli(["build", "film.yaml"], cwd=tmp_path)
    assert full.exit_code == 0 and codes(full.stderr) == [], full.stderr
    # a warning fixed while another target is built is no longer counted as shown: made again, it is new
    (tmp_path / "film.yaml").write_text(HAILUO)
    assert "P408" not in codes(run_cli(["build", "-t", "mystic", "film.yaml"], cwd=tmp_path).stderr)
    (tmp_path / "film.yaml").write_text(HAILUO.replace("    size: CU\n", "    size: CU\n    camera: orbit-right\n"))
    again = run_cli(["build", "film.yaml"], cwd=tmp_path)
    assert codes(again.stderr) == ["P408"], again.stderr


def test_warnings_of_a_build_stopped_before_it_showed_them_are_shown_by_the_next(tmp_path: Path,
                                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A build that wrote everything but was stopped before its warnings were out (Ctrl-C as it ends): the next
    build, which compiles nothing, shows them; a dry run shows them without counting them as shown."""
    from compiler.pipeline.build import build_film
    from compiler.pipeline.options import Loading

    (tmp_path / "film.yaml").write_text(HAILUO)
    monkeypatch.chdir(tmp_path)  # (the film named as the commands below name it: a warning's identity holds it)
    stopped = build_film(Loading("film.yaml"))  # (what the command does before it reports)
    assert "P408" in [d.code for d in stopped.new_warnings]
    dry = run_cli(["build", "--dry-run", "film.yaml"], cwd=tmp_path)
    assert "P408" in codes(dry.stderr)
    next_build = run_cli(["build", "film.yaml"], cwd=tmp_path)
    assert next_build.exit_code == 0 and "P408" in codes(next_build.stderr), next_build.stderr
    assert codes(run_cli(["build", "film.yaml"], cwd=tmp_path).stderr) == []


def test_quiet_silences_warnings_but_not_errors(tmp_path: Path) -> None:
    (tmp_path / "film.yaml").write_text(HAILUO)
    r = run_cli(["-q", "build", "film.yaml"], cwd=tmp_path)
    assert r.exit_code == 0 and r.stderr == "" and r.stdout == ""
    shown = run_cli(["build", "film.yaml"], cwd=tmp_path)  # quiet builds do not count as having shown them
    assert "P408" in codes(shown.stderr)
    broken = HAILUO.replace("    size: CU\n", "    size: XCU\n").replace("cast: [keeper]", "cast: [keeper, keeper]")
    (tmp_path / "film.yaml").write_text(broken)
    r = run_cli(["-q", "build", "film.yaml"], cwd=tmp_path)
    assert r.exit_code == 1 and codes(r.stderr) == ["V104"]  # not the V215 warning beside it
    assert codes(run_cli(["build", "film.yaml"], cwd=tmp_path).stderr) == ["V104", "V215"]


def test_summary_counts_what_was_compiled(tmp_path: Path) -> None:
    example = ROOT / "specs" / "lighthouse-keeper"
    prod = resolve_film(example)
    chosen = select_shots(prod, "section:chorus1")
    n_targets = len(prod.film.targets.image) + len(prod.film.targets.video)
    assert 0 < len(chosen) < len(prod.shots) and n_targets > 1
    r = run_cli(["build", str(example), "-o", str(tmp_path / "b"), "--target", "kling", "--select", "section:chorus1"])
    assert r.exit_code == 0, r.stderr
    m = re.search(r": (\d+) of (\d+) shots x 1 of (\d+) targets, (\d+) jobs;", r.stdout)
    assert m, r.stdout
    assert (int(m[1]), int(m[2]), int(m[3])) == (len(chosen), len(prod.shots), n_targets)
    jobs = (tmp_path / "b" / "jobs" / "kling.jsonl").read_text().splitlines()
    assert int(m[4]) == sum(1 for j in jobs if any(f'"shot":"{s.id}"' in j for s in chosen))
    full = run_cli(["build", str(example), "-o", str(tmp_path / "b")])
    assert re.search(rf": {len(prod.shots)} shots x {n_targets} targets, \d+ jobs;", full.stdout), full.stdout


def on_a_terminal(folder: Path) -> str:
    """Run `filmc build` with a pseudo-terminal for stdout and stderr; everything it printed."""
    main, child = pty.openpty()
    proc = subprocess.Popen([*FILMC, "build", str(folder)], stdin=subprocess.DEVNULL, stdout=child, stderr=child,
                            env={**os.environ, "TERM": "xterm-256color", "COLUMNS": "120"})
    os.close(child)
    out = b""
    end = time.monotonic() + 120
    while time.monotonic() < end:
        ready, _, _ = select.select([main], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
        elif proc.poll() is not None:
            break
    proc.wait(timeout=60)
    os.close(main)
    assert proc.returncode == 0, out
    return out.decode("utf-8", "replace")


def test_a_big_build_shows_a_progress_bar_on_a_terminal(tmp_path: Path) -> None:
    big, small = tmp_path / "big", tmp_path / "small"
    big.mkdir()
    small.mkdir()
    (big / "film.yaml").write_text(synth_film(60))  # 60 shots x 4 targets
    (small / "film.yaml").write_text(BASE)
    shown = on_a_terminal(big)
    assert "compiling" in shown and "/240 prompts" in shown
    assert "compiling" not in on_a_terminal(small)
    r = run_cli(["build", str(big)])  # not a terminal: no bar
    assert "compiling" not in r.stdout + r.stderr


def test_quiet_validate_prints_warnings_only_when_they_fail_the_run(tmp_path: Path) -> None:
    (tmp_path / "film.yaml").write_text(BASE.replace("    cast: [keeper]\n", "    cast: [keeper, keeper]\n"))
    loud = run_cli(["validate", "film.yaml"], cwd=tmp_path)
    assert loud.exit_code == 0 and codes(loud.stderr) == ["V215"]
    quiet = run_cli(["-q", "validate", "film.yaml"], cwd=tmp_path)
    assert quiet.exit_code == 0 and quiet.stderr == "" and quiet.stdout == ""
    strict = run_cli(["-q", "validate", "--strict", "film.yaml"], cwd=tmp_path)
    assert strict.exit_code == 1 and codes(strict.stderr) == ["V215"]


def test_a_shot_put_in_above_does_not_make_the_warnings_below_new(tmp_path: Path) -> None:
    """A warning is known by its shot's id, not its place in the list: a shot added (or removed) above moves the
    warnings of the shots below without making them new."""
    text = synth_film(30)
    (tmp_path / "film.yaml").write_text(text)
    first = run_cli(["build", "film.yaml"], cwd=tmp_path)
    assert first.exit_code == 0 and "P415" in codes(first.stderr)
    added = text.replace("shots:\n", "shots:\n  - id: a00000\n    section: sec0000\n    size: WS\n    subject: gulls\n"
                         "    background_motion: the gulls wheel\n", 1)
    (tmp_path / "film.yaml").write_text(added)
    again = run_cli(["build", "film.yaml"], cwd=tmp_path)
    assert again.exit_code == 0 and codes(again.stderr) == [], again.stderr
    assert re.search(rf"^{len(codes(first.stderr))} warnings unchanged since the last build", again.stderr, re.M)
    unchanged = run_cli(["build", "film.yaml"], cwd=tmp_path)  # (nothing changed: the kept identities answer)
    assert codes(unchanged.stderr) == [] and "warnings unchanged" in unchanged.stderr


def test_warnings_are_not_new_because_the_film_is_named_another_way(tmp_path: Path) -> None:
    """The film's path as typed names film.yaml in the warnings: another way to type it does not make them new."""
    film = tmp_path / "w"
    film.mkdir()
    (film / "film.yaml").write_text(HAILUO)
    first = run_cli(["build", "w"], cwd=tmp_path)
    assert first.exit_code == 0 and "P408" in codes(first.stderr)
    for typed in (str(film), "./w/film.yaml"):
        again = run_cli(["build", typed], cwd=tmp_path)
        assert again.exit_code == 0 and codes(again.stderr) == [], again.stderr
        assert re.search(r"^\d+ warnings? unchanged since the last build", again.stderr, re.M), again.stderr
