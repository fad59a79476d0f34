"""Benchmark: `filmc run` of 200 jobs against a local fake provider with a fixed latency and a concurrency cap.

The floor is the ideal schedule: jobs / cap x latency (every slot always busy). The wall time of the run is printed
as a ratio to it (target: within 1.2x), with the peak memory of the run at 200 and at 2,000 jobs (target: flat).

    python bench/bench_run.py [--jobs 200] [--cap 8] [--latency 0.25]
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


def run(jobs: int, cap: int, latency: float) -> tuple[float, float, float, int]:
    """Wall seconds of the run, the ideal, peak RSS (MB) of the filmc process, and the takes made."""
    filmc = shutil.which("filmc", path=str(Path(sys.executable).parent)) or "filmc"
    tmp = Path(tempfile.mkdtemp(prefix="filmc-bench-run-"))
    root = film(tmp / "film", jobs)
    subprocess.run([filmc, "-q", "build", str(root)], check=True)  # compile once, outside the measured run
    with FakeFreepik(steps=0, validate=False) as fake:
        fake.fault("poll", delay=latency, times=None)  # every task takes `latency` at the provider
        env = {**os.environ, **fake.env(), "FILMC_POLL_INTERVAL": "0.001", "NO_COLOR": "1"}
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        t = time.perf_counter()
        subprocess.run([filmc, "-q", "run", str(root), "--yes", "--concurrency", str(cap)], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall = time.perf_counter() - t
        peak = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before) / 1024
        made = fake.create_count
    takes = sum(1 for p in (root / "takes").rglob("*.png"))
    shutil.rmtree(tmp, ignore_errors=True)
    assert made == jobs == takes, (made, jobs, takes)
    return wall, jobs / cap * latency, peak, takes


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=200)
    ap.add_argument("--cap", type=int, default=8)
    ap.add_argument("--latency", type=float, default=0.25)
    args = ap.parse_args()
    wall, ideal, peak, _ = run(args.jobs, args.cap, args.latency)
    print(f"run {args.jobs} jobs, cap {args.cap}, latency {args.latency:g} s: {wall:.2f} s wall, ideal "
          f"{ideal:.2f} s -> {wall / ideal:.2f}x the floor (target <= 1.2x); peak memory {peak:.0f} MB")
    big = args.jobs * 10
    wall10, ideal10, peak10, _ = run(big, args.cap * 2, args.latency / 5)
    print(f"run {big} jobs, cap {args.cap * 2}, latency {args.latency / 5:g} s: {wall10:.2f} s wall, ideal "
          f"{ideal10:.2f} s -> {wall10 / ideal10:.2f}x; peak memory {peak10:.0f} MB "
          f"({peak10 / peak:.2f}x the {args.jobs}-job run; target: flat)")


if __name__ == "__main__":
    main()
