"""Helpers for the edit tests: tiny films, media made with ffmpeg's lavfi sources, probes of the results."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from compiler.probe import ffmpeg_exe

W, H, FPS = 160, 90, 12

TINY = """\
version: 1
film: {title: "Tiny", resolution: [160, 90], fps: 12}
song:
  audio: song.wav
  sections:
    - id: a
      start: 0
      lyrics: |
        first line
        second line
    - {id: b, start: 2}
shots:
  - {id: s1, section: a, size: WS, camera: slow push-in, transition: {in: fade, duration: 0.5}}
  - {id: s2, section: a, subject: a lighthouse}
  - {id: s3, section: b, transition: {in: dissolve, duration: 0.5}}
edit:
  cards:
    - {text: "Hello", at: start, duration: 1, fade: 0.25}
    - {text: "Bye", at: end, duration: 1, fade: 0.25}
  subtitles: sidecar
"""


def ff(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", "-loglevel", "error", *args],
                          capture_output=True, text=True, check=check)


def make_audio(path: Path, seconds: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    ff("-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}", "-ac", "2", str(path))
    return path


def make_take(path: Path, seconds: float, size: str = "160x90", rate: int = 12) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    ff("-f", "lavfi", "-i", f"testsrc=size={size}:rate={rate}:duration={seconds}", "-c:v", "libx264",
       "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path))
    return path


def make_image(path: Path, color: str, size: str = "320x180") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    ff("-f", "lavfi", "-i", f"color=c={color}:s={size}", "-frames:v", "1", "-update", "1", str(path))
    return path


@dataclass
class Probe:
    duration: float
    width: int
    height: int
    fps: float
    audio: bool
    frames: int


def probe(path: Path) -> Probe:
    err = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path), "-map", "0:v:0",
                          "-f", "null", "-"], capture_output=True, text=True).stderr
    d = re.search(r"Duration: (\d+):(\d+):([\d.]+)", err)
    v = re.search(r"Video: .*?, (\d+)x(\d+).*?, ([\d.]+) fps", err)
    frames = re.findall(r"frame=\s*(\d+)", err)
    assert d and v, err
    return Probe(int(d[1]) * 3600 + int(d[2]) * 60 + float(d[3]), int(v[1]), int(v[2]), float(v[3]),
                 bool(re.search(r"Stream #0:\d+.*Audio:", err)), int(frames[-1]) if frames else -1)


def frame_rgb(path: Path, t: float) -> tuple[bytes, int, int]:
    """One decoded frame at time t (seconds) as rgb24 bytes."""
    p = probe(path)
    raw = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-ss", f"{t}", "-i", str(path),
                          "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"],
                         capture_output=True, check=True).stdout
    assert len(raw) == p.width * p.height * 3
    return raw, p.width, p.height


def mean_rgb(frame: tuple[bytes, int, int], box: tuple[float, float, float, float] = (0, 0, 1, 1)) -> tuple[float, ...]:
    """Mean colour of a region given as fractions (x0, y0, x1, y1) of the frame."""
    raw, w, h = frame
    x0, y0, x1, y1 = int(box[0] * w), int(box[1] * h), int(box[2] * w), int(box[3] * h)
    sums = [0, 0, 0]
    n = 0
    for y in range(y0, y1):
        row = raw[(y * w + x0) * 3:(y * w + x1) * 3]
        for c in range(3):
            sums[c] += sum(row[c::3])
        n += x1 - x0
    return tuple(s / n for s in sums)


def bright_share(frame: tuple[bytes, int, int]) -> float:
    raw, w, h = frame
    px = len(raw) // 3
    return sum(1 for i in range(0, len(raw), 3) if raw[i] > 120 and raw[i + 1] > 120 and raw[i + 2] > 120) / px


def hex_rgb(color: str) -> tuple[int, int, int]:
    v = int(color[2:], 16)
    return (v >> 16) & 255, (v >> 8) & 255, v & 255


def close(a: tuple[float, ...], b: tuple[float, ...], tol: float = 14) -> bool:
    return all(abs(x - y) <= tol for x, y in zip(a, b))


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """A 4 s song, 3 shots, a 1 s card before and after: 6 s, 72 frames at 160x90, 12 fps."""
    root = tmp_path / "film"
    root.mkdir()
    make_audio(root / "song.wav", 4.0)
    (root / "film.yaml").write_text(TINY, encoding="utf-8")
    return root
