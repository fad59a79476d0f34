"""Benchmark: `filmc build` of a synthetic 2,000-shot film for 4 targets, a rebuild with nothing changed and a
rebuild after one shot changed.

The floor is a fresh `python -c` process loading the same film with PyYAML's C loader (interpreter start,
`import yaml`, CSafeLoader load), run before each run of a figure (at least 3): every figure is printed as a ratio
to the fastest floor of its own runs, so that the machine's drift over the benchmark does not move the ratios. Goals: full build within 3x the floor, rebuilds within 1.5x (the one with nothing changed
writing no file, caches included), peak memory under 300 MB and sub-linear in the number of shots
(`--memory-shots 5000` builds a bigger film to show it), `filmc show` on the example within 0.15 s wall (cold: bench_validate.py measures it against python itself).

    python bench/bench_build.py [--shots 2000] [--runs 3] [--memory-shots 5000] [--filmc "python -m ..."]

The filmc children run with bytecode written and read (PYTHONDONTWRITEBYTECODE is dropped from their environment,
the package is byte-compiled first and filmc's caches are warmed by one validate), as an installed filmc has its
.pyc files: without them every start compiles the package's modules from source.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from synth import synth_film  # noqa: E402

# A child that runs a command and reports its own peak memory: the parent's RUSAGE_CHILDREN maximum would
# keep the largest child seen so far.
_MEASURE = """
import resource, subprocess, sys, time
t = time.perf_counter()
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


FILMC: list[str] = []  # --filmc: another filmc to measure (e.g. an older checkout's, to compare)


def filmc_cmd() -> list[str]:
    """--filmc, else the filmc beside this interpreter (a venv's), else the one on PATH."""
    if FILMC:
        return FILMC
    here = Path(sys.executable).parent / "filmc"
    return [str(here)] if here.is_file() else [shutil.which("filmc") or "filmc"]


