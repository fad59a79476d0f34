"""Benchmark: `filmc validate` on a 2,000-shot film vs just parsing it with PyYAML's C loader.

Prints wall times and ratios against the floor measured in the same run:
    python bench/bench_validate.py [--shots 2000] [--repeat 5]
Targets: validation within 2x the floor; `filmc validate` of the example within 0.3 s wall.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from synth import synth_film  # noqa: E402


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shots", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="filmc-bench-"))
    film = tmp / "film.yaml"
    film.write_text(synth_film(args.shots))
    text = film.read_text()
    filmc = shutil.which("filmc") or "filmc"

    floor = best(lambda: yaml.load(text, Loader=yaml.CSafeLoader), args.repeat)

    from compiler.loading import resolve_film

    in_process = best(lambda: resolve_film(film), args.repeat)
    noop = best(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True), args.repeat)
    cli = best(lambda: subprocess.run([filmc, "-q", "validate", str(film)], check=True), args.repeat)
    example = sorted((ROOT / "specs").glob("*/film.yaml"))
    ex = best(lambda: subprocess.run([filmc, "-q", "validate", str(example[0])], check=True), args.repeat) if example else float("nan")

    print(f"film: {args.shots} shots, {len(text) / 1024:.0f} KiB")
    print(f"floor  yaml.load(CSafeLoader)          {floor * 1000:8.1f} ms")
    print(f"load+validate+resolve (in process)    {in_process * 1000:8.1f} ms   ratio {in_process / floor:5.2f}x  (target <= 2x)")
    print(f"filmc validate (CLI, incl. start-up)  {cli * 1000:8.1f} ms   ratio {cli / floor:5.2f}x   python start-up alone {noop * 1000:.1f} ms")
    if example:
        print(f"filmc validate {example[0].relative_to(ROOT)}   {ex * 1000:8.1f} ms   (target <= 300 ms)")
    shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
