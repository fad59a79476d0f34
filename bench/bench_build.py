"""Benchmark: `filmc build` of a synthetic 2,000-shot film for 4 targets, and a rebuild after one shot changes.

Each figure is printed as a ratio to parsing the same file with PyYAML's C loader (the floor)
in the same run. Targets: full build within 3x the floor, one-shot rebuild within 1.5x, peak
memory under 300 MB, `filmc show` on the example within 0.3 s wall.

    python bench/bench_build.py [--shots 2000]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from synth import synth_film  # noqa: E402


def timed(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, max(peak, before) / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shots", type=int, default=2000)
    args = ap.parse_args()
    filmc = shutil.which("filmc") or "filmc"
    tmp = Path(tempfile.mkdtemp(prefix="filmc-bench-build-"))
    film = tmp / "film.yaml"
    film.write_text(synth_film(args.shots))
    text = film.read_text()
    floors = []
    for _ in range(3):
        t = time.perf_counter()
        yaml.load(text, Loader=yaml.CSafeLoader)
        floors.append(time.perf_counter() - t)
    floor = min(floors)
    full, peak = timed([filmc, "-q", "build", str(film)])
    noop, _ = timed([filmc, "-q", "build", str(film)])
    film.write_text(text.replace("looking out to sea 5,", "looking out to sea and the sky 5,", 1))
    one, _ = timed([filmc, "-q", "build", str(film)])
    files = sum(1 for p in (tmp / "build").rglob("*") if p.is_file())
    example = ROOT / "specs" / "lighthouse-keeper"
    subprocess.run([filmc, "show", str(example), "s04"], check=True, stdout=subprocess.DEVNULL)
    show = min(timed([filmc, "show", str(example), "s04"])[0] for _ in range(3))
    print(f"film: {args.shots} shots x 4 targets, {len(text) / 1024:.0f} KiB, {files} output files")
    print(f"floor  yaml.load(CSafeLoader)     {floor * 1000:8.1f} ms")
    print(f"full build                        {full * 1000:8.1f} ms   ratio {full / floor:5.2f}x  (target <= 3x)")
    print(f"rebuild, nothing changed          {noop * 1000:8.1f} ms   ratio {noop / floor:5.2f}x")
    print(f"rebuild after one shot changed    {one * 1000:8.1f} ms   ratio {one / floor:5.2f}x  (target <= 1.5x)")
    print(f"peak memory (full build)          {peak:8.1f} MB   (target < 300 MB)")
    print(f"filmc show example s04            {show * 1000:8.1f} ms   (target <= 300 ms)")
    shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
