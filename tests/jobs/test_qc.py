"""Quality checks of takes, on real media made with the bundled ffmpeg."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from compiler.jobs.qc import Expect, check_take, expect_for_job
from compiler.probe import ffmpeg_exe

from ..conftest import ROOT


def make(out: Path, *args: str) -> Path:
    subprocess.run([ffmpeg_exe(), "-y", "-hide_banner", "-loglevel", "error", *args, str(out)], check=True,
                   timeout=120)
    return out


H264 = ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "+faststart"]


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("qc")
    m = {
        "good": make(d / "good.mp4", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=24:duration=3",
                     "-f", "lavfi", "-i", "sine=duration=3", "-shortest", *H264, "-c:a", "aac"),
        "silent": make(d / "silent.mp4", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=24:duration=3", *H264),
        "black": make(d / "black.mp4", "-f", "lavfi", "-i", "color=black:size=320x180:rate=24:duration=3", *H264),
        # one frame held for 3 s: a generation that never moves
        "frozen": make(d / "frozen.mp4", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=24:duration=0.04",
                       "-vf", "tpad=stop_mode=clone:stop_duration=3", *H264),
        "portrait": make(d / "portrait.mp4", "-f", "lavfi", "-i", "testsrc2=size=180x320:rate=24:duration=3", *H264),
        "short": make(d / "short.mp4", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=24:duration=1", *H264),
        "image": make(d / "still.png", "-f", "lavfi", "-i", "testsrc2=size=320x180", "-frames:v", "1"),
        "black_image": make(d / "black.png", "-f", "lavfi", "-i", "color=black:size=320x180", "-frames:v", "1"),
    }
    whole = m["silent"].read_bytes()
    m["truncated"] = d / "truncated.mp4"  # index first (faststart), the data cut short: part of it still decodes
    m["truncated"].write_bytes(whole[: len(whole) * 2 // 5])
    m["cut_index"] = d / "cut_index.mp4"  # index last, and cut off: nothing decodes
    plain = make(d / "plain.mp4", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=24:duration=3",
                 "-c:v", "libx264", "-pix_fmt", "yuv420p")
    m["cut_index"].write_bytes(plain.read_bytes()[:-2000])
    return m


def codes(result) -> list[str]:  # type: ignore[no-untyped-def]
    return [f.code for f in result.findings]


def test_good_clip_passes_and_is_measured(media: dict[str, Path]) -> None:
    r = check_take(media["good"], Expect(min_duration=3.0, aspect="16:9", resolution=(320, 180), audio=True))
    assert r.ok and r.findings == ()
    assert (r.frames, r.width, r.height, r.audio) == (72, 320, 180, True)
    assert r.duration == pytest.approx(3.0, abs=0.05)
    event = r.event()
    assert set(event) == {"path", "ok", "findings", "frames", "duration", "width", "height", "audio"}


def test_black_clip(media: dict[str, Path]) -> None:
    r = check_take(media["black"], Expect())
    assert not r.ok and codes(r) == ["C515"]  # black, and not also reported as frozen


def test_frozen_clip(media: dict[str, Path]) -> None:
    r = check_take(media["frozen"], Expect())
    assert not r.ok and codes(r) == ["C516"]


def test_truncated_file_that_partly_decodes(media: dict[str, Path]) -> None:
    r = check_take(media["truncated"], Expect(min_duration=3.0))
    assert not r.ok and "C511" in codes(r)
    assert r.frames is not None and r.frames < 72
    assert "C512" in codes(r)  # and what decodes is shorter than the shot


def test_truncated_file_without_its_index(media: dict[str, Path]) -> None:
    r = check_take(media["cut_index"], Expect())
    assert not r.ok and codes(r) == ["C511"] and r.frames is None


def test_wrong_aspect(media: dict[str, Path]) -> None:
    r = check_take(media["portrait"], Expect(aspect="16:9"))
    assert not r.ok and codes(r) == ["C513"]
    assert check_take(media["portrait"], Expect(aspect="9:16")).ok


def test_too_short(media: dict[str, Path]) -> None:
    r = check_take(media["short"], Expect(min_duration=2.5))
    assert not r.ok and codes(r) == ["C512"]
    assert check_take(media["short"], Expect(min_duration=1.0)).ok  # within the tolerance


def test_lower_resolution_is_a_warning(media: dict[str, Path]) -> None:
    r = check_take(media["silent"], Expect(resolution=(1280, 720)))
    assert r.ok and codes(r) == ["C514"] and r.findings[0].severity == "warning"


def test_audio_expected_or_not(media: dict[str, Path]) -> None:
    r = check_take(media["silent"], Expect(audio=True))
    assert not r.ok and codes(r) == ["C517"] and r.audio is False
    r = check_take(media["good"], Expect(audio=False))
    assert r.ok and codes(r) == ["C517"] and r.findings[0].severity == "warning"


def test_image(media: dict[str, Path]) -> None:
    r = check_take(media["image"], Expect(kind="image", aspect="16:9"))
    assert r.ok and (r.frames, r.width, r.height) == (1, 320, 180)
    assert codes(check_take(media["black_image"], Expect(kind="image"))) == ["C515"]
    assert codes(check_take(media["image"], Expect(kind="image", aspect="1:1"))) == ["C513"]


def test_not_media(tmp_path: Path) -> None:
    text = tmp_path / "take.mp4"
    text.write_text("this is not a video\n")
    assert codes(check_take(text, Expect())) == ["C511"]
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    assert codes(check_take(empty, Expect())) == ["C511"]
    audio = make(tmp_path / "song.m4a", "-f", "lavfi", "-i", "sine=duration=1", "-c:a", "aac")
    r = check_take(audio, Expect())
    assert codes(r) == ["C511"] and "no picture" in r.findings[0].message


def test_missing_and_folder(tmp_path: Path) -> None:
    assert codes(check_take(tmp_path / "nope.mp4", Expect())) == ["C510"]
    assert codes(check_take(tmp_path, Expect())) == ["C510"]


SCRIPT = """
import sys
from compiler.jobs.qc import Expect, check_take
r = check_take(sys.argv[1], Expect(), timeout=float(sys.argv[2]))
print(",".join(f.code for f in r.findings))
"""


def run_check(path: Path, timeout: float, env: dict[str, str] | None = None) -> str:
    """check_take in its own process, which must end well within 60 s."""
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(path), str(timeout)], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env={**os.environ, **(env or {})})
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "take.mp4"
    os.mkfifo(fifo)
    assert run_check(fifo, 300) == "C510"


def test_an_ffmpeg_that_never_ends_is_stopped(tmp_path: Path, media: dict[str, Path]) -> None:
    stuck = tmp_path / "ffmpeg"
    stuck.write_text("#!/bin/sh\nexec sleep 300\n")
    stuck.chmod(0o755)
    assert run_check(media["good"], 1, {"FFMPEG": str(stuck)}) == "C518"


def test_expect_for_job() -> None:
    job = {"job": "s01.kling", "duration": 5.0}
    assert expect_for_job(job, "video", aspect="16:9").min_duration == 5.0
    assert expect_for_job(job, "video", needed=3.2).min_duration == 3.2
    assert expect_for_job({"job": "s01.mystic", "duration": None}, "image").min_duration is None
