"""Text from film.yaml stays text in every edit output: subtitles keep their cues, render.sh holds no raw
control character, a NUL in the title does not break the render."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest

from compiler.edit import edit_outputs, plan_edit, render_plan
from compiler.edit.script import render_script
from compiler.loading import resolve_film
from compiler.probe import ffmpeg_exe

from ..conftest import run_cli

TIMING = re.compile(r"^\s*\d+:\d+:\d+[,.]\d+\s*-->\s*\d+:\d+:\d+[,.]\d+")

LYRICS = """\
version: 1
film: {title: "Cues", resolution: [160, 90], fps: 12}
song:
  audio: song.wav
  sections:
    - id: a
      start: 0
      lines:
        - {at: 0, text: "00:00:01,000 --> 00:00:02,000"}
        - {at: 1, text: "7\\n\\n00:00:09,000 --> 00:00:10,000\\n\\nstill the first verse"}
        - {at: 1.5, text: "one\\u2028\\u2028two\\u2029three"}
    - id: b
      start: 2
      lyrics: |
        3
        00:00:03,000-->00:00:04,000
        an arrow ---> inside
shots:
  - {id: s1, section: a}
  - {id: s2, section: b}
edit:
  subtitles: sidecar
"""
CUES = 6  # three timed lines, three lyric lines


def _strict_cues(text: str) -> list[list[str]]:
    """SubRip as specified: blocks separated by blank lines; index, timing, then text. Lines end wherever
    Python's str.splitlines ends them (Unicode line separators too), as Python-based readers do."""
    text = "\n".join(text.splitlines())
    blocks = [b for b in re.split(r"\n[ \t]*\n", text.strip("\n")) if b.strip()]
    cues = []
    for b in blocks:
        lines = b.split("\n")
        assert lines[0].strip().isdigit() and TIMING.match(lines[1]), b
        cues.append(lines[2:])
    return cues


def _lenient_cue_count(text: str) -> int:
    """How line-oriented players read it: every timing line starts a cue, blank lines or not."""
    return sum(1 for ln in text.splitlines() if TIMING.match(ln))


def _ffmpeg_cues(path: Path) -> int:
    out = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-i", str(path),
                          "-f", "webvtt", "pipe:1"], capture_output=True, text=True, check=True).stdout
    return sum(1 for ln in out.splitlines() if " --> " in ln)


def test_lyrics_that_look_like_srt_keep_their_cues(tiny: Path) -> None:
    (tiny / "film.yaml").write_text(LYRICS, encoding="utf-8")
    r = run_cli(["render", str(tiny), "-o", str(tiny / "out.mp4"), "--animatic"])
    assert r.exit_code == 0, r.stderr
    srt = (tiny / "out.srt").read_text(encoding="utf-8")
    cues = _strict_cues(srt)
    assert len(cues) == CUES and _lenient_cue_count(srt) == CUES and _ffmpeg_cues(tiny / "out.srt") == CUES, srt
    # still readable: every word of every line is there, in order
    words = " ".join(" ".join(c) for c in cues)
    for w in ("00:00:01,000", "00:00:02,000", "7", "still the first verse", "one", "two", "three", "3",
              "an arrow", "inside"):
        assert w in words
    assert all(line.strip() for c in cues for line in c)  # no blank line inside a cue
    # build/edit/lyrics.srt is the same text
    assert str(edit_outputs(resolve_film(tiny))["lyrics.srt"]) == srt


def _raw_controls(text: str) -> list[str]:
    return [repr(ch) for ch in text if ch != "\n" and unicodedata.category(ch) == "Cc"]


def test_nul_and_escapes_in_the_title_do_not_break_the_render(tiny: Path) -> None:
    text = (tiny / "film.yaml").read_text().replace('title: "Tiny"', 'title: "Ti\\0ny\\e]0;owned\\a\\nfilm"')
    (tiny / "film.yaml").write_text(text)
    r = run_cli(["render", str(tiny), "-o", str(tiny / "out.mp4")])
    # a load-time rule may refuse such a title (a located error); the render never fails on it
    assert r.exit_code in (0, 1) and "internal error" not in r.stderr and "Traceback" not in r.stderr, r.stderr
    if r.exit_code == 1:
        assert re.search(r"film\.yaml:\d+:\d+: error\[", r.stderr), r.stderr
        return
    assert (tiny / "out.mp4").is_file()
    r = run_cli(["build", str(tiny)])
    assert r.exit_code == 0, r.stderr
    assert not _raw_controls((tiny / "build" / "edit" / "render.sh").read_text(encoding="utf-8"))


def test_render_path_takes_any_title(tiny: Path) -> None:
    """Below any load-time rule: a plan whose title holds NUL, ESC, BEL and newlines renders, and render.sh
    keeps no raw control character."""
    hostile = "Ti\x00ny\x1b]0;owned\x07\nfilm\r\x7f"
    prod = resolve_film(tiny)
    plan = dataclasses.replace(plan_edit(prod), title=hostile)
    done = render_plan(plan, tiny / "out.mp4")
    assert done.output.is_file()
    meta = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(done.output)],
                          capture_output=True, text=True).stderr
    assert re.search(r"title\s*: Tiny\]0;owned film", meta), meta
    prod = dataclasses.replace(prod, film=dataclasses.replace(prod.film, info=dataclasses.replace(
        prod.film.info, title=hostile)))
    script = str(edit_outputs(prod)["render.sh"])
    assert not _raw_controls(script)


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs a POSIX sh")
def test_render_sh_passes_control_characters_exactly(tmp_path: Path) -> None:
    """Arguments holding control characters reach ffmpeg byte for byte, though the script holds none raw."""
    args = ["-metadata", "title=a\x1b[31mred\x07", "-i", "file:dir/new\nline.mp4", "-x", "tab\there\n\n",
            "-y", "-dash", "50% \\n 'q' \"dq\" $HOME `x`", "\x01-lead", "-/filter_complex", "g.txt"]
    script = render_script("t", args, "out\x1b.mp4", None)
    assert not _raw_controls(script)
    fake = tmp_path / "ffmpeg"
    record = tmp_path / "argv"
    fake.write_text("#!/bin/sh\n"
                    "case \"$1\" in -hide_banner) echo 'ffmpeg version 7.0'; exit 0 ;; esac\n"
                    f"for a; do printf '%s\\0' \"$a\"; done > '{record}'\n"
                    "for a; do last=\"$a\"; done\n"
                    "printf x > \"${last#file:}\"\n")
    fake.chmod(0o755)
    (tmp_path / "edit").mkdir()
    (tmp_path / "edit" / "render.sh").write_text(script)
    r = subprocess.run([shutil.which("sh") or "sh", str(tmp_path / "edit" / "render.sh")], cwd=tmp_path,
                       env={**os.environ, "FFMPEG": str(fake)}, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    got = record.read_bytes().split(b"\0")[:-1]
    sent = [a.decode() for a in got[3:-1]]  # after -loglevel warning -stats, before the output
    assert sent == args
    assert (tmp_path / "edit" / "out\x1b.mp4").is_file()
