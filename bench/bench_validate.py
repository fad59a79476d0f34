"""Benchmark: how fast filmc checks a film, as ratios to floors measured in the same run.

    python bench/bench_validate.py [--shots 2000] [--repeat 7] [--example-only]

1. Interactive commands on a copy of the example film, each in a fresh interpreter as a creator runs them:
   `filmc validate` and `filmc show … s04` once the example is built (as the README's first command leaves it;
   `show` then answers from the build), and `show` before any build (it compiles the shot), against
   `python -c pass` (the interpreter alone) and `python -c "import yaml"` (the least any film.yaml reader loads).
   Wall time (min of the runs) and CPU time (user + system, min), which a busy machine disturbs less.
   The caches a first run makes (compiled schemas, parsed built-in targets, the lexicon index, the compiled
   dataclass methods) are warmed first, as they are after one use; the goal is 0.15 s wall.
   The children run with bytecode written and read (PYTHONDONTWRITEBYTECODE is dropped from their environment, and
   the package is byte-compiled first), as an installed filmc has its .pyc files: without them every start compiles
   the package's modules from source and the figures say nothing about a creator's install.
2. A synthetic 2,000-shot film: load + validate + resolve in process vs parsing it with PyYAML's C loader
   (goal: within 2x), and `filmc validate` of it from the command line.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from synth import synth_film  # noqa: E402

EXAMPLE = ROOT / "specs" / "lighthouse-keeper"


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def with_bytecode() -> None:
    """Children write and read .pyc files, as an installed filmc does (pip byte-compiles the package)."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "compiler")], check=True,
                   stdout=subprocess.DEVNULL)


def cold(cmd: Sequence[str], repeat: int) -> tuple[float, float]:
    """Min wall and min CPU seconds of `cmd` run afresh `repeat` times (its output discarded)."""
    walls, cpus = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
        walls.append(time.perf_counter() - t)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return min(walls), min(cpus)


def interactive(repeat: int) -> None:
    filmc = [sys.executable, "-c", "import sys; from compiler.cli import console; sys.argv[0] = 'filmc'; console()"]
    tmp = Path(tempfile.mkdtemp(prefix="filmc-bench-example-"))
    try:
        example = tmp / EXAMPLE.name  # a copy: the example as a creator has it after the README's first command
        shutil.copytree(EXAMPLE, example, ignore=shutil.ignore_patterns("build"))
        validate = [*filmc, "validate", str(example)]
        show = [*filmc, "show", str(example), "s04"]
        unbuilt = [*filmc, "show", str(example), "s04", "--target", "mystic"]
        for cmd in (validate, show):  # the caches one use makes
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
        runs = {
            "python -c pass": cold([sys.executable, "-c", "pass"], repeat),
            "python -c 'import yaml'": cold([sys.executable, "-c", "import yaml"], repeat),
            "filmc validate (example)": cold(validate, repeat),
            "filmc show, not built yet": cold(unbuilt, repeat),
        }
        subprocess.run([*filmc, "-q", "build", str(example)], check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
        runs["filmc show (example s04)"] = cold(show, repeat)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    bare, floor = runs["python -c pass"], runs["python -c 'import yaml'"]
    load = os.getloadavg()[0]
    print(f"interactive, cold (min of {repeat}; load average {load:.1f} on {os.cpu_count()} cores)")
    print(f"  {'':26s} {'wall':>9s} {'cpu':>9s}   {'wall / yaml':>11s} {'cpu / yaml':>10s} {'wall / python':>13s}")
    for name, (wall, cpu) in runs.items():
        print(f"  {name:26s} {wall * 1000:6.1f} ms {cpu * 1000:6.1f} ms   {wall / floor[0]:10.2f}x {cpu / floor[1]:9.2f}x"
              f" {wall / bare[0]:12.2f}x")
    print("  goal: filmc validate and filmc show (of the built example) within 0.15 s wall")


def large(shots: int, repeat: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="filmc-bench-"))
    try:
        film = tmp / "film.yaml"
        film.write_text(synth_film(shots))
        text = film.read_text()
        floor = best(lambda: yaml.load(text, Loader=yaml.CSafeLoader), repeat)

        from compiler.loading import resolve_film

        in_process = best(lambda: resolve_film(film), repeat)
        filmc = [sys.executable, "-c", "import sys; from compiler.cli import main; sys.argv[0] = 'filmc'; main()"]
        cli, _ = cold([*filmc, "-q", "validate", str(film)], repeat)
        print(f"film: {shots} shots, {len(text) / 1024:.0f} KiB")
        print(f"  floor  yaml.load(CSafeLoader)          {floor * 1000:8.1f} ms")
        print(f"  load+validate+resolve (in process)    {in_process * 1000:8.1f} ms   ratio {in_process / floor:5.2f}x"
              "  (goal <= 2x)")
        print(f"  filmc validate (CLI, incl. start-up)  {cli * 1000:8.1f} ms   ratio {cli / floor:5.2f}x")
    finally:
        shutil.rmtree(tmp)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shots", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--example-only", action="store_true", help="only the interactive commands on the example")
    args = ap.parse_args()
    with_bytecode()
    interactive(args.repeat)
    if not args.example_only:
        large(args.shots, args.repeat)


if __name__ == "__main__":
    main()
