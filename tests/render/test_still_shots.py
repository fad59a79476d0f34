"""A `mode: still` shot in the edit: its first-frame image (filmc run's image take) held for the shot's length."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_cli

from .conftest import FPS, close, frame_rgb, hex_rgb, make_audio, make_image, make_take, mean_rgb, probe

FILM = """\
version: 1
film: {title: "Stills", resolution: [160, 90], fps: 12}
song:
  audio: song.wav
  sections: [{id: a, start: 0}]
targets: {image: [mystic], video: [kling]}
shots:
  - {id: s1, section: a, subject: a lighthouse, mode: still}
  - {id: s2, section: a, subject: the sea, take: takes/s2.mp4}
"""


def test_a_still_shot_holds_its_image_for_its_length(tmp_path: Path) -> None:
    root = tmp_path / "film"
    make_audio(root / "song.wav", 4.0)
    (root / "film.yaml").write_text(FILM, encoding="utf-8")
    make_image(root / "takes/s1/mystic/1.png", "0x2050c0")  # what `filmc run` made for its image job
    make_take(root / "takes/s2.mp4", 2.0)
    res = run_cli(["render", str(root / "film.yaml"), "-o", str(root / "out.mp4")])
    assert res.exit_code == 0, res.stderr
    assert "1 take, 1 image, 0 slates" in res.stderr
    assert probe(root / "out.mp4").frames == 4 * FPS
    blue = hex_rgb("0x2050c0")
    for t in (0.1, 1.0, 1.9):  # the whole first half of the song is the held image
        assert close(mean_rgb(frame_rgb(root / "out.mp4", t)), blue), t
    assert not close(mean_rgb(frame_rgb(root / "out.mp4", 3.0)), blue)  # then the take of s2
