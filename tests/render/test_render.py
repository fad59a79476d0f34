"""`filmc render` end to end with the real ffmpeg: tiny films (160x90, 12 fps, a few seconds), probed after."""

from __future__ import annotations

import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from compiler.edit.plan import PALETTE
from compiler.probe import ffmpeg_exe

from ..conftest import run_cli
from .conftest import FPS, H, W, bright_share, close, ff, frame_rgb, hex_rgb, make_image, make_take, mean_rgb, probe

FRAME = 1 / FPS


def _render(root: Path, *args: str, out: str = "out.mp4"):  # type: ignore[no-untyped-def]
    return run_cli(["render", str(root / "film.yaml"), "-o", str(root / out), *args])


def test_animatic_length_size_rate_audio_and_frames(tiny: Path) -> None:
    r = _render(tiny, "--animatic")
    assert r.exit_code == 0, r.stderr
    p = probe(tiny / "out.mp4")
    assert (p.width, p.height, p.fps, p.audio) == (W, H, FPS, True)
    umask = os.umask(0)
    os.umask(umask)
    assert (tiny / "out.mp4").stat().st_mode & 0o777 == 0o666 & ~umask  # not the temp file's private mode
    assert p.frames == 72  # 1 s card + 4 s song + 1 s card at 12 fps
    assert abs(p.duration - 6.0) <= FRAME
    # not a terminal: progress as plain lines
    assert "render: 100%" in r.stderr
    # sidecar subtitles beside the output, on the output timeline (after the 1 s card)
    srt = (tiny / "out.srt").read_text(encoding="utf-8")
    assert "00:00:01,000 --> 00:00:02,000\nfirst line" in srt
    # the card: black with white text; a slate: its section's colour
    card = frame_rgb(tiny / "out.mp4", 0.5)
    assert mean_rgb(card)[0] < 60 and bright_share(card) > 0.0005  # some text
    slate_a = frame_rgb(tiny / "out.mp4", 2.5)  # s2, section a
    slate_b = frame_rgb(tiny / "out.mp4", 4.5)  # s3, section b
    corner = (0.6, 0.55, 1.0, 0.8)  # no text there
    assert close(mean_rgb(slate_a, corner), hex_rgb(PALETTE[0]))
    assert close(mean_rgb(slate_b, corner), hex_rgb(PALETTE[1]))
    # fade from black at the start of s1
    assert max(mean_rgb(frame_rgb(tiny / "out.mp4", 1.0))) < 20


def test_takes_and_images_are_used(tiny: Path) -> None:
    make_take(tiny / "takes" / "s1.mp4", 3.0, size="120x90")  # 4:3: pillarboxed in 16:9
    make_image(tiny / "takes" / "s3.png", "red")  # s3's first-frame image, found by name
    text = (tiny / "film.yaml").read_text().replace(
        "{id: s1, section: a, size: WS,", "{id: s1, section: a, take: takes/s1.mp4, trim: {in: 0.5}, speed: 1.5, "
        "reverse: true, size: WS,")
    (tiny / "film.yaml").write_text(text)
    r = _render(tiny)
    assert r.exit_code == 0, r.stderr
    assert "1 take, 1 image, 1 slate" in r.stderr
    p = probe(tiny / "out.mp4")
    assert p.frames == 72 and (p.width, p.height) == (W, H)
    take = frame_rgb(tiny / "out.mp4", 1.75)
    assert max(mean_rgb(take, (0, 0, 0.08, 1))) < 25  # black bar at the left
    assert not close(mean_rgb(take, (0.3, 0.3, 0.7, 0.7)), hex_rgb(PALETTE[0]), 20)
    red = mean_rgb(frame_rgb(tiny / "out.mp4", 4.5))
    assert red[0] > 180 and red[1] < 60 and red[2] < 60
    # --animatic ignores video takes but keeps images
    r = _render(tiny, "--animatic", out="anim.mp4")
    assert r.exit_code == 0 and "0 takes, 1 image, 2 slates" in r.stderr


