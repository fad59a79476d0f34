"""The starter film.yaml written by `filmc init`."""

from __future__ import annotations

import json
from pathlib import Path

from .fsutil import write_atomic
from .resources import schema_path

STARTER = """\
# yaml-language-server: $schema=.filmc/film.schema.json
# A film for filmc. Every key: `filmc schema`; what a diagnostic means: `filmc explain CODE`.
#   filmc validate        check this file (every problem, with line:column)
#   filmc timeline        when each shot plays over the song
version: 1

film:
  title: {title}
  logline: One sentence about the film.
  aspect: "16:9"          # mapped to each model's own aspect vocabulary
  fps: 24

song:
  # audio: audio/song.mp3 # the song (made elsewhere); its length then comes from the file
  duration: "0:40"        # needed while there is no audio file
  # bpm: 96               # a beat grid, for edit.snap: beats
  sections:               # each section ends where the next one starts
    - {{id: intro, tag: Intro, start: 0}}
    - id: verse1
      tag: Verse
      start: "0:10"       # m:ss times (quotes are optional)
      lyrics: |
        First line of the verse
        Second line of the verse
    - {{id: chorus1, tag: Chorus, start: "0:25", world: dream}}

story: |
  A few sentences of story. Drafting uses it; prompts do not.

concept:
  style: [cinematic, realistic]
  palette: muted blues and greys
  lighting: soft natural light
  avoid: [text, watermark, extra fingers]
  worlds:                 # named looks a section or shot can switch to
    dream: {{palette: warm gold and amber, lighting: hazy backlight}}

characters:
  hero:
    name: Mara            # for humans only: never written into prompts
    short: woman          # prompts say "the woman" after introducing her
    pronoun: she
    # phrases separated by ';' or ',': who first, then face, hair, build. Each shot takes the phrases its
    # framing shows (a wide shot no freckles, a view from behind no face).
    description: a woman in her thirties, slight and long-limbed; short dark curly hair, a freckled face, grey-green eyes
    wardrobe:
      default: a faded green raincoat over a grey sweater
      dream: a flowing white linen dress   # picked automatically in the dream world
    # refs: [refs/mara_face.png, refs/mara_full.png]   # reference images: each model that takes them gets them
    #                                                  # in its own field (`filmc targets list` shows which)

locations:
  shore: {{slug: EXT. SHORE - DAWN, description: a wide empty beach of dark sand under low clouds}}

targets:
  image: [mystic]         # first-frame image models
  video: [kling]          # image-to-video models

shots:                    # the storyboard, in screen order
  - id: s01
    section: intro
    size: EWS
    angle: high
    camera: slow push-in
    location: shore
    time: dawn, light drizzle
    subject: waves folding onto dark sand
    subject_motion: the waves fold onto the sand and slide back   # what moves when nobody is in frame
    background_motion: mist drifts along the waterline
    mood: [quiet, expectant]
    transition: {{in: fade, duration: 1.0}}
  - id: s02
    section: verse1
    duration: 7.5         # seconds; shots without one share the rest of their section
    size: MS
    angle: eye-level
    camera: static
    location: shore
    cast: [{{id: hero, action: walking along the waterline, expression: lost in thought, motion: she walks slowly toward the camera}}]
  - id: s03
    section: verse1
    size: CU
    angle: low
    camera: slow pull-out
    location: shore
    cast: [{{id: hero, action: looking up at the sky, expression: surprised, motion: she lifts a hand to shield her eyes}}]
  - id: s04
    section: chorus1
    size: WS
    angle: eye-level
    camera: orbit-left
    location: shore
    cast: [{{id: hero, action: spinning with arms open, expression: joyful, motion: she turns in a slow circle}}]
    background_motion: golden dust hangs in the air
    # end_frame: next     # end the clip on the next shot's first frame (video targets that take one)
  - id: s05
    section: chorus1
    size: CU
    angle: eye-level
    camera: slow push-in
    location: shore
    cast: [{{id: hero, action: laughing with her eyes closed, expression: blissful, motion: her hair lifts in the wind}}]

edit:
  cards:
    - {{text: {title}, at: start, duration: 3}}
  subtitles: none         # none | burn | sidecar
"""


def write_starter(directory: Path, title: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    safe = json.dumps(title, ensure_ascii=False)  # a JSON string is a valid YAML double-quoted scalar
    path = directory / "film.yaml"
    write_atomic(directory / ".filmc" / "film.schema.json", schema_path("film").read_text(encoding="utf-8"))
    write_atomic(path, STARTER.format(title=safe))
    return path
