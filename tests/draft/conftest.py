"""Films to draft for, and the fake Gemini server the real google-genai client talks to."""

from __future__ import annotations

import shutil
import struct
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Run, run_cli
from tests.fakes import FakeGemini

ROOT = Path(__file__).resolve().parents[2]
LIGHTHOUSE = ROOT / "specs" / "lighthouse-keeper"

SMALL = """\
version: 1
film:
  title: Tide Test          # a film to draft for
song:
  audio: song.wav
  duration: 4.0
  bpm: 120                  # a beat every 0.5 s
  sections:
    - id: a
      tag: Verse
      start: 0
    - id: b
      start: 2.0            # no shots yet
story: |
  A woman waits on a pier for the boat that comes at dawn.
characters:
  sailor:
    name: Ida Brenner       # for humans only
    description: a woman in her thirties with short red hair and a weathered face
locations:
  pier:
    description: a wooden pier over grey water
targets:
  image: [flux]
  video: [kling]
shots:
  - id: a1
    section: a
    size: WS
    angle: eye-level
    camera: static
    location: pier
    cast: [{id: sailor, action: waiting at the end of the pier, motion: she looks up at the sky}]
"""


def write_wav(path: Path, seconds: float, rate: int = 8000) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"".join(struct.pack("<h", (i * 37) % 2000 - 1000) for i in range(int(seconds * rate))))


@pytest.fixture
def small(tmp_path: Path) -> Path:
    d = tmp_path / "small"
    d.mkdir()
    (d / "film.yaml").write_text(SMALL, encoding="utf-8")
    write_wav(d / "song.wav", 4.0)
    return d


@pytest.fixture
def lighthouse(tmp_path: Path) -> Path:
    d = tmp_path / "lighthouse"
    shutil.copytree(LIGHTHOUSE, d, ignore=shutil.ignore_patterns("build", ".filmc"))
    return d


@pytest.fixture
def gemini() -> Iterator[FakeGemini]:
    with FakeGemini() as fake:
        yield fake


def draft(fake: FakeGemini, *args: str, env: dict[str, str | None] | None = None) -> Run:
    return run_cli(["draft", *args], env={"GOOGLE_API_KEY": None, **fake.env(), **(env or {})})  # type: ignore[dict-item]