def timed(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of a command run in a fresh process."""
    out = subprocess.run([sys.executable, "-c", _MEASURE, *cmd], check=True, capture_output=True, text=True).stdout
    wall, rss = out.split()[-2:]
    return float(wall), int(rss) / 1024


def floor_time(film: Path, runs: int) -> float:
    """The floor: a fresh interpreter that imports yaml and loads the film with the C loader."""
    code = f"import yaml; yaml.load(open({str(film)!r}, encoding='utf-8'), Loader=yaml.CSafeLoader)"
    best = float("inf")
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        best = min(best, time.perf_counter() - t)
    return best


def with_bytecode() -> None:
    """Children write and read .pyc files, as an installed filmc does (pip byte-compiles the package)."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "compiler")], check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run([*filmc_cmd(), "-q", "validate", str(ROOT / "specs" / "lighthouse-keeper")], check=True)


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under a folder (caches included) with its mtime and inode: what a build rewrote shows."""
    out = {}
    for dirpath, _, names in os.walk(folder):
        for name in names:
            st = os.stat(os.path.join(dirpath, name))
            out[os.path.join(dirpath, name)] = (st.st_mtime_ns, st.st_ino)
    return out


def changed(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> int:
    return sum(1 for k, v in after.items() if before.get(k) != v)


def full_build(shots: int) -> tuple[float, float, float]:
    """One full build of a film of `shots` shots: its floor, wall seconds and peak memory (MB)."""
    tmp = Path(tempfile.mkdtemp(prefix="filmc-bench-build-"))
    try:
        film = tmp / "film.yaml"
        film.write_text(synth_film(shots))
        floor = floor_time(film, 3)
        wall, peak = timed([*filmc_cmd(), "-q", "build", str(film)])
        return floor, wall, peak
    finally:
        shutil.rmtree(tmp)


def build_figures(shots: int, runs: int) -> dict[str, float]:
    """Each figure's runs, each run right after a run of the floor: a figure's ratio is to the fastest floor of its
    own runs (the machine's speed drifts over a benchmark; a floor measured only at the start would carry that
    drift into the later figures' ratios)."""
    filmc = filmc_cmd()
    tmp = Path(tempfile.mkdtemp(prefix="filmc-bench-build-"))
    try:
        film = tmp / "film.yaml"
        text = synth_film(shots)
        film.write_text(text)
        floors: dict[str, list[float]] = {"full": [], "noop": [], "one": []}

        def floor_then(figure: str) -> None:
            floors[figure].append(floor_time(film, 1))

        build = [*filmc, "-q", "build", str(film)]
        fulls = []
        for _ in range(runs):
            floor_then("full")
            fulls.append(_fresh_build(build, tmp))
        full, peak = min(fulls)
        files = len(snapshot(tmp / "build"))
        noops, noop_written = [], 0
        for _ in range(runs):
            before = snapshot(tmp / "build")
            floor_then("noop")
            noops.append(timed(build)[0])
            noop_written = max(noop_written, changed(before, snapshot(tmp / "build")))
        ones, one_written = [], 0
        for n in range(runs):  # a different edit each time, so each run compiles the shot again
            floor_then("one")  # (of the film as the last build saw it: the same size within a few bytes)
            film.write_text(text.replace("looking out to sea 5,", f"looking out to sea and sky {n} 5,", 1))
            before = snapshot(tmp / "build")
            ones.append(timed(build)[0])
            one_written = max(one_written, changed(before, snapshot(tmp / "build")))
        return {"floor": min(min(v) for v in floors.values()), **{f"floor_{k}": min(v) for k, v in floors.items()},
                "full": full, "peak": peak, "files": files, "noop": min(noops), "noop_written": noop_written,
                "one": min(ones), "one_written": one_written, "kib": len(text) / 1024}
    finally:
        shutil.rmtree(tmp)


def _fresh_build(build: list[str], tmp: Path) -> tuple[float, float]:
    shutil.rmtree(tmp / "build", ignore_errors=True)
    return timed(build)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shots", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=3, help="runs of each figure; the fastest counts (at least 3)")
    ap.add_argument("--memory-shots", type=int, default=0, help="also the peak memory of a full build this big")
    ap.add_argument("--filmc", help="the filmc command to measure (default: the one beside this python)")
    args = ap.parse_args()
    if args.filmc:
        FILMC[:] = args.filmc.split()
    runs = max(3, args.runs)
    with_bytecode()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; fastest of {runs} runs each")
    f = build_figures(args.shots, runs)
    floor = f["floor"]
    print(f"film: {args.shots} shots x 4 targets, {f['kib']:.0f} KiB, {f['files']:.0f} files in build/")
    print(f"floor  python -c yaml.load(CSafeLoader)  {floor * 1000:8.1f} ms  (the fastest; each figure's ratio is to "
          "the floor of its own runs, in brackets)")
    print(f"full build                         {f['full'] * 1000:8.1f} ms  {f['full'] / f['floor_full']:6.2f}x floor "
          f"({f['floor_full'] * 1000:.0f} ms)  {f['files']:.0f} files  (goal <= 3x)")
    print(f"rebuild, nothing changed           {f['noop'] * 1000:8.1f} ms  {f['noop'] / f['floor_noop']:6.2f}x floor "
          f"({f['floor_noop'] * 1000:.0f} ms)  {f['noop_written']:.0f} files written  (goal <= 1.5x, 0 files)")
    print(f"rebuild after one shot changed     {f['one'] * 1000:8.1f} ms  {f['one'] / f['floor_one']:6.2f}x floor "
          f"({f['floor_one'] * 1000:.0f} ms)  {f['one_written']:.0f} files written  (goal <= 1.5x)")
    print(f"peak memory (full build)           {f['peak']:8.1f} MB  (goal < 300 MB)")
    if args.memory_shots:
        big_floor, big_full, big_peak = full_build(args.memory_shots)
        growth = (big_peak / f["peak"]) / (args.memory_shots / args.shots)
        print(f"peak memory, {args.memory_shots} shots          {big_peak:8.1f} MB  "
              f"({big_peak / f['peak']:.2f}x the memory for {args.memory_shots / args.shots:.2f}x the shots: "
              f"{'sub-linear' if growth < 1 else 'not sub-linear'}); its full build {big_full / big_floor:.2f}x "
              "its floor")
    tmp = Path(tempfile.mkdtemp(prefix="filmc-bench-example-"))
    try:  # the example as a creator has it after the README's first command: built
        example = tmp / "lighthouse-keeper"
        shutil.copytree(ROOT / "specs" / "lighthouse-keeper", example, ignore=shutil.ignore_patterns("build"))
        subprocess.run([*filmc_cmd(), "-q", "build", str(example)], check=True, stdout=subprocess.DEVNULL)
        show = [*filmc_cmd(), "show", str(example), "s04"]
        subprocess.run(show, check=True, stdout=subprocess.DEVNULL)
        print(f"filmc show example s04 (built)     {min(timed(show)[0] for _ in range(3)) * 1000:8.1f} ms  "
              "(goal <= 150 ms)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