def test_missing_take_falls_back_with_a_warning(tiny: Path) -> None:
    text = (tiny / "film.yaml").read_text().replace("{id: s2, section: a,", "{id: s2, section: a, take: takes/nope.mp4,")
    (tiny / "film.yaml").write_text(text)
    r = _render(tiny)
    assert r.exit_code == 0, r.stderr
    assert re.search(r"film\.yaml:\d+:\d+: warning\[R201\] .*shot 's2': take 'takes/nope.mp4' not found", r.stderr)
    assert close(mean_rgb(frame_rgb(tiny / "out.mp4", 2.5), (0.6, 0.55, 1.0, 0.8)), hex_rgb(PALETTE[0]))


def test_corrupt_take_is_a_located_error(tiny: Path) -> None:
    (tiny / "takes").mkdir()
    (tiny / "takes" / "s2.mp4").write_text("this is not a video\n")
    text = (tiny / "film.yaml").read_text().replace("{id: s2, section: a,", "{id: s2, section: a, take: takes/s2.mp4,")
    (tiny / "film.yaml").write_text(text)
    line = next(i for i, ln in enumerate(text.splitlines(), 1) if "takes/s2.mp4" in ln)
    r = _render(tiny)
    assert r.exit_code == 1
    assert re.search(rf"film\.yaml:{line}:\d+: error\[R101\] /shots/1/take: shot 's2': cannot read take "
                     r"'takes/s2.mp4'", r.stderr), r.stderr
    assert "Traceback" not in r.stderr and "ffmpeg version" not in r.stderr
    assert not (tiny / "out.mp4").exists()


HOSTILE = ("It's \"quoted\": 100% {curly} %{pts} \\back\\slash\\ ; [label] , comma 'single'\n"
           "second line \U0001F3AC emoji " + "x" * 500)


