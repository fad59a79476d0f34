"""A small film with takes for the board: real media made with the bundled ffmpeg, a ledger as `filmc run` writes."""

from __future__ import annotations

import shutil
from pathlib import Path

from ..jobs.takesfilm import BLACK, Ledger, current_jobs, image, make_film, video

FILM = """\
version: 1
film: {title: "Salt <b>&amp;</b> Static", resolution: [320, 180], fps: 12}
song:
  duration: 12
  bpm: 120
  sections:
    - id: a
      tag: Verse
      start: 0
      lyrics: |
        first line of the verse
        second line </script><script>alert(1)</script>
    - {id: b, start: 6}
targets: {image: [mystic], video: [kling, runway]}
shots:
  - id: s01
    section: a
    duration: 3   # the opening
    camera: slow push-in
    subject: a lighthouse at dusk
  - {id: s02, section: a, camera: tracking, subject: "a boat <script>alert('x')</script> in the swell"}
  # the last shot, kept still on purpose
  - id: s03
    section: b
    subject: the sea at night
"""


def build_template(folder: Path) -> Path:
    """s01: kling 1-2 (2 failed QC: black), a mystic image; s02: kling 1 (unchecked); s03: nothing.
    Spent (provider costs, USD): s01 0.88, s02 0.35."""
    root = make_film(folder, FILM)
    led = Ledger(root, current_jobs(root))
    t = root / "takes"
    for job, n, qc, cost in (("s01.kling", 1, (True, []), 0.42), ("s01.kling", 2, (False, BLACK), 0.42),
                             ("s01.mystic", 1, (True, []), 0.04), ("s02.kling", 1, None, 0.35)):
        a = led.attempt(job, n, qc=qc, ext="png" if "mystic" in job else "mp4")
        led.write(ev="cost", attempt=a, amount=cost, currency="USD", source="provider")
    video(t / "s01" / "kling" / "1.mp4")
    video(t / "s01" / "kling" / "2.mp4", black=True)
    image(t / "s01" / "mystic" / "1.png", "red")
    video(t / "s02" / "kling" / "1.mp4", seconds=4.0)
    shutil.rmtree(root / "build")  # the board is built from film.yaml, not from an earlier build
    return root


def copy_of(template: Path, dest: Path) -> Path:
    shutil.copytree(template, dest, symlinks=True)
    return dest
