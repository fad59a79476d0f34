"""Benchmark: `filmc run` of 200 jobs against a local fake provider with a fixed latency and a concurrency cap.

The floor is the ideal schedule: jobs / cap x latency (every slot always busy). The wall time of the run (every
take downloaded and quality-checked) is printed as a ratio to it (target: within 1.2x). Peak memory is measured at
200 and at 2,000 jobs, each as a ratio to `filmc build` of the same film (the compile the run starts with): the
runner's own memory stays flat as jobs grow.

    python bench/bench_run.py [--jobs 200] [--cap 8] [--latency 1.0]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from tests.fakes import FakeFreepik  # noqa: E402


def film(folder: Path, jobs: int) -> Path:
    folder.mkdir(parents=True)
    shots = "".join(f"  - {{id: s{i:05d}, section: a, subject: a wave numbered {i}}}\n" for i in range(1, jobs + 1))
    (folder / "film.yaml").write_text(
        "version: 1\nfilm: {title: Bench, aspect: \"16:9\"}\n"
        f"song: {{duration: {jobs * 4}, sections: [{{id: a, start: 0}}]}}\n"
        "targets: {image: [mystic]}\nshots:\n" + shots, encoding="utf-8")
    return folder


def peak_of(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of a child process (each measured in a fresh child of its own)."""
    code = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
            "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
            "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)")
    out = subprocess.run([sys.executable, "-c", code, *cmd], env=env, check=True, capture_output=True, text=True)
    wall, peak = out.stdout.split()
    return float(wall), float(peak)


def run(jobs: int, cap: int, latency: float) -> tuple[float, float, float, float]:
    """Wall seconds of the run, the ideal, peak RSS (MB) of the run and of `filmc build` of the same film."""
    filmc = shutil.which("filmc", path=str(Path(sys.executable).parent)) or "filmc"
    tmp = Path(tempfile.mkdtemp(prefix="filmc-bench-run-"))
    root = film(tmp / "film", jobs)
    _, build_peak = peak_of([filmc, "-q", "build", str(root)])  # the compile the run starts with (cached after)
    with FakeFreepik(steps=0, validate=False) as fake:
        fake.fault("poll", delay=latency, times=None)  # every task takes `latency` at the provider
        env = {**os.environ, **fake.env(), "FILMC_POLL_INTERVAL": "0.001", "NO_COLOR": "1"}
        wall, peak = peak_of([filmc, "-q", "run", str(root), "--yes", "--concurrency", str(cap)], env)
        made = fake.create_count
    takes = sum(1 for p in (root / "takes").rglob("*.png"))
    shutil.rmtree(tmp, ignore_errors=True)
    assert made == jobs == takes, (made, jobs, takes)
    return wall, jobs / cap * latency, peak, build_peak


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=200)
    ap.add_argument("--cap", type=int, default=8)
    ap.add_argument("--latency", type=float, default=1.0)
    args = ap.parse_args()
    wall, ideal, peak, build = run(args.jobs, args.cap, args.latency)
    print(f"run {args.jobs} jobs, cap {args.cap}, latency {args.latency:g} s: {wall:.2f} s wall, ideal "
          f"{ideal:.2f} s -> {wall / ideal:.2f}x the floor (target <= 1.2x); peak memory {peak:.0f} MB "
          f"= {peak / build:.2f}x filmc build of the same film")
    big = args.jobs * 10
    wall10, _, peak10, build10 = run(big, args.cap * 4, args.latency / 10)
    print(f"run {big} jobs, cap {args.cap * 4}, latency {args.latency / 10:g} s: {wall10:.2f} s wall (bound by "
          f"checking {big} takes on this machine's cores, not by the schedule); peak memory {peak10:.0f} MB = "
          f"{peak10 / build10:.2f}x filmc build of the same film (target: flat, as at {args.jobs} jobs)")


if __name__ == "__main__":
    main()
