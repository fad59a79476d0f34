"""Burned-in subtitles and slates share the frame: the slate leaves the subtitle band to the subtitle."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from compiler.edit import plan_edit
from compiler.edit.graph import Paths, build_graph
from compiler.edit.slates import subtitle_band_top
from compiler.loading import resolve_film

from ..conftest import run_cli
from .conftest import frame_rgb

SIZE = (640, 360)


def _yellowish(frame: tuple[bytes, int, int], top: int) -> int:
    """Pixels below row `top` in the slate lyric's warm yellow (also when dimmed by a subtitle's dark box):
    the slate background of section a is blue, subtitles and slate text are white."""
    raw, w, h = frame
    n = 0
    for y in range(top, h):
        row = raw[y * w * 3:(y + 1) * w * 3]
        for x in range(w):
            r, b = row[3 * x], row[3 * x + 2]
            n += r > 80 and r - b > 30
    return n


def _band(root: Path) -> int:
    plan = plan_edit(resolve_film(root), size=SIZE, subtitles="burn")
    return subtitle_band_top(plan)


@pytest.mark.parametrize("args", [("--animatic",), ("--select", "s1,s2")], ids=["animatic", "slate-only cut"])
def test_burned_subtitles_do_not_cover_a_slate_lyric(tiny: Path, args: tuple[str, ...]) -> None:
    size = f"{SIZE[0]}x{SIZE[1]}"
    top = _band(tiny)
    t = 2.5 if args[0] == "--animatic" else 1.5  # inside shot s2, while its lyric line is sung
    # without burned subtitles the slate shows its lyric line at the bottom, in the band
    r = run_cli(["render", str(tiny), "-o", str(tiny / "plain.mp4"), "--size", size, "--subtitles", "none", *args])
    assert r.exit_code == 0, r.stderr
    assert _yellowish(frame_rgb(tiny / "plain.mp4", t), top) > 20
    # burned: the band holds the subtitle only; the slate draws no lyric line of its own anywhere
    r = run_cli(["render", str(tiny), "-o", str(tiny / "burn.mp4"), "--size", size, "--subtitles", "burn", *args])
    assert r.exit_code == 0, r.stderr
    frame = frame_rgb(tiny / "burn.mp4", t)
    assert _yellowish(frame, 0) <= 3
    raw, w, h = frame
    band = raw[top * w * 3:]
    assert sum(1 for i in range(0, len(band), 3) if min(band[i:i + 3]) > 200) > 20  # the subtitle is there


def test_slate_text_stays_above_the_band(tiny: Path) -> None:
    """A slate with a long action list is cut (with an ellipsis) above the band when subtitles are burned."""
    text = (tiny / "film.yaml").read_text().replace(
        "{id: s2, section: a, subject: a lighthouse}",
        "{id: s2, section: a, subject: '" + " ".join(f"word{i}" for i in range(400)) + "'}")
    (tiny / "film.yaml").write_text(text)
    plan = plan_edit(resolve_film(tiny), size=SIZE, subtitles="burn")
    g = build_graph(plan, Paths(media=str, text=lambda n: n, font="f.ttf", bold="b.ttf"))
    slate = [k for k in g.texts if "-shot-" in k]
    assert slate and not any(k.endswith("-lyric.txt") for k in slate)
    body = next(v for k, v in g.texts.items() if k.endswith("-body.txt") and "word0" in v)
    assert body.endswith("\u2026")
    # the body's last line ends above the band (line height = size + spacing, as slate_chain draws it)
    m = re.search(r"textfile=text/\d+-shot-body\.txt:expansion=none:fontcolor=[^:]+:fontsize=(\d+):"
                  r"line_spacing=(\d+):x=\d+:y=(\d+)", g.script)
    assert m, g.script
    size, spacing, y = (int(x) for x in m.groups())
    assert y + (body.count("\n") + 1) * (size + spacing) <= subtitle_band_top(plan)
