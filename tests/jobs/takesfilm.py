"""A small film with takes: real media made with the bundled ffmpeg and a ledger written as `filmc run` does."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path
from typing import Any

from compiler.probe import ffmpeg_exe

from ..conftest import run_cli

FILM = """\
version: 1
film: {title: Takes, resolution: [320, 180], fps: 12}
song:
  duration: 12
  sections:
    - {id: a, start: 0}
    - {id: b, start: 6}
targets: {image: [mystic], video: [kling, runway]}
shots:
  - id: s01
    section: a
    duration: 3   # the opening
    camera: slow push-in
    subject: a lighthouse at dusk
  - {id: s02, section: a, camera: tracking, subject: a boat in the swell}
  - id: s03
    section: b
    camera: static
    subject: the sea at night
"""


def ff(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-y", "-hide_banner", "-nostdin", "-loglevel", "error", *args], check=True,
                   timeout=120)


def video(path: Path, seconds: float = 3.0, *, black: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    src = (f"color=c=black:size=320x180:rate=12:duration={seconds}" if black
           else f"testsrc2=size=320x180:rate=12:duration={seconds}")
    ff("-f", "lavfi", "-i", src, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path))
    return path


def image(path: Path, color: str = "red") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    ff("-f", "lavfi", "-i", f"color=c={color}:s=320x180", "-frames:v", "1", "-update", "1", str(path))
    return path


def make_film(root: Path, text: str = FILM) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "film.yaml").write_text(text, encoding="utf-8")
    return root


def current_jobs(root: Path) -> dict[str, dict[str, Any]]:
    """The jobs as `filmc build` writes them (build/jobs/*.jsonl), by job id."""
    r = run_cli(["build", str(root / "film.yaml")])
    assert r.exit_code == 0, r.stderr
    jobs = {}
    for f in sorted((root / "build" / "jobs").glob("*.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines():
            j = json.loads(line)
            jobs[j["job"]] = j
    return jobs


class Ledger:
    """Appends events to .filmc/ledger.jsonl the way the runner does (one JSON object per line)."""

    def __init__(self, root: Path, jobs: dict[str, dict[str, Any]]) -> None:
        self.path = root / ".filmc" / "ledger.jsonl"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.jobs = jobs
        self.t = 1_767_000_000.0

    def write(self, **ev: Any) -> None:
        self.t += 10
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps({"v": 1, "t": self.t, **ev}, sort_keys=True) + "\n")

    def attempt(self, job: str, n: int, outcome: str = "take", *, ext: str = "mp4", hash: str | None = None,
                qc: tuple[bool, list[dict[str, str]]] | None = None, reason: str = "", model: str | None = "m1",
                path: str | None = None) -> str:
        j = self.jobs[job]
        a = uuid.uuid4().hex
        self.write(ev="intent", attempt=a, job=job, shot=j["shot"], target=j["target"], provider=j["provider"],
                   hash=hash or j["hash"], model=model, take=n, estimate=0.1, prompt="a prompt", params={})
        self.write(ev="submitted", attempt=a, task_id=f"task-{a[:8]}", extra={})
        if outcome == "take":
            rel = path or f"takes/{j['shot']}/{j['target']}/{n}.{ext}"
            self.write(ev="result", attempt=a, urls=["https://provider.example/result"])
            self.write(ev="downloaded", attempt=a, path=rel, bytes=100, sha256="0" * 64, content_type="video/mp4")
            if qc is not None:
                self.write(ev="qc", attempt=a, path=rel, ok=qc[0], findings=qc[1], frames=36, duration=3.0,
                           width=320, height=180, audio=False)
        elif outcome in ("failed", "unknown", "cancelled"):
            self.write(ev=outcome, attempt=a, reason=reason, billed=None, definitive=True, stage="poll")
        return a


BLACK = [{"code": "C515", "message": "is black (36 of 36 frames)", "severity": "error"}]
