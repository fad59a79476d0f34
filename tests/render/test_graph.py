"""The edit plan, the filter graph and build/edit/ as text: structure, escaping, and a reviewable snapshot."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.edit import edit_outputs, plan_edit
from compiler.edit.graph import camera_exprs
from compiler.edit.plan import frame_rate
from compiler.edit.script import sh_quote
from compiler.edit.srt import render_srt, srt_time
from compiler.edit.text import escape_value, wrap
from compiler.loading import resolve_film
from compiler.model import CAMERA_MOVES, Camera

from .conftest import TINY, ff, make_audio, make_image


def test_escape_value_two_levels() -> None:
    assert escape_value("plain/path.txt") == "plain/path.txt"
    # level 1 escapes ' : \ ; level 2 escapes those backslashes again and [ ] , ; '
    assert escape_value("a:b") == "a\\\\:b"
    assert escape_value("x,y") == "x\\,y"
    assert escape_value("[v]") == "\\[v\\]"
    assert escape_value("it's") == "it\\\\\\'s"
    assert escape_value("a b") == "a\\\\\\ b"


def test_escaped_paths_reach_ffmpeg_intact(tmp_path: Path) -> None:
    """A text file whose path has every special character is read by drawtext."""
    from compiler.fonts import font_file

    odd = tmp_path / "it's a [weird], dir; 50% : x"
    odd.mkdir()
    (odd / "t.txt").write_text("hello")
    graph = (f"color=c=black:s=64x36:r=1,trim=end_frame=1,drawtext=fontfile={escape_value(str(font_file()))}:"
             f"textfile={escape_value(str(odd / 't.txt'))}:expansion=none:fontcolor=white[v]")
    (tmp_path / "g.txt").write_text(graph)
    r = ff("-/filter_complex", str(tmp_path / "g.txt"), "-map", "[v]", "-f", "null", "-", check=False)
    assert r.returncode == 0, r.stderr


def test_every_camera_move_is_a_valid_zoompan(tmp_path: Path) -> None:
    img = make_image(tmp_path / "i.png", "blue", "64x36")
    moves = [Camera(m, s) for m in CAMERA_MOVES for s in (None, "slow", "fast")]
    exprs = [camera_exprs(cam, 4) for cam in moves]
    assert all((e is None) == (cam.move == "static") for cam, e in zip(moves, exprs))
    chains = [f"[s{i}]zoompan=z={escape_value(z)}:x={escape_value(x)}:y={escape_value(y)}:d=4:s=32x18[o{i}]"
              for i, (z, x, y) in enumerate(e for e in exprs if e)]
    n = len(chains)
    graph = ";".join([f"[0:v]split={n}" + "".join(f"[s{i}]" for i in range(n)), *chains,
                      "".join(f"[o{i}]" for i in range(n)) + f"concat=n={n}:v=1:a=0[v]"])
    (tmp_path / "g.txt").write_text(graph)
    r = ff("-i", str(img), "-/filter_complex", str(tmp_path / "g.txt"), "-map", "[v]", "-f", "null", "-", check=False)
    assert r.returncode == 0, r.stderr


def test_sh_quote() -> None:
    assert sh_quote("plain") == "'plain'"
    assert sh_quote("it's $HOME `x` \"q\"") == "'it'\\''s $HOME `x` \"q\"'"


def test_srt() -> None:
    from compiler.edit.clips import Cue

    assert srt_time(3723.4567) == "01:02:03,457"
    text = render_srt([Cue(1.0, 2.5, "a\n\nb"), Cue(3.0, 3.0, "empty"), Cue(4.0, 5.0, "c")])
    assert text == "1\n00:00:01,000 --> 00:00:02,500\na\nb\n\n2\n00:00:04,000 --> 00:00:05,000\nc\n"


def test_wrap_keeps_every_character() -> None:
    text = "word " * 50 + "x" * 300
    out = wrap(text, 40)
    assert "".join(out.split()) == "".join(text.split())
    assert max(len(line) for line in out.splitlines()) <= 40


def test_frame_rate() -> None:
    assert frame_rate(24) == "24"
    assert frame_rate(23.976) == "24000/1001"
    assert frame_rate(29.97) == "30000/1001"
    assert frame_rate(12.5) == "25/2"


def _tiny(tmp_path: Path, text: str = TINY) -> Path:
    root = tmp_path / "film"
    root.mkdir()
    make_audio(root / "song.wav", 4.0)
    (root / "film.yaml").write_text(text)
    return root


def test_plan_timing_dissolve_and_fades(tmp_path: Path) -> None:
    plan = plan_edit(resolve_film(_tiny(tmp_path)))
    clips = {c.id: c for c in plan.clips}
    assert [c.id for c in plan.clips] == ["card-1", "s1", "s2", "s3", "card-2"]
    assert (clips["s1"].start, clips["s1"].end, clips["s1"].fade_in) == (12, 24, 6)
    # a 0.5 s dissolve centred on the cut at 3 s (frame 36): s2 runs 3 frames on, s3 starts 3 frames early
    assert (clips["s2"].post, clips["s3"].pre, clips["s3"].dissolve_in) == (3, 3, 6)
    assert sum(c.frames for c in plan.clips) - sum(c.dissolve_in for c in plan.clips) == plan.frames == 72
    assert [round(q.start, 3) for q in plan.cues] == [1.0, 2.0]


def test_snap_to_beats(tmp_path: Path) -> None:
    text = TINY.replace("  audio: song.wav\n", "  audio: song.wav\n  bpm: 80\n  beat_offset: 0.2\n") \
        .replace("  subtitles: sidecar\n", "  subtitles: sidecar\n  snap: beats\n") \
        .replace("{id: s1, section: a,", "{id: s1, section: a, duration: 1.1,") \
        .replace("{id: s2, section: a,", "{id: s2, section: a, duration: 0.9,")
    prod = resolve_film(_tiny(tmp_path, text))
    s1 = prod.shot("s1")
    assert s1.end == pytest.approx(0.95)  # the beat nearest 1.1 s: 0.2 + 0.75
    plan = plan_edit(prod)
    assert next(c for c in plan.clips if c.id == "s2").start == round((1 + 0.95) * 12)


def test_edit_outputs_snapshot(tmp_path: Path, snapshot) -> None:
    """build/edit/ of a small film as text: a graph change shows up here as a diff to review."""
    root = _tiny(tmp_path)
    make_image(root / "takes" / "s3.png", "red")
    out = edit_outputs(resolve_film(root))
    assert isinstance(out["font/regular.ttf"], bytes) and isinstance(out["font/bold.ttf"], bytes)
    text = {k: v for k, v in out.items() if isinstance(v, str)}
    assert all(str(tmp_path) not in v for v in text.values())  # no absolute paths
    assert edit_outputs(resolve_film(root)) == out  # deterministic
    assert text == snapshot


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from(["a", "b", " ", "\t", "\n", "\u3000", "\u00a0", "\x0b", "-", "\u2028", "é"]),
               max_size=40), st.integers(min_value=0, max_value=30))
def test_wrap_is_textwrap(text: str, width: int) -> None:
    """wrap() takes a short cut for paragraphs that fit: it gives what textwrap gives."""
    import textwrap

    from compiler.edit.text import clean_text

    w = max(width, 4)
    lines: list[str] = []
    for para in clean_text(text).split("\n"):
        lines += [""] if not para.strip() else textwrap.wrap(
            para, w, break_long_words=True, break_on_hyphens=False, drop_whitespace=True,
            replace_whitespace=False) or [""]
    while lines and not lines[-1].strip():
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    assert wrap(text, width) == ("\n".join(lines) if lines else " ")