def test_hostile_text_is_literal(tiny: Path) -> None:
    import yaml

    from compiler.edit import edit_outputs
    from compiler.edit.outputs import unpack_texts
    from compiler.loading import resolve_film

    data = yaml.safe_load((tiny / "film.yaml").read_text())
    data["edit"]["cards"][0]["text"] = HOSTILE
    data["edit"]["cards"].append({"text": HOSTILE, "at": 2.5, "duration": 1})
    data["song"]["sections"][1]["lyrics"] = HOSTILE
    data["edit"]["subtitles"] = "burn"
    (tiny / "film.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    r = _render(tiny)
    assert r.exit_code == 0, r.stderr
    assert probe(tiny / "out.mp4").frames == 72
    outputs = edit_outputs(resolve_film(tiny))
    texts = unpack_texts(str(outputs["texts.txt"]))

    def squash(s: str) -> str:
        return "".join(s.split())

    assert sum(squash(HOSTILE) == squash(str(t)) for t in texts.values()) == 2  # the card and the overlay card
    for line in HOSTILE.splitlines():  # each lyric line: a subtitle
        assert any(squash(line) == squash(str(t)) for t in texts.values())
    graph = str(outputs["filter_graph.txt"])
    for needle in ("100%", "{curly}", "quoted", "\U0001F3AC"):
        assert needle not in graph
    assert "emoji" in str(outputs["lyrics.srt"])


def test_select_renders_just_those_shots(tiny: Path) -> None:
    r = _render(tiny, "--select", "s2,s3", "--animatic")
    assert r.exit_code == 0, r.stderr
    p = probe(tiny / "out.mp4")
    assert p.frames == 36 and p.audio  # 1 s + 2 s of song, no cards
    r = _render(tiny, "--select", "section:b", out="b.mp4")
    assert r.exit_code == 0 and probe(tiny / "b.mp4").frames == 24
    r = _render(tiny, "--select", "s9")
    assert r.exit_code == 2 and "matches no shot" in r.stderr


def test_overrides_size_fps_subtitles(tiny: Path) -> None:
    r = _render(tiny, "--size", "96x54", "--fps", "8", "--subtitles", "none")
    assert r.exit_code == 0, r.stderr
    p = probe(tiny / "out.mp4")
    assert (p.width, p.height, p.fps, p.frames) == (96, 54, 8, 48)
    assert not (tiny / "out.srt").exists()
    assert _render(tiny, "--size", "97x54").exit_code == 2


def test_no_audio_is_silence_and_grade_lut(tiny: Path) -> None:
    # a folder name that needs escaping in a filter graph: the LUT's path goes into the graph
    odd = tiny.parent / "it's: [odd], dir; 100%"
    tiny.rename(odd)
    (odd / "id.cube").write_text("LUT_3D_SIZE 2\n" + "".join(f"{r} {g} {b}\n"
                                                              for b in (0, 1) for g in (0, 1) for r in (0, 1)))
    make_image(odd / "takes" / "s2.png", "0x808080")
    text = (odd / "film.yaml").read_text().replace("  audio: song.wav\n", "  duration: 4\n")
    text += "  grade: {lut: id.cube, brightness: 0.1, contrast: 1.1, saturation: 0.9, gamma: 1.0}\n"
    (odd / "film.yaml").write_text(text)
    r = run_cli(["render", str(odd), "-o", str(odd / "out.mp4")])
    assert r.exit_code == 0, r.stderr
    p = probe(odd / "out.mp4")
    assert p.audio and p.frames == 72
    grey = mean_rgb(frame_rgb(odd / "out.mp4", 2.5))
    assert grey[0] > 128 + 10  # brightened


def test_bad_lut_is_a_located_error(tiny: Path) -> None:
    (tiny / "bad.cube").write_text("not a lut\n")
    make_image(tiny / "takes" / "s2.png", "gray")
    (tiny / "film.yaml").write_text((tiny / "film.yaml").read_text() + "  grade: {lut: bad.cube}\n")
    r = _render(tiny)
    assert r.exit_code == 1 and "error[R103] /edit/grade/lut" in r.stderr, r.stderr


def test_problems_are_caught_before_ffmpeg(tiny: Path) -> None:
    base = (tiny / "film.yaml").read_text()
    cases = {
        "V241": base.replace("{id: s2, section: a,", "{id: s2, section: a, duration: 0,"),
        "V250": base.replace("{in: dissolve, duration: 0.5}", "{in: dissolve, duration: 1.5}"),
        "V234": base.replace("  audio: song.wav\n", "  audio: song.wav\n  duration: 5\n"),
    }
    for code, text in cases.items():
        (tiny / "film.yaml").write_text(text)
        r = _render(tiny)
        assert r.exit_code == 1 and f"error[{code}]" in r.stderr, (code, r.stderr)
        assert not (tiny / "out.mp4").exists()
    # a shot shorter than one frame at the chosen rate
    (tiny / "film.yaml").write_text(base.replace("{id: s2, section: a,", "{id: s2, section: a, duration: 0.1,")
                                    .replace("{in: dissolve, duration: 0.5}", "cut"))
    r = _render(tiny, "--fps", "4")
    assert r.exit_code == 1 and "error[R110]" in r.stderr, r.stderr


def _fake_ffmpeg(tmp: Path, body: str) -> Path:
    """An ffmpeg that probes like the real one but fails (or hangs) when asked to render."""
    exe = tmp / "fake-ffmpeg"
    real = ffmpeg_exe().replace("'", "'\\''")
    exe.write_text(f"#!/bin/sh\ncase \" $* \" in *' -progress '*) ;; *) exec '{real}' \"$@\" ;; esac\n" + body)
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    return exe


FAKE_BODY = """for a; do last="$a"; done
out="${last#file:}"
printf 'partial' > "$out"
echo "[fake] something broke" >&2
%s
"""


def test_failed_render_leaves_no_file(tiny: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    exe = _fake_ffmpeg(tiny, FAKE_BODY % "exit 1")
    (tiny / "out.mp4").write_text("the previous render")
    monkeypatch.setenv("FFMPEG", str(exe))
    ffmpeg_exe.cache_clear()
    try:
        r = _render(tiny)
    finally:
        monkeypatch.delenv("FFMPEG")
        ffmpeg_exe.cache_clear()
    assert r.exit_code == 1
    assert "ffmpeg failed (exit code 1): [fake] something broke" in r.stderr
    assert (tiny / "out.mp4").read_text() == "the previous render"
    assert not list(tiny.glob(".out.mp4.*"))


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_interrupted_render_leaves_no_file(tiny: Path) -> None:
    exe = _fake_ffmpeg(tiny, FAKE_BODY % "sleep 30")
    env = {**os.environ, "FFMPEG": str(exe)}
    proc = subprocess.Popen([sys.executable, "-c", "from compiler.cli import main; main()", "render",
                             str(tiny), "-o", str(tiny / "out.mp4")], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while not list(tiny.glob(".out.mp4.*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=20)
    assert proc.returncode != 0
    assert not (tiny / "out.mp4").exists()
    assert not list(tiny.glob(".out.mp4.*"))


def test_render_sh_gives_the_same_film(tiny: Path) -> None:
    from compiler.edit import edit_outputs
    from compiler.loading import resolve_film

    make_image(tiny / "takes" / "s2.png", "0x336699")
    r = _render(tiny)
    assert r.exit_code == 0, r.stderr
    edit = tiny / "build" / "edit"
    for rel, content in edit_outputs(resolve_film(tiny)).items():
        (edit / rel).parent.mkdir(parents=True, exist_ok=True)
        (edit / rel).write_bytes(content if isinstance(content, bytes) else content.encode())
    sh = shutil.which("sh")
    assert sh
    proc = subprocess.run([sh, str(edit / "render.sh")], env={**os.environ, "FFMPEG": ffmpeg_exe()},
                          capture_output=True, text=True, cwd=tiny.parent)
    assert proc.returncode == 0, proc.stderr
    film = tiny / "build" / "film.mp4"
    assert (tiny / "build" / "film.srt").is_file()
    a, b = probe(tiny / "out.mp4"), probe(film)
    assert (a.frames, a.width, a.height, a.fps, a.audio) == (b.frames, b.width, b.height, b.fps, b.audio)

    def md5s(p: Path) -> list[str]:
        out = ff("-i", str(p), "-f", "framemd5", "-").stdout
        return [ln.rsplit(",", 1)[-1].strip() for ln in out.splitlines() if ln and not ln.startswith("#")]

    assert md5s(tiny / "out.mp4") == md5s(film)
    # an explicit output path, relative to where the script is run
    proc = subprocess.run([sh, str(edit / "render.sh"), "again.mp4"], env={**os.environ, "FFMPEG": ffmpeg_exe()},
                          capture_output=True, text=True, cwd=tiny)
    assert proc.returncode == 0 and (tiny / "again.mp4").is_file(), proc.stderr


def test_example_film_animatic_plans(tmp_path: Path) -> None:
    """The example film plans cleanly (no render: the full animatic is the benchmark's job)."""
    from compiler.edit import plan_edit
    from compiler.loading import resolve_film

    root = Path(__file__).resolve().parents[2] / "specs" / "lighthouse-keeper"
    plan = plan_edit(resolve_film(root), animatic=True)
    assert plan.frames == round(78 * 24)
    assert [c.id for c in plan.clips][:2] == ["card-1", "s01"]
    assert sum(c.dissolve_in > 0 for c in plan.clips) == 4


def test_short_take_holds_its_last_frame(tiny: Path) -> None:
    make_take(tiny / "takes" / "s3.mp4", 0.5)
    text = (tiny / "film.yaml").read_text().replace("{id: s3, section: b,", "{id: s3, section: b, take: takes/s3.mp4,")
    (tiny / "film.yaml").write_text(text)
    r = _render(tiny)
    assert r.exit_code == 0, r.stderr
    assert "warning[R202]" in r.stderr and "its last frame is held" in r.stderr
    assert probe(tiny / "out.mp4").frames == 72


def test_unknown_output_format_is_a_usage_error(tiny: Path) -> None:
    r = _render(tiny, out="out.avi")
    assert r.exit_code == 2 and "out.avi" in r.stderr
